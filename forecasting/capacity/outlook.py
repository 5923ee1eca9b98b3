"""Bed and ED workforce outlooks from a forecast under a scenario: the figures the app, CLI and board pack share."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..scenarios import (BASELINE, Scenario, ScenarioError, apply_to_bed_base, apply_to_demand,
                         apply_to_rota, describe, stay_factor)
from ..schema import ADMISSIONS, ATTENDANCES, OCCUPIED_BEDS, TRUST_TOTAL
from .beds import (APPROXIMATION, BedBaseError, OpelBands, bed_base_by_date, bed_occupancy,
                   census_from_counts, census_from_spells, combine_sites, compare_with_bed_base,
                   days_at_risk)
from .los import LengthOfStay, SpellsError
from .workforce import (WorkforceParams, arrival_profile, gap_heatmap, hourly_demand, queue_check,
                        staff_required, staffing_gap, worst_gaps, wte_gap)

__all__ = [
    "DEFINITION", "OutlookError", "BedOutlook", "WorkforceOutlook", "bed_outlook", "workforce_outlook",
    "bed_headlines", "risk_table", "daily_table", "beds_frame", "worst_gap_table", "queue_table",
    "workforce_frame", "scenario_table", "latest_census", "occupancy_message", "heatmap_message",
    "nurse_led_sites",
]

#: Printed under every beds chart and table.
DEFINITION = ("Length of stay in whole days (discharge date minus admission date; same-day "
              "discharges count as 0 days); occupied beds are the midnight census.")
_PERIOD_LABELS = {"week": "Coming week", "weekend": "Coming weekend", "bank_holiday": "Next bank holiday"}


class OutlookError(ValueError):
    """The inputs cannot give a bed or staffing outlook; the message says why and what to do."""


@dataclass(frozen=True)
class BedOutlook:
    """Occupied beds ahead against the bed base, for every site and the trust."""

    scenario: str
    target: float
    occupancy: pd.DataFrame        # bed_occupancy + core/escalation beds, trust total included
    comparison: pd.DataFrame       # compare_with_bed_base
    risk: pd.DataFrame             # days_at_risk by site and month
    history: pd.DataFrame          # recent occupied beds actuals (site, date, value), may be empty
    los: pd.DataFrame              # length of stay per site: source, mean now and in the scenario
    census: pd.DataFrame           # inpatients now per site and where the figure came from
    trace: tuple[str, ...]         # every assumption, in plain English
    data_through: pd.Timestamp
    generated_at: pd.Timestamp
    sites: tuple[str, ...]
    opel: tuple[float, ...] = (0.85, 0.92, 1.0)
    source: str = ""               # where the activity came from, for chart footnotes
    model: str = ""                # the admissions forecast's model(s)


@dataclass(frozen=True)
class WorkforceOutlook:
    """Staff required against the rota for each site, hour and role."""

    scenario: str
    gaps: pd.DataFrame             # staffing_gap over the planning period
    heat: pd.DataFrame             # gap_heatmap (weekday x hour means)
    worst: dict = field(default_factory=dict)   # period -> worst_gaps frame (per site)
    wte: pd.DataFrame = None
    queue: pd.DataFrame = None     # weekday x hour mean P(wait > N minutes)
    trace: tuple[str, ...] = ()
    start: pd.Timestamp = None
    days: int = 28
    wait_minutes: float = 60
    sites: tuple[str, ...] = ()
    source: str = ""
    model: str = ""
    generated_at: pd.Timestamp = None


def _series(forecast: pd.DataFrame, metric: str, horizon: int | None) -> pd.DataFrame:
    part = forecast[(forecast["metric"] == metric) & (forecast["site"] != TRUST_TOTAL)]
    if part.empty:
        return part
    if horizon is not None:
        part = part[part["date"] < part["date"].min() + pd.Timedelta(days=horizon)]
    return part.reset_index(drop=True)


def nurse_led_sites(activity: pd.DataFrame) -> tuple[str, ...]:
    """Sites taken as nurse-led units (a minor injuries unit): attendances but no admissions.

    Only when the data reports admissions at some site: data with attendances alone (e.g.
    hourly arrivals) cannot tell an ED from a minor injuries unit, so no site is assumed nurse-led.
    """
    admitting = set(activity.loc[activity["metric"] == ADMISSIONS, "site"])
    if not admitting:
        return ()
    return tuple(sorted(set(activity.loc[activity["metric"] == ATTENDANCES, "site"]) - admitting))


def latest_census(activity: pd.DataFrame, sites) -> dict[str, int]:
    """Occupied beds on the last day of the data per site (0 where the data has none)."""
    beds = activity[activity["metric"] == OCCUPIED_BEDS]
    out = {}
    for site in sites:
        part = beds[beds["site"] == site]
        out[site] = int(round(part.loc[part["date"].idxmax(), "value"])) if not part.empty else 0
    return out


# --------------------------------------------------------------------------- beds
def _lengths_of_stay(sites, spells, los_summary, window_start,
                     label="spells extract") -> dict[str, LengthOfStay]:
    if los_summary:
        out = {}
        for site in sites:
            if site not in los_summary:
                raise OutlookError(f"Enter a mean and 90th percentile length of stay for {site}.")
            out[site] = _fitted_stay(site, *los_summary[site])
        return out
    if spells is None:
        raise OutlookError("Give a spells extract or a mean and 90th percentile stay per site.")
    missing = [s for s in sites if s not in set(spells["site"])]
    if missing:
        raise OutlookError(f"The {label} has no spells for {', '.join(missing)}. Give an extract "
                           "that covers every site with admissions, or a mean and 90th percentile stay.")
    try:
        return {s: LengthOfStay.from_spells(spells, site=s, window_start=window_start) for s in sites}
    except SpellsError as exc:
        raise OutlookError(str(exc)) from None


def _fitted_stay(site: str, mean: float, p90: float) -> LengthOfStay:
    """A lognormal with this mean and 90th percentile, or a gamma where no lognormal has both."""
    for family in ("lognormal", "gamma"):
        try:
            return LengthOfStay.from_summary(mean, p90, family=family)
        except ValueError:
            continue
    raise OutlookError(f"{site}: no right-skewed stay has a mean of {mean:g} days and a 90th percentile of "
                       f"{p90:g} days (the 90th percentile must be above the mean, and not far above it "
                       "for so short a mean); check the two figures.")


def _check_spells_cover(spells, sites, on_date, window_start, label="spells extract") -> None:
    """Refuse a midnight census on ``on_date`` that the spells extract does not cover at every site.

    The extract covers a night from its first day (``window_start``, else its earliest discharge:
    a patient in a bed that night is discharged the next day or later) to its last date per site;
    outside that the census would count only some of the patients in a bed, or none.
    """
    dates = spells[["admission_date", "discharge_date"]]
    if window_start is not None:
        first = pd.Timestamp(window_start)
    else:
        first = spells["discharge_date"].min()
        if pd.isna(first):
            first = spells["admission_date"].min()
    if pd.notna(first) and on_date < first - pd.Timedelta(days=1):
        raise OutlookError(
            f"The {label} starts on {first:%d %b %Y}, after the data's last day {on_date:%d %b %Y}, "
            "so it cannot give the inpatients in a bed then (it holds only patients in hospital on or "
            f"after {first:%d %b %Y}). Load a spells extract that covers {on_date:%d %b %Y}, or "
            "enter the number of inpatients per site by hand.")
    last = dates.max(axis=1).groupby(spells["site"]).max()
    absent = [s for s in sites if s not in last.index]
    if absent:
        raise OutlookError(
            f"The {label} has no spells for {', '.join(absent)}, so it cannot give the inpatients "
            "in a bed there now. Give an extract that covers every site with admissions, or enter the "
            "number of inpatients per site by hand.")
    early = {s: last[s] for s in sites if last[s] < on_date}
    if early:
        ends = " and on ".join(f"{d:%d %b %Y} for {', '.join(s for s in early if early[s] == d)}"
                               for d in sorted(set(early.values())))
        raise OutlookError(
            f"The {label} ends on {ends}, before the data's last day {on_date:%d %b %Y}, so it "
            "cannot give the inpatients in a bed now. Enter the number of inpatients per site instead, "
            "or use a current extract.")


def _census(sites, spells, census_counts, los, on_date,
            window_start=None, label="spells extract") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The inpatients in a bed at the census before the forecast, and a table of where from."""
    if census_counts is None:
        if spells is None:
            raise OutlookError("Give a spells extract or the number of inpatients per site now.")
        _check_spells_cover(spells, sites, on_date, window_start, label)
        census = census_from_spells(spells, on_date)
        census = census[census["site"].isin(sites)]
        how = f"patients in a bed at midnight on {on_date:%d %b %Y}, from the {label}"
        counts = census.groupby("site").size().reindex(sites, fill_value=0)
    else:
        counts = pd.Series({s: int(census_counts.get(s, 0)) for s in sites})
        census = census_from_counts(counts.to_dict(), los, on_date)
        how = ("entered by hand; days already in hospital spread as in a steady state "
               "(share in for e days proportional to the chance a stay lasts beyond e days)")
    table = pd.DataFrame({"site": list(sites), "inpatients": [int(counts[s]) for s in sites], "source": how})
    return census, table


