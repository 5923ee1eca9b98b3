"""Count regression: negative binomial GLM on the calendar, with recency weights and a local level."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from . import register
from .base import (HOLIDAY_TERMS, SEASON_LENGTH, WEEKDAYS, FitContext, ForecastModel,
                   ModelFitError, annual_curve, calendar_design,
                   enforce_quantile_order, future_index, remove_level_shift)

__all__ = ["CountGLM"]

# Settings per period length: how much history, how fast old data fades, how many annual terms.
_SETTINGS = {
    "daily": {"window": 4 * 365, "half_life": 2 * 365, "fourier": 4, "level_span": 28},
    "hourly": {"window": 52 * 168, "half_life": 26 * 168, "fourier": 2, "level_span": 7 * 24},
    "weekly": {"window": 5 * 52, "half_life": 2 * 52, "fourier": 3, "level_span": 6},
    "monthly": {"window": 6 * 12, "half_life": 3 * 12, "fourier": 2, "level_span": 3},
}


# A forecast mean above this multiple of the highest observed value is refused as a runaway fit.
_RUNAWAY = 10.0


@register
class CountGLM(ForecastModel):
    """Negative binomial regression on day of week (hour x weekday for hourly data), annual
    Fourier terms, England bank holidays and the days either side, the festive fortnight and a
    trend; recent years weigh more; the latest weeks' departure from the model sets a local
    level that fades over the horizon. Quantiles are negative binomial, widened for the
    uncertainty of that level. Monthly series are first checked for one clear level shift
    (base.level_shift), and months before it are rescaled to the new level."""

    name = "count_glm"
    label = "Count regression (negative binomial)"
    description = ("Calendar regression with a negative binomial count distribution, recency "
                   "weighting and a local level: the published best performer for ED arrivals.")

    def min_history(self, frequency: str) -> int:
        return {"hourly": 2 * 168, "daily": 8 * 7, "weekly": 26, "monthly": 13}[frequency]

    def fit(self, y: pd.Series, ctx: FitContext) -> "CountGLM":
        cfg = _SETTINGS[ctx.frequency]
        y = y.iloc[-cfg["window"]:]
        y, self.level_note = remove_level_shift(y, ctx.frequency)  # monthly only
        # An annual cycle and a trend need years to pin down: on a few months of history they
        # extrapolate wildly (120 flat days gave means near 0 or in the thousands 90 days out).
        # Under about a year of observed data (0.9: the hourly window is 52 weeks): neither;
        # under about two: the two smoothest annual terms.
        observed = y.dropna().index
        years = (observed[-1] - observed[0]) / pd.Timedelta(days=365.25) if len(observed) else 0.0
        self._fourier = 0 if years < 0.9 else min(cfg["fourier"], 2) if years < 1.9 else cfg["fourier"]
        self._trend = years >= 0.9
        X = calendar_design(y.index, ctx.frequency, ctx.holidays, fourier_order=self._fourier,
                            origin=y.index[-1], trend=self._trend)
        offset = None
        if "log_days_in_month" in X:  # a month's count is proportional to its days
            offset = X.pop("log_days_in_month").to_numpy()
        ok = y.notna().to_numpy()
        if ok.sum() < self.min_history(ctx.frequency):
            raise ModelFitError(f"Count regression needs at least {self.min_history(ctx.frequency)} "
                                f"periods of history; this series has {int(ok.sum())}.")
        yv = y.to_numpy(dtype=float)[ok]
        if yv.sum() == 0:
            raise ModelFitError("The series is all zeros; there is nothing to model.")
        # only keep regressors that vary in the fitted rows (a holiday absent from a short
        # history cannot be estimated)
        Xf = X[ok]
        keep = [c for c in X.columns if c == "const" or Xf[c].std() > 0]
        if ok.sum() < 2 * len(keep):
            keep = [c for c in keep if not c.startswith(("sin_", "cos_"))] or ["const"]
        self._columns = keep
        Xf = Xf[keep].to_numpy()
        age = (len(y) - 1 - np.flatnonzero(ok)).astype(float)
        weights = 0.5 ** (age / cfg["half_life"])
        off = offset[ok] if offset is not None else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                pois = sm.GLM(yv, Xf, family=sm.families.Poisson(), offset=off,
                              var_weights=weights).fit(maxiter=100)
                mu = pois.fittedvalues
                alpha = float(np.clip(np.sum(weights * ((yv - mu) ** 2 - yv) / mu ** 2) / weights.sum(),
                                      1e-4, 5.0))
                nb = sm.GLM(yv, Xf, family=sm.families.NegativeBinomial(alpha=alpha), offset=off,
                            var_weights=weights).fit(start_params=pois.params, maxiter=100)
            except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
                raise ModelFitError(f"The count regression did not fit ({exc}).") from exc
        if not np.all(np.isfinite(nb.params)):
            raise ModelFitError("The count regression did not converge.")
        self._params = pd.Series(nb.params, index=keep)
        self._alpha = alpha
        mu = nb.fittedvalues
        # local level: the recent departure of actuals from the calendar model, in logs
        resid = pd.Series(np.log((yv + 0.5) / (mu + 0.5)), index=y.index[ok])
        span = cfg["level_span"]
        self._level = float(resid.ewm(span=span).mean().iloc[-1])
        lag = SEASON_LENGTH[ctx.frequency]
        r = resid.iloc[-max(8 * lag, 60):]
        ac = r.autocorr(lag=lag) if len(r) > lag + 2 else 0.0
        ac = 0.0 if not np.isfinite(ac) else ac
        self._phi = float(np.clip(max(ac, 0.0) ** (1.0 / lag), 0.8, 0.995))
        # spread of the slow-moving level: variance of cycle means beyond what noise explains
        blocks = r.groupby(np.arange(len(r)) // lag).mean()
        self._level_var = float(max(blocks.var() - r.var() / lag, 0.0)) if len(blocks) > 2 else 0.0
        self._frequency, self._holidays = ctx.frequency, ctx.holidays
        self._last, self._origin = y.index[-1], y.index[-1]
        self._ceiling = _RUNAWAY * float(yv.max())
        return self

    def _design(self, index: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray | None]:
        X = calendar_design(index, self._frequency, self._holidays, fourier_order=self._fourier,
                            origin=self._origin, trend=self._trend)
        offset = X.pop("log_days_in_month").to_numpy() if "log_days_in_month" in X else None
        return X[self._columns].to_numpy(), offset

    def predict(self, horizon: int, quantiles: Sequence[float]) -> pd.DataFrame:
        index = future_index(self._last, horizon, self._frequency)
        X, offset = self._design(index)
        eta = X @ self._params.to_numpy() + (0 if offset is None else offset)
        steps = np.arange(1, horizon + 1)
        decay = self._phi ** steps
        mean = np.exp(eta + self._level * decay)
        if not np.all(np.isfinite(mean)) or mean.max() > self._ceiling:
            # a fit that runs away (and would make the quantile search crawl): let the
            # fallback chain take over
            raise ModelFitError(f"The count regression's forecast runs away (up to {np.nanmax(mean):,.0f} "
                                f"against a highest observed {self._ceiling / _RUNAWAY:,.0f}).")
        # gamma mixing: the level's uncertainty grows towards its stationary spread
        alpha = self._alpha + self._level_var * (1 - decay ** 2) + 1e-9
        n = 1.0 / alpha
        p = n / (n + mean)
        out = {"mean": mean}
        for q in quantiles:
            out[q] = stats.nbinom.ppf(q, n, p).astype(float)
        return enforce_quantile_order(pd.DataFrame(out, index=index), quantiles)

    def components(self) -> dict[str, pd.DataFrame]:
        p = self._params
        comps: dict[str, pd.DataFrame] = {}
        if self._frequency in ("daily", "hourly"):
            dow = np.array([0.0] + [p.get(f"dow_{d}", 0.0) for d in range(1, 7)])
            if self._frequency == "hourly":
                # a weekday's effect is on its whole day: add up its 24 hours (midnight is the base)
                hours = np.array([[0.0] + [p.get(f"how_{d}_{h}", 0.0) for h in range(1, 24)]
                                  for d in range(7)])
                day_total = np.log(np.exp(dow[:, None] + hours).sum(axis=1))
                profile = np.exp(hours + dow[:, None]).mean(axis=0)
                comps["hourly"] = pd.DataFrame({"hour": np.arange(24),
                                                "effect_pct": 100 * (profile / profile.mean() - 1)})
                dow = day_total
            comps["weekly"] = pd.DataFrame({"day": WEEKDAYS,
                                            "effect_pct": 100 * (np.exp(dow - dow.mean()) - 1)})
        ref, annual = annual_curve(p, self._fourier)
        if np.any(annual):
            comps["annual"] = pd.DataFrame({"date": ref, "effect_pct": 100 * (np.exp(annual - annual.mean()) - 1)})
        hol = [(label, 100 * (np.exp(p[c]) - 1)) for c, label in HOLIDAY_TERMS.items() if c in p]
        if hol:
            comps["holidays"] = pd.DataFrame(hol, columns=["holiday", "effect_pct"])
        return comps
