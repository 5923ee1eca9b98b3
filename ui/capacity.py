"""Cached bed and workforce outlooks for the Beds, Workforce and Scenarios pages, and their inputs."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import streamlit as st

from forecasting import charts
from forecasting.calendar import COVID_EXCLUSION
from forecasting.capacity.beds import (
    APPROXIMATION, BedBaseError, OpelBands, bed_base_by_date, bed_occupancy, census_from_counts,
    census_from_spells, combine_sites, compare_with_bed_base, days_at_risk)
from forecasting.capacity.los import LengthOfStay, SpellsError, read_spells
from forecasting.capacity.workforce import (
    RotaError, WorkforceParams, arrival_profile, gap_heatmap, hourly_demand, queue_check, read_rota,
    staff_required, staffing_gap, worst_gaps, wte_gap)
from forecasting.io import SAMPLE_DIR, read_table
from forecasting.scenarios import (
    BASELINE, Scenario, ScenarioError, apply_to_bed_base, apply_to_demand, apply_to_rota, describe,
    stay_factor)
from forecasting.schema import ADMISSIONS, ATTENDANCES, OCCUPIED_BEDS, TRUST_TOTAL
from forecasting.summary import resample_activity

from . import cache
from .forecasting import data_frequency, run_forecast

__all__ = [
    "CapacityUnavailable", "InputFile", "BedSettings", "BedOutlook", "WorkforceSettings",
    "WorkforceOutlook", "SAMPLE_SPELLS_WINDOW", "DEFINITION", "bed_sites", "attendance_sites",
    "default_nurse_led", "read_spells_file", "read_bed_base_file", "read_rota_file",
    "length_of_stay_table", "latest_census", "bed_outlook", "occupancy_chart", "bed_headlines",
    "risk_table", "daily_table", "beds_csv", "workforce_outlook", "heatmap_charts", "worst_gap_table",
    "queue_table", "workforce_csv", "compare_scenarios", "scenario_chart", "comparison_csv",
]

#: The sample spells extract holds every spell in hospital on or after this date (earlier
#: admissions appear only if still in then), so the survival estimate is left-truncated here.
SAMPLE_SPELLS_WINDOW = "2024-11-01"
#: Printed under every beds chart and table.
DEFINITION = ("Length of stay in whole days (discharge date minus admission date; same-day "
              "discharges count as 0 days); occupied beds are the midnight census.")
_MAX_BED_HORIZON = 548
_WORKFORCE_DAYS = 90  # far enough ahead to reach the next bank holiday in most of the year


class CapacityUnavailable(Exception):
    """A capacity view cannot be made from these inputs; the message says why and what to do."""


@dataclass(frozen=True)
class InputFile:
    """An uploaded file (bytes and name) or, when ``data`` is None, the bundled sample file."""

    name: str = ""
    data: bytes | None = None

    @property
    def is_sample(self) -> bool:
        return self.data is None

    @property
    def label(self) -> str:
        return f"bundled sample ({self.name})" if self.is_sample else f"upload: {self.name}"


@dataclass(frozen=True)
class BedSettings:
    """Everything the Beds page lets the user set (a cache key, so frozen and hashable)."""

    horizon: int = 90
    los_source: str = "spells"                       # "spells" or "summary"
    los_summary: tuple[tuple[str, float, float], ...] = ()   # (site, mean days, 90th percentile)
    census_source: str = "spells"                    # "spells" or "counts"
    census_counts: tuple[tuple[str, int], ...] = ()  # (site, patients in a bed now)
    opel: tuple[float, ...] = (0.85, 0.92, 1.0)
    exclude_covid: bool = True
    spells: InputFile = InputFile("spells.csv")
    bed_base: InputFile = InputFile("bed_base.csv")

    def __post_init__(self):
        if not 7 <= self.horizon <= _MAX_BED_HORIZON:
            raise ValueError(f"The beds horizon must be 7 to {_MAX_BED_HORIZON} days.")


@dataclass(frozen=True)
class WorkforceSettings:
    """Everything the Workforce page lets the user set."""

    params: WorkforceParams = WorkforceParams()
    days: int = 28
    wait_minutes: int = 60
    exclude_covid: bool = True
    rota: InputFile = InputFile("rota.csv")


@dataclass(frozen=True)
class BedOutlook:
    """Occupied beds ahead against the bed base, for every site and the trust."""

    scenario: str
    target: float
    occupancy: pd.DataFrame        # bed_occupancy + core/escalation beds, trust total included
    comparison: pd.DataFrame       # compare_with_bed_base
    risk: pd.DataFrame             # days_at_risk by site and month
    history: pd.DataFrame          # recent occupied beds actuals (site, date, value), may be empty
    los: pd.DataFrame              # length of stay per site: source, mean, median, p90
    census: pd.DataFrame           # inpatients now per site and where the figure came from
    trace: tuple[str, ...]         # every assumption, in plain English
    data_through: pd.Timestamp
    generated_at: pd.Timestamp
    sites: tuple[str, ...]


@dataclass(frozen=True)
class WorkforceOutlook:
    """Staff required against the rota for each site, hour and role."""

    scenario: str
    gaps: pd.DataFrame             # staffing_gap over the heatmap period
    heat: pd.DataFrame             # gap_heatmap (weekday x hour means)
    worst: dict = field(default_factory=dict)   # period -> worst_gaps frame
    wte: pd.DataFrame = None
    queue: pd.DataFrame = None     # weekday x hour mean P(wait > N minutes)
    trace: tuple[str, ...] = ()
    start: pd.Timestamp = None
    sites: tuple[str, ...] = ()


# --------------------------------------------------------------------------- choices
def bed_sites(activity: pd.DataFrame) -> list[str]:
    """Sites with emergency admissions: the ones that have beds to plan."""
    return sorted(activity.loc[activity["metric"] == ADMISSIONS, "site"].unique())


def attendance_sites(activity: pd.DataFrame) -> list[str]:
    return sorted(activity.loc[activity["metric"] == ATTENDANCES, "site"].unique())


def default_nurse_led(activity: pd.DataFrame) -> list[str]:
    """Sites with attendances but no admissions: treated as nurse-led minor injuries units."""
    return sorted(set(attendance_sites(activity)) - set(bed_sites(activity)))


# --------------------------------------------------------------------------- input files
def _table(file: InputFile) -> pd.DataFrame:
    if file.is_sample:
        return pd.read_csv(SAMPLE_DIR / file.name, dtype=str, keep_default_na=False)
    frame, report, _ = read_table(file.data, name=file.name)
    if report.errors:
        raise CapacityUnavailable(f"{file.name} could not be read: " +
                                  " ".join(p.message for p in report.errors))
    return frame


@st.cache_data(max_entries=8, show_spinner=False)
def read_spells_file(file: InputFile) -> pd.DataFrame:
    """The spells extract (site, admission_date, discharge_date), checked row by row."""
    try:
        return read_spells(_table(file))
    except SpellsError as exc:
        raise CapacityUnavailable(f"{file.name}: {exc} Fix these rows and upload it again.") from None


@st.cache_data(max_entries=8, show_spinner=False)
def read_bed_base_file(file: InputFile) -> pd.DataFrame:
    """The dated bed base (site, date_from, date_to, core_beds, escalation_beds), checked."""
    frame = _table(file)
    try:
        bed_base_by_date(frame, pd.to_datetime(frame.get("date_from", pd.Series(dtype=str)),
                                                errors="coerce").dropna())
    except BedBaseError as exc:
        raise CapacityUnavailable(f"{file.name}: {exc}") from None
    out = frame.copy()
    out["date_from"] = pd.to_datetime(out["date_from"])
    out["date_to"] = pd.to_datetime(out["date_to"])
    for col in ("core_beds", "escalation_beds"):
        out[col] = pd.to_numeric(out[col]).astype(int)
    return out


@st.cache_data(max_entries=8, show_spinner=False)
def read_rota_file(file: InputFile) -> pd.DataFrame:
    """The rota (site, weekday, hour, clinicians, nurses), checked row by row."""
    try:
        return read_rota(_table(file))
    except RotaError as exc:
        raise CapacityUnavailable(f"{file.name}: {exc}") from None


# --------------------------------------------------------------------------- length of stay
def _window(file: InputFile):
    return SAMPLE_SPELLS_WINDOW if file.is_sample else None


@st.cache_data(max_entries=8, show_spinner=False)
def _los_from_spells(file: InputFile, sites: tuple[str, ...]) -> dict[str, LengthOfStay]:
    spells = read_spells_file(file)
    missing = [s for s in sites if s not in set(spells["site"])]
    if missing:
        raise CapacityUnavailable(
            f"The spells extract ({file.label}) has no spells for {', '.join(missing)}. Upload an "
            "extract that covers every site with admissions, or enter each site's mean and 90th "
            "percentile stay instead.")
    try:
        return {s: LengthOfStay.from_spells(spells, site=s, window_start=_window(file)) for s in sites}
    except SpellsError as exc:
        raise CapacityUnavailable(f"{file.name}: {exc}") from None


def _los(settings: BedSettings, sites: tuple[str, ...]) -> dict[str, LengthOfStay]:
    if settings.los_source == "spells":
        return _los_from_spells(settings.spells, sites)
    given = {site: (mean, p90) for site, mean, p90 in settings.los_summary}
    out = {}
    for site in sites:
        if site not in given:
            raise CapacityUnavailable(f"Enter a mean and 90th percentile length of stay for {site}.")
        try:
            out[site] = LengthOfStay.from_summary(*given[site])
        except ValueError as exc:
            raise CapacityUnavailable(f"{site}: {exc}") from None
    return out


@st.cache_data(max_entries=8, show_spinner=False)
def length_of_stay_table(file: InputFile, sites: tuple[str, ...]) -> pd.DataFrame:
    """Mean, median and 90th percentile stay per site from the spells extract (editable defaults)."""
    los = _los_from_spells(file, sites)
    return pd.DataFrame([{"site": s, "mean": round(l.mean, 2), "median": l.percentile(0.5),
                          "p90": l.percentile(0.9)} for s, l in los.items()])


def latest_census(activity: pd.DataFrame, sites) -> dict[str, int]:
    """Occupied beds on the last day of the data per site (0 where the data has none)."""
    beds = activity[activity["metric"] == OCCUPIED_BEDS]
    out = {}
    for site in sites:
        part = beds[beds["site"] == site]
        out[site] = int(round(part.loc[part["date"].idxmax(), "value"])) if not part.empty else 0
    return out


# --------------------------------------------------------------------------- beds
def _exclude(flag: bool) -> tuple:
    return tuple(COVID_EXCLUSION) if flag else ()


def _daily(activity: pd.DataFrame) -> pd.DataFrame:
    """Daily activity: hourly data is totalled per day (the forecast of days is what beds need)."""
    if data_frequency(activity) == "daily":
        return activity
    if data_frequency(activity) != "hourly":
        raise CapacityUnavailable("Beds and staffing need daily or hourly data; this data set is "
                                  f"{data_frequency(activity)}. Load daily activity on the Data page.")
    return resample_activity(activity, "daily")[["site", "metric", "date", "value"]]


def _forecast(activity: pd.DataFrame, metric: str, sites, days: int, exclude_covid: bool):
    daily = _daily(activity)
    fc, selection, generated, _ = run_forecast(daily, "auto", _exclude(exclude_covid))
    part = fc[(fc["metric"] == metric) & fc["site"].isin(list(sites))]
    first = part["date"].min()
    part = part[part["date"] < first + pd.Timedelta(days=days)].reset_index(drop=True)
    models = selection[(selection["metric"] == metric) & selection["site"].isin(list(sites))] \
        if not selection.empty and "metric" in selection.columns else pd.DataFrame()
    return part, generated, models


def _census(settings: BedSettings, activity: pd.DataFrame, sites, los, on_date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The inpatients in a bed at the census before the forecast, and a table of where from."""
    if settings.census_source == "spells":
        spells = read_spells_file(settings.spells)
        last = max(spells["admission_date"].max(), spells["discharge_date"].max())
        if last < on_date:
            raise CapacityUnavailable(
                f"The spells extract ({settings.spells.label}) ends on {last:%d %b %Y}, before the "
                f"data's last day {on_date:%d %b %Y}, so it cannot give the inpatients in a bed now. "
                "Enter the number of inpatients per site instead, or upload a current extract.")
        census = census_from_spells(spells, on_date)
        census = census[census["site"].isin(sites)]
        how = f"patients in a bed at midnight on {on_date:%d %b %Y}, from the spells extract"
        counts = census.groupby("site").size().reindex(sites, fill_value=0)
    else:
        given = dict(settings.census_counts)
        counts = pd.Series({s: int(given.get(s, 0)) for s in sites})
        census = census_from_counts(counts.to_dict(), los, on_date)
        how = ("entered by hand; days already in hospital spread as in a steady state "
               "(share in for e days proportional to the chance a stay lasts beyond e days)")
    table = pd.DataFrame({"site": list(sites), "inpatients": [int(counts[s]) for s in sites],
                          "source": how})
    return census, table


