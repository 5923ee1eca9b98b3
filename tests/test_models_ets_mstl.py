"""ETS and MSTL models: the forecast contract, patterns, awkward series, determinism and a holdout."""

from __future__ import annotations

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from forecasting.io import load_sample  # noqa: E402
from forecasting.models import FitContext, ModelFitError  # noqa: E402
from forecasting.models.base import future_index  # noqa: E402
from forecasting.models.ets import ETS, fill_short_gaps  # noqa: E402
from forecasting.models.mstl import MSTLModel  # noqa: E402

QUANTILES = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975)
MODELS = [ETS, MSTLModel]
COVID = ("2020-03-23", "2021-06-30")


@pytest.fixture(scope="module")
def daily() -> pd.Series:
    d = load_sample("daily")
    y = d[(d.site == "Alexandra") & (d.metric == "attendances")].set_index("date")["value"].asfreq("D")
    y = y.astype(float)
    y.loc[COVID[0]:COVID[1]] = np.nan
    return y


@pytest.fixture(scope="module")
def hourly() -> pd.Series:
    h = load_sample("hourly")
    y = h[(h.site == "Alexandra") & (h.metric == "attendances")].set_index("date")["value"].asfreq("h")
    return y.astype(float).iloc[-8 * 168:]


def check_frame(frame: pd.DataFrame, last: pd.Timestamp, horizon: int, frequency: str) -> None:
    assert list(frame.columns) == ["mean", *QUANTILES]
    pd.testing.assert_index_equal(frame.index, future_index(last, horizon, frequency), check_names=False)
    values = frame.to_numpy(dtype=float)
    assert np.isfinite(values).all()
    assert (values >= 0).all()
    assert (np.diff(frame[list(QUANTILES)].to_numpy(dtype=float), axis=1) >= 0).all()


def fit_predict(model_cls, y, frequency, horizon, seed=0):
    return model_cls().fit(y, FitContext(frequency, seed=seed)).predict(horizon, QUANTILES)


@pytest.mark.parametrize("model_cls", MODELS)
def test_daily_forecast_contract_level_and_weekday_pattern(model_cls, daily):
    fc = fit_predict(model_cls, daily, "daily", 28)
    check_frame(fc, daily.index[-1], 28, "daily")
    recent = daily.iloc[-56:].mean()
    assert abs(fc["mean"].mean() / recent - 1) < 0.2
    dow = fc.index.day_of_week
    assert fc["mean"][dow == 0].iloc[0] > fc["mean"][dow == 6].iloc[0]  # Monday busier than Sunday


@pytest.mark.parametrize("model_cls", MODELS)
def test_components_are_percent_effects(model_cls, daily):
    comps = model_cls().fit(daily, FitContext("daily")).components()
    weekly = comps["weekly"]
    assert weekly["day"].tolist()[0] == "Monday" and len(weekly) == 7
    eff = weekly.set_index("day")["effect_pct"]
    assert eff["Monday"] > eff["Sunday"] and np.isfinite(eff).all()
    if "annual" in comps:
        assert {"date", "effect_pct"} <= set(comps["annual"].columns)
        assert np.isfinite(comps["annual"]["effect_pct"]).all()


@pytest.mark.parametrize("model_cls", MODELS)
def test_short_history_raises(model_cls, daily):
    with pytest.raises(ModelFitError):
        model_cls().fit(daily.iloc[-10:], FitContext("daily"))


@pytest.mark.parametrize("model_cls", MODELS)
def test_all_zero_series_gives_zeros_or_a_fit_error(model_cls):
    y = pd.Series(0.0, index=pd.date_range("2024-01-01", periods=400, freq="D"))
    try:
        fc = fit_predict(model_cls, y, "daily", 14)
    except ModelFitError:
        return
    assert np.isfinite(fc.to_numpy(dtype=float)).all()
    assert (fc.to_numpy(dtype=float) == 0).all()


