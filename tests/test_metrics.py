"""Accuracy metrics: each vectorised score against a plain loop, and evaluate() on a hand-made backtest."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forecasting.metrics import (evaluate, horizon_bucket, interval_coverage, pinball_loss,
                                 quantile_columns, winkler_score)

rng = np.random.default_rng(7)
A = rng.poisson(100, 200).astype(float)
LO = A - rng.uniform(-5, 20, 200)
HI = LO + rng.uniform(5, 40, 200)
P = A + rng.normal(0, 10, 200)


def test_pinball_matches_a_loop():
    for level in (0.025, 0.1, 0.5, 0.9):
        loop = [(level * (a - p)) if a >= p else ((1 - level) * (p - a)) for a, p in zip(A, P)]
        assert np.allclose(pinball_loss(A, P, level), loop)


def test_coverage_matches_a_loop():
    loop = sum(1 for a, lo, hi in zip(A, LO, HI) if lo <= a <= hi) / len(A)
    assert interval_coverage(A, LO, HI) == pytest.approx(loop)


def test_winkler_matches_a_loop():
    alpha = 0.2
    loop = []
    for a, lo, hi in zip(A, LO, HI):
        s = hi - lo
        if a < lo:
            s += 2 / alpha * (lo - a)
        elif a > hi:
            s += 2 / alpha * (a - hi)
        loop.append(s)
    assert np.allclose(winkler_score(A, LO, HI, 0.8), loop)


def test_quantile_columns_sorted_by_level():
    cols = quantile_columns(pd.DataFrame(columns=["mean", "p97.5", "p5", "p50", "p2.5", "period"]))
    assert cols == ["p2.5", "p5", "p50", "p97.5"]


def test_horizon_buckets():
    assert horizon_bucket(pd.Series([1, 7, 8, 28, 29, 200]), "daily").tolist() == [
        "1-7", "1-7", "8-14", "15-28", "29-91", "92+"]


def _backtest() -> pd.DataFrame:
    rows = []
    for model, offset in (("good", 1.0), ("bad", 10.0)):
        for h in range(1, 11):
            actual = 100.0 + h
            mean = actual + (offset if h % 2 else -offset)
            rows.append({"site": "A", "metric": "attendances", "model": model, "h": h,
                         "actual": actual, "mean": mean, "scale": 4.0,
                         "p10": mean - 5, "p50": mean, "p90": mean + 5,
                         "p2.5": mean - 9, "p97.5": mean + 9})
    return pd.DataFrame(rows)


def test_evaluate_against_hand_computed_values():
    out = evaluate(_backtest()).set_index("model")
    assert out.index.tolist() == ["good", "bad"]  # best (lowest pinball) first
    good, bad = out.loc["good"], out.loc["bad"]
    assert good["MAE"] == pytest.approx(1.0) and bad["MAE"] == pytest.approx(10.0)
    assert good["RMSE"] == pytest.approx(1.0)
    assert good["MASE"] == pytest.approx(0.25)
    assert good["bias"] == pytest.approx(0.0)
    mape = np.mean([1.0 / (100 + h) for h in range(1, 11)]) * 100
    assert good["MAPE"] == pytest.approx(mape)
    assert good["coverage_80"] == 1.0 and bad["coverage_80"] == 0.0
    assert bad["coverage_95"] == 0.0
    # bad: every actual 5 outside the 80 % interval of width 10 -> 10 + 2/0.2 * 5
    assert bad["winkler_80"] == pytest.approx(10 + 10 * 5)
    # pinball averaged over the quantile columns, each a loop
    loop = np.mean([np.mean([max(q * (a - p), (q - 1) * (a - p)) for a, p in
                             zip(_backtest().query("model == 'good'")["actual"],
                                 _backtest().query("model == 'good'")[c])])
                    for q, c in ((0.025, "p2.5"), (0.1, "p10"), (0.5, "p50"), (0.9, "p90"),
                                 (0.975, "p97.5"))])
    assert good["pinball"] == pytest.approx(loop)


def test_evaluate_by_horizon_splits_rows():
    out = evaluate(_backtest(), by_horizon=True)
    assert set(out["horizon"]) == {"1-7", "8-14"}
    assert out.groupby("model")["n"].sum().to_dict() == {"bad": 10, "good": 10}
    assert not math.isnan(out["MASE"].iloc[0])
