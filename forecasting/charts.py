"""Altair chart builders (data frame in, chart out) and the NHS identity theme."""

from __future__ import annotations

import altair as alt
import numpy as np
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


def _title(title: str, subtitle: str | list[str] = "") -> alt.Title:
    """A chart title with an optional subtitle (Altair 6 rejects subtitle=None)."""
    return alt.Title(title, subtitle=subtitle) if subtitle else alt.Title(title)


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
        alt.Chart(data, title=_title(title, subtitle))
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
        alt.Chart(data, title=_title(title, subtitle))
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


# --------------------------------------------------------------------------- forecast and accuracy
__all__ += ["BAND_COLOURS", "fan_chart", "weekly_pattern_chart", "annual_pattern_chart",
            "holiday_effects_chart", "components_chart", "backtest_chart", "coverage_chart"]

#: Prediction ranges, widest first, as (label, lower column, upper column), and their fills:
#: graded NHS blues, so the bands read as one family and never rely on hue to tell apart.
_BANDS = (("95% range", "p2.5", "p97.5"), ("80% range", "p10", "p90"), ("50% range", "p25", "p75"))
BAND_COLOURS = {"95% range": "#C8E1F4", "80% range": "#8FC1EA", "50% range": "#4B92D6"}
_ACTUAL, _FORECAST = "Actual", "Forecast (mean)"
_LINE_COLOURS = {_ACTUAL: NHS_COLOURS["black"], _FORECAST: NHS_COLOURS["dark_blue"]}
_EXCLUDED_FILL = NHS_COLOURS["pale_grey"]
_HOLIDAY_COLOUR = NHS_COLOURS["orange"]


def _key_scale(keys) -> alt.Scale:
    """One colour scale shared by every layer, so the chart has a single legend."""
    colours = {**_LINE_COLOURS, **BAND_COLOURS}
    return alt.Scale(domain=list(keys), range=[colours[k] for k in keys])


def _tooltip_format(view: str) -> str:
    return {"hourly": "%a %d %b %Y %H:%M", "weekly": "w/c %d %b %Y", "monthly": "%B %Y"}.get(
        view, "%a %d %b %Y")


