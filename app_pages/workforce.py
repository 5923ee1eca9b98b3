"""Workforce: ED staff required by hour against the rota, worst gaps, WTE and a queueing check."""

import streamlit as st

from ui import capacity as cap
from ui import capacity_forms as forms
from ui.data import require_dataset

st.title("Workforce")
st.caption("Do our ED rotas match the hourly arrival curve? Staff needed each hour from the attendance "
           "forecast and productivity, against staff on the rota.")
ds = require_dataset()

scenario_json = forms.scenario_picker("Scenario", key="staff_scenario")
settings = forms.workforce_settings_form(ds.frame)
try:
    outlook = cap.workforce_outlook(ds.frame, settings, scenario_json, ds.label)
except cap.CapacityUnavailable as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()

site = st.radio("Site", outlook.sites, horizontal=True, key="staff_site")
wte = cap.wte_by_role(outlook, site)
cols = st.columns(len(wte) or 1)
for col, (role, row) in zip(cols, wte.iterrows()):
    col.metric(f"{role.capitalize()} gap", f"{row['wte']:.1f} WTE",
               help=f"{row['short_hours_per_week']:.0f} short staff-hours a week, divided by the rostered "
                    "hours one WTE gives after leave.")
for chart in cap.heatmap_charts(outlook, site, settings.days):
    st.altair_chart(chart, width="stretch")

st.subheader("Worst gaps: coming week, weekend and next bank holiday")
worst = cap.worst_gap_table(outlook, site)
if worst.empty:
    st.success(f"No hour at {site} is short of staff in these periods.", icon=":material/check_circle:")
else:
    st.dataframe(worst, hide_index=True, width="stretch")

st.subheader(f"Chance a patient waits more than {settings.wait_minutes} minutes to be seen")
queue = cap.queue_table(outlook, site)
st.caption("An approximation (Erlang-C): Poisson arrivals, exponential time with a clinician (a nurse "
           "at nurse-led sites), each hour taken on its own. Hours where the chance passes 10 %:")
if queue.empty:
    st.success("No hour passes 10 %.", icon=":material/check_circle:")
else:
    st.dataframe(queue, hide_index=True, width="stretch")

with st.expander("Every assumption behind these figures", icon=":material/fact_check:"):
    st.markdown("\n".join(f"- {line}" for line in outlook.trace))
st.download_button("Download required vs rostered staff by hour (CSV)", cap.workforce_csv(outlook),
                   on_click="ignore", file_name=f"workforce_{outlook.scenario.replace(' ', '_')}.csv",
                   mime="text/csv", icon=":material/download:")
