"""Cached Making Data Count SPC for the SPC page: the series at a period, the XmR result, chart and table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from forecasting import spc
from forecasting.schema import METRIC_LABELS, metric_order
from forecasting.spc_charts import spc_chart
from forecasting.summary import PERFORMANCE_4H, chart_series, four_hour_performance

from . import cache
from .forecasting import data_frequency

__all__ = ["PERFORMANCE_4H", "MIN_BASELINE", "measure_choices", "measure_label", "default_direction",
           "default_target", "views", "periods", "period_dates", "since", "result", "short_baselines", "chart",
           "summary_table", "points_csv"]

#: Fewer baseline points than this make the limits unreliable (Making Data Count suggests 15-20).
MIN_BASELINE = 12

_DIRECTIONS = {PERFORMANCE_4H: "higher", "breaches_4h": "lower", "breaches_4h_type1": "lower",
               "dta_waits_12h": "lower", "dta_waits_4_12h": "lower", "breaches_12h": "lower"}


def measure_choices(activity: pd.DataFrame) -> list[str]:
    """Metrics in the data, with 4-hour performance first when attendances and breaches are there."""
    metrics = metric_order(activity["metric"].unique())
    if {"attendances", "breaches_4h"} <= set(metrics):
        metrics = [PERFORMANCE_4H] + metrics
    return metrics


def measure_label(metric: str) -> str:
    if metric == PERFORMANCE_4H:
        return "4-hour performance (% within 4 hours)"
    return METRIC_LABELS.get(metric, metric.replace("_", " "))


def default_direction(metric: str) -> str:
    """Which way is better: higher 4-hour performance, fewer breaches and long waits; else neutral."""
    return _DIRECTIONS.get(metric, "neutral")


def default_target(metric: str, series: pd.DataFrame) -> float:
    """78 % for 4-hour performance (the planning target); otherwise the series' own mean to edit."""
    return 78.0 if metric == PERFORMANCE_4H else round(float(series["value"].mean()), 1)


def period_dates(series: pd.DataFrame) -> list[pd.Timestamp]:
    """The period starts in the series, oldest first (the choices for baseline and rebase dates)."""
    return [pd.Timestamp(d) for d in sorted(series["date"].unique())]


def since(series: pd.DataFrame, first) -> pd.DataFrame:
    return series[series["date"] >= pd.Timestamp(first)]


def short_baselines(res: spc.SPCResult) -> list[str]:
    """Sites whose limits (in some period) rest on fewer than :data:`MIN_BASELINE` points."""
    pts = res.points
    counts = pts[pts["in_baseline"]].groupby(["site", "period"]).size()
    return sorted({site for (site, _), n in counts.items() if n < MIN_BASELINE})


def views(activity: pd.DataFrame) -> list[str]:
    return {"hourly": ["daily", "weekly", "monthly"], "daily": ["weekly", "monthly", "daily"],
            "weekly": ["weekly", "monthly"], "monthly": ["monthly"]}.get(data_frequency(activity), ["monthly"])


@st.cache_data(max_entries=16, show_spinner=False)
def periods(activity: pd.DataFrame, metric: str, view: str, sites: tuple[str, ...]) -> pd.DataFrame:
    """Whole periods of one measure for the chosen sites (trust total allowed), in the activity contract."""
    full = cache.with_total(activity)
    if metric == PERFORMANCE_4H:
        parts = [chart_series(full, m, view, sites=sites) for m in ("attendances", "breaches_4h")]
        return four_hour_performance(pd.concat(parts, ignore_index=True))
    return chart_series(full, metric, view, sites=sites)[["site", "metric", "date", "value"]]


@st.cache_data(max_entries=16, show_spinner="Working out process limits...")
def result(series: pd.DataFrame, direction: str, target: float | None, baseline: tuple | None,
           rebase_at: tuple, screen: bool) -> spc.SPCResult:
    """The XmR result; the baseline and rebase dates are the user's (never automatic)."""
    return spc.xmr(series, baseline=baseline, rebase_at=rebase_at, direction=direction, target=target,
                   screen_outliers=screen)


def chart(res: spc.SPCResult, *, metric: str, view: str, sites: list[str], source: str):
    label = measure_label(metric)
    s = res.summary.set_index("site")
    unusual = [x for x in sites if x in s.index and s.loc[x, "variation"] != "common cause"]
    when = {"daily": "day", "weekly": "week", "monthly": "month"}[view]
    title = (f"{label}: unusual variation in the latest {when} at {', '.join(unusual)}" if unusual else
             f"{label}: the latest {when} is within the usual range at every site shown")
    first, last = res.points["date"].min(), res.points["date"].max()
    fmt = "%b %Y" if view == "monthly" else "%d %b %Y"  # a month is 'Mar 2019', not its first day
    out = spc_chart(res, title=title, metric=metric, sites=sites, view=view,
                    subtitle=f"{view.capitalize()}, {first:{fmt}} to {last:{fmt}}; Making Data Count XmR",
                    footnote=f"Source: {source} · generated {pd.Timestamp.now():%d %b %Y %H:%M}",
                    y_title=label, width=820 if len(sites) == 1 else 400)
    # a fixed width (shown at its own size): when stretched, the mean and limit labels at the right
    # edge of the plot would be cut off
    return out


def summary_table(res: spc.SPCResult) -> pd.DataFrame:
    table = spc.summary_table(res, icons=True)
    table["Measure"] = [measure_label(m) for m in res.summary["metric"]]
    return table[["variation_icon_uri", "assurance_icon_uri", "Site", "Measure", "Latest period",
                  "Latest value", "Mean", "Lower process limit", "Upper process limit", "Target",
                  "Variation", "Assurance"]]


@st.cache_data(max_entries=8, show_spinner=False)
def points_csv(res: spc.SPCResult) -> bytes:
    return cache.csv_bytes(res.points)
