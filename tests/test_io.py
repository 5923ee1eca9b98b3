"""Loader: every good format in, every bad-input class out with a message a manager can act on."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from conftest import TODAY, problems, to_xlsx
from forecasting.io import detect_columns, load_activity, read_activity
from forecasting.schema import DataValidationError

LONG_CSV = b"""site,metric,date,value
Alexandra,attendances,2024-01-01,120
Alexandra,attendances,2024-01-02,131
Alexandra,admissions,2024-01-01,35
Alexandra,admissions,2024-01-02,40
"""


def read(text: str | bytes, **kw):
    data = text.encode() if isinstance(text, str) else text
    return read_activity(data, name="test.csv", today=TODAY, **kw)


# ----------------------------------------------------------------------------- good formats
def test_long_csv_loads_into_the_contract():
    r = read(LONG_CSV)
    assert r.report.ok and not r.report.problems
    assert list(r.frame.columns) == ["site", "metric", "date", "value"]
    assert len(r.frame) == 4
    assert r.frame["date"].dtype == "datetime64[ns]"
    row = r.frame[(r.frame.metric == "attendances") & (r.frame.date == "2024-01-02")]
    assert row["value"].item() == 131


def test_wide_csv_with_uk_dates_and_messy_headers_is_melted():
    text = "Date ,Site Name,A&E Attendances,Emergency Admissions\n31/01/2024,WRH,200,60\n01/02/2024,WRH,\"1,210\",61\n"
    r = read(text)
    assert r.report.ok, str(r.report)
    f = r.frame.set_index(["metric", "date"])["value"]
    assert f[("attendances", pd.Timestamp("2024-01-31"))] == 200
    assert f[("attendances", pd.Timestamp("2024-02-01"))] == 1210  # thousands separator
    assert f[("admissions", pd.Timestamp("2024-02-01"))] == 61
    assert set(r.frame["site"]) == {"WRH"}


def test_hourly_datetimes_are_kept_to_the_hour():
    text = "site,metric,date,value\n" + "".join(
        f"WRH,attendances,01/03/2024 {h:02d}:00,{10 + h}\n" for h in range(24))
    r = read(text)
    assert r.report.ok, str(r.report)
    assert r.frame["date"].dt.hour.tolist() == list(range(24))


def test_semicolon_delimited_and_bom_are_read():
    text = "\ufeffdate;site;attendances\n2024-01-01;WRH;100\n2024-01-02;WRH;101\n"
    r = read(text.encode("utf-8"))
    assert r.report.ok, str(r.report)
    assert r.frame["value"].tolist() == [100, 101]


def test_xlsx_with_title_rows_above_the_header():
    frame = pd.DataFrame({"Date": pd.to_datetime(["2024-01-01", "2024-01-02"]), "Site": ["WRH", "WRH"],
                          "Attendances": [100, 102]})
    data = to_xlsx(frame, ["Worcestershire Acute Hospitals", "ED daily activity"])
    r = read_activity(data, name="activity.xlsx", today=TODAY)
    assert r.report.ok
    assert r.frame["value"].tolist() == [100, 102]
    [p] = problems(r.report, "title_rows")
    assert p.severity == "warning" and p.rows == (1, 2)
    assert "header is row 3" in p.message


def test_parquet_with_typed_columns():
    frame = pd.DataFrame({"site": ["Kidderminster"] * 2, "metric": ["attendances"] * 2,
                          "date": pd.to_datetime(["2024-06-01", "2024-06-02"]), "value": [150, 161]})
    buf = io.BytesIO()
    frame.to_parquet(buf)
    r = read_activity(buf.getvalue(), name="x.parquet", today=TODAY)
    assert r.report.ok
    pd.testing.assert_frame_equal(r.frame, frame.astype({"value": float}), check_dtype=False)


def test_column_mapping_override_and_default_site():
    text = "Day of arrival,Patients\n2024-01-01,100\n2024-01-02,110\n"
    r = read(text, columns={"date": "Day of arrival"}, default_site="Alexandra",
             metric_names={"Patients": "attendances"})
    assert r.report.ok, str(r.report)
    assert set(r.frame["site"]) == {"Alexandra"} and set(r.frame["metric"]) == {"attendances"}


def test_detect_columns_ignores_case_spaces_and_punctuation():
    found = detect_columns(["DATE", "Site-Name", "Measure", "Count"])
    assert found == {"date": "DATE", "site": "Site-Name", "metric": "Measure", "value": "Count"}


def test_load_activity_returns_frame_when_clean():
    f = load_activity(LONG_CSV, today=TODAY)
    assert len(f) == 4


# ----------------------------------------------------------------------------- bad inputs
def test_missing_date_column_names_the_columns_found():
    r = read("site,attendances\nWRH,100\n")
    [p] = problems(r.report, "missing_column")
    assert p.severity == "error" and "No date column" in p.message and "site, attendances" in p.message
    assert r.frame.empty


def test_long_table_without_value_column():
    r = read("site,metric,date\nWRH,attendances,2024-01-01\n")
    [p] = problems(r.report, "missing_column")
    assert "only 'metric' was found" in p.message


def test_missing_site_column_says_what_to_do():
    r = read("date,attendances\n2024-01-01,100\n")
    [p] = problems(r.report, "missing_column")
    assert p.column == "site" and "Add a 'site' column" in p.action


def test_unparseable_dates_are_listed_with_rows_and_examples():
    r = read("date,site,attendances\n2024-01-01,WRH,1\nyesterday,WRH,2\n2024-01-03,WRH,3\n")
    [p] = problems(r.report, "bad_date")
    assert p.rows == (3,) and "'yesterday'" in p.message and p.column == "date"
    assert len(r.frame) == 2  # the other rows are still usable


def test_us_month_first_dates_are_called_out():
    r = read("date,site,attendances\n12/01/2024,WRH,1\n12/13/2024,WRH,2\n")
    [p] = problems(r.report, "us_dates")
    assert p.rows == (3,) and "month/day" in p.message


def test_total_row_is_an_error_with_advice():
    r = read("date,site,attendances\n01/01/2024,WRH,5\nTOTAL,,5\n")
    [p] = problems(r.report, "total_row")
    assert p.rows == (3,) and "Delete totals rows" in p.action
    assert not problems(r.report, "blank_site")  # one problem per row, not a pile


@pytest.mark.parametrize("cell,code,fragment", [
    ("-4", "negative", "negative"),
    ("abc", "not_numeric", "'abc'"),
    ("", "blank_value", "blank"),
])
def test_bad_values_are_errors_naming_the_column(cell, code, fragment):
    r = read(f"date,site,Attendances,Admissions\n2024-01-01,WRH,10,3\n2024-01-02,WRH,{cell},4\n")
    [p] = problems(r.report, code)
    assert p.severity == "error" and p.rows == (3,) and p.column == "Attendances"
    assert fragment in p.message
    # the admissions on that row are still usable: nothing else is thrown away
    assert len(r.frame[r.frame.metric == "admissions"]) == 2


def test_fractional_counts_warn_but_are_kept():
    r = read("date,site,attendances\n2024-01-01,WRH,10.5\n2024-01-02,WRH,11\n")
    [p] = problems(r.report, "fractional")
    assert p.severity == "warning" and p.rows == (2,)
    assert r.frame["value"].tolist() == [10.5, 11]


def test_conflicting_duplicates_are_errors_exact_repeats_are_warnings():
    text = ("site,metric,date,value\n"
            "WRH,attendances,2024-01-01,10\nWRH,attendances,2024-01-01,12\n"
            "WRH,admissions,2024-01-01,3\nWRH,admissions,2024-01-01,3\n")
    r = read(text)
    [conflict] = problems(r.report, "duplicate_conflict")
    assert conflict.rows == (2, 3)
    [repeat] = problems(r.report, "duplicate_repeat")
    assert repeat.rows == (5,) and repeat.severity == "warning"
    assert r.frame.to_dict("records") == [
        {"site": "WRH", "metric": "admissions", "date": pd.Timestamp("2024-01-01"), "value": 3.0}]


def test_missing_days_are_reported_with_the_dates():
    r = read("date,site,attendances\n2024-01-01,WRH,10\n2024-01-02,WRH,10\n2024-01-05,WRH,10\n")
    [p] = problems(r.report, "missing_periods")
    assert "2 missing day(s)" in p.message and "2024-01-03, 2024-01-04" in p.message


def test_zero_days_in_a_busy_series_look_like_extract_failures():
    rows = "".join(f"2024-01-{d:02d},WRH,{0 if d in (5, 6) else 300}\n" for d in range(1, 11))
    r = read("date,site,attendances\n" + rows)
    [p] = problems(r.report, "zero_run")
    assert p.rows == (6, 7) and "missing extract" in p.message


def test_future_dates_are_errors():
    r = read("date,site,attendances\n2025-11-28,WRH,10\n2026-01-01,WRH,10\n")
    [p] = problems(r.report, "future_date")
    assert p.rows == (3,) and "29/11/2025" in p.message


def test_mixed_frequencies_in_one_series():
    text = "date,site,attendances\n" + "".join(f"2024-01-{d:02d},WRH,10\n" for d in range(1, 9))
    text += "2024-01-04 13:00,WRH,4\n"
    r = read(text)
    [p] = problems(r.report, "mixed_frequency")
    assert p.rows == (10,) and "daily" in p.message


def test_empty_file_and_header_only_file():
    assert problems(read(b"").report, "empty_file")
    r = read("date,site,attendances\n")
    [p] = problems(r.report, "empty_file")
    assert "no rows of data" in p.message


def test_windows_1252_file_is_read_with_a_warning():
    data = "date,site,attendances\n2024-01-01,Caf\xe9 Ward,10\n".encode("cp1252")
    r = read(data)
    [p] = problems(r.report, "encoding")
    assert p.severity == "warning" and "Windows-1252" in p.message
    assert r.frame["site"].item() == "Caf\xe9 Ward"


def test_binary_garbage_is_not_text():
    r = read(b"\x00\x01\x02\x03garbage\x00" * 10)
    assert problems(r.report, "not_text")


def test_damaged_workbook_is_reported_not_raised():
    r = read_activity(b"PK\x03\x04 this is not really a zip", name="broken.xlsx", today=TODAY)
    [p] = problems(r.report, "unreadable")
    assert "could not be opened" in p.message


def test_ragged_rows_are_listed():
    r = read("date,site,attendances\n2024-01-01,WRH,10\n2024-01-02,Worcester, Royal,10\n")
    [p] = problems(r.report, "ragged_rows")
    assert p.rows == (3,)


def test_load_activity_raises_with_the_report():
    with pytest.raises(DataValidationError) as err:
        load_activity(b"date,site,attendances\n2024-01-01,WRH,-1\n", today=TODAY)
    assert isinstance(err.value, ValueError)
    assert "negative" in str(err.value) and err.value.report.errors


def test_thousands_of_problems_stay_readable():
    n = 5000
    text = "date,site,attendances\n" + "".join(f"2024-01-01,S{i},-1\n" for i in range(n))
    r = read(text)
    table = r.report.to_frame()
    assert len(table) == 1  # grouped: one line for one kind of problem in one column
    assert table["count"].item() == n
    assert table["where"].item().endswith(f"and {n - 10:,} more")


def test_report_is_ordered_errors_first():
    r = read("date,site,attendances\n2024-01-01,WRH,10.5\n2024-01-02,WRH,-1\n")
    assert r.report.to_frame()["severity"].tolist() == ["error", "warning"]


def test_rows_kept_counts_source_rows():
    r = read("date,site,attendances,admissions\n2024-01-01,WRH,10,2\n2024-01-02,WRH,x,3\n")
    assert r.report.rows_read == 2 and r.report.rows_kept == 2
    assert np.isclose(r.frame["value"].sum(), 15)


def test_monthly_figures_dated_at_month_end_are_moved_to_the_first_of_the_month():
    rows = "".join(f"{d:%d/%m/%Y},WRH,{9000 + i}\n"
                   for i, d in enumerate(pd.date_range("2023-01-31", periods=14, freq="ME")))
    r = read("date,site,attendances\n" + rows)
    assert r.report.ok and len(r.frame) == 14  # nothing lost
    assert (r.frame["date"].dt.day == 1).all()
    assert r.frame["date"].iloc[0] == pd.Timestamp("2023-01-01") and r.frame["value"].iloc[0] == 9000
    [p] = problems(r.report, "month_start")
    assert p.severity == "info" and "WRH / attendances" in p.message
    assert not problems(r.report, "missing_periods")


# ------------------------------------------------------------------ commas in numbers
def test_decimal_comma_is_reported_not_read_as_thousands():
    # '450,5' from a semicolon-separated export used to load as 4505 without a word.
    text = ("date;site;attendances;admissions\n"
            "2024-01-01;WRH;450,5;3\n2024-01-02;WRH;1,23;4\n2024-01-03;WRH;120;5\n")
    r = read(text)
    [p] = [p for p in problems(r.report, "not_numeric") if "'450,5'" in p.message]
    assert p.severity == "error" and p.column == "attendances" and p.rows == (2, 3)
    assert "full stop for decimals" in p.action
    att = r.frame[r.frame.metric == "attendances"]
    assert att["value"].tolist() == [120]  # neither 4505 nor 123 is loaded
    assert len(r.frame[r.frame.metric == "admissions"]) == 3  # the rest of each row is kept


def test_proper_thousands_separators_still_load():
    r = read('date,site,attendances\n2024-01-01,WRH,"1,234"\n2024-01-02,WRH,"12,345.6"\n'
             '2024-01-03,WRH,"1,234,567"\n')
    assert not problems(r.report, "not_numeric")
    assert r.frame["value"].tolist() == [1234, 12345.6, 1234567]


# ------------------------------------------------------------------ site names
@pytest.mark.parametrize("total", ["Total", "TOTAL", "All sites", " trust  total ", "Grand Total"])
def test_a_total_given_as_a_site_is_an_error_and_not_added_again(total):
    # A=100, B=50 and 'Total'=150 used to give a trust total of 300 with no warning.
    from forecasting.summary import with_trust_total
    r = read(f"date,site,attendances\n2024-01-01,A,100\n2024-01-01,B,50\n2024-01-01,{total},150\n"
             "2024-01-02,A,90\n")
    [p] = problems(r.report, "total_site")
    assert p.severity == "error" and p.rows == (4,) and p.column == "site"
    assert repr(total.strip()) in p.message and "Delete the total rows" in p.action
    assert sorted(r.frame["site"].unique()) == ["A", "B"]
    out = with_trust_total(r.frame)
    assert out.loc[out.site == "Trust total", "value"].tolist() == [150]


def test_a_file_of_only_a_total_site_is_trust_level_data():
    r = read("date,site,attendances\n2024-01-01,Total,150\n2024-01-02,Total,140\n")
    assert r.report.ok and not problems(r.report, "total_site")
    assert r.frame["value"].tolist() == [150, 140]


def test_site_names_differing_only_in_case_or_spaces_warn_and_are_kept():
    r = read("date,site,attendances,admissions\n2024-01-01,Alexandra,100,10\n"
             "2024-01-02,alexandra,101,11\n2024-01-03,ALEXANDRA ,102,12\n2024-01-04,Alexandra,103,13\n")
    [p] = problems(r.report, "site_spelling")
    assert p.severity == "warning" and p.rows == (3, 4) and p.column == "site"
    assert "'Alexandra' (2 rows), 'alexandra' (1 row), 'ALEXANDRA ' (1 row)" in p.message
    assert "spell it the same way" in p.action
    assert r.report.ok and len(r.frame) == 8  # nothing merged or dropped
    assert sorted(r.frame["site"].unique()) == ["ALEXANDRA", "Alexandra", "alexandra"]


def test_trailing_spaces_alone_are_read_as_one_site_and_said_so():
    r = read("date,site,attendances\n2024-01-01,WRH,1\n2024-01-02,WRH ,2\n")
    [p] = problems(r.report, "site_spelling")
    assert p.rows == (3,) and "read as one site, 'WRH'" in p.message
    assert r.frame["site"].unique().tolist() == ["WRH"] and r.frame["value"].tolist() == [1, 2]


def test_a_trust_level_total_for_a_metric_no_site_reports_is_kept():
    # sites report attendances; beds only come as a trust figure: nothing is counted twice
    r = read("date,site,metric,value\n2024-01-01,WRH,attendances,100\n2024-01-01,ALX,attendances,50\n"
             "2024-01-01,Total,occupied_beds,700\n2024-01-02,WRH,attendances,110\n"
             "2024-01-02,ALX,attendances,55\n2024-01-02,Total,occupied_beds,705\n")
    assert not problems(r.report, "total_site")
    beds = r.frame[r.frame["metric"] == "occupied_beds"]
    assert list(beds["value"]) == [700, 705]


def test_a_thousands_number_with_a_trailing_point_is_read():
    r = read("date,site,attendances\n2024-01-01,WRH,\"1,234.\"\n2024-01-02,WRH,\"1,240\"\n")
    assert r.report.ok and list(r.frame["value"]) == [1234, 1240]
