"""Widgets and session state for the Beds, Workforce and Scenarios pages: settings forms and saved scenarios."""

from __future__ import annotations

import dataclasses
import hashlib

import pandas as pd
import streamlit as st

from forecasting.capacity.workforce import ROLES, WEEKDAYS, WorkforceParams
from forecasting.scenarios import BASELINE, BedChange, RotaChange, Scenario, ScenarioError

from . import capacity as cap
from .forecasting import covers_covid

__all__ = ["bed_settings_form", "workforce_settings_form", "scenario_picker", "saved_scenarios",
           "store_scenario", "delete_scenario", "compare_selection", "load_scenario_upload", "scenario_from_editors", "load_scenario_file",
           "current_bed_settings", "current_workforce_settings", "bed_change_rows", "rota_change_rows"]

_SCENARIOS = "saved_scenarios"
_BEDS = "bed_settings"
_STAFF = "workforce_settings"
_SPREADSHEETS = ["csv", "xlsx", "parquet"]


# --------------------------------------------------------------------------- saved scenarios
def saved_scenarios() -> dict[str, str]:
    """Scenarios saved in this browser session: name -> JSON text (baseline not included)."""
    return st.session_state.setdefault(_SCENARIOS, {})


_COMPARE = "scn_compare"  # the Scenarios page's multiselect of scenarios to compare


def store_scenario(scenario: Scenario) -> bool:
    """Save a scenario for this session and add it to the comparison while fewer than four are picked.

    Returns True when it replaced a saved scenario of the same name.
    """
    if scenario.name == BASELINE.name:
        raise ScenarioError("'Baseline' is the no-change scenario and is always shown; pick another name.")
    replaced = scenario.name in saved_scenarios()
    saved_scenarios()[scenario.name] = scenario.to_json()
    chosen = list(st.session_state.get(_COMPARE, []))
    if scenario.name not in chosen and len(chosen) < 4:
        st.session_state[_COMPARE] = chosen + [scenario.name]
    return replaced


def delete_scenario(name: str) -> None:
    saved_scenarios().pop(name, None)
    st.session_state[_COMPARE] = [n for n in st.session_state.get(_COMPARE, []) if n != name]


def compare_selection() -> list[str]:
    """Start the comparison picker on the scenarios saved so far (up to four)."""
    st.session_state.setdefault(_COMPARE, list(saved_scenarios())[:4])
    return list(saved_scenarios())


def load_scenario_file(raw: bytes, name: str) -> Scenario:
    """Read an uploaded scenario JSON file; the error names the file."""
    try:
        return Scenario.from_json(raw)
    except ScenarioError as exc:
        raise ScenarioError(f"{name}: {exc}") from None


def load_scenario_upload(raw: bytes, name: str) -> Scenario | None:
    """Save an uploaded scenario once: None when these bytes were loaded already in this session.

    The file stays in the uploader across reruns; loading it again each time would undo the
    user's later choices (untick it, delete it).
    """
    seen = st.session_state.setdefault("scn_loaded_files", set())
    key = hashlib.sha256(raw).hexdigest()
    if key in seen:
        return None
    scenario = load_scenario_file(raw, name)
    store_scenario(scenario)
    seen.add(key)
    return scenario


def scenario_picker(label: str, key: str) -> str:
    """A select box of the baseline and saved scenarios; returns the chosen one as JSON.

    The choice is remembered outside the widget, so it survives a visit to another page
    (Streamlit forgets the state of widgets that were not on the last page shown).
    """
    saved = saved_scenarios()
    names = [BASELINE.name] + list(saved)
    remembered = st.session_state.get(f"{key}_choice", BASELINE.name)
    name = st.selectbox(label, names, index=names.index(remembered) if remembered in names else 0, key=key,
                        help="Build and save scenarios on the Scenarios page; the baseline changes nothing.")
    st.session_state[f"{key}_choice"] = name
    return BASELINE.to_json() if name == BASELINE.name else saved[name]


# --------------------------------------------------------------------------- settings forms
def current_bed_settings() -> cap.BedSettings:
    """The settings last used on the Beds page (defaults until it has been opened)."""
    return st.session_state.get(_BEDS, cap.BedSettings())


def current_workforce_settings(activity: pd.DataFrame) -> cap.WorkforceSettings:
    """The settings last used on the Workforce page (defaults until it has been opened)."""
    default = cap.WorkforceSettings(
        params=WorkforceParams(nurse_led_sites=tuple(cap.default_nurse_led(activity))))
    return st.session_state.get(_STAFF, default)


def _upload(label: str, key: str, current: cap.InputFile, default: cap.InputFile,
            help_text: str) -> cap.InputFile:
    """An uploader that keeps the file chosen earlier (the uploader itself empties when the user
    visits another page), with a button back to the bundled sample."""
    up = st.file_uploader(label, type=_SPREADSHEETS, key=key, help=help_text)
    if up is not None:
        return cap.InputFile(up.name, up.getvalue())
    if not current.is_sample:
        left, right = st.columns([3, 1])
        left.caption(f"In use: {current.label} (uploaded earlier in this session).")
        if right.button("Use the bundled sample", key=f"{key}_reset"):
            return default
        return current
    return default


