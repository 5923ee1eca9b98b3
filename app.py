"""UEC Demand & Capacity Workbench: the router (page set-up, navigation and the shared sidebar)."""

import streamlit as st

from ui.sidebar import render_sidebar
from ui.views import run_page_safely

st.set_page_config(page_title="UEC Demand & Capacity Workbench", page_icon=":material/emergency:",
                   layout="wide")

pages = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("app_pages/data.py", title="Data", icon=":material/table_view:"),
    st.Page("app_pages/forecast.py", title="Forecast", icon=":material/trending_up:"),
    st.Page("app_pages/accuracy.py", title="Accuracy", icon=":material/target:"),
    st.Page("app_pages/spc.py", title="SPC", icon=":material/monitoring:"),
    st.Page("app_pages/beds.py", title="Beds", icon=":material/bed:"),
    st.Page("app_pages/workforce.py", title="Workforce", icon=":material/groups:"),
    st.Page("app_pages/scenarios.py", title="Scenarios", icon=":material/alt_route:"),
    st.Page("app_pages/board_pack.py", title="Board pack", icon=":material/picture_as_pdf:"),
    st.Page("app_pages/peers.py", title="Peers", icon=":material/leaderboard:"),
]
page = st.navigation(pages)
render_sidebar()
run_page_safely(page)
