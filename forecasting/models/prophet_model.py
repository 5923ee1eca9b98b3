"""Prophet with England bank holidays (or another calendar) and the festive window."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..calendar import bank_holidays
from . import register
from .base import (WEEKDAYS, FitContext, ForecastModel, ModelFitError, enforce_quantile_order, future_index,
                   quantiles_from_samples)

__all__ = ["ProphetModel", "holiday_frame"]

# Prophet and cmdstanpy announce every fit at INFO; only warnings and errors get through.
# prophet.plot logs an ERROR at import when plotly is missing; the workbench never uses
# Prophet's plots, so that one is silenced altogether.
# cmdstanpy resets its logger to DEBUG with its own INFO handler on first use unless the logger
# already has a handler, hence the NullHandler.
for _name in ("cmdstanpy", "prophet"):
    logging.getLogger(_name).setLevel(logging.WARNING)
if not any(isinstance(h, logging.NullHandler) for h in logging.getLogger("cmdstanpy").handlers):
    logging.getLogger("cmdstanpy").addHandler(logging.NullHandler())
logging.getLogger("prophet.plot").setLevel(logging.CRITICAL)

#: Simulated paths per forecast, from which every quantile level is read.
N_SAMPLES = 1000
#: How far beyond the history the holiday table reaches (covers any horizon the product offers).
_HOLIDAY_YEARS_AHEAD = 3
#: Most history used, in periods (older data only slows the fit).
_WINDOW = {"hourly": 12 * 7 * 24, "daily": 6 * 366, "weekly": 8 * 52, "monthly": 10 * 12}
_FESTIVE = "Festive period (24 Dec - 1 Jan)"


def holiday_frame(start, end, holidays) -> pd.DataFrame:
    """Prophet's holiday table: each public holiday with the day either side, plus the festive window.

    Substitute days ('(observed)') count as the holiday itself. The festive window is one
    holiday whose single effect applies to every day from 24 December to 1 January.
    """
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    bh = bank_holidays(start - pd.Timedelta(days=1), end + pd.Timedelta(days=1), holidays)
    names = [re.sub(r"\s*\((observed|substitute day)\)\s*$", "", str(n), flags=re.I).strip() or "Holiday"
             for n in bh["name"]]
    public = pd.DataFrame({"holiday": names, "ds": pd.to_datetime(bh["date"]).to_numpy(),
                           "lower_window": -1, "upper_window": 1})
    days = pd.date_range(start, end, freq="D")
    festive_days = days[((days.month == 12) & (days.day >= 24)) | ((days.month == 1) & (days.day == 1))]
    festive = pd.DataFrame({"holiday": _FESTIVE, "ds": festive_days, "lower_window": 0,
                            "upper_window": 0})
    out = pd.concat([public, festive], ignore_index=True)
    out["ds"] = pd.to_datetime(out["ds"]).astype("datetime64[ns]")
    return out.sort_values(["ds", "holiday"], ignore_index=True)


@register
class ProphetModel(ForecastModel):
    """Meta's Prophet: a piecewise-linear trend plus weekly and yearly Fourier seasonality
    (and a daily cycle for hourly data), England bank holidays with the day before and after
    each, and the 24 December - 1 January window as one extra holiday. Missing and excluded
    periods are left out of the fit. Quantiles come from simulated future paths (trend
    changes and noise), so they are read directly at every level asked for."""

    name = "prophet"
    label = "Prophet (England holidays)"
    description = ("Meta's Prophet: flexible trend, weekly and yearly seasonality and bank "
                   "holidays; well known, slower to fit.")
    slow = True

    def min_history(self, frequency: str) -> int:
        return {"hourly": 2 * 168, "daily": 4 * 7, "weekly": 26, "monthly": 24}[frequency]

    def fit(self, y: pd.Series, ctx: FitContext) -> "ProphetModel":
        freq = ctx.frequency
        if freq not in _WINDOW:
            raise ModelFitError(f"Prophet does not handle {freq} data.")
        self._frequency, self._seed, self._last = freq, int(ctx.seed), y.index[-1]
        y = y.astype(float).iloc[-_WINDOW[freq]:]
        hist = pd.DataFrame({"ds": pd.DatetimeIndex(y.index).astype("datetime64[ns]"),
                             "y": y.to_numpy(dtype=float)}).dropna(subset=["y"])
        # monthly counts are modelled per day of the month (February is short, not quiet):
        # on the sample this took the 12-month MASE from 0.83 to 0.61
        hist["y"] = hist["y"] / self._per(pd.DatetimeIndex(hist["ds"]))
        need = self.min_history(freq)
        if len(hist) < need:
            raise ModelFitError(f"Prophet needs at least {need} periods of history; this series "
                                f"has {len(hist)}.")
        if (hist["y"] < 0).any():
            raise ModelFitError("Prophet here needs counts of zero or more.")
        span_days = (hist["ds"].iloc[-1] - hist["ds"].iloc[0]) / pd.Timedelta(days=1)
        sub_daily = freq == "hourly"
        yearly = bool(span_days >= 2 * 365)
        if yearly and freq == "monthly":
            # Prophet's default 10 annual Fourier pairs on 12 points a year overfit badly
            # (12-month MASE 0.97 and 36 % of months inside the 80 % interval on the sample)
            yearly = 4
        kwargs = dict(
            growth="linear",
            yearly_seasonality=yearly,
            weekly_seasonality=bool(freq in ("daily", "hourly") and span_days >= 14),
            daily_seasonality=bool(sub_daily and span_days >= 2),
            uncertainty_samples=N_SAMPLES,
        )
        if freq in ("daily", "hourly"):
            horizon_end = self._last + pd.DateOffset(years=_HOLIDAY_YEARS_AHEAD)
            try:
                kwargs["holidays"] = holiday_frame(hist["ds"].iloc[0], horizon_end, ctx.holidays)
            except ValueError as exc:
                raise ModelFitError(str(exc)) from exc
        self._holiday_table = kwargs.get("holidays")
        self._first = hist["ds"].iloc[0]
        try:
            from prophet import Prophet
        except ImportError as exc:  # pragma: no cover - installed with the workbench
            raise ModelFitError("Prophet is not installed.") from exc
        model = Prophet(**kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                model.fit(hist, seed=self._seed)
            except Exception as exc:  # Stan failures surface as RuntimeError, bad input as ValueError
                raise ModelFitError(f"Prophet did not fit ({type(exc).__name__}: {exc}).") from exc
        params = model.params
        if not all(np.all(np.isfinite(np.asarray(v, dtype=float))) for v in params.values()):
            raise ModelFitError("Prophet did not converge.")
        self._model = model
        return self

    def _per(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Divisor turning a period's count into the modelled quantity (days in month if monthly)."""
        if self._frequency == "monthly":
            return pd.DatetimeIndex(index).days_in_month.to_numpy(dtype=float)
        return np.ones(len(index))

    def _frame(self, index: pd.DatetimeIndex) -> pd.DataFrame:
        return pd.DataFrame({"ds": pd.DatetimeIndex(index).astype("datetime64[ns]")})

    def _point(self, index: pd.DatetimeIndex) -> pd.DataFrame:
        """Prophet's deterministic forecast and components (no simulation)."""
        m = self._model
        saved, m.uncertainty_samples = m.uncertainty_samples, 0
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return m.predict(self._frame(index))
        finally:
            m.uncertainty_samples = saved

    def predict(self, horizon: int, quantiles: Sequence[float]) -> pd.DataFrame:
        index = future_index(self._last, horizon, self._frequency)
        point = self._point(index)
        # Prophet draws from numpy's global generator: seed it for repeatable paths and put
        # the caller's generator state back afterwards
        state = np.random.get_state()
        np.random.seed(self._seed % (2 ** 32))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                samples = self._model.predictive_samples(self._frame(index))["yhat"]
        except Exception as exc:
            raise ModelFitError(f"Prophet could not simulate the forecast ({exc}).") from exc
        finally:
            np.random.set_state(state)
        per = self._per(index)
        paths = np.asarray(samples, dtype=float).T * per  # (n_samples, horizon)
        mean = point["yhat"].to_numpy(dtype=float) * per
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(paths))):
            raise ModelFitError("Prophet produced missing or infinite values.")
        out = {"mean": mean}
        out.update(quantiles_from_samples(paths, quantiles))
        return enforce_quantile_order(pd.DataFrame(out, index=index), quantiles)

    def components(self) -> dict[str, pd.DataFrame]:
        m = getattr(self, "_model", None)
        if m is None:
            return {}
        # additive effects in counts per period, as % of the trend level at the forecast origin
        level = float(self._point(pd.DatetimeIndex([self._last]))["trend"].iloc[0])
        if not np.isfinite(level) or level <= 0:
            return {}
        comps: dict[str, pd.DataFrame] = {}
        if "weekly" in m.seasonalities:
            step = "h" if self._frequency == "hourly" else "D"
            ref = pd.date_range("2025-01-06", periods=7 * (24 if step == "h" else 1), freq=step)
            weekly = self._point(ref)["weekly"].to_numpy(dtype=float)
            per_day = pd.Series(weekly).groupby(ref.day_of_week).mean().to_numpy()
            comps["weekly"] = pd.DataFrame({"day": WEEKDAYS, "effect_pct": 100 * per_day / level})
        if "yearly" in m.seasonalities:
            if self._frequency in ("monthly", "weekly"):
                ref = pd.date_range("2025-01-01", "2025-12-31",
                                    freq="MS" if self._frequency == "monthly" else "7D")
            else:
                ref = pd.date_range("2025-01-01", "2025-12-31", freq="D")
            yearly = self._point(ref)["yearly"].to_numpy(dtype=float)
            comps["annual"] = pd.DataFrame({"date": ref, "effect_pct": 100 * yearly / level})
        names = list(m.train_holiday_names) if m.train_holiday_names is not None else []
        if names and self._holiday_table is not None:
            table = self._holiday_table
            # holidays seen in the history (one only in the future has no estimated effect)
            seen = table[table["holiday"].isin(names) & (table["ds"] >= self._first)
                         & (table["ds"] <= self._last)]
            first = seen.groupby("holiday", sort=False)["ds"].first()
            point = self._point(pd.DatetimeIndex(first.to_numpy())) if len(first) else None
            rows = [(name, 100 * float(point[name].iloc[i]) / level)
                    for i, name in enumerate(first.index) if name in point]
            if rows:
                comps["holidays"] = pd.DataFrame(rows, columns=["holiday", "effect_pct"])
        return comps