def bed_settings_form(activity: pd.DataFrame) -> cap.BedSettings:
    """The Beds page's settings: horizon, stays, current inpatients, bed base and OPEL bands."""
    old = current_bed_settings()
    sites = cap.bed_sites(activity)
    top = cap.max_bed_horizon(activity, old.bed_base)
    horizon = st.slider("Days ahead", 7, top, min(old.horizon, top), key="beds_horizon",
                        help=f"Up to {top} days: 18 months, or as far as the bed base goes. The admissions "
                             "forecast is the automatic one from the Forecast page, changed by the scenario.")
    with st.expander("Length of stay, inpatients now, bed base and OPEL bands", icon=":material/tune:"):
        c1, c2 = st.columns(2)
        spells = _upload("Spells extract (optional; default: bundled sample)", "beds_spells_file",
                         old.spells, cap.BedSettings().spells,
                         "One row per inpatient spell: site, admission_date, discharge_date (blank if "
                         "still in hospital). CSV, XLSX or Parquet.")
        los_source = c1.radio(
            "Length of stay from", ["spells", "summary"], key="beds_los_source",
            index=["spells", "summary"].index(old.los_source),
            format_func={"spells": "The spells extract (Kaplan-Meier; patients still in are censored)",
                         "summary": "A mean and 90th percentile per site (lognormal fit)"}.get)
        summary = old.los_summary
        if los_source == "summary":
            try:
                defaults = cap.length_of_stay_table(spells, tuple(sites))[["site", "mean", "p90"]]
            except cap.CapacityUnavailable:
                defaults = pd.DataFrame({"site": sites, "mean": 8.0, "p90": 18.0})
            # figures entered earlier are kept for the sites still in the data; new sites get defaults
            entered = {site: (mean, p90) for site, mean, p90 in summary}
            defaults = pd.DataFrame([(site, *entered.get(site, (m, p))) for site, m, p in
                                     defaults.itertuples(index=False)], columns=["site", "mean", "p90"])
            edited = c1.data_editor(defaults, key="beds_los_table", hide_index=True, disabled=["site"],
                                    column_config={"mean": st.column_config.NumberColumn("Mean stay (days)", min_value=0.1, step=0.1),
                                                   "p90": st.column_config.NumberColumn("90th percentile (days)", min_value=0.2, step=0.5)})
            summary = tuple((r.site, float(r.mean), float(r.p90)) for r in edited.itertuples())
        census_source = c2.radio(
            "Inpatients in a bed now", ["spells", "counts"], key="beds_census_source",
            index=["spells", "counts"].index(old.census_source),
            format_func={"spells": "From the spells extract (midnight census at the end of the data)",
                         "counts": "Enter the number per site"}.get)
        counts = old.census_counts
        if census_source == "counts":
            latest = cap.latest_census(activity, sites) | {k: v for k, v in counts if k in sites}
            counts = tuple((site, int(c2.number_input(f"Inpatients now at {site}", 0, 5000,
                                                      int(latest.get(site, 0)), key=f"beds_census_{site}")))
                           for site in sites)
        bed_base = _upload("Bed base (optional; default: bundled sample)", "beds_base_file",
                           old.bed_base, cap.BedSettings().bed_base,
                           "site, date_from, date_to, core_beds, escalation_beds: one row per period "
                           "with a fixed bed base (openings and closures as new rows).")
        st.markdown("**OPEL-style bands** (expected occupancy as a share of core beds)")
        b1, b2, b3 = st.columns(3)
        opel = tuple(v / 100 for v in (
            b1.number_input("Band 2 from (%)", 50, 150, int(round(old.opel[0] * 100)), key="beds_opel1"),
            b2.number_input("Band 3 from (%)", 50, 150, int(round(old.opel[1] * 100)), key="beds_opel2"),
            b3.number_input("Band 4 from (%)", 50, 200, int(round(old.opel[2] * 100)), key="beds_opel3")))
    if not opel[0] < opel[1] < opel[2]:
        st.warning("The OPEL band thresholds must rise (band 2 < band 3 < band 4); the defaults "
                   "85 %, 92 % and 100 % are used until they do.", icon=":material/warning:")
        opel = cap.BedSettings().opel
    settings = cap.BedSettings(horizon=horizon, los_source=los_source, los_summary=summary,
                               census_source=census_source, census_counts=counts, opel=opel,
                               exclude_covid=covers_covid(activity), spells=spells, bed_base=bed_base)
    st.session_state[_BEDS] = settings
    return settings


