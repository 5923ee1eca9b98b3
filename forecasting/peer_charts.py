"""Altair builders for peer benchmarking: the funnel plot and the ranked bar of one measure."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .charts import NHS_COLOURS

__all__ = ["funnel_chart", "peer_bar_chart"]


def _title(title: str, subtitle: str | list[str] = "", **kwargs) -> alt.Title:
    # Altair 6 rejects subtitle=None, so leave it out when there is none
    return alt.Title(title, subtitle=subtitle, **kwargs) if subtitle else alt.Title(title, **kwargs)


def funnel_chart(points: pd.DataFrame, limits: pd.DataFrame, pooled: float, *, trust: str, title: str,
                 subtitle: str | list[str] = "", y_title: str = "Seen within 4 hours",
                 width: int | str = "container", height: int = 360) -> alt.LayerChart:
    """Rates against volume with the pooled rate and 95 % / 99.8 % funnel limits; the trust is a black diamond.

    ``points`` and ``limits`` come from :func:`forecasting.peers.funnel_points`. Each limit pair
    has its own dash and every provider its own label, so the chart reads without colour.
    """
    lim = pd.DataFrame(limits).melt(id_vars="n", var_name="limit", value_name="rate")
    lim["band"] = lim["limit"].str.replace(r"^(lower|upper)_", "", regex=True) + "% limits"
    lim["side"] = lim["limit"].str.split("_").str[0]
    bands = sorted(lim["band"].unique(), key=lambda b: float(b.split("%")[0]))
    x = alt.X("n:Q", title="Attendances in the period",
              scale=alt.Scale(type="log", zero=False, nice=False, domain=[float(lim["n"].min()), float(lim["n"].max())]),
              axis=alt.Axis(format="~s", tickCount=6))
    y = alt.Y("rate:Q", title=y_title, axis=alt.Axis(format="%"), scale=alt.Scale(zero=False))
    lines = alt.Chart(lim).mark_line(strokeWidth=1.4, color=NHS_COLOURS["dark_grey"]).encode(
        x=x, y=y, detail="limit:N",
        strokeDash=alt.StrokeDash("band:N", title=None, scale=alt.Scale(domain=bands, range=[[6, 3], [2, 2]]),
                                  legend=alt.Legend(orient="bottom")))
    mean = alt.Chart(pd.DataFrame({"rate": [pooled]})).mark_rule(color=NHS_COLOURS["black"]).encode(
        y="rate:Q")
    data = points.assign(who=points["site"].eq(trust).map({True: trust, False: "Peers"}))
    data.attrs = {}
    dots = alt.Chart(data).mark_point(filled=True, size=90, opacity=1).encode(
        x=x, y=y,
        shape=alt.Shape("who:N", title=None, scale=alt.Scale(domain=[trust, "Peers"], range=["diamond", "circle"])),
        color=alt.Color("who:N", title=None, scale=alt.Scale(domain=[trust, "Peers"],
                                                             range=[NHS_COLOURS["black"], NHS_COLOURS["blue"]])),
        size=alt.condition(alt.datum.who == trust, alt.value(200), alt.value(80)),
        tooltip=[alt.Tooltip("site:N", title="Provider"), alt.Tooltip("n:Q", title="Attendances", format=",.0f"),
                 alt.Tooltip("rate:Q", title=y_title, format=".1%"),
                 alt.Tooltip("position:N", title="Against the 99.8% limits")])
    labels = alt.Chart(data).mark_text(align="left", dx=7, dy=-6, fontSize=10,
                                       color=NHS_COLOURS["dark_grey"]).encode(x=x, y=y, text="site:N")
    return (alt.layer(lines, mean, dots, labels, title=_title(title, subtitle))
            .properties(width=width, height=height))


def peer_bar_chart(measures: pd.DataFrame, *, measure: str, trust: str, title: str, label: str,
                   subtitle: str | list[str] = "", fmt: str = ".1%", rules: dict | None = None,
                   width: int | str = "container", height: int | None = None) -> alt.LayerChart:
    """One bar per provider, best first, the trust in black; optional reference lines (e.g. 78 % and 95 %)."""
    data = measures[["site", measure]].dropna().rename(columns={measure: "value"})
    data.attrs = {}  # the measures' period (timestamps) is not chart data
    data["who"] = data["site"].eq(trust).map({True: trust, False: "Peers"})
    low = min([data["value"].min()] + list((rules or {}).values()))
    scale = alt.Scale(domain=[max(0.0, np.floor(low * 20) / 20 - 0.05), 1.0]) if fmt.endswith("%") else alt.Scale()
    bars = alt.Chart(data).mark_bar(clip=True).encode(
        y=alt.Y("site:N", sort="-x", title=None, axis=alt.Axis(labelLimit=300)),
        x=alt.X("value:Q", title=label, scale=scale, axis=alt.Axis(format=fmt.replace(",", ""), labelFlush=True)),
        color=alt.Color("who:N", title=None, scale=alt.Scale(domain=[trust, "Peers"],
                                                             range=[NHS_COLOURS["black"], NHS_COLOURS["blue"]])),
        tooltip=[alt.Tooltip("site:N", title="Provider"), alt.Tooltip("value:Q", title=label, format=fmt)])
    layers = [bars]
    if rules:
        ref = pd.DataFrame({"name": list(rules), "value": list(rules.values())})
        layers.append(alt.Chart(ref).mark_rule(strokeDash=[5, 3], color=NHS_COLOURS["orange"], strokeWidth=2)
                      .encode(x="value:Q", tooltip=["name:N", alt.Tooltip("value:Q", format=fmt)]))
        # labels above the plot, clear of the bars; stacked so neighbouring lines stay readable
        for i, row in enumerate(ref.itertuples()):
            layers.append(alt.Chart(ref.iloc[[i]]).mark_text(
                align="right", baseline="bottom", dx=4, fontSize=11, color=NHS_COLOURS["orange"])
                .encode(x="value:Q", y=alt.value(-4 - 14 * (len(ref) - 1 - i)), text="name:N"))
    # room between the title and the plot for the line labels
    head = _title(title, subtitle, offset=8 + 14 * len(rules)) if rules else _title(title, subtitle)
    return (alt.layer(*layers, title=head)
            .properties(width=width, height=height if height is not None else alt.Step(24)))
