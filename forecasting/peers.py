"""Peer benchmarking on NHS England monthly A&E returns: peer choice, measures, ranks and funnel limits."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .nhse import ADMISSIONS_TYPE1, BREACHES_4H_TYPE1, DTA_WAITS_12H
from .schema import ATTENDANCES, ATTENDANCES_TYPE1, BREACHES_4H

__all__ = [
    "AMBITION_4H", "STANDARD_4H", "MEASURES", "PeerError", "latest_window", "similar_peers",
    "peer_measures", "rank_measures", "funnel_limits", "overdispersion", "funnel_points", "monthly_performance",
]

#: The 2024/25 operational planning ambition and the constitutional standard for 4-hour performance.
AMBITION_4H, STANDARD_4H = 0.78, 0.95

#: Measure -> (label, higher is better?, format). The order is the order of every table.
MEASURES = {
    "performance_4h": ("4-hour performance, all types", True, "{:.1%}"),
    "performance_4h_type1": ("4-hour performance, type 1", True, "{:.1%}"),
    "attendances": ("Attendances, all types (12 months)", None, "{:,.0f}"),
    "attendances_type1": ("Type 1 attendances (12 months)", None, "{:,.0f}"),
    "growth": ("Attendance growth on the year before, all types", None, "{:+.1%}"),
    "growth_type1": ("Type 1 attendance growth on the year before", None, "{:+.1%}"),
    "conversion_type1": ("Type 1 admission conversion", None, "{:.1%}"),
    "dta_12h_per_1000": ("12-hour waits from decision to admit per 1,000 admissions", False, "{:.1f}"),
}


class PeerError(ValueError):
    """Peer benchmarking cannot be done with this data; the message says what is missing."""


def _wide(activity: pd.DataFrame) -> pd.DataFrame:
    """Monthly activity as one row per site and month, one column per metric."""
    return activity.pivot_table(index=["site", "date"], columns="metric", values="value", aggfunc="sum")


def latest_window(activity: pd.DataFrame, months: int = 12) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last month of the latest ``months`` months in the data."""
    end = pd.Timestamp(activity["date"].max())
    return end - pd.DateOffset(months=months - 1), end


def similar_peers(activity: pd.DataFrame, trust: str, n: int = 10, *, months: int = 12,
                  metric: str = ATTENDANCES_TYPE1) -> list[str]:
    """The ``n`` providers closest to ``trust`` in mean monthly ``metric`` over the latest ``months``.

    Only providers that reported the metric in every one of those months are considered, so a
    part-year provider is never picked as a peer by accident.
    """
    start, end = latest_window(activity, months)
    part = activity[(activity["metric"] == metric) & activity["date"].between(start, end)]
    counts = part.groupby("site")["value"].agg(["mean", "size"])
    counts = counts[counts["size"] == months]
    if trust not in counts.index:
        raise PeerError(f"{trust} has no {metric.replace('_', ' ')} in every month from "
                        f"{start:%b %Y} to {end:%b %Y}; pick another trust or a shorter period.")
    gap = (counts["mean"] - counts.loc[trust, "mean"]).abs().drop(trust)
    return list(gap.sort_values(kind="stable").index[:n])


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return num.where(den > 0) / den.where(den > 0)


def peer_measures(activity: pd.DataFrame, sites, *, months: int = 12) -> pd.DataFrame:
    """Benchmark measures per provider over the latest ``months`` months (growth: on the months before).

    Returns one row per site with the :data:`MEASURES` columns plus the counts behind the funnel
    plot (``attendances``, ``breaches_4h``) and ``months`` reported. A provider that did not
    report every month of the window gets no measures (NaN), so a part year is never ranked
    against whole ones; a rate uses only the months that report both of its parts.
    """
    start, end = latest_window(activity, months)
    prior = (start - pd.DateOffset(months=months), start - pd.DateOffset(months=1))
    wide = _wide(activity[activity["site"].isin(list(sites))])
    dates = wide.index.get_level_values("date")
    window = wide[(dates >= start) & (dates <= end)]
    earlier = wide[(dates >= prior[0]) & (dates <= prior[1])]
    index = pd.Index(sorted(set(sites)), name="site")

    def total(frame, name):
        if name not in frame.columns:
            return pd.Series(np.nan, index=index)
        return frame[name].groupby(level="site").sum(min_count=1).reindex(index)

    def rate(num, den):
        """sum(num) / sum(den) over the months where both are reported."""
        if num not in window.columns or den not in window.columns:
            return pd.Series(np.nan, index=index)
        both = window[[num, den]].dropna()
        sums = both.groupby(level="site").sum().reindex(index)
        return _ratio(sums[num], sums[den])

    out = pd.DataFrame(index=index)
    out["months"] = window.groupby(level="site").size().reindex(index).fillna(0).astype(int)
    full_before = earlier.groupby(level="site").size().reindex(index).fillna(0).astype(int) == months
    out["attendances"] = total(window, ATTENDANCES)
    out["attendances_type1"] = total(window, ATTENDANCES_TYPE1)
    out["breaches_4h"] = total(window, BREACHES_4H)
    out["performance_4h"] = 1 - rate(BREACHES_4H, ATTENDANCES)
    out["performance_4h_type1"] = 1 - rate(BREACHES_4H_TYPE1, ATTENDANCES_TYPE1)
    out["growth"] = (_ratio(out["attendances"], total(earlier, ATTENDANCES)) - 1).where(full_before)
    out["growth_type1"] = (_ratio(out["attendances_type1"], total(earlier, ATTENDANCES_TYPE1)) - 1).where(full_before)
    out["conversion_type1"] = rate(ADMISSIONS_TYPE1, ATTENDANCES_TYPE1)
    out["dta_12h_per_1000"] = 1000 * rate(DTA_WAITS_12H, "admissions")
    part_year = out["months"] < months
    measures = ["attendances", "attendances_type1", "breaches_4h", *MEASURES]
    out.loc[part_year, list(dict.fromkeys(measures))] = np.nan
    out.attrs["window"] = (start, end)
    return out.reset_index()


