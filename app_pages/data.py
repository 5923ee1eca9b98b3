"""Data: choose the source, see the validation report, explore the history, download the clean table."""

import pandas as pd
import streamlit as st

from forecasting.io import ROLES
from forecasting.schema import METRIC_LABELS, STOCK_METRICS, TRUST_TOTAL, metric_order
from ui import cache, data

st.title("Data")

sources = list(data.SOURCES)
choice = st.radio("Data source", sources, format_func=data.SOURCES.get,
                  index=sources.index(data.current_source()), key="data_source")

if choice == "sample":
    data.use_sample("daily")
elif choice == "sample_hourly":
    data.use_sample("hourly")
elif choice == "upload":
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
        data.offer_read(data.read_upload(raw, upload.name, mapping, default_site), "upload")
    else:
        data.show_earlier("upload")
elif choice == "records":
    st.markdown(
        "One row per attendance: **arrival** and **departure** date-times (or dates and times in "
        "separate columns), **site**, and where you have them department type, arrival mode and an "
        "admitted flag. Patient identifiers (NHS number, MRN, name, date of birth, postcode ...) are "
        "dropped as the file is read: they are never stored, cached or shown.")
    freq = st.radio("Count by", ["daily", "hourly"], horizontal=True, key="records_freq")
    upload = st.file_uploader("Record-level extract", type=["csv", "txt", "xlsx", "parquet"],
                              key="records_upload")
    if upload is not None:
        data.offer_read(data.read_records_upload(upload.getvalue(), upload.name, freq), "records")
    else:
        data.show_earlier("records")
elif choice == "nhse":
    st.markdown(
        "NHS England's provider-level **A&E Attendances and Emergency Admissions** CSVs as published "
        "(one file per month, old or new column style; the England TOTAL row is left out), or the "
        "tidy extract. Pick several files at once for a run of months.")
    site_by = st.radio("Name each provider by", ["name", "code"], horizontal=True, key="nhse_site",
                       format_func={"name": "Organisation name", "code": "ODS code"}.get)
    ups = st.file_uploader("Monthly return files", type=["csv", "xlsx"], accept_multiple_files=True,
                           key="nhse_upload")
    if ups:
        data.offer_read(data.read_nhse_upload([(u.name, u.getvalue()) for u in ups], site_by), "nhse")
    else:
        data.show_earlier("nhse")
elif choice == "sitreps":
    st.markdown("NHS England's daily **G&A bed sitrep** (beds open and occupied, escalation, A&E "
                "closures and diverts), one row per trust and day.")
    orgs = st.text_input("Only these trusts (ODS codes, comma-separated; blank for all)", key="sitrep_orgs")
    upload = st.file_uploader("Sitrep file", type=["csv", "xlsx"], key="sitrep_upload")
    if upload is not None:
        wanted = tuple(o.strip().upper() for o in orgs.split(",") if o.strip())
        data.offer_read(data.read_sitrep_upload(upload.getvalue(), upload.name, wanted), "sitreps")
    else:
        data.show_earlier("sitreps")
else:  # sql
    try:
        settings, shown = data.sql_connection()
    except ValueError as exc:
        st.error(str(exc), icon=":material/error:")
        st.stop()
    if shown is None:
        st.info("No warehouse connection is set. Add a `[sql]` section to `.streamlit/secrets.toml` "
                "(`url = \"postgresql+psycopg://user:password@host:5432/warehouse\"`) or set the "
                "`UEC_SQL_URL` environment variable, then reload. The password is never shown.",
                icon=":material/database:")
        st.stop()
    st.caption(f"Connection: `{shown}`")
    query = st.text_area("Query (returns date, site, metric, value, or date, site and one column per "
                         "metric)", "SELECT date, site, metric, value FROM activity", key="sql_query")
    if st.button("Run the query", icon=":material/play_arrow:", key="sql_run"):
        try:
            st.session_state["sql_read"] = data.run_sql(settings, query, f"SQL query on {shown}")
        except ValueError as exc:
            st.error(str(exc), icon=":material/error:")
    if "sql_read" in st.session_state:
        data.offer_read(st.session_state["sql_read"], "sql")

ds = data.active_dataset()
if ds is None or (choice not in ("sample", "sample_hourly") and ds.source != choice):
    st.stop()

if ds.source in ("sample", "sample_hourly"):
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
views = data.history_views(frame)
view = c3.radio("View", views, index=views.index("weekly") if "weekly" in views else 0, horizontal=True,
                key="hist_view")
log_scale = st.toggle("Log scale (compare sites of very different size)", key="hist_log")

if not sites:
    st.info("Pick at least one site.")
else:
    series = cache.chart_series(frame, metric, view, tuple(sites))
    label = METRIC_LABELS.get(metric, metric)
    how = "average" if metric in STOCK_METRICS else "total"
    st.altair_chart(
        cache.history_chart(
            series, frame, metric=metric, view=view, log_scale=log_scale,
            title=f"{label}: {view} {how if view != 'daily' else 'figures'} by site",
            subtitle=[(f"{frame['date'].min():%b %Y} to {frame['date'].max():%b %Y}" if views == ["monthly"] else
                       f"{frame['date'].min():%d %b %Y} to {frame['date'].max():%d %b %Y}")
                      + ("; incomplete first and last periods left out"
                         if view in ("weekly", "monthly") and view != views[0] else ""),
                      f"Source: {ds.label}"],
        ),
        width="stretch",
    )

st.subheader("Cleaned table")
st.caption("The rows in use, in the workbench's data contract (site, metric, date, value).")
st.dataframe(frame.head(1000), hide_index=True, width="stretch",
             column_config={"date": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm")})
suppress = st.toggle("Suppress counts of 1 to 4 in the download (small-number disclosure control)",
                     value=ds.source == "records", key=f"suppress_small_{ds.source}",
                     help="Counts from 1 to 4 become '<5' (0 is shown), as NHS publications do. On by "
                          "default for record-level extracts. Bed figures (occupied, open, core, "
                          "escalation, long-stay) are levels, not counts, and are left as they are.")
st.download_button("Download the cleaned table (CSV)", data.clean_csv(frame, suppress=suppress),
                   file_name=f"activity_clean_{pd.Timestamp.now():%Y%m%d}.csv", mime="text/csv",
                   icon=":material/download:")
