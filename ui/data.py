"""Which data set is active for this browser session: the bundled sample or an upload."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from forecasting.io import LoadResult
from forecasting.nhse import read_ae_activity, read_bed_sitreps, sitrep_activity
from forecasting.export import csv_bytes as safe_csv
from forecasting.records import read_ed_activity, suppress_small
from forecasting.schema import STOCK_METRICS
from forecasting.schema import infer_frequency
from forecasting.sql import URL_ENV, masked_url, read_sql_activity

from . import cache
from .views import render_report

__all__ = ["SOURCES", "Dataset", "Upload", "active_dataset", "require_dataset", "read_upload", "use_sample",
           "use_upload", "current_source", "read_nhse_upload", "read_records_upload", "read_sitrep_upload",
           "sql_connection", "run_sql", "offer_read", "show_earlier", "history_views", "clean_csv"]

#: Source choices offered on the Data page, in order.
SOURCES = {
    "sample": "Bundled sample: daily activity, three sites (synthetic)",
    "sample_hourly": "Bundled sample: hourly arrivals, last two years (synthetic)",
    "upload": "Upload a file (CSV, XLSX or Parquet)",
    "records": "Upload a record-level ED extract (one row per attendance)",
    "nhse": "Upload NHS England monthly A&E returns (one or more CSVs, or the tidy extract)",
    "sitreps": "Upload an NHS England daily bed sitrep (beds open and occupied)",
    "sql": "Query a SQL warehouse (connection set in secrets or the environment)",
}
_UPLOAD_SOURCES = ("upload", "records", "nhse", "sitreps", "sql")
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


def use_upload(upload: Upload, source: str = "upload") -> None:
    """Make an upload's (or query's) usable rows the active data (the caller has shown its report)."""
    _switch({"source": source, "result": upload.result, "name": upload.name, "key": upload.key})


def _key(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else repr(part).encode())
    return h.hexdigest()


@st.cache_data(show_spinner="Reading the NHS England returns...", max_entries=4)
def _nhse(files: tuple[tuple[str, bytes], ...], site: str) -> LoadResult:
    return read_ae_activity([b for _, b in files], site=site, names=[n for n, _ in files])


def read_nhse_upload(files: list[tuple[str, bytes]], site: str = "name") -> Upload:
    """One or more monthly A&E return files (or the tidy extract) as monthly activity per provider."""
    files = tuple(files)
    name = files[0][0] if len(files) == 1 else f"{len(files)} NHS England monthly returns"
    return Upload(name, _key("nhse", site, *(b for _, b in files)), _nhse(files, site))


@st.cache_data(show_spinner="Counting attendances from the record-level extract...", max_entries=4)
def _records(raw: bytes, name: str, freq: str) -> LoadResult:
    # Only counts leave this function: identifiers are dropped on read and never reach the cache.
    return read_ed_activity(raw, freq=freq, name=name)


def read_records_upload(raw: bytes, name: str, freq: str = "daily") -> Upload:
    """A record-level ED extract as daily or hourly counts (identifiers dropped on read)."""
    return Upload(name, _key("records", freq, raw), _records(raw, name, freq))


@st.cache_data(show_spinner="Reading the bed sitrep...", max_entries=4)
def _sitreps(raw: bytes, name: str, orgs: tuple[str, ...]) -> LoadResult:
    loaded = read_bed_sitreps(raw, name=name, orgs=list(orgs) or None)
    return LoadResult(sitrep_activity(loaded.frame, site="name"), loaded.report)


def read_sitrep_upload(raw: bytes, name: str, orgs: tuple[str, ...] = ()) -> Upload:
    """A daily bed sitrep as beds open, occupied and escalation per trust and day."""
    return Upload(name, _key("sitreps", orgs, raw), _sitreps(raw, name, tuple(orgs)))


def sql_connection():
    """The warehouse connection from Streamlit secrets ([sql] section) or the environment, or None.

    Returns (settings, masked URL text); the settings are passed to the engine and never cached,
    logged or shown.
    """
    settings = None
    try:
        if "sql" in st.secrets:
            settings = dict(st.secrets["sql"])
    except Exception:  # no secrets file at all is the usual case, not an error
        settings = None
    if settings is None and not (os.environ.get(URL_ENV) or os.environ.get("UEC_SQL_HOST")):
        return None, None
    try:
        return settings, masked_url(settings)
    except ValueError as exc:  # includes SQLSourceError, whose text never holds the password
        raise ValueError(f"The SQL connection settings cannot be used: {exc}") from None


def run_sql(settings, query: str, label: str) -> Upload:
    """Run the query (not cached: the connection's credentials must never be a cache key)."""
    result = read_sql_activity(settings, query, name=label)
    return Upload(label, _key("sql", label, query, pd.Timestamp.now().isoformat()), result)


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
    prefix = "Query" if state["source"] == "sql" else "Upload"
    return Dataset(result.frame, f"{prefix}: {state['name']}", state["source"], result)


def require_dataset() -> Dataset:
    """The active data, or a pointer to the Data page and a stop when nothing usable is loaded."""
    ds = active_dataset()
    if ds is None:
        st.warning("No usable data is loaded. Open the **Data** page to choose the sample or upload a file.")
        st.stop()
    return ds


def offer_read(read: Upload, source: str) -> None:
    """Show a read's report and make its usable rows the active data (with errors: only if the user agrees)."""
    result = read.result
    render_report(result.report)
    if result.report.ok:
        use_upload(read, source)
    elif not result.frame.empty:
        if st.checkbox(f"Use the {result.report.rows_kept:,} usable rows for now, leaving out "
                       "the rows with errors listed above", key=f"use_partial_{source}"):
            use_upload(read, source)
    else:
        st.info("Nothing in this file can be used yet. Fix the errors above and try again.")


def show_earlier(source: str) -> None:
    """When nothing new is chosen, say the data loaded earlier from this source is still in use."""
    if current_source() == source:
        st.info("Using the data loaded earlier in this session; its report is below.")
        render_report(active_dataset().result.report)


_VIEWS = {"hourly": ["hourly", "daily", "weekly", "monthly"], "daily": ["daily", "weekly", "monthly"],
          "weekly": ["weekly", "monthly"], "monthly": ["monthly"]}


def history_views(frame: pd.DataFrame) -> list[str]:
    """Periods the history can be shown in: the data's own and every longer one."""
    return _VIEWS.get(infer_frequency(frame["date"]), ["daily", "weekly", "monthly"])


@st.cache_data(max_entries=8, show_spinner=False)
def clean_csv(frame: pd.DataFrame, suppress: bool = False) -> bytes:
    """The cleaned table as an injection-safe CSV; with ``suppress``, counts of 1 to 4 become '<5'."""
    out = frame
    if suppress:
        counts = ~frame["metric"].isin(STOCK_METRICS)
        hidden = suppress_small(frame[counts], "value")
        out = pd.concat([hidden, frame[~counts].astype({"value": object})]).sort_index()
    return safe_csv(out.assign(date=out["date"].dt.strftime("%Y-%m-%d %H:%M")))
