"""Period views and headlines of weekly, monthly and part-day data (one row per week or month)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import load_sample
from forecasting.summary import headline_figures, headline_sentence, headline_table, resample_activity


def _series(dates, values) -> pd.DataFrame:
    return pd.DataFrame({"site": "A", "metric": "attendances", "date": dates, "value": values})


def test_a_weekly_or_monthly_row_is_a_whole_period():
    weeks = _series(pd.date_range("2023-01-02", periods=60, freq="7D"), 1000.0)
    months = _series(pd.date_range("2021-01-01", periods=36, freq="MS"), 4000.0)
    assert resample_activity(weeks, "weekly")["complete"].all()
    assert resample_activity(months, "monthly")["complete"].all()
    # weeks add up to months, the last (part) month left incomplete
    by_month = resample_activity(weeks, "monthly")
    assert by_month["complete"].iloc[1:-1].all() and not by_month["complete"].iloc[-1]


def test_an_hourly_day_is_whole_only_with_all_its_hours():
    hourly = load_sample("hourly")
    cut = hourly[hourly["date"] <= hourly["date"].max().normalize() + pd.Timedelta(hours=9)]
    days = resample_activity(cut, "daily").groupby("date")["complete"].all()
    assert days.iloc[:-1].all() and not days.iloc[-1]


def test_monthly_headlines_compare_the_latest_months_with_a_year_earlier():
    months = _series(pd.date_range("2021-01-01", periods=36, freq="MS"), 4000.0 + 10 * np.arange(36))
    h = headline_figures(months).set_index("window")
    assert list(h["label"]) == ["1 month", "3 months"]
    assert h.loc[7, "value"] == 4350 and h.loc[7, "last_year"] == 4230
    assert h.loc[28, "value"] == 4330 + 4340 + 4350 and h.loc[28, "last_year"] == 4210 + 4220 + 4230
    assert "Last 3 months" in headline_table(headline_figures(months)).columns
    sentence = headline_sentence(headline_figures(months), "A", "attendances")
    assert sentence.endswith("over the last 3 months were 2.8% higher than the same months last year")


def test_weekly_headlines_use_one_and_four_weeks():
    weeks = _series(pd.date_range("2023-01-02", periods=60, freq="7D"), 1000.0)
    h = headline_figures(weeks).set_index("window")
    assert list(h["label"]) == ["1 week", "4 weeks"] and list(h["value"]) == [1000, 4000]
    assert list(h["change_pct"]) == [0, 0]


def test_a_part_day_at_the_end_is_left_out_of_the_headlines():
    hourly = load_sample("hourly")
    last = hourly["date"].max().normalize()
    cut = hourly[hourly["date"] <= last + pd.Timedelta(hours=9)]
    whole = hourly[hourly["date"] < last]
    a = headline_figures(cut).set_index(["site", "metric", "window"])
    b = headline_figures(whole).set_index(["site", "metric", "window"])
    assert (a["end"] == last - pd.Timedelta(days=1)).all()
    pd.testing.assert_series_equal(a["change_pct"], b["change_pct"])



def test_hourly_days_without_rows_for_quiet_hours_are_still_whole_days():
    hourly = load_sample("hourly")
    quiet = hourly[~hourly["date"].dt.hour.isin([2, 3, 4])]  # no row for the small hours
    assert resample_activity(quiet, "weekly")["complete"].sum() == resample_activity(hourly, "weekly")["complete"].sum()
    h = headline_figures(quiet)
    assert h["value"].notna().all()


def test_a_monthly_series_never_makes_whole_weeks():
    months = _series(pd.date_range("2021-01-01", periods=24, freq="MS"), 4000.0)
    days = _series(pd.date_range("2021-01-01", periods=730, freq="D"), 100.0).assign(metric="admissions")
    weekly = resample_activity(pd.concat([months, days]), "weekly")
    assert not weekly.loc[weekly["metric"] == "attendances", "complete"].any()
    adm = weekly.loc[weekly["metric"] == "admissions", "complete"]
    assert adm.iloc[1:-1].all() and not adm.iloc[0] and not adm.iloc[-1]  # part weeks at either end


def test_weeks_that_straddle_two_months_add_to_both():
    # week-commencing Mondays from 3 Jan 2022, 1,000 a week: every whole month is about 1000 x days / 7
    weeks = _series(pd.date_range("2022-01-03", periods=52, freq="7D"), 1000.0)
    months = resample_activity(weeks, "monthly").set_index("date")
    whole = months[months["complete"]]
    assert len(whole) == 11 and not months["complete"].iloc[0]  # January starts on the 3rd
    expected = 1000 * whole.index.days_in_month / 7
    np.testing.assert_allclose(whole["value"].to_numpy(), expected.to_numpy())
    assert months["value"].sum() == pytest.approx(52_000)  # nothing lost or counted twice