def _share(value: float) -> float:
    """A share of core beds rounded once, so every column name built from it is the same."""
    return round(float(value), 4)


def bed_outlook(forecast: pd.DataFrame, *, bed_base: pd.DataFrame, spells: pd.DataFrame | None = None,
                los_summary: dict | None = None, census_counts: dict | None = None,
                scenario: Scenario = BASELINE, horizon: int | None = 90, opel=(0.85, 0.92, 1.0),
                spells_window_start=None, history: pd.DataFrame | None = None, generated_at=None,
                bed_base_label: str = "bed base", spells_label: str = "spells extract", model_text: str = "",
                source: str = "") -> BedOutlook:
    """Occupied beds per site and the trust over the horizon, under one scenario.

    Parameters
    ----------
    forecast : DataFrame
        Forecast contract with daily ``admissions`` rows per site (others are ignored; the trust
        total is rebuilt from the sites).
    bed_base : DataFrame
        Dated bed base (``site, date_from, date_to, core_beds, escalation_beds``).
    spells : DataFrame, optional
        Checked spells (:func:`forecasting.capacity.los.read_spells`): Kaplan-Meier stays per site
        and, unless ``census_counts`` is given, the midnight census before the forecast.
    los_summary : dict of site -> (mean, p90), optional
        Fitted lognormal stays instead of the spells.
    census_counts : dict of site -> int, optional
        Inpatients in a bed now, when there is no current spells extract.
    scenario : Scenario
        Demand, stay and bed changes; its ``target_occupancy`` is the planning ceiling.
    horizon : int, optional
        Days from the forecast's first day (all if None).
    opel : sequence of float
        OPEL-style band thresholds as shares of core beds.
    spells_window_start : date-like, optional
        Left truncation of the spells extract (see :meth:`LengthOfStay.from_spells`).
    history : DataFrame, optional
        Activity contract; its recent ``occupied_beds`` are drawn before the forecast.
    bed_base_label, spells_label : str
        What the bed base and spells extract are called in messages and assumptions, saying
        where they came from (e.g. ``"spells extract (bundled sample (spells.csv))"``).
    """
    sites = tuple(sorted(_series(forecast, ADMISSIONS, None)["site"].unique()))
    if not sites:
        raise OutlookError("The data has no emergency admissions, so there are no beds to plan. "
                           "Load daily admissions per site (the bundled daily sample has them).")
    adm = apply_to_demand(_series(forecast, ADMISSIONS, horizon), scenario)
    start, end = adm["date"].min(), adm["date"].max()
    on_date = start - pd.Timedelta(days=1)
    base_los = _lengths_of_stay(sites, spells, los_summary, spells_window_start, spells_label)
    los, los_rows = {}, []
    for site, stay in base_los.items():
        factor = stay_factor(stay.mean, scenario)
        los[site] = stay if factor == 1 else stay.scaled(factor)
        los_rows.append({"site": site, "source": stay.source, "mean_now": round(stay.mean, 2),
                         "mean_in_scenario": round(los[site].mean, 2),
                         "median": los[site].percentile(0.5), "p90": los[site].percentile(0.9)})
    census, census_table = _census(list(sites), spells, census_counts, base_los, on_date,
                                   spells_window_start, spells_label)
    missing = [s for s in sites if s not in set(bed_base["site"])]
    if missing:
        raise OutlookError(f"The {bed_base_label} has no rows for {', '.join(missing)}. "
                           "Add their core and escalation beds.")
    try:  # every forecast day needs exactly one bed-base row: gaps and overlaps are named here
        bed_base_by_date(bed_base[bed_base["site"].isin(sites)], adm[["site", "date"]].drop_duplicates())
    except BedBaseError as exc:
        raise OutlookError(f"The {bed_base_label}: {exc} Or shorten the horizon.") from None
    try:
        beds = apply_to_bed_base(bed_base[bed_base["site"].isin(sites)], scenario, start=start, end=end)
    except ScenarioError as exc:
        raise OutlookError(str(exc)) from None
    occ = bed_occupancy(adm, los, census=census, scenario=scenario.name)
    occ = occ.merge(beds[["site", "date", "core_beds", "escalation_beds"]], on=["site", "date"], how="left")
    if len(sites) > 1:
        occ = pd.concat([occ, combine_sites(occ, TRUST_TOTAL)], ignore_index=True)
    target = _share(scenario.target_occupancy)
    # the bands are the OPEL thresholds alone; the ceiling only adds its own probability column
    comparison = compare_with_bed_base(
        occ.rename(columns={"core_beds": "available", "escalation_beds": "escalation"}),
        thresholds=OpelBands(thresholds=tuple(_share(t) for t in opel)), also=(target,))
    comparison.insert(2, "scenario", scenario.name)
    recent = pd.DataFrame(columns=["site", "date", "value"])
    if history is not None:
        recent = history[(history["metric"] == OCCUPIED_BEDS) & history["site"].isin(sites)
                         & (history["date"] > on_date - pd.Timedelta(days=90))
                         & (history["date"] <= on_date)][["site", "date", "value"]]
        if len(sites) > 1 and not recent.empty:
            total = recent.groupby("date", as_index=False)["value"].sum().assign(site=TRUST_TOTAL)
            recent = pd.concat([recent, total], ignore_index=True)
    trace = (
        *describe(scenario),
        f"Admissions: the forecast from data through {on_date:%d %b %Y}"
        + (f" ({model_text})" if model_text else "")
        + f", {len(adm['date'].unique())} days from {start:%d %b %Y}, then changed by the scenario.",
        *(f"Length of stay at {r['site']}: {r['source']}; mean {r['mean_now']:g} days now, "
          f"{r['mean_in_scenario']:g} in this scenario" for r in los_rows),
        *(f"Inpatients now at {r.site}: {r.inpatients} ({r.source})" for r in census_table.itertuples()),
        f"Bed base: {bed_base_label}, with the scenario's bed changes.",
        f"Ranges: {APPROXIMATION}" + ("; the trust total adds sites as independent." if len(sites) > 1 else "."),
        DEFINITION,
    )
    generated = pd.Timestamp.now().floor("s") if generated_at is None else pd.Timestamp(generated_at)
    return BedOutlook(
        scenario=scenario.name, target=target, occupancy=occ, comparison=comparison,
        risk=days_at_risk(comparison), history=recent, los=pd.DataFrame(los_rows), census=census_table,
        trace=trace, data_through=on_date, generated_at=generated,
        sites=sites + ((TRUST_TOTAL,) if len(sites) > 1 else ()), opel=tuple(opel), source=source,
        model=model_text)