def _thresholds(opel: tuple, target: float) -> tuple[float, ...]:
    return tuple(sorted(set(round(float(t), 4) for t in (*opel, target))))


@st.cache_data(max_entries=16, show_spinner="Working out bed occupancy for every site...")
def bed_outlook(activity: pd.DataFrame, settings: BedSettings, scenario_json: str = BASELINE.to_json()
                ) -> BedOutlook:
    """Occupied beds per site and the trust over the horizon, under one scenario.

    Admissions are the automatic forecast (changed by the scenario), stays come from the spells
    extract or the figures entered (scaled to the scenario's mean), the census is the patients in
    a bed at the end of the data, and the bed base is the dated file with the scenario's changes.
    """
    scenario = Scenario.from_json(scenario_json)
    sites = tuple(bed_sites(activity))
    if not sites:
        raise CapacityUnavailable("The data has no emergency admissions, so there are no beds to plan. "
                                  "Load daily admissions per site on the Data page (the sample has them).")
    adm, generated, models = _forecast(activity, ADMISSIONS, sites, settings.horizon, settings.exclude_covid)
    adm = apply_to_demand(adm, scenario)
    start = adm["date"].min()
    end = adm["date"].max()
    on_date = start - pd.Timedelta(days=1)
    base_los = _los(settings, sites)
    los = {}
    los_rows = []
    for site, l in base_los.items():
        factor = stay_factor(l.mean, scenario)
        los[site] = l if factor == 1 else l.scaled(factor)
        los_rows.append({"site": site, "source": l.source, "mean_now": round(l.mean, 2),
                         "mean_in_scenario": round(los[site].mean, 2),
                         "median": los[site].percentile(0.5), "p90": los[site].percentile(0.9)})
    census, census_table = _census(settings, activity, list(sites), base_los, on_date)
    base = read_bed_base_file(settings.bed_base)
    missing = [s for s in sites if s not in set(base["site"])]
    if missing:
        raise CapacityUnavailable(f"The bed base ({settings.bed_base.label}) has no rows for "
                                  f"{', '.join(missing)}. Add their core and escalation beds.")
    try:
        beds = apply_to_bed_base(base[base["site"].isin(sites)], scenario, start=start, end=end)
    except ScenarioError as exc:
        raise CapacityUnavailable(str(exc)) from None
    covered = beds.groupby("site")["date"].agg(["min", "max"])
    short = [s for s in sites if s not in covered.index or covered.loc[s, "max"] < end
             or covered.loc[s, "min"] > start]
    if short:
        raise CapacityUnavailable(f"The bed base ({settings.bed_base.label}) does not cover "
                                  f"{start:%d %b %Y} to {end:%d %b %Y} for {', '.join(short)}: "
                                  "extend its date_to or shorten the horizon.")
    occ = bed_occupancy(adm, los, census=census, scenario=scenario.name)
    occ = occ.merge(beds[["site", "date", "core_beds", "escalation_beds"]], on=["site", "date"], how="left")
    if len(sites) > 1:
        occ = pd.concat([occ, combine_sites(occ, TRUST_TOTAL)], ignore_index=True)
    target = scenario.target_occupancy
    thresholds = OpelBands(thresholds=_thresholds(settings.opel, target))
    comparison = compare_with_bed_base(
        occ.rename(columns={"core_beds": "available", "escalation_beds": "escalation"}),
        thresholds=thresholds)
    comparison.insert(2, "scenario", scenario.name)
    risk = days_at_risk(comparison)
    history = activity[(activity["metric"] == OCCUPIED_BEDS) & activity["site"].isin(sites)
                       & (activity["date"] > on_date - pd.Timedelta(days=90))]
    history = _daily(history) if not history.empty else history
    if len(sites) > 1 and not history.empty:
        total = history.groupby("date", as_index=False)["value"].sum().assign(site=TRUST_TOTAL)
        history = pd.concat([history[["site", "date", "value"]], total], ignore_index=True)
    model_text = "; ".join(f"{r.site}: {r.model}" for r in models.itertuples()) \
        if "model" in models.columns else "automatic model choice"
    trace = (
        *describe(scenario),
        f"Admissions: the automatic forecast from data through {on_date:%d %b %Y} ({model_text}), "
        f"{settings.horizon} days from {start:%d %b %Y}, then changed by the scenario.",
        *(f"Length of stay at {r['site']}: {r['source']}; mean {r['mean_now']:g} days now, "
          f"{r['mean_in_scenario']:g} in this scenario" for r in los_rows),
        *(f"Inpatients now at {r.site}: {r.inpatients} ({r.source})" for r in census_table.itertuples()),
        f"Bed base: {settings.bed_base.label}, with the scenario's bed changes.",
        f"Ranges: {APPROXIMATION}.",
        DEFINITION,
    )
    return BedOutlook(
        scenario=scenario.name, target=target, occupancy=occ, comparison=comparison, risk=risk,
        history=history, los=pd.DataFrame(los_rows), census=census_table, trace=trace,
        data_through=on_date, generated_at=generated, sites=sites + ((TRUST_TOTAL,) if len(sites) > 1 else ()))


