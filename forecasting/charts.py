"""Altair chart builders (data frame in, chart out) and the NHS identity theme."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .schema import METRIC_LABELS, TRUST_TOTAL

__all__ = ["NHS_COLOURS", "SITE_PALETTE", "THEME", "site_colours", "history_chart",
           "headline_bar_chart"]

#: NHS identity colours (NHS England brand guidelines).
NHS_COLOURS = {
    "blue": "#005EB8", "dark_blue": "#003087", "bright_blue": "#0072CE", "light_blue": "#41B6E6",
    "black": "#231F20", "dark_grey": "#425563", "mid_grey": "#768692", "pale_grey": "#E8EDEE",
    "orange": "#ED8B00", "warm_yellow": "#FFB81C", "purple": "#330072", "aqua_green": "#00A499",
    "dark_pink": "#7C2855", "pink": "#AE2573", "dark_red": "#8A1538", "green": "#009639",
}
# Blue, orange and purple stay distinct for the common colour-vision deficiencies; the
# trust total is drawn in black so it never depends on colour alone.
SITE_PALETTE = ["#005EB8", "#ED8B00", "#330072", "#00A499", "#AE2573", "#768692", "#41B6E6"]

THEME = "nhs"
_FONT = "Arial, 'Liberation Sans', Helvetica, sans-serif"


@alt.theme.register(THEME, enable=True)
def _nhs_theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": _FONT,
            "background": "white",
            "view": {"stroke": None, "continuousWidth": 640, "continuousHeight": 300},
            "title": {"font": _FONT, "fontSize": 16, "fontWeight": "bold", "color": "#231F20",
                      "anchor": "start", "subtitleFontSize": 12, "subtitleColor": "#425563",
                      "offset": 8},
            "axis": {"labelFont": _FONT, "titleFont": _FONT, "labelFontSize": 11,
                     "titleFontSize": 12, "labelColor": "#425563", "titleColor": "#231F20",
                     "gridColor": "#E8EDEE", "domainColor": "#768692", "tickColor": "#768692"},
            "legend": {"labelFont": _FONT, "titleFont": _FONT, "labelFontSize": 11,
                       "titleFontSize": 12, "orient": "bottom"},
            "range": {"category": SITE_PALETTE},
            "line": {"strokeWidth": 2},
        }
    }


def site_colours(sites) -> alt.Scale:
    """A fixed colour per site (trust total in black) so a site keeps its colour on every chart.

    Pass every site of the data set, in a fixed order, not just those on one chart.
    """
    sites = list(dict.fromkeys(sites))
    others = [s for s in sites if s != TRUST_TOTAL]
    domain = others + ([TRUST_TOTAL] if TRUST_TOTAL in sites else [])
    colours = [SITE_PALETTE[i % len(SITE_PALETTE)] for i in range(len(others))]
    if TRUST_TOTAL in sites:
        colours.append(NHS_COLOURS["black"])
    return alt.Scale(domain=domain, range=colours)


def _date_axis(view: str) -> alt.Axis:
    fmt = {"monthly": "%b %Y", "weekly": "%d %b %Y", "hourly": "%d %b %H:%M"}.get(view, "%d %b %Y")
    return alt.Axis(title=None, format=fmt, labelAngle=0, tickCount=8)


def history_chart(frame: pd.DataFrame, *, metric: str, title: str, subtitle: str | list[str] = "",
                  view: str = "daily", log_scale: bool = False, site_order=None,
                  width: int | str = "container", height: int = 320) -> alt.Chart:
    """Line chart of one metric over time, one line per site.

    Parameters
    ----------
    frame : DataFrame
        Activity contract rows for one metric (``site, date, value``), already at the period
        wanted (see :func:`forecasting.summary.resample_activity`).
    metric : str
        Metric name, for the axis label.
    title, subtitle : str
        The message of the chart and its period or source.
    view : str
        'hourly', 'daily', 'weekly' or 'monthly'; sets the date format of the axis.
    log_scale : bool
        Plot on a log axis (useful when sites differ tenfold).
    site_order : sequence of str, optional
        Every site of the data set, so each keeps one colour across charts (default: the
        sites on this chart, sorted).
    """
    label = METRIC_LABELS.get(metric, metric.replace("_", " "))
    data = frame[["site", "date", "value"]].copy()
    scale = alt.Scale(type="log") if log_scale else alt.Scale(zero=True)
    if log_scale:
        data = data[data["value"] > 0]
    tooltip_date = "%a %d %b %Y %H:%M" if view == "hourly" else "%a %d %b %Y"
    return (
        alt.Chart(data, title=alt.Title(title, subtitle=subtitle or None))
        .mark_line()
        .encode(
            x=alt.X("date:T", axis=_date_axis(view)),
            y=alt.Y("value:Q", title=label, scale=scale),
            color=alt.Color("site:N", title="Site",
                            scale=site_colours(site_order or sorted(data["site"].unique()))),
            strokeDash=alt.condition(alt.datum.site == TRUST_TOTAL, alt.value([6, 3]), alt.value([1, 0])),
            tooltip=[alt.Tooltip("site:N", title="Site"),
                     alt.Tooltip("date:T", title="Period starting", format=tooltip_date),
                     alt.Tooltip("value:Q", title=label, format=",.0f")],
        )
        .properties(width=width, height=height)
    )


def headline_bar_chart(headlines: pd.DataFrame, *, window: int, title: str,
                       subtitle: str = "", width: int | str = "container") -> alt.Chart:
    """Change on the same period last year (%), one bar per site and metric."""
    data = headlines[headlines["window"] == window].dropna(subset=["change_pct"]).copy()
    data["label"] = data["metric"].map(lambda m: METRIC_LABELS.get(m, m))
    data["direction"] = data["change_pct"].map(lambda v: "Higher" if v >= 0 else "Lower")
    return (
        alt.Chart(data, title=alt.Title(title, subtitle=subtitle or None))
        .mark_bar()
        .encode(
            y=alt.Y("site:N", title=None, sort=None),
            x=alt.X("change_pct:Q", title="Change on the same weeks last year (%)"),
            color=alt.Color("direction:N", title=None,
                            scale=alt.Scale(domain=["Higher", "Lower"],
                                            range=[NHS_COLOURS["blue"], NHS_COLOURS["mid_grey"]])),
            row=alt.Row("label:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
            tooltip=[alt.Tooltip("site:N"), alt.Tooltip("label:N", title="Metric"),
                     alt.Tooltip("value:Q", title=f"Last {window} days", format=",.0f"),
                     alt.Tooltip("last_year:Q", title="Same weeks last year", format=",.0f"),
                     alt.Tooltip("change_pct:Q", title="Change (%)", format="+.1f")],
        )
        .properties(width=width if width != "container" else 520, height=alt.Step(18))
    )