def bed_headlines(outlook: BedOutlook, site: str) -> dict:
    """Headline figures for one site: average and peak occupancy, days over the ceiling and core beds."""
    c = outlook.comparison[outlook.comparison["site"] == site]
    target = f"{outlook.target * 100:g}"
    over_target = int((c["occupancy_share"] > outlook.target).sum())
    over_core = int((c["occupancy_share"] > 1).sum())
    likely = float(c[f"p_over_{target}"].sum())
    who = "the trust" if site == TRUST_TOTAL else site
    return {
        "days": len(c), "mean": float(c["mean"].mean()), "peak_p90": float(c["p90"].max()),
        "over_target": over_target, "over_core": over_core, "expected_over_target": likely,
        "max_shortfall_p90": float(c["shortfall_p90"].max()),
        "shortfall_days_p90": int((c["shortfall_p90"] > 0).sum()),
        "sentence": (
            f"Over the next {len(c)} days {who} expects {c['mean'].mean():,.0f} occupied beds on an "
            f"average night (highest P90 {c['p90'].max():,.0f}). Expected occupancy is above {target} % "
            f"of core beds on {over_target} days and above all core beds on {over_core}; counting the "
            f"uncertainty, about {likely:.0f} days are likely to pass {target} %."),
    }


def occupancy_message(outlook: BedOutlook, site: str) -> str:
    """The title of a site's occupancy chart: when it peaks and how full that is."""
    occ = outlook.occupancy[outlook.occupancy["site"] == site]
    peak = occ.loc[occ["mean"].idxmax()]
    share = peak["mean"] / peak["core_beds"] if peak["core_beds"] else np.nan
    where = "across the trust" if site == TRUST_TOTAL else f"at {site}"
    return (f"Occupied beds {where} expected to peak at ~{peak['mean']:,.0f} "
            f"({share:.0%} of core beds) on {peak['date']:%a %d %b %Y}")


