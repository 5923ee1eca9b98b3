"""Regression with ARIMA errors and Prophet: the model contract, holidays, gaps, frequencies, accuracy.

One quick smoke test per model stays in the default run; the rest fit full histories and are
marked slow (run them with ``-m slow``).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from forecasting.calendar import COVID_EXCLUSION, exclusion_mask
from forecasting.io import load_sample
from forecasting.models import REGISTRY, FitContext, ModelFitError
from forecasting.models.arima import ArimaErrors
from forecasting.models.base import future_index
from forecasting.models.prophet_model import ProphetModel, holiday_frame

Q = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975)
MODELS = [ArimaErrors, ProphetModel]
slow = pytest.mark.slow


@pytest.fixture(scope="module")
def daily() -> pd.Series:
    """Alexandra ED attendances, 2019-04-01 .. 2025-10-31, with the COVID window excluded (NaN)."""
    d = load_sample("daily")
    y = d[(d.site == "Alexandra") & (d.metric == "attendances")].set_index("date")["value"]
    y = y.asfreq("D").astype(float)
    y[exclusion_mask(y.index, COVID_EXCLUSION).to_numpy()] = np.nan
    return y


def check_frame(frame: pd.DataFrame, y: pd.Series, horizon: int, frequency: str = "daily"):
    """The ForecastModel contract: index, columns, finite, quantiles ordered and non-negative."""
    pd.testing.assert_index_equal(frame.index, future_index(y.index[-1], horizon, frequency))
    assert list(frame.columns) == ["mean", *Q]
    values = frame.to_numpy(dtype=float)
    assert np.isfinite(values).all()
    q = frame[list(Q)].to_numpy(dtype=float)
    assert (q >= 0).all() and (np.diff(q, axis=1) >= 0).all()
    assert (frame["mean"] >= 0).all()


def monday_vs_sunday(frame: pd.DataFrame) -> tuple[float, float]:
    dow = frame.index.day_of_week
    return frame["mean"][dow == 0].mean(), frame["mean"][dow == 6].mean()


# --------------------------------------------------------------------------- quick (default run)
def test_registered_with_the_right_flags():
    assert REGISTRY["arima_errors"] is ArimaErrors and REGISTRY["prophet"] is ProphetModel
    assert ArimaErrors.label == "Regression with ARIMA errors" and not ArimaErrors.slow
    assert ProphetModel.label == "Prophet (England holidays)" and ProphetModel.slow


def test_arima_smoke_short_recent_history(daily):
    y = daily.iloc[-120:]
    model = ArimaErrors().fit(y, FitContext(seed=1))
    frame = model.predict(28, Q)
    check_frame(frame, y, 28)
    mon, sun = monday_vs_sunday(frame)
    assert mon > sun
    assert abs(frame["mean"].mean() / y.iloc[-56:].mean() - 1) < 0.2
    pd.testing.assert_frame_equal(frame, model.predict(28, Q))
    comps = model.components()
    weekly = comps["weekly"].set_index("day")["effect_pct"]
    assert list(weekly.index)[0] == "Monday" and len(weekly) == 7
    assert weekly["Monday"] > weekly["Sunday"]
    assert "Bank holiday" in comps["holidays"]["holiday"].tolist()  # late August bank holiday


def test_prophet_smoke_short_recent_history(daily, caplog, capfd):
    y = daily.iloc[-120:]
    with caplog.at_level(logging.INFO):
        model = ProphetModel().fit(y, FitContext(seed=1))
        frame = model.predict(28, Q)
    check_frame(frame, y, 28)
    mon, sun = monday_vs_sunday(frame)
    assert mon > sun
    assert abs(frame["mean"].mean() / y.iloc[-56:].mean() - 1) < 0.2
    # the seed is reset for every prediction, and the caller's generator is left alone
    state = np.random.get_state()[1].copy()
    pd.testing.assert_frame_equal(frame, model.predict(28, Q))
    assert (np.random.get_state()[1] == state).all()
    comps = model.components()
    assert len(comps["weekly"]) == 7 and "holidays" in comps
    # no INFO chatter from cmdstanpy or prophet
    assert not [r for r in caplog.records
                if r.name.startswith(("cmdstanpy", "prophet")) and r.levelno < logging.WARNING]
    assert "Chain [1]" not in capfd.readouterr().err


@pytest.mark.parametrize("cls", MODELS)
def test_too_short_history_raises_model_fit_error(daily, cls):
    with pytest.raises(ModelFitError, match="needs at least"):
        cls().fit(daily.iloc[-10:], FitContext())
    gappy = daily.iloc[-200:].copy()
    gappy.iloc[:-12] = np.nan  # long enough, but only 12 observed days
    with pytest.raises(ModelFitError, match="this series has 12"):
        cls().fit(gappy, FitContext())


def test_prophet_holiday_table_for_england_and_other_calendars():
    eng = holiday_frame("2024-01-01", "2025-12-31", "GB-ENG")
    assert {"Christmas Day", "Boxing Day", "Easter Monday"} <= set(eng["holiday"])
    xmas = eng[eng["holiday"] == "Christmas Day"].iloc[0]
    assert (xmas["lower_window"], xmas["upper_window"]) == (-1, 1)
    festive = eng[eng["holiday"].str.startswith("Festive")]
    assert len(festive) == 1 + 9 + 8  # 1 Jan 2024, 24 Dec 2024 - 1 Jan 2025, 24-31 Dec 2025
    assert (festive["lower_window"] == 0).all() and (festive["upper_window"] == 0).all()
    us = holiday_frame("2024-01-01", "2025-12-31", "US")
    assert "Independence Day" in set(us["holiday"]) and "Boxing Day" not in set(us["holiday"])
    assert not us["holiday"].str.contains("observed", case=False).any()


# --------------------------------------------------------------------------- slow
@slow
@pytest.mark.parametrize("cls", MODELS)
def test_daily_sample_with_covid_gap(daily, cls):
    frame = cls().fit(daily, FitContext()).predict(28, Q)
    check_frame(frame, daily, 28)
    assert frame.index[0] == pd.Timestamp("2025-11-01")
    assert abs(frame["mean"].mean() / daily.iloc[-56:].mean() - 1) < 0.2
    mon, sun = monday_vs_sunday(frame)
    assert mon > sun


@slow
@pytest.mark.parametrize("cls", MODELS)
def test_all_zero_series_never_nan(daily, cls):
    zeros = pd.Series(0.0, index=daily.index[-200:])
    frame = cls().fit(zeros, FitContext()).predict(14, Q)
    check_frame(frame, zeros, 14)
    assert frame.to_numpy().max() < 1e-6


@slow
@pytest.mark.parametrize("cls", MODELS)
def test_gappy_series_still_forecasts(daily, cls):
    rng = np.random.default_rng(7)
    y = daily.iloc[-3 * 365:].copy()
    y[rng.random(len(y)) < 0.1] = np.nan
    y.iloc[-1] = np.nan  # even the last day missing
    frame = cls().fit(y, FitContext()).predict(28, Q)
    check_frame(frame, y, 28)
    assert abs(frame["mean"].mean() / daily.iloc[-56:].mean() - 1) < 0.2


@slow
@pytest.mark.parametrize("cls", MODELS)
def test_monthly_totals(daily, cls):
    d = load_sample("daily")
    y = d[(d.site == "Alexandra") & (d.metric == "attendances")].set_index("date")["value"]
    monthly = y.resample("MS").sum().iloc[-36:].asfreq("MS").astype(float)
    model = cls().fit(monthly, FitContext(frequency="monthly"))
    frame = model.predict(12, Q)
    check_frame(frame, monthly, 12, "monthly")
    assert frame.index[0] == pd.Timestamp("2025-11-01")
    assert abs(frame["mean"].sum() / monthly.iloc[-12:].sum() - 1) < 0.15
    # February is short: fewer attendances than January and March
    feb = frame["mean"].loc["2026-02-01"]
    assert feb < frame["mean"].loc["2026-01-01"] and feb < frame["mean"].loc["2026-03-01"]
    assert "annual" in model.components()


@slow
@pytest.mark.parametrize("cls", MODELS)
def test_hourly_48_hours(cls):
    hourly = load_sample("hourly")
    y = hourly[hourly.site == "Worcestershire Royal"].set_index("date")["value"]
    y = y.asfreq("h").astype(float).iloc[-8 * 7 * 24:]
    model = cls().fit(y, FitContext(frequency="hourly"))
    frame = model.predict(48, Q)
    check_frame(frame, y, 48, "hourly")
    assert frame["mean"].loc["2025-11-01 14:00"] > frame["mean"].loc["2025-11-01 04:00"]
    assert frame["mean"].loc["2025-11-02 14:00"] > frame["mean"].loc["2025-11-02 04:00"]
    weekly = model.components()["weekly"].set_index("day")["effect_pct"]
    assert weekly["Monday"] > weekly["Sunday"]


@slow
@pytest.mark.parametrize("cls", MODELS)
def test_same_seed_same_output(daily, cls):
    y = daily.iloc[-2 * 365:]
    a = cls().fit(y, FitContext(seed=11)).predict(28, Q)
    b = cls().fit(y, FitContext(seed=11)).predict(28, Q)
    pd.testing.assert_frame_equal(a, b)


@slow
def test_prophet_seed_changes_only_the_simulated_quantiles(daily):
    y = daily.iloc[-2 * 365:]
    a = ProphetModel().fit(y, FitContext(seed=1)).predict(28, Q)
    b = ProphetModel().fit(y, FitContext(seed=2)).predict(28, Q)
    np.testing.assert_allclose(a["mean"], b["mean"])
    assert not np.allclose(a[0.05], b[0.05])


@slow
@pytest.mark.parametrize("cls", MODELS)
def test_holdout_accuracy_and_coverage(daily, cls):
    train = daily[:"2025-08-31"]
    actual = daily["2025-09-01":"2025-09-28"].to_numpy()
    frame = cls().fit(train, FitContext()).predict(28, Q)
    check_frame(frame, train, 28)
    coverage = np.mean((actual >= frame[0.1].to_numpy()) & (actual <= frame[0.9].to_numpy()))
    tv = train.to_numpy()
    scale = np.nanmean(np.abs(tv[7:] - tv[:-7]))  # in-sample weekly seasonal naive error
    mase = np.mean(np.abs(actual - frame["mean"].to_numpy())) / scale
    assert coverage >= 0.6, coverage
    assert mase < 1.2, mase


@slow
def test_prophet_with_us_holidays(daily):
    y = daily.iloc[-2 * 365:]
    model = ProphetModel().fit(y, FitContext(holidays="US"))
    frame = model.predict(28, Q)
    check_frame(frame, y, 28)
    names = set(model.components()["holidays"]["holiday"])
    assert {"Independence Day", "Thanksgiving Day"} & names
    assert "Boxing Day" not in names


@slow
def test_prophet_components_in_percent_of_trend(daily):
    model = ProphetModel().fit(daily, FitContext())
    comps = model.components()
    weekly = comps["weekly"].set_index("day")["effect_pct"]
    assert weekly["Monday"] > 5 and weekly["Sunday"] < 0
    assert len(comps["annual"]) == 365 and comps["annual"]["effect_pct"].abs().max() < 50
    hol = comps["holidays"].set_index("holiday")["effect_pct"]
    assert "Christmas Day" in hol and hol["Christmas Day"] < 0
    assert any(name.startswith("Festive") for name in hol.index)


@slow
def test_arima_holiday_effects_on_log_scale(daily):
    comps = ArimaErrors().fit(daily, FitContext()).components()
    hol = comps["holidays"].set_index("holiday")["effect_pct"]
    assert hol["Bank holiday"] < 0
    assert np.isclose(comps["weekly"]["effect_pct"].mean(), 0, atol=1e-9)
