"""Which data set is active for this browser session: the bundled sample or an upload."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from forecasting.io import LoadResult

from . import cache

__all__ = ["SOURCES", "Dataset", "Upload", "active_dataset", "require_dataset", "read_upload", "use_sample",
           "use_upload", "current_source"]

#: Source choices offered on the Data page, in order.
SOURCES = {
    "sample": "Bundled sample: daily activity, three sites (synthetic)",
    "sample_hourly": "Bundled sample: hourly arrivals, last two years (synthetic)",
    "upload": "Upload a file (CSV, XLSX or Parquet)",
}
_KEY = "dataset"


@dataclass(frozen=True)
class Dataset:
    """The active data: frame in the contract, where it came from and its load report."""

    frame: pd.DataFrame
    label: str
    source: str
    result: LoadResult | None = None

    @property
    def data_through(self) -> pd.Timestamp | None:
        return None if self.frame.empty else self.frame["date"].max()


@dataclass(frozen=True)
class Upload:
    """A read upload: its result and a key naming the exact bytes and mapping it came from."""

    name: str
    key: str
    result: LoadResult


def read_upload(raw: bytes, name: str, mapping: dict[str, str], default_site: str = "") -> Upload:
    """Read and validate an uploaded file (cached on its bytes and the column mapping)."""
    columns = tuple(sorted(mapping.items()))
    key = hashlib.sha256(raw).hexdigest() + repr((name, columns, default_site))
    return Upload(name, key, cache.read_upload(raw, name, columns, default_site))


def current_source() -> str:
    return st.session_state.get(_KEY, {}).get("source", "sample")


def _switch(state: dict) -> None:
    """Make ``state`` the active data; rerun at once so the sidebar and every view agree."""
    old = st.session_state.get(_KEY, {"source": "sample"})
    if (old.get("source"), old.get("key")) != (state["source"], state.get("key")):
        st.session_state[_KEY] = state
        st.rerun()


def use_sample(frequency: str = "daily") -> None:
    """Make the bundled sample (daily or hourly) the active data."""
    _switch({"source": "sample" if frequency == "daily" else "sample_hourly"})


def use_upload(upload: Upload) -> None:
    """Make an upload's usable rows the active data (the caller has shown its report)."""
    _switch({"source": "upload", "result": upload.result, "name": upload.name, "key": upload.key})


def active_dataset() -> Dataset | None:
    """The data every page works on; the daily sample until the user picks something else."""
    state = st.session_state.get(_KEY, {"source": "sample"})
    if state["source"] == "sample":
        return Dataset(cache.sample("daily"), SOURCES["sample"], "sample")
    if state["source"] == "sample_hourly":
        return Dataset(cache.sample("hourly"), SOURCES["sample_hourly"], "sample_hourly")
    result: LoadResult = state["result"]
    if result.frame.empty:
        return None
    return Dataset(result.frame, f"Upload: {state['name']}", "upload", result)


def require_dataset() -> Dataset:
    """The active data, or a pointer to the Data page and a stop when nothing usable is loaded."""
    ds = active_dataset()
    if ds is None:
        st.warning("No usable data is loaded. Open the **Data** page to choose the sample or upload a file.")
        st.stop()
    return ds
