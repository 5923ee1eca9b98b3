"""Altair builder for Making Data Count SPC charts (one series, or small multiples by site)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .charts import NHS_COLOURS  # importing charts also registers and enables the NHS theme
from .schema import METRIC_LABELS
from .spc import (COMMON, CONCERN, IMPROVEMENT, NEITHER, VARIATION_COLOURS, SPCError, SPCResult,
                  assurance_icon_svg, svg_data_uri, variation_icon_svg)

__all__ = ["VARIATION_LEGEND", "TARGET_COLOUR", "spc_chart"]

#: Legend labels of the point colours, in reading order.
VARIATION_LEGEND = {COMMON: "Common cause", IMPROVEMENT: "Special cause improvement",
                    CONCERN: "Special cause concern", NEITHER: "Special cause (neither)"}
#: The target line: NHS dark pink and dotted, so it is told apart by dash as well as hue.
TARGET_COLOUR = NHS_COLOURS["dark_pink"]
_LIMIT_COLOUR = NHS_COLOURS["mid_grey"]
_LINE_COLOUR = NHS_COLOURS["dark_grey"]
_MEAN_COLOUR = NHS_COLOURS["black"]
_ICON_SIZE = 30
_DATE_FORMATS = {"monthly": "%b %Y", "weekly": "%d %b %Y", "hourly": "%d %b %H:%M"}


def _title(title: str, subtitle: str | list[str] = "") -> alt.Title:
    # Altair 6 rejects subtitle=None, so leave it out when there is none
    return alt.Title(title, subtitle=subtitle) if subtitle else alt.Title(title)


def _chart_data(result: SPCResult | pd.DataFrame, metric: str | None,
                sites) -> tuple[pd.DataFrame, str, list[str]]:
    """The points of one metric with legend labels and icon URIs on each series' latest point."""
    points = result.points if isinstance(result, SPCResult) else result
    summary = result.summary if isinstance(result, SPCResult) else None
    if metric is not None:
        points = points[points["metric"] == metric]
    metrics = list(dict.fromkeys(points["metric"]))
    if len(metrics) != 1:
        raise SPCError(f"An SPC chart shows one measure; pass metric= (one of {metrics})."
                       if metrics else f"No SPC points for metric {metric!r}.")
    site_order = list(sites) if sites is not None else list(dict.fromkeys(points["site"]))
    points = points[points["site"].isin(site_order)]
    cols = ["site", "date", "value", "mean", "lower_limit", "upper_limit", "target", "period",
            "variation", "is_latest"]
    data = points[cols].copy().reset_index(drop=True)
    data["variation"] = data["variation"].map(VARIATION_LEGEND)
    data = _label_positions(data)
    data["variation_icon_uri"] = [svg_data_uri(variation_icon_svg(k)) if latest else None
                                  for k, latest in zip(points["variation_icon"],
                                                       points["is_latest"])]
    assurance = ({} if summary is None else
                 dict(zip(zip(summary["site"], summary["metric"]), summary["assurance"])))
    data["assurance_icon_uri"] = [
        svg_data_uri(assurance_icon_svg(assurance.get((s, metrics[0]), "none")))
        if latest and assurance.get((s, metrics[0]), "none") != "none" else None
        for s, latest in zip(points["site"], points["is_latest"])]
    return data, metrics[0], site_order


#: The lines labelled at the right-hand end of a chart, bottom to top when they are level.
_LABELS = {"lower_limit": "Lower limit", "mean": "Mean", "target": "Target", "upper_limit": "Upper limit"}
# labels closer than this share of a panel's height are moved apart (about 1.5 lines of text
# on a 300-pixel chart)
_LABEL_GAP = 0.075


def _label_positions(data: pd.DataFrame) -> pd.DataFrame:
    """Where each right-hand label sits, moved apart so none overlaps another.

    For each site's latest point: the labels of the mean, limits and target in order of their
    level, each at least ``_LABEL_GAP`` of the panel's span above the one below, then the
    group moved back so its centre stays where the lines are. Adds ``label_y__<line>`` and
    ``label_text__<line>`` columns (empty on other rows).
    """
    for key in _LABELS:
        data[f"label_y__{key}"] = np.nan
        data[f"label_text__{key}"] = None
    for site, panel in data.groupby("site", sort=False):
        values = panel[["value", *_LABELS]].to_numpy(float)
        if not np.isfinite(values).any():
            continue
        span = float(np.nanmax(values) - np.nanmin(values)) or 1.0
        for idx in panel.index[panel["is_latest"].to_numpy(bool)]:
            levels = sorted((float(data.at[idx, k]), k) for k in _LABELS if pd.notna(data.at[idx, k]))
            placed = []
            for level, _ in levels:
                placed.append(level if not placed else max(level, placed[-1] + _LABEL_GAP * span))
            shift = (sum(placed) - sum(lv for lv, _ in levels)) / max(len(levels), 1)
            for (level, key), y in zip(levels, placed):
                data.at[idx, f"label_y__{key}"] = y - shift
                data.at[idx, f"label_text__{key}"] = f"{_LABELS[key]} {level:,.1f}"
    return data


