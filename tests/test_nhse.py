"""NHS England returns: raw monthly A&E CSVs (old and new styles), the tidy extract, bed sitreps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import problems
from forecasting import nhse
from forecasting import schema as S

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "nhse"
# The real extracts: a copy shipped in sample_data/nhse if there is one, else ../shared/data/nhse
# (beside the clone, as on developers' machines and in CI).
_ROOT = Path(__file__).resolve().parents[1]
SHARED = next((d for d in (_ROOT / "sample_data" / "nhse", _ROOT.parent / "shared" / "data" / "nhse")
               if (d / "ae_attendances_monthly_2016_2019.csv").exists()),
              _ROOT.parent / "shared" / "data" / "nhse")
TIDY = SHARED / "ae_attendances_monthly_2016_2019.csv"
SITREPS = SHARED / "winter_sitreps_daily_beds_2015_2023.csv"
NEW = [FIXTURES / "monthly" / "MSitAE-APRIL-2024.csv", FIXTURES / "monthly" / "MSitAE-MAY-2024.csv"]
OLD = FIXTURES / "old_style_MSitAE-NOVEMBER-2018.csv"
BAD = FIXTURES / "bad_MSitAE-JUNE-2024.csv"
RWP_NAME = "WORCESTERSHIRE ACUTE HOSPITALS NHS TRUST"

needs_shared = pytest.mark.skipif(not TIDY.exists() or not SITREPS.exists(),
                                  reason="the shared NHS England extracts (../shared/data/nhse) are not here")
# RWP and its peers cut from those files and committed (sample_data/nhse/extract.py): the RWP
# checks always run on these, whether or not the shared folder sits beside the clone.
RWP_TIDY = _ROOT / "sample_data" / "nhse" / "ae_monthly_rwp_peers.csv"
RWP_SITREPS = _ROOT / "sample_data" / "nhse" / "winter_sitreps_rwp_peers.csv"


def value(frame, site, metric, date):
    hit = frame[(frame["site"] == site) & (frame["metric"] == metric) & (frame["date"] == date)]
    assert len(hit) == 1, f"{site} {metric} {date}: {len(hit)} rows"
    return float(hit["value"].iloc[0])


def field(provider, org, name, period):
    hit = provider[(provider["org_code"] == org) & (provider["metric"] == name)
                   & (provider["period"] == period)]
    assert len(hit) == 1
    return float(hit["value"].iloc[0])


# --------------------------------------------------------------------------- period text
@pytest.mark.parametrize("text, expected", [
    ("MSitAE-APRIL-2024", "2024-04-01"), ("MSitAE-NOVEMBER-2018", "2018-11-01"),
    ("April-2024", "2024-04-01"), ("Sept 2019", "2019-09-01"), ("Apr-24", "2024-04-01"),
    ("2024-04-01", "2024-04-01"), ("2024-04-17", "2024-04-01"), ("01/04/2024", "2024-04-01"),
])
def test_parse_period(text, expected):
    assert nhse.parse_period(text) == pd.Timestamp(expected)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.integers(2000, 2099), st.sampled_from(["MSitAE-{M}-{Y}", "{m}-{Y}", "{m} {Y}"]))
def test_parse_period_any_month(month, year, style):
    name = pd.Timestamp(year=year, month=month, day=1).strftime("%B")
    text = style.format(M=name.upper(), m=name, Y=year)
    assert nhse.parse_period(text) == pd.Timestamp(year=year, month=month, day=1)


@pytest.mark.parametrize("text", ["", "TOTAL", "MSitAE-SMARCH-2024", "JUNE 2024 (revised)"])
def test_parse_period_rejects(text):
    assert pd.isna(nhse.parse_period(text))


# --------------------------------------------------------------------------- raw monthly returns
def test_new_style_file_reads_every_field_and_drops_total_row_as_info():
    result = nhse.read_ae_monthly(NEW[0])
    report, provider = result.report, result.frame
    assert report.ok and not report.warnings
    assert list(provider.columns) == list(nhse.PROVIDER_COLUMNS)
    assert set(provider["org_code"]) == {"RWP", "RJC", "RLQ"}  # no TOTAL
    total = problems(report, "total_row")
    assert len(total) == 1 and total[0].severity == S.INFO and total[0].rows == (5,)
    assert total[0].file == "MSitAE-APRIL-2024.csv" and total[0].column == "Org Code"
    assert set(provider["metric"]) == set(nhse.RETURN_FIELDS.values())
    assert (provider["period"] == pd.Timestamp("2024-04-01")).all()
    assert field(provider, "RWP", "ae_attendances_booked_type1", "2024-04-01") == 100
    assert field(provider, "RWP", "dta_12h_plus", "2024-04-01") == 300
    assert provider.loc[provider["org_code"] == "RWP", "parent_org"].iloc[0] == "NHS ENGLAND MIDLANDS"
    assert report.rows_read == 4 and report.rows_kept == 3


def test_new_style_activity_matches_hand_sums():
    result = nhse.read_ae_activity(NEW, today="2025-01-01")
    frame = result.frame
    assert list(frame.columns) == list(S.ACTIVITY_COLUMNS)
    apr = pd.Timestamp("2024-04-01")
    # RWP April 2024 by hand from the fixture: type 1 12000 + booked 100; other 5000 + booked 50
    assert value(frame, RWP_NAME, S.ATTENDANCES_TYPE1, apr) == 12100
    assert value(frame, RWP_NAME, S.ATTENDANCES_TYPE3, apr) == 5050
    assert value(frame, RWP_NAME, S.ATTENDANCES, apr) == 17150
    assert value(frame, RWP_NAME, nhse.ATTENDANCES_BOOKED, apr) == 150
    assert value(frame, RWP_NAME, S.BREACHES_4H, apr) == 4000 + 20 + 10 + 1
    assert value(frame, RWP_NAME, nhse.BREACHES_4H_TYPE1, apr) == 4010
    assert value(frame, RWP_NAME, S.ADMISSIONS, apr) == 3500
    assert value(frame, RWP_NAME, nhse.ADMISSIONS_TYPE1, apr) == 3500
    assert value(frame, RWP_NAME, nhse.DTA_WAITS_12H, apr) == 300
    assert value(frame, RWP_NAME, nhse.DTA_WAITS_4_12H, apr) == 800
    assert value(frame, RWP_NAME, nhse.OTHER_EMERGENCY_ADMISSIONS, apr) == 1200
    # RJC has a type 2 department: its admissions add up across types
    rjc = "SOUTH WARWICKSHIRE UNIVERSITY NHS FOUNDATION TRUST"
    assert value(frame, rjc, S.ADMISSIONS, apr) == 1805
    assert value(frame, rjc, S.ATTENDANCES_TYPE2, apr) == 300
    # two months, three providers, no TOTAL site
    assert sorted(frame["date"].unique()) == [apr, pd.Timestamp("2024-05-01")]
    assert frame["site"].nunique() == 3 and not frame["site"].str.contains("TOTAL").any()
    assert len(problems(result.report, "total_row")) == 2


def test_old_style_number_of_columns_read_like_new_ones():
    result = nhse.read_ae_monthly(OLD)
    assert result.report.ok
    provider = result.frame
    assert field(provider, "RWP", "ae_attendances_type1", "2018-11-01") == 10402  # "10,402"
    assert field(provider, "RWP", "over_4h_other", "2018-11-01") == 1
    assert field(provider, "RWP", "dta_4_12h", "2018-11-01") == 1204
    assert field(provider, "RWP", "dta_12h_plus", "2018-11-01") == 23
    assert field(provider, "RWP", "emergency_admissions_type1", "2018-11-01") == 3187
    assert field(provider, "RWP", "other_emergency_admissions", "2018-11-01") == 1021
    assert not provider["metric"].str.contains("booked").any()  # no booked columns before 2019
    assert problems(result.report, "total_row")[0].rows == (4,)
    act = nhse.provider_activity(provider, site="code")
    assert value(act, "RWP", S.ATTENDANCES, "2018-11-01") == 10402 + 4869
    assert value(act, "RWP", S.BREACHES_4H, "2018-11-01") == 3896


def test_several_files_and_a_folder_give_one_table():
    from_folder = nhse.read_ae_monthly([FIXTURES / "monthly", OLD])
    from_list = nhse.read_ae_monthly(NEW + [OLD])
    pd.testing.assert_frame_equal(from_folder.frame, from_list.frame)
    assert from_folder.report.source == "3 files"
    assert sorted(from_folder.frame["period"].unique()) == [
        pd.Timestamp("2018-11-01"), pd.Timestamp("2024-04-01"), pd.Timestamp("2024-05-01")]
    files = {p.file for p in problems(from_folder.report, "total_row")}
    assert files == {"MSitAE-APRIL-2024.csv", "MSitAE-MAY-2024.csv", OLD.name}
    # a provider renamed between files keeps one series under its latest name
    rjc = from_folder.frame[from_folder.frame["org_code"] == "RJC"]
    assert set(rjc["org_name"]) == {"SOUTH WARWICKSHIRE UNIVERSITY NHS FOUNDATION TRUST"}


def test_uploaded_bytes_with_names():
    data = [p.read_bytes() for p in NEW]
    result = nhse.read_ae_monthly(data, names=["apr.csv", "may.csv"])
    assert result.report.ok
    assert {p.file for p in result.report.problems} == {"apr.csv", "may.csv"}
    assert len(result.frame) == len(nhse.read_ae_monthly(NEW).frame)


def test_bad_rows_are_listed_with_file_row_and_column_not_dropped_silently():
    result = nhse.read_ae_monthly(BAD)
    report = result.report
    assert not report.ok
    by_code = {p.code: p for p in report.problems}
    assert by_code["blank_org_code"].rows == (3,)
    assert by_code["bad_period"].rows == (4,) and "JUNE 2024 (revised)" in by_code["bad_period"].message
    assert by_code["negative"].rows == (5,) and by_code["negative"].column == "A&E attendances Type 2"
    assert by_code["not_numeric"].rows == (2,) and "12+" in by_code["not_numeric"].column
    assert by_code["blank_value"].severity == S.WARNING and by_code["blank_value"].rows == (2,)
    assert by_code["total_row"].severity == S.INFO and by_code["total_row"].rows == (6,)
    assert all(p.file == BAD.name for p in report.problems)
    provider = result.frame
    # the good cells of a row with one bad cell are kept; the bad cell is not
    assert field(provider, "RWP", "ae_attendances_type1", "2024-06-01") == 12600
    assert provider[(provider["org_code"] == "RWP") & (provider["metric"] == "dta_12h_plus")].empty
    assert "RLQ" not in set(provider["org_code"])            # its period was unreadable
    assert "MYSTERY TRUST" not in set(provider["org_name"])  # no org code
    rjc = provider[provider["org_code"] == "RJC"]
    assert "ae_attendances_type2" not in set(rjc["metric"]) and len(rjc) == 17
    text = str(report)
    assert "row 3" in text and "Fill in the provider's ODS code" in text


def test_same_month_twice_repeats_counted_once_conflicts_left_out():
    apr = NEW[0].read_bytes()
    same = nhse.read_ae_monthly([apr, apr], names=["a.csv", "b.csv"])
    assert same.report.ok
    assert len(same.frame) == len(nhse.read_ae_monthly(NEW[0]).frame)
    repeat = problems(same.report, "duplicate_repeat")
    assert repeat and repeat[0].file == "b.csv" and "a.csv, b.csv" in repeat[0].message
    revised = apr.replace(b",12000,", b",12345,")
    clash = nhse.read_ae_monthly([apr, revised], names=["a.csv", "revised.csv"])
    conflict = problems(clash.report, "duplicate_conflict")
    assert not clash.report.ok and {p.file for p in conflict} == {"a.csv", "revised.csv"}
    assert conflict[0].column == "A&E attendances Type 1" and conflict[0].rows == (2,)
    rwp = clash.frame[(clash.frame["org_code"] == "RWP") & (clash.frame["metric"] == "ae_attendances_type1")]
    assert rwp.empty  # neither figure is trusted
    assert field(clash.frame, "RWP", "dta_12h_plus", "2024-04-01") == 300  # the agreeing fields stay


def test_not_a_return_and_no_files():
    result = nhse.read_ae_monthly(b"date,site,attendances\n2024-01-01,A,3\n", names=["x.csv"])
    assert problems(result.report, "not_ae_return") and result.frame.empty
    assert list(result.frame.columns) == list(nhse.PROVIDER_COLUMNS)
    empty = nhse.read_ae_monthly([])
    assert problems(empty.report, "no_files")


def test_future_month_is_an_error_through_validation():
    result = nhse.read_ae_activity(NEW, today="2024-04-20")
    assert problems(result.report, "future_date")
    assert result.frame["date"].max() == pd.Timestamp("2024-04-01")


def test_provider_activity_choices():
    provider = nhse.read_ae_monthly(NEW).frame
    coded = nhse.provider_activity(provider, site="code", orgs=["rwp"])
    assert set(coded["site"]) == {"RWP"}
    assert coded["metric"].iloc[0] == S.ATTENDANCES  # a manager's order: attendances first
    with pytest.raises(ValueError, match="site must be"):
        nhse.provider_activity(provider, site="trust")
    none = nhse.provider_activity(provider, orgs=["ZZZ"])
    assert none.empty and list(none.columns) == list(S.ACTIVITY_COLUMNS)


# --------------------------------------------------------------------------- the shared tidy extract
def test_tidy_extract_rwp_matches_the_file():
    result = nhse.read_ae_activity(RWP_TIDY, site="code", orgs=["RWP"], today="2025-01-01")
    assert result.report.ok
    frame = result.frame
    # read by hand from ae_attendances_monthly_2016_2019.csv:
    # 2016-04-01,RWP,1,9754,2339,2931 and 2016-04-01,RWP,other,5204,0,0
    assert value(frame, "RWP", S.ATTENDANCES_TYPE1, "2016-04-01") == 9754
    assert value(frame, "RWP", S.ATTENDANCES_TYPE3, "2016-04-01") == 5204
    assert value(frame, "RWP", S.ATTENDANCES, "2016-04-01") == 14958
    assert value(frame, "RWP", S.BREACHES_4H, "2016-04-01") == 2339
    assert value(frame, "RWP", S.ADMISSIONS, "2016-04-01") == 2931
    # 2018-12-01,RWP,1,10561,4426,3236 and 2018-12-01,RWP,other,4720,2,0
    assert value(frame, "RWP", S.ATTENDANCES, "2018-12-01") == 10561 + 4720
    assert value(frame, "RWP", S.BREACHES_4H, "2018-12-01") == 4428
    assert value(frame, "RWP", nhse.BREACHES_4H_TYPE1, "2018-12-01") == 4426
    assert value(frame, "RWP", nhse.ADMISSIONS_TYPE1, "2018-12-01") == 3236
    # 2019-03-01,RWP,1,10964,3749,3255
    assert value(frame, "RWP", S.ATTENDANCES_TYPE1, "2019-03-01") == 10964
    # 36 months, April 2016 to March 2019, none missing
    att = frame[frame["metric"] == S.ATTENDANCES]
    assert len(att) == 36 and att["date"].min() == pd.Timestamp("2016-04-01")
    assert att["date"].max() == pd.Timestamp("2019-03-01")
    assert S.ATTENDANCES_TYPE2 not in set(frame["metric"])  # RWP has no type 2 department


@needs_shared
def test_tidy_extract_whole_file():
    result = nhse.read_ae_tidy(TIDY)
    assert result.report.ok and result.report.rows_read == 12765 == result.report.rows_kept
    provider = result.frame
    assert provider["org_code"].nunique() == 274
    assert provider["period"].nunique() == 36
    assert len(provider) == 3 * 12765
    # 4-hour performance, all types, RWP 2016-17 (the year's sums, from the file)
    act = nhse.provider_activity(provider, site="code", orgs=["RWP"])
    year = act[(act["date"] >= "2016-04-01") & (act["date"] <= "2017-03-01")]
    raw = pd.read_csv(TIDY)
    raw = raw[(raw["org_code"] == "RWP") & (raw["period"] >= "2016-04-01") & (raw["period"] <= "2017-03-01")]
    assert year.loc[year["metric"] == S.ATTENDANCES, "value"].sum() == raw["attendances"].sum()
    assert year.loc[year["metric"] == S.BREACHES_4H, "value"].sum() == raw["breaches"].sum()


def test_tidy_extract_problems_are_reported():
    text = ("period,org_code,type,attendances,breaches,admissions\n"
            "2017-03-01,RWP,1,100,10,30\n"
            "2017-03-01,RWP,9,5,0,0\n"
            "March,RWP,other,5,0,0\n"
            "2017-04-01,RWP,1,,x,30\n"
            "2017-04-01,TOTAL,1,1,1,1\n")
    result = nhse.read_ae_tidy(text.encode(), name="tidy.csv")
    codes = {p.code: p for p in result.report.problems}
    assert codes["bad_type"].rows == (3,)
    assert codes["bad_period"].rows == (4,)
    assert codes["blank_value"].rows == (5,) and codes["not_numeric"].rows == (5,)
    assert codes["total_row"].severity == S.INFO
    assert field(result.frame, "RWP", "emergency_admissions_type1", "2017-04-01") == 30
    missing = nhse.read_ae_tidy(b"period,org_code,type\n2017-03-01,RWP,1\n")
    assert problems(missing.report, "missing_column")


# --------------------------------------------------------------------------- bed sitreps
def test_sitrep_fixture_rules():
    result = nhse.read_bed_sitreps(FIXTURES / "sitrep_small.csv")
    report, hist = result.report, result.frame
    assert list(hist.columns) == list(nhse.SITREP_COLUMNS)
    codes = {p.code: p for p in report.problems}
    assert codes["england_rows"].severity == S.INFO and codes["england_rows"].rows == (2,)
    assert codes["not_reported"].rows == (6,)                # RWP sent no figures that day
    assert codes["bst_midnight"].rows == (5,)                # 23:00 is the next day's midnight
    assert codes["occupied_over_open"].rows == (4,)
    assert codes["duplicate_merged"].rows == (7, 8)          # RM3 under two names, same figures
    assert codes["duplicate_conflict"].rows == (9, 10)       # RYR twice, different figures
    assert codes["bad_date"].rows == (11,)
    assert codes["not_numeric"].rows == (12,)
    rwp = hist[hist["org_code"] == "RWP"].set_index("date")
    assert list(rwp.index) == list(pd.to_datetime(["2021-03-27", "2021-03-28", "2021-03-29"]))
    assert rwp.loc["2021-03-29", "beds_open"] == 765 and rwp.loc["2021-03-29", "handover_delays_60"] == 30
    assert rwp.loc["2021-03-27", "occupancy"] == pytest.approx(740 / 760)
    assert np.isnan(rwp.loc["2021-03-28", "handover_delays_30"])  # blank stays blank, not 0
    rm3 = hist[hist["org_code"] == "RM3"]
    assert len(rm3) == 1 and rm3["ae_closures"].iloc[0] == 0
    assert "RYR" not in set(hist["org_code"]) and "ENGLAND" not in set(hist["org_code"])
    odd = hist[hist["org_code"] == "RXY"]
    assert np.isnan(odd["beds_open"].iloc[0]) and odd["occupied_beds"].iloc[0] == 5
    with_england = nhse.read_bed_sitreps(FIXTURES / "sitrep_small.csv", include_england=True)
    assert "ENGLAND" in set(with_england.frame["org_code"])
    assert not problems(with_england.report, "england_rows")


def test_sitrep_activity_long_form():
    hist = nhse.read_bed_sitreps(FIXTURES / "sitrep_small.csv", orgs=["RWP"]).frame
    act = nhse.sitrep_activity(hist, site="code")
    assert list(act.columns) == list(S.ACTIVITY_COLUMNS)
    assert set(act["site"]) == {"RWP"}
    assert value(act, "RWP", S.OCCUPIED_BEDS, "2021-03-28") == 770
    assert value(act, "RWP", nhse.BEDS_OPEN, "2021-03-28") == 762
    assert act[(act["metric"] == nhse.HANDOVER_DELAYS_30) & (act["date"] == "2021-03-28")].empty
    only = nhse.sitrep_activity(hist, metrics=[S.OCCUPIED_BEDS])
    assert set(only["metric"]) == {S.OCCUPIED_BEDS}
    assert set(only["site"]) == {"Worcestershire Acute Hospitals NHS Trust"}
    with pytest.raises(ValueError, match="Unknown sitrep metric"):
        nhse.sitrep_activity(hist, metrics=["beds"])


def test_not_a_sitrep():
    result = nhse.read_bed_sitreps(b"date,site,attendances\n2024-01-01,A,3\n")
    assert problems(result.report, "not_sitrep") and result.frame.empty


def test_shared_winter_sitreps_rwp():
    result = nhse.read_bed_sitreps(RWP_SITREPS)
    report, hist = result.report, result.frame
    assert report.ok  # every problem in the real file is a warning or information
    assert not hist.duplicated(["org_code", "date"]).any()
    rwp = hist[hist["org_code"] == "RWP"].set_index("date")
    assert set(rwp["org_name"]) == {"Worcestershire Acute Hospitals NHS Trust"}
    # read by hand from the file:
    # 2018-19,RWP,...,2019-01-15,737.0,733.0,0.99...,0.0,0.0,295.0,104.0,34.0,54.0
    day = rwp.loc["2019-01-15"]
    assert (day["beds_open"], day["occupied_beds"], day["long_stay_21d"], day["handover_delays_60"]) == (
        737, 733, 104, 54)
    # 2022-23,RWP,...,2022-12-29,764.0,717.0,...
    assert (rwp.loc["2022-12-29", "beds_open"], rwp.loc["2022-12-29", "occupied_beds"]) == (764, 717)
    # 2015-11-30,711.0,708.0: ISO dates are never read day-first
    assert rwp.loc["2015-11-30", "beds_open"] == 711 and pd.Timestamp("2015-01-12") not in rwp.index
    assert rwp.index.min() == pd.Timestamp("2015-11-30") and rwp.index.max() == pd.Timestamp("2023-03-12")
    assert 650 <= rwp["beds_open"].min() and rwp["beds_open"].max() <= 800
    # every row read is kept, merged into another or listed in the report
    listed = sum(len(p.rows) for p in report.problems if p.code in ("england_rows", "not_reported"))
    merged = len(problems(report, "duplicate_merged")[0].rows)
    assert len(hist) + listed < report.rows_read < len(hist) + listed + merged
    assert report.rows_kept == len(hist)
    act = nhse.sitrep_activity(hist[hist["org_code"] == "RWP"], site="code", metrics=[S.OCCUPIED_BEDS])
    assert len(act) == len(rwp)


def test_sitrep_org_filter_checks_only_those_trusts():
    result = nhse.read_bed_sitreps(FIXTURES / "sitrep_small.csv", orgs=["rm3"])
    assert result.report.ok and set(result.frame["org_code"]) == {"RM3"}
    assert {p.code for p in result.report.problems} == {"duplicate_merged", "unused_columns"}
    assert result.report.rows_read == 11 and result.report.rows_kept == 1
