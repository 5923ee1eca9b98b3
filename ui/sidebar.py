"""The sidebar every page shares: what data is loaded and how recent it is."""

from __future__ import annotations

import streamlit as st

from forecasting.schema import infer_frequency

from .data import active_dataset

__all__ = ["render_sidebar"]


def render_sidebar() -> None:
    """Show the active data source and its last date under the page menu."""
    ds = active_dataset()
    with st.sidebar:
        st.markdown("**Data in use**")
        if ds is None:
            st.warning("No usable data: open the Data page to pick a source.")
            return
        st.caption(ds.label)
        sites, metrics = ds.frame["site"].nunique(), ds.frame["metric"].nunique()
        # a month is labelled by its first day: 'March 2019', not 'Fri 01 Mar 2019'
        through = (f"{ds.data_through:%B %Y}" if infer_frequency(ds.frame["date"]) == "monthly"
                   else f"{ds.data_through:%a %d %b %Y}")
        st.caption(f"Data through **{through}** · "
                   f"{sites} site{'s' if sites != 1 else ''} · {metrics} metric{'s' if metrics != 1 else ''}")