def occupancy_chart(outlook: BedOutlook, site: str):
    """Fan chart of one site's occupied beds against its core, escalation and ceiling lines."""
    occ = outlook.occupancy[outlook.occupancy["site"] == site]
    hist = outlook.history[outlook.history["site"] == site] if not outlook.history.empty else None
    peak = occ.loc[occ["mean"].idxmax()]
    share = peak["mean"] / peak["core_beds"] if peak["core_beds"] else np.nan
    title = (f"Occupied beds at {site} expected to peak at ~{peak['mean']:,.0f} "
             f"({share:.0%} of core beds) on {peak['date']:%a %d %b %Y}")
    subtitle = [f"{occ['date'].min():%d %b %Y} to {occ['date'].max():%d %b %Y} · scenario: "
                f"{outlook.scenario} · data through {outlook.data_through:%d %b %Y} · generated "
                f"{outlook.generated_at:%d %b %Y %H:%M}",
                "Midnight census; 50/80/95 % ranges carry the admissions forecast and random stays"]
    return charts.occupancy_chart(occ, history=hist, title=title, subtitle=subtitle, target=outlook.target)


def bed_headlines(outlook: BedOutlook, site: str) -> dict:
    """Headline figures for one site: peak, days over the ceiling and over core beds, shortfall."""
    c = outlook.comparison[outlook.comparison["site"] == site]
    target = f"{outlook.target * 100:g}"
    days = len(c)
    return {
        "days": days,
        "mean": float(c["mean"].mean()),
        "peak_p90": float(c["p90"].max()),
        "over_target": int((c["occupancy_share"] > outlook.target).sum()),
        "over_core": int((c["occupancy_share"] > 1).sum()),
        "expected_over_target": float(c[f"p_over_{target}"].sum()),
        "max_shortfall_p90": float(c["shortfall_p90"].max()),
        "shortfall_days_p90": int((c["shortfall_p90"] > 0).sum()),
        "sentence": (
            f"Over the next {days} days {site} expects {c['mean'].mean():,.0f} occupied beds on an "
            f"average night (highest P90 {c['p90'].max():,.0f}). Expected occupancy is above "
            f"{target} % of core beds on {int((c['occupancy_share'] > outlook.target).sum())} days and above "
            f"all core beds on {int((c['occupancy_share'] > 1).sum())}; counting the uncertainty, "
            f"about {c[f'p_over_{target}'].sum():.0f} days are likely to pass {target} %."),
    }


