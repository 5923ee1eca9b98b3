"""Accuracy: how close past forecasts came, per site and model, on a rolling-origin backtest."""

import streamlit as st

from forecasting.schema import METRIC_LABELS
from ui import forecasting as fui
from ui.data import require_dataset

st.title("Accuracy")
ds = require_dataset()

frame = ds.frame
frequency = fui.data_frequency(frame)
st.caption(fui.backtest_description(frequency))

c1, c2, c3 = st.columns([2, 3, 3])
metric = c1.selectbox("Metric", fui.all_metrics(frame), format_func=lambda m: METRIC_LABELS.get(m, m), key="acc_metric")
slow = fui.slow_model_labels(frequency)
include_slow = c2.toggle(
    "Include the slow models", value=False, disabled=not slow, key="acc_slow",
    help=(f"{', '.join(slow)}: they take much longer to refit at every origin." if slow
          else "No slow model is offered for this data."))
covid_in_data = fui.covers_covid(frame)
exclude_covid = c3.checkbox(fui.COVID_LABEL, value=covid_in_data, disabled=not covid_in_data,
                            key="acc_covid", wrap=True,
                            help="Left out of fitting at every origin, as on the Forecast page.")
exclude = fui.exclusions(exclude_covid and covid_in_data)

try:
    result = fui.accuracy(frame, metric=metric, include_slow=include_slow, exclude=exclude)
except fui.ForecastUnavailable as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()

st.subheader(f"How close the forecasts came: {METRIC_LABELS.get(metric, metric)}")
st.markdown("\n".join(f"- {s}" for s in result.sentences))

st.subheader("Scores by site and model")
st.caption(fui.scores_caption(frequency))
st.dataframe(result.table, hide_index=True, width="stretch", column_config=fui.scores_config(frequency))
for note in fui.unranked_notes(result):
    st.caption(note)
st.download_button("Download the scores (CSV)", fui.scores_csv(result), on_click="ignore",
                   file_name=f"accuracy_{metric}_data_to_{ds.data_through:%Y%m%d}.csv",
                   mime="text/csv", icon=":material/download:")

st.subheader("Forecasts against what happened")
c4, c5 = st.columns(2)
site = c4.selectbox("Site", result.sites, key="acc_site")
models = fui.models_in(result)
model = c5.selectbox("Model", models, index=models.index(result.best[site]),
                     format_func=fui.model_label, key="acc_model")
st.altair_chart(fui.backtest_chart(result, site, model, source=ds.label), width="stretch")
st.altair_chart(fui.coverage_chart(result, site, source=ds.label), width="stretch")
st.caption(f"{result.origins} origins x {len(models)} models x {len(result.sites)} series, "
           f"fitted in {result.seconds:.0f} s the first time and kept for this session.")
