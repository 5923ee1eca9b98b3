"""Scenarios: validation, exact JSON round trip, files, and how they change demand, beds, rota and stay."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.scenarios import (
    BASELINE, BedChange, RotaChange, Scenario, ScenarioError, adjust_mean_stay, apply_to_bed_base,
    apply_to_demand, apply_to_rota, describe, load_scenario, save_scenario, stay_factor,
)

WINTER = Scenario(
    name="Winter plan", demand_growth_pct=3.5, admissions_avoided_pct=10, los_change_days=-0.5,
    los_change_pct=-2.5, target_occupancy=0.9,
    bed_changes=(BedChange(site="Alexandra", start="2025-12-01", end="2026-03-31", beds=24),
                 BedChange(site="Worcestershire Royal", start=dt.date(2026, 1, 5), end="2026-01-18", beds=-12)),
    rota_changes=(RotaChange(site="Alexandra", weekday="Monday", hour_from=8, hour_to=17, role="clinicians", change=1),
                  RotaChange(site="Worcestershire Royal", weekday="All", hour_from=20, hour_to=23, role="nurses",
                             change=2)),
)
SCENARIOS = [BASELINE, WINTER, Scenario(name="Growth 0.1", demand_growth_pct=0.1, target_occupancy=0.85),
             Scenario(name="Thirds", demand_growth_pct=1 / 3, los_change_pct=-100 / 7)]


def _forecast() -> pd.DataFrame:
    rows = []
    for metric, level in (("attendances", 240.0), ("admissions", 80.0), ("breaches_4h", 60.0)):
        for day in pd.date_range("2025-11-03", periods=3):
            rows.append({"site": "Alexandra", "metric": metric, "date": day, "model": "test", "mean": level,
                         "p10": level * 0.9, "p50": level, "p90": level * 1.1, "p97.5": level * 1.2})
    return pd.DataFrame(rows)


def _rota() -> pd.DataFrame:
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    return pd.DataFrame([(s, d, h, 3, 4) for s in ("Alexandra", "Worcestershire Royal") for d in days
                         for h in range(24)], columns=["site", "weekday", "hour", "clinicians", "nurses"])


# ---------------------------------------------------------------- JSON and files
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_json_round_trips_exactly(scenario):
    back = Scenario.from_json(scenario.to_json())
    assert back == scenario
    assert hash(back) == hash(scenario)
    assert back.to_json() == scenario.to_json()


_names = st.text(min_size=1, max_size=20).filter(lambda s: s.strip() == s and s)
_bed = st.builds(BedChange, site=_names, start=st.dates(dt.date(2020, 1, 1), dt.date(2026, 1, 1)),
                 end=st.just(dt.date(2026, 6, 30)),
                 beds=st.integers(-500, 500).filter(bool))
_rota_change = st.builds(
    RotaChange, site=_names,
    weekday=st.sampled_from(["Monday", "Sunday", "All"]), hour_from=st.integers(0, 11),
    hour_to=st.integers(12, 23), role=st.sampled_from(["clinicians", "nurses"]),
    change=st.integers(-5, 5).filter(bool))


@settings(max_examples=60, deadline=None)
@given(name=_names, growth=st.floats(-50, 100), avoided=st.floats(0, 100), days=st.floats(-30, 30),
       pct=st.floats(-90, 200), occupancy=st.floats(0.5, 1.0),
       beds=st.lists(_bed, max_size=3), rota=st.lists(_rota_change, max_size=3))
def test_json_round_trips_exactly_for_any_valid_scenario(name, growth, avoided, days, pct, occupancy, beds, rota):
    s = Scenario(name=name, demand_growth_pct=growth, admissions_avoided_pct=avoided, los_change_days=days,
                 los_change_pct=pct, target_occupancy=occupancy, bed_changes=beds, rota_changes=rota)
    assert Scenario.from_json(s.to_json()) == s


def test_save_and_load(tmp_path):
    path = save_scenario(WINTER, tmp_path / "winter.json")
    assert load_scenario(path) == WINTER


@pytest.mark.parametrize("text, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "This is not a scenario file"),
    ('{"format": "uec-scenario", "version": 1, "demand_growth_pct": 3}', "has no name"),
    ('{"name": "x", "growth": 3}', "unknown field\\(s\\) growth"),
    ('{"name": "x", "version": 7}', "version 7"),
    ('{"name": "x", "demand_growth_pct": 300}', "demand_growth_pct must be a number from -50 to 100 %"),
    ('{"name": "x", "bed_changes": [{"site": "A", "start": "2025-01-01"}]}', "incomplete"),
])
def test_bad_files_are_named_and_explained(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=message) as info:
        load_scenario(path)
    assert "bad.json" in str(info.value)


def test_missing_file():
    with pytest.raises(ScenarioError, match="Scenario file not found"):
        load_scenario("/nonexistent/scenario.json")


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize("kwargs, message", [
    (dict(name=""), "needs a name"),
    (dict(name="   "), "needs a name"),
    (dict(name="x", demand_growth_pct=-60), "demand_growth_pct must be a number from -50 to 100 %"),
    (dict(name="x", demand_growth_pct=float("nan")), "demand_growth_pct"),
    (dict(name="x", admissions_avoided_pct=101), "admissions_avoided_pct must be a number from 0 to 100 %"),
    (dict(name="x", target_occupancy=92), "target_occupancy must be a number from 0.5 to 1"),
    (dict(name="x", los_change_pct=-95), "los_change_pct"),
    (dict(name="x", bed_changes="ward 5"), "bed_changes must be a list of BedChange"),
    (dict(name="x", rota_changes=(1,)), "rota_changes must hold RotaChange"),
])
def test_invalid_scenarios_raise_clear_messages(kwargs, message):
    with pytest.raises(ScenarioError, match=message):
        Scenario(**kwargs)


@pytest.mark.parametrize("make, message", [
    (lambda: BedChange(site="A", start="2025-02-01", end="2025-01-01", beds=5), "ends .* before it starts"),
    (lambda: BedChange(site="A", start="2025-01-01", end="2025-02-01", beds=0), "between 1 and 2,000 beds"),
    (lambda: BedChange(site="", start="2025-01-01", end="2025-02-01", beds=3), "needs a site name"),
    (lambda: BedChange(site="A", start="soon", end="2025-02-01", beds=3), "must be a date"),
    (lambda: RotaChange(site="A", weekday="Funday", hour_from=1, hour_to=2, role="nurses", change=1), "Monday to Sunday"),
    (lambda: RotaChange(site="A", weekday="Monday", hour_from=1, hour_to=24, role="nurses", change=1), "0 to 23"),
    (lambda: RotaChange(site="A", weekday="Monday", hour_from=22, hour_to=6, role="nurses", change=1), "two changes"),
    (lambda: RotaChange(site="A", weekday="Monday", hour_from=1, hour_to=2, role="porters", change=1), "role must be"),
])
def test_invalid_changes_raise_clear_messages(make, message):
    with pytest.raises(ScenarioError, match=message):
        make()


def test_scenario_is_frozen_keyword_only_and_derivable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        WINTER.name = "other"
    with pytest.raises(TypeError):
        Scenario("positional")
    derived = dataclasses.replace(WINTER, demand_growth_pct=5)
    assert derived.demand_growth_pct == 5.0 and derived.bed_changes == WINTER.bed_changes
    assert isinstance(Scenario(name="x", bed_changes=[WINTER.bed_changes[0]]).bed_changes, tuple)


# ---------------------------------------------------------------- applying
def test_growth_of_ten_percent_raises_means_and_quantiles_by_ten_percent():
    fc = _forecast()
    out = apply_to_demand(fc, Scenario(name="Growth", demand_growth_pct=10))
    grown = fc["metric"].isin(["attendances", "admissions"])
    for col in ("mean", "p10", "p50", "p90", "p97.5"):
        np.testing.assert_allclose(out.loc[grown, col], fc.loc[grown, col] * 1.1, rtol=1e-12)
        np.testing.assert_allclose(out.loc[~grown, col], fc.loc[~grown, col])  # breaches are an outcome
    assert (out["scenario"] == "Growth").all()
    pd.testing.assert_frame_equal(apply_to_demand(fc, BASELINE).drop(columns="scenario"), fc,
                                  check_dtype=False)


def test_avoided_admissions_reduce_admissions_only():
    fc = _forecast()
    out = apply_to_demand(fc, Scenario(name="SDEC", admissions_avoided_pct=10))
    adm = fc["metric"] == "admissions"
    np.testing.assert_allclose(out.loc[adm, "mean"], 72.0)
    np.testing.assert_allclose(out.loc[~adm, "mean"], fc.loc[~adm, "mean"])
    both = apply_to_demand(fc, Scenario(name="Both", demand_growth_pct=10, admissions_avoided_pct=10))
    np.testing.assert_allclose(both.loc[adm, "mean"], 80 * 1.1 * 0.9)


def test_bed_changes_by_site_and_date(root):
    bed_base = pd.read_csv(root / "sample_data" / "bed_base.csv")
    out = apply_to_bed_base(bed_base, WINTER, start="2025-11-30", end="2026-01-31")
    base = apply_to_bed_base(bed_base, BASELINE, start="2025-11-30", end="2026-01-31")
    alex = out["site"] == "Alexandra"
    diff = (out["core_beds"] - base["core_beds"])
    assert (diff[alex & (out["date"] == "2025-11-30")] == 0).all()
    assert (diff[alex & (out["date"] >= "2025-12-01")] == 24).all()
    wrh = out["site"] == "Worcestershire Royal"
    closed = wrh & out["date"].between("2026-01-05", "2026-01-18")
    assert (diff[closed] == -12).all() and (diff[wrh & ~closed] == 0).all()
    assert (out["escalation_beds"] == base["escalation_beds"]).all()
    assert (out["bed_change"] == diff).all()


def test_bed_changes_that_cannot_apply(root):
    bed_base = pd.read_csv(root / "sample_data" / "bed_base.csv")
    elsewhere = Scenario(name="x", bed_changes=(BedChange(site="Elsewhere", start="2025-01-01", end="2025-01-02",
                                                          beds=5),))
    with pytest.raises(ScenarioError, match="Elsewhere, which is not one of the sites forecast with a bed base"):
        apply_to_bed_base(bed_base, elsewhere)
    too_many = Scenario(name="x", bed_changes=(BedChange(site="Alexandra", start="2025-01-01", end="2025-01-02",
                                                         beds=-1999),))
    with pytest.raises(ScenarioError, match="closes more beds than Alexandra has"):
        apply_to_bed_base(bed_base, too_many, start="2025-01-01", end="2025-01-05")


def test_rota_changes():
    rota = _rota()
    out = apply_to_rota(rota, WINTER)
    diff = out[["clinicians", "nurses"]] - rota[["clinicians", "nurses"]]
    alex_mon = (rota["site"] == "Alexandra") & (rota["weekday"] == "Monday") & rota["hour"].between(8, 17)
    assert (diff.loc[alex_mon, "clinicians"] == 1).all() and diff.loc[~alex_mon, "clinicians"].eq(0).all()
    wrh_late = (rota["site"] == "Worcestershire Royal") & (rota["hour"] >= 20)
    assert (diff.loc[wrh_late, "nurses"] == 2).all() and wrh_late.sum() == 7 * 4
    assert diff.loc[~wrh_late, "nurses"].eq(0).all()
    cut = Scenario(name="cut", rota_changes=(RotaChange(site="Alexandra", weekday="All", hour_from=0, hour_to=23,
                                                        role="nurses", change=-5),))
    with pytest.raises(ScenarioError, match="removes more nurses than the rota has at Alexandra"):
        apply_to_rota(rota, cut)


def test_length_of_stay_helpers():
    s = Scenario(name="LoS", los_change_days=-0.5, los_change_pct=-10)
    assert adjust_mean_stay(5.0, s) == pytest.approx(4.05)
    assert adjust_mean_stay(0.2, s) == 0.0  # never below a same-day stay
    series = adjust_mean_stay(pd.Series([5.0, 8.0], index=["A", "B"]), s)
    assert list(series.index) == ["A", "B"] and series["B"] == pytest.approx(6.75)
    assert stay_factor(5.0, s) == pytest.approx(0.81)
    assert stay_factor(4.0, BASELINE) == 1.0


def test_describe_lists_every_parameter():
    lines = describe(WINTER)
    text = "\n".join(lines)
    for fragment in ("Winter plan", "up 3.5 %", "10 %", "-0.5 days", "-2.5 %", "Target occupancy: 90 %",
                     "Alexandra opens 24 beds from 01 Dec 2025 to 31 Mar 2026",
                     "Worcestershire Royal closes 12 beds", "adds 1 clinician on Mondays, 08:00-17:59",
                     "adds 2 nurses every day, 20:00-23:59"):
        assert fragment in text
    assert describe(BASELINE)[1:] == ["Demand: no change", "Admissions avoided: none", "Length of stay: no change",
                                      "Target occupancy: 92 %", "Beds: no change", "Rota: no change"]


def test_scenario_dates_are_read_day_first_and_odd_json_is_refused():
    s = Scenario(name="Ward", bed_changes=(BedChange(site="Alexandra", start="01/12/2025", end="31/12/2025", beds=10),))
    assert s.bed_changes[0].start == dt.date(2025, 12, 1) and s.bed_changes[0].end == dt.date(2025, 12, 31)
    assert Scenario.from_json(s.to_json()) == s
    with pytest.raises(ScenarioError, match="nested too deeply"):
        Scenario.from_json("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ScenarioError, match="must be a date such as 2025-12-01 or 01/12/2025"):
        BedChange(site="Alexandra", start="31/13/2025", end="2025-12-31", beds=1)
