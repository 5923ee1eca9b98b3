"""Cached calls into the engine: the only place in the app with st.cache_data."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from forecasting import charts, export, summary
from forecasting.schema import TRUST_TOTAL
from forecasting.io import LoadResult, load_sample, read_activity, read_table

__all__ = ["sample", "read_upload", "upload_columns", "overview_tables", "with_total",
           "chart_series", "history_chart", "csv_bytes"]


@st.cache_data(show_spinner="Loading the bundled sample...")
def sample(frequency: str = "daily") -> pd.DataFrame:
    """The bundled synthetic sample as the contract frame."""
    return load_sample(frequency)


@st.cache_data(show_spinner="Reading and checking the file...", max_entries=8)
def read_upload(data: bytes, name: str, columns: tuple[tuple[str, str | None], ...] = (),
                default_site: str | None = None) -> LoadResult:
    """Read and validate uploaded bytes; the column mapping is a tuple so it can be a cache key."""
    return read_activity(data, name=name, columns=dict(columns) or None,
                         default_site=default_site or None)


@st.cache_data(max_entries=8)
def upload_columns(data: bytes, name: str) -> list[str]:
    """The column names of an upload (after any title rows), for the mapping widgets."""
    table, _, _ = read_table(data, name=name)
    return [c for c in table.columns if c != "_row"]


@st.cache_data(max_entries=16)
def overview_tables(activity: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Coverage, year-on-year headline figures (trust total added) and their display table."""
    headlines = summary.headline_figures(with_total(activity))
    return summary.coverage(activity), headlines, summary.headline_table(headlines)


def headline_sentence(headlines: pd.DataFrame, site: str, metric: str, window: int = 28) -> str:
    """The message of a history chart (see summary.headline_sentence)."""
    return summary.headline_sentence(headlines, site, metric, window)


@st.cache_data(max_entries=4)
def with_total(activity: pd.DataFrame) -> pd.DataFrame:
    """Activity with the trust total (sum over sites) added as a site."""
    return summary.with_trust_total(activity)


@st.cache_data(max_entries=32)
def chart_series(activity: pd.DataFrame, metric: str, view: str, sites: tuple[str, ...],
                 start=None) -> pd.DataFrame:
    """One metric, chosen sites, whole periods of the chosen view (see summary.chart_series)."""
    return summary.chart_series(with_total(activity), metric, view, sites=sites, start=start)


def history_chart(frame: pd.DataFrame, activity: pd.DataFrame, **kwargs):
    """History chart with each site in the colour it has everywhere in this data set."""
    site_order = sorted(activity["site"].unique()) + [TRUST_TOTAL]
    return charts.history_chart(frame, site_order=site_order, **kwargs)


@st.cache_data(max_entries=8)
def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as UTF-8 CSV for download buttons: ISO dates, and text that a spreadsheet would run
    as a formula (a site named '=HYPERLINK(...)') neutralised (see forecasting.export)."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d %H:%M")
    return export.csv_bytes(out)
