"""The Data page's other sources under AppTest: record-level extracts, NHS England returns, sitreps, SQL."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
FIXTURES = ROOT / "tests" / "fixtures" / "nhse"


@pytest.fixture
def data_page():
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/data.py").run()
    return at


def _active(at):
    """The data-source state the app keeps in the AppTest's session."""
    return at.session_state["dataset"]


RECORDS = (
    "nhs_number,arrival,departure,site,arrival_mode,admitted\n"
    "9434765919,2025-03-01 08:10,2025-03-01 10:00,Alexandra,Ambulance,Y\n"
    "9434765920,2025-03-01 09:00,2025-03-01 14:30,Alexandra,Walk in,N\n"
    "9434765921,2025-03-02 11:00,2025-03-02 10:00,Alexandra,Walk in,N\n"    # departs before arrival
    "9434765922,2025-03-02 12:00,2025-03-02 13:00,,Walk in,N\n"             # no site
    "9434765923,2025-03-02 13:00,2025-03-02 13:50,Alexandra,Walk in,N\n"
).encode()


def test_record_level_extract_counts_and_never_keeps_identifiers(data_page):
    at = data_page
    at.radio(key="data_source").set_value("records").run()
    at.file_uploader(key="records_upload").set_value(("ed.csv", RECORDS, "text/csv")).run()
    assert not at.exception
    report = at.dataframe[0].value
    assert {"row 4", "row 5"} <= set(report["where"])
    assert any("nhs_number" in str(v) for v in report["problem"])     # named, values never shown
    assert not any("9434765919" in str(v) for col in report.columns for v in report[col])
    at.checkbox(key="use_partial_records").check().run()
    state = _active(at)
    frame = state["result"].frame
    assert state["source"] == "records"
    assert list(frame.columns) == ["site", "metric", "date", "value"]
    day1 = frame[frame["date"] == pd.Timestamp("2025-03-01")].set_index("metric")["value"]
    assert day1["attendances"] == 2 and day1["admissions"] == 1 and day1["ambulance_arrivals"] == 1
    assert day1["breaches_4h"] == 1   # 5 h 30 in the department
    assert at.sidebar.caption[0].value == "Upload: ed.csv"


def test_nhse_returns_upload_is_monthly_activity_per_provider(data_page):
    at = data_page
    at.radio(key="data_source").set_value("nhse").run()
    files = [(p.name, p.read_bytes(), "text/csv") for p in sorted((FIXTURES / "monthly").glob("*.csv"))]
    at.file_uploader(key="nhse_upload").set_value(files).run()
    assert not at.exception and not at.error
    frame = _active(at)["result"].frame
    assert frame["date"].dt.month.unique().tolist() == [4, 5]
    rwp = frame[(frame["site"].str.contains("WORCESTERSHIRE", case=False)) & (frame["metric"] == "attendances_type1")]
    assert sorted(rwp["value"]) == [12100.0, 12610.0]   # type 1 + booked type 1, as NHS England totals
    assert at.radio(key="hist_view").options == ["monthly"]


def test_sitrep_upload_gives_beds_history(data_page):
    at = data_page
    at.radio(key="data_source").set_value("sitreps").run()
    raw = (FIXTURES / "sitrep_small.csv").read_bytes()
    at.file_uploader(key="sitrep_upload").set_value(("sitrep_small.csv", raw, "text/csv")).run()
    assert not at.exception
    assert any("Date could not be read" in p for p in at.dataframe[0].value["problem"])
    at.checkbox(key="use_partial_sitreps").check().run()
    frame = _active(at)["result"].frame
    assert "occupied_beds" in set(frame["metric"]) and "beds_open" in set(frame["metric"])
    assert not frame["site"].str.upper().eq("ENGLAND").any()


def test_sql_source_runs_a_query_on_the_configured_warehouse(data_page, tmp_path, monkeypatch):
    db = tmp_path / "warehouse.sqlite"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE activity (date TEXT, site TEXT, metric TEXT, value REAL)")
        con.executemany("INSERT INTO activity VALUES (?, ?, ?, ?)",
                        [(f"2025-01-{d:02d}", "Alexandra", "attendances", 150 + d) for d in range(1, 29)])
    monkeypatch.setenv("UEC_SQL_URL", f"sqlite:///{db}")
    at = data_page
    at.radio(key="data_source").set_value("sql").run()
    assert any("sqlite:///" in c.value for c in at.caption)
    at.button(key="sql_run").click().run()
    assert not at.exception and not at.error
    frame = _active(at)["result"].frame
    assert len(frame) == 28 and frame["value"].sum() == sum(150 + d for d in range(1, 29))
    assert _active(at)["source"] == "sql"