def fan_chart(history: pd.DataFrame, fc: pd.DataFrame, *, metric: str, title: str,
              subtitle: str | list[str] = "", view: str = "daily",
              holidays: pd.DataFrame | None = None, excluded: pd.DataFrame | None = None,
              width: int | str = "container", height: int = 340) -> alt.LayerChart:
    """Recent actuals, then the forecast mean inside its 50, 80 and 95 % ranges.

    Parameters
    ----------
    history : DataFrame
        ``date, value``: the actuals to show before the forecast, at the period of ``view``.
    fc : DataFrame
        One series of the forecast contract (``date, mean`` and ``p2.5, p10, p25, p75, p90,
        p97.5``; ranges whose columns are missing are left out).
    metric : str
        Metric name, for the axis label.
    title, subtitle : str
        The message of the chart, and its period and source.
    view : str
        'hourly', 'daily', 'weekly' or 'monthly': the date format of the axis and tooltips.
    holidays : DataFrame, optional
        ``date, name``: bank holidays, drawn as dashed orange rules.
    excluded : DataFrame, optional
        ``start, end, label``: periods left out of fitting, shaded grey and labelled.
    """
    label = METRIC_LABELS.get(metric, metric.replace("_", " "))
    bands = [b for b in _BANDS if {b[1], b[2]} <= set(fc.columns)]
    keys = [_ACTUAL, _FORECAST] + [b[0] for b in bands]
    colour = alt.Color("key:N", title=None, scale=_key_scale(keys),
                       legend=alt.Legend(orient="bottom", symbolType="square"))
    x = alt.X("date:T", axis=_date_axis(view))
    when = _tooltip_format(view)
    layers = []
    if excluded is not None and not excluded.empty:
        shade = excluded[["start", "end", "label"]]
        base = alt.Chart(shade)
        layers.append(base.mark_rect(color=_EXCLUDED_FILL, opacity=0.8).encode(
            x="start:T", x2="end:T",
            tooltip=[alt.Tooltip("label:N", title="Left out of fitting"),
                     alt.Tooltip("start:T", title="From", format="%d %b %Y"),
                     alt.Tooltip("end:T", title="To", format="%d %b %Y")]))
        layers.append(base.mark_text(align="left", baseline="top", dx=4, dy=4, fontSize=11,
                                     color=NHS_COLOURS["dark_grey"]).encode(
            x="start:T", y=alt.value(0), text="label:N"))
    # Vega-Lite reads a dot in a field name as a nested field, so 'p2.5' becomes 'p2_5'
    safe = {c: c.replace(".", "_") for b in bands for c in b[1:]}
    data = fc[["date", "mean"] + list(safe)].rename(columns=safe)
    for name, lo, hi in bands:
        layers.append(alt.Chart(data).mark_area(opacity=1).transform_calculate(key=f"'{name}'")
                      .encode(x=x, y=alt.Y(f"{safe[lo]}:Q", title=label, scale=alt.Scale(zero=True)),
                              y2=alt.Y2(f"{safe[hi]}:Q"), color=colour))
    hist = history[["date", "value"]]
    layers.append(alt.Chart(hist).mark_line(strokeWidth=1.5).transform_calculate(key=f"'{_ACTUAL}'")
                  .encode(x=x, y=alt.Y("value:Q", title=label), color=colour,
                          tooltip=[alt.Tooltip("date:T", title="Date", format=when),
                                   alt.Tooltip("value:Q", title="Actual", format=",.0f")]))
    tips = [alt.Tooltip("date:T", title="Date", format=when),
            alt.Tooltip("mean:Q", title="Expected", format=",.0f")]
    tips += [alt.Tooltip(f"{safe[c]}:Q", title=f"{name} {end}", format=",.0f")
             for name, lo, hi in reversed(bands) for c, end in ((lo, "from"), (hi, "to"))]
    layers.append(alt.Chart(data).mark_line(strokeWidth=2).transform_calculate(key=f"'{_FORECAST}'")
                  .encode(x=x, y=alt.Y("mean:Q", title=label), color=colour, tooltip=tips))
    # an invisible point per period, so the tooltip follows the mouse along the forecast
    layers.append(alt.Chart(data).mark_point(opacity=0, size=60, filled=True)
                  .encode(x=x, y="mean:Q", tooltip=tips))
    if holidays is not None and not holidays.empty:
        layers.append(alt.Chart(holidays[["date", "name"]]).mark_rule(
            color=_HOLIDAY_COLOUR, strokeDash=[4, 3], strokeWidth=1.5).encode(
            x="date:T", tooltip=[alt.Tooltip("name:N", title="Bank holiday"),
                                 alt.Tooltip("date:T", title="Date", format="%a %d %b %Y")]))
    return (alt.layer(*layers, title=_title(title, subtitle))
            .properties(width=width, height=height))


def _effect_colour() -> alt.Color:
    return alt.Color("direction:N", title=None, legend=None,
                     scale=alt.Scale(domain=["Above average", "Below average"],
                                     range=[NHS_COLOURS["blue"], NHS_COLOURS["mid_grey"]]))


def _with_direction(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(direction=frame["effect_pct"].map(
        lambda v: "Above average" if v >= 0 else "Below average"))


def weekly_pattern_chart(weekly: pd.DataFrame, *, title: str = "Day of the week",
                         subtitle: str | list[str] = "", width: int | str = "container",
                         height: int = 240) -> alt.LayerChart:
    """Bars: how much busier (or quieter) each weekday is than the average day, in %."""
    data = _with_direction(weekly[["day", "effect_pct"]])
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("day:N", sort=list(data["day"]), title=None, axis=alt.Axis(labelAngle=0,
                                                                           labelExpr="slice(datum.label, 0, 3)")),
        y=alt.Y("effect_pct:Q", title="% above or below average"),
        color=_effect_colour(),
        tooltip=[alt.Tooltip("day:N", title="Day"),
                 alt.Tooltip("effect_pct:Q", title="Effect (%)", format="+.1f")])
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color=NHS_COLOURS["dark_grey"]).encode(y="y:Q")
    return alt.layer(bars, zero, title=_title(title, subtitle)).properties(
        width=width, height=height)


