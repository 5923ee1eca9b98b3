"""Cached bed and workforce outlooks for the Beds, Workforce and Scenarios pages, and their input files."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from forecasting import charts
from forecasting.calendar import COVID_EXCLUSION
from forecasting.capacity import outlook as engine
from forecasting.capacity.beds import BedBaseError, check_bed_base_periods, read_bed_base
from forecasting.capacity.los import GROUPS, LengthOfStay, SpellsError, read_spells, stay_by_group
from forecasting.capacity.outlook import (DEFINITION, BedOutlook, OutlookError, WorkforceOutlook,
                                          bed_headlines, daily_table, latest_census, queue_table,
                                          risk_table, worst_gap_table)
from forecasting.capacity.workforce import RotaError, WorkforceParams, read_rota
from forecasting.io import SAMPLE_DIR, read_table
from forecasting.records import read_inpatient_spells
from forecasting.scenarios import BASELINE, Scenario, ScenarioError
from forecasting.schema import ADMISSIONS, ATTENDANCES
from forecasting.summary import to_daily

from . import cache
from .forecasting import data_frequency, model_label, run_forecast

__all__ = [
    "CapacityUnavailable", "InputFile", "BedSettings", "WorkforceSettings", "BedOutlook",
    "WorkforceOutlook", "WorkforceParams", "SAMPLE_SPELLS_WINDOW", "DEFINITION", "bed_sites",
    "attendance_sites", "default_nurse_led", "max_bed_horizon", "stay_table", "census_table", "spells_sites", "stay_groups", "stay_by_group_table", "read_spells_file", "read_bed_base_file", "read_rota_file",
    "length_of_stay_table", "latest_census", "bed_outlook", "occupancy_chart", "bed_headlines",
    "risk_table", "daily_table", "beds_csv", "workforce_outlook", "wte_by_role", "heatmap_charts", "worst_gap_table",
    "queue_table", "workforce_csv", "compare_scenarios", "scenario_chart", "comparison_csv",
]

#: The sample spells extract holds every spell in hospital on or after this date (earlier
#: admissions appear only if still in then), so the survival estimate is left-truncated here.
SAMPLE_SPELLS_WINDOW = "2024-11-01"
_MAX_BED_HORIZON = 548


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


# --------------------------------------------------------------------------- choices
def bed_sites(activity: pd.DataFrame) -> list[str]:
    """Sites with emergency admissions: the ones that have beds to plan."""
    return sorted(activity.loc[activity["metric"] == ADMISSIONS, "site"].unique())


def attendance_sites(activity: pd.DataFrame) -> list[str]:
    return sorted(activity.loc[activity["metric"] == ATTENDANCES, "site"].unique())


def default_nurse_led(activity: pd.DataFrame) -> list[str]:
    """Sites with attendances but no admissions: treated as nurse-led minor injuries units."""
    return list(engine.nurse_led_sites(activity))


# --------------------------------------------------------------------------- input files
def _table(file: InputFile) -> pd.DataFrame:
    if file.is_sample:
        return pd.read_csv(SAMPLE_DIR / file.name, dtype=str, keep_default_na=False)
    frame, report, _ = read_table(file.data, name=file.name)
    if report.errors:
        raise CapacityUnavailable(f"{file.name} could not be read: " +
                                  " ".join(p.message for p in report.errors))
    return frame


def _problems(report) -> str:
    table = report.to_frame()
    table = table[table["severity"] == "error"] if "severity" in table.columns else table
    return " ".join(f"{r.get('where', '')}: {r['problem']} {r.get('what to do', '')}".strip()
                    for r in table.head(5).to_dict("records"))


@st.cache_data(max_entries=8, show_spinner=False)
def read_spells_file(file: InputFile) -> pd.DataFrame:
    """The spells extract (site, admission_date, discharge_date), checked row by row.

    Uploads go through the record-level reader, which drops patient identifiers on read; any
    row with an error stops the upload being used (nothing is left out silently).
    """
    if file.is_sample:
        return read_spells(_table(file))
    loaded = read_inpatient_spells(file.data, name=file.name)
    if loaded.report.errors:
        raise CapacityUnavailable(f"{loaded.report.summary()} {_problems(loaded.report)} "
                                  "Fix these rows and upload it again.")
    try:
        return read_spells(loaded.frame)
    except SpellsError as exc:
        raise CapacityUnavailable(f"{file.name}: {exc} Fix these rows and upload it again.") from None


@st.cache_data(max_entries=8, show_spinner=False)
def read_bed_base_file(file: InputFile) -> pd.DataFrame:
    """The dated bed base (site, date_from, date_to, core_beds, escalation_beds), checked.

    Dates are read as everywhere else in the workbench: ISO or UK day-first (01/04/2019 is 1 April).
    """
    frame = _table(file)
    try:
        out = read_bed_base(frame)
        check_bed_base_periods(out)  # each site over its own dates: sites may start on different days
    except BedBaseError as exc:
        raise CapacityUnavailable(f"{file.name}: {exc}") from None
    for col in ("core_beds", "escalation_beds"):
        out[col] = out[col].astype(int)
    return out


@st.cache_data(max_entries=8, show_spinner=False)
def read_rota_file(file: InputFile) -> pd.DataFrame:
    """The rota (site, weekday, hour, clinicians, nurses), checked row by row."""
    try:
        return read_rota(_table(file))
    except RotaError as exc:
        raise CapacityUnavailable(f"{file.name}: {exc}") from None


_GROUP_LABELS = {"age_band": "age band", "specialty": "specialty", "ward": "ward"}


def spells_sites(file: InputFile, sites) -> tuple[str, ...]:
    """Those of ``sites`` that have spells in the extract (none if it cannot be read)."""
    try:
        spells = read_spells_file(file)
    except CapacityUnavailable:
        return ()
    present = set(spells["site"])
    return tuple(s for s in sites if s in present)


def stay_groups(file: InputFile, sites=None) -> dict[str, str]:
    """Columns of the spells extract the length of stay can be broken down by, with their labels.

    With ``sites``, only columns filled in for those sites' spells count.
    """
    try:
        spells = read_spells_file(file)
    except CapacityUnavailable:
        return {}
    if sites is not None:
        spells = spells[spells["site"].isin(list(sites))]
    return {g: _GROUP_LABELS[g] for g in GROUPS if g in spells.columns and spells[g].notna().any()}


@st.cache_data(max_entries=8, show_spinner=False)
def stay_by_group_table(file: InputFile, by: str, sites: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Mean, median and 90th percentile stay per site and group, for display (only ``sites`` if given)."""
    window = SAMPLE_SPELLS_WINDOW if file.is_sample else None
    spells = read_spells_file(file)
    if sites is not None:
        spells = spells[spells["site"].isin(list(sites))]
    table = stay_by_group(spells, by, window_start=window)
    return table.rename(columns={"site": "Site", by: _GROUP_LABELS[by].capitalize(), "spells": "Spells",
                                 "still_in": "Still in hospital", "mean": "Mean (days)",
                                 "median": "Median (days)", "p90": "90th percentile (days)"})