def test_sql_password_is_never_shown(data_page, monkeypatch):
    monkeypatch.setenv("UEC_SQL_URL", "postgresql+psycopg://analyst:s3cretPW@127.0.0.1:1/warehouse")
    at = data_page
    at.radio(key="data_source").set_value("sql").run()
    shown = " ".join(c.value for c in at.caption)
    assert "***" in shown and "s3cretPW" not in shown
    at.button(key="sql_run").click().run()  # nothing listens on port 1: a clear error, no password
    assert not at.exception
    text = " ".join(str(e.value) for e in at.error) + " ".join(
        str(v) for d in at.dataframe for col in d.value.columns for v in d.value[col])
    assert text and "s3cretPW" not in text


def test_sql_without_a_connection_says_how_to_set_one(data_page, monkeypatch):
    for var in ("UEC_SQL_URL", "UEC_SQL_HOST"):
        monkeypatch.delenv(var, raising=False)
    at = data_page
    at.radio(key="data_source").set_value("sql").run()
    assert not at.exception
    assert any("UEC_SQL_URL" in i.value and "secrets.toml" in i.value for i in at.info)


def test_record_level_download_suppresses_small_counts_by_default(data_page):
    import io

    from ui.data import clean_csv
    at = data_page
    at.radio(key="data_source").set_value("records").run()
    at.file_uploader(key="records_upload").set_value(("ed.csv", RECORDS, "text/csv")).run()
    at.checkbox(key="use_partial_records").check().run()
    assert at.toggle(key="suppress_small_records").value is True     # on by default for record-level data
    frame = _active(at)["result"].frame
    hidden = pd.read_csv(io.BytesIO(clean_csv(frame, suppress=True)), dtype=str)
    shown = pd.read_csv(io.BytesIO(clean_csv(frame, suppress=False)), dtype=str)
    assert set(hidden["value"]) <= {"<5", "0", "0.0"} and "<5" in set(hidden["value"])  # every count is 0-4
    assert len(hidden) == len(frame)
    assert "2.0" in set(shown["value"])
    sample = pd.DataFrame({"site": ["A", "A", "A"], "metric": ["attendances", "occupied_beds", "admissions"],
                           "date": pd.to_datetime(["2025-01-01"] * 3), "value": [3.0, 2.0, 12.0]})
    out = pd.read_csv(io.BytesIO(clean_csv(sample, suppress=True)), dtype=str).set_index("metric")["value"]
    assert out["attendances"] == "<5" and out["admissions"] == "12" and float(out["occupied_beds"]) == 2.0


def test_every_app_download_neutralises_formula_text():
    """The app's CSVs go through the export's neutralisation: a site named like a formula stays text."""
    import io

    from ui.cache import csv_bytes
    frame = pd.DataFrame({"site": ["=HYPERLINK(\"http://x\")", "@SUM(A1)", "Alexandra"],
                          "date": pd.to_datetime(["2025-01-01 00:00", "2025-01-02 00:00", "2025-01-03 13:00"]),
                          "value": [-3.0, 4.0, 5.0]})
    back = pd.read_csv(io.BytesIO(csv_bytes(frame)), dtype=str)
    assert list(back["site"]) == ["'=HYPERLINK(\"http://x\")", "'@SUM(A1)", "Alexandra"]
    assert list(back["value"]) == ["-3.0", "4.0", "5.0"]       # numbers are never changed
    assert list(back["date"]) == ["2025-01-01 00:00", "2025-01-02 00:00", "2025-01-03 13:00"]


def test_monthly_returns_fill_the_overview_and_spc(data_page):
    # one row per provider and month: every month is a whole period, not 1 day of 30
    at = data_page
    at.radio(key="data_source").set_value("nhse").run()
    extract = ROOT / "sample_data" / "nhse" / "ae_monthly_rwp_peers.csv"
    at.file_uploader(key="nhse_upload").set_value([(extract.name, extract.read_bytes(), "text/csv")]).run()
    assert not at.exception and not at.error
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception and not at.error
    assert any(h.value.startswith("Last 3 months at a glance") for h in at.subheader)
    assert any("Data through **March 2019** · 11 sites · 8 metrics" in c.value for c in at.sidebar.caption)
    values = [m.value for m in at.metric]
    assert values and all(v != "-" for v in values)
    table = at.dataframe[0].value
    assert "Last 3 months" in table.columns and table["Last 3 months"].notna().all()
    title = json.loads(at.get("vega_lite_chart")[0].proto.spec)["title"]["text"]
    assert "over the last 3 months were" in title and "the same months last year" in title
    at.switch_page("app_pages/spc.py").run()
    assert not at.exception and not at.warning
    assert at.get("vega_lite_chart")
