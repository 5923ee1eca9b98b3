"""Shared renderers: the validation report, the page error guard and small formatting helpers."""

from __future__ import annotations

import logging

import streamlit as st

from forecasting.schema import ValidationReport

__all__ = ["render_report", "run_page_safely"]

_log = logging.getLogger(__name__)


def render_report(report: ValidationReport) -> None:
    """A banner with the verdict, then every problem (grouped, with counts and first rows)."""
    text = report.summary()
    if report.errors:
        st.error(f"{text} Rows with errors are not used; each is listed below with what to do.",
                 icon=":material/error:")
    elif report.warnings:
        st.warning(f"{text} The data can be used; please read the warnings below.",
                   icon=":material/warning:")
    else:
        st.success(f"{text} No problems found.", icon=":material/check_circle:")
    table = report.to_frame()
    if not table.empty:
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={"problem": st.column_config.TextColumn(width="large"),
                                    "what to do": st.column_config.TextColumn(width="large")})


def run_page_safely(page) -> None:
    """Run a page; an unexpected failure becomes a plain message, never a stack trace.

    Streamlit's own stop and rerun signals are BaseExceptions and pass straight through.
    """
    try:
        page.run()
    except Exception as exc:  # the last line of defence for the user's screen
        _log.exception("Page %s failed", getattr(page, "title", page))
        st.error(
            "Sorry, this page could not be shown. Your data has not been changed. "
            f"What went wrong: {type(exc).__name__}: {exc}. "
            "Try another data source or setting; if it persists, send this message to the "
            "workbench maintainers.",
            icon=":material/error:",
        )
