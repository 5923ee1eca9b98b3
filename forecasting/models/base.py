"""The one small interface every forecasting model implements, and helpers they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from ..calendar import DEFAULT_HOLIDAYS, calendar_features

__all__ = [
    "FitContext", "ForecastModel", "ModelFitError", "PERIOD_FREQ", "SEASON_LENGTH",
    "future_index", "quantiles_from_normal", "quantiles_from_samples", "recent_segment",
    "calendar_design", "enforce_quantile_order", "annual_curve", "HOLIDAY_TERMS", "WEEKDAYS",
    "level_shift", "remove_level_shift",
]

#: pandas frequency of each period length.
PERIOD_FREQ = {"hourly": "h", "daily": "D", "weekly": "W-MON", "monthly": "MS"}
#: The main seasonal cycle of each period length, in periods.
SEASON_LENGTH = {"hourly": 168, "daily": 7, "weekly": 52, "monthly": 12}


#: Plain-English names of the calendar regressors that carry holiday effects.
HOLIDAY_TERMS = {
    "bank_holiday": "Bank holiday",
    "day_before_holiday": "Day before a bank holiday",
    "day_after_holiday": "Day after a bank holiday",
    "christmas_day": "Christmas Day (beyond a bank holiday)",
    "boxing_day": "Boxing Day (beyond a bank holiday)",
    "festive_week": "27-31 December",
    "new_year": "1-2 January (beyond a bank holiday)",
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class ModelFitError(RuntimeError):
    """A model could not be fitted to this series (too short, failed to converge, ...)."""


@dataclass(frozen=True)
class FitContext:
    """What a model needs to know about a series besides its values.

    ``frequency`` is 'hourly', 'daily', 'weekly' or 'monthly'; ``holidays`` a code for the
    ``holidays`` package (default England) or a frame of dates; ``seed`` makes any
    simulation repeatable.
    """

    frequency: str = "daily"
    holidays: object = DEFAULT_HOLIDAYS
    seed: int = 0
    notes: list = field(default_factory=list, compare=False, hash=False)


class ForecastModel(ABC):
    """A forecasting model for one series.

    ``fit`` takes a float series on a complete, regular DatetimeIndex at the context's
    frequency, with NaN for missing or excluded periods; ``predict`` returns the next
    ``horizon`` periods with a ``mean`` column and one column per quantile level (floats,
    e.g. ``0.05``), quantiles non-decreasing and non-negative.
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    description: ClassVar[str] = ""
    frequencies: ClassVar[tuple[str, ...]] = ("hourly", "daily", "weekly", "monthly")
    #: Whether fits take seconds (kept out of ``auto`` candidates and the fast test run).
    slow: ClassVar[bool] = False

    def min_history(self, frequency: str) -> int:
        """Fewest non-missing periods the model needs (default: two seasonal cycles)."""
        return 2 * SEASON_LENGTH[frequency]

    @abstractmethod
    def fit(self, y: pd.Series, ctx: FitContext) -> "ForecastModel":
        """Fit to the history; raise ModelFitError when this series cannot be fitted."""

    @abstractmethod
    def predict(self, horizon: int, quantiles: Sequence[float]) -> pd.DataFrame:
        """Mean and quantiles for the next ``horizon`` periods after the history."""

    def components(self) -> dict[str, pd.DataFrame]:
        """The patterns the model found, as % effects: keys among 'weekly', 'annual', 'holidays'.

        'weekly': columns ``day`` (Monday..Sunday) and ``effect_pct``; 'annual': ``date`` (a
        reference year) and ``effect_pct``; 'holidays': ``holiday`` and ``effect_pct``.
        Models without interpretable patterns return an empty dict.
        """
        return {}


# --------------------------------------------------------------------------- helpers
def future_index(last: pd.Timestamp, horizon: int, frequency: str) -> pd.DatetimeIndex:
    """The ``horizon`` period starts after ``last``."""
    freq = PERIOD_FREQ[frequency]
    if frequency == "weekly":
        return pd.DatetimeIndex([last + pd.Timedelta(weeks=i) for i in range(1, horizon + 1)])
    return pd.date_range(last, periods=horizon + 1, freq=freq)[1:]


