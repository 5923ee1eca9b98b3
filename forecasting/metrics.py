"""Forecast accuracy scores: point errors, pinball loss, interval coverage and Winkler scores."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["quantile_columns", "column_level", "pinball_loss", "interval_coverage", "winkler_score",
           "evaluate", "HORIZON_BUCKETS", "horizon_bucket"]

#: Horizon buckets (steps ahead) per period length, for 'by horizon' tables.
HORIZON_BUCKETS = {
    "daily": [(1, 7), (8, 14), (15, 28), (29, 91), (92, 10_000)],
    "hourly": [(1, 6), (7, 24), (25, 48), (49, 10_000)],
    "weekly": [(1, 4), (5, 13), (14, 10_000)],
    "monthly": [(1, 3), (4, 6), (7, 12), (13, 10_000)],
}


def column_level(col: str) -> float:
    """'p2.5' -> 0.025, 'p50' -> 0.5."""
    return float(col[1:]) / 100


def quantile_columns(frame: pd.DataFrame) -> list[str]:
    """The quantile columns of a forecast frame (``p5``, ``p97.5``, ...), lowest level first."""
    cols = [c for c in frame.columns if isinstance(c, str) and c.startswith("p")
            and c[1:].replace(".", "", 1).isdigit()]
    return sorted(cols, key=column_level)


def pinball_loss(actual, predicted, level: float) -> np.ndarray:
    """Quantile (pinball) loss of one quantile forecast, element-wise."""
    diff = np.asarray(actual, dtype=float) - np.asarray(predicted, dtype=float)
    return np.maximum(level * diff, (level - 1) * diff)


def interval_coverage(actual, lower, upper) -> float:
    """Share of actuals inside [lower, upper]."""
    a = np.asarray(actual, dtype=float)
    return float(np.mean((a >= np.asarray(lower)) & (a <= np.asarray(upper))))


def winkler_score(actual, lower, upper, coverage: float) -> np.ndarray:
    """Interval (Winkler) score: width plus 2/alpha times any miss; lower is better."""
    a, lo, hi = (np.asarray(v, dtype=float) for v in (actual, lower, upper))
    alpha = 1 - coverage
    return (hi - lo) + (2 / alpha) * (np.maximum(lo - a, 0) + np.maximum(a - hi, 0))


def horizon_bucket(h: pd.Series, frequency: str) -> pd.Series:
    """Label each step ahead with its bucket, e.g. '1-7', '8-14', '92+'."""
    buckets = HORIZON_BUCKETS.get(frequency, HORIZON_BUCKETS["daily"])
    labels = [f"{a}-{b}" if b < 10_000 else f"{a}+" for a, b in buckets]
    edges = [a - 0.5 for a, _ in buckets] + [np.inf]
    return pd.cut(h, bins=edges, labels=labels).astype(str)


def _interval(frame: pd.DataFrame, coverage: float) -> tuple[str, str] | None:
    lo, hi = f"p{_pct((1 - coverage) / 2)}", f"p{_pct(1 - (1 - coverage) / 2)}"
    return (lo, hi) if lo in frame and hi in frame else None


def _pct(level: float) -> str:
    text = f"{100 * level:.3f}".rstrip("0").rstrip(".")
    return text


def _scores(g: pd.DataFrame, qcols: Sequence[str]) -> pd.Series:
    a, m = g["actual"].to_numpy(float), g["mean"].to_numpy(float)
    err = m - a
    out = {
        "n": len(g),
        "MAE": np.mean(np.abs(err)),
        "RMSE": np.sqrt(np.mean(err ** 2)),
        "MAPE": 100 * np.mean(np.abs(err[a > 0]) / a[a > 0]) if (a > 0).any() else np.nan,
        "MASE": (np.mean(np.abs(err) / g["scale"].to_numpy(float))
                 if "scale" in g and (g["scale"] > 0).all() else np.nan),
        "pinball": (np.mean([pinball_loss(a, g[c], column_level(c)).mean() for c in qcols])
                    if qcols else np.nan),
        "bias": np.mean(err),
    }
    for cov in (0.8, 0.95):
        cols = _interval(g, cov)
        label = f"{round(100 * cov)}"
        out[f"coverage_{label}"] = interval_coverage(a, g[cols[0]], g[cols[1]]) if cols else np.nan
        out[f"winkler_{label}"] = np.mean(winkler_score(a, g[cols[0]], g[cols[1]], cov)) if cols else np.nan
    return pd.Series(out)


def evaluate(backtest: pd.DataFrame, *, by_horizon: bool = False, frequency: str = "daily") -> pd.DataFrame:
    """Accuracy per site, metric and model from a backtest frame.

    Parameters
    ----------
    backtest : DataFrame
        The backtest contract: forecast columns plus ``cutoff``, ``h``, ``actual``; a
        ``scale`` column (in-sample seasonal naive MAE at each cutoff) enables MASE.
    by_horizon : bool
        Also split by horizon bucket (e.g. 1-7, 8-14, 15-28 days ahead).
    frequency : str
        Period length, for the horizon buckets.

    Returns
    -------
    DataFrame
        ``site, metric, model[, horizon], n, MAE, RMSE, MAPE, MASE, pinball, bias,
        coverage_80, winkler_80, coverage_95, winkler_95``; best (lowest pinball) first
        within each series.
    """
    qcols = quantile_columns(backtest)
    data = backtest.dropna(subset=["actual"])
    keys = ["site", "metric", "model"]
    if by_horizon:
        data = data.assign(horizon=horizon_bucket(data["h"], frequency))
        keys.append("horizon")
    rows = [dict(zip(keys, k if isinstance(k, tuple) else (k,))) | _scores(g, qcols).to_dict()
            for k, g in data.groupby(keys, sort=False)]
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    sort = ["site", "metric"] + (["_h"] if by_horizon else []) + ["pinball", "MASE"]
    if by_horizon:  # buckets in time order, not alphabetical ('8-14' before '15-28')
        out["_h"] = out["horizon"].str.extract(r"^(\d+)")[0].astype(int)
    return out.sort_values(sort, ignore_index=True).drop(columns="_h", errors="ignore")