@pytest.mark.parametrize("model_cls", MODELS)
def test_gappy_series_still_forecasts(model_cls, daily):
    rng = np.random.default_rng(42)
    y = daily.copy()
    y[rng.random(len(y)) < 0.1] = np.nan
    fc = fit_predict(model_cls, y, "daily", 28)
    check_frame(fc, y.index[-1], 28, "daily")
    assert abs(fc["mean"].mean() / daily.iloc[-56:].mean() - 1) < 0.2


@pytest.mark.parametrize("model_cls", MODELS)
def test_missing_last_days_still_forecast_from_the_series_end(model_cls, daily):
    y = daily.copy()
    y.iloc[-10:] = np.nan  # a long trailing gap: the fit stops earlier, the forecast does not
    fc = fit_predict(model_cls, y, "daily", 14)
    check_frame(fc, y.index[-1], 14, "daily")


@pytest.mark.parametrize("model_cls", MODELS)
def test_monthly_series(model_cls, daily):
    monthly = daily.loc["2022-11-01":"2025-10-31"].resample("MS").sum().asfreq("MS")
    assert len(monthly) == 36
    fc = fit_predict(model_cls, monthly, "monthly", 12)
    check_frame(fc, monthly.index[-1], 12, "monthly")
    assert abs(fc["mean"].mean() / monthly.iloc[-12:].mean() - 1) < 0.2


@pytest.mark.parametrize("model_cls", MODELS)
def test_weekly_series(model_cls, daily):
    weekly = daily.loc["2021-07-05":"2025-10-26"].resample("W-MON", label="left", closed="left").sum()
    fc = fit_predict(model_cls, weekly, "weekly", 8)
    check_frame(fc, weekly.index[-1], 8, "weekly")
    assert abs(fc["mean"].mean() / weekly.iloc[-8:].mean() - 1) < 0.2


@pytest.mark.parametrize("model_cls", MODELS)
def test_hourly_series_has_the_hour_of_day_pattern(model_cls, hourly):
    fc = fit_predict(model_cls, hourly, "hourly", 48)
    check_frame(fc, hourly.index[-1], 48, "hourly")
    first_day = fc.iloc[:24]
    assert first_day["mean"][first_day.index.hour == 14].iloc[0] > first_day["mean"][first_day.index.hour == 4].iloc[0]


@pytest.mark.parametrize("model_cls", MODELS)
def test_same_seed_same_output(model_cls, daily):
    a = fit_predict(model_cls, daily, "daily", 28, seed=7)
    b = fit_predict(model_cls, daily, "daily", 28, seed=7)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("model_cls", MODELS)
def test_holdout_accuracy_and_interval_coverage(model_cls, daily):
    train = daily.loc[:"2025-08-31"]
    actual = daily.loc["2025-09-01":"2025-09-28"].to_numpy()
    fc = fit_predict(model_cls, train, "daily", 28)
    covered = (actual >= fc[0.1].to_numpy()) & (actual <= fc[0.9].to_numpy())
    assert covered.mean() >= 0.6
    history = train.to_numpy()
    scale = np.nanmean(np.abs(history[7:] - history[:-7]))  # in-sample weekly seasonal naive MAE
    mase = np.mean(np.abs(actual - fc["mean"].to_numpy())) / scale
    assert mase < 1.2


def test_fill_short_gaps_is_seasonal_and_leaves_long_gaps():
    idx = pd.date_range("2025-01-06", periods=35, freq="D")  # starts on a Monday
    y = pd.Series(np.tile([200.0, 150, 150, 150, 150, 100, 100], 5), index=idx)
    y.iloc[14] = np.nan  # a Monday
    y.iloc[22:30] = np.nan  # eight days: longer than a week
    filled = fill_short_gaps(y, lag=7, max_gap=7)
    assert filled.iloc[14] == 200.0
    assert filled.iloc[22:30].isna().all()
    assert y.iloc[14] != y.iloc[14]  # the input is not modified