def risk_table(outlook: BedOutlook, site: str) -> pd.DataFrame:
    """Days per month over each threshold for one site, labelled for display."""
    r = outlook.risk[outlook.risk["site"] == site].drop(columns="site").copy()
    c = outlook.comparison[outlook.comparison["site"] == site]
    bands = (c.assign(month=pd.DatetimeIndex(c["date"]).to_period("M"))
             .pivot_table(index="month", columns="opel_band", values="date", aggfunc="size", fill_value=0))
    n_bands = len(c.attrs.get("thresholds", ())) + 1 or int(c["opel_band"].max())
    bands = bands.reindex(columns=range(1, n_bands + 1), fill_value=0)
    bands.columns = [f"Days in band {b}" for b in bands.columns]
    r = r.merge(bands, left_on="month", right_index=True, how="left")
    r["month"] = r["month"].dt.strftime("%b %Y")
    names = {"month": "Month", "days": "Days"}
    for col in r.columns:
        if col.startswith("days_over_"):
            names[col] = f"Days > {col.removeprefix('days_over_')} %"
        elif col.startswith("expected_days_over_"):
            names[col] = f"Likely days > {col.removeprefix('expected_days_over_')} %"
    return r.rename(columns=names).round(1)


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


@st.cache_data(max_entries=16, show_spinner=False)
def beds_csv(outlook: BedOutlook) -> bytes:
    """The capacity contract for beds: site, date, resource, scenario, quantiles, available, p_exceed."""
    occ = outlook.occupancy.drop(columns=["approximation"], errors="ignore")
    comp = outlook.comparison.drop(columns=["mean", "p50", "p90", "core_beds", "escalation_beds", "scenario"])
    out = occ.merge(comp, on=["site", "date"], how="left").rename(
        columns={"core_beds": "available", "escalation_beds": "escalation"})
    out["p_exceed"] = out[f"p_over_{outlook.target * 100:g}"]
    out["data_through"] = outlook.data_through.date()
    out["generated_at"] = outlook.generated_at
    numbers = out.select_dtypes("number").columns
    out[numbers] = out[numbers].round(3)
    return cache.csv_bytes(out)