def heatmap_message(heat: pd.DataFrame, site: str, role: str) -> str:
    """The title of a site's staffing heatmap for one role: how many hours are short, and the worst.

    An hour counts as short when its average gap rounds to at least one person, as its cell shows.
    """
    short = heat[heat["gap"].round() >= 1]
    if short.empty:
        return f"{site}, {role}: the rota covers demand in every hour of the week"
    worst = short.loc[short["gap"].idxmax()]
    return (f"{site}, {role}: {len(short)} of 168 weekly hours short on average; worst "
            f"{worst['weekday']}s {int(worst['hour']):02d}:00 ({worst['gap']:+.1f})")


def risk_table(outlook: BedOutlook, site: str) -> pd.DataFrame:
    """Days per month over each threshold and in each OPEL-style band, for one site."""
    r = outlook.risk[outlook.risk["site"] == site].drop(columns="site").copy()
    c = outlook.comparison[outlook.comparison["site"] == site]
    bands = (c.assign(month=pd.DatetimeIndex(c["date"]).to_period("M"))
             .pivot_table(index="month", columns="opel_band", values="date", aggfunc="size", fill_value=0))
    bands = bands.reindex(columns=range(1, len(outlook.opel) + 2), fill_value=0)
    bands.columns = [f"Days in band {b}" for b in bands.columns]
    r = r.merge(bands, left_on="month", right_index=True, how="left")
    r["month"] = r["month"].dt.strftime("%b %Y")
    names = {"month": "Month", "days": "Days"}
    for col in r.columns:
        if col.startswith("days_over_"):
            names[col] = f"Days > {col.removeprefix('days_over_')} %"
        elif col.startswith("expected_days_over_"):
            names[col] = f"Likely days > {col.removeprefix('expected_days_over_')} %"
    return r.rename(columns=names).round(1).reset_index(drop=True)


