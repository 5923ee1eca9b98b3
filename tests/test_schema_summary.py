"""Frequencies, the report, trust totals, period totals and year-on-year headlines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.schema import (TRUST_TOTAL, Problem, ValidationReport, infer_frequency)
from forecasting.summary import (coverage, headline_figures, headline_sentence, headline_table,
                                 resample_activity, with_trust_total)


def frame(site, metric, dates, values):
    return pd.DataFrame({"site": site, "metric": metric, "date": pd.to_datetime(dates),
                         "value": np.asarray(values, dtype=float)})


@pytest.mark.parametrize("dates,expected", [
    (pd.date_range("2024-01-01", periods=48, freq="h"), "hourly"),
    (pd.date_range("2024-01-01", periods=30, freq="D"), "daily"),
    (pd.date_range("2024-01-01", periods=30, freq="D").delete([3, 4, 10]), "daily"),
    (pd.date_range("2024-01-01", periods=20, freq="W-MON"), "weekly"),
    (pd.date_range("2020-01-01", periods=36, freq="MS"), "monthly"),
    (pd.date_range("2020-01-31", periods=12, freq="ME"), "monthly"),
    (pd.to_datetime(["2024-01-01 00:00", "2024-01-04 00:00", "2024-01-09 07:13"]), "irregular"),
])
def test_infer_frequency(dates, expected):
    assert infer_frequency(dates) == expected


def test_problem_location_text():
    p = Problem("error", "x", "m", "a", rows=tuple(range(2, 1500)))
    assert p.where() == "rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 1,488 more"
    assert Problem("error", "x", "m", "a", rows=(7,)).where() == "row 7"
    assert Problem("error", "x", "m", "a").where() == "whole file"


def test_report_summary_counts_rows():
    rep = ValidationReport(source="f.csv", rows_read=10, rows_kept=8)
    rep.add("error", "negative", "neg", "fix", rows=[2, 3])
    rep.add("warning", "fractional", "frac", "ok", rows=[4])
    assert rep.summary() == ("f.csv: 10 rows read, 8 usable; 1 kind(s) of error affecting 2 row(s); "
                             "1 warning(s).")
    assert not rep.ok


def test_trust_total_sums_sites_only_on_dates_every_site_reports():
    a = frame("A", "attendances", ["2024-01-01", "2024-01-02"], [10, 20])
    b = frame("B", "attendances", ["2024-01-01"], [5])
    beds = frame("A", "occupied_beds", ["2024-01-01"], [400])  # one site only: no total
    out = with_trust_total(pd.concat([a, b, beds]))
    total = out[out.site == TRUST_TOTAL]
    assert total[["metric", "date", "value"]].to_dict("records") == [
        {"metric": "attendances", "date": pd.Timestamp("2024-01-01"), "value": 15.0}]


def test_weekly_totals_sum_counts_and_average_beds_and_flag_part_weeks():
    days = pd.date_range("2024-01-01", "2024-01-10", freq="D")  # Monday 1st to Wednesday 10th
    data = pd.concat([frame("A", "attendances", days, np.ones(len(days))),
                      frame("A", "occupied_beds", days, np.arange(len(days)))])
    out = resample_activity(data, "weekly")
    att = out[out.metric == "attendances"]
    assert att["value"].tolist() == [7, 3] and att["complete"].tolist() == [True, False]
    beds = out[out.metric == "occupied_beds"]
    assert beds["value"].tolist() == [3.0, 8.0]  # mean of 0..6, mean of 7..9


def test_monthly_totals_know_month_lengths():
    days = pd.date_range("2024-02-01", "2024-03-15", freq="D")
    out = resample_activity(frame("A", "attendances", days, np.ones(len(days))), "monthly")
    assert out["value"].tolist() == [29, 15] and out["complete"].tolist() == [True, False]


def test_resample_rejects_unknown_view():
    with pytest.raises(ValueError, match="view must be one of"):
        resample_activity(frame("A", "x", ["2024-01-01"], [1]), "fortnightly")


def test_headlines_compare_the_same_weekdays_52_weeks_earlier():
    days = pd.date_range("2023-01-01", "2024-03-31", freq="D")
    values = np.where(days.year == 2024, 110.0, 100.0)
    h = headline_figures(frame("A", "attendances", days, values), windows=(7, 28))
    row7 = h[h.window == 7].iloc[0]
    assert row7["value"] == 770 and row7["last_year"] == 700
    assert row7["change_pct"] == pytest.approx(10.0)
    assert row7["start"] == pd.Timestamp("2024-03-25")
    assert "10.0% higher than" in headline_sentence(h, "A", "attendances", 7)


def test_headlines_leave_comparison_empty_without_a_full_year():
    days = pd.date_range("2024-01-01", "2024-03-31", freq="D")
    h = headline_figures(frame("A", "attendances", days, np.ones(len(days))), windows=(7,))
    assert h["value"].item() == 7 and np.isnan(h["last_year"].item())
    table = headline_table(h)
    assert table.columns.tolist() == ["Site", "Metric", "Last 7 days", "Same 7 days last year",
                                      "Change 7d (%)"]


def test_hourly_data_is_summed_to_days_for_headlines():
    hours = pd.date_range("2023-01-01", "2024-01-31 23:00", freq="h")
    h = headline_figures(frame("A", "attendances", hours, np.ones(len(hours))), windows=(7,))
    assert h["value"].item() == 7 * 24


def test_coverage_counts_missing_periods():
    days = pd.date_range("2024-01-01", periods=10, freq="D").delete([2, 3])
    cov = coverage(frame("A", "attendances", days, np.ones(8)))
    assert cov[["frequency", "periods", "missing"]].iloc[0].tolist() == ["daily", 8, 2]


def test_sitrep_bed_levels_are_averaged_not_summed_and_have_readable_labels():
    # A beds_open census of ~760 a day is 760 over 28 days, not 21,280 (the Overview card read
    # 21,267 for the real RWP sitrep before every sitrep bed figure was a stock metric).
    from forecasting import nhse
    from forecasting.schema import METRIC_LABELS, STOCK_METRICS

    days = pd.date_range("2024-01-01", periods=28, freq="D")
    beds = frame("A", "beds_open", days, np.full(len(days), 760.0))
    assert headline_figures(beds, windows=(28,))["value"].item() == 760.0
    weekly = resample_activity(beds, "weekly")
    assert weekly.loc[weekly["complete"], "value"].tolist() == [760.0] * 4
    closures = resample_activity(frame("A", "ae_closures", days[:7], np.ones(7)), "weekly")
    assert closures["value"].tolist() == [7.0]  # closures are events: they add up

    levels = {nhse.BEDS_OPEN, nhse.CORE_BEDS, nhse.ESCALATION_BEDS, nhse.LONG_STAY_7D,
              nhse.LONG_STAY_21D, "occupied_beds"}
    assert levels <= STOCK_METRICS
    assert METRIC_LABELS["beds_open"] == "Beds open (G&A)"
    assert METRIC_LABELS["dta_waits_12h"] == "12-hour decision-to-admit waits"
    assert METRIC_LABELS["admissions_type1"] == "Type 1 emergency admissions"
    from forecasting.records import BREACHES_12H
    emitted = set(nhse.NHSE_METRIC_LABELS) | set(nhse.SITREP_COLUMNS[4:]) | {BREACHES_12H}
    emitted.discard("occupancy")  # a ratio column of the history, not a metric of the contract
    assert not [m for m in emitted if m not in METRIC_LABELS]