def annual_pattern_chart(annual: pd.DataFrame, *, title: str = "Time of year",
                         subtitle: str | list[str] = "", width: int | str = "container",
                         height: int = 240) -> alt.LayerChart:
    """Line over a reference year: the seasonal swing against the yearly average, in %."""
    data = annual[["date", "effect_pct"]]
    line = alt.Chart(data).mark_line(color=NHS_COLOURS["blue"]).encode(
        x=alt.X("date:T", title=None, axis=alt.Axis(format="%b", labelAngle=0, tickCount=12)),
        y=alt.Y("effect_pct:Q", title="% above or below average"),
        tooltip=[alt.Tooltip("date:T", title="Day of year", format="%d %B"),
                 alt.Tooltip("effect_pct:Q", title="Effect (%)", format="+.1f")])
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color=NHS_COLOURS["dark_grey"]).encode(y="y:Q")
    return alt.layer(line, zero, title=_title(title, subtitle)).properties(
        width=width, height=height)


def holiday_effects_chart(holidays: pd.DataFrame, *, title: str = "Bank holidays and Christmas",
                          subtitle: str | list[str] = "", width: int | str = "container",
                          height: int | None = None) -> alt.LayerChart:
    """Horizontal bars: the effect of each holiday term on the day's figure, in %."""
    data = _with_direction(holidays[["holiday", "effect_pct"]])
    bars = alt.Chart(data).mark_bar().encode(
        y=alt.Y("holiday:N", sort=None, title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("effect_pct:Q", title="% above or below a normal day"),
        color=_effect_colour(),
        tooltip=[alt.Tooltip("holiday:N", title="Day"),
                 alt.Tooltip("effect_pct:Q", title="Effect (%)", format="+.1f")])
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color=NHS_COLOURS["dark_grey"]).encode(x="x:Q")
    return alt.layer(bars, zero, title=_title(title, subtitle)).properties(
        width=width, height=height if height is not None else alt.Step(24))


def components_chart(patterns: dict[str, pd.DataFrame], *, title: str = "",
                     subtitle: str | list[str] = "", width: int = 300) -> alt.HConcatChart | None:
    """The weekly, annual and holiday patterns side by side (for export; the app lays them out itself).

    ``patterns`` is the dict of :func:`forecasting.forecast.patterns`; parts it lacks are left
    out, and None is returned when it has none.
    """
    parts = []
    if patterns.get("weekly") is not None and not patterns["weekly"].empty:
        parts.append(weekly_pattern_chart(patterns["weekly"], width=width))
    if patterns.get("annual") is not None and not patterns["annual"].empty:
        parts.append(annual_pattern_chart(patterns["annual"], width=width))
    if patterns.get("holidays") is not None and not patterns["holidays"].empty:
        parts.append(holiday_effects_chart(patterns["holidays"], width=width))
    if not parts:
        return None
    return alt.hconcat(*parts, title=_title(title, subtitle) if title else alt.Undefined)


