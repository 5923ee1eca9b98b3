"""Recent average: the last resort when a series is too short or too odd for any other model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from . import register
from .base import SEASON_LENGTH, FitContext, ForecastModel, ModelFitError, enforce_quantile_order, future_index

__all__ = ["RecentLevel"]


@register
class RecentLevel(ForecastModel):
    """The average of the latest few cycles, flat over the horizon, with negative binomial
    spread matched to the recent variance. Needs a single observation; ignores patterns."""

    name = "recent_level"
    label = "Recent average"
    description = "Flat at the recent average; used when nothing better can be fitted."

    def min_history(self, frequency: str) -> int:
        return 1

    def fit(self, y: pd.Series, ctx: FitContext) -> "RecentLevel":
        recent = y.dropna().iloc[-4 * SEASON_LENGTH[ctx.frequency]:]
        if recent.empty:
            raise ModelFitError("The series has no observed values.")
        self._mean = float(max(recent.mean(), 0.0))
        var = float(recent.var()) if len(recent) > 1 else self._mean
        # negative binomial dispersion from the recent variance (Poisson when not overdispersed)
        self._alpha = max((var - self._mean) / self._mean ** 2, 1e-6) if self._mean > 0 else 1e-6
        self._last, self._frequency = y.index[-1], ctx.frequency
        return self

    def predict(self, horizon: int, quantiles: Sequence[float]) -> pd.DataFrame:
        index = future_index(self._last, horizon, self._frequency)
        mean = np.full(horizon, self._mean)
        out = {"mean": mean}
        for q in quantiles:
            if self._mean == 0:
                out[q] = np.zeros(horizon)
                continue
            n = 1.0 / self._alpha
            out[q] = np.full(horizon, float(stats.nbinom.ppf(q, n, n / (n + self._mean))))
        return enforce_quantile_order(pd.DataFrame(out, index=index), quantiles)
