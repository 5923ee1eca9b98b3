"""Peers: benchmark the trust against similar providers on NHS England's monthly A&E returns."""

import streamlit as st

from ui import peers as pui
from ui.views import render_report

st.title("Peers")
st.caption("How do we compare with similar trusts? NHS England's monthly A&E returns: 4-hour performance, "
           "growth, admission conversion and 12-hour waits, with a funnel plot, SPC and a forecast.")

source = st.radio("Returns", ["bundled", "upload"], horizontal=True, key="peer_source",
                  format_func={"bundled": "Bundled extract (real NHS England figures)",
                               "upload": "Upload monthly return CSVs or the tidy extract"}.get)
files = ()
if source == "upload":
    ups = st.file_uploader("NHS England 'A&E Attendances and Emergency Admissions' monthly provider CSVs "
                           "(one per month; several at once) or the tidy extract", type=["csv", "xlsx"],
                           accept_multiple_files=True, key="peer_files")
    if not ups:
        st.info("Choose one or more monthly return files to continue.", icon=":material/upload_file:")
        st.stop()
    files = tuple((u.name, u.getvalue()) for u in ups)
returns = pui.load_returns(files)
st.caption(returns.label)
if returns.result.report.errors or returns.result.report.warnings:
    with st.expander("What the checks found in the returns", icon=":material/fact_check:",
                     expanded=bool(returns.result.report.errors)):
        render_report(returns.result.report)
if returns.activity.empty:
    st.error("No usable rows in these returns; see the checks above.", icon=":material/error:")
    st.stop()

sites = sorted(returns.activity["site"].unique())
c1, c2 = st.columns([1, 2])
trust = c1.selectbox("Trust", sites, index=sites.index(pui.default_trust(returns)), key="peer_trust",
                     format_func=lambda s: pui.display_name(returns, s))
try:
    suggested = pui.default_peers(returns.activity, trust)
except pui.PeerError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()
chosen = c2.multiselect("Peers (default: the 10 closest in type 1 attendances over the last 12 months)",
                        [s for s in sites if s != trust], default=suggested, key=f"peer_list_{trust}",
                        format_func=lambda s: pui.display_name(returns, s))
chosen = tuple(chosen)
if not chosen:
    st.info("Pick at least one peer.")
    st.stop()

st.markdown(pui.headline(returns, trust, chosen))
st.dataframe(pui.measures_table(returns, trust, chosen), hide_index=True, width="stretch")
st.caption("Blank cells: the provider did not report every month of the period (or the return lacks "
           "that figure), so it is not ranked on that measure.")
left, right = st.columns(2)
left.altair_chart(pui.performance_chart(returns, trust, chosen), width="stretch")
try:
    right.altair_chart(pui.funnel(returns, trust, chosen), width="stretch")
except pui.PeerError as exc:
    right.info(f"No funnel plot: {exc}", icon=":material/info:")

st.subheader("The trust over time (statistical process control)")
try:
    for chart in pui.spc_charts(returns, trust):
        st.altair_chart(chart, width="content")
except pui.PeerError as exc:
    st.info(f"No SPC charts: {exc}", icon=":material/info:")
st.subheader("The trust's attendances for the next 12 months")
st.altair_chart(pui.trust_forecast_chart(returns, trust), width="stretch")
st.download_button("Download the peer measures (CSV)", pui.measures_csv(returns.activity, (trust, *chosen)),
                   file_name=f"peers_{trust}.csv", mime="text/csv", on_click="ignore", icon=":material/download:")
st.caption(pui.OGL)