def backtest_chart(bt: pd.DataFrame, *, metric: str, title: str, subtitle: str | list[str] = "",
                   view: str = "daily", width: int | str = "container",
                   height: int = 320) -> alt.LayerChart:
    """What happened against what was forecast from each backtest origin, with the 80 % range.

    ``bt`` is the backtest contract for one site, metric and model (``date, cutoff, mean,
    p10, p90, actual``); each origin's forecast is drawn as its own line and band.
    """
    label = METRIC_LABELS.get(metric, metric.replace("_", " "))
    keys = [_ACTUAL, _FORECAST] + (["80% range"] if {"p10", "p90"} <= set(bt.columns) else [])
    colour = alt.Color("key:N", title=None, scale=_key_scale(keys),
                       legend=alt.Legend(orient="bottom", symbolType="square"))
    x = alt.X("date:T", axis=_date_axis(view))
    when = _tooltip_format(view)
    cols = ["date", "cutoff", "h", "mean", "actual"] + (["p10", "p90"] if "80% range" in keys else [])
    data = bt[cols]
    actual = data.groupby("date", as_index=False)["actual"].mean().dropna()
    layers = []
    if "80% range" in keys:
        layers.append(alt.Chart(data).mark_area(opacity=0.8).transform_calculate(key="'80% range'")
                      .encode(x=x, y=alt.Y("p10:Q", title=label, scale=alt.Scale(zero=False)),
                              y2="p90:Q", detail="cutoff:T", color=colour))
    layers.append(alt.Chart(data).mark_line(strokeWidth=1.8).transform_calculate(key=f"'{_FORECAST}'")
                  .encode(x=x, y=alt.Y("mean:Q", title=label), detail="cutoff:T", color=colour,
                          tooltip=[alt.Tooltip("date:T", title="Date", format=when),
                                   alt.Tooltip("cutoff:T", title="Forecast made with data to",
                                               format="%d %b %Y"),
                                   alt.Tooltip("h:Q", title="Periods ahead"),
                                   alt.Tooltip("mean:Q", title="Forecast", format=",.0f"),
                                   alt.Tooltip("actual:Q", title="Actual", format=",.0f")]))
    layers.append(alt.Chart(actual).mark_line(strokeWidth=1.2).transform_calculate(key=f"'{_ACTUAL}'")
                  .encode(x=x, y=alt.Y("actual:Q", title=label), color=colour,
                          tooltip=[alt.Tooltip("date:T", title="Date", format=when),
                                   alt.Tooltip("actual:Q", title="Actual", format=",.0f")]))
    return (alt.layer(*layers, title=_title(title, subtitle))
            .properties(width=width, height=height))


def coverage_chart(metrics: pd.DataFrame, *, title: str, subtitle: str | list[str] = "",
                   model_labels: dict[str, str] | None = None, width: int | str = "container",
                   height: int | None = None) -> alt.LayerChart:
    """How often the 80 % and 95 % ranges held the actual, per model, against the nominal level.

    ``metrics`` is :func:`forecasting.metrics.evaluate` output for one site and metric
    (``model, coverage_80, coverage_95``). Each range has its own colour and shape, and its
    target is a dashed line in the same colour, so colour is never the only cue.
    """
    labels = model_labels or {}
    rows = []
    for _, r in metrics.iterrows():
        for level in (80, 95):
            value = r.get(f"coverage_{level}")
            if pd.notna(value):
                rows.append({"model": labels.get(r["model"], r["model"]), "range": f"{level}% range",
                             "coverage": 100 * float(value), "nominal": float(level)})
    data = pd.DataFrame(rows, columns=["model", "range", "coverage", "nominal"])
    domain = ["80% range", "95% range"]
    colour = alt.Color("range:N", title=None, scale=alt.Scale(
        domain=domain, range=[NHS_COLOURS["blue"], NHS_COLOURS["orange"]]),
        legend=alt.Legend(orient="bottom"))
    shape = alt.Shape("range:N", title=None, scale=alt.Scale(domain=domain, range=["circle", "diamond"]))
    low = min([50.0] + [5 * np.floor((v - 5) / 5) for v in data["coverage"]])
    x_scale = alt.Scale(domain=[max(low, 0.0), 100.0], zero=False)
    x = alt.X("coverage:Q", title="Actuals inside the range (%)", scale=x_scale)
    targets = pd.DataFrame({"range": domain, "nominal": [80.0, 95.0],
                            "text": ["80% target", "95% target"]})
    rules = alt.Chart(targets).mark_rule(strokeDash=[5, 3], strokeWidth=1.5).encode(
        x=alt.X("nominal:Q", scale=x_scale, title="Actuals inside the range (%)"), color=colour)
    # the target labels sit just above the plot, clear of the points (the title leaves room)
    notes = alt.Chart(targets).mark_text(align="center", baseline="bottom", dy=-4,
                                         fontSize=11).encode(
        x=alt.X("nominal:Q", scale=x_scale), y=alt.value(0), text="text:N", color=colour)
    points = alt.Chart(data).mark_point(size=140, filled=True, opacity=1).encode(
        x=x, y=alt.Y("model:N", title=None, sort=None, axis=alt.Axis(labelLimit=260)),
        color=colour, shape=shape,
        tooltip=[alt.Tooltip("model:N", title="Model"), alt.Tooltip("range:N", title="Range"),
                 alt.Tooltip("coverage:Q", title="Actuals inside (%)", format=".0f"),
                 alt.Tooltip("nominal:Q", title="Target (%)", format=".0f")])
    heading = _title(title, subtitle)
    heading.offset = 22
    # a step per model row: a fixed total height would be squeezed by the title in Streamlit
    return (alt.layer(rules, notes, points, title=heading)
            .properties(width=width, height=height if height is not None else alt.Step(40)))