def daily_table(outlook: BedOutlook, site: str) -> pd.DataFrame:
    """Day by day for one site: expected and P10-P90 occupied beds, beds, chance over the ceiling, band."""
    c = outlook.comparison[outlook.comparison["site"] == site]
    o = outlook.occupancy[outlook.occupancy["site"] == site].set_index("date")
    target = f"{outlook.target * 100:g}"
    return pd.DataFrame({
        "Date": c["date"].dt.strftime("%a %d %b %Y").to_numpy(),
        "Expected occupied": c["mean"].round(0).to_numpy(),
        "P10": o.loc[c["date"], "p10"].round(0).to_numpy(),
        "P90": c["p90"].round(0).to_numpy(),
        "Core beds": c["core_beds"].to_numpy(),
        "Escalation beds": c["escalation_beds"].to_numpy(),
        "Share of core": (100 * c["occupancy_share"]).round(1).to_numpy(),
        f"Chance over {target} %": (100 * c[f"p_over_{target}"]).round(0).to_numpy(),
        "Chance over 100 %": (100 * c["p_over_100"]).round(0).to_numpy(),
        "P90 short of core beds": c["shortfall_p90"].round(0).to_numpy(),
        "OPEL-style band": c["opel_band"].to_numpy(),
    })


def beds_frame(outlook: BedOutlook) -> pd.DataFrame:
    """The capacity contract for beds: site, date, resource, scenario, quantiles, available, p_exceed, ..."""
    occ = outlook.occupancy.drop(columns=["approximation"], errors="ignore")
    comp = outlook.comparison.drop(columns=["mean", "p50", "p90", "core_beds", "escalation_beds", "scenario"])
    out = occ.merge(comp, on=["site", "date"], how="left").rename(
        columns={"core_beds": "available", "escalation_beds": "escalation"})
    out["p_exceed"] = out[f"p_over_{outlook.target * 100:g}"]
    out["data_through"] = outlook.data_through.date()
    out["generated_at"] = outlook.generated_at
    numbers = out.select_dtypes("number").columns
    out[numbers] = out[numbers].round(3)
    return out


