"""Scenarios: build, save, load and compare what-ifs for demand, length of stay, beds and rotas."""

import streamlit as st

from forecasting.scenarios import Scenario, ScenarioError, describe
from ui import capacity as cap
from ui import capacity_forms as forms
from ui.data import require_dataset

st.title("Scenarios")
st.caption("What if admissions grow, stays shorten, SDEC takes a share of admissions, a ward opens or the "
           "rota changes? Build a scenario, save it, and compare up to four with the baseline.")
ds = require_dataset()
sites = cap.attendance_sites(ds.frame)
bed_sites = cap.bed_sites(ds.frame)

build, library = st.tabs(["Build a scenario", "Saved scenarios"])
with build:
    with st.form("scenario_form"):
        name = st.text_input("Name", placeholder="e.g. SDEC 10 % and new ward", key="scn_name")
        a, b, c = st.columns(3)
        growth = a.number_input("Demand growth (%)", -50.0, 100.0, 0.0, 0.5, key="scn_growth",
                                help="Changes all arrivals: attendances, ambulance arrivals and admissions.")
        avoided = b.number_input("Admissions avoided, e.g. by SDEC (%)", 0.0, 100.0, 0.0, 0.5, key="scn_avoided")
        target = c.number_input("Planning ceiling (% of core beds)", 50.0, 100.0, 92.0, 1.0, key="scn_target")
        los_days = a.number_input("Length of stay change (days)", -30.0, 30.0, 0.0, 0.1, key="scn_los_days")
        los_pct = b.number_input("Length of stay change (%)", -90.0, 200.0, 0.0, 1.0, key="scn_los_pct")
        st.markdown("**Beds opened (+) or closed (-)**: core G&A beds at a site for a date range")
        bed_rows = st.data_editor(
            forms.bed_change_rows(), num_rows="dynamic", key="scn_beds", width="stretch",
            column_config={"site": st.column_config.SelectboxColumn("Site", options=bed_sites),
                           "start": st.column_config.DateColumn("From", format="DD/MM/YYYY"),
                           "end": st.column_config.DateColumn("To (inclusive)", format="DD/MM/YYYY"),
                           "beds": st.column_config.NumberColumn("Beds (+/-)", step=1)})
        st.markdown("**Rota changes**: staff added (+) or removed (-) by weekday and hours (inclusive)")
        rota_rows = st.data_editor(
            forms.rota_change_rows(), num_rows="dynamic", key="scn_rota", width="stretch",
            column_config={"site": st.column_config.SelectboxColumn("Site", options=sites),
                           "weekday": st.column_config.SelectboxColumn("Day", options=forms.ROTA_WEEKDAYS),
                           "hour_from": st.column_config.NumberColumn("From hour", min_value=0, max_value=23, step=1),
                           "hour_to": st.column_config.NumberColumn("To hour", min_value=0, max_value=23, step=1),
                           "role": st.column_config.SelectboxColumn("Role", options=forms.ROTA_ROLES),
                           "change": st.column_config.NumberColumn("Staff (+/-)", step=1)})
        submitted = st.form_submit_button("Save scenario", type="primary", icon=":material/save:")
    if submitted:
        try:
            scenario = forms.scenario_from_editors(name=name, growth=growth, avoided=avoided, los_days=los_days,
                                                   los_pct=los_pct, target_pct=target, bed_rows=bed_rows,
                                                   rota_rows=rota_rows)
            replaced = forms.store_scenario(scenario)
            st.success(f"{'Replaced the saved' if replaced else 'Saved'} '{scenario.name}'. Compare it below, "
                       "or pick it on the Beds and Workforce pages.", icon=":material/check_circle:")
        except ScenarioError as exc:
            st.error(f"The scenario was not saved: {exc}", icon=":material/error:")

with library:
    up = st.file_uploader("Load a scenario file (JSON saved from this page)", type=["json"], key="scn_upload")
    if up is not None:
        try:
            loaded = forms.load_scenario_upload(up.getvalue(), up.name)
            if loaded is not None:
                st.success(f"Loaded '{loaded.name}'.", icon=":material/check_circle:")
        except ScenarioError as exc:
            st.error(str(exc), icon=":material/error:")
    saved = forms.saved_scenarios()
    if not saved:
        st.info("No scenarios saved yet in this session: build one in the first tab or load a file.")
    for scn_name, text in list(saved.items()):
        with st.container(border=True):
            left, right = st.columns([4, 1])
            left.markdown("\n".join(f"- {line}" for line in describe(Scenario.from_json(text))))
            right.download_button("Download JSON", text, file_name=f"scenario_{scn_name.replace(' ', '_')}.json",
                                  mime="application/json", on_click="ignore", key=f"scn_dl_{scn_name}",
                                  icon=":material/download:")
            if right.button("Delete", key=f"scn_del_{scn_name}", icon=":material/delete:"):
                forms.delete_scenario(scn_name)
                st.rerun()

st.subheader("Compare with the baseline")
chosen = st.multiselect("Scenarios to compare (up to four)", forms.compare_selection(), max_selections=4,
                        key="scn_compare")
bed_settings = forms.current_bed_settings()
staff_settings = forms.current_workforce_settings(ds.frame)
st.caption(f"Uses the settings last chosen on the Beds page ({bed_settings.horizon} days ahead, length of "
           f"stay from {'the spells extract' if bed_settings.los_source == 'spells' else 'figures entered'}) "
           f"and the Workforce page ({staff_settings.days} days, P{staff_settings.params.planning_quantile * 100:g}).")
try:
    table, series, traces, left_out = cap.compare_scenarios(
        ds.frame, bed_settings, staff_settings, tuple(forms.saved_scenarios()[n] for n in chosen))
except (cap.CapacityUnavailable, ScenarioError) as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()
for note in left_out:
    st.info(note, icon=":material/info:")
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"Measure": st.column_config.TextColumn(width="large")})
if not series.empty:
    st.altair_chart(cap.scenario_chart(series, bed_settings.horizon), width="stretch")
cols = st.columns(len(traces))
for col, (scn_name, lines) in zip(cols, traces.items()):
    with col.container(border=True):
        st.markdown("\n".join(f"- {line}" for line in lines))
st.download_button("Download the comparison (CSV)", cap.comparison_csv(table), on_click="ignore",
                   file_name="scenario_comparison.csv", mime="text/csv", icon=":material/download:")