def _layers(data: pd.DataFrame, *, y_title: str, view: str, icons: bool) -> list[alt.Chart]:
    x = alt.X("date:T", title=None, axis=alt.Axis(format=_DATE_FORMATS.get(view, "%d %b %Y"),
                                                  labelAngle=0, tickCount=8))

    def y(field: str) -> alt.Y:
        # the same title on every layer, so Vega-Lite does not join the field names
        return alt.Y(f"{field}:Q", title=y_title, scale=alt.Scale(zero=False))

    base = alt.Chart()
    layers = [
        base.mark_line(color=_LINE_COLOUR, strokeWidth=1.5).encode(x=x, y=y("value")),
        base.mark_line(color=_MEAN_COLOUR, strokeWidth=1.5).encode(
            x=x, y=y("mean"), detail="period:N"),
        base.mark_line(color=_LIMIT_COLOUR, strokeWidth=1.5, strokeDash=[6, 4]).encode(
            x=x, y=y("upper_limit"), detail="period:N"),
        base.mark_line(color=_LIMIT_COLOUR, strokeWidth=1.5, strokeDash=[6, 4]).encode(
            x=x, y=y("lower_limit"), detail="period:N"),
    ]
    if data["target"].notna().any():
        layers.append(base.mark_line(color=TARGET_COLOUR, strokeWidth=2, strokeDash=[2, 3])
                      .encode(x=x, y=y("target")))
    # labels at the right-hand end, placed apart in _label_positions
    layers.append(
        base.mark_text(align="left", dx=6, fontSize=10, color=_LINE_COLOUR)
        .transform_filter("datum.is_latest")
        .transform_fold([f"label_y__{k}" for k in _LABELS], as_=["line", "level"])
        .transform_filter("isValid(datum.level)")
        .transform_calculate(label="datum['label_text__' + slice(datum.line, 9)]")
        .encode(x=x, y=alt.Y("level:Q", title=y_title), text="label:N"))
    legend = list(VARIATION_LEGEND.values())
    colours = [VARIATION_COLOURS[k] for k in VARIATION_LEGEND]
    layers.append(
        base.mark_circle(size=45, opacity=1).encode(
            x=x, y=y("value"),
            color=alt.Color("variation:N", title="Variation",
                            scale=alt.Scale(domain=legend, range=colours)),
            tooltip=[alt.Tooltip("site:N", title="Site"),
                     alt.Tooltip("date:T", title="Period starting", format="%a %d %b %Y"),
                     alt.Tooltip("value:Q", title=y_title, format=",.1f"),
                     alt.Tooltip("variation:N", title="Variation"),
                     alt.Tooltip("mean:Q", title="Mean", format=",.1f"),
                     alt.Tooltip("lower_limit:Q", title="Lower limit", format=",.1f"),
                     alt.Tooltip("upper_limit:Q", title="Upper limit", format=",.1f")]))
    if icons:
        # above the top right corner of each panel, clear of the data: variation, then
        # assurance (when there is a target)
        for field, offset in (("variation_icon_uri", -1.7 * _ICON_SIZE),
                              ("assurance_icon_uri", -0.5 * _ICON_SIZE)):
            layers.append(
                base.mark_image(width=_ICON_SIZE, height=_ICON_SIZE, xOffset=offset,
                                yOffset=-0.5 * _ICON_SIZE - 4)
                .transform_filter(f"datum.is_latest && isValid(datum.{field})")
                .encode(x=alt.value("width"), y=alt.value(0), url=f"{field}:N"))
    return layers


def spc_chart(result: SPCResult | pd.DataFrame, *, title: str, subtitle: str | list[str] = "",
              footnote: str | list[str] = "", metric: str | None = None, sites=None,
              y_title: str | None = None, view: str = "daily", columns: int = 2,
              width: int | str | None = None, height: int | None = None,
              icons: bool = True) -> alt.TopLevelMixin:
    """Making Data Count XmR chart: values, mean, dashed process limits, target and icons.

    Parameters
    ----------
    result : SPCResult or DataFrame
        From :func:`forecasting.spc.xmr` (or its ``points`` frame, then without assurance icons).
    title, subtitle : str
        The message of the chart, and its period.
    footnote : str or list of str
        Source, data-through date and generation date, printed under the chart.
    metric : str, optional
        The measure to chart when the result holds several.
    sites : sequence of str, optional
        Sites to show, in this order (default: all, in the order of the data). More than one
        gives small multiples, one panel per site, each with its own y scale.
    y_title : str, optional
        Axis title (default: the metric's label).
    view : str
        'hourly', 'daily', 'weekly' or 'monthly': the date format of the axis.
    columns : int
        Panels per row for small multiples.
    width, height : int
        Size of the chart, or of each panel (default 640 x 300 alone, 320 x 220 per panel).
    icons : bool
        Draw the variation icon of the latest point and the assurance icon at the top right.

    Returns
    -------
    alt.LayerChart, alt.FacetChart or alt.VConcatChart
        A layer chart for one site, a facet chart for several; wrapped in a one-item vertical
        concatenation whose bottom title is the footnote when one is given.

    Raises
    ------
    SPCError
        The result holds several measures and ``metric`` was not given.
    """
    data, metric, site_order = _chart_data(result, metric, sites)
    y_title = y_title or METRIC_LABELS.get(metric, metric.replace("_", " ") or "Value")
    layers = _layers(data, y_title=y_title, view=view, icons=icons)
    if len(site_order) > 1:
        chart = (alt.layer(*layers, data=data)
                 .properties(width=width or 320, height=height or 220)
                 .facet(facet=alt.Facet("site:N", title=None, sort=site_order,
                                        header=alt.Header(labelAnchor="start", labelFontSize=13,
                                                          labelFontWeight="bold",
                                                          labelColor=NHS_COLOURS["black"])),
                        columns=columns, spacing=_ICON_SIZE + 24,
                        title=_title(title, subtitle))
                 .resolve_scale(y="independent"))
    else:
        chart = alt.layer(*layers, data=data, title=_title(title, subtitle)).properties(
            width=width or 640, height=height or 300)
    if footnote:
        chart = alt.vconcat(chart, title=alt.Title(footnote, orient="bottom", anchor="start",
                                                   fontSize=10, fontWeight="normal",
                                                   color=NHS_COLOURS["dark_grey"]))
    return chart