# --------------------------------------------------------------------------- workforce
def workforce_outlook(forecast: pd.DataFrame, *, hourly_history: pd.DataFrame, rota: pd.DataFrame,
                      params: WorkforceParams = WorkforceParams(), scenario: Scenario = BASELINE,
                      days: int = 28, wait_minutes: float = 60, lookahead: int = 90,
                      profile_label: str = "hourly history", rota_label: str = "rota", model_text: str = "",
                      source: str = "", generated_at=None, hourly_forecast: pd.DataFrame | None = None,
                      hourly_hours: int = 48) -> WorkforceOutlook:
    """Staff required by hour against the rota for the ``days`` days after the forecast starts.

    The worst gaps look ``lookahead`` days ahead (so the next bank holiday is usually in reach);
    the heatmap, WTE and queueing check cover ``days``. Demand is the daily forecast spread over
    each site's weekday arrival profile; with ``hourly_forecast`` (an hourly model's own forecast,
    the contract at hourly dates) its first ``hourly_hours`` hours replace the spread figures,
    as the better guide to the next two days' shifts.
    """
    fc = _series(forecast, ATTENDANCES, max(days, lookahead))
    sites = tuple(sorted(fc["site"].unique()))
    if not sites:
        raise OutlookError("The data has no attendances, so there is no ED demand to staff. "
                           "Load attendances per site.")
    missing = sorted(set(sites) - set(hourly_history.loc[hourly_history["metric"] == ATTENDANCES, "site"]))
    if missing:
        raise OutlookError(f"No hourly arrivals for {', '.join(missing)}, so the arrival profile by hour "
                           "cannot be built. Load hourly attendances for these sites.")
    profile = arrival_profile(hourly_history[hourly_history["site"].isin(sites)], weeks=52)
    demand = hourly_demand(apply_to_demand(fc, scenario), profile)
    from_hourly = 0
    if hourly_forecast is not None:
        demand, from_hourly = _with_hourly_forecast(demand, apply_to_demand(
            _series(hourly_forecast, ATTENDANCES, None), scenario), hourly_hours)
    not_rostered = sorted(set(sites) - set(rota["site"]))
    if not_rostered:  # never read as nobody on shift: every hour would show as short
        which = "The rota" + ("" if rota_label in ("", "rota") else f" ({rota_label})")
        raise OutlookError(f"{which} has no rows for {', '.join(not_rostered)}, so the staff on shift there "
                           "are not known. Upload a rota with rows for these sites (site, weekday, hour, "
                           "clinicians, nurses).")
    required = staff_required(demand, params)
    try:
        rota = apply_to_rota(rota, scenario)
    except ScenarioError as exc:
        raise OutlookError(str(exc)) from None
    all_gaps = staffing_gap(required, rota)
    start = pd.Timestamp(fc["date"].min())
    gaps = all_gaps[pd.to_datetime(all_gaps["date"]) < start + pd.Timedelta(days=days)].reset_index(drop=True)
    worst = {p: pd.concat([worst_gaps(part, n=10, period=p, start=start)
                           for _, part in all_gaps.groupby("site", sort=True)], ignore_index=True)
             for p in _PERIOD_LABELS}
    in_period = pd.to_datetime(demand["date"]) < start + pd.Timedelta(days=days)
    queue = (queue_check(demand[in_period], rota, params, wait_minutes=wait_minutes)
             .groupby(["site", "weekday", "hour"], as_index=False)
             .agg(arrivals=("arrivals", "mean"), servers=("servers", "mean"), p_wait_over=("p_wait_over", "mean")))
    p = params
    trace = (
        *describe(scenario),
        f"Demand: the daily attendance forecast from {start:%d %b %Y}, spread over the hours with each "
        f"site's weekday arrival profile from {profile_label}"
        + (f"; the first {from_hourly} hours from the hourly model's own forecast." if from_hourly else "."),
        f"Staffed for the P{p.planning_quantile * 100:g} hour (demand in that hour is at or below this "
        f"level {p.planning_quantile:.0%} of the time).",
        f"Productivity: {p.patients_per_clinician_hour:g} patients per clinician-hour, "
        f"{p.patients_per_nurse_hour:g} per nurse-hour; minimum on shift {p.min_clinicians} clinicians, "
        f"{p.min_nurses} nurses.",
        "Nurse-led sites (no clinicians needed from demand): "
        + (", ".join(p.nurse_led_sites) if p.nurse_led_sites else "none") + ".",
        f"WTE: {p.hours_per_wte:g} contracted hours a week less {p.leave_allowance_pct:g} % leave and "
        f"sickness = {p.effective_hours_per_wte:.1f} rostered hours per WTE.",
        f"Rota: {rota_label}, with the scenario's rota changes.",
        f"Queueing check: Erlang-C (M/M/c) per hour, an approximation: Poisson arrivals, exponential "
        f"clinician time of {p.clinician_minutes_per_patient:.0f} minutes, each hour in steady state.",
    )
    return WorkforceOutlook(scenario=scenario.name, gaps=gaps, heat=gap_heatmap(gaps), worst=worst,
                            wte=wte_gap(gaps, params), queue=queue, trace=trace, start=start, days=days,
                            wait_minutes=wait_minutes, sites=sites, source=source, model=model_text,
                            generated_at=pd.Timestamp.now().floor("s") if generated_at is None
                            else pd.Timestamp(generated_at))


