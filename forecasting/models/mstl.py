"""MSTL: split the series into trend and seasonal cycles, forecast the trend, add the cycles back."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
# statsmodels 0.15: importing statsmodels.tsa.stl.mstl directly hits a circular import
from statsmodels.tsa.seasonal import MSTL

from . import register
from .base import WEEKDAYS, FitContext, ForecastModel, ModelFitError, enforce_quantile_order, future_index
from .ets import gap_free_history

__all__ = ["MSTLModel"]


# Per period length: history used, seasonal periods with their STL seasonal windows (wide
# windows = stable patterns, which backtested better), fewest gap-free periods accepted.
_SETTINGS = {
    "hourly": {"window": 8 * 168, "periods": {24: 101, 168: 15}, "min": 7 * 24},
    "daily": {"window": 3 * 365, "periods": {7: 101, 365: 15}, "min": 28},
    "weekly": {"window": 5 * 52, "periods": {52: 11}, "min": 2 * 52 + 1},
    "monthly": {"window": 8 * 12, "periods": {12: 11}, "min": 2 * 12 + 1},
}
#: Fourier terms used to smooth the daily annual component (STL's raw 365-day component
#: carries each past year's noise and weekday alignment).
_ANNUAL_FOURIER = 10


def _annual_basis(index: pd.DatetimeIndex, order: int = _ANNUAL_FOURIER) -> np.ndarray:
    doy = (index.day_of_year.to_numpy() - 1 + index.hour.to_numpy() / 24) / 365.25
    cols = [np.ones(len(index))]
    for k in range(1, order + 1):
        cols += [np.sin(2 * np.pi * k * doy), np.cos(2 * np.pi * k * doy)]
    return np.column_stack(cols)


@register
class MSTLModel(ForecastModel):
    """MSTL decomposition of log(1 + y) on the latest unbroken stretch (short gaps filled by
    seasonal interpolation): weekly and annual cycles for daily data (annual only with two
    years or more; at most three years are used, and the annual cycle is smoothed by Fourier
    terms), daily and weekly cycles for the last 8 weeks of hourly data, the yearly cycle for
    weekly and monthly data. The seasonally adjusted series is forecast by damped-trend
    exponential smoothing, whose exact interval also carries the remainder noise; each cycle is
    projected forward by repeating its last cycle (the annual one by day of year)."""

    name = "mstl"
    label = "MSTL decomposition + trend"
    # 0.4 s a fit on three years of days, against 0.01-0.06 s for the count regression, ETS and
    # ARIMA errors: refitted at every Accuracy origin it was most of that page's first run
    # (14 of about 20 s), and auto does not use it, so it is offered with the slow models
    slow = True
    description = ("Splits the history into trend, weekly and annual patterns (MSTL), forecasts "
                   "the trend by damped exponential smoothing and adds the patterns back.")

    def min_history(self, frequency: str) -> int:
        return _SETTINGS[frequency]["min"]

    def fit(self, y: pd.Series, ctx: FitContext) -> "MSTLModel":
        cfg = _SETTINGS[ctx.frequency]
        seg, skip = gap_free_history(y, ctx.frequency, cfg["window"], cfg["min"], self.label)
        index = pd.DatetimeIndex(seg.index)
        n = len(seg)
        periods = [p for p in sorted(cfg["periods"]) if n > 2 * p]
        if not periods:
            raise ModelFitError(f"{self.label} needs two full seasonal cycles of unbroken history.")
        windows = [cfg["periods"][p] for p in periods]
        # monthly counts as a daily rate, so short months do not look like a seasonal dip
        days = index.days_in_month.to_numpy(dtype=float) if ctx.frequency == "monthly" else 1.0
        z = np.log1p(seg.to_numpy(dtype=float) / days)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                dec = MSTL(z, periods=periods, windows=windows,
                           stl_kwargs={"seasonal_deg": 0}).fit()
                seasonal = np.asarray(dec.seasonal, dtype=float).reshape(n, len(periods)).copy()
                annual_coef = None
                if 365 in periods:
                    j = periods.index(365)
                    X = _annual_basis(index)
                    annual_coef, *_ = np.linalg.lstsq(X, seasonal[:, j], rcond=None)
                    seasonal[:, j] = X @ annual_coef
                adjusted = z - seasonal.sum(axis=1)
                res = ETSModel(pd.Series(adjusted), error="add", trend="add",
                               damped_trend=True).fit(disp=False)
            except (ValueError, np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError) as exc:
                raise ModelFitError(f"The MSTL decomposition or its trend model failed ({exc}).") from exc
        if not (np.all(np.isfinite(seasonal)) and np.isfinite(res.mse)
                and np.all(np.isfinite(np.asarray(res.params, dtype=float)))):
            raise ModelFitError("The MSTL trend model did not converge on this series.")
        self._res, self._n, self._skip = res, n, skip
        self._periods, self._annual_coef = periods, annual_coef
        # the last full cycle of each (non-annual) component, by position after the history
        self._cycles = {p: seasonal[-p:, j] for j, p in enumerate(periods) if p != 365}
        self._seg_index, self._monthly = index, ctx.frequency == "monthly"
        self._last, self._frequency = pd.Timestamp(y.index[-1]), ctx.frequency
        return self

    def _seasonal_forecast(self, horizon: int) -> np.ndarray:
        steps = np.arange(self._skip, self._skip + horizon)  # 0 = first period after the stretch
        total = np.zeros(horizon)
        for p, cycle in self._cycles.items():
            total += cycle[steps % p]
        if self._annual_coef is not None:
            fut = future_index(self._seg_index[-1], horizon + self._skip, self._frequency)[self._skip:]
            total += _annual_basis(fut) @ self._annual_coef
        return total

    def predict(self, horizon: int, quantiles: Sequence[float]) -> pd.DataFrame:
        index = future_index(self._last, horizon, self._frequency)
        steps = horizon + self._skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pred = self._res.get_prediction(start=self._n, end=self._n + steps - 1)
            mu = np.asarray(pred.predicted_mean, dtype=float)[self._skip:]
            var = np.asarray(pred.var_pred_mean, dtype=float)[self._skip:]
        sd = np.sqrt(np.clip(np.nan_to_num(var, nan=0.0), 0.0, None))
        mu = mu + self._seasonal_forecast(horizon)
        if not np.all(np.isfinite(mu)):
            raise ModelFitError("The MSTL model produced a non-finite forecast.")
        scale = index.days_in_month.to_numpy(dtype=float) if self._monthly else np.ones(horizon)
        out = {"mean": np.expm1(mu + sd ** 2 / 2) * scale}
        for q in quantiles:
            out[q] = np.expm1(mu + stats.norm.ppf(q) * sd) * scale
        return enforce_quantile_order(pd.DataFrame(out, index=index).fillna(0.0), quantiles)

    def components(self) -> dict[str, pd.DataFrame]:
        comps: dict[str, pd.DataFrame] = {}
        tail = self._seg_index
        weekly = None
        if 7 in self._cycles:
            days = tail[-7:].day_of_week
            weekly = pd.Series(self._cycles[7], index=days).sort_index().to_numpy()
        elif 168 in self._cycles:  # hourly: the weekly cycle averaged over each day
            days = tail[-168:].day_of_week
            weekly = pd.Series(self._cycles[168]).groupby(np.asarray(days)).mean().sort_index().to_numpy()
        if weekly is not None and len(weekly) == 7:
            comps["weekly"] = pd.DataFrame({"day": WEEKDAYS,
                                            "effect_pct": 100 * (np.exp(weekly - weekly.mean()) - 1)})
        ref = None
        if self._annual_coef is not None:
            ref = pd.date_range("2025-01-01", "2025-12-31", freq="D")
            annual = _annual_basis(ref) @ self._annual_coef
        elif 12 in self._cycles:
            cyc = pd.Series(self._cycles[12], index=tail[-12:].month).sort_index()
            ref = pd.date_range("2025-01-01", periods=12, freq="MS")
            annual = cyc.reindex(ref.month).to_numpy()
        elif 52 in self._cycles:
            cyc = pd.Series(self._cycles[52], index=tail[-52:].isocalendar().week.to_numpy())
            cyc = cyc.groupby(level=0).mean()
            ref = pd.date_range("2024-12-30", periods=52, freq="7D")  # ISO weeks 1..52 of 2025
            annual = cyc.reindex(ref.isocalendar().week.to_numpy()).fillna(cyc.mean()).to_numpy()
        if ref is not None:
            comps["annual"] = pd.DataFrame({"date": ref, "effect_pct": 100 * (np.exp(annual - annual.mean()) - 1)})
        return comps
