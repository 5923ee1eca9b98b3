"""Cached peer benchmarking for the Peers page: NHS England returns in, tables and charts out."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from forecasting import charts, peers
from forecasting.forecast import forecast
from forecasting.io import SAMPLE_DIR, LoadResult
from forecasting.nhse import read_ae_activity, read_bed_sitreps
from forecasting.peers import PeerError
from forecasting.peer_charts import funnel_chart, peer_bar_chart
from forecasting.schema import ATTENDANCES
from forecasting.spc import summary_table, xmr
from forecasting.spc_charts import spc_chart

from . import cache
from .forecasting import model_label

__all__ = ["BUNDLED_LABEL", "OGL", "PeerError", "Returns", "display_name", "load_returns", "default_trust", "default_peers",
           "measures_table", "headline", "performance_chart", "funnel", "spc_charts",
           "trust_forecast_chart", "measures_csv", "source_text", "footnote", "org_name"]

_BUNDLED = SAMPLE_DIR / "nhse" / "ae_monthly_rwp_peers.csv"
_SITREPS = SAMPLE_DIR / "nhse" / "winter_sitreps_rwp_peers.csv"
BUNDLED_LABEL = ("Bundled NHS England extract: Worcestershire Acute (RWP) and the 10 providers closest in "
                 "type 1 volume, April 2016 to March 2019")
OGL = ("Contains public sector information licensed under the Open Government Licence v3.0 "
       "(NHS England A&E Attendances and Emergency Admissions).")


@dataclass(frozen=True)
class Returns:
    """Monthly provider activity (site = ODS code or name), display names and the load report."""

    activity: pd.DataFrame
    names: dict
    result: LoadResult
    label: str


@st.cache_data(max_entries=4, show_spinner="Reading the NHS England returns...")
def load_returns(files: tuple[tuple[str, bytes], ...] = ()) -> Returns:
    """The bundled extract (``files`` empty) or uploaded monthly return CSVs / the tidy extract."""
    if not files:
        result = read_ae_activity(_BUNDLED, site="code")
        sitreps = read_bed_sitreps(_SITREPS).frame
        names = dict(sitreps[["org_code", "org_name"]].drop_duplicates("org_code").itertuples(index=False))
        return Returns(result.frame, names, result, BUNDLED_LABEL)
    result = read_ae_activity([data for _, data in files], site="name", names=[n for n, _ in files])
    label = f"Upload: {len(files)} file(s) ({', '.join(n for n, _ in files[:3])}{'...' if len(files) > 3 else ''})"
    return Returns(result.frame, {}, result, label)


def source_text(returns: Returns) -> str:
    """Where the returns came from, for chart footnotes."""
    if returns.label == BUNDLED_LABEL:
        return "NHS England monthly A&E returns, bundled extract (OGL v3.0)"
    return returns.label.replace("Upload: ", "uploaded NHS England returns: ")


def footnote(returns: Returns, model: str = "", *, lines: int = 1) -> str | list[str]:
    """Source, last month of data, model and when made, for every Peers chart.

    The SPC charts print it under the plot; the others, stretched to the page, as the last
    subtitle line(s), where a stretched chart keeps it in view. ``lines=2`` puts the source
    on a line of its own, for charts half the page wide.
    """
    text = charts.footnote_text(source=source_text(returns), data_through=_data_through(returns.activity),
                                model=model, generated_at=pd.Timestamp.now())
    if lines == 1:
        return text
    source, rest = text.split(" · ", 1)
    return [source, rest]


def _data_through(activity: pd.DataFrame) -> pd.Timestamp:
    """The last day of the latest month in the returns (a month's row is dated on its first day)."""
    return activity["date"].max() + pd.offsets.MonthEnd(0)


def org_name(returns: Returns, site: str) -> str:
    """The organisation's name when the returns carry it, else its code or name as given."""
    return returns.names.get(site) or site


def display_name(returns: Returns, site: str) -> str:
    name = returns.names.get(site)
    return f"{site} · {name}" if name and name != site else site


def default_trust(returns: Returns) -> str:
    sites = sorted(returns.activity["site"].unique())
    for want in ("RWP", "Worcestershire Acute Hospitals NHS Trust"):
        if want in sites:
            return want
    return sites[0]


@st.cache_data(max_entries=16, show_spinner=False)
def default_peers(activity: pd.DataFrame, trust: str) -> list[str]:
    """The 10 providers most similar in type 1 volume over the latest 12 months."""
    return peers.similar_peers(activity, trust, 10)


@st.cache_data(max_entries=16, show_spinner=False)
def _measures(activity: pd.DataFrame, sites: tuple[str, ...]) -> pd.DataFrame:
    return peers.peer_measures(activity, sites)


def measures_table(returns: Returns, trust: str, chosen: tuple[str, ...]) -> pd.DataFrame:
    """Every measure per provider, the trust first, with its rank among those shown."""
    m = _measures(returns.activity, (trust, *chosen))
    ranks = peers.rank_measures(m).set_index("site")
    m = m.set_index("site")
    order = [trust] + sorted(s for s in m.index if s != trust)
    out = pd.DataFrame({"Provider": [display_name(returns, s) for s in order],
                        "Months reported": [int(m.loc[s, "months"]) for s in order]})
    for key, (label, higher, fmt) in peers.MEASURES.items():
        if m[key].isna().all():
            continue
        values = m.loc[order, key]
        out[label] = [fmt.format(v) if pd.notna(v) else "" for v in values]
        if key in ranks.columns:
            out[f"Rank: {label[0].lower()}{label[1:]}"] = [
                f"{int(r)} of {ranks[key].notna().sum()}" if pd.notna(r) else "" for r in ranks.loc[order, key]]
    return out


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def headline(returns: Returns, trust: str, chosen: tuple[str, ...]) -> str:
    """One sentence: the trust's 4-hour performance, rank, and the ambition and standard."""
    m = _measures(returns.activity, (trust, *chosen))
    start, end = m.attrs["window"]
    row = m.set_index("site").loc[trust]
    if pd.isna(row["performance_4h"]):
        return f"{display_name(returns, trust)} has no 4-hour figures from {start:%b %Y} to {end:%b %Y}."
    ranks = peers.rank_measures(m)["performance_4h"]
    rank = int(ranks[m["site"] == trust].iloc[0])
    ranked = int(ranks.notna().sum())
    perf = row["performance_4h"]
    against = ("meets the 95 % standard" if perf >= peers.STANDARD_4H else
               "is above the 78 % ambition but below the 95 % standard" if perf >= peers.AMBITION_4H else
               "is below the 78 % ambition")
    growth = "" if pd.isna(row["growth"]) else f" Attendances changed {row['growth']:+.1%} on the year before."
    return (f"From {start:%b %Y} to {end:%b %Y}, {display_name(returns, trust)} saw {perf:.1%} of patients within "
            f"4 hours (all types), {_ordinal(rank)} of the {ranked} providers shown with figures for every "
            f"month, and {against}.{growth}")


def performance_chart(returns: Returns, trust: str, chosen: tuple[str, ...]):
    m = _measures(returns.activity, (trust, *chosen))
    start, end = m.attrs["window"]
    chart = peer_bar_chart(m, measure="performance_4h", trust=trust, title="4-hour performance, best first",
                           subtitle=[f"Share of attendances (all types) seen within 4 hours, {start:%b %Y} to {end:%b %Y}",
                                     "Dashed lines: the 78 % ambition and the 95 % standard",
                                     *footnote(returns, lines=2)],
                           label="Seen within 4 hours", rules={"78% ambition": peers.AMBITION_4H,
                                                               "95% standard": peers.STANDARD_4H})
    return chart


def funnel(returns: Returns, trust: str, chosen: tuple[str, ...]):
    m = _measures(returns.activity, (trust, *chosen))
    start, end = m.attrs["window"]
    pts, limits, pooled = peers.funnel_points(m)
    row = pts.set_index("site").loc[trust] if trust in set(pts["site"]) else None
    where = {"inside": "within", "above": "above", "below": "below"}
    title = (f"{trust} is {where[row['position']]} the 99.8 % limits (peer rate {pooled:.1%})"
             if row is not None else f"4-hour performance against volume (peer rate {pooled:.1%})")
    adjusted = limits.attrs.get("tau2", 0) > 0
    chart = funnel_chart(pts, limits, pooled, trust=trust, title=title, height=470,
                         subtitle=[f"4-hour performance (all types) against volume, {start:%b %Y} to {end:%b %Y}",
                                   "Dashed 95 % and dotted 99.8 % limits"
                                   + (", widened for between-trust spread" if adjusted else ""),
                                   "Points outside the outer pair are unlikely to be chance",
                                   *footnote(returns, lines=2)])
    return chart


# shown at their own size, as on the SPC page: stretched, the labels right of the plot are cut off
_SPC_WIDTH = 820


def spc_charts(returns: Returns, trust: str) -> list:
    """XmR charts of the trust's monthly 4-hour performance (against 78 %) and attendances."""
    return _spc_charts(returns.activity, trust, org_name(returns, trust), footnote(returns))


@st.cache_data(max_entries=16, show_spinner=False)
def _spc_charts(activity: pd.DataFrame, trust: str, name: str, note: str) -> list:
    out = []
    perf = peers.monthly_performance(activity, trust)
    # in per cent, as the table and the headline give it (the limits and labels read 75.9, not 0.8)
    perf = perf.assign(value=100 * perf["value"])
    result = xmr(perf, direction="higher", target=100 * peers.AMBITION_4H)
    words = summary_table(result).iloc[0]
    out.append(spc_chart(result, title=f"{name}, 4-hour performance: {words['Variation'].split(':')[0].lower()}; "
                                       f"{words['Assurance'].split(':')[0].lower()} against 78 %",
                         subtitle="Per cent seen within 4 hours (all types) each month, with process limits; "
                                  "target 78 % ambition",
                         footnote=note, y_title="Seen within 4 hours (%)", view="monthly", width=_SPC_WIDTH))
    att = activity[(activity["site"] == trust) & (activity["metric"] == ATTENDANCES)][["date", "value"]]
    out.append(spc_chart(xmr(att, direction="neutral"), title=f"{name}: attendances each month",
                         subtitle="All department types, with process limits", footnote=note,
                         y_title="Attendances", view="monthly", width=_SPC_WIDTH))
    return out


@st.cache_data(max_entries=8, show_spinner="Forecasting the trust's attendances for the next 12 months...")
def _trust_forecast(activity: pd.DataFrame, trust: str) -> pd.DataFrame:
    history = activity[(activity["site"] == trust) & (activity["metric"] == ATTENDANCES)]
    fc = forecast(history, 12, model="auto")
    fc.attrs = {}
    return fc


def trust_forecast_chart(returns: Returns, trust: str):
    fc = _trust_forecast(returns.activity, trust)
    history = returns.activity[(returns.activity["site"] == trust) & (returns.activity["metric"] == ATTENDANCES)]
    total = fc["mean"].sum()
    model = model_label(fc["model"].iloc[0])
    chart = charts.fan_chart(history[["date", "value"]], fc, metric=ATTENDANCES, view="monthly",
                             title=f"{org_name(returns, trust)}: about {total:,.0f} attendances expected in the next 12 months",
                             subtitle=["Monthly, all types; 50, 80 and 95 % ranges",
                                       footnote(returns, f"automatic ({model})")])
    return chart


@st.cache_data(max_entries=8, show_spinner=False)
def measures_csv(activity: pd.DataFrame, sites: tuple[str, ...]) -> bytes:
    m = peers.peer_measures(activity, sites)
    return cache.csv_bytes(m.merge(peers.rank_measures(m), on="site", suffixes=("", "_rank")))
