"""Record-level extracts: ED attendances and inpatient spells -> counts; identifiers dropped; suppression."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import problems, to_xlsx
from forecasting import records as R
from forecasting import schema as S
from forecasting.capacity.beds import census_from_spells
from forecasting.capacity.los import LengthOfStay

WRH, ALX = "Worcestershire Royal Hospital", "Alexandra Hospital"
HEADER = ("NHS Number,Patient Name,Postcode,Date of Birth,MRN,Arrival,Departure,Site,Dept Type,"
          "Arrival Mode,Admitted,Age Band,Acuity")
# row 2 onwards (the header is row 1); minutes in department in the comment
LINES = [
    f"9434765919,Jane Smith,WR5 1DD,01/01/1950,K100001,01/03/2024 08:10,01/03/2024 10:10,{WRH},1,Ambulance,Y,65-74,2",  # 2: 120
    f"9434765920,John Brown,B97 6QQ,02/02/1960,K100002,01/03/2024 08:50,01/03/2024 12:50,{WRH},1,Walk-in,N,45-54,3",  # 3: 240
    f"9434765921,Amy Green,DY11 6RJ,03/03/1970,K100003,01/03/2024 09:05,01/03/2024 13:06,{WRH},1,Road ambulance,Y,75+,2",  # 4: 241
    f"9434765922,Bob White,WR1 1AA,04/04/1980,K100004,01/03/2024 23:59,02/03/2024 11:59,{WRH},1,AMBULANCE,yes,75+,1",  # 5: 720
    f"9434765923,Sue Black,WR1 2BB,05/05/1990,K100005,02/03/2024 00:00,02/03/2024 12:01,{WRH},Type 1,Walk in,1,18-24,2",  # 6: 721
    f"9434765924,Tim Grey,B98 7XX,06/06/1991,K100006,01/03/2024 08:30,01/03/2024 09:00,{ALX},1,Private transport,N,0-4,4",  # 7: 30
    f"9434765925,Ann Gold,B97 1AA,07/07/1992,K100007,02/03/2024 14:00,,{ALX},1,Ambulance,N,85+,2",  # 8: still in
    f"9434765926,Ian Rose,B97 2BB,08/08/1993,K100008,02/03/2024 14:45,02/03/2024 15:00,{ALX},3,Walk in,,5-17,5",  # 9: 15
    f"9434765927,Liz Pink,WR2 3CC,09/09/1994,K100009,01/03/2024 10:00,01/03/2024 09:00,{WRH},1,Walk in,N,25-34,3",  # 10: backwards
    "9434765928,Max Blue,WR2 4DD,10/10/1995,K100010,01/03/2024 11:00,01/03/2024 12:00,,1,Walk in,N,25-34,3",  # 11: no site
    f"9434765929,Ned Teal,B98 5EE,11/11/1996,K100011,01/03/2099 10:00,01/03/2099 11:00,{ALX},1,Walk in,N,25-34,3",  # 12: future
    f"9434765930,Olga Tan,WR3 6FF,12/12/1997,K100012,31/02/2024 10:00,01/03/2024 11:00,{WRH},1,Walk in,N,25-34,3",  # 13: no such date
    f"9434765931,Pat Plum,WR3 7GG,01/01/1998,K100013,01/03/2024 12:00,tomorrow,{WRH},1,Walk in,N,25-34,3",  # 14: bad departure
]
EXTRACT = (HEADER + "\n" + "\n".join(LINES) + "\n").encode()
IDENTIFIERS = ["9434765919", "9434765925", "Jane Smith", "Ann Gold", "WR5 1DD", "B97 1AA", "01/01/1950",
               "K100001", "K100013", "Pat Plum"]
TODAY = "2025-01-01"


@pytest.fixture(scope="module")
def loaded():
    return R.read_ed_records(EXTRACT, today=TODAY, name="ed_extract.csv")


def _value(frame, site, metric, date):
    hit = frame[(frame["site"] == site) & (frame["metric"] == metric) & (frame["date"] == pd.Timestamp(date))]
    assert len(hit) == 1
    return float(hit["value"].iloc[0])


def _all_text(*objects) -> str:
    parts = []
    for obj in objects:
        if isinstance(obj, pd.DataFrame):
            parts.append(obj.to_csv(index=False))
            parts.append(" ".join(map(str, obj.columns)))
        else:
            parts.append(str(obj))
            parts.append(repr(obj))
    return "\n".join(parts)


# --------------------------------------------------------------------------- reading
def test_good_rows_kept_and_bad_rows_listed_by_row(loaded):
    report, recs = loaded.report, loaded.frame
    assert list(recs.columns) == list(R.RECORD_COLUMNS)
    assert list(recs["row"]) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert report.rows_read == 13 and report.rows_kept == 8
    assert problems(report, "departure_before_arrival")[0].rows == (10,)
    assert problems(report, "blank_site")[0].rows == (11,)
    assert problems(report, "future_date")[0].rows == (12,)
    bad_dates = {p.column: p.rows for p in problems(report, "bad_date")}
    assert bad_dates == {"Arrival": (13,), "Departure": (14,)}
    assert problems(report, "no_departure")[0].rows == (8,)
    assert problems(report, "admitted_blank")[0].rows == (9,)
    assert all(p.file == "ed_extract.csv" for p in report.problems)
    assert not report.ok  # errors are listed, the good rows are still usable
    assert list(recs["minutes_in_department"].iloc[:5]) == [120, 240, 241, 720, 721]
    assert list(recs["ambulance"]) == [True, False, True, True, False, False, True, False]
    assert list(recs["admitted"]) == [True, False, True, True, True, False, False, False]
    assert list(recs["department_type"]) == ["1"] * 7 + ["3"]
    assert recs.loc[0, "age_band"] == "65-74" and recs.loc[0, "acuity"] == "2"


def test_identifiers_are_dropped_and_never_returned(loaded):
    ids = problems(loaded.report, "identifiers_dropped")
    assert len(ids) == 1 and ids[0].severity == S.INFO
    for col in ("NHS Number", "Patient Name", "Postcode", "Date of Birth", "MRN"):
        assert repr(col) in ids[0].message
    daily = R.ed_activity(loaded.frame)
    tid = R.time_in_department(loaded.frame)
    text = _all_text(loaded.frame, loaded.report, loaded.report.to_frame(), daily, tid)
    for value in IDENTIFIERS:
        assert value not in text
    assert not any(R.is_identifier(c) for c in loaded.frame.columns)


@pytest.mark.parametrize("column", ["NHS Number", "nhs_no", "Patient NHS No.", "Patient ID", "MRN",
                                    "Hospital Number", "Case Note Number", "Name", "Forename", "Surname",
                                    "Postcode", "Patient Postcode", "DOB", "Date of Birth", "BirthDate",
                                    "Address Line 1", "Email", "Mobile Phone", "Local Patient Identifier"])
def test_is_identifier(column):
    assert R.is_identifier(column)


@pytest.mark.parametrize("column", ["Arrival", "Site", "Admitted", "Age Band", "Acuity", "Dept Type",
                                    "Arrival Mode", "Departure Date", "Ward", "Specialty"])
def test_is_not_identifier(column):
    assert not R.is_identifier(column)


def test_mapping_a_role_to_an_identifier_is_refused():
    result = R.read_ed_records(EXTRACT, columns={"site": "Postcode"}, today=TODAY)
    assert problems(result.report, "identifier_column") and result.frame.empty
    assert "WR5 1DD" not in _all_text(result.report)
    with pytest.raises(ValueError, match="Unknown column role"):
        R.read_ed_records(EXTRACT, columns={"postcode": "Postcode"})


def test_separate_date_and_time_columns_and_xlsx():
    frame = pd.read_csv(io.BytesIO(EXTRACT), dtype=str, keep_default_na=False)
    split = frame.assign(**{
        "Arrival Date": frame["Arrival"].str[:10], "Arrival Time": frame["Arrival"].str[11:],
        "Departure Date": frame["Departure"].str[:10], "Departure Time": frame["Departure"].str[11:],
    }).drop(columns=["Arrival", "Departure"])
    split.loc[split["Departure Date"] == "tomorrow", ["Departure Date", "Departure Time"]] = ["tomorrow", ""]
    a = R.read_ed_records(split.to_csv(index=False).encode(), today=TODAY)
    b = R.read_ed_records(to_xlsx(split), today=TODAY)
    base = R.read_ed_records(EXTRACT, today=TODAY)
    for got in (a, b):
        pd.testing.assert_frame_equal(got.frame[["site", "arrival", "departure", "admitted"]],
                                      base.frame[["site", "arrival", "departure", "admitted"]])
    assert problems(a.report, "bad_date")[0].column.startswith("Arrival Date + Arrival Time")


def test_missing_columns_and_optional_ones():
    missing = R.read_ed_records(b"Site,Arrival\nA,01/03/2024 10:00\n", today=TODAY)
    assert problems(missing.report, "missing_column") and missing.frame.empty
    bare = R.read_ed_records(b"Site,Arrival,Departure\nA,01/03/2024 10:00,01/03/2024 15:00\n", today=TODAY)
    assert bare.report.ok
    assert problems(bare.report, "no_admitted_column") and problems(bare.report, "no_arrival_mode")
    daily = R.ed_activity(bare.frame)
    assert _value(daily, "A", S.BREACHES_4H, "2024-03-01") == 1
    assert S.ATTENDANCES_TYPE1 not in set(daily["metric"])  # no department type column


def test_no_admitted_or_arrival_mode_column_leaves_those_metrics_out_not_zero():
    """A zero series would read as 'nobody admitted' on every page; an unknown metric is left out."""
    text = (b"Site,Arrival,Departure\n"
            b"A,01/03/2024 10:00,01/03/2024 15:00\nA,02/03/2024 10:00,02/03/2024 11:00\n")
    result = R.read_ed_activity(text, today=TODAY, total=True)
    assert result.report.ok and len(result.frame)
    assert set(result.frame["metric"]) == {S.ATTENDANCES, S.BREACHES_4H, R.BREACHES_12H}
    assert result.frame[result.frame["metric"] == S.ATTENDANCES]["value"].sum() == 2
    no_admitted = problems(result.report, "no_admitted_column")[0]
    assert "left out" in no_admitted.message and "'admitted'" in no_admitted.action
    no_mode = problems(result.report, "no_arrival_mode")[0]
    assert "left out" in no_mode.message and "'arrival mode'" in no_mode.action

    only_admitted = R.read_ed_activity(text.replace(b"Departure\n", b"Departure,Admitted\n")
                                       .replace(b"15:00\n", b"15:00,Y\n").replace(b"11:00\n", b"11:00,N\n"),
                                       today=TODAY)
    assert _value(only_admitted.frame, "A", S.ADMISSIONS, "2024-03-01") == 1
    assert _value(only_admitted.frame, "A", S.ADMISSIONS, "2024-03-02") == 0  # known: nobody admitted
    assert S.AMBULANCE_ARRIVALS not in set(only_admitted.frame["metric"])
    assert not problems(only_admitted.report, "no_admitted_column")


def test_local_ambulance_codes_and_bad_flags():
    text = (b"Site,Arrival,Departure,Arrival Mode,Admitted,Dept Type\n"
            b"A,01/03/2024 10:00,01/03/2024 11:00,AMB,N,1\n"
            b"A,01/03/2024 10:30,01/03/2024 11:00,HEMS helicopter,N,9\n"
            b"A,01/03/2024 10:45,01/03/2024 11:00,walk,N,UTC\n")
    result = R.read_ed_records(text, today=TODAY, ambulance_modes=["amb"])
    assert list(result.frame["ambulance"]) == [True, True, False]
    assert problems(result.report, "bad_department_type")[0].rows == (3,)
    assert list(result.frame["department_type"].fillna("-")) == ["1", "-", "3"]


def test_implausibly_long_stays_are_warned_not_dropped():
    text = b"Site,Arrival,Departure\nA,01/03/2024 10:00,04/03/2024 11:00\n"
    result = R.read_ed_records(text, today=TODAY)
    assert problems(result.report, "long_stay")[0].rows == (2,) and len(result.frame) == 1


# --------------------------------------------------------------------------- counts
def test_daily_counts_match_a_hand_count(loaded):
    daily = R.ed_activity(loaded.frame)
    assert list(daily.columns) == list(S.ACTIVITY_COLUMNS)
    expected = {  # (site, day): attendances, ambulance, admissions, >4h, >12h, type 1, type 3
        (WRH, "2024-03-01"): (4, 3, 3, 2, 0, 4, 0),
        (WRH, "2024-03-02"): (1, 0, 1, 1, 1, 1, 0),
        (ALX, "2024-03-01"): (1, 0, 0, 0, 0, 1, 0),
        (ALX, "2024-03-02"): (2, 1, 0, 0, 0, 1, 1),
    }
    metrics = (S.ATTENDANCES, S.AMBULANCE_ARRIVALS, S.ADMISSIONS, S.BREACHES_4H, R.BREACHES_12H,
               S.ATTENDANCES_TYPE1, S.ATTENDANCES_TYPE3)
    for (site, day), values in expected.items():
        for metric, want in zip(metrics, values):
            assert _value(daily, site, metric, day) == want, (site, day, metric)
    assert len(daily) == 2 * 2 * 8  # two sites, two days, eight metrics, nothing more
    assert daily["metric"].iloc[0] == S.ATTENDANCES


def test_hourly_counts_match_a_hand_count_and_add_up_to_daily(loaded):
    hourly = R.ed_activity(loaded.frame, freq="hourly")
    att = hourly[hourly["metric"] == S.ATTENDANCES]
    assert len(att) == 2 * 48  # whole days, every hour, zeros included
    assert _value(hourly, WRH, S.ATTENDANCES, "2024-03-01 08:00") == 2
    assert _value(hourly, WRH, S.ATTENDANCES, "2024-03-01 09:00") == 1
    assert _value(hourly, WRH, S.ATTENDANCES, "2024-03-01 23:00") == 1
    assert _value(hourly, WRH, S.ATTENDANCES, "2024-03-02 00:00") == 1
    assert _value(hourly, WRH, R.BREACHES_12H, "2024-03-02 00:00") == 1
    assert _value(hourly, ALX, S.ATTENDANCES, "2024-03-02 14:00") == 2
    assert _value(hourly, ALX, S.ATTENDANCES, "2024-03-02 03:00") == 0
    daily = R.ed_activity(loaded.frame)
    rolled = hourly.groupby(["site", "metric", hourly["date"].dt.normalize()])["value"].sum()
    assert rolled.to_dict() == daily.set_index(["site", "metric", "date"])["value"].to_dict()


def test_trust_total_and_validated_contract(loaded):
    daily = R.ed_activity(loaded.frame, total=True)
    assert _value(daily, S.TRUST_TOTAL, S.ATTENDANCES, "2024-03-02") == 3
    report = S.ValidationReport()
    checked = S.validate_activity(daily.assign(_row=np.arange(len(daily)) + 2), report, today=TODAY)
    assert report.ok and len(checked) == len(daily)
    with pytest.raises(ValueError, match="freq"):
        R.ed_activity(loaded.frame, freq="weekly")
    assert R.ed_activity(loaded.frame.iloc[:0]).empty


def test_read_ed_activity_one_call_and_zero_day_warning():
    day = "01/03/2024"
    lines = [f"A,{day} {h:02d}:00,{day} {h:02d}:30" for h in range(24) for _ in range(2)]
    lines += [f"A,03/03/2024 {h:02d}:00,03/03/2024 {h:02d}:30" for h in range(24)]
    text = ("Site,Arrival,Departure\n" + "\n".join(lines) + "\n").encode()
    result = R.read_ed_activity(text, freq="hourly", today=TODAY)
    assert _value(result.frame, "A", S.ATTENDANCES, "2024-03-01 05:00") == 2
    zero = problems(result.report, "zero_day")
    assert zero and "02/03/2024" in zero[0].message


def test_counts_agree_with_a_plain_loop_on_random_records():
    rng = np.random.default_rng(7)
    n = 600
    start = pd.Timestamp("2024-01-01")
    arrival = start + pd.to_timedelta(rng.integers(0, 14 * 24 * 60, n), unit="min")
    stay = rng.choice([30, 200, 240, 241, 500, 720, 721, 900], n)
    recs = pd.DataFrame({"row": np.arange(n) + 2, "site": rng.choice(["A", "B", "C"], n),
                         "arrival": arrival, "departure": arrival + pd.to_timedelta(stay, unit="min"),
                         "minutes_in_department": stay.astype(float), "department_type": None,
                         "arrival_mode": "", "ambulance": rng.random(n) < 0.3, "admitted": rng.random(n) < 0.25,
                         "age_band": None, "acuity": None})
    daily = R.ed_activity(recs).set_index(["site", "metric", "date"])["value"]
    loop: dict = {}
    for r in recs.itertuples():
        day = r.arrival.normalize()
        for metric, hit in ((S.ATTENDANCES, True), (S.AMBULANCE_ARRIVALS, r.ambulance),
                            (S.ADMISSIONS, r.admitted), (S.BREACHES_4H, r.minutes_in_department > 240),
                            (R.BREACHES_12H, r.minutes_in_department > 720)):
            loop[(r.site, metric, day)] = loop.get((r.site, metric, day), 0) + int(hit)
    for key, count in loop.items():
        assert daily[key] == count
    assert daily.sum() == sum(loop.values())


# --------------------------------------------------------------------------- time in department
def test_time_in_department_bands(loaded):
    tid = R.time_in_department(loaded.frame)
    wrh = tid[tid["site"] == WRH].set_index("band")["attendances"]
    # 120 -> 1-2 h; 240 -> 3-4 h (within the standard); 241 -> 4-6 h; 720 -> 8-12 h; 721 -> 12 h+
    assert wrh.to_dict() == {"0h-1h": 0, "1h-2h": 1, "2h-3h": 0, "3h-4h": 1, "4h-6h": 1, "6h-8h": 0,
                             "8h-12h": 1, "12h+": 1}
    alx = tid[tid["site"] == ALX].set_index("band")
    assert alx.loc["0h-1h", "attendances"] == 2 and alx["attendances"].sum() == 2  # still-in left out
    total = tid[tid["site"] == S.TRUST_TOTAL]
    assert total["attendances"].sum() == 7 and total["cumulative_share"].iloc[-1] == pytest.approx(1)
    within = tid[(tid["site"] == WRH) & (tid["band"] == "3h-4h")]["cumulative_share"].iloc[0]
    assert within == pytest.approx(2 / 5)  # share within 4 hours = 1 - breaches / attendances
    assert np.isnan(tid["to_minutes"].iloc[7]) and tid["from_minutes"].iloc[7] == 720
    custom = R.time_in_department(loaded.frame, bands=(0, 240), total=False)
    assert set(custom["band"]) == {"0h-4h", "4h+"}
    with pytest.raises(ValueError, match="bands must rise from 0"):
        R.time_in_department(loaded.frame, bands=(60, 240))


# --------------------------------------------------------------------------- disclosure control
def test_suppress_small_marker_and_flag():
    frame = pd.DataFrame({"site": list("ABCDEF"), "value": [0.0, 1.0, 4.0, 5.0, 12.0, np.nan],
                          "admissions": [3, 0, 7, 2, 9, 1]})
    out = R.suppress_small(frame, ["value", "admissions"])
    assert list(out["value"]) == ["0", "<5", "<5", "5", "12", ""]
    assert list(out["admissions"]) == ["<5", "0", "7", "<5", "9", "<5"]
    assert frame["value"].tolist()[:5] == [0.0, 1.0, 4.0, 5.0, 12.0]  # the input is untouched
    flagged = R.suppress_small(frame, "value", marker=None)
    assert flagged["value"].isna().tolist() == [False, True, True, False, False, True]
    assert flagged["value_suppressed"].tolist() == [False, True, True, False, False, False]
    seven = R.suppress_small(frame, "admissions", threshold=8, marker="*")
    assert list(seven["admissions"]) == ["*", "0", "*", "*", "9", "*"]
    with pytest.raises(KeyError):
        R.suppress_small(frame, "nope")
    with pytest.raises(ValueError):
        R.suppress_small(frame, "value", threshold=0)


def test_suppressing_activity_for_export(loaded):
    daily = R.ed_activity(loaded.frame)
    out = R.suppress_small(daily, "value")
    assert set(out["value"]) <= {"<5", "0"}  # every count in this tiny extract is under 5
    assert (out["value"] == "0").sum() == (daily["value"] == 0).sum()


# --------------------------------------------------------------------------- inpatient spells
SPELLS = b"""MRN,Forename,Surname,NHS Number,Site,Admission Date,Discharge Date,Specialty,Ward
A1,Ann,Lee,9434765940,WRH,01/03/2024 10:30,05/03/2024 14:00,Medicine,Avon 4
A2,Bob,Lee,9434765941,WRH,02/03/2024,,Medicine,Avon 4
A3,Cat,Lee,9434765942,WRH,03/03/2024,01/03/2024,Surgery,Beech
A4,Dan,Lee,9434765943,,03/03/2024,04/03/2024,Surgery,Beech
A5,Eve,Lee,9434765944,ALX,03/03/2024,03/03/2024,Surgery,Ward 10
A6,Fay,Lee,9434765945,ALX,02/03/2024,06/03/2024,Medicine,Ward 10
A7,Gus,Lee,9434765946,ALX,not a date,06/03/2024,Medicine,Ward 10
A8,Hal,Lee,9434765947,ALX,04/03/2024,20/03/2024,Medicine,Ward 10
"""


def test_inpatient_spells_feed_the_capacity_models():
    result = R.read_inpatient_spells(SPELLS, as_of="2024-03-10", name="spells.csv")
    report, spells = result.report, result.frame
    assert list(spells.columns) == list(R.SPELL_COLUMNS)
    assert list(spells["row"]) == [2, 3, 6, 7]
    assert problems(report, "discharge_before_admission")[0].rows == (4,)
    assert problems(report, "blank_site")[0].rows == (5,)
    assert problems(report, "bad_date")[0].rows == (8,)
    assert problems(report, "future_date")[0].rows == (9,)
    assert "1 spell(s)" in problems(report, "still_in")[0].message
    text = _all_text(spells, report, report.to_frame())
    for value in ("9434765940", "Ann", "A1,", "Lee"):
        assert value not in text
    assert spells.loc[0, "admission_date"] == pd.Timestamp("2024-03-01")  # times dropped: whole days
    assert spells.loc[0, "ward"] == "Avon 4"
    los = LengthOfStay.from_spells(spells, site="ALX", as_of="2024-03-10")
    assert los.survival[0] == pytest.approx(0.5)  # of ALX's two stays, one was same-day
    census = census_from_spells(spells, "2024-03-03")
    assert sorted(census["row"]) == [2, 3, 7]  # the same-day spell is never in the census


def test_census_activity_agrees_with_census_from_spells():
    spells = R.read_inpatient_spells(SPELLS, as_of="2024-03-10").frame
    daily = R.census_activity(spells, end="2024-03-08", total=True)
    assert set(daily["metric"]) == {S.OCCUPIED_BEDS}
    for day in pd.date_range("2024-03-01", "2024-03-08"):
        inside = census_from_spells(spells, day)
        for site in ("WRH", "ALX"):
            assert _value(daily, site, S.OCCUPIED_BEDS, day) == (inside["site"] == site).sum()
        assert _value(daily, S.TRUST_TOTAL, S.OCCUPIED_BEDS, day) == len(inside)
    window = R.census_activity(spells, start="2024-03-04", end="2024-03-05")
    assert list(window.loc[window["site"] == "WRH", "value"]) == [2, 1]


def test_spells_missing_columns():
    result = R.read_inpatient_spells(b"Site,Admission Date\nA,01/03/2024\n")
    assert problems(result.report, "missing_column") and result.frame.empty


# --------------------------------------------------------------------------- property: any extract

@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B"]), st.integers(0, 3 * 24 * 60),
                          st.integers(-120, 1000), st.booleans()), min_size=1, max_size=40))
def test_every_row_is_counted_or_listed(rows):
    start = pd.Timestamp("2024-03-01")
    lines = []
    for site, offset, stay, admitted in rows:
        arrive = start + pd.Timedelta(minutes=offset)
        leave = arrive + pd.Timedelta(minutes=stay)
        lines.append(f"{site},{arrive:%d/%m/%Y %H:%M},{leave:%d/%m/%Y %H:%M},{'Y' if admitted else 'N'}")
    text = ("Site,Arrival,Departure,Admitted\n" + "\n".join(lines) + "\n").encode()
    result = R.read_ed_records(text, today=TODAY)
    backwards = {i + 2 for i, r in enumerate(rows) if r[2] < 0}
    listed = set(problems(result.report, "departure_before_arrival")[0].rows) if backwards else set()
    assert listed == backwards
    assert set(result.frame["row"]) == set(range(2, len(rows) + 2)) - backwards
    daily = R.ed_activity(result.frame)
    good = [r for r in rows if r[2] >= 0]
    totals = daily.groupby("metric")["value"].sum()
    assert totals.get(S.ATTENDANCES, 0) == len(good)
    assert totals.get(S.ADMISSIONS, 0) == sum(r[3] for r in good)
    assert totals.get(S.BREACHES_4H, 0) == sum(r[2] > 240 for r in good)
    assert totals.get(R.BREACHES_12H, 0) == sum(r[2] > 720 for r in good)
    hourly = R.ed_activity(result.frame, freq="hourly")
    assert hourly["value"].sum() == daily["value"].sum()


def test_typed_dates_from_parquet():
    frame = pd.DataFrame({
        "site": ["A", "A", "B"],
        "arrival": pd.to_datetime(["2024-03-01 08:00", "2024-03-01 09:00", "2024-03-01 10:00"]),
        "departure": pd.to_datetime(["2024-03-01 13:00", None, "2024-03-01 09:00"]),
        "admitted": [True, False, False],
    })
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    result = R.read_ed_records(buffer.getvalue(), today=TODAY)
    assert list(result.frame["row"]) == [2, 3]
    assert problems(result.report, "no_departure")[0].rows == (3,)
    assert problems(result.report, "departure_before_arrival")[0].rows == (4,)
    spells = pd.DataFrame({"site": ["A", "A"], "admission_date": pd.to_datetime(["2024-03-01", "2024-03-02"]),
                           "discharge_date": pd.to_datetime(["2024-03-04", None])})
    buffer = io.BytesIO()
    spells.to_parquet(buffer, index=False)
    read = R.read_inpatient_spells(buffer.getvalue(), as_of=TODAY)
    assert read.report.ok and read.frame["discharge_date"].isna().tolist() == [False, True]
