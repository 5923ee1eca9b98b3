"""The Forecast and Accuracy pages under streamlit.testing.v1.AppTest, on the bundled sample."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from forecasting.calendar import COVID_EXCLUSION
from forecasting.io import load_sample
from ui import forecasting as fui

APP = str(Path(__file__).resolve().parent.parent / "app.py")
CONTRACT = ["site", "metric", "date", "model", "mean", "p2.5", "p5", "p10", "p25", "p50", "p75",
            "p90", "p95", "p97.5"]


def _charts(at):
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def _marks(spec) -> list[str]:
    return [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
            for layer in spec.get("layer", [])]


@pytest.fixture(scope="module")
def forecast_page():
    """The Forecast page on the sample: the one full fit of the module (then all from cache)."""
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("app_pages/forecast.py").run()
    return at


def test_forecast_page_opens_with_a_fan_chart_for_the_trust(forecast_page):
    at = forecast_page
    assert not at.exception and not at.error
    assert [t.value for t in at.title] == ["Forecast"]
    assert at.selectbox(key="fc_site").value == "Trust total"
    assert at.selectbox(key="fc_model").value == "auto"
    assert at.checkbox(key="fc_covid").value is True
    assert "COVID-19" in at.checkbox(key="fc_covid").label and "23/03/2020" in at.checkbox(key="fc_covid").label
    fan = _charts(at)[0]
    assert fan["title"]["text"].startswith("Across the trust:")
    assert "expected in the next 90 days" in fan["title"]["text"]
    assert any("COVID-19 period left out of fitting" in s for s in fan["title"]["subtitle"])
    assert _marks(fan).count("area") == 3 and _marks(fan).count("line") == 2


def test_forecast_page_says_which_model_and_why(forecast_page):
    text = " ".join(c.value for c in forecast_page.caption)
    assert "Model used:" in text and "auto chose" in text and "pinball" in text
    # what the model found: weekly, annual and holiday charts with their messages
    titles = [c["title"]["text"] for c in _charts(forecast_page)[1:]]
    assert len(titles) == 3 and "busiest" in titles[0] and "Bank holidays" in titles[2]


def test_forecast_table_and_downloads(forecast_page):
    at = forecast_page
    table = at.dataframe[-1].value
    assert list(table.columns[:3]) == ["Date", "Day", "Expected"]
    assert len(table) == 90 and {"80% range from", "95% range to", "Bank holiday"} <= set(table.columns)
    assert "Christmas Day" in set(table["Bank holiday"])
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download this series (CSV)", "Download every series (CSV)"]


def test_forecast_csv_has_the_contract_and_provenance(forecast_page):
    # the same cached calls the page makes (no refit): one series, then every series
    sample = load_sample("daily")
    fv = fui.forecast_view(sample, site="Trust total", metric="attendances", model="auto",
                           horizon=90, view="daily", exclude=tuple(COVID_EXCLUSION))
    one = pd.read_csv(io.BytesIO(fv.csv))
    assert list(one.columns) == CONTRACT + ["generated_at", "data_through"]
    assert len(one) == 90 and set(one["site"]) == {"Trust total"}
    assert (one["data_through"] == "2025-10-31 00:00").all()
    every = pd.read_csv(io.BytesIO(fui.all_series_csv(sample, model="auto", horizon=90,
                                                      exclude=tuple(COVID_EXCLUSION))))
    assert list(every.columns) == CONTRACT + ["generated_at", "data_through"]
    assert len(every) == 90 * 17 and "Trust total" in set(every["site"])


def test_changing_site_metric_and_view_reruns_from_cache(forecast_page):
    at = forecast_page
    started = time.perf_counter()
    at.selectbox(key="fc_site").set_value("Alexandra").run()
    at.selectbox(key="fc_metric").set_value("admissions").run()
    at.radio(key="fc_view").set_value("weekly").run()
    elapsed = time.perf_counter() - started
    assert not at.exception and not at.error
    fan = _charts(at)[0]
    assert fan["title"]["text"].startswith("Alexandra:") and "emergency admissions" in fan["title"]["text"]
    assert fan["title"]["subtitle"][0].startswith("Weekly forecast")
    assert at.dataframe[-1].value.columns[0] == "Week commencing"
    assert elapsed < 15  # three reruns, no refit (a refit of 17 series takes far longer)


def test_occupied_beds_are_shown_daily_only(forecast_page):
    at = forecast_page
    at.selectbox(key="fc_metric").set_value("occupied_beds").run()
    assert not at.exception
    assert at.radio(key="fc_view").options == ["daily"]
    assert any("census" in c.value for c in at.caption)
    assert "expected to average" in _charts(at)[0]["title"]["text"]


def test_short_upload_forecasts_without_crashing():
    days = pd.date_range("2025-01-01", periods=30, freq="D")
    frame = pd.DataFrame({"site": "Alexandra", "metric": "attendances", "date": days,
                          "value": [150 + (d.day_of_week == 0) * 20 for d in days]})
    fv = fui.forecast_view(frame, site="Alexandra", metric="attendances", model="auto",
                           horizon=28, view="daily")
    assert len(fv.forecast) == 28 and fv.excluded.empty
    assert fv.selection["model"] == "seasonal_naive" and "too short" in fv.selection["reason"]
    with pytest.raises(fui.ForecastUnavailable, match="not enough history"):
        fui.accuracy(frame, metric="attendances")


@pytest.fixture(scope="module")
def accuracy_page():
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("app_pages/accuracy.py").run()
    return at


def test_accuracy_page_scores_every_site_against_seasonal_naive(accuracy_page):
    at = accuracy_page
    assert not at.exception and not at.error
    assert [t.value for t in at.title] == ["Accuracy"]
    table = at.dataframe[0].value
    sites = {"Alexandra", "Kidderminster", "Worcestershire Royal", "Trust total"}
    assert set(table["Site"]) == sites
    for site in sites:
        models = list(table.loc[table["Site"] == site, "Model"])
        assert "Seasonal naive" in models and table.loc[table["Site"] == site, "Rank"].iloc[0] == 1
    assert at.toggle(key="acc_slow").value is False


def test_accuracy_sentence_per_site(accuracy_page):
    text = " ".join(m.value for m in accuracy_page.markdown)
    for site in ("Alexandra", "Kidderminster", "Worcestershire Royal", "Trust total"):
        assert f"**{site}**: Over the last 12 months, forecasts 1-7 days ahead were within ±" in text
    assert "attendances on 80% of days" in text


def test_accuracy_charts_and_site_switch(accuracy_page):
    at = accuracy_page
    backtest, coverage = _charts(at)
    assert "80% range held the actual" in backtest["title"]["text"]
    assert "target 80%" in coverage["title"]["text"]
    at.selectbox(key="acc_site").set_value("Trust total").run()
    assert not at.exception
    assert "across the trust" in _charts(at)[0]["title"]["text"]


def test_accuracy_ranks_models_on_the_same_forecasts():
    from ui.forecasting import _like_for_like
    rows = []
    for model, cutoffs in (("count_glm", [1, 2, 3, 4]), ("ets", [2, 3, 4]), ("mstl", [4])):
        for c in cutoffs:
            for h in (1, 2):
                rows.append({"site": "A", "model": model, "cutoff": pd.Timestamp("2024-01-01") + pd.Timedelta(days=7 * c),
                             "h": h, "actual": 10.0})
    bt = pd.DataFrame(rows)
    fair, unranked = _like_for_like(bt)
    # MSTL forecast at one origin of four: left out of the ranking, and said so
    assert unranked == {"A": ["mstl"]}
    counts = fair.groupby("model").size().to_dict()
    assert counts == {"count_glm": 6, "ets": 6}  # both on origins 2-4 only


def test_fan_chart_wording_for_monthly_data():
    from ui.forecasting import _change_text, backtest_description
    assert "1 month apart" in backtest_description("monthly")
    assert _change_text(109.8, 100.0, False, "month") == ", 9.8% more than a year earlier"
    assert _change_text(100.2, 100.0, True, "day") == ", about the same as a year earlier"