def quantiles_from_normal(mean: np.ndarray, sd: np.ndarray, quantiles: Sequence[float]) -> dict:
    """Normal quantiles per period, floored at zero (counts)."""
    return {q: np.maximum(mean + stats.norm.ppf(q) * sd, 0.0) for q in quantiles}


def quantiles_from_samples(samples: np.ndarray, quantiles: Sequence[float]) -> dict:
    """Quantiles per period from sample paths shaped (n_samples, horizon)."""
    qs = np.quantile(np.maximum(samples, 0.0), list(quantiles), axis=0)
    return {q: qs[i] for i, q in enumerate(quantiles)}


def enforce_quantile_order(frame: pd.DataFrame, quantiles: Sequence[float]) -> pd.DataFrame:
    """Make quantile columns non-negative and non-decreasing in the level (sorted per row)."""
    qs = sorted(quantiles)
    values = np.sort(np.maximum(frame[qs].to_numpy(dtype=float), 0.0), axis=1)
    out = frame.copy()
    out[qs] = values
    out["mean"] = np.maximum(out["mean"].to_numpy(dtype=float), 0.0)
    return out


def recent_segment(y: pd.Series, max_periods: int | None = None) -> pd.Series:
    """The latest stretch with no missing values (for models that cannot skip gaps).

    Short gaps (up to one seasonal cycle is the caller's choice) should be filled before
    calling; this returns everything after the last NaN, optionally capped in length.
    """
    missing = np.flatnonzero(y.isna().to_numpy())
    seg = y.iloc[missing[-1] + 1:] if len(missing) else y
    if max_periods is not None and len(seg) > max_periods:
        seg = seg.iloc[-max_periods:]
    return seg


def calendar_design(index: pd.DatetimeIndex, frequency: str, holidays=DEFAULT_HOLIDAYS, *,
                    fourier_order: int = 4, origin: pd.Timestamp | None = None,
                    trend: bool = True) -> pd.DataFrame:
    """Regressors for calendar models: trend, day of week (or hour x weekday), annual Fourier terms, holidays.

    Columns are stable for a given frequency and options, so a design built for the history
    and one built for the future line up. ``origin`` anchors the trend (years since origin).
    """
    idx = pd.DatetimeIndex(index)
    cols: dict[str, np.ndarray] = {"const": np.ones(len(idx))}
    origin = idx[0] if origin is None else origin
    if trend:
        cols["trend"] = ((idx - origin) / pd.Timedelta(days=365.25)).to_numpy(dtype=float)
    if frequency in ("daily", "hourly"):
        for d in range(1, 7):  # Monday is the base
            cols[f"dow_{d}"] = (idx.day_of_week == d).astype(float)
    if frequency == "hourly":
        for d in range(7):
            for h in range(24):
                if h == 0:
                    continue  # midnight is the base hour on each weekday
                cols[f"how_{d}_{h}"] = ((idx.day_of_week == d) & (idx.hour == h)).astype(float)
    doy = (idx.day_of_year.to_numpy() - 1 + idx.hour.to_numpy() / 24) / 365.25
    for k in range(1, fourier_order + 1):
        cols[f"sin_{k}"] = np.sin(2 * np.pi * k * doy)
        cols[f"cos_{k}"] = np.cos(2 * np.pi * k * doy)
    if frequency in ("daily", "hourly"):
        cal = calendar_features(idx.normalize(), holidays)
        cols["bank_holiday"] = cal["bank_holiday"].to_numpy(dtype=float)
        cols["day_after_holiday"] = (cal["day_after_holiday"] & ~cal["bank_holiday"]).to_numpy(dtype=float)
        cols["day_before_holiday"] = (cal["day_before_holiday"] & ~cal["bank_holiday"]).to_numpy(dtype=float)
        month, day = idx.month, idx.day
        cols["christmas_day"] = ((month == 12) & (day == 25)).astype(float)
        cols["boxing_day"] = ((month == 12) & (day == 26)).astype(float)
        cols["festive_week"] = ((month == 12) & (day >= 27)).astype(float)
        cols["new_year"] = ((month == 1) & (day <= 2)).astype(float)
    if frequency == "monthly":
        cols["log_days_in_month"] = np.log(idx.days_in_month.to_numpy(dtype=float))
    return pd.DataFrame(cols, index=idx)


