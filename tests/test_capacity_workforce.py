"""ED workforce: arrival profile, hourly demand, staff required, rota checks, gaps and Erlang C."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecasting import load_sample
from forecasting.capacity.workforce import (
    WEEKDAYS, RotaError, WorkforceParams, arrival_profile, erlang_c, gap_heatmap, hourly_demand,
    prob_wait_longer, queue_check, read_rota, staff_required, staffing_gap, worst_gaps, wte_gap,
)
from forecasting.forecast import DEFAULT_QUANTILES, quantile_name

SITE = "Test ED"


def _erlang_c_oracle(a: float, c: int) -> float:
    """Textbook Erlang C with factorials (fine for small c)."""
    top = a ** c / math.factorial(c) * c / (c - a)
    return top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)


def _flat_profile(site: str = SITE) -> pd.DataFrame:
    """A profile peaking at midday: shares by hour proportional to 1 + hour-distance from 0."""
    weights = 1 + np.minimum(np.arange(24), 24 - np.arange(24))
    shares = weights / weights.sum()
    return pd.DataFrame([(site, wd, h, shares[h]) for wd in WEEKDAYS for h in range(24)],
                        columns=["site", "weekday", "hour", "share"])


def _daily_forecast(mean: float, days: int = 7, start: str = "2025-11-03", sd_frac: float = 0.08,
                    site: str = SITE) -> pd.DataFrame:
    """Forecast contract rows with normal quantiles around a constant mean."""
    dates = pd.date_range(start, periods=days, freq="D")
    sd = math.sqrt(mean + (sd_frac * mean) ** 2)
    frame = pd.DataFrame({"site": site, "metric": "attendances", "date": dates, "model": "test",
                          "mean": float(mean)})
    for q in DEFAULT_QUANTILES:
        frame[quantile_name(q)] = max(mean + stats.norm.ppf(q) * sd, 0.0) if mean > 0 else 0.0
    return frame


def _rota(clinicians: int = 4, nurses: int = 5, site: str = SITE) -> pd.DataFrame:
    return pd.DataFrame([(site, wd, h, clinicians, nurses) for wd in WEEKDAYS for h in range(24)],
                        columns=["site", "weekday", "hour", "clinicians", "nurses"])


@pytest.fixture(scope="module")
def hourly_sample() -> pd.DataFrame:
    return load_sample("hourly")


# ---------------------------------------------------------------- profile and hourly demand
def test_profile_shares_sum_to_one_on_the_sample(hourly_sample):
    profile = arrival_profile(hourly_sample, weeks=52)
    assert len(profile) == 3 * 7 * 24
    sums = profile.groupby(["site", "weekday"])["share"].sum()
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)
    # Kidderminster's minor injuries unit is shut 22:00-07:59, so no arrivals are placed there
    kidd = profile[(profile["site"] == "Kidderminster") & ~profile["hour"].between(8, 21)]
    assert (kidd["share"] == 0).all()


def test_hourly_demand_sums_back_to_the_daily_mean():
    fc = _daily_forecast(240.0)
    hourly = hourly_demand(fc, _flat_profile())
    assert len(hourly) == 7 * 24
    per_day = hourly.groupby(hourly["date"].dt.normalize())["mean"].sum()
    np.testing.assert_allclose(per_day.to_numpy(), 240.0, rtol=1e-12)
    # law of total variance: the hourly variance holds both the binomial and the day's spread
    share = _flat_profile()["share"].iloc[:24].to_numpy()
    day_var = ((fc["p90"] - fc["p10"]) / (2 * stats.norm.ppf(0.9))).iloc[0] ** 2
    expected = 240 * share * (1 - share) + share ** 2 * day_var
    np.testing.assert_allclose(hourly["variance"].iloc[:24], expected, rtol=1e-9)
    assert (hourly["p90"] >= hourly["p50"]).all() and (hourly["p50"] >= hourly["p10"]).all()


def test_hourly_demand_names_a_site_without_profile():
    with pytest.raises(ValueError, match="No arrival profile for site"):
        hourly_demand(_daily_forecast(100, site="Elsewhere"), _flat_profile())


# ---------------------------------------------------------------- staff required
def test_zero_demand_needs_zero_staff():
    required = staff_required(hourly_demand(_daily_forecast(0.0), _flat_profile()), WorkforceParams())
    assert (required[["clinicians", "nurses"]] == 0).all().all()


@pytest.mark.parametrize("quantile", [0.5, 0.8, 0.9])
def test_staff_required_never_falls_as_demand_rises(quantile):
    params = WorkforceParams(planning_quantile=quantile, min_clinicians=1)
    previous = None
    for level in (0, 5, 20, 60, 120, 200, 240, 241, 300, 500, 900):
        req = staff_required(hourly_demand(_daily_forecast(float(level)), _flat_profile()), params)
        now = req[["clinicians", "nurses"]].to_numpy()
        if previous is not None:
            assert (now >= previous).all(), f"staff fell when daily demand rose to {level}"
        previous = now


def test_staff_required_rounds_up_at_the_planning_quantile():
    hourly = hourly_demand(_daily_forecast(240.0), _flat_profile())
    params = WorkforceParams(patients_per_clinician_hour=2.0, patients_per_nurse_hour=1.5)
    req = staff_required(hourly, params)
    assert (req["clinicians"] == np.ceil(req["demand"] / 2.0)).all()
    assert (req["nurses"] == np.ceil(req["demand"] / 1.5)).all()
    higher = staff_required(hourly, dataclasses.replace(params, planning_quantile=0.95))
    assert (higher["demand"] >= req["demand"]).all()


def test_nurse_led_site_needs_no_clinicians():
    hourly = hourly_demand(_daily_forecast(150.0), _flat_profile())
    req = staff_required(hourly, WorkforceParams(nurse_led_sites=(SITE,)))
    assert (req["clinicians"] == 0).all() and (req["nurses"] > 0).any()


def test_workforce_params_validate_and_hash():
    params = WorkforceParams()
    assert hash(params) == hash(WorkforceParams())
    assert dataclasses.replace(params, planning_quantile=0.9).planning_quantile == 0.9
    assert params.effective_hours_per_wte == pytest.approx(37.5 * 0.79)
    with pytest.raises(ValueError, match="planning_quantile must be between 0 and 1"):
        WorkforceParams(planning_quantile=80)
    with pytest.raises(ValueError, match="patients_per_clinician_hour must be a number above 0"):
        WorkforceParams(patients_per_clinician_hour=0)
    with pytest.raises(ValueError, match="nurse_led_sites must be a tuple"):
        WorkforceParams(nurse_led_sites="Kidderminster")
    with pytest.raises(TypeError):
        WorkforceParams(2.0)  # keyword-only


# ---------------------------------------------------------------- rota
def test_sample_rota_reads(root):
    rota = read_rota(root / "sample_data" / "rota.csv")
    assert len(rota) == 3 * 168
    assert set(rota["weekday"]) == set(WEEKDAYS)


@pytest.mark.parametrize("edit, message", [
    (lambda r: r.drop(columns="nurses"), "missing column\\(s\\) nurses"),
    (lambda r: r.assign(weekday=r["weekday"].where(r.index != 3, "Funday")), "unknown weekday 'Funday' in row 5"),
    (lambda r: r.assign(hour=r["hour"].where(r.index != 0, 24)), "hour outside 0-23 in row 2"),
    (lambda r: r.assign(nurses=r["nurses"].where(r.index != 9, -1)), "nurses must be a whole number 0 or more; check row 11"),
    (lambda r: pd.concat([r, r.iloc[[0]]], ignore_index=True), "more than once"),
])
def test_rota_validation_messages(edit, message):
    with pytest.raises(RotaError, match=message):
        read_rota(edit(_rota()))


def test_rota_accepts_short_weekday_names_and_fills_missing_hours():
    rota = pd.DataFrame({"Site": [SITE], "Weekday": ["mon"], "Hour": [9], "Clinicians": [2], "Nurses": [3]})
    out = read_rota(rota)
    assert len(out) == 168
    assert out.loc[(out["weekday"] == "Monday") & (out["hour"] == 9), "clinicians"].item() == 2
    assert out["clinicians"].sum() == 2


# ---------------------------------------------------------------- gaps
def _gaps(daily_mean: float = 200.0, days: int = 21, rota=None) -> pd.DataFrame:
    hourly = hourly_demand(_daily_forecast(daily_mean, days=days), _flat_profile())
    return staffing_gap(staff_required(hourly, WorkforceParams()), read_rota(_rota() if rota is None else rota))


def test_staffing_gap_is_required_minus_rostered():
    gaps = _gaps()
    assert set(gaps["role"]) == {"clinicians", "nurses"}
    assert (gaps["gap"] == gaps["required"] - gaps["rostered"]).all()
    heat = gap_heatmap(gaps)
    assert len(heat) == 2 * 7 * 24


@pytest.mark.parametrize("period, day", [("week", "2025-11-05"), ("weekend", "2025-11-09"),
                                         ("bank_holiday", "2025-12-25")])
def test_worst_gaps_finds_a_planted_gap(period, day):
    # a generous rota everywhere except one hour on the planted day, which has nobody
    gaps = _gaps(days=60, rota=_rota(clinicians=50, nurses=50))
    planted = (gaps["date"] == pd.Timestamp(day) + pd.Timedelta(hours=14)) & (gaps["role"] == "nurses")
    gaps.loc[planted, "rostered"] = 0
    gaps["gap"] = gaps["required"] - gaps["rostered"]
    worst = worst_gaps(gaps, n=3, period=period, start="2025-11-03")
    assert len(worst) == 1
    assert worst["date"].iloc[0] == pd.Timestamp(day) + pd.Timedelta(hours=14)
    if period == "bank_holiday":
        assert "Christmas" in worst["period"].iloc[0]


def test_worst_gaps_rejects_an_unknown_period():
    with pytest.raises(ValueError, match="period must be one of week, weekend, bank_holiday"):
        worst_gaps(_gaps(days=7), period="month")


def test_wte_gap_counts_short_hours_only():
    gaps = pd.DataFrame({"site": SITE, "role": "nurses", "weekday": "Monday", "hour": [9, 10],
                         "date": pd.to_datetime(["2025-11-03 09:00", "2025-11-03 10:00"]),
                         "required": [5, 1], "rostered": [2, 4]})
    gaps["gap"] = gaps["required"] - gaps["rostered"]
    params = WorkforceParams(hours_per_wte=37.5, leave_allowance_pct=20)
    wte = wte_gap(gaps, params)
    # 3 short hours in one day = 21 hours a week; one WTE gives 30 rostered hours a week
    assert wte["short_hours_per_week"].item() == pytest.approx(21.0)
    assert wte["wte"].item() == pytest.approx(0.7)


# ---------------------------------------------------------------- Erlang C
def test_erlang_c_textbook_values():
    # 10 erlangs offered to 12 agents: P(wait) = 0.4494 in Erlang C tables
    assert erlang_c(10.0, 60.0, 12) == pytest.approx(0.4494, abs=1e-4)
    # hand-worked: 1 erlang, 2 servers -> 1/3; M/M/1 -> utilisation
    assert erlang_c(60.0, 1.0, 2) == pytest.approx(1 / 3)
    assert erlang_c(3.0, 12.0, 1) == pytest.approx(0.6)
    for a, c in [(0.5, 1), (4.2, 5), (7.5, 9), (15.0, 20)]:
        assert erlang_c(a, 60.0, c) == pytest.approx(_erlang_c_oracle(a, c), rel=1e-10)


def test_erlang_c_is_stable_for_many_servers():
    # 45 erlangs on 50 servers: 50! overflows doubles in a naive sum; compare with log-space oracle
    a, c = 45.0, 50
    logs = [k * math.log(a) - math.lgamma(k + 1) for k in range(c)]
    log_top = c * math.log(a) - math.lgamma(c + 1) + math.log(c / (c - a))
    expected = 1 / (1 + sum(math.exp(x - log_top) for x in logs))
    assert erlang_c(a, 60.0, c) == pytest.approx(expected, rel=1e-10)
    assert np.isfinite(erlang_c(np.full(3, 290.0), 60.0, [300, 400, 500])).all()


def test_erlang_c_overloaded_and_empty_hours():
    p = erlang_c([12.0, 5.0, 0.0, 3.0], 60.0, [12, 4, 0, 0])
    np.testing.assert_array_equal(p, [1.0, 1.0, 0.0, 1.0])
    assert prob_wait_longer(20.0, 30.0, 5, 60.0) == 1.0        # 10 erlangs on 5 clinicians


def test_wait_probability_falls_with_staff_and_with_longer_thresholds():
    staff = np.arange(5, 30)
    p = prob_wait_longer(10.0, 30.0, staff, 15.0)
    assert (np.diff(p) <= 0).all()
    assert p[0] == 1.0 and p[1] < 1  # 5 erlangs on 5 clinicians is overloaded; one more is not
    by_wait = prob_wait_longer(8.0, 30.0, 6, np.array([0.0, 5.0, 30.0, 120.0]))
    assert (np.diff(by_wait) < 0).all()
    assert by_wait[0] == pytest.approx(erlang_c(8.0, 30.0, 6))


def test_queue_check_on_hourly_demand():
    hourly = hourly_demand(_daily_forecast(200.0, days=2), _flat_profile())
    out = queue_check(hourly, _rota(clinicians=6), WorkforceParams(), wait_minutes=60)
    assert len(out) == 48 and out["p_wait_over"].between(0, 1).all()
    thin = queue_check(hourly, _rota(clinicians=3), WorkforceParams(), wait_minutes=60)
    assert (thin["p_wait_over"] >= out["p_wait_over"]).all()


def test_staff_required_from_an_hourly_forecast_quantile_column():
    hourly = hourly_demand(_daily_forecast(200.0, days=1), _flat_profile(), quantiles=(0.5, 0.8))
    from_column = staff_required(hourly.drop(columns="variance"), WorkforceParams(planning_quantile=0.8))
    from_moments = staff_required(hourly, WorkforceParams(planning_quantile=0.8))
    pd.testing.assert_frame_equal(from_column, from_moments)
    with pytest.raises(ValueError, match="neither a variance nor a p90 column"):
        staff_required(hourly.drop(columns="variance"), WorkforceParams(planning_quantile=0.9))
