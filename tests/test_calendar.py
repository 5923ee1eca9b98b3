"""The England bank-holiday calendar, the festive window and exclusion windows."""

from __future__ import annotations

import pandas as pd
import pytest

from forecasting.calendar import bank_holidays, calendar_features, exclusion_mask, festive_window


def _days(code="GB-ENG"):
    return set(bank_holidays("2019-01-01", "2025-12-31", code)["date"].dt.strftime("%Y-%m-%d"))


def test_england_calendar_has_the_one_off_and_moveable_days():
    days = _days()
    assert {"2024-04-01", "2025-04-21"} <= days  # Easter Mondays
    assert {"2022-06-03", "2022-09-19", "2023-05-08"} <= days  # Jubilee, State Funeral, Coronation


def test_england_calendar_excludes_other_nations_days():
    days = _days()
    assert "2024-11-30" not in days and "2023-11-30" not in days  # St Andrew's Day (Scotland)
    assert "2024-07-12" not in days  # Battle of the Boyne (Northern Ireland)
    assert "2024-11-30" not in days
    assert "2024-07-12" in _days("GB-NIR")


def test_other_country_codes_and_own_tables():
    assert "2024-07-04" in _days("US")
    own = bank_holidays("2024-01-01", "2024-12-31", pd.DataFrame({"date": ["2024-03-17"]}))
    assert own["date"].tolist() == [pd.Timestamp("2024-03-17")]
    with pytest.raises(ValueError, match="Unknown holiday calendar"):
        bank_holidays("2024-01-01", "2024-12-31", "XX")


def test_calendar_features_flag_days_either_side():
    f = calendar_features(pd.date_range("2024-05-05", "2024-05-07"))
    assert f["day_before_holiday"].tolist() == [True, False, False]
    assert f["bank_holiday"].tolist() == [False, True, False]
    assert f["day_after_holiday"].tolist() == [False, False, True]


def test_festive_window_runs_christmas_eve_to_new_year():
    d = pd.to_datetime(["2024-12-23", "2024-12-24", "2024-12-31", "2025-01-01", "2025-01-02"])
    assert festive_window(d).tolist() == [False, True, True, True, False]


def test_exclusion_mask_covers_whole_end_day():
    d = pd.to_datetime(["2020-03-22", "2020-03-23", "2021-06-30 23:00", "2021-07-01"], format="ISO8601")
    assert exclusion_mask(d, [("2020-03-23", "2021-06-30")]).tolist() == [False, True, True, False]
    with pytest.raises(ValueError, match="ends before it starts"):
        exclusion_mask(d, [("2021-01-01", "2020-01-01")])


def test_exclusion_of_weeks_and_months_covers_any_period_that_overlaps_the_window():
    months = pd.date_range("2020-02-01", periods=3, freq="MS")          # Feb, Mar, Apr 2020
    covid = [("2020-03-23", "2021-06-30")]
    assert exclusion_mask(months, covid).tolist() == [False, False, True]       # as dates
    assert exclusion_mask(months, covid, period="monthly").tolist() == [False, True, True]
    weeks = pd.date_range("2020-03-11", periods=3, freq="7D")            # Wednesdays 11, 18, 25 March
    assert exclusion_mask(weeks, covid).tolist() == [False, False, True]
    assert exclusion_mask(weeks, covid, period="weekly").tolist() == [False, True, True]
    end = pd.date_range("2021-06-01", periods=2, freq="MS")
    assert exclusion_mask(end, covid, period="monthly").tolist() == [True, False]
