"""Data: choose the source, see the validation report, explore the history, download the clean table."""

import pandas as pd
import streamlit as st

from forecasting.io import ROLES
from forecasting.schema import METRIC_LABELS, TRUST_TOTAL, metric_order
from ui import cache, data
from ui.views import render_report

st.title("Data")

sources = list(data.SOURCES)
choice = st.radio("Data source", sources, format_func=data.SOURCES.get,
                  index=sources.index(data.current_source()), key="data_source")

if choice == "sample":
    data.use_sample("daily")
elif choice == "sample_hourly":
    data.use_sample("hourly")
else:
    st.markdown(
        "Upload one table, **long** (`site, metric, date, value`) or **wide** (`date, site, "
        "attendances, admissions, ...`). UK (31/01/2024) and ISO (2024-01-31) dates, with hours "
        "for hourly data. Column names are matched ignoring case, spaces and punctuation."
    )
    upload = st.file_uploader("Activity file", type=["csv", "txt", "xlsx", "parquet"], key="upload")
    if upload is not None:
        raw = upload.getvalue()
        file_columns = cache.upload_columns(raw, upload.name)
        mapping: dict[str, str | None] = {}
        with st.expander("Column mapping (change only if a column was not recognised)"):
            cols = st.columns(len(ROLES) + 1)
            for col, role in zip(cols, ROLES):
                pick = col.selectbox(f"{role.title()} column", ["(detect)"] + file_columns,
                                     key=f"map_{role}")
                if pick != "(detect)":
                    mapping[role] = pick
            default_site = cols[-1].text_input("Site name if the file has no site column",
                                               key="default_site")
        read = data.read_upload(raw, upload.name, mapping, default_site)
        result = read.result
        render_report(result.report)
        if result.report.ok:
            data.use_upload(read)
        elif not result.frame.empty:
            if st.checkbox(f"Use the {result.report.rows_kept:,} usable rows for now, leaving out "
                           "the rows with errors listed above", key="use_partial"):
                data.use_upload(read)
        else:
            st.info("Nothing in this file can be used yet. Fix the errors above and upload it again.")
    elif data.current_source() == "upload":
        st.info("Using the file uploaded earlier in this session; its report is below.")
        render_report(data.active_dataset().result.report)

ds = data.active_dataset()
if ds is None or (choice == "upload" and ds.source != "upload"):
    st.stop()

if ds.source != "upload":
    st.success(f"{ds.label}: {len(ds.frame):,} rows in the data contract; every validation check passed.",
               icon=":material/check_circle:")

st.subheader("History")
frame = ds.frame
metrics = metric_order(frame["metric"])
c1, c2, c3 = st.columns([2, 3, 2])
metric = c1.selectbox("Metric", metrics, format_func=lambda m: METRIC_LABELS.get(m, m), key="hist_metric")
site_options = sorted(frame.loc[frame["metric"] == metric, "site"].unique())
if len(site_options) > 1:
    site_options.append(TRUST_TOTAL)
sites = c2.multiselect("Sites", site_options, default=site_options, key="hist_sites")
views = (["hourly"] if ds.source == "sample_hourly" else []) + ["daily", "weekly", "monthly"]
view = c3.radio("View", views, index=views.index("weekly"), horizontal=True, key="hist_view")
log_scale = st.toggle("Log scale (compare sites of very different size)", key="hist_log")

if not sites:
    st.info("Pick at least one site.")
else:
    series = cache.chart_series(frame, metric, view, tuple(sites))
    label = METRIC_LABELS.get(metric, metric)
    how = "average" if metric == "occupied_beds" else "total"
    st.altair_chart(
        cache.history_chart(
            series, frame, metric=metric, view=view, log_scale=log_scale,
            title=f"{label}: {view} {how if view != 'daily' else 'figures'} by site",
            subtitle=[f"{frame['date'].min():%d %b %Y} to {frame['date'].max():%d %b %Y}"
                      + ("; incomplete first and last periods left out" if view in ("weekly", "monthly") else ""),
                      f"Source: {ds.label}"],
        ),
        width="stretch",
    )

st.subheader("Cleaned table")
st.caption("The rows in use, in the workbench's data contract (site, metric, date, value).")
st.dataframe(frame.head(1000), hide_index=True, width="stretch",
             column_config={"date": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm")})
st.download_button("Download the cleaned table (CSV)", cache.csv_bytes(frame),
                   file_name=f"activity_clean_{pd.Timestamp.now():%Y%m%d}.csv", mime="text/csv",
                   icon=":material/download:")