# --------------------------------------------------------------------------- capacity charts
__all__ += ["occupancy_chart", "staffing_heatmap_chart", "scenario_occupancy_chart"]

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: Bed lines: label -> (colour, dash); each has its own dash so colour is never the only cue.
_BED_LINES = {
    "Core beds": (NHS_COLOURS["black"], [1, 0]),
    "Core + escalation beds": (NHS_COLOURS["dark_grey"], [8, 4]),
    "Planning ceiling": (NHS_COLOURS["orange"], [3, 3]),
}


def occupancy_chart(occupancy: pd.DataFrame, *, history: pd.DataFrame | None = None, title: str,
                    subtitle: str | list[str] = "", target: float = 0.92,
                    width: int | str = "container", height: int = 340) -> alt.LayerChart:
    """Occupied beds ahead (mean inside its 50, 80 and 95 % ranges) against the bed base.

    Parameters
    ----------
    occupancy : DataFrame
        One site of :func:`forecasting.capacity.beds.bed_occupancy` merged with the bed base:
        ``date, mean, p2.5, p10, p25, p75, p90, p97.5, core_beds, escalation_beds``.
    history : DataFrame, optional
        ``date, value``: recent midnight census actuals, drawn before the forecast.
    target : float
        Planning ceiling as a share of core beds (0.92 = 92 %), drawn as a dotted line.
    """
    bands = [b for b in _BANDS if {b[1], b[2]} <= set(occupancy.columns)]
    safe = {c: c.replace(".", "_") for b in bands for c in b[1:]}
    data = occupancy[["date", "mean", "core_beds", "escalation_beds"] + list(safe)].rename(columns=safe)
    keys = ([_ACTUAL] if history is not None and not history.empty else []) + [_FORECAST]
    keys += [b[0] for b in bands]
    colour = alt.Color("key:N", title=None, scale=_key_scale(keys),
                       legend=alt.Legend(orient="bottom", symbolType="square"))
    x = alt.X("date:T", axis=_date_axis("daily"))
    y_title = "Occupied beds (midnight census)"
    layers = []
    for name, lo, hi in bands:
        layers.append(alt.Chart(data).mark_area(opacity=1).transform_calculate(key=f"'{name}'")
                      .encode(x=x, y=alt.Y(f"{safe[lo]}:Q", title=y_title, scale=alt.Scale(zero=False)),
                              y2=alt.Y2(f"{safe[hi]}:Q"), color=colour))
    if history is not None and not history.empty:
        layers.append(alt.Chart(history[["date", "value"]]).mark_line(strokeWidth=1.5)
                      .transform_calculate(key=f"'{_ACTUAL}'")
                      .encode(x=x, y=alt.Y("value:Q", title=y_title), color=colour,
                              tooltip=[alt.Tooltip("date:T", title="Date", format="%a %d %b %Y"),
                                       alt.Tooltip("value:Q", title="Occupied (actual)", format=",.0f")]))
    tips = [alt.Tooltip("date:T", title="Date", format="%a %d %b %Y"),
            alt.Tooltip("mean:Q", title="Expected occupied", format=",.0f")]
    tips += [alt.Tooltip(f"{safe[c]}:Q", title=f"{name} {end}", format=",.0f")
             for name, lo, hi in reversed(bands) for c, end in ((lo, "from"), (hi, "to"))]
    tips += [alt.Tooltip("core_beds:Q", title="Core beds", format=",.0f"),
             alt.Tooltip("escalation_beds:Q", title="Escalation beds", format=",.0f")]
    layers.append(alt.Chart(data).mark_line(strokeWidth=2).transform_calculate(key=f"'{_FORECAST}'")
                  .encode(x=x, y=alt.Y("mean:Q", title=y_title), color=colour, tooltip=tips))
    lines = pd.concat([
        pd.DataFrame({"date": data["date"], "beds": data["core_beds"], "line": "Core beds"}),
        pd.DataFrame({"date": data["date"], "beds": data["core_beds"] + data["escalation_beds"],
                      "line": "Core + escalation beds"}),
        pd.DataFrame({"date": data["date"], "beds": data["core_beds"] * target,
                      "line": "Planning ceiling"}),
    ], ignore_index=True)
    names = list(_BED_LINES)
    ceiling = f"{target * 100:g}% of core beds"
    lines["line"] = lines["line"].replace({"Planning ceiling": ceiling})
    names[2] = ceiling
    layers.append(alt.Chart(lines).mark_line(strokeWidth=1.8, interpolate="step-after").encode(
        x=x, y=alt.Y("beds:Q", title=y_title),
        strokeDash=alt.StrokeDash("line:N", title=None, scale=alt.Scale(
            domain=names, range=[v[1] for v in _BED_LINES.values()]), legend=alt.Legend(orient="bottom")),
        color=alt.value(NHS_COLOURS["black"]),
        detail="line:N",
        tooltip=[alt.Tooltip("line:N", title="Line"), alt.Tooltip("date:T", title="Date", format="%d %b %Y"),
                 alt.Tooltip("beds:Q", title="Beds", format=",.0f")]))
    layers.append(alt.Chart(data).mark_point(opacity=0, size=60, filled=True)
                  .encode(x=x, y="mean:Q", tooltip=tips))
    return (alt.layer(*layers, title=_title(title, subtitle))
            .properties(width=width, height=height))