def _with_hourly_forecast(demand: pd.DataFrame, hourly: pd.DataFrame, hours: int) -> tuple[pd.DataFrame, int]:
    """Demand with its first ``hours`` hours per site taken from an hourly forecast.

    The hourly forecast's spread becomes a variance by reading its central interval as normal
    (P10-P90, else the widest pair), never below the Poisson variance of its mean.
    """
    if hourly.empty:
        return demand, 0
    hourly = hourly.assign(date=pd.to_datetime(hourly["date"]))
    first = hourly.groupby("site")["date"].transform("min")
    hourly = hourly[hourly["date"] < first + pd.Timedelta(hours=hours)]
    for lo, hi in (("p10", "p90"), ("p5", "p95"), ("p2.5", "p97.5"), ("p25", "p75")):
        if {lo, hi} <= set(hourly.columns):
            z = stats.norm.ppf(float(hi[1:]) / 100)
            var = ((hourly[hi] - hourly[lo]) / (2 * z)) ** 2
            break
    else:
        var = hourly["mean"]
    own = hourly[["site", "date"]].assign(_mean=hourly["mean"].to_numpy(float),
                                          _var=np.maximum(var.to_numpy(float), hourly["mean"].to_numpy(float)))
    out = demand.merge(own, on=["site", "date"], how="left")
    hit = out["_mean"].notna()
    out.loc[hit, "mean"] = out.loc[hit, "_mean"]
    out.loc[hit, "variance"] = out.loc[hit, "_var"]
    covered = int(hit.groupby(out["site"]).sum().max()) if hit.any() else 0
    # the spread's quantile columns no longer match the replaced hours; staffing reads mean and variance
    stale = [c for c in out.columns if c.startswith("p") and c[1:].replace(".", "").isdigit()]
    return out.drop(columns=["_mean", "_var", *stale]), covered