# --------------------------------------------------------------------------- workforce
def _hourly_history(activity: pd.DataFrame, sites) -> tuple[pd.DataFrame, str]:
    if data_frequency(activity) == "hourly":
        return activity, "the hourly data loaded"
    hourly = cache.sample("hourly")
    hourly = hourly[hourly["site"].isin(list(sites))]
    missing = sorted(set(sites) - set(hourly["site"]))
    if missing:
        raise CapacityUnavailable(
            f"No hourly arrivals for {', '.join(missing)}, so the arrival profile by hour cannot be "
            "built. Load hourly attendances for these sites on the Data page.")
    return hourly, "the bundled hourly sample (last 52 weeks)"


@st.cache_data(max_entries=16, show_spinner="Working out staff needed hour by hour...")
def workforce_outlook(activity: pd.DataFrame, settings: WorkforceSettings,
                      scenario_json: str = BASELINE.to_json()) -> WorkforceOutlook:
    """Staff required by hour against the rota for the coming ``settings.days`` days."""
    scenario = Scenario.from_json(scenario_json)
    sites = tuple(attendance_sites(activity))
    if not sites:
        raise CapacityUnavailable("The data has no attendances, so there is no ED demand to staff. "
                                  "Load attendances per site on the Data page.")
    hourly, profile_from = _hourly_history(activity, sites)
    profile = arrival_profile(hourly, weeks=52)
    days = max(settings.days, _WORKFORCE_DAYS)
    fc, _, models = _forecast(activity, ATTENDANCES, sites, days, settings.exclude_covid)
    fc = apply_to_demand(fc, scenario)
    demand = hourly_demand(fc, profile)
    required = staff_required(demand, settings.params)
    rota = read_rota_file(settings.rota)
    try:
        rota = apply_to_rota(rota, scenario)
    except ScenarioError as exc:
        raise CapacityUnavailable(str(exc)) from None
    all_gaps = staffing_gap(required, rota)
    start = pd.Timestamp(fc["date"].min())
    period = pd.to_datetime(all_gaps["date"]) < start + pd.Timedelta(days=settings.days)
    gaps = all_gaps[period].reset_index(drop=True)
    worst = {p: pd.concat([worst_gaps(part, n=10, period=p, start=start)
                           for _, part in all_gaps.groupby("site", sort=True)], ignore_index=True)
             for p in ("week", "weekend", "bank_holiday")}
    in_period = pd.to_datetime(demand["date"]) < start + pd.Timedelta(days=settings.days)
    queue = queue_check(demand[in_period], rota, settings.params, wait_minutes=settings.wait_minutes)
    queue = (queue.groupby(["site", "weekday", "hour"], as_index=False)
             .agg(arrivals=("arrivals", "mean"), servers=("servers", "mean"),
                  p_wait_over=("p_wait_over", "mean")))
    not_rostered = sorted(set(sites) - set(rota["site"]))
    p = settings.params
    trace = (
        *describe(scenario),
        f"Demand: the automatic daily attendance forecast from {start:%d %b %Y}, spread over the hours "
        f"with each site's weekday arrival profile from {profile_from}.",
        f"Staffed for the P{p.planning_quantile * 100:g} hour (demand in that hour is at or below this "
        f"level {p.planning_quantile:.0%} of the time).",
        f"Productivity: {p.patients_per_clinician_hour:g} patients per clinician-hour, "
        f"{p.patients_per_nurse_hour:g} per nurse-hour; minimum on shift {p.min_clinicians} clinicians, "
        f"{p.min_nurses} nurses.",
        "Nurse-led sites (no clinicians needed from demand): "
        + (", ".join(p.nurse_led_sites) if p.nurse_led_sites else "none") + ".",
        f"WTE: {p.hours_per_wte:g} contracted hours a week less {p.leave_allowance_pct:g} % leave and "
        f"sickness = {p.effective_hours_per_wte:.1f} rostered hours per WTE.",
        f"Rota: {settings.rota.label}, with the scenario's rota changes."
        + (f" No rota rows for {', '.join(not_rostered)}: counted as nobody on shift." if not_rostered else ""),
        f"Queueing check: Erlang-C (M/M/c) per hour, an approximation: Poisson arrivals, exponential "
        f"clinician time of {p.clinician_minutes_per_patient:.0f} minutes, each hour in steady state.",
    )
    return WorkforceOutlook(scenario=scenario.name, gaps=gaps, heat=gap_heatmap(gaps), worst=worst,
                            wte=wte_gap(gaps, settings.params), queue=queue, trace=trace, start=start,
                            sites=sites)