def staffing_heatmap_chart(heat: pd.DataFrame, *, title: str, subtitle: str | list[str] = "",
                           value: str = "gap", top: float | None = None, width: int | str = "container",
                           row_height: int = 28) -> alt.LayerChart:
    """Hour x weekday grid of staff short (orange) or spare (blue) for one site and role.

    ``heat`` is :func:`forecasting.capacity.workforce.gap_heatmap` output for one site and role
    (``weekday, hour, required, rostered, gap``). Each cell also prints its gap, so the chart
    reads without colour. ``top`` fixes the colour scale (e.g. the same for every role).
    """
    data = heat.assign(weekday=heat["weekday"].astype(str),
                       label=heat[value].round(0).astype(int).map(lambda v: f"{v:+d}" if v else "0"))
    top = top or max(1.0, float(data[value].abs().max()))
    colour = alt.Color(f"{value}:Q", title="Staff short (+) or spare (-), average",
                       scale=alt.Scale(domain=[-top, 0, top], interpolate="rgb",
                                       range=[NHS_COLOURS["blue"], "#FFFFFF", NHS_COLOURS["orange"]]),
                       legend=alt.Legend(orient="bottom", gradientLength=240, titleLimit=400))
    base = alt.Chart(data).encode(
        x=alt.X("hour:O", title="Hour of day (shift hour starting)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("weekday:N", sort=list(_WEEKDAYS), title=None,
                axis=alt.Axis(labelExpr="slice(datum.label, 0, 3)")))
    cells = base.mark_rect(stroke="#FFFFFF", strokeWidth=0.5).encode(
        color=colour,
        tooltip=[alt.Tooltip("weekday:N", title="Day"), alt.Tooltip("hour:O", title="Hour"),
                 alt.Tooltip("required:Q", title="Required (average)", format=".1f"),
                 alt.Tooltip("rostered:Q", title="Rostered", format=".0f"),
                 alt.Tooltip("gap:Q", title="Short (+) / spare (-)", format="+.1f")])
    text = base.mark_text(fontSize=10, color=NHS_COLOURS["black"]).encode(text="label:N")
    # a step per weekday row: a fixed height is squeezed when Streamlit stretches the width
    return (alt.layer(cells, text, title=_title(title, subtitle))
            .properties(width=width, height=alt.Step(row_height)))


