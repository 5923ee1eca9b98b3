"""The SPC page (AppTest) and the 4-hour performance measure behind it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from forecasting.io import LoadResult
from forecasting.schema import ValidationReport
from forecasting.summary import PERFORMANCE_4H, four_hour_performance

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def test_four_hour_performance_is_share_within_four_hours():
    rows = pd.DataFrame({"site": ["A"] * 4 + ["B"] * 2,
                         "metric": ["attendances", "breaches_4h"] * 3,
                         "date": pd.to_datetime(["2025-01-06", "2025-01-06", "2025-01-13", "2025-01-13",
                                                 "2025-01-06", "2025-01-06"]),
                         "value": [1000, 250, 0, 0, 400, 20]})
    out = four_hour_performance(rows).set_index(["site", "date"])["value"]
    assert out[("A", pd.Timestamp("2025-01-06"))] == pytest.approx(75.0)
    assert out[("B", pd.Timestamp("2025-01-06"))] == pytest.approx(95.0)
    assert ("A", pd.Timestamp("2025-01-13")) not in out.index      # no attendances: left out
    assert set(four_hour_performance(rows)["metric"]) == {PERFORMANCE_4H}


@pytest.fixture(scope="module")
def spc_page():
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/spc.py").run()
    return at


def test_spc_page_defaults_to_four_hour_performance_for_the_trust(spc_page):
    at = spc_page
    assert not at.exception and not at.error
    assert at.selectbox(key="spc_metric").value == PERFORMANCE_4H
    assert at.radio(key=f"spc_dir_{PERFORMANCE_4H}").value == "higher"
    assert at.multiselect(key="spc_sites").value == ["Trust total"]
    spec = at.get("vega_lite_chart")[0].proto.spec   # the footnote is the chart's outer title
    assert '"4-hour performance (% within 4 hours): ' in spec and "Making Data Count XmR" in spec
    table = at.dataframe[0].value
    assert list(table["Site"]) == ["Trust total"] and table["Target"].iloc[0] == 78.0
    assert table["variation_icon_uri"].iloc[0].startswith("data:image/svg+xml")
    assert table["Assurance"].iloc[0]  # pass, fail or hit and miss in words


def test_spc_page_rebases_only_where_the_user_says(spc_page):
    at = spc_page
    at.selectbox(key="spc_metric").set_value("attendances").run()
    at.multiselect(key="spc_sites").set_value(["Alexandra", "Worcestershire Royal"]).run()
    assert not at.exception
    assert at.radio(key="spc_dir_attendances").value == "neutral"
    before = at.dataframe[0].value.set_index("Site")["Mean"]
    options = at.multiselect(key="spc_rebase_weekly").options
    at.multiselect(key="spc_rebase_weekly").set_value([options[-30]]).run()
    after = at.dataframe[0].value.set_index("Site")["Mean"]
    assert not at.exception and len(after) == 2
    assert (before != after).any()          # the latest period's mean now comes from the new period only
    # showing fewer periods than reach back to the new period says it is no longer applied
    at.slider(key="spc_shown_weekly").set_value(20).run()
    assert not at.exception
    assert any("is before the periods shown, so it is no longer applied" in w.value for w in at.warning)
    assert at.multiselect(key="spc_rebase_weekly").value == []
    # a baseline that ends before it starts is refused with a reason
    dates = at.selectbox(key="spc_base_from_weekly").options
    at.selectbox(key="spc_base_from_weekly").set_value(dates[-1]).run()
    at.selectbox(key="spc_base_to_weekly").set_value(dates[0]).run()
    assert any("baseline ends before it starts" in e.value for e in at.error)


def test_spc_page_with_few_periods_has_no_slider_and_warns():
    """Five months of daily data seen monthly: no 'periods shown' slider (it would have min = max)."""
    days = pd.date_range("2025-01-01", "2025-05-31")
    frame = pd.DataFrame({"site": "Alexandra", "metric": "attendances", "date": days, "value": 150.0})
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.session_state["dataset"] = {"source": "upload", "name": "short.csv", "key": "short",
                                   "result": LoadResult(frame, ValidationReport())}
    at.switch_page("app_pages/spc.py").run()
    at.radio(key="spc_view").set_value("monthly").run()
    assert not at.exception and not at.error
    assert not [s for s in at.slider if s.key == "spc_shown_monthly"]
    assert any("rough guide" in w.value for w in at.warning)