def workforce_settings_form(activity: pd.DataFrame) -> cap.WorkforceSettings:
    """The Workforce page's settings: period, planning level, productivity, WTE, rota."""
    old = current_workforce_settings(activity)
    p = old.params
    c1, c2 = st.columns(2)
    weeks = c1.slider("Weeks ahead to plan", 1, 12, max(1, old.days // 7), key="staff_weeks")
    quantiles = {0.5: "P50 (an average hour)", 0.8: "P80 (four hours in five covered)",
                 0.9: "P90 (nine in ten covered)"}
    planning = c2.radio("Staff for demand at", list(quantiles), format_func=quantiles.get, horizontal=True,
                        index=list(quantiles).index(p.planning_quantile) if p.planning_quantile in quantiles else 1,
                        key="staff_quantile")
    with st.expander("Productivity, whole-time equivalents, queueing and the rota", icon=":material/tune:"):
        a, b, c = st.columns(3)
        per_clin = a.number_input("Patients per clinician-hour", 0.5, 10.0, p.patients_per_clinician_hour, 0.1,
                                  key="staff_per_clin", help="New patients one doctor or ACP sees per hour on shift.")
        per_nurse = b.number_input("Patients per nurse-hour", 0.5, 10.0, p.patients_per_nurse_hour, 0.1,
                                   key="staff_per_nurse")
        wait = c.number_input("Long wait for the queueing check (minutes)", 5, 240, old.wait_minutes, 5,
                              key="staff_wait")
        min_clin = a.number_input("Minimum clinicians on shift", 0, 20, p.min_clinicians, key="staff_min_clin")
        min_nurse = b.number_input("Minimum nurses on shift", 0, 40, p.min_nurses, key="staff_min_nurse")
        nurse_led = c.multiselect("Nurse-led sites (no clinicians needed)", cap.attendance_sites(activity),
                                  default=[s for s in p.nurse_led_sites if s in cap.attendance_sites(activity)],
                                  key="staff_nurse_led")
        hours = a.number_input("Contracted hours a week per WTE", 1.0, 48.0, p.hours_per_wte, 0.5, key="staff_hours")
        leave = b.number_input("Leave, training and sickness (% of hours)", 0.0, 60.0, p.leave_allowance_pct, 0.5,
                               key="staff_leave")
        rota = _upload("Rota (optional; default: bundled sample)", "staff_rota_file", old.rota,
                       cap.WorkforceSettings().rota,
                       "site, weekday (Monday-Sunday), hour (0-23), clinicians, nurses: staff on shift "
                       "in each hour of the week. CSV, XLSX or Parquet.")
    params = WorkforceParams(patients_per_clinician_hour=float(per_clin), patients_per_nurse_hour=float(per_nurse),
                             planning_quantile=planning, nurse_led_sites=tuple(nurse_led),
                             min_clinicians=int(min_clin), min_nurses=int(min_nurse), hours_per_wte=float(hours),
                             leave_allowance_pct=float(leave))
    settings = cap.WorkforceSettings(params=params, days=7 * weeks, wait_minutes=int(wait),
                                     exclude_covid=covers_covid(activity), rota=rota)
    st.session_state[_STAFF] = settings
    return settings


# --------------------------------------------------------------------------- the scenario builder
def bed_change_rows(scenario: Scenario | None = None) -> pd.DataFrame:
    rows = [dataclasses.asdict(c) for c in (scenario.bed_changes if scenario else ())]
    frame = pd.DataFrame(rows, columns=["site", "start", "end", "beds"])
    for col in ("start", "end"):
        frame[col] = pd.to_datetime(frame[col])
    return frame.astype({"beds": "Int64"})


def rota_change_rows(scenario: Scenario | None = None) -> pd.DataFrame:
    rows = [dataclasses.asdict(c) for c in (scenario.rota_changes if scenario else ())]
    return pd.DataFrame(rows, columns=["site", "weekday", "hour_from", "hour_to", "role", "change"]).astype(
        {"hour_from": "Int64", "hour_to": "Int64", "change": "Int64"})


def _rows(frame: pd.DataFrame, kind, what: str) -> tuple:
    """Change objects from an editor table; a half-filled row is named in the error."""
    out = []
    for i, row in enumerate(frame.to_dict("records"), start=1):
        values = {k: v for k, v in row.items() if not (v is None or (not isinstance(v, str) and pd.isna(v)))}
        if not values:
            continue  # a blank row the editor added
        missing = [k for k in frame.columns if k not in values]
        if missing:
            raise ScenarioError(f"{what} row {i}: fill in {', '.join(missing)} (or delete the row).")
        for k in ("beds", "hour_from", "hour_to", "change"):
            if k in values:
                values[k] = int(values[k])
        try:
            out.append(kind(**values))
        except ScenarioError as exc:
            raise ScenarioError(f"{what} row {i}: {exc}") from None
    return tuple(out)


def scenario_from_editors(*, name: str, growth: float, avoided: float, los_days: float, los_pct: float,
                          target_pct: float, bed_rows: pd.DataFrame, rota_rows: pd.DataFrame) -> Scenario:
    """Build a Scenario from the builder's fields and tables (ScenarioError says what to fix)."""
    return Scenario(name=name, demand_growth_pct=float(growth), admissions_avoided_pct=float(avoided),
                    los_change_days=float(los_days), los_change_pct=float(los_pct),
                    target_occupancy=float(target_pct) / 100,
                    bed_changes=_rows(bed_rows, BedChange, "Bed change"),
                    rota_changes=_rows(rota_rows, RotaChange, "Rota change"))


#: Choices offered in the rota-change editor.
ROTA_WEEKDAYS = ["All", *WEEKDAYS]
ROTA_ROLES = list(ROLES)
