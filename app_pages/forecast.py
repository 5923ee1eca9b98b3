"""Forecast: demand ahead for one site and metric, its ranges, what the model found, and a CSV."""

import streamlit as st

from forecasting.schema import METRIC_LABELS
from ui import forecasting as fui
from ui.data import require_dataset

st.title("Forecast")
ds = require_dataset()

frame = ds.frame
frequency = fui.data_frequency(frame)
hs = fui.horizon_setting(frequency)

c1, c2, c3 = st.columns([2, 2, 3])
sites = fui.site_choices(frame)
site = c1.selectbox("Site", sites, index=len(sites) - 1, key="fc_site")
metric = c2.selectbox("Metric", fui.metric_choices(frame, site),
                      format_func=lambda m: METRIC_LABELS.get(m, m), key="fc_metric")
models = fui.model_choices(frequency)
model = c3.selectbox("Model", list(models), format_func=models.get, key="fc_model",
                     help="Automatic compares the fast models on each series' recent history and "
                          "uses the best (or the average of the best two).")

c4, c5, c6 = st.columns([3, 2, 3])
horizon = c4.slider(f"Horizon ({hs.unit} ahead)", hs.low, hs.high, hs.default, key="fc_horizon")
view = c5.radio("View", fui.view_choices(frequency, metric), horizontal=True, key="fc_view")
covid_in_data = fui.covers_covid(frame)
exclude_covid = c6.checkbox(
    fui.COVID_LABEL, value=covid_in_data, disabled=not covid_in_data, key="fc_covid", wrap=True,
    help="Demand collapsed and recovered in this period; leaving it out stops it distorting the "
         "weekly and annual patterns." if covid_in_data else "The data does not reach into this period.")
exclude = fui.exclusions(exclude_covid and covid_in_data)
if note := fui.view_note(frequency, metric):
    st.caption(note)

try:
    fv = fui.forecast_view(frame, site=site, metric=metric, model=model, horizon=horizon, view=view,
                           exclude=exclude, source=ds.label)
except fui.ForecastUnavailable as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()

st.altair_chart(fui.fan_chart(fv), width="stretch")
for line in fv.notes:
    st.caption(line)
st.caption(f":material/model_training: **Model used:** {fui.model_label(fv.selection['model'])}. "
           f"{fv.selection.get('reason', '')}")
if fv.selection.get("notes"):
    st.warning(f"Some models could not be fitted to this series, so a fallback was used: "
               f"{fv.selection['notes']}", icon=":material/info:")
with st.expander("How the model was chosen for every series"):
    st.dataframe(fui.selection_table(frame, model=model, exclude=exclude, metric=metric),
                 hide_index=True, width="stretch",
                 column_config={"Reason": st.column_config.TextColumn(width="large")})
    if fui.fits_all_metrics(model):
        st.caption("Every site and metric is forecast in one go, so changing them above is instant. "
                   "The trust total is forecast as a series of its own.")
    else:
        st.caption("This model is slow, so only the chosen metric is forecast (every site).")

st.subheader("What the model found")
source = fui.pattern_source(fv.selection["model"])
found = fui.model_patterns(frame, site=site, metric=metric, model=source, exclude=exclude)
pattern_charts = fui.pattern_charts(found, frequency=frequency)
if pattern_charts:
    st.caption(fui.pattern_caption(fv.selection["model"], source, site=site, metric=metric,
                                   frequency=frequency))
    left, right = st.columns(2)
    if "weekly" in pattern_charts:
        left.altair_chart(pattern_charts["weekly"], width="stretch")
    if "annual" in pattern_charts:
        (right if "weekly" in pattern_charts else left).altair_chart(pattern_charts["annual"],
                                                                     width="stretch")
    if "holidays" in pattern_charts:
        st.altair_chart(pattern_charts["holidays"], width="stretch")
else:
    st.info("The model's patterns cannot be shown for this series (the history is too short or "
            "the model has no separate weekly, annual and holiday parts).")

st.subheader("Forecast table")
st.dataframe(fv.table, hide_index=True, width="stretch", column_config=fui.table_config(fv.view))
d1, d2 = st.columns(2)
d1.download_button("Download this series (CSV)", fv.csv, on_click="ignore",
                   file_name=fui.file_name("forecast", fv, ds.data_through), mime="text/csv",
                   icon=":material/download:")
d2.download_button("Download every series (CSV)" if fui.fits_all_metrics(model)
                   else "Download every site for this metric (CSV)",
                   fui.all_series_csv(frame, model=model, horizon=horizon, exclude=exclude, metric=metric),
                   on_click="ignore", file_name=fui.file_name("forecast", None, ds.data_through),
                   mime="text/csv", icon=":material/download:")
st.caption(f"The CSVs hold the forecast contract ({fv.horizon} {fv.unit} per series from the "
           "period after the data ends): site, metric, date, model, mean and quantiles p2.5 to "
           "p97.5, plus generated_at and data_through.")