def stay_table(outlook: BedOutlook) -> pd.DataFrame:
    """The length of stay each site's beds forecast used, with display names."""
    return outlook.los.rename(columns={"site": "Site", "source": "Estimated from", "mean_now": "Mean now (days)",
                                       "mean_in_scenario": "Mean in this scenario (days)",
                                       "median": "Median (days)", "p90": "90th percentile (days)"})


def census_table(outlook: BedOutlook) -> pd.DataFrame:
    """The inpatients in a bed at the start, per site, and where the figure came from."""
    return outlook.census.rename(columns={"site": "Site", "inpatients": "Inpatients now", "source": "From"})


def max_bed_horizon(activity: pd.DataFrame, bed_base: InputFile) -> int:
    """Days the Beds page can look ahead: 18 months, or fewer if the bed base ends sooner."""
    try:
        base = read_bed_base_file(bed_base)
    except CapacityUnavailable:
        return _MAX_BED_HORIZON  # the page shows the bed base's problem itself
    sites = [s for s in bed_sites(activity) if s in set(base["site"])]
    if not sites or activity.empty:
        return _MAX_BED_HORIZON
    last = min(base.loc[base["site"] == s, "date_to"].max() for s in sites)
    days = (last - activity["date"].max().normalize()).days
    return int(min(_MAX_BED_HORIZON, max(days, 7)))


