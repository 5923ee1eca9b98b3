"""Beds: occupied beds ahead per site and trust against the bed base, days at risk, and a CSV."""

import streamlit as st

from ui import capacity as cap
from ui import capacity_forms as forms
from ui.data import require_dataset

st.title("Beds")
st.caption("Will we have the beds? Occupied beds each night from the admissions forecast and how long "
           "patients stay, against core and escalation beds.")
ds = require_dataset()

scenario_json = forms.scenario_picker("Scenario", key="beds_scenario")
settings = forms.bed_settings_form(ds.frame)
try:
    outlook = cap.bed_outlook(ds.frame, settings, scenario_json, ds.label)
except cap.CapacityUnavailable as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()

site = st.radio("Site", outlook.sites, index=len(outlook.sites) - 1, horizontal=True, key="beds_site")
h = cap.bed_headlines(outlook, site)
target = f"{outlook.target * 100:g} %"
m1, m2, m3, m4 = st.columns(4)
m1.metric("Occupied beds, average night", f"{h['mean']:,.0f}")
m2.metric("Highest P90", f"{h['peak_p90']:,.0f}")
m3.metric(f"Days over {target} of core beds", f"{h['over_target']} of {h['days']}")
m4.metric("Days over all core beds", f"{h['over_core']} of {h['days']}")
st.markdown(h["sentence"])
st.altair_chart(cap.occupancy_chart(outlook, site), width="stretch")
st.caption(cap.DEFINITION)

st.subheader("Days at risk by month")
st.dataframe(cap.risk_table(outlook, site), hide_index=True, width="stretch")
st.caption("'Days >' counts days whose expected occupancy passes that share of core beds; 'likely days' "
           "adds up each day's chance of passing it. OPEL-style bands rise at the thresholds set above "
           f"({', '.join(f'{t * 100:g} %' for t in settings.opel)} of core beds).")
with st.expander("Day by day", icon=":material/calendar_month:"):
    st.dataframe(cap.daily_table(outlook, site), hide_index=True, width="stretch")

with st.expander("Length of stay and inpatients now", icon=":material/bed:"):
    st.dataframe(cap.stay_table(outlook), hide_index=True, width="stretch")
    st.dataframe(cap.census_table(outlook), hide_index=True, width="stretch")
    sites = tuple(outlook.los["site"])  # the data's sites, as the forecast used them
    if settings.los_source != "spells":
        st.caption("Length of stay by age band, specialty or ward is shown when stays come from the spells "
                   "extract; these stays come from the mean and 90th percentile entered above.")
    elif not (in_extract := cap.spells_sites(settings.spells, sites)):
        st.caption(f"Length of stay by group is not shown: none of the data's sites ({', '.join(sites)}) "
                   f"are in the spells extract ({settings.spells.label}).")
    elif groups := cap.stay_groups(settings.spells, in_extract):
        by = st.radio("Length of stay by", list(groups), format_func=groups.get, horizontal=True, key="beds_los_by")
        st.dataframe(cap.stay_by_group_table(settings.spells, by, in_extract), hide_index=True, width="stretch")
        st.caption(f"From the spells extract, {settings.spells.label}, for {', '.join(in_extract)}: Kaplan-Meier "
                   "per group (patients still in are censored); groups with fewer than 30 spells are counted but "
                   "not estimated. The beds forecast uses each site's stays as a whole.")
with st.expander("Every assumption behind these figures", icon=":material/fact_check:"):
    st.markdown("\n".join(f"- {line}" for line in outlook.trace))

st.download_button("Download beds by site and day (CSV)", cap.beds_csv(outlook), on_click="ignore",
                   file_name=f"beds_{outlook.scenario.replace(' ', '_')}_{outlook.data_through:%Y%m%d}.csv",
                   mime="text/csv", icon=":material/download:")
