"""forecast() and backtest(): per-series model choice, fallbacks, calibrated quantiles, parallel fits."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .calendar import DEFAULT_HOLIDAYS, bank_holidays, exclusion_mask
from .engine import run_tasks
from .metrics import pinball_loss
from .models import REGISTRY, FitContext, ModelFitError, get_model
from .models.base import PERIOD_FREQ, SEASON_LENGTH
from .schema import infer_frequency

__all__ = ["DEFAULT_QUANTILES", "AUTO_CANDIDATES", "FALLBACK_CHAIN", "quantile_name",
           "prepare_series", "forecast", "backtest", "SeriesForecast"]

#: Quantile levels returned by default: the 50, 80, 90 and 95 % central intervals and the median.
DEFAULT_QUANTILES = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975)
#: Models ``auto`` compares on a rolling-origin backtest of each series (fast ones only).
AUTO_CANDIDATES = ("count_glm", "arima_errors", "ets", "seasonal_naive")
#: What to try, in order, when the asked-for model cannot fit a series.
FALLBACK_CHAIN = ("count_glm", "seasonal_naive", "recent_level")

# auto's own backtest: steps ahead scored, number of origins and their spacing, per period length
_AUTO_BACKTEST = {"daily": (28, 5, 7), "hourly": (48, 4, 24), "weekly": (8, 4, 2), "monthly": (6, 6, 1)}
# Intervals are only ever widened: narrowing on a few weeks of backtest cut 80 % coverage to
# 73-78 % on the sample (benchmarks/forecast_accuracy.md), widening alone kept it at 79-82 %.
_SCALE_GRID = np.round(np.arange(1.0, 3.01, 0.05), 2)
# Another option must beat the default candidate's backtest pinball loss by this much to be
# chosen: five short backtests are noisy, and switching on noise cost accuracy on the sample.
_SWITCH_MARGIN = 0.03
# Calibrated interval width grows at least like (steps ahead)^power: 0.5 is a random-walk
# level. Monthly series only (see _growth).
_GROWTH = {"monthly": 0.5}


def quantile_name(level: float) -> str:
    """0.05 -> 'p5', 0.025 -> 'p2.5' (the forecast contract's column names)."""
    return "p" + f"{100 * level:.3f}".rstrip("0").rstrip(".")


def _series_seed(seed: int, site: str, metric: str) -> int:
    """A seed per series, stable across runs and worker counts."""
    return (int(seed) + zlib.crc32(f"{site}|{metric}".encode())) % (2 ** 31)


def prepare_series(history: pd.DataFrame, exclude=()) -> dict[tuple[str, str], tuple[pd.Series, str]]:
    """Each (site, metric) as a float series on its complete regular grid; gaps and excluded periods NaN."""
    out = {}
    for (site, metric), part in history.groupby(["site", "metric"], sort=True):
        s = part.set_index("date")["value"].astype(float).sort_index()
        freq = infer_frequency(s.index)
        if freq == "monthly":  # a month is labelled by its first day, whatever day the file used
            s.index = s.index.to_period("M").start_time
        if freq == "irregular":
            raise ValueError(f"{site} / {metric}: dates are not evenly spaced; cannot forecast.")
        grid = pd.date_range(s.index[0], s.index[-1], freq=PERIOD_FREQ[freq]) if freq != "weekly" \
            else pd.date_range(s.index[0], s.index[-1], freq="7D")
        y = s.reindex(grid)
        if exclude:
            y[exclusion_mask(y.index, exclude, period=freq).to_numpy()] = np.nan
        out[(site, metric)] = (y, freq)
    return out


@dataclass
class SeriesForecast:
    """One series' forecast and the story of how it was made."""

    frame: pd.DataFrame
    model: str
    reason: str
    interval_scale: float = 1.0
    notes: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    picked: str = ""  # the option auto chose on its backtest (a key of ``scores``)


def _fit_predict(name: str, y: pd.Series, ctx: FitContext, horizon: int,
                 quantiles: Sequence[float]) -> pd.DataFrame:
    model = get_model(name)
    if ctx.frequency not in model.frequencies:
        raise ModelFitError(f"{model.label} does not handle {ctx.frequency} data.")
    observed = int(y.notna().sum())
    if observed < model.min_history(ctx.frequency):
        raise ModelFitError(f"{model.label} needs {model.min_history(ctx.frequency)} periods of "
                            f"history; there are {observed}.")
    fitted = model.fit(y, ctx)
    frame = fitted.predict(horizon, quantiles)
    if not np.isfinite(frame.to_numpy(dtype=float)).all():
        raise ModelFitError(f"{model.label} produced missing or infinite values.")
    frame.attrs["level_note"] = getattr(fitted, "level_note", None)  # see models.base.level_shift
    return frame


def _level_notes(frames) -> str:
    """The level shifts the fitted models adjusted for, once each, as a sentence or ''."""
    notes = dict.fromkeys(f.attrs.get("level_note") for f in frames)
    return " ".join(n for n in notes if n)


def _fit_with_fallback(name: str, y, ctx, horizon, quantiles) -> tuple[pd.DataFrame, str, list[str]]:
    notes = []
    for candidate in [name] + [n for n in FALLBACK_CHAIN if n != name]:
        try:
            return _fit_predict(candidate, y, ctx, horizon, quantiles), candidate, notes
        except (ModelFitError, ValueError, np.linalg.LinAlgError) as exc:
            notes.append(f"{REGISTRY[candidate].label}: {exc}")
    raise ModelFitError("No model could forecast this series: " + "; ".join(notes))


def _cutoffs(y: pd.Series, horizon: int, n_origins: int, step: int) -> list[int]:
    """Positions of the last observation each backtest origin may use, latest last.

    Counted back from the last observed value, so that a series whose latest periods are
    excluded or missing (an IT outage) is still scored on actuals.
    """
    observed = np.flatnonzero(y.notna().to_numpy())
    last = (observed[-1] if len(observed) else len(y) - 1) - horizon
    return sorted(p for p in (last - i * step for i in range(n_origins)) if p > 0)


def _scale(y: pd.Series, m: int) -> float:
    """In-sample mean absolute seasonal-naive error (the MASE denominator)."""
    d = np.abs(y.to_numpy(float)[m:] - y.to_numpy(float)[:-m])
    d = d[~np.isnan(d)]
    return float(d.mean()) if len(d) else np.nan


def _backtest_series(y, ctx, names, horizon, quantiles, cutoffs, keep_failures=False) -> pd.DataFrame:
    """Forecasts from each origin for each model, joined to the actuals (the backtest contract)."""
    m = SEASON_LENGTH[ctx.frequency]
    parts = []
    for pos in cutoffs:
        train = y.iloc[: pos + 1]
        actual = y.iloc[pos + 1: pos + 1 + horizon]
        scale = _scale(train, m)
        for name in names:
            try:
                if name == "auto":
                    got = _forecast_auto(train, ctx, horizon, quantiles)
                    frame, used = got.frame, got.model
                else:
                    frame, used = _fit_predict(name, train, ctx, horizon, quantiles), name
            except (ModelFitError, ValueError, np.linalg.LinAlgError):
                continue
            frame = frame.iloc[: len(actual)].copy()
            frame["actual"] = actual.to_numpy()
            frame["h"] = np.arange(1, len(frame) + 1)
            frame["cutoff"] = train.index[-1]
            frame["model"] = name
            frame["model_used"] = used
            frame["scale"] = scale
            parts.append(frame.rename_axis("date").reset_index())
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _pinball(frame: pd.DataFrame, quantiles) -> float:
    ok = frame["actual"].notna()
    return float(np.mean([pinball_loss(frame.loc[ok, "actual"], frame.loc[ok, q], q).mean()
                          for q in quantiles]))


def _combine(frames: list[pd.DataFrame], quantiles) -> pd.DataFrame:
    """Average of forecasts, quantile by quantile (quantile averaging)."""
    cols = ["mean"] + list(quantiles)
    out = frames[0].copy()
    out[cols] = np.mean([f[cols].to_numpy(float) for f in frames], axis=0)
    return out


def _interval_scale(bt: pd.DataFrame, quantiles, shape=None) -> float:
    """Factor (>= 1) on each quantile's distance from the median that makes backtest coverage honest.

    Chooses the factor whose 80 % and 95 % (or widest available) interval coverage on the
    backtest is closest to nominal; 1.0 when the intervals already cover or the backtest is
    too small to say.
    """
    qs = sorted(quantiles)
    pairs = [(lo, hi) for lo, hi in ((0.1, 0.9), (0.025, 0.975), (0.05, 0.95)) if lo in qs and hi in qs]
    data = bt.dropna(subset=["actual"])
    if not pairs or len(data) < 12 or 0.5 not in qs:
        return 1.0
    a, med = data["actual"].to_numpy(float), data[0.5].to_numpy(float)
    g = np.ones(len(bt)) if shape is None else np.asarray(shape, dtype=float)
    g = g[bt["actual"].notna().to_numpy()]
    best, best_err = 1.0, np.inf
    for s in _SCALE_GRID:
        err = 0.0
        for lo, hi in pairs[:2]:
            lower = med + s * g * (data[lo].to_numpy(float) - med)
            upper = med + s * g * (data[hi].to_numpy(float) - med)
            err += abs(np.mean((a >= np.floor(lower)) & (a <= np.ceil(upper))) - (hi - lo))
        if err < best_err - 1e-9:
            best, best_err = float(s), err
    return best


def _growth(frame: pd.DataFrame, frequency: str) -> np.ndarray:
    """Per-step shape of the widening: 1 everywhere, or for monthly series a random-walk floor.

    For monthly series the interval width at step h is held to at least the width one step
    ahead times sqrt(h): the error of a drifting level (growth, a hard winter, a service
    change) grows like that, and a monthly total counts thousands of patients, so its
    period-to-period noise is small next to the drift. The models' own monthly intervals grow
    far more slowly: on NHS England returns (fitted on two years, 130 providers) the count
    regression's errors 10-12 months ahead were 2.5 times those 1-3 months ahead relative to its
    own interval, and its 80 % coverage fell from 53-61 % to 21-31 %. Two years of
    history leave no room to check 12-month intervals on a backtest, so the shape is assumed and
    only its size (the factor from :func:`_interval_scale`) is fitted. Daily and hourly counts
    are dominated by day-to-day noise that does not grow with the horizon: shape 1. ``frame``
    holds one forecast, one row per step, steps 1, 2, ... in order.
    """
    power = _GROWTH.get(frequency)
    n = len(frame)
    if power is None or n < 2 or not {0.1, 0.9} <= set(frame.columns):
        return np.ones(n)
    width = (frame[0.9] - frame[0.1]).to_numpy(float)
    if width[0] <= 0:
        return np.ones(n)
    want = width[0] * np.arange(1, n + 1) ** power
    with np.errstate(divide="ignore", invalid="ignore"):
        shape = np.where(width > 0, want / width, 1.0)
    return np.maximum(shape, 1.0)


def _backtest_growth(bt: pd.DataFrame, frequency: str) -> np.ndarray:
    """:func:`_growth` of each backtest forecast (one per cutoff), aligned with ``bt``'s rows."""
    shape = np.ones(len(bt))
    if frequency not in _GROWTH:
        return shape
    pos = {i: k for k, i in enumerate(bt.index)}
    for _, g in bt.groupby("cutoff", sort=False):
        g = g.sort_values("h")
        shape[[pos[i] for i in g.index]] = _growth(g, frequency)
    return shape


def _apply_scale(frame: pd.DataFrame, s, quantiles) -> pd.DataFrame:
    """Widen every quantile's distance from the median by ``s`` (a number, or one per step)."""
    s = np.broadcast_to(np.asarray(s, dtype=float), (len(frame),))
    if np.all(s == 1.0) or 0.5 not in quantiles:
        return frame
    out = frame.copy()
    med = frame[0.5].to_numpy(float)
    for q in quantiles:
        out[q] = np.maximum(med + s * (frame[q].to_numpy(float) - med), 0.0)
    qs = sorted(quantiles)
    out[qs] = np.sort(out[qs].to_numpy(float), axis=1)
    return out


def _forecast_auto(y, ctx, horizon, quantiles) -> SeriesForecast:
    bt_h, n_origins, step = _AUTO_BACKTEST[ctx.frequency]
    bt_h = min(bt_h, horizon)
    candidates = [n for n in AUTO_CANDIDATES if n in REGISTRY]
    bt = _backtest_series(y, ctx, candidates, bt_h, quantiles, _cutoffs(y, bt_h, n_origins, step))
    if bt.empty:
        frame, used, notes = _fit_with_fallback("count_glm", y, ctx, horizon, quantiles)
        return SeriesForecast(frame, used, "auto: the history is too short to compare models "
                              f"on a backtest, so {REGISTRY[used].label} was used.", notes=notes)
    # compare on the origins and steps every candidate forecast
    counts = bt.groupby("model").size()
    complete = counts[counts == counts.max()].index.tolist()
    bt = bt[bt["model"].isin(complete)]
    scores = {n: _pinball(g, quantiles) for n, g in bt.groupby("model")}
    scores = {n: v for n, v in scores.items() if np.isfinite(v)}  # no actual to score: no say
    if not scores:
        frame, used, notes = _fit_with_fallback("count_glm", y, ctx, horizon, quantiles)
        return SeriesForecast(frame, used, "auto: no actual fell within the backtests to compare "
                              f"models on, so {REGISTRY[used].label} was used.", notes=notes)
    ranked = sorted(scores, key=scores.get)
    options = {n: [n] for n in ranked}
    if len(ranked) >= 2 and "seasonal_naive" not in ranked[:2]:
        top = ranked[:2]
        combo = _combine([bt[bt.model == n].reset_index(drop=True) for n in top], quantiles)
        scores["+".join(top)] = _pinball(combo, quantiles)
        options["+".join(top)] = top
    default = next(n for n in candidates if n in scores)  # the published best performer first
    best = min(scores, key=scores.get)
    pick = best if scores[best] < (1 - _SWITCH_MARGIN) * scores[default] else default
    members = options[pick]
    frames, notes = [], []
    made_by = []  # what made each member's forecast: the member, or its fallback
    for member in members:
        f, used, n = _fit_with_fallback(member, y, ctx, horizon, quantiles)
        frames.append(f)
        notes += n
        made_by.append(used)
    fell_back = made_by != members
    joined = []
    if pick != "seasonal_naive":
        # candidates the history is too short to refit at any of the backtest's origins (ETS and
        # ARIMA errors need two years of months) but that fit the whole history join the pick
        for name in (n for n in candidates if n not in counts.index and n != "seasonal_naive"):
            try:
                frames.append(_fit_predict(name, y, ctx, horizon, quantiles))
                joined.append(name)
            except (ModelFitError, ValueError, np.linalg.LinAlgError):
                continue
    frame = frames[0] if len(frames) == 1 else _combine(frames, quantiles)
    # the joined models cannot be backtested, so the pick's backtest sizes the combination's
    # intervals; their own intervals were about as narrow as the pick's (80 % coverage 42-46 %
    # for each of count regression, ETS and ARIMA errors on the NHS England returns)
    pick_bt = (bt[bt.model == members[0]].reset_index(drop=True) if len(members) == 1
               else _combine([bt[bt.model == n].reset_index(drop=True) for n in members], quantiles))
    s = _interval_scale(pick_bt, quantiles, _backtest_growth(pick_bt, ctx.frequency))
    labels = " + ".join(REGISTRY[n].label for n in members + joined)
    shown = "; ".join(f"{' + '.join(REGISTRY[m].label for m in options[n])} {scores[n]:.2f}"
                      for n in sorted(scores, key=scores.get))
    why = ("lowest mean pinball loss" if pick == best else
           f"no other option beat it by {_SWITCH_MARGIN:.0%} on mean pinball loss")
    reason = (f"auto chose {labels}{' (quantile average)' if len(members + joined) > 1 else ''}: "
              f"{why} over {bt['cutoff'].nunique()} backtests of {bt_h} periods ({shown}).")
    if joined:
        reason += (f" {', '.join(REGISTRY[n].label for n in joined)}: too little history to "
                   "backtest, averaged in because combinations of different models are usually "
                   "more accurate than any one.")
    name = "+".join(dict.fromkeys(made_by + joined))
    if fell_back:
        reason += (f" It could not be fitted on the whole history, so "
                   f"{' + '.join(REGISTRY[n].label for n in dict.fromkeys(made_by))} made the forecast.")
    if _level_notes(frames):
        reason += " " + _level_notes(frames)
    factors = s * _growth(frame, ctx.frequency)
    if factors[-1] > s + 1e-9:
        reason += (" Interval width grows with the square root of the steps ahead, as a drifting "
                   f"level's errors do (x{factors[-1]:.2f} at {len(factors)} periods).")
    # the backtest scores describe the forecast only when the pick itself made it
    return SeriesForecast(_apply_scale(frame, factors, quantiles), name, reason, s, notes, scores,
                          "" if fell_back else pick)


def _forecast_series(task: dict) -> SeriesForecast:
    y, ctx, horizon, quantiles = task["y"], task["ctx"], task["horizon"], task["quantiles"]
    observed = y.dropna()
    if len(observed) and (observed == 0).all():
        frame = _fit_predict("recent_level", y, ctx, horizon, quantiles)
        return SeriesForecast(frame, "recent_level", "Every value in the history is zero, so the "
                              "forecast is zero (recent average); no model can find a pattern in it.")
    if task["model"] == "auto":
        result = _forecast_auto(y, ctx, horizon, quantiles)
    else:
        frame, used, notes = _fit_with_fallback(task["model"], y, ctx, horizon, quantiles)
        reason = f"{REGISTRY[used].label}, as asked." if used == task["model"] else (
            f"{REGISTRY[task['model']].label} could not be fitted, so {REGISTRY[used].label} was used.")
        if _level_notes([frame]):
            reason += " " + _level_notes([frame])
        result = SeriesForecast(frame, used, reason, notes=notes)
        if task["calibrate"]:
            bt_h, n_origins, step = _AUTO_BACKTEST[ctx.frequency]
            bt_h = min(bt_h, horizon)
            bt = _backtest_series(y, ctx, [used], bt_h, quantiles, _cutoffs(y, bt_h, 3, step))
            if not bt.empty:
                result.interval_scale = _interval_scale(bt, quantiles, _backtest_growth(bt, ctx.frequency))
                result.frame = _apply_scale(
                    frame, result.interval_scale * _growth(frame, ctx.frequency), quantiles)
    if result.interval_scale != 1.0:
        result.reason += (f" Intervals widened x{result.interval_scale:.2f}: they were too narrow "
                          "on the backtest.")
    return result


def _validate_args(horizon: int, model: str, quantiles, holidays=DEFAULT_HOLIDAYS) -> tuple[float, ...]:
    if int(horizon) < 1:
        raise ValueError("horizon must be at least 1 period.")
    if model != "auto" and model not in REGISTRY:
        raise ValueError(f"Unknown model {model!r}; choose 'auto' or one of {', '.join(REGISTRY)}.")
    qs = tuple(sorted({float(q) for q in quantiles} | {0.5}))
    if any(not 0 < q < 1 for q in qs):
        raise ValueError("quantiles must lie strictly between 0 and 1.")
    # an unknown calendar code is the caller's mistake: say so, rather than let every model
    # fail on it and fall back without a word
    bank_holidays("2020-01-01", "2020-12-31", holidays)
    return qs


def forecast(history: pd.DataFrame, horizon: int, *, model: str = "auto",
             quantiles: Sequence[float] = DEFAULT_QUANTILES, holidays=DEFAULT_HOLIDAYS,
             exclude=(), seed: int = 0, n_jobs: int | None = None,
             calibrate: bool = True) -> pd.DataFrame:
    """Forecast every (site, metric) series in an activity frame.

    Parameters
    ----------
    history : DataFrame
        The activity contract (``site, metric, date, value``); each series at one frequency
        (hourly, daily, weekly or monthly, inferred from its dates).
    horizon : int
        Periods ahead, starting the period after each series' last observation.
    model : str
        'auto' (choose or combine per series by rolling-origin backtest: pinball loss first;
        candidates the history is too short to backtest are averaged in; monthly intervals
        widen at least with the square root of the months ahead) or a registered model name
        (see ``forecasting.models.REGISTRY``).
    quantiles : sequence of float
        Quantile levels; the median is always included.
    holidays : str or DataFrame
        Holiday calendar code for the ``holidays`` package (default England, 'GB-ENG') or a
        frame of dates.
    exclude : sequence of (start, end)
        Date ranges left out of fitting, e.g. ``[("2020-03-23", "2021-06-30")]``.
    seed : int
        Seed for any simulation; results are identical for a seed whatever ``n_jobs``.
    n_jobs : int, optional
        Worker processes (default: all cores; 1 runs in this process).
    calibrate : bool
        For a named model, check its intervals on a short backtest and, if they are too
        narrow, widen them to nominal coverage (``auto`` always does).

    Returns
    -------
    DataFrame
        The forecast contract: ``site, metric, date, model, mean`` and one ``p``-column per
        quantile (``p2.5``, ``p50``, ...). ``.attrs["selection"]`` holds one row per series
        with the model used, why, the interval scale applied, any fallback notes and, for
        ``auto``, the mean pinball loss of its choice and of seasonal naive on its own backtest
        (``backtest_pinball``, ``benchmark_pinball``; NaN for a named model).
    """
    qs = _validate_args(horizon, model, quantiles, holidays)
    series = prepare_series(history, exclude)
    tasks = [{"key": key, "y": y, "horizon": int(horizon), "quantiles": qs, "model": model,
              "calibrate": calibrate,
              "ctx": FitContext(frequency=freq, holidays=holidays, seed=_series_seed(seed, *key))}
             for key, (y, freq) in series.items()]
    results = run_tasks(_forecast_series, tasks, n_jobs)
    parts, selection = [], []
    for task, res in zip(tasks, results):
        site, metric = task["key"]
        f = res.frame.rename(columns={q: quantile_name(q) for q in qs}).rename_axis("date").reset_index()
        f.insert(0, "site", site)
        f.insert(1, "metric", metric)
        f.insert(3, "model", res.model)
        parts.append(f)
        selection.append({"site": site, "metric": metric, "frequency": task["ctx"].frequency,
                          "requested": model, "model": res.model, "reason": res.reason,
                          "interval_scale": res.interval_scale, "notes": "; ".join(res.notes),
                          "data_through": task["y"].index[-1],
                          "backtest_pinball": res.scores.get(res.picked, np.nan),
                          "benchmark_pinball": res.scores.get("seasonal_naive", np.nan)})
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    out.attrs["selection"] = pd.DataFrame(selection)
    return out


def _backtest_task(task: dict) -> pd.DataFrame:
    y, ctx = task["y"], task["ctx"]
    bt = _backtest_series(y, ctx, task["models"], task["horizon"], task["quantiles"],
                          _cutoffs(y, task["horizon"], task["n_origins"], task["step"]))
    if not bt.empty:
        bt.insert(0, "site", task["key"][0])
        bt.insert(1, "metric", task["key"][1])
    return bt


def backtest(history: pd.DataFrame, horizon: int, *, models: Sequence[str] = ("seasonal_naive", "count_glm"),
             step: int | None = None, n_origins: int = 12,
             quantiles: Sequence[float] = DEFAULT_QUANTILES, holidays=DEFAULT_HOLIDAYS,
             exclude=(), seed: int = 0, n_jobs: int | None = None) -> pd.DataFrame:
    """Rolling-origin evaluation: refit at each origin, forecast ``horizon`` periods, compare with actuals.

    Parameters
    ----------
    history : DataFrame
        The activity contract.
    horizon : int
        Steps ahead forecast from each origin.
    models : sequence of str
        Registered model names, and/or 'auto'.
    step : int, optional
        Periods between origins (default: one seasonal cycle, e.g. 7 days).
    n_origins : int
        Number of origins, the latest leaving exactly ``horizon`` periods up to the last observed value.
    quantiles, holidays, exclude, seed, n_jobs
        As for :func:`forecast`. Excluded periods are neither fitted nor scored.

    Returns
    -------
    DataFrame
        The backtest contract: ``site, metric, date, model, mean, p...`` plus ``cutoff`` (last
        period each fit saw), ``h`` (steps ahead), ``actual``, and ``scale`` (in-sample
        seasonal-naive MAE at the cutoff, for MASE); ``model_used`` says what 'auto' picked.
    """
    qs = _validate_args(horizon, "auto", quantiles, holidays)
    for name in models:
        if name != "auto" and name not in REGISTRY:
            raise ValueError(f"Unknown model {name!r}; choose 'auto' or one of {', '.join(REGISTRY)}.")
    series = prepare_series(history, exclude)
    tasks = [{"key": key, "y": y, "horizon": int(horizon), "quantiles": qs, "models": list(models),
              "n_origins": int(n_origins), "step": int(step or SEASON_LENGTH[freq]),
              "ctx": FitContext(frequency=freq, holidays=holidays, seed=_series_seed(seed, *key))}
             for key, (y, freq) in series.items()]
    parts = [p for p in run_tasks(_backtest_task, tasks, n_jobs) if not p.empty]
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    out = out.rename(columns={q: quantile_name(q) for q in qs})
    front = ["site", "metric", "date", "model", "mean"] + [quantile_name(q) for q in qs]
    return out[front + ["cutoff", "h", "actual", "scale", "model_used"]]


# --------------------------------------------------------------------------- views of a forecast
__all__ += ["aggregate_forecast", "patterns", "ERROR_CORRELATION"]

#: Correlation between the errors of days in the same week or month, used to add up daily
#: intervals into weekly and monthly ones. Measured on rolling-origin backtests of the sample
#: (count regression, 20 origins, 28 days): between -0.08 and 0.09 by series; 0.05 errs wide.
ERROR_CORRELATION = 0.05


def aggregate_forecast(fc: pd.DataFrame, view: str = "weekly", *, rho: float = ERROR_CORRELATION) -> pd.DataFrame:
    """Weekly (Monday to Sunday) or monthly totals of a daily forecast, with coherent intervals.

    The mean of a period is the sum of its days' means. Its spread combines the days' spreads
    (read from each day's quantiles as a normal standard deviation) with an equal correlation
    ``rho`` between days: sd^2 = sum(sd_i^2) + rho * sum_{i != j} sd_i sd_j. Quantiles are
    normal around the summed mean, never below zero. Occupied-bed style stock metrics should not
    be summed; this is for counts. Periods only partly covered by the forecast are flagged
    ``complete = False``.
    """
    from scipy import stats  # local: only this view needs it

    from .metrics import column_level, quantile_columns
    from .summary import VIEWS

    if view not in ("weekly", "monthly"):
        raise ValueError("view must be 'weekly' or 'monthly'.")
    qcols = quantile_columns(fc)
    lo, hi = ("p10", "p90") if {"p10", "p90"} <= set(qcols) else (qcols[0], qcols[-1])
    z = stats.norm.ppf(column_level(hi)) - stats.norm.ppf(column_level(lo))
    df = fc.assign(period=fc["date"].dt.to_period(VIEWS[view]).dt.start_time,
                   sd=(fc[hi] - fc[lo]) / z)
    rows = []
    for (site, metric, model, period), g in df.groupby(["site", "metric", "model", "period"], sort=True):
        sd = g["sd"].to_numpy(float)
        var = (sd ** 2).sum() + rho * (sd.sum() ** 2 - (sd ** 2).sum())
        mean = g["mean"].sum()
        days = len(g)
        full = 7 if view == "weekly" else period.days_in_month
        row = {"site": site, "metric": metric, "date": period, "model": model, "mean": mean,
               "days": days, "complete": days >= full}
        for c in qcols:
            row[c] = max(mean + stats.norm.ppf(column_level(c)) * np.sqrt(var), 0.0)
        rows.append(row)
    return pd.DataFrame(rows)


def patterns(history: pd.DataFrame, site: str, metric: str, *, model: str = "count_glm",
             holidays=DEFAULT_HOLIDAYS, exclude=()) -> dict[str, pd.DataFrame]:
    """The weekly and annual patterns and holiday effects a model finds in one series (% effects).

    Models without interpretable parts (seasonal naive, combinations) are explained by the
    count regression instead, which is what ``auto`` usually picks.
    """
    part = history[(history["site"] == site) & (history["metric"] == metric)]
    if part.empty:
        raise ValueError(f"No data for {site} / {metric}.")
    (y, freq), = prepare_series(part, exclude).values()
    name = model if model in REGISTRY else "count_glm"
    for candidate in (name, "count_glm"):
        try:
            fitted = get_model(candidate).fit(y, FitContext(frequency=freq, holidays=holidays))
        except (ModelFitError, ValueError):
            continue
        comps = fitted.components()
        if comps:
            return comps
    return {}