@st.cache_data(max_entries=8, show_spinner=False)
def length_of_stay_table(file: InputFile, sites: tuple[str, ...]) -> pd.DataFrame:
    """Mean, median and 90th percentile stay per site from the spells extract (editable defaults)."""
    spells = read_spells_file(file)
    window = SAMPLE_SPELLS_WINDOW if file.is_sample else None
    rows = []
    for site in sites:
        try:
            stay = LengthOfStay.from_spells(spells, site=site, window_start=window)
        except SpellsError as exc:
            raise CapacityUnavailable(f"{file.name}: {exc}") from None
        rows.append({"site": site, "mean": round(stay.mean, 2), "median": stay.percentile(0.5),
                     "p90": stay.percentile(0.9)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- forecast and outlooks
def _daily(activity: pd.DataFrame) -> pd.DataFrame:
    """Daily activity: hourly data is totalled per day (the forecast of days is what beds need)."""
    try:
        return to_daily(activity)
    except ValueError as exc:
        raise CapacityUnavailable(f"Beds and staffing need daily or hourly data; {exc}. "
                                  "Load daily activity on the Data page.") from None


def _forecast(activity: pd.DataFrame, exclude_covid: bool, metric: str):
    """The automatic forecast of every series (cached by the Forecast page too) and its model text."""
    fc, selection, generated, _ = run_forecast(_daily(activity), "auto",
                                               tuple(COVID_EXCLUSION) if exclude_covid else ())
    text = ""
    if not selection.empty and {"site", "metric", "model"} <= set(selection.columns):
        rows = selection[(selection["metric"] == metric) & (selection["site"] != "Trust total")]
        models = dict(zip(rows["site"], rows["model"]))
        text = (model_label(next(iter(models.values()))) if len(set(models.values())) == 1 else
                "; ".join(f"{site}: {model_label(m)}" for site, m in models.items()))
    return fc, generated, text


@st.cache_data(max_entries=16, show_spinner="Working out bed occupancy for every site...")
def bed_outlook(activity: pd.DataFrame, settings: BedSettings, scenario_json: str = BASELINE.to_json(),
                source: str = "") -> BedOutlook:
    """Occupied beds per site and the trust over the horizon, under one scenario (see the engine)."""
    fc, generated, models = _forecast(activity, settings.exclude_covid, ADMISSIONS)
    spells = read_spells_file(settings.spells) if (
        settings.los_source == "spells" or settings.census_source == "spells") else None
    try:
        return engine.bed_outlook(
            fc, bed_base=read_bed_base_file(settings.bed_base), spells=spells,
            los_summary={s: (m, p) for s, m, p in settings.los_summary} if settings.los_source == "summary" else None,
            census_counts=dict(settings.census_counts) if settings.census_source == "counts" else None,
            scenario=Scenario.from_json(scenario_json), horizon=settings.horizon, opel=settings.opel,
            spells_window_start=SAMPLE_SPELLS_WINDOW if settings.spells.is_sample else None,
            history=activity, generated_at=generated, model_text=models,
            bed_base_label=f"bed base ({settings.bed_base.label})",
            spells_label=(f"{'bundled sample' if settings.spells.is_sample else 'uploaded'} spells extract "
                          f"({settings.spells.name})"), source=source)
    except OutlookError as exc:
        raise CapacityUnavailable(str(exc)) from None


def occupancy_chart(outlook: BedOutlook, site: str):
    """Fan chart of one site's occupied beds against its core, escalation and ceiling lines."""
    occ = outlook.occupancy[outlook.occupancy["site"] == site]
    hist = outlook.history[outlook.history["site"] == site] if not outlook.history.empty else None
    title = engine.occupancy_message(outlook, site)
    subtitle = [f"{occ['date'].min():%d %b %Y} to {occ['date'].max():%d %b %Y} · scenario: {outlook.scenario} · "
                "midnight census; 50/80/95 % ranges carry the admissions forecast and random stays",
                charts.footnote_text(source=outlook.source or "active data", data_through=outlook.data_through,
                                     model=outlook.model, generated_at=outlook.generated_at)]
    return charts.occupancy_chart(occ, history=hist, title=title, subtitle=subtitle, target=outlook.target)


@st.cache_data(max_entries=16, show_spinner=False)
def beds_csv(outlook: BedOutlook) -> bytes:
    """The capacity contract for beds: site, date, resource, scenario, quantiles, available, p_exceed."""
    return cache.csv_bytes(engine.beds_frame(outlook))


def _hourly_history(activity: pd.DataFrame, sites) -> tuple[pd.DataFrame, str]:
    if data_frequency(activity) == "hourly":
        return activity, "the hourly data loaded"
    hourly = cache.sample("hourly")
    return hourly[hourly["site"].isin(list(sites))], "the bundled hourly sample (last 52 weeks)"


@st.cache_data(max_entries=16, show_spinner="Working out staff needed hour by hour...")
def workforce_outlook(activity: pd.DataFrame, settings: WorkforceSettings,
                      scenario_json: str = BASELINE.to_json(), source: str = "") -> WorkforceOutlook:
    """Staff required by hour against the rota for the coming ``settings.days`` days (see the engine)."""
    fc, generated, models = _forecast(activity, settings.exclude_covid, ATTENDANCES)
    hourly, profile_label = _hourly_history(activity, attendance_sites(activity))
    hourly_fc = None
    if data_frequency(activity) == "hourly":  # the hourly model's own next 48 hours (cached, shared)
        hourly_fc = run_forecast(activity, "auto", tuple(COVID_EXCLUSION) if settings.exclude_covid else ())[0]
    try:
        return engine.workforce_outlook(
            fc, hourly_history=hourly, rota=read_rota_file(settings.rota), params=settings.params,
            scenario=Scenario.from_json(scenario_json), days=settings.days,
            wait_minutes=settings.wait_minutes, profile_label=profile_label, rota_label=settings.rota.label,
            model_text=models, source=source, generated_at=generated, hourly_forecast=hourly_fc)
    except OutlookError as exc:
        raise CapacityUnavailable(str(exc)) from None


def wte_by_role(outlook: WorkforceOutlook, site: str) -> pd.DataFrame:
    """One site's shortfall per role: short staff-hours a week and the WTE they imply."""
    return outlook.wte[outlook.wte["site"] == site].set_index("role")


def heatmap_charts(outlook: WorkforceOutlook, site: str, days: int) -> list:
    """One hour x weekday gap chart per role for a site, on a shared colour scale."""
    heat = outlook.heat[outlook.heat["site"] == site]
    top = max(1.0, float(heat["gap"].abs().max())) if not heat.empty else 1.0
    out = []
    for role, part in heat.groupby("role", sort=True):
        if part["required"].sum() == 0 and part["rostered"].sum() == 0:
            continue  # e.g. no clinicians at a nurse-led unit, needed or rostered
        title = engine.heatmap_message(part, site, role)
        subtitle = [f"Staff required at the planning level minus staff on the rota, averaged over the "
                    f"{days} days from {outlook.start:%d %b %Y} · scenario: {outlook.scenario}",
                    charts.footnote_text(source=outlook.source or "active data",
                                         data_through=outlook.start - pd.Timedelta(days=1),
                                         model=outlook.model, generated_at=outlook.generated_at)]
        out.append(charts.staffing_heatmap_chart(part, title=title, subtitle=subtitle, top=top))
    return out


@st.cache_data(max_entries=16, show_spinner=False)
def workforce_csv(outlook: WorkforceOutlook) -> bytes:
    """Hourly required vs rostered staff in the capacity contract (resource = role)."""
    return cache.csv_bytes(engine.workforce_frame(outlook))


# --------------------------------------------------------------------------- scenarios
@st.cache_data(max_entries=8, show_spinner="Comparing scenarios...")
def scenario_outlooks(activity: pd.DataFrame, bed_settings: BedSettings, workforce_settings: WorkforceSettings,
                      scenarios: list[Scenario]) -> tuple[list, list, dict[str, str], dict[str, str]]:
    """Bed and workforce outlooks of the baseline-first ``scenarios``, each part kept if the data gives it.

    Returns the bed outlooks, the workforce outlooks, why a part ('Beds', 'Workforce') is left
    out (the baseline could not give it), and why a scenario is left out (it cannot apply to
    this data, e.g. a file made for other sites); the baseline and the other scenarios stand.
    """
    calls = {"Beds": (bed_outlook, bed_settings), "Workforce": (workforce_outlook, workforce_settings)}
    parts, missing, dropped = {}, {}, {}
    for part, (call, settings) in calls.items():
        try:
            parts[part] = [call(activity, settings, scenarios[0].to_json())]
        except CapacityUnavailable as exc:
            parts[part], missing[part] = [], str(exc)
    for scn in scenarios[1:]:
        try:
            got = {part: [call(activity, settings, scn.to_json())] if parts[part] else []
                   for part, (call, settings) in calls.items()}
        except (CapacityUnavailable, ScenarioError) as exc:
            dropped[scn.name] = str(exc)
            continue
        for part, outlooks in got.items():
            parts[part] += outlooks
    return parts["Beds"], parts["Workforce"], missing, dropped


def compare_scenarios(activity: pd.DataFrame, bed_settings: BedSettings, workforce_settings: WorkforceSettings,
                      scenario_jsons: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame, dict, list[str]]:
    """Side-by-side figures for the baseline and up to four scenarios.

    Returns the comparison table (one row per measure, one column per scenario), the trust's
    expected occupied beds per scenario and day (for a chart), each scenario's trace lines, and
    a note for the part (beds or staffing) the data cannot give; the other part is still shown.
    CapacityUnavailable only when neither can be worked out.
    """
    scenarios = [BASELINE] + [s for s in map(Scenario.from_json, scenario_jsons) if s.name != BASELINE.name]
    if len(scenarios) > 5:
        raise CapacityUnavailable("Compare at most four scenarios with the baseline.")
    beds, staffing, missing, dropped = scenario_outlooks(activity, bed_settings, workforce_settings, scenarios)
    notes = ([f"{'Staffing' if part == 'Workforce' else part} left out of the comparison: {why}"
              for part, why in missing.items()]
             + [f"Scenario '{name}' left out of the comparison: {why}" for name, why in dropped.items()])
    if not beds and not staffing:
        raise CapacityUnavailable(" ".join(notes))
    table, series = engine.scenario_table(beds, staffing)
    traces = {o.scenario: tuple(line for line in o.trace if not line.startswith(
        ("Admissions:", "Bed base:", "Ranges:", "Length of stay in whole days")))
        for o in beds or staffing}
    return table, series, traces, notes


def scenario_chart(series: pd.DataFrame, horizon: int):
    names = list(dict.fromkeys(series["scenario"]))
    means = series.groupby("scenario")["mean"].mean().reindex(names)
    base = means.iloc[0]
    if len(names) > 1:
        best = (means - base).idxmin()
        title = (f"'{best}' changes average occupied beds by {means[best] - base:+,.0f} against the baseline"
                 if best != names[0] else "No scenario lowers occupied beds below the baseline")
    else:
        title = f"Baseline: about {base:,.0f} beds occupied on an average night"
    return charts.scenario_occupancy_chart(series, title=title,
                                           subtitle=f"Expected occupied beds, trust, next {horizon} days")


@st.cache_data(max_entries=8, show_spinner=False)
def comparison_csv(table: pd.DataFrame) -> bytes:
    return cache.csv_bytes(table)