def heatmap_charts(outlook: WorkforceOutlook, site: str, days: int) -> list:
    """One hour x weekday gap chart per role for a site, on a shared colour scale."""
    heat = outlook.heat[outlook.heat["site"] == site]
    top = max(1.0, float(heat["gap"].abs().max())) if not heat.empty else 1.0
    out = []
    for role, part in heat.groupby("role", sort=True):
        short = part[part["gap"] > 0]
        if part["required"].sum() == 0 and part["rostered"].sum() == 0:
            continue  # e.g. no clinicians at a nurse-led unit, needed or rostered
        if short.empty:
            title = f"{site}, {role}: the rota covers demand in every hour of the week"
        else:
            worst = short.loc[short["gap"].idxmax()]
            title = (f"{site}, {role}: {len(short)} of 168 weekly hours short on average; worst "
                     f"{worst['weekday']}s {int(worst['hour']):02d}:00 ({worst['gap']:+.1f})")
        subtitle = (f"Staff required at the planning level minus staff on the rota, averaged over the "
                    f"{days} days from {outlook.start:%d %b %Y} · scenario: {outlook.scenario}")
        out.append(charts.staffing_heatmap_chart(part, title=title, subtitle=subtitle, top=top))
    return out


_PERIOD_LABELS = {"week": "Coming week", "weekend": "Coming weekend", "bank_holiday": "Next bank holiday"}


