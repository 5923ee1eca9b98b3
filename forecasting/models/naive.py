"""Seasonal naive: next period = the same period one cycle earlier; the benchmark every table shows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import register
from .base import SEASON_LENGTH, FitContext, ForecastModel, ModelFitError, future_index

__all__ = ["SeasonalNaive"]


@register
class SeasonalNaive(ForecastModel):
    """Repeat the last full cycle (last week for daily data, same hour last week for hourly,
    same month last year for monthly); intervals from the spread of past cycle-on-cycle changes,
    growing with the square root of the number of cycles ahead."""

    name = "seasonal_naive"
    label = "Seasonal naive"
    description = "Same period last cycle (last week for daily data); the benchmark."

    def min_history(self, frequency: str) -> int:
        return SEASON_LENGTH[frequency] + 1

    def fit(self, y: pd.Series, ctx: FitContext) -> "SeasonalNaive":
        m = SEASON_LENGTH[ctx.frequency]
        values = y.to_numpy(dtype=float)
        last = values[-m:].copy()
        # fill a missing period in the last cycle from the cycles before it
        for back in range(2, len(values) // m + 1):
            gaps = np.isnan(last)
            if not gaps.any():
                break
            last[gaps] = values[-back * m: len(values) - (back - 1) * m][gaps]
        if np.isnan(last).any() or len(values) < m:
            raise ModelFitError("Not enough recent history to repeat a full cycle.")
        diffs = values[m:] - values[:-m]
        diffs = diffs[~np.isnan(diffs)][-5 * 365:]  # recent behaviour, at most ~5 years of days
        if len(diffs) < 2:
            raise ModelFitError("Too little history to estimate the spread of a seasonal naive forecast.")
        self._cycle, self._m, self._diffs = last, m, diffs - diffs.mean()
        self._last, self._frequency = y.index[-1], ctx.frequency
        return self

    def predict(self, horizon: int, quantiles: Sequence[float]) -> pd.DataFrame:
        steps = np.arange(horizon)
        mean = self._cycle[steps % self._m]
        cycles_ahead = steps // self._m + 1
        out = {"mean": mean}
        for q in quantiles:
            out[q] = np.maximum(mean + np.quantile(self._diffs, q) * np.sqrt(cycles_ahead), 0.0)
        return pd.DataFrame(out, index=future_index(self._last, horizon, self._frequency))
