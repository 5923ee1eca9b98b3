"""Level shifts in monthly series: found when clear, ignored otherwise, and not read as growth."""

from __future__ import annotations

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from forecasting.models import FitContext, get_model  # noqa: E402
from forecasting.models.base import level_shift, remove_level_shift  # noqa: E402

QUANTILES = (0.1, 0.5, 0.9)


def monthly(step: float = 0.0, at: int = 12, months: int = 24, seed: int = 1) -> pd.Series:
    """Monthly counts with a winter peak, 2 % noise and an optional step of ``step`` (log) at ``at``."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2016-04-01", periods=months, freq="MS")
    season = 0.06 * np.cos(2 * np.pi * (idx.month.to_numpy() - 1) / 12)
    level = np.where(np.arange(months) >= at, step, 0.0)
    per_day = 300 * np.exp(season + level + rng.normal(0, 0.02, months))
    return pd.Series(np.round(per_day * idx.days_in_month.to_numpy()), index=idx)


def test_a_clear_step_is_found_where_it_happened():
    when, size = level_shift(monthly(np.log(1.4), at=12), "monthly")
    assert when == pd.Timestamp("2017-04-01")
    assert size == pytest.approx(np.log(1.4), abs=0.05)


@pytest.mark.parametrize("seed", range(5))
def test_no_step_no_shift(seed):
    y = monthly(seed=seed)
    assert level_shift(y, "monthly") is None
    adjusted, note = remove_level_shift(y, "monthly")
    assert note is None and adjusted.equals(y)


def test_only_monthly_series_are_checked():
    y = monthly(np.log(1.4)).set_axis(pd.date_range("2025-01-01", periods=24, freq="D"))
    assert level_shift(y, "daily") is None


def test_earlier_months_are_rescaled_and_gaps_survive():
    y = monthly(np.log(1.4), at=12)
    y.iloc[3] = np.nan
    adjusted, note = remove_level_shift(y, "monthly")
    assert "Apr 2017" in note and "Level shift of +" in note
    assert np.isnan(adjusted.iloc[3])
    assert adjusted.iloc[12:].equals(y.iloc[12:])
    ratio = adjusted.iloc[:12].mean() / y.iloc[:12].mean()
    assert 1.3 < ratio < 1.5


@pytest.mark.parametrize("name", ["count_glm", "ets", "arima_errors"])
def test_a_step_is_not_extrapolated_as_growth(name):
    # a 40 % step a year ago: next year should stay near the new level, not add another 40 %
    y = monthly(np.log(1.4), at=12)
    fitted = get_model(name).fit(y, FitContext(frequency="monthly"))
    assert fitted.level_note is not None
    fc = fitted.predict(12, QUANTILES)
    new_level = y.iloc[12:].sum()
    assert 0.9 < fc["mean"].sum() / new_level < 1.1