def worst_gap_table(outlook: WorkforceOutlook, site: str | None = None) -> pd.DataFrame:
    """The worst short-staffed hours in the coming week, weekend and next bank holiday."""
    parts = []
    for key, frame in outlook.worst.items():
        f = frame if site is None else frame[frame["site"] == site]
        if f.empty:
            continue
        parts.append(pd.DataFrame({
            "When": _PERIOD_LABELS[key], "Period": f["period"], "Site": f["site"],
            "Date and hour": pd.to_datetime(f["date"]).dt.strftime("%a %d %b %Y %H:00"),
            "Role": f["role"], "Required": f["required"], "Rostered": f["rostered"], "Short by": f["gap"]}))
    if not parts:
        return pd.DataFrame(columns=["When", "Period", "Site", "Date and hour", "Role", "Required",
                                     "Rostered", "Short by"])
    return pd.concat(parts, ignore_index=True)


def queue_table(outlook: WorkforceOutlook, site: str, threshold: float = 0.1) -> pd.DataFrame:
    """Hours of the week where the chance of a long wait passes ``threshold``, worst first."""
    q = outlook.queue[(outlook.queue["site"] == site) & (outlook.queue["p_wait_over"] > threshold)]
    q = q.sort_values("p_wait_over", ascending=False)
    return pd.DataFrame({"Day": q["weekday"], "Hour": q["hour"].map(lambda h: f"{int(h):02d}:00"),
                         "Arrivals per hour (mean)": q["arrivals"].round(1),
                         "Seeing patients (rostered)": q["servers"].round(0).astype(int),
                         "Chance of a long wait": (100 * q["p_wait_over"]).round(0)})


