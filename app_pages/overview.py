"""Overview: what data is loaded, the headline figures against last year and the recent trend."""

import pandas as pd
import streamlit as st

from forecasting.schema import ATTENDANCES, METRIC_LABELS, STOCK_METRICS, TRUST_TOTAL
from ui import cache
from ui.data import require_dataset
from ui.forecasting import data_frequency

st.title("Overview")
ds = require_dataset()

through = f"{ds.data_through:%B %Y}" if data_frequency(ds.frame) == "monthly" else f"{ds.data_through:%A %d %B %Y}"
st.caption(f"{ds.label} · data through {through}")
coverage, headlines, headline_table = cache.overview_tables(ds.frame)

metrics = list(dict.fromkeys(coverage["metric"]))  # already in reading order
main_metric = ATTENDANCES if ATTENDANCES in metrics else metrics[0]
if headlines.empty:
    # e.g. an hourly extract of part of one day: there is no whole period to sum yet
    site_for_cards = TRUST_TOTAL
    st.info("No headline figures yet: the data holds no whole day (or week or month) to add up. "
            "Load a longer extract; the table below shows what is loaded.", icon=":material/info:")
else:
    site_for_cards = TRUST_TOTAL if (headlines["site"] == TRUST_TOTAL).any() else headlines["site"].iloc[0]
    cards = headlines[(headlines["site"] == site_for_cards) & (headlines["window"] == 28)]
    # '28 days', or '3 months' for monthly returns; a card of another period says its own
    main = cards.loc[cards["metric"] == main_metric, "label"]
    span = main.iloc[0] if not main.empty else cards["label"].iloc[0] if not cards.empty else "28 days"
    where = site_for_cards.lower() if site_for_cards == TRUST_TOTAL else site_for_cards
    st.subheader(f"Last {span} at a glance: {where}")
    cards = cards.set_index("metric").reindex([m for m in metrics if m in set(cards["metric"])])
    # at most five cards a row, so eight NHS England measures do not shrink to '52...'
    per_row = 5 if len(cards) > 5 else max(len(cards), 1)
    cols = [c for _ in range(0, max(len(cards), 1), per_row) for c in st.columns(per_row)]
    for col, (metric, row) in zip(cols, cards.iterrows()):
        label = (METRIC_LABELS.get(metric, metric) + (" (daily average)" if metric in STOCK_METRICS else "")
                 + (f" (last {row['label']})" if row["label"] != span else ""))
        delta = None if pd.isna(row["change_pct"]) else f"{row['change_pct']:+.1f}% vs last year"
        col.metric(label, "-" if pd.isna(row["value"]) else f"{row['value']:,.0f}", delta,
                   delta_color="off", border=True)
    if cards["value"].isna().any() or cards["change_pct"].isna().any():
        st.caption(f"A dash, or no change shown, means the last {span} or the same {span} a year "
                   "earlier have a period with no figure; the Data page lists the missing dates.")

monthly = data_frequency(ds.frame) == "monthly"
view = "monthly" if monthly else "weekly"
series = cache.chart_series(ds.frame, main_metric, view,
                            tuple(sorted(ds.frame["site"].unique())) + (TRUST_TOTAL,),
                            start=ds.data_through - pd.Timedelta(weeks=156 if monthly else 104))
st.altair_chart(
    cache.history_chart(
        series, ds.frame, metric=main_metric, view=view,
        title=cache.headline_sentence(headlines, site_for_cards, main_metric, 28),
        subtitle=[(f"Monthly totals over the last three years to {ds.data_through:%b %Y}" if monthly else
                   f"Weekly totals (Monday to Sunday), complete weeks over the last two years to "
                   f"{ds.data_through:%d %b %Y}"), f"Source: {ds.label}"],
    ),
    width="stretch",
)

st.subheader("Headline figures by site")
st.caption(("Latest month and three months, against the same months a year earlier. " if monthly else
            "Last 7 and 28 days to the latest whole day (4 weeks for weekly data), against the same "
            "weekdays 52 weeks earlier. ")
           + "Counts are totals; occupied beds and other bed counts are the average census.")
st.dataframe(headline_table, hide_index=True, width="stretch",
             column_config={c: st.column_config.NumberColumn(
                 format="%+.1f%%" if c.startswith("Change") else "localized", width="small")
                 for c in headline_table.columns[2:]})  # small: all eight columns fit the page

st.subheader("What is loaded")
st.dataframe(coverage.drop(columns="metric").rename(columns={"label": "metric"}), hide_index=True,
             width="stretch",
             column_config={"first": st.column_config.DatetimeColumn(format="DD/MM/YYYY"),
                            "last": st.column_config.DatetimeColumn(format="DD/MM/YYYY"),
                            "missing": st.column_config.NumberColumn(help="Periods with no row between first and last")})
