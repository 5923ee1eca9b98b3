"""forecast() and backtest(): the contract, fallbacks, calibration, determinism and a golden file."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting import backtest, forecast, load_sample
from forecasting.calendar import COVID_EXCLUSION
from forecasting.forecast import aggregate_forecast, patterns, quantile_name
from forecasting.models import REGISTRY

GOLDEN = Path(__file__).resolve().parent / "golden" / "forecast_alexandra_attendances.csv"
QCOLS = ["p2.5", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p97.5"]


@pytest.fixture(scope="module")
def sample():
    return load_sample("daily")


def one(sample, site="Alexandra", metric="attendances"):
    return sample[(sample.site == site) & (sample.metric == metric)]


def series(values, start="2025-01-01", freq="D", site="X", metric="attendances"):
    dates = pd.date_range(start, periods=len(values), freq=freq)
    return pd.DataFrame({"site": site, "metric": metric, "date": dates, "value": np.asarray(values, float)})


def check_contract(fc, horizon, n_series):
    assert list(fc.columns[:5]) == ["site", "metric", "date", "model", "mean"]
    assert [c for c in fc.columns if c.startswith("p")] == QCOLS
    assert len(fc) == horizon * n_series
    q = fc[QCOLS].to_numpy()
    assert (q >= 0).all() and (np.diff(q, axis=1) >= -1e-9).all()
    assert np.isfinite(fc["mean"]).all()


def test_quantile_names():
    assert [quantile_name(q) for q in (0.025, 0.05, 0.5, 0.975)] == ["p2.5", "p5", "p50", "p97.5"]


def test_auto_forecast_of_every_sample_series(sample):
    hist = sample[sample.metric.isin(["attendances", "admissions"])]
    fc = forecast(hist, 28, exclude=COVID_EXCLUSION)
    check_contract(fc, 28, 5)
    assert (fc.groupby(["site", "metric"])["date"].min() == pd.Timestamp("2025-11-01")).all()
    sel = fc.attrs["selection"]
    assert len(sel) == 5 and sel["reason"].str.startswith("auto chose").all()
    # the published pattern: Mondays busier than Sundays at a type 1 ED
    wrh = fc[(fc.site == "Worcestershire Royal") & (fc.metric == "attendances")].set_index("date")
    assert wrh.loc["2025-11-03", "mean"] > wrh.loc["2025-11-02", "mean"]


@pytest.mark.parametrize("name", [n for n, c in REGISTRY.items() if not c.slow])
def test_each_fast_model_on_the_sample(sample, name):
    fc = forecast(one(sample), 28, model=name, exclude=COVID_EXCLUSION, calibrate=False)
    check_contract(fc, 28, 1)
    assert fc["model"].unique().tolist() == [name]
    recent = one(sample)["value"].tail(56).mean()
    assert abs(fc["mean"].mean() / recent - 1) < 0.2


def test_same_seed_same_result_whatever_the_workers(sample):
    hist = sample[sample.metric == "attendances"]
    a = forecast(hist, 14, n_jobs=1, seed=3)
    b = forecast(hist, 14, n_jobs=2, seed=3)
    pd.testing.assert_frame_equal(a, b)


def test_golden_file_of_a_seeded_forecast(sample):
    fc = forecast(one(sample), 28, model="count_glm", exclude=COVID_EXCLUSION, seed=0, calibrate=False)
    if not GOLDEN.exists():  # pragma: no cover - written once, then compared
        fc.to_csv(GOLDEN, index=False)
    golden = pd.read_csv(GOLDEN, parse_dates=["date"])
    pd.testing.assert_frame_equal(fc.reset_index(drop=True), golden, check_dtype=False, rtol=1e-6)


def test_too_short_history_falls_back_and_says_so():
    fc = forecast(series([100, 110, 95, 105, 120, 130, 90, 100, 101, 99]), 7, model="count_glm")
    check_contract(fc, 7, 1)
    sel = fc.attrs["selection"].iloc[0]
    assert sel["model"] == "seasonal_naive"
    assert "could not be fitted" in sel["reason"] and "needs 56 periods" in sel["notes"]
    tiny = forecast(series([12, 15]), 5)
    assert tiny["model"].iloc[0] == "recent_level" and np.allclose(tiny["mean"], 13.5)


def test_all_zero_series_forecasts_zero():
    fc = forecast(series(np.zeros(120)), 14)
    check_contract(fc, 14, 1)
    assert (fc[["mean"] + QCOLS].to_numpy() == 0).all()


def test_gappy_series_still_forecasts(sample):
    hist = one(sample).sample(frac=0.9, random_state=1)
    fc = forecast(hist, 28, exclude=COVID_EXCLUSION)
    check_contract(fc, 28, 1)


def test_zero_heavy_series():
    rng = np.random.default_rng(0)
    fc = forecast(series(rng.poisson(0.3, 400)), 28)
    check_contract(fc, 28, 1)
    assert fc["mean"].mean() < 1.5


def test_hourly_series_48_hours():
    hourly = load_sample("hourly")
    hist = hourly[(hourly.site == "Worcestershire Royal") & (hourly.date >= "2025-08-01")]
    fc = forecast(hist, 48, model="count_glm", calibrate=False)
    check_contract(fc, 48, 1)
    by_hour = fc.set_index("date")["mean"]
    assert by_hour.loc["2025-11-01 14:00"] > 2 * by_hour.loc["2025-11-01 04:00"]


def test_monthly_nhse_returns(root):
    ae = pd.read_csv(root / "sample_data" / "nhse" / "ae_monthly_rwp_peers.csv", parse_dates=["period"])
    rwp = ae[(ae.org_code == "RWP") & (ae.type.astype(str) == "1")]
    hist = pd.DataFrame({"site": "RWP", "metric": "attendances_type1", "date": rwp.period,
                         "value": rwp.attendances})
    fc = forecast(hist, 12)
    check_contract(fc, 12, 1)
    assert fc["date"].iloc[0] == pd.Timestamp("2019-04-01")
    assert 8_000 < fc["mean"].mean() < 13_000


def rwp_monthly(root, months=36):
    ae = pd.read_csv(root / "sample_data" / "nhse" / "ae_monthly_rwp_peers.csv", parse_dates=["period"])
    rwp = ae[(ae.org_code == "RWP") & (ae.type.astype(str) == "1")].sort_values("period").iloc[:months]
    return pd.DataFrame({"site": "RWP", "metric": "attendances_type1", "date": rwp.period.to_numpy(),
                         "value": rwp.attendances.to_numpy()})


def test_monthly_intervals_widen_with_the_horizon(root):
    # two years of months: the backtest can check 6 months ahead, not 12, so beyond the first
    # step the 80 % interval must grow at least like the square root of the steps ahead
    fc = forecast(rwp_monthly(root, 24), 12)
    width = (fc["p90"] - fc["p10"]).to_numpy()
    assert np.all(width[1:] >= width[0] * np.sqrt(np.arange(2, 13)) * (1 - 1e-9))
    assert "square root" in fc.attrs["selection"]["reason"].iloc[0]


def test_growth_shape_is_monthly_only():
    fmod = sys.modules["forecasting.forecast"]
    flat = pd.DataFrame({0.1: np.full(12, 90.0), 0.5: np.full(12, 100.0), 0.9: np.full(12, 110.0)})
    assert np.allclose(fmod._growth(flat, "monthly"), np.sqrt(np.arange(1, 13)))
    assert np.allclose(fmod._growth(flat, "daily"), 1.0)
    growing = flat.copy()
    growing[0.9], growing[0.1] = 100 + 10 * np.arange(1, 13) ** 0.7, 100 - 10 * np.arange(1, 13) ** 0.7
    assert np.allclose(fmod._growth(growing, "monthly"), 1.0)  # already widening faster


def test_auto_backtest_uses_only_data_before_each_cutoff(root):
    # model choice, calibration and level-shift checks at an origin must not see what follows it
    hist = rwp_monthly(root, 36)
    changed = hist.copy()
    changed.loc[changed.index[-12:], "value"] *= 1.5
    a = backtest(hist, 12, models=["auto"], n_origins=1, step=12)
    b = backtest(changed, 12, models=["auto"], n_origins=1, step=12)
    assert (a["cutoff"] == pd.Timestamp("2018-03-01")).all()
    pd.testing.assert_frame_equal(a.drop(columns=["actual"]), b.drop(columns=["actual"]))
    direct = forecast(hist[hist.date <= "2018-03-01"], 12)
    assert np.allclose(direct["p90"].to_numpy(), a["p90"].to_numpy())


def test_exclusion_keeps_the_covid_collapse_out(sample):
    hist = one(sample)
    hist = hist[hist.date <= "2020-12-31"]
    with_ex = forecast(hist, 28, model="count_glm", exclude=COVID_EXCLUSION, calibrate=False)
    without = forecast(hist, 28, model="count_glm", calibrate=False)
    assert with_ex["mean"].mean() > without["mean"].mean()


def test_other_holiday_calendars_and_bad_arguments(sample):
    fc = forecast(one(sample), 7, holidays="US", model="count_glm", calibrate=False)
    check_contract(fc, 7, 1)
    with pytest.raises(ValueError, match="Unknown model"):
        forecast(one(sample), 7, model="crystal_ball")
    with pytest.raises(ValueError, match="horizon"):
        forecast(one(sample), 0)


def test_backtest_contract_and_alignment(sample):
    hist = one(sample)
    bt = backtest(hist, 14, models=["seasonal_naive", "count_glm"], n_origins=3, exclude=COVID_EXCLUSION)
    assert {"cutoff", "h", "actual", "scale", "model"} <= set(bt.columns)
    assert len(bt) == 2 * 3 * 14
    assert bt["cutoff"].max() == pd.Timestamp("2025-10-17")  # leaves exactly 14 days of actuals
    assert (bt["date"] == bt["cutoff"] + pd.to_timedelta(bt["h"], unit="D")).all()
    actual = hist.set_index("date")["value"]
    assert np.allclose(bt["actual"], actual.loc[bt["date"]].to_numpy())


def test_auto_beats_seasonal_naive_on_the_sample(sample):
    from forecasting.metrics import evaluate
    hist = sample[(sample.site == "Alexandra") & (sample.metric == "admissions")]
    bt = backtest(hist, 28, models=["seasonal_naive", "auto"], n_origins=4, step=28, exclude=COVID_EXCLUSION)
    scores = evaluate(bt).set_index("model")
    assert scores.loc["auto", "MASE"] < 0.9 * scores.loc["seasonal_naive", "MASE"]


def test_weekly_totals_are_coherent(sample):
    fc = forecast(one(sample), 35, model="count_glm", calibrate=False)
    weeks = aggregate_forecast(fc, "weekly")
    full = weeks[weeks["complete"]].iloc[0]
    days = fc[(fc.date >= full["date"]) & (fc.date < full["date"] + pd.Timedelta(days=7))]
    assert full["mean"] == pytest.approx(days["mean"].sum())
    width_week = full["p90"] - full["p10"]
    widths = (days["p90"] - days["p10"]).to_numpy()
    # wider than independent days, narrower than perfectly correlated ones
    assert np.sqrt((widths ** 2).sum()) <= width_week <= widths.sum()


def test_patterns_found_by_the_count_regression(sample):
    comps = patterns(one(sample, "Kidderminster"), "Kidderminster", "attendances", exclude=COVID_EXCLUSION)
    hol = comps["holidays"].set_index("holiday")["effect_pct"]
    assert hol["Christmas Day (beyond a bank holiday)"] < -50  # the MIU is all but closed
    annual = comps["annual"].set_index("date")["effect_pct"]
    assert annual["2025-07-01"] > annual["2025-12-10"]  # minor injuries peak in summer


@pytest.mark.parametrize("name", [n for n, c in REGISTRY.items() if not c.slow])
@pytest.mark.parametrize("kind", ["short", "zero_heavy", "gappy"])
def test_each_fast_model_survives_awkward_series(name, kind):
    rng = np.random.default_rng(1)
    values = {"short": rng.poisson(150, 40), "zero_heavy": rng.poisson(0.2, 300),
              "gappy": rng.poisson(150, 400)}[kind].astype(float)
    hist = series(values)
    if kind == "gappy":
        hist = hist.sample(frac=0.85, random_state=2).sort_values("date")
    fc = forecast(hist, 14, model=name, calibrate=False)
    check_contract(fc, 14, 1)
    sel = fc.attrs["selection"].iloc[0]
    assert sel["model"] == name or "could not be fitted" in sel["reason"]


# ---------------------------------------------------------------- awkward histories (review findings)
def _flat(n: int, freq: str = "D", start: str = "2024-01-01", mean: float = 50.0) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    d = pd.date_range(start, periods=n, freq=freq)
    return pd.DataFrame({"site": "A", "metric": "attendances", "date": d,
                         "value": rng.poisson(mean, n).astype(float)})


@pytest.mark.parametrize("n", [60, 120, 200])
def test_a_few_months_of_daily_data_give_a_sane_forecast(n):
    # four months of flat data once made the count regression's annual terms and trend run away
    # (means near 0 or in the thousands) and the quantile search crawl for minutes
    for model in ("count_glm", "auto"):
        fc = forecast(_flat(n), 90, model=model, n_jobs=1)
        assert fc["mean"].between(30, 75).all(), (n, model, fc["mean"].describe())
        assert fc["p97.5"].max() < 200


def test_monthly_figures_dated_at_month_end_are_forecast_as_months():
    d = pd.date_range("2019-04-30", periods=40, freq="ME")
    rng = np.random.default_rng(1)
    hist = pd.DataFrame({"site": "A", "metric": "attendances", "date": d,
                         "value": 9000 + rng.normal(0, 200, 40).round()})
    fc = forecast(hist, 3, n_jobs=1)
    # each month is labelled by its first day; the forecast starts the month after the last
    assert list(fc["date"]) == list(pd.to_datetime(["2022-08-01", "2022-09-01", "2022-10-01"]))
    assert fc["mean"].between(8000, 10000).all()
    assert "needs" not in fc.attrs["selection"]["reason"].iloc[0]


def test_excluding_the_latest_weeks_still_scores_the_backtest_on_actuals():
    hist = _flat(800, start="2022-01-01")
    fc = forecast(hist, 5, exclude=[("2024-02-01", "2024-03-10")], n_jobs=1)
    reason = fc.attrs["selection"]["reason"].iloc[0]
    assert "nan" not in reason and reason.startswith("auto chose")
    assert np.isfinite(fc.attrs["selection"]["backtest_pinball"].iloc[0])
    assert fc["date"].iloc[0] == pd.Timestamp("2024-03-11")


def test_an_all_zero_series_is_forecast_as_zero_and_says_why():
    hist = _flat(400).assign(value=0.0)
    fc = forecast(hist, 14, n_jobs=1)
    sel = fc.attrs["selection"].iloc[0]
    assert sel["model"] == "recent_level" and "Every value in the history is zero" in sel["reason"]
    assert (fc[["mean", "p2.5", "p50", "p97.5"]] == 0).all().all()


def test_an_unknown_holiday_calendar_is_refused_not_ignored():
    with pytest.raises(ValueError, match="Unknown holiday calendar 'XX'"):
        forecast(_flat(200), 14, holidays="XX", n_jobs=1)
    with pytest.raises(ValueError, match="Unknown holiday calendar"):
        backtest(_flat(200), 14, holidays="XX", n_jobs=1)


def test_when_autos_pick_fails_on_the_whole_history_the_fallback_is_named(monkeypatch):
    fmod = sys.modules["forecasting.forecast"]  # the package re-exports forecast() under this name
    from forecasting.models import ModelFitError
    hist = _flat(400, start="2023-01-01")
    real = fmod._fit_predict

    def flaky(name, y, ctx, horizon, quantiles):
        # every model fits at the backtest origins, but only seasonal naive on the whole history
        if name not in ("seasonal_naive", "recent_level") and len(y) == 400:
            raise ModelFitError("did not converge")
        return real(name, y, ctx, horizon, quantiles)

    monkeypatch.setattr(fmod, "_fit_predict", flaky)
    fc = forecast(hist, 14, n_jobs=1)
    sel = fc.attrs["selection"].iloc[0]
    assert sel["model"] == "seasonal_naive"
    assert "could not be fitted on the whole history, so Seasonal naive made the forecast" in sel["reason"]
    assert np.isnan(sel["backtest_pinball"])  # the scores were not of the model that forecast