@st.cache_data(max_entries=16, show_spinner=False)
def workforce_csv(outlook: WorkforceOutlook) -> bytes:
    """Hourly required vs rostered staff in the capacity contract (resource = role)."""
    g = outlook.gaps.rename(columns={"role": "resource", "rostered": "available"})
    g.insert(3, "scenario", outlook.scenario)
    return cache.csv_bytes(g)


# --------------------------------------------------------------------------- scenarios
@st.cache_data(max_entries=8, show_spinner="Comparing scenarios...")
def compare_scenarios(activity: pd.DataFrame, bed_settings: BedSettings, workforce_settings: WorkforceSettings,
                      scenario_jsons: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Side-by-side figures for the baseline and up to four scenarios.

    Returns the comparison table (one row per measure, one column per scenario), the trust's
    expected occupied beds per scenario and day (for a chart), and each scenario's trace lines.
    """
    scenarios = [BASELINE] + [Scenario.from_json(j) for j in scenario_jsons if Scenario.from_json(j).name != BASELINE.name]
    if len(scenarios) > 5:
        raise CapacityUnavailable("Compare at most four scenarios with the baseline.")
    rows, series, traces = {}, [], {}
    for s in scenarios:
        beds = bed_outlook(activity, bed_settings, s.to_json())
        staff = workforce_outlook(activity, workforce_settings, s.to_json())
        site = TRUST_TOTAL if TRUST_TOTAL in beds.sites else beds.sites[0]
        h = bed_headlines(beds, site)
        per_site = {x: bed_headlines(beds, x) for x in beds.sites if x != TRUST_TOTAL}
        wte = staff.wte.groupby("role")[["short_hours_per_week", "wte"]].sum()
        target = f"{s.target_occupancy * 100:g} %"
        col = {
            f"Expected occupied beds, average night ({site})": round(h["mean"]),
            f"Highest P90 occupied beds ({site})": round(h["peak_p90"]),
            f"Days expected over {target} of core beds ({site})": h["over_target"],
            f"Days expected over core beds ({site})": h["over_core"],
            f"Site-days over {target} of core beds (sum of sites)": sum(v["over_target"] for v in per_site.values()),
            "Largest P90 shortfall against core beds (beds, any site)": round(max(v["max_shortfall_p90"] for v in per_site.values())),
            "Site-days with a P90 shortfall (sum of sites)": sum(v["shortfall_days_p90"] for v in per_site.values()),
        }
        for role in wte.index:
            col[f"ED {role} short, hours a week"] = round(float(wte.loc[role, "short_hours_per_week"]), 1)
            col[f"ED {role} gap in WTE"] = round(float(wte.loc[role, "wte"]), 1)
        rows[s.name] = col
        occ = beds.occupancy[beds.occupancy["site"] == site][["date", "mean"]].assign(scenario=s.name)
        series.append(occ)
        traces[s.name] = beds.trace[:len(describe(s))] + tuple(
            line for line in beds.trace[len(describe(s)):] if line.startswith(("Length of stay", "Inpatients")))
    table = pd.DataFrame(rows)
    table.index.name = "Measure"
    return table.reset_index(), pd.concat(series, ignore_index=True), traces


def scenario_chart(series: pd.DataFrame, horizon: int):
    names = list(dict.fromkeys(series["scenario"]))
    peak = series.groupby("scenario")["mean"].mean().reindex(names)
    base = peak.iloc[0]
    if len(names) > 1:
        best = (peak - base).idxmin()
        title = (f"'{best}' changes average occupied beds by {peak[best] - base:+,.0f} against the baseline"
                 if best != names[0] else "No scenario lowers occupied beds below the baseline")
    else:
        title = f"Baseline: about {base:,.0f} beds occupied on an average night"
    return charts.scenario_occupancy_chart(series, title=title,
                                           subtitle=f"Expected occupied beds, trust, next {horizon} days")


@st.cache_data(max_entries=8, show_spinner=False)
def comparison_csv(table: pd.DataFrame) -> bytes:
    return cache.csv_bytes(table)
