"""Making Data Count XmR charts against hand-computed examples: limits, every rule, direction,
assurance, baselines, rebasing, screening, per-site grouping, icons and the chart spec."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from forecasting import spc
from forecasting.spc import SPCError, xmr
from forecasting.spc_charts import TARGET_COLOUR, VARIATION_LEGEND, spc_chart

# Ten baseline points alternating 11, 9: mean 10, every moving range 2, so the process limits are
# 10 +/- 2.66 x 2 = 4.68 and 15.32, and "close to a limit" means beyond 10 +/- 3.5467.
BASE = [11.0, 9.0] * 5
LOWER, UPPER = 10 - 2.66 * 2, 10 + 2.66 * 2
FLAGS = ["beyond_upper", "beyond_lower", "run_above", "run_below", "trend_up", "trend_down",
         "near_upper", "near_lower"]


def _series(values, start="2025-01-01", name="attendances"):
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="D"),
                     name=name, dtype=float)


def _with_base(tail, **kwargs):
    """The baseline points, then ``tail``; limits fixed on the first ten points."""
    series = _series(BASE + list(tail))
    return xmr(series, baseline=(series.index[0], series.index[9]), **kwargs)


def _flagged(result, flag):
    """Positions flagged by one rule."""
    return list(np.flatnonzero(result.points[flag].to_numpy()))


def _only(result, flag, positions):
    """``flag`` marks exactly ``positions`` and no other rule fires anywhere."""
    assert _flagged(result, flag) == positions
    for other in FLAGS:
        if other != flag:
            assert _flagged(result, other) == [], other


# --------------------------------------------------------------------------- limits
def test_limits_by_hand():
    # values 1, 3, 2, 4, 5: mean 3; moving ranges 2, 1, 2, 1 -> mean 1.5; limits 3 +/- 3.99
    result = xmr(_series([1, 3, 2, 4, 5]))
    points = result.points
    assert points["mean"].tolist() == pytest.approx([3.0] * 5)
    assert points["upper_limit"].iloc[0] == pytest.approx(3 + 2.66 * 1.5)
    assert points["lower_limit"].iloc[0] == pytest.approx(3 - 2.66 * 1.5)
    assert points["moving_range"].iloc[1:].tolist() == [2.0, 1.0, 2.0, 1.0]
    assert np.isnan(points["moving_range"].iloc[0])
    assert (points["variation"] == "common cause").all()


def test_baseline_points_give_the_limits():
    result = _with_base([10, 10])
    assert result.points["mean"].iloc[0] == pytest.approx(10)
    assert result.points["upper_limit"].iloc[-1] == pytest.approx(UPPER)
    assert result.points["lower_limit"].iloc[-1] == pytest.approx(LOWER)
    assert result.points["in_baseline"].tolist() == [True] * 10 + [False] * 2


# --------------------------------------------------------------------------- rule 1: beyond a limit
def test_point_beyond_upper_limit():
    _only(_with_base([16]), "beyond_upper", [10])


def test_point_beyond_lower_limit():
    _only(_with_base([4]), "beyond_lower", [10])


def test_point_on_a_limit_is_not_beyond_it():
    upper = 10.0 + spc.SIGMA_FACTOR * 2.0
    result = _with_base([upper])
    assert _flagged(result, "beyond_upper") == []


# --------------------------------------------------------------------------- rule 2: runs
def test_run_of_seven_above_flags_all_seven():
    # the baseline ends on 9 (below), so the run is exactly the seven new points
    result = _with_base([10.5, 11.5] * 3 + [10.5])
    _only(result, "run_above", list(range(10, 17)))


def test_run_of_seven_below_flags_all_seven():
    # a point on the mean (10) separates the run from the baseline's last point (9, below)
    result = _with_base([10] + [9.5, 8.5] * 3 + [9.5])
    _only(result, "run_below", list(range(11, 18)))


def test_run_of_six_is_not_flagged():
    result = _with_base([10.5, 11.5] * 3 + [9])
    assert _flagged(result, "run_above") == []
    assert (result.points["variation"] == "common cause").all()


def test_point_on_the_mean_breaks_a_run():
    result = _with_base([10.5, 11.5, 10.5, 10, 11.5, 10.5, 11.5, 10.5])
    assert _flagged(result, "run_above") == []


def test_longer_run_flags_every_point():
    result = _with_base([10.5, 11.5] * 5)
    assert _flagged(result, "run_above") == list(range(10, 20))


# --------------------------------------------------------------------------- rule 3: trends
def test_trend_of_seven_up_flags_all_seven():
    # crosses the mean, so no run; the baseline's last point (9) is above the first (7)
    _only(_with_base([7, 8, 9, 10.5, 11, 12, 13]), "trend_up", list(range(10, 17)))


def test_trend_of_seven_down_flags_all_seven():
    _only(_with_base([13, 12, 11, 10.5, 9, 8, 7]), "trend_down", list(range(10, 17)))


def test_trend_of_six_is_not_flagged():
    result = _with_base([7, 8, 9, 10.5, 11, 12, 11.5])
    assert _flagged(result, "trend_up") == [] and _flagged(result, "trend_down") == []


def test_equal_neighbours_break_a_trend():
    result = _with_base([7, 8, 9, 9, 10.5, 11, 12, 13])
    assert _flagged(result, "trend_up") == []


def test_rising_trend_below_the_mean_is_high_side():
    # a rising trend is an improvement when higher is better, even where it is below the mean
    result = _with_base([7, 8, 9, 10.5, 11, 12, 13], direction="higher")
    assert (result.points["variation"].iloc[10:] == spc.IMPROVEMENT).all()
    assert (result.points["side"].iloc[10:] == "high").all()


# --------------------------------------------------------------------------- rule 4: 2 of 3
def test_two_of_three_near_upper_limit_flags_the_two():
    # 14 is beyond 10 + 2/3 x 5.32 = 13.55 but inside 15.32; the 10 between them is not flagged
    _only(_with_base([14, 10, 14]), "near_upper", [10, 12])


def test_two_of_three_near_lower_limit_flags_the_two():
    _only(_with_base([6, 10, 6]), "near_lower", [10, 12])


def test_one_of_three_near_a_limit_is_not_flagged():
    result = _with_base([14, 10, 10, 14])
    assert _flagged(result, "near_upper") == []
    assert (result.points["variation"] == "common cause").all()


def test_two_near_limits_on_opposite_sides_are_not_flagged():
    result = _with_base([14, 6, 10])
    assert _flagged(result, "near_upper") == [] and _flagged(result, "near_lower") == []


def test_point_beyond_the_limit_counts_as_close():
    result = _with_base([16, 14])
    assert _flagged(result, "near_upper") == [10, 11]
    assert _flagged(result, "beyond_upper") == [10]


# --------------------------------------------------------------------------- direction
@pytest.mark.parametrize(("direction", "tail", "label", "icon"), [
    ("higher", [16], spc.IMPROVEMENT, "improvement_high"),
    ("higher", [4], spc.CONCERN, "concern_low"),
    ("lower", [16], spc.CONCERN, "concern_high"),
    ("lower", [4], spc.IMPROVEMENT, "improvement_low"),
    ("neutral", [16], spc.NEITHER, "neither_high"),
    ("neutral", [4], spc.NEITHER, "neither_low"),
])
def test_direction_colours_special_causes(direction, tail, label, icon):
    result = _with_base(tail, direction=direction)
    last = result.points.iloc[-1]
    assert (last["variation"], last["variation_icon"]) == (label, icon)
    assert result.summary["variation_icon"].iloc[0] == icon
    assert (result.points["variation"].iloc[:10] == spc.COMMON).all()


def test_common_cause_icon_when_latest_point_is_ordinary():
    result = _with_base([16, 10])
    assert result.summary["variation_icon"].iloc[0] == "common_cause"


def test_unknown_direction_is_rejected():
    with pytest.raises(SPCError, match="direction"):
        xmr(_series(BASE), direction="up")


# --------------------------------------------------------------------------- assurance
@pytest.mark.parametrize(("direction", "target", "expected"), [
    ("higher", 4, "pass"), ("higher", LOWER, "pass"), ("higher", 16, "fail"),
    ("higher", 10, "inconsistent"), ("higher", None, "none"),
    ("lower", 16, "pass"), ("lower", 4, "fail"), ("lower", 10, "inconsistent"),
    ("lower", None, "none"), ("neutral", 10, "none"),
])
def test_assurance(direction, target, expected):
    result = xmr(_series(BASE), direction=direction, target=target)
    assert result.summary["assurance"].iloc[0] == expected


def test_assurance_uses_the_latest_period_limits():
    # after the rebase the process runs at 20 +/- 5.32, so a target of 12 is always met
    series = _series(BASE + [21.0, 19.0] * 5)
    result = xmr(series, rebase_at=[series.index[10]], direction="higher", target=12)
    assert result.summary["assurance"].iloc[0] == "pass"
    assert xmr(series, direction="higher", target=12).summary["assurance"].iloc[0] != "pass"


# --------------------------------------------------------------------------- baseline and rebase
def test_baseline_fixes_limits_so_a_later_shift_shows():
    series = _series(BASE + [14.0] * 3)
    fixed = xmr(series, baseline=(series.index[0], series.index[9]))
    assert _flagged(fixed, "near_upper") == [10, 11, 12]
    everything = xmr(series)
    assert everything.points["mean"].iloc[0] == pytest.approx((100 + 42) / 13)


def test_baseline_open_ended():
    series = _series([50.0] + BASE)
    result = xmr(series, baseline=(series.index[1], None))
    assert result.points["mean"].iloc[0] == pytest.approx(10)
    # the moving range from 50 to 11 is outside the baseline, so it does not widen the limits
    assert result.points["upper_limit"].iloc[0] == pytest.approx(UPPER)


def test_reversed_baseline_is_rejected():
    with pytest.raises(SPCError, match="after it ends"):
        xmr(_series(BASE), baseline=("2025-02-01", "2025-01-01"))


def test_rebase_gives_each_period_its_own_limits():
    series = _series(BASE + [21.0, 19.0] * 5)
    result = xmr(series, rebase_at=[series.index[10]])
    points = result.points
    assert points["period"].tolist() == [0] * 10 + [1] * 10
    assert points["mean"].iloc[:10].tolist() == pytest.approx([10] * 10)
    assert points["mean"].iloc[10:].tolist() == pytest.approx([20] * 10)
    assert points["upper_limit"].iloc[-1] == pytest.approx(20 + 5.32)
    # no moving range across the rebase date
    assert np.isnan(points["moving_range"].iloc[10])
    assert (points["variation"] == spc.COMMON).all()
    # without the rebase, the step is special cause: ten points below, ten above the mean of 15
    unrebased = xmr(series)
    assert _flagged(unrebased, "run_below") == list(range(10))
    assert _flagged(unrebased, "run_above") == list(range(10, 20))


def test_single_rebase_date_as_text():
    series = _series(BASE + [21.0, 19.0] * 5)
    result = xmr(series, rebase_at="2025-01-11")
    assert result.points["period"].tolist() == [0] * 10 + [1] * 10


def test_rebase_date_between_points_and_runs_do_not_cross_it():
    # period 0 (mean 10.67) ends with 4 points above its mean; period 1 (mean 20) starts with 3
    # above its own: 7 in a row only if a run could cross the rebase date
    series = _series([9, 11, 9, 11, 9, 11, 12, 12, 12] + [22, 22, 22, 18, 18, 18, 20])
    result = xmr(series, rebase_at=[series.index[9] - pd.Timedelta(hours=12)])
    assert result.points["period"].tolist() == [0] * 9 + [1] * 7
    assert result.points["mean"].iloc[-1] == pytest.approx(20)
    assert (result.points["value"] > result.points["mean"]).iloc[5:12].all()
    assert _flagged(result, "run_above") == []


def test_baseline_applies_within_each_period_and_new_period_uses_its_points():
    series = _series([50.0] + BASE + [21.0, 19.0] * 5)
    result = xmr(series, baseline=(series.index[1], series.index[10]),
                 rebase_at=[series.index[11]])
    assert result.points["mean"].iloc[0] == pytest.approx(10)
    assert result.points["mean"].iloc[-1] == pytest.approx(20)
    assert result.points["in_baseline"].iloc[11:].all()


# --------------------------------------------------------------------------- outlier screening
def test_screening_drops_large_moving_ranges_once():
    values = [10, 12, 10, 12, 10, 12, 10, 12, 10, 40, 10, 22]
    # moving ranges: eight 2s, 30, 30, 12 -> mean 8; 3.267 x 8 = 26.1 screens the two 30s;
    # recomputed once: (16 + 12) / 9, and the 12 stays although it now exceeds 3.267 x 3.11
    result = xmr(_series(values), screen_outliers=True)
    mean = sum(values) / 12
    assert result.points["upper_limit"].iloc[0] == pytest.approx(mean + 2.66 * 28 / 9)
    assert _flagged(result, "mr_screened") == [9, 10]
    plain = xmr(_series(values))
    assert plain.points["upper_limit"].iloc[0] == pytest.approx(mean + 2.66 * 8)
    assert not plain.points["mr_screened"].any()


# --------------------------------------------------------------------------- inputs and grouping
def _activity():
    dates = pd.date_range("2025-01-01", periods=12, freq="D")
    rows = [pd.DataFrame({"site": "Alexandra", "metric": "attendances", "date": dates,
                          "value": BASE + [10, 16]}),
            pd.DataFrame({"site": "Worcestershire Royal", "metric": "attendances", "date": dates,
                          "value": [v * 10 for v in BASE] + [100, 40]}),
            pd.DataFrame({"site": "Alexandra", "metric": "breaches_4h", "date": dates,
                          "value": BASE + [10, 4]})]
    return pd.concat(rows, ignore_index=True)


def test_per_site_and_metric_groups():
    result = xmr(_activity(), baseline=("2025-01-01", "2025-01-10"),
                 direction={"attendances": "neutral", "breaches_4h": "lower"},
                 target={("Alexandra", "breaches_4h"): 20})
    summary = result.summary.set_index(["site", "metric"])
    assert len(summary) == 3
    assert summary.loc[("Alexandra", "attendances"), "variation_icon"] == "neither_high"
    assert summary.loc[("Worcestershire Royal", "attendances"), "upper_limit"] == pytest.approx(
        100 + 2.66 * 20)
    assert summary.loc[("Worcestershire Royal", "attendances"), "variation_icon"] == "neither_low"
    assert summary.loc[("Alexandra", "breaches_4h"), "variation_icon"] == "improvement_low"
    assert summary.loc[("Alexandra", "breaches_4h"), "assurance"] == "pass"
    assert summary.loc[("Alexandra", "attendances"), "assurance"] == "none"
    assert len(result.points) == 36


def test_frame_without_site_and_missing_values():
    frame = pd.DataFrame({"date": pd.date_range("2025-01-01", periods=6), "value":
                          [1, 3, np.nan, 2, 4, 5]})
    result = xmr(frame)
    assert len(result.points) == 5 and result.summary["site"].iloc[0] == ""
    assert result.points["mean"].iloc[0] == pytest.approx(3)


@pytest.mark.parametrize(("data", "message"), [
    (pd.DataFrame({"day": [1], "value": [1]}), "missing"),
    (pd.Series([1.0, 2.0]), "dates as its index"),
    (pd.DataFrame({"date": ["2025-01-01", "2025-01-01"], "value": [1, 2]}), "More than one value"),
    ("not data", "pandas Series"),
])
def test_bad_input_says_what_to_fix(data, message):
    with pytest.raises(SPCError, match=message):
        xmr(data)


def test_single_point_has_no_limits():
    result = xmr(_series([5.0]))
    assert np.isnan(result.points["upper_limit"].iloc[0])
    assert result.summary["variation_icon"].iloc[0] == "common_cause"
    assert xmr(_series([5.0]), target=3).summary["assurance"].iloc[0] == "none"


def test_summary_table_in_plain_words():
    result = _with_base([16], direction="higher", target=4)
    table = spc.summary_table(result, icons=True)
    row = table.iloc[0]
    assert row["Measure"] == "A&E attendances"
    assert row["Variation"].startswith("Special cause improvement")
    assert row["Assurance"].startswith("Consistently passes")
    assert row["Upper process limit"] == pytest.approx(round(UPPER, 1))
    assert row["variation_icon"] == "improvement_high" and row["assurance_icon"] == "pass"
    assert row["variation_icon_uri"].startswith("data:image/svg+xml;base64,")


# --------------------------------------------------------------------------- icons
@pytest.mark.parametrize("key", list(spc.VARIATION_ICONS))
def test_variation_icons_are_valid_svg(key):
    svg = spc.variation_icon_svg(key)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg") and root.get("width") == "40"
    text = svg.upper()
    colour = {"common": "#768692", "improvement": "#005EB8", "concern": "#ED8B00",
              "neither": "#330072"}[key.split("_")[0]]
    assert colour in text
    assert root.find("{http://www.w3.org/2000/svg}title").text == spc.VARIATION_ICONS[key]
    # the letter (H or L) is drawn, not left to colour
    paths = [p.get("d") for p in root.iter("{http://www.w3.org/2000/svg}path")]
    if key.endswith("_high"):
        assert spc._LETTERS["H"] in paths
    elif key.endswith("_low"):
        assert spc._LETTERS["L"] in paths


@pytest.mark.parametrize(("key", "letter", "colour"), [
    ("pass", "P", "#005EB8"), ("fail", "F", "#ED8B00"), ("inconsistent", "?", "#768692"),
    ("none", None, "#768692")])
def test_assurance_icons_are_valid_svg(key, letter, colour):
    svg = spc.assurance_icon_svg(key, size=24)
    root = ET.fromstring(svg)
    assert root.get("width") == "24" and colour in svg
    paths = [p.get("d") for p in root.iter("{http://www.w3.org/2000/svg}path")]
    assert paths == ([spc._LETTERS[letter]] if letter else [])


def test_unknown_icon_is_rejected():
    with pytest.raises(SPCError):
        spc.variation_icon_svg("improvement")
    with pytest.raises(SPCError):
        spc.assurance_icon_svg("maybe")


def test_icon_colours_are_not_red_and_green():
    colours = {*spc.VARIATION_COLOURS.values(), *spc.ASSURANCE_COLOURS.values()}
    assert colours == {"#768692", "#005EB8", "#ED8B00", "#330072"}


# --------------------------------------------------------------------------- chart
def _marks(layers):
    return [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
            for layer in layers]


def _dataset(spec):
    (rows,) = spec["datasets"].values()
    return pd.DataFrame(rows)


def test_chart_one_series_layers_colours_and_title():
    result = _with_base([16], direction="higher", target=4)
    spec = spc_chart(result, title="Attendances unusually high on 11 January",
                     subtitle="Daily, 1-11 January 2025").to_dict()
    assert spec["title"] == {"text": "Attendances unusually high on 11 January",
                             "subtitle": "Daily, 1-11 January 2025"}
    layers = spec["layer"]
    assert _marks(layers) == ["line"] * 5 + ["text", "circle", "image", "image"]
    fields = [layer["encoding"]["y"]["field"] for layer in layers[:5]]
    assert fields == ["value", "mean", "upper_limit", "lower_limit", "target"]
    assert layers[2]["mark"]["strokeDash"] == [6, 4] and layers[3]["mark"]["strokeDash"] == [6, 4]
    assert "strokeDash" not in layers[1]["mark"]
    assert layers[4]["mark"]["color"] == TARGET_COLOUR
    colour = layers[6]["encoding"]["color"]
    assert colour["scale"] == {"domain": list(VARIATION_LEGEND.values()),
                               "range": ["#768692", "#005EB8", "#ED8B00", "#330072"]}
    data = _dataset(spec)
    assert data["variation"].iloc[-1] == "Special cause improvement"
    latest = data[data["is_latest"]]
    assert len(latest) == 1 and latest["assurance_icon_uri"].iloc[0].startswith("data:image/svg")
    assert data["variation_icon_uri"].isna().sum() == len(data) - 1
    assert {"y": layers[0]["encoding"]["y"]["title"]} == {"y": "A&E attendances"}


def test_chart_without_target_has_no_target_line_or_assurance_icon():
    spec = spc_chart(_with_base([16]), title="t").to_dict()
    fields = [layer["encoding"]["y"]["field"] for layer in spec["layer"]
              if "y" in layer["encoding"] and layer["encoding"]["y"].get("field")]
    assert "target" not in fields
    assert _dataset(spec)["assurance_icon_uri"].isna().all()


def test_chart_small_multiples_by_site_with_footnote():
    result = xmr(_activity(), direction="higher")
    chart = spc_chart(result, metric="attendances", title="Both sites stable",
                      footnote=["Source: sample", "Data to 12 Jan 2025"], columns=1)
    spec = chart.to_dict()
    assert spec["title"]["text"] == ["Source: sample", "Data to 12 Jan 2025"]
    assert spec["title"]["orient"] == "bottom"
    (inner,) = spec["vconcat"]
    assert inner["facet"]["field"] == "site" and inner["columns"] == 1
    assert inner["facet"]["sort"] == ["Alexandra", "Worcestershire Royal"]
    assert inner["resolve"]["scale"]["y"] == "independent"
    assert inner["title"]["text"] == "Both sites stable"
    assert "circle" in _marks(inner["spec"]["layer"])


def test_chart_needs_a_metric_when_several():
    with pytest.raises(SPCError, match="metric="):
        spc_chart(xmr(_activity()), title="t")


def test_chart_from_points_frame_and_site_subset():
    result = xmr(_activity())
    spec = spc_chart(result.points, metric="breaches_4h", sites=["Alexandra"], title="t",
                     icons=False).to_dict()
    assert "layer" in spec and "image" not in _marks(spec["layer"])
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Patients over 4 hours"


def test_chart_labels_of_close_lines_are_moved_apart_and_keep_their_values():
    # a target just above the mean: the two labels would print on top of each other
    result = _with_base([16], direction="higher", target=None)
    mean = float(result.points["mean"].iloc[-1])
    result = _with_base([16], direction="higher", target=round(mean + 0.05, 2))
    data = _dataset(spc_chart(result, title="t").to_dict())
    latest = data[data["is_latest"]].iloc[0]
    span = np.nanmax(data[["value", "mean", "upper_limit", "lower_limit", "target"]].to_numpy(float)) - \
        np.nanmin(data[["value", "mean", "upper_limit", "lower_limit", "target"]].to_numpy(float))
    ys = sorted(latest[f"label_y__{k}"] for k in ("mean", "target", "upper_limit", "lower_limit"))
    assert min(np.diff(ys)) >= 0.075 * span - 1e-9
    assert latest["label_y__target"] > latest["label_y__mean"]  # order kept
    assert latest["label_text__mean"] == f"Mean {mean:,.1f}"
    assert latest["label_text__target"] == f"Target {mean + 0.05:,.1f}"
    # only the latest point carries labels
    assert data.loc[~data["is_latest"], "label_text__mean"].isna().all()
