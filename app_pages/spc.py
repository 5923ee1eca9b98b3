"""SPC: Making Data Count XmR charts of any measure, with the baseline and rebasing the user chooses."""

import streamlit as st

from ui import spc as sui
from ui.data import require_dataset
from ui.forecasting import site_choices

st.title("SPC")
st.caption("Statistical process control in the NHS England Making Data Count style: is the latest figure "
           "within the usual range, is there a run, trend or shift, and will a target be met? Limits "
           "come from the baseline you choose; nothing is rebased automatically.")
ds = require_dataset()
frame = ds.frame

c1, c2, c3 = st.columns([3, 2, 3])
metric = c1.selectbox("Measure", sui.measure_choices(frame), format_func=sui.measure_label, key="spc_metric")
view = c2.radio("Period", sui.views(frame), horizontal=True, key="spc_view")
all_sites = site_choices(frame)
sites = c3.multiselect("Sites (one panel each)", all_sites, default=all_sites[-1:], key="spc_sites")
if not sites:
    st.info("Pick at least one site.")
    st.stop()
series = sui.periods(frame, metric, view, tuple(sites))
if series.empty:
    st.warning(f"No figures for {sui.measure_label(metric)} at these sites: pick another site or measure.",
               icon=":material/info:")
    st.stop()

dates = sui.period_dates(series)
c4, c5, c6 = st.columns([2, 2, 3])
directions = {"higher": "Higher is better", "lower": "Lower is better", "neutral": "Neither"}
direction = c4.radio("Improvement direction", list(directions), format_func=directions.get,
                     index=list(directions).index(sui.default_direction(metric)), key=f"spc_dir_{metric}")
use_target = c5.checkbox("Compare with a target", value=metric == sui.PERFORMANCE_4H, key=f"spc_use_target_{metric}",
                         disabled=direction == "neutral")
target = c5.number_input("Target", value=sui.default_target(metric, series), key=f"spc_target_{metric}",
                         disabled=not use_target or direction == "neutral")
if len(dates) > 8:
    usual = {"weekly": 104, "monthly": 36}.get(view, 180)
    shown = c6.slider("Periods shown", 8, len(dates), min(len(dates), usual), key=f"spc_shown_{view}")
    dates = dates[-shown:]
else:
    c6.caption(f"All {len(dates)} periods are shown; limits from so few points are a rough guide only.")
# a rebase date chosen earlier but now before the periods shown cannot be applied: say so
# rather than let it vanish from the picker without a word
dropped = [d for d in st.session_state.get(f"spc_rebase_{view}", []) if d not in set(dates[1:])]
if dropped:
    st.session_state[f"spc_rebase_{view}"] = [d for d in st.session_state[f"spc_rebase_{view}"] if d not in dropped]
with st.expander("Baseline, rebasing and outliers", icon=":material/tune:", expanded=bool(dropped)):
    if dropped:
        st.warning("The new period at " + ", ".join(f"{d:%d %b %Y}" for d in dropped) + " is before the "
                   "periods shown, so it is no longer applied; show more periods to use it again.",
                   icon=":material/info:")
    b1, b2 = st.columns(2)
    base_from = b1.selectbox("Baseline from", dates, index=0, format_func=lambda d: f"{d:%d %b %Y}",
                             key=f"spc_base_from_{view}")
    base_to = b2.selectbox("Baseline to", dates, index=len(dates) - 1, format_func=lambda d: f"{d:%d %b %Y}",
                           key=f"spc_base_to_{view}")
    rebase = st.multiselect("Start a new period (rebase) at", dates[1:], format_func=lambda d: f"{d:%d %b %Y}",
                            key=f"spc_rebase_{view}",
                            help="Only at a known change in the process (a new pathway, a merger); the "
                                 "limits are then worked out afresh from that date.")
    screen = st.checkbox("Screen out unusually large moving ranges (> 3.267 x the average) before setting the "
                         "limits", key="spc_screen")
if base_to < base_from:
    st.error("The baseline ends before it starts: pick a later 'Baseline to'.", icon=":material/error:")
    st.stop()

series = sui.since(series, dates[0])
res = sui.result(series, direction, float(target) if use_target and direction != "neutral" else None,
                 (base_from, base_to), tuple(rebase), screen)
if short := sui.short_baselines(res):
    st.warning(f"The limits for {', '.join(short)} rest on fewer than {sui.MIN_BASELINE} points in some period: "
               "read them as a rough guide, or widen the baseline.", icon=":material/warning:")
st.altair_chart(sui.chart(res, metric=metric, view=view, sites=sites, source=ds.label), width="content")
st.dataframe(sui.summary_table(res), hide_index=True, width="stretch",
             column_config={"variation_icon_uri": st.column_config.ImageColumn("Variation", width="small"),
                            "assurance_icon_uri": st.column_config.ImageColumn("Assurance", width="small"),
                            "Latest period": st.column_config.DateColumn(format="DD/MM/YYYY"),
                            "Variation": st.column_config.TextColumn("What the variation says", width="large"),
                            "Assurance": st.column_config.TextColumn("Against the target", width="large")})
st.caption("Process limits = mean ± 2.66 × mean moving range. Special causes: a point beyond a limit; 7 in "
           "a row on one side of the mean; 7 rising or falling; 2 of 3 beyond two thirds of the way to a limit.")
st.download_button("Download the points and flags (CSV)", sui.points_csv(res), file_name=f"spc_{metric}_{view}.csv",
                   mime="text/csv", on_click="ignore", icon=":material/download:")