def worst_gap_table(outlook: WorkforceOutlook, site: str | None = None) -> pd.DataFrame:
    """The worst short-staffed hours in the coming week, weekend and next bank holiday."""
    columns = ["When", "Period", "Site", "Date and hour", "Role", "Required", "Rostered", "Short by"]
    parts = []
    for key, frame in outlook.worst.items():
        f = frame if site is None else frame[frame["site"] == site]
        if f.empty:
            continue
        parts.append(pd.DataFrame({
            "When": _PERIOD_LABELS[key], "Period": f["period"], "Site": f["site"],
            "Date and hour": pd.to_datetime(f["date"]).dt.strftime("%a %d %b %Y %H:00"),
            "Role": f["role"], "Required": f["required"], "Rostered": f["rostered"], "Short by": f["gap"]}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def queue_table(outlook: WorkforceOutlook, site: str, threshold: float = 0.1) -> pd.DataFrame:
    """Hours of the week where the chance of a long wait passes ``threshold``, worst first."""
    q = outlook.queue[(outlook.queue["site"] == site) & (outlook.queue["p_wait_over"] > threshold)]
    q = q.sort_values(["p_wait_over", "arrivals"], ascending=False)
    return pd.DataFrame({"Day": q["weekday"], "Hour": q["hour"].map(lambda h: f"{int(h):02d}:00"),
                         "Arrivals per hour (mean)": q["arrivals"].round(1),
                         "Seeing patients (rostered)": q["servers"].round(0).astype(int),
                         "Chance of a long wait (%)": (100 * q["p_wait_over"]).round(0)}).reset_index(drop=True)


def workforce_frame(outlook: WorkforceOutlook) -> pd.DataFrame:
    """Hourly required vs rostered staff in the capacity contract (resource = role)."""
    g = outlook.gaps.rename(columns={"role": "resource", "rostered": "available"})
    g.insert(3, "scenario", outlook.scenario)
    return g


# --------------------------------------------------------------------------- scenario comparison
def scenario_table(beds: list[BedOutlook], staff: list[WorkforceOutlook]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Side-by-side measures (one column per scenario) and the trust's expected beds per scenario and day.

    ``beds`` and ``staff`` are outlooks of the same scenarios in the same order, baseline first;
    either may be empty when the data cannot give it (no admissions, or no attendances), and
    the table then holds the other part only (the beds series is then empty).
    """
    rows, series = {}, []
    n = max(len(beds), len(staff))
    for b, w in zip(beds or [None] * n, staff or [None] * n):
        col = {}
        if b is not None:
            site = TRUST_TOTAL if TRUST_TOTAL in b.sites else b.sites[0]
            h = bed_headlines(b, site)
            per_site = [bed_headlines(b, x) for x in b.sites if x != TRUST_TOTAL]
            col = {
                "Planning ceiling (% of core beds)": round(100 * b.target, 2),
                f"Expected occupied beds, average night ({site})": round(h["mean"]),
                f"Highest P90 occupied beds ({site})": round(h["peak_p90"]),
                f"Days expected over the planning ceiling ({site})": h["over_target"],
                f"Days expected over core beds ({site})": h["over_core"],
                "Site-days over the planning ceiling (sum of sites)": sum(v["over_target"] for v in per_site),
                "Largest P90 shortfall against core beds (beds, any site)":
                    round(max(v["max_shortfall_p90"] for v in per_site)),
                "Site-days with a P90 shortfall (sum of sites)": sum(v["shortfall_days_p90"] for v in per_site),
            }
            series.append(b.occupancy[b.occupancy["site"] == site][["date", "mean"]].assign(scenario=b.scenario))
        if w is not None:
            wte = w.wte.groupby("role")[["short_hours_per_week", "wte"]].sum()
            for role in wte.index:
                col[f"ED {role} short, hours a week (sum of sites)"] = round(float(wte.loc[role, "short_hours_per_week"]), 1)
                col[f"ED {role} gap in WTE (sum of sites)"] = round(float(wte.loc[role, "wte"]), 1)
        rows[(b or w).scenario] = col
    table = pd.DataFrame(rows)
    table.index.name = "Measure"
    empty = pd.DataFrame(columns=["date", "mean", "scenario"])
    return table.reset_index(), (pd.concat(series, ignore_index=True) if series else empty)
