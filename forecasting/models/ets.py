"""Exponential smoothing (ETS): damped additive trend plus a seasonal cycle, fitted on the log scale."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from . import register
from .base import (WEEKDAYS, SEASON_LENGTH, FitContext, ForecastModel, ModelFitError, enforce_quantile_order,
                   future_index, recent_segment, remove_level_shift)

__all__ = ["ETS", "fill_short_gaps", "gap_free_history"]

_UNIT = {"hourly": "hours", "daily": "days", "weekly": "weeks", "monthly": "months"}

# Per period length: how much recent history to fit on, the seasonal period ETS uses (hourly
# data uses the daily cycle; the weekday level is taken out beforehand) and the fewest
# gap-free periods accepted.
_SETTINGS = {
    "hourly": {"window": 8 * 168, "period": 24, "min": 7 * 24},
    "daily": {"window": 3 * 365, "period": 7, "min": 28},
    "weekly": {"window": 5 * 52, "period": 52, "min": 26},
    "monthly": {"window": 8 * 12, "period": 12, "min": 24},
}


# --------------------------------------------------------------------------- shared helpers
def fill_short_gaps(y: pd.Series, lag: int, max_gap: int) -> pd.Series:
    """Fill runs of at most ``max_gap`` missing periods by seasonal interpolation.

    A missing period takes the mean of the observed values one cycle (``lag`` periods) before
    and after it; when neither is observed, straight-line interpolation between the run's
    neighbours. Longer runs, and a run at the very start, stay missing.
    """
    v = y.to_numpy(dtype=float, copy=True)
    gaps = np.isnan(v)
    if not gaps.any() or gaps.all():
        return pd.Series(v, index=y.index, name=y.name)
    pos = np.flatnonzero(gaps)
    cut = np.flatnonzero(np.diff(pos) > 1)
    starts, ends = np.r_[pos[0], pos[cut + 1]], np.r_[pos[cut], pos[-1]]
    short = np.zeros(len(v), dtype=bool)
    for s, e in zip(starts, ends):
        if e - s + 1 <= max_gap and s > 0:
            short[s:e + 1] = True
    if not short.any():
        return pd.Series(v, index=y.index, name=y.name)
    n = len(v)
    idx = np.flatnonzero(short)
    before = np.full(len(idx), np.nan)
    after = np.full(len(idx), np.nan)
    ok = idx - lag >= 0
    before[ok] = v[idx[ok] - lag]
    ok = idx + lag < n
    after[ok] = v[idx[ok] + lag]
    both = np.column_stack([before, after])
    have = ~np.isnan(both)
    fill = np.where(have.any(axis=1), np.nansum(both, axis=1) / np.maximum(have.sum(axis=1), 1), np.nan)
    out = v.copy()
    out[idx] = fill
    # anything still missing inside a short run: straight line between observed neighbours
    rest = short & np.isnan(out)
    if rest.any():
        line = pd.Series(v).interpolate(method="linear", limit_area="inside").to_numpy()
        out[rest] = line[rest]
    return pd.Series(out, index=y.index, name=y.name)


def gap_free_history(y: pd.Series, frequency: str, window: int, min_obs: int,
                     model_label: str) -> tuple[pd.Series, int]:
    """The latest gap-free stretch (short gaps filled, capped at ``window`` periods).

    Returns the stretch and how many periods at the end of ``y`` are missing and come after
    it (the forecast then starts that many steps later). Raises ModelFitError when the
    stretch is shorter than ``min_obs``.
    """
    m = SEASON_LENGTH[frequency]
    unit = _UNIT[frequency]
    values = pd.Series(y.to_numpy(dtype=float, copy=True), index=pd.DatetimeIndex(y.index))
    observed = np.flatnonzero(~np.isnan(values.to_numpy()))
    if len(observed) == 0:
        raise ModelFitError("The series has no observed values.")
    if np.nanmin(values.to_numpy()) < 0:
        values = values.clip(lower=0.0)  # counts cannot be negative
    skip = len(values) - 1 - observed[-1]
    filled = fill_short_gaps(values.iloc[: observed[-1] + 1], lag=m, max_gap=m)
    seg = recent_segment(filled, max_periods=window)
    if len(seg) < min_obs:
        raise ModelFitError(
            f"{model_label} needs at least {min_obs} {unit} of history without a long gap; "
            f"the latest unbroken stretch has {len(seg)}.")
    if not np.any(seg.to_numpy() > 0):
        raise ModelFitError("The series is all zeros over the recent history; there is nothing to model.")
    return seg, skip


def weekday_effect(z: np.ndarray, index: pd.DatetimeIndex) -> pd.Series:
    """Mean of ``z`` by day of week (0 = Monday) minus the overall mean of those means."""
    by_day = pd.Series(z).groupby(np.asarray(index.day_of_week)).mean().reindex(range(7))
    by_day = by_day.fillna(by_day.mean())
    return by_day - by_day.mean()


# --------------------------------------------------------------------------- the model
@register
class ETS(ForecastModel):
    """Exponential smoothing state space model (ETS with additive errors, damped additive trend
    and additive seasonality) on log(1 + y), so the weekly pattern and the noise are
    proportional to the level. Seasonal period 7 for daily data, 12 monthly, 52 weekly (none
    when there are fewer than two cycles); hourly data uses the last 8 weeks, a 24-hour cycle
    and a fixed day-of-week level taken out beforehand. Short gaps are filled by seasonal
    interpolation and the fit uses the latest unbroken stretch (at most 3 years of days).
    Quantiles are the model's exact forecast intervals on the log scale, transformed back.
    Monthly series are first checked for one clear level shift (base.level_shift), and months
    before it are rescaled to the new level."""

    name = "ets"
    label = "ETS (exponential smoothing)"
    description = ("Damped-trend exponential smoothing with a weekly cycle on the log scale; "
                   "adapts quickly to recent changes in level.")

    def min_history(self, frequency: str) -> int:
        return _SETTINGS[frequency]["min"]

    def fit(self, y: pd.Series, ctx: FitContext) -> "ETS":
        cfg = _SETTINGS[ctx.frequency]
        seg, skip = gap_free_history(y, ctx.frequency, cfg["window"], cfg["min"], self.label)
        seg, self.level_note = remove_level_shift(seg, ctx.frequency)  # monthly only
        index = pd.DatetimeIndex(seg.index)
        values = seg.to_numpy(dtype=float)
        days = index.days_in_month.to_numpy(dtype=float) if ctx.frequency == "monthly" else None
        z = np.log1p(values / days) if days is not None else np.log1p(values)
        dow = weekday_effect(z, index) if ctx.frequency == "hourly" else None
        if dow is not None:
            z = z - dow.to_numpy()[index.day_of_week]
        m = cfg["period"]
        n = len(z)
        seasonal = n >= max(2 * m, 10 + 2 * (m // 2))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                model = ETSModel(pd.Series(z), error="add", trend="add", damped_trend=True,
                                 seasonal="add" if seasonal else None,
                                 seasonal_periods=m if seasonal else None,
                                 initialization_method="heuristic")
                res = model.fit(disp=False)
            except (ValueError, np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError) as exc:
                raise ModelFitError(f"Exponential smoothing did not fit this series ({exc}).") from exc
        if not (np.all(np.isfinite(np.asarray(res.params, dtype=float))) and np.isfinite(res.mse)):
            raise ModelFitError("Exponential smoothing did not converge on this series.")
        self._res, self._n, self._skip, self._seasonal, self._m = res, n, skip, seasonal, m
        self._dow, self._monthly = dow, days is not None
        self._last, self._frequency = pd.Timestamp(y.index[-1]), ctx.frequency
        self._season = None
        if seasonal:
            season = np.asarray(res.season, dtype=float)[-m:]
            self._season = pd.Series(season, index=index[-m:])
        return self

    def _log_forecast(self, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        steps = horizon + self._skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # statsmodels 0.15: get_prediction needs pandas endog (ndarray endog fails)
            pred = self._res.get_prediction(start=self._n, end=self._n + steps - 1)
            mu = np.asarray(pred.predicted_mean, dtype=float)
            var = np.asarray(pred.var_pred_mean, dtype=float)
        sd = np.sqrt(np.clip(np.nan_to_num(var, nan=0.0), 0.0, None))
        return mu[self._skip:], sd[self._skip:]

    def predict(self, horizon: int, quantiles: Sequence[float]) -> pd.DataFrame:
        index = future_index(self._last, horizon, self._frequency)
        mu, sd = self._log_forecast(horizon)
        if self._dow is not None:
            mu = mu + self._dow.to_numpy()[index.day_of_week]
        scale = index.days_in_month.to_numpy(dtype=float) if self._monthly else np.ones(horizon)
        if not np.all(np.isfinite(mu)):
            raise ModelFitError("Exponential smoothing produced a non-finite forecast.")
        out = {"mean": np.expm1(mu + sd ** 2 / 2) * scale}
        for q in quantiles:
            out[q] = np.expm1(mu + stats.norm.ppf(q) * sd) * scale
        frame = pd.DataFrame(out, index=index)
        return enforce_quantile_order(frame.fillna(0.0), quantiles)

    def components(self) -> dict[str, pd.DataFrame]:
        if self._frequency == "daily" and self._season is not None:
            by_day = pd.Series(self._season.to_numpy(), index=self._season.index.day_of_week).sort_index()
            s = by_day.to_numpy() - by_day.mean()
            return {"weekly": pd.DataFrame({"day": WEEKDAYS, "effect_pct": 100 * (np.exp(s) - 1)})}
        if self._frequency == "hourly" and self._dow is not None:
            s = self._dow.to_numpy()
            return {"weekly": pd.DataFrame({"day": WEEKDAYS, "effect_pct": 100 * (np.exp(s) - 1)})}
        return {}