def scenario_occupancy_chart(frame: pd.DataFrame, *, title: str, subtitle: str | list[str] = "",
                             width: int | str = "container", height: int = 320) -> alt.Chart:
    """Expected occupied beds per scenario over time; baseline solid, others dashed."""
    names = list(dict.fromkeys(frame["scenario"]))
    dashes = [[1, 0], [8, 4], [3, 3], [10, 3, 2, 3], [2, 2]]
    colours = [NHS_COLOURS["black"]] + SITE_PALETTE
    return (alt.Chart(frame[["scenario", "date", "mean"]], title=_title(title, subtitle))
            .mark_line(strokeWidth=2)
            .encode(x=alt.X("date:T", axis=_date_axis("daily")),
                    y=alt.Y("mean:Q", title="Expected occupied beds", scale=alt.Scale(zero=False)),
                    color=alt.Color("scenario:N", title=None, scale=alt.Scale(
                        domain=names, range=colours[:len(names)]), legend=alt.Legend(orient="bottom")),
                    strokeDash=alt.StrokeDash("scenario:N", title=None, scale=alt.Scale(
                        domain=names, range=dashes[:len(names)])),
                    tooltip=[alt.Tooltip("scenario:N", title="Scenario"),
                             alt.Tooltip("date:T", title="Date", format="%a %d %b %Y"),
                             alt.Tooltip("mean:Q", title="Expected occupied beds", format=",.0f")])
            .properties(width=width, height=height))


# --------------------------------------------------------------------------- footnotes
__all__ += ["footnote_text", "with_footnote"]


def footnote_text(*, source: str, data_through=None, model: str = "", generated_at=None) -> str:
    """The provenance line printed under a chart: source, data through, model and when made.

    Parameters
    ----------
    source : str
        Where the data came from, e.g. 'bundled synthetic sample' or a file name.
    data_through : date-like, optional
        The last day of actual data behind the chart.
    model : str
        The forecast model(s), left out when empty (e.g. for charts of actuals only).
    generated_at : datetime-like, optional
        When the chart was made.

    Returns
    -------
    str
        e.g. 'Source: bundled sample · Data through 31 Oct 2025 · Model: count regression ·
        Generated 29 Nov 2025 09:30'.
    """
    parts = [f"Source: {source}"]
    if data_through is not None:
        parts.append(f"Data through {pd.Timestamp(data_through):%d %b %Y}")
    if model:
        parts.append(f"Model: {model}")
    if generated_at is not None:
        parts.append(f"Generated {pd.Timestamp(generated_at):%d %b %Y %H:%M}")
    return " · ".join(parts)


def with_footnote(chart, text: str | list[str]) -> alt.VConcatChart:
    """The chart with a small grey footnote under it (source, data through, model, generated).

    The chart keeps its own title; it is wrapped in a one-item vertical concatenation whose
    bottom title is the footnote, as :func:`forecasting.spc_charts.spc_chart` does. An empty
    ``text`` returns the chart unchanged.
    """
    if not text:
        return chart
    return alt.vconcat(chart, title=alt.Title(text, orient="bottom", anchor="start", fontSize=10,
                                              fontWeight="normal", color=NHS_COLOURS["dark_grey"]))
