"""Every page under streamlit.testing.v1.AppTest: no exception with the sample, useful errors on bad uploads."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=120)


def _charts(at):
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


@pytest.fixture(scope="module")
def overview():
    return _app().run()


def test_overview_opens_on_the_sample_without_errors(overview):
    at = overview
    assert not at.exception
    assert [t.value for t in at.title] == ["Overview"]
    labels = [m.label for m in at.metric]
    assert labels[0] == "A&E attendances" and "Occupied G&A beds (daily average)" in labels
    assert all("vs last year" in m.proto.delta for m in at.metric)
    assert not at.error


def test_overview_chart_states_its_message_and_shows_every_site(overview):
    [spec] = _charts(overview)
    title = spec["title"]["text"]
    assert title.startswith("A&E attendances across the trust over the last 28 days were")
    domain = spec["encoding"]["color"]["scale"]["domain"]
    assert domain == ["Alexandra", "Kidderminster", "Worcestershire Royal", "Trust total"]


def test_overview_headline_table_has_each_site_and_the_trust_total(overview):
    table = overview.dataframe[0].value
    assert {"Worcestershire Royal", "Alexandra", "Kidderminster", "Trust total"} <= set(table["Site"])
    att = table[table["Metric"] == "A&E attendances"].set_index("Site")
    parts = att.loc[["Worcestershire Royal", "Alexandra", "Kidderminster"], "Last 28 days"].sum()
    assert att.loc["Trust total", "Last 28 days"] == pytest.approx(parts)


def test_sidebar_says_what_data_is_in_use(overview):
    text = " ".join(c.value for c in overview.sidebar.caption)
    assert "synthetic" in text and "31 Oct 2025" in text


@pytest.fixture
def data_page():
    at = _app().run()
    return at.switch_page("app_pages/data.py").run()


def test_data_page_with_sample_offers_views_and_a_download(data_page):
    at = data_page
    assert not at.exception
    assert [t.value for t in at.title] == ["Data"]
    assert at.selectbox(key="hist_metric").value == "attendances"
    assert at.radio(key="hist_view").options == ["daily", "weekly", "monthly"]
    assert len(at.get("download_button")) == 1
    for view in ("daily", "monthly"):
        at.radio(key="hist_view").set_value(view).run()
        assert not at.exception
        assert view in _charts(at)[0]["title"]["text"]


def test_data_page_hourly_sample(data_page):
    at = data_page
    at.radio(key="data_source").set_value("sample_hourly").run()
    assert not at.exception
    assert "hourly" in at.radio(key="hist_view").options
    at.radio(key="hist_view").set_value("hourly").run()
    assert not at.exception and _charts(at)


def _upload(at, name: str, data: bytes):
    at.radio(key="data_source").set_value("upload").run()
    at.file_uploader(key="upload").set_value((name, data, "text/csv")).run()
    return at


def test_bad_upload_shows_a_report_not_a_traceback(data_page):
    bad = b"Date,Site,Attendances\n01/01/2025,WRH,120\n02/01/2025,WRH,-3\n03/01/2025,WRH,abc\n"
    at = _upload(data_page, "ed_extract.csv", bad)
    assert not at.exception
    [banner] = at.error
    assert "ed_extract.csv" in banner.value and "2 kind(s) of error" in banner.value
    report = at.dataframe[0].value
    assert {"negative", "not a number"} <= {w for p in report["problem"] for w in ("negative", "not a number") if w in p}
    assert set(report["where"]) >= {"row 3", "row 4"}
    assert "Attendances" in set(report["column"])
    # the user may go on with the good rows, by choice
    at.checkbox(key="use_partial_upload").check().run()
    assert not at.exception
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    assert at.caption[0].value.startswith("Upload: ed_extract.csv")


def test_unusable_upload_says_nothing_can_be_used(data_page):
    at = _upload(data_page, "notes.csv", b"just some notes\nnothing tabular here\n")
    assert not at.exception
    assert at.error and "No date column" in at.dataframe[0].value["problem"].iloc[0]
    assert any("Nothing in this file can be used" in i.value for i in at.info)


def test_good_wide_upload_becomes_the_data_everywhere(data_page):
    days = pd.date_range("2025-01-01", "2025-03-31", freq="D")
    wide = pd.DataFrame({"date": days.strftime("%d/%m/%Y"), "site": "Alexandra",
                         "attendances": range(100, 100 + len(days)), "admissions": 30})
    at = _upload(data_page, "wide.csv", wide.to_csv(index=False).encode())
    assert not at.exception and not at.error
    assert at.success
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    assert "Upload: wide.csv" in at.caption[0].value


def test_xlsx_upload_with_title_rows(data_page):
    buf = io.BytesIO()
    frame = pd.DataFrame({"Date": pd.date_range("2025-01-01", periods=10), "Site": "WRH",
                          "Attendances": 200})
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        frame.to_excel(xl, index=False, startrow=2)
        xl.sheets["Sheet1"]["A1"] = "ED activity report"
    at = _upload(data_page, "report.xlsx", buf.getvalue())
    assert not at.exception
    assert at.warning and "title row" in at.dataframe[0].value["problem"].iloc[0]


def test_overview_says_why_a_headline_card_is_blank(data_page):
    # two years of days with one day missing in the last 28: that card has no 28-day figure
    days = pd.date_range("2023-11-01", "2025-10-31", freq="D")
    days = days[days != pd.Timestamp("2025-10-20")]
    text = "date,site,attendances\n" + "".join(f"{d:%Y-%m-%d},WRH,{100 + d.day_of_week}\n" for d in days)
    at = _upload(data_page, "gap.csv", text.encode())
    assert not at.exception
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    assert [m.value for m in at.metric] == ["-"]
    assert any("A dash, or no change shown, means the last 28 days" in c.value for c in at.caption)


def test_overview_of_part_of_one_day_says_there_are_no_headlines_yet(data_page):
    hours = pd.date_range("2025-10-31 08:00", "2025-10-31 17:00", freq="h")
    text = "date,site,attendances\n" + "".join(f"{h:%Y-%m-%d %H:%M},WRH,{5 + h.hour % 3}\n" for h in hours)
    at = _upload(data_page, "today.csv", text.encode())
    assert not at.exception
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception and not at.error
    assert any("No headline figures yet" in i.value for i in at.info)
