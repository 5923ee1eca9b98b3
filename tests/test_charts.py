"""Chart builders, checked on chart.to_dict(): layers, encodings, titles and colours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import charts
from forecasting.charts import BAND_COLOURS, NHS_COLOURS

QUANTILES = {"p2.5": -30, "p5": -25, "p10": -20, "p25": -10, "p50": 0, "p75": 10, "p90": 20,
             "p95": 25, "p97.5": 30}


def _forecast(days=28, start="2025-11-01"):
    dates = pd.date_range(start, periods=days, freq="D")
    fc = pd.DataFrame({"site": "Alexandra", "metric": "attendances", "date": dates,
                       "model": "count_glm", "mean": 150.0})
    for col, offset in QUANTILES.items():
        fc[col] = 150.0 + offset
    return fc


def _history(days=60, end="2025-10-31"):
    return pd.DataFrame({"date": pd.date_range(end=end, periods=days, freq="D"), "value": 148.0})


def _layers(spec):
    return spec["layer"]


def _mark(layer):
    return layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]


@pytest.fixture
def fan():
    holidays = pd.DataFrame({"date": pd.to_datetime(["2025-12-25", "2025-12-26"]),
                             "name": ["Christmas Day", "Boxing Day"]})
    excluded = pd.DataFrame({"start": pd.to_datetime(["2025-09-01"]),
                             "end": pd.to_datetime(["2025-09-30"]), "label": ["Left out of fitting"]})
    return charts.fan_chart(_history(), _forecast(60), metric="attendances",
                            title="Alexandra: 9,000 A&E attendances expected",
                            subtitle=["Daily forecast", "Source: sample"],
                            holidays=holidays, excluded=excluded).to_dict()


def test_fan_chart_has_three_bands_mean_and_history(fan):
    marks = [_mark(layer) for layer in _layers(fan)]
    assert marks.count("area") == 3 and marks.count("line") == 2
    bands = [layer for layer in _layers(fan) if _mark(layer) == "area"]
    # widest band first (drawn underneath), narrowest on top
    # no dots in field names: Vega-Lite would read 'p2.5' as field '5' of 'p2'
    assert [(b["encoding"]["y"]["field"], b["encoding"]["y2"]["field"]) for b in bands] == [
        ("p2_5", "p97_5"), ("p10", "p90"), ("p25", "p75")]
    lines = [layer for layer in _layers(fan) if _mark(layer) == "line"]
    assert {layer["encoding"]["y"]["field"] for layer in lines} == {"value", "mean"}


def test_fan_chart_title_subtitle_and_one_legend_in_graded_blues(fan):
    assert fan["title"]["text"] == "Alexandra: 9,000 A&E attendances expected"
    assert fan["title"]["subtitle"] == ["Daily forecast", "Source: sample"]
    colour = next(layer["encoding"]["color"] for layer in _layers(fan) if _mark(layer) == "area")
    scale = colour["scale"]
    assert scale["domain"] == ["Actual", "Forecast (mean)", "95% range", "80% range", "50% range"]
    assert scale["range"][2:] == [BAND_COLOURS[k] for k in scale["domain"][2:]]
    assert scale["range"][:2] == [NHS_COLOURS["black"], NHS_COLOURS["dark_blue"]]
    assert fan["config"]["font"].startswith("Arial")


def test_fan_chart_marks_bank_holidays_and_shades_excluded_periods(fan):
    rules = [layer for layer in _layers(fan) if _mark(layer) == "rule"]
    assert len(rules) == 1 and rules[0]["encoding"]["x"]["field"] == "date"
    assert rules[0]["mark"]["strokeDash"] == [4, 3]
    data = fan["datasets"][rules[0]["data"]["name"]]
    assert [d["name"] for d in data] == ["Christmas Day", "Boxing Day"]
    rects = [layer for layer in _layers(fan) if _mark(layer) == "rect"]
    assert len(rects) == 1 and rects[0]["encoding"]["x2"]["field"] == "end"
    assert rects[0]["mark"]["color"] == NHS_COLOURS["pale_grey"]
    texts = [layer for layer in _layers(fan) if _mark(layer) == "text"]
    assert texts and texts[0]["encoding"]["text"]["field"] == "label"


def test_fan_chart_without_holidays_or_exclusions_has_neither():
    spec = charts.fan_chart(_history(), _forecast(), metric="attendances", title="t").to_dict()
    marks = [_mark(layer) for layer in _layers(spec)]
    assert "rule" not in marks and "rect" not in marks and "text" not in marks
    assert "subtitle" not in spec["title"]


def test_fan_chart_leaves_out_ranges_the_forecast_lacks():
    fc = _forecast().drop(columns=["p25", "p75"])
    spec = charts.fan_chart(_history(), fc, metric="attendances", title="t").to_dict()
    assert [_mark(layer) for layer in _layers(spec)].count("area") == 2


@pytest.fixture
def found():
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    ref = pd.date_range("2025-01-01", "2025-12-31", freq="D")
    return {
        "weekly": pd.DataFrame({"day": days, "effect_pct": [12, 3, 1, -2, 0, -7, -7.0]}),
        "annual": pd.DataFrame({"date": ref, "effect_pct": 5 * np.sin(2 * np.pi * ref.day_of_year / 365)}),
        "holidays": pd.DataFrame({"holiday": ["Bank holiday", "Boxing Day"], "effect_pct": [-10, 18.0]}),
    }


def test_pattern_charts(found):
    weekly = charts.weekly_pattern_chart(found["weekly"], title="Mondays are busiest").to_dict()
    bars = weekly["layer"][0]
    assert _mark(bars) == "bar" and bars["encoding"]["x"]["sort"][0] == "Monday"
    assert bars["encoding"]["color"]["scale"]["range"] == [NHS_COLOURS["blue"], NHS_COLOURS["mid_grey"]]
    assert weekly["title"]["text"] == "Mondays are busiest"
    annual = charts.annual_pattern_chart(found["annual"]).to_dict()
    assert _mark(annual["layer"][0]) == "line" and annual["layer"][0]["encoding"]["x"]["axis"]["format"] == "%b"
    hol = charts.holiday_effects_chart(found["holidays"]).to_dict()
    assert _mark(hol["layer"][0]) == "bar" and hol["layer"][0]["encoding"]["y"]["field"] == "holiday"
    both = charts.components_chart(found, title="What the model found").to_dict()
    assert len(both["hconcat"]) == 3 and both["title"]["text"] == "What the model found"
    assert charts.components_chart({}) is None
    assert len(charts.components_chart({"annual": found["annual"]}).to_dict()["hconcat"]) == 1


def _backtest():
    rows = []
    for cutoff in pd.to_datetime(["2025-08-31", "2025-09-28"]):
        fc = _forecast(28, start=cutoff + pd.Timedelta(days=1))
        rows.append(fc.assign(cutoff=cutoff, h=np.arange(1, 29), actual=152.0, scale=10.0,
                              model_used="count_glm"))
    return pd.concat(rows, ignore_index=True)


def test_backtest_chart_draws_each_origin_and_the_actuals():
    spec = charts.backtest_chart(_backtest(), metric="attendances", title="Held 81%",
                                 subtitle="2 forecasts").to_dict()
    layers = spec["layer"]
    assert [_mark(layer) for layer in layers] == ["area", "line", "line"]
    assert layers[0]["encoding"]["detail"]["field"] == "cutoff"
    assert layers[1]["encoding"]["detail"]["field"] == "cutoff"
    assert layers[2]["encoding"]["y"]["field"] == "actual"
    assert spec["title"]["text"] == "Held 81%"


def test_coverage_chart_shows_both_ranges_against_their_targets():
    metrics = pd.DataFrame({"site": "Alexandra", "metric": "attendances",
                            "model": ["count_glm", "seasonal_naive"],
                            "coverage_80": [0.81, 0.9], "coverage_95": [0.96, 0.99]})
    spec = charts.coverage_chart(metrics, title="80% range held 81%",
                                 model_labels={"count_glm": "Count regression"}).to_dict()
    rules, notes, points = spec["layer"]
    assert _mark(rules) == "rule" and _mark(points) == "point"
    targets = spec["datasets"][rules["data"]["name"]]
    assert [t["nominal"] for t in targets] == [80.0, 95.0]
    data = spec["datasets"][points["data"]["name"]]
    assert {d["model"] for d in data} == {"Count regression", "seasonal_naive"}
    assert sorted(d["coverage"] for d in data) == pytest.approx([81, 90, 96, 99])
    # colour and shape both tell the ranges apart; blue and orange, never red and green
    assert points["encoding"]["shape"]["field"] == "range"
    assert points["encoding"]["color"]["scale"]["range"] == [NHS_COLOURS["blue"], NHS_COLOURS["orange"]]


# --------------------------------------------------------------------------- capacity charts
def _occupancy(days=20):
    dates = pd.date_range("2025-11-01", periods=days)
    mean = np.linspace(480, 520, days)
    frame = pd.DataFrame({"date": dates, "mean": mean, "core_beds": 516, "escalation_beds": 34})
    for q, z in (("p2.5", -1.96), ("p10", -1.28), ("p25", -0.67), ("p75", 0.67), ("p90", 1.28), ("p97.5", 1.96)):
        frame[q] = mean + z * 15
    return frame


def test_occupancy_chart_draws_bands_mean_and_three_bed_lines():
    hist = pd.DataFrame({"date": pd.date_range("2025-10-01", periods=31), "value": 470.0})
    spec = charts.occupancy_chart(_occupancy(), history=hist, title="Beds", subtitle="sub",
                                  target=0.9).to_dict()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]]
    assert marks.count("area") == 3 and marks.count("line") == 3
    lines = next(layer for layer in spec["layer"] if "strokeDash" in layer["encoding"])
    assert lines["encoding"]["strokeDash"]["scale"]["domain"] == ["Core beds", "Core + escalation beds",
                                                                   "90% of core beds"]
    # each bed line has its own dash, so it reads without colour
    dashes = lines["encoding"]["strokeDash"]["scale"]["range"]
    assert len({tuple(d) for d in dashes}) == 3
    data = spec["datasets"][lines["data"]["name"]]
    ceiling = {round(r["beds"], 1) for r in data if r["line"] == "90% of core beds"}
    assert ceiling == {464.4}
    assert spec["title"]["text"] == "Beds"


def test_staffing_heatmap_prints_each_gap_and_centres_colour_on_zero():
    heat = pd.DataFrame([{"role": "nurses", "weekday": d, "hour": h, "required": 3.0, "rostered": 2.0,
                          "gap": 1.0 if h < 12 else -2.0}
                         for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
                         for h in range(24)])
    spec = charts.staffing_heatmap_chart(heat, title="Gaps").to_dict()
    rect, text = spec["layer"]
    scale = rect["encoding"]["color"]["scale"]
    assert scale["domain"] == [-2.0, 0, 2.0] and scale["range"][1] == "#FFFFFF"
    assert text["encoding"]["text"]["field"] == "label"
    labels = {r["label"] for r in spec["datasets"][spec["data"]["name"]]}
    assert labels == {"+1", "-2"}
    assert rect["encoding"]["y"]["sort"][0] == "Monday"


def test_scenario_chart_keeps_baseline_first_and_solid():
    frame = pd.concat([pd.DataFrame({"scenario": n, "date": pd.date_range("2025-11-01", periods=5), "mean": m})
                       for n, m in (("Baseline", 800.0), ("SDEC", 760.0))])
    spec = charts.scenario_occupancy_chart(frame, title="t").to_dict()
    enc = spec["encoding"]
    assert enc["color"]["scale"]["domain"] == ["Baseline", "SDEC"]
    assert enc["strokeDash"]["scale"]["range"][0] == [1, 0]