def annual_curve(params, fourier_order: int) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """The annual Fourier terms of fitted coefficients, on log scale, over a reference year.

    ``params`` maps ``sin_k`` / ``cos_k`` (as built by :func:`calendar_design`) to coefficients.
    """
    ref = pd.date_range("2025-01-01", "2025-12-31", freq="D")
    doy = (ref.day_of_year.to_numpy() - 1) / 365.25
    curve = np.zeros(len(ref))
    for k in range(1, fourier_order + 1):
        curve += params.get(f"sin_{k}", 0.0) * np.sin(2 * np.pi * k * doy)
        curve += params.get(f"cos_{k}", 0.0) * np.cos(2 * np.pi * k * doy)
    return ref, curve


# --------------------------------------------------------------------------- level shifts
#: Fewest observed periods on each side of a level shift before it is looked for.
_SHIFT_MIN_SIDE = 4
#: BIC gain a level shift must bring: 10 is "very strong" evidence (Kass and Raftery, 1995).
_SHIFT_MIN_BIC = 10.0


def level_shift(y: pd.Series, frequency: str) -> tuple[pd.Timestamp, float] | None:
    """The one step change in level a monthly series most clearly shows, if it clearly shows one.

    Monthly NHS returns step when a provider merges, a unit is reclassified (type 1 or type 3)
    or a service opens or closes. Over two years a trend fitted through such a step reads it as
    growth and extrapolates it (a 45 % jump became a forecast of 100 % more a year later). The
    log count per day is regressed on a trend and two annual Fourier pairs, with and without a
    step at each possible month (at least four observed months either side); the best step is
    kept when it improves the BIC by at least ``_SHIFT_MIN_BIC``, counting its month and size as
    two parameters. Returns ``(first month at the new level, log size)`` or None. Only monthly
    series are checked: daily series have longer histories and calendar effects that a step
    search would confuse.
    """
    if frequency != "monthly":
        return None
    v = y.to_numpy(dtype=float)
    ok = np.isfinite(v) & (v > 0)
    idx = pd.DatetimeIndex(y.index)[ok]
    n = int(ok.sum())
    X = calendar_design(idx, "monthly", fourier_order=2, origin=idx[0] if n else None)
    if n < 2 * _SHIFT_MIN_SIDE + X.shape[1] + 2:
        return None
    z = np.log(v[ok]) - X.pop("log_days_in_month").to_numpy()
    X = X.to_numpy()

    def rss(design: np.ndarray) -> tuple[float, np.ndarray]:
        beta = np.linalg.lstsq(design, z, rcond=None)[0]
        r = z - design @ beta
        return float(r @ r), beta

    base, _ = rss(X)
    best = None
    for k in range(_SHIFT_MIN_SIDE, n - _SHIFT_MIN_SIDE + 1):
        step = (np.arange(n) >= k).astype(float)
        r, beta = rss(np.column_stack([X, step]))
        if best is None or r < best[0]:
            best = (r, k, float(beta[-1]))
    if best is None or best[0] <= 0 or base <= 0:
        return None
    p = X.shape[1]
    gain = (n * np.log(base / n) + p * np.log(n)) - (n * np.log(best[0] / n) + (p + 2) * np.log(n))
    if gain < _SHIFT_MIN_BIC:
        return None
    return pd.Timestamp(idx[best[1]]), best[2]


def remove_level_shift(y: pd.Series, frequency: str) -> tuple[pd.Series, str | None]:
    """The history with periods before a clear level shift rescaled to the new level, and a note.

    See :func:`level_shift`. The seasonal pattern is kept; the series is returned unchanged
    (note None) when no shift is found.
    """
    found = level_shift(y, frequency)
    if found is None:
        return y, None
    when, size = found
    out = y.copy()
    before = out.index < when
    out[before] = out[before] * np.exp(size)
    note = (f"Level shift of {100 * (np.exp(size) - 1):+.0f} % from {when:%b %Y}: earlier months "
            "rescaled to the new level before fitting.")
    return out, note