def rank_measures(measures: pd.DataFrame) -> pd.DataFrame:
    """Rank of each provider on each measure with a better direction (1 = best), ties share a rank."""
    ranks = measures[["site"]].copy()
    for name, (_, higher, _) in MEASURES.items():
        if higher is None or name not in measures.columns or measures[name].isna().all():
            continue
        ranks[name] = measures[name].rank(ascending=not higher, method="min").astype("Int64")
    return ranks


def funnel_limits(proportion: float, denominators, levels=(0.95, 0.998), tau2: float = 0.0) -> pd.DataFrame:
    """Funnel limits p +/- z sqrt(p (1 - p) / n + tau2) around a pooled proportion, per n.

    With ``tau2 = 0`` these are plain binomial limits; a positive ``tau2`` (from
    :func:`overdispersion`) widens them by the spread between providers that volume alone does not
    explain, as NHS funnel plots of large providers need.
    """
    n = np.asarray(denominators, dtype=float)
    rows = {"n": n}
    for level in levels:
        z = stats.norm.ppf(0.5 + level / 2)
        half = z * np.sqrt(proportion * (1 - proportion) / n + tau2)
        rows[f"lower_{level * 100:g}"] = np.clip(proportion - half, 0, 1)
        rows[f"upper_{level * 100:g}"] = np.clip(proportion + half, 0, 1)
    return pd.DataFrame(rows)


def overdispersion(rates, counts, proportion: float, *, winsor: float = 0.1) -> float:
    """Between-provider variance tau2 (additive random effects, Spiegelhalter 2005), 0 if none.

    z-scores against the binomial limits are winsorised at ``winsor`` each side so one extreme
    provider does not set the funnel; phi = mean z^2; if k phi > k - 1,
    tau2 = (k phi - (k - 1)) / (sum w - sum w^2 / sum w) with w = 1 / s^2, s^2 = p (1 - p) / n.
    """
    y, n = np.asarray(rates, float), np.asarray(counts, float)
    s2 = proportion * (1 - proportion) / n
    z = (y - proportion) / np.sqrt(s2)
    k = len(z)
    if k < 3:
        return 0.0
    lo, hi = np.quantile(z, [winsor, 1 - winsor])
    phi = float(np.mean(np.clip(z, lo, hi) ** 2))
    if k * phi <= k - 1:
        return 0.0
    w = 1 / s2
    return float((k * phi - (k - 1)) / (w.sum() - (w ** 2).sum() / w.sum()))


def funnel_points(measures: pd.DataFrame, *, rate: str = "performance_4h", count: str = "attendances",
                  levels=(0.95, 0.998), adjust: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Providers' rates against the funnel around their pooled rate.

    Returns the points (site, n, rate, and where each sits: inside, above or below the outer
    limits), a smooth frame of limits over the range of n for drawing, and the pooled rate. With
    ``adjust`` the limits allow for overdispersion (:func:`overdispersion`); ``attrs["tau2"]`` of
    the limits frame holds the value used.
    """
    pts = measures[["site", count, rate]].dropna().rename(columns={count: "n", rate: "rate"})
    if len(pts) < 2:
        raise PeerError("A funnel plot needs at least two providers with the measure.")
    pooled = float((pts["rate"] * pts["n"]).sum() / pts["n"].sum())
    tau2 = overdispersion(pts["rate"], pts["n"], pooled) if adjust else 0.0
    own = funnel_limits(pooled, pts["n"], levels, tau2)
    outer = f"{max(levels) * 100:g}"
    pts["position"] = np.where(pts["rate"] > own[f"upper_{outer}"].to_numpy(), "above",
                               np.where(pts["rate"] < own[f"lower_{outer}"].to_numpy(), "below", "inside"))
    grid = np.geomspace(max(pts["n"].min() * 0.8, 1), pts["n"].max() * 1.2, 120)
    limits = funnel_limits(pooled, grid, levels, tau2)
    limits.attrs["tau2"] = tau2
    return pts.reset_index(drop=True), limits, pooled


def monthly_performance(activity: pd.DataFrame, site: str, *, type1: bool = False) -> pd.DataFrame:
    """Monthly 4-hour performance (share seen within 4 hours) of one provider: date, value."""
    num, den = (BREACHES_4H_TYPE1, ATTENDANCES_TYPE1) if type1 else (BREACHES_4H, ATTENDANCES)
    wide = _wide(activity[activity["site"] == site])
    if num not in wide.columns or den not in wide.columns:
        raise PeerError(f"{site} has no {'type 1 ' if type1 else ''}attendances and 4-hour breaches.")
    perf = (1 - _ratio(wide[num], wide[den])).dropna()
    return perf.rename("value").reset_index()[["date", "value"]]
