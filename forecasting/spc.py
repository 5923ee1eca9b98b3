"""Making Data Count XmR charts: process limits, special-cause rules, variation and assurance icons.

Follows NHS England's *Making Data Count* method: the centre line is the mean, the process limits
are the mean +/- 2.66 x the mean moving range, and four rules find special-cause variation:

1. a point beyond a process limit (strictly outside; a point exactly on a limit is inside);
2. a run of 7 or more points on one side of the mean (every point of the run is flagged);
3. a trend of 7 or more points each higher (or each lower) than the one before (every point of
   the trend is flagged; two equal neighbours break a trend);
4. two of three consecutive points close to a process limit, on the same side: beyond two thirds
   of the way from the mean to the limit (points beyond the limit count as close); the points that
   qualify are flagged, the third point of the window is not.

A point exactly on the mean is on neither side, so it breaks a run (the Making Data Count and
NHS-R *plot the dots* convention). Rules never look across a rebase date: each period has its own
mean, limits, runs and trends, and the first moving range of a new period is not computed.

The icons are drawn here, as small SVG strings (letters as stroked paths, so they need no font).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .schema import METRIC_LABELS

__all__ = [
    "SIGMA_FACTOR", "MR_SCREEN_FACTOR", "RUN_LENGTH", "TREND_LENGTH", "DIRECTIONS",
    "VARIATION_COLOURS", "ASSURANCE_COLOURS", "VARIATION_ICONS", "ASSURANCE_ICONS",
    "SPCError", "SPCResult", "xmr", "summary_table",
    "variation_icon_svg", "assurance_icon_svg", "svg_data_uri",
]

#: Process limits sit this many mean moving ranges from the mean (3 / 1.128, the XmR constant).
SIGMA_FACTOR = 2.66
#: Moving ranges above this many mean moving ranges are screened out when asked (D4 for n = 2).
MR_SCREEN_FACTOR = 3.267
#: Points on one side of the mean that make a run (shift).
RUN_LENGTH = 7
#: Points each higher (or lower) than the last that make a trend.
TREND_LENGTH = 7
#: Which way is better: a high value, a low value, or neither.
DIRECTIONS = ("higher", "lower", "neutral")

COMMON, IMPROVEMENT, CONCERN, NEITHER = ("common cause", "special cause improvement",
                                         "special cause concern", "special cause neither")
#: Point and icon colours by variation: grey, NHS blue, NHS orange, NHS purple. Blue and orange
#: stay apart for the common colour-vision deficiencies; icons add the letters H and L.
VARIATION_COLOURS = {COMMON: "#768692", IMPROVEMENT: "#005EB8", CONCERN: "#ED8B00",
                     NEITHER: "#330072"}
#: Assurance icon colours: pass blue, fail orange, hit and miss grey.
ASSURANCE_COLOURS = {"pass": "#005EB8", "fail": "#ED8B00", "inconsistent": "#768692",
                     "none": "#768692"}

#: Variation icon keys and what they say, in plain words.
VARIATION_ICONS = {
    "common_cause": "Common cause variation: no significant change",
    "improvement_high": "Special cause improvement: unusually high values",
    "improvement_low": "Special cause improvement: unusually low values",
    "concern_high": "Special cause concern: unusually high values",
    "concern_low": "Special cause concern: unusually low values",
    "neither_high": "Special cause variation: unusually high values (neither better nor worse)",
    "neither_low": "Special cause variation: unusually low values (neither better nor worse)",
}
#: Assurance icon keys and what they say, in plain words.
ASSURANCE_ICONS = {
    "pass": "Consistently passes the target: the target lies beyond the process limit on the "
            "worse side, so it will be met unless the process changes",
    "fail": "Consistently fails the target: the target lies beyond the process limit on the "
            "better side, so the process must change to meet it",
    "inconsistent": "Hit and miss: the target lies between the process limits, so it will be "
                    "met some periods and missed in others",
    "none": "No assurance: no target set, or no direction of improvement",
}


class SPCError(ValueError):
    """Input an SPC chart cannot be drawn from (the message says what to change)."""


@dataclass(frozen=True, eq=False)
class SPCResult:
    """What :func:`xmr` returns.

    Attributes
    ----------
    points : DataFrame
        One row per point: ``site, metric, date, value, period, in_baseline, moving_range,
        mr_screened, mean, lower_limit, upper_limit, target, beyond_upper, beyond_lower,
        run_above, run_below, trend_up, trend_down, near_upper, near_lower, special_cause,
        side, variation, variation_icon, is_latest``.
    summary : DataFrame
        One row per series (site and metric): ``site, metric, direction, n_points,
        latest_date, latest_value, mean, lower_limit, upper_limit, target, variation,
        variation_icon, assurance``; limits are those of the latest period.
    """

    points: pd.DataFrame
    summary: pd.DataFrame


_FLAG_PAIRS = (("beyond_upper", "beyond_lower"), ("near_upper", "near_lower"),
               ("run_above", "run_below"), ("trend_up", "trend_down"))


# --------------------------------------------------------------------------- inputs
def _as_long(data) -> pd.DataFrame:
    """Any accepted input as ``site, metric, date, value`` rows, sorted, without missing values."""
    if isinstance(data, pd.Series):
        if not isinstance(data.index, pd.DatetimeIndex):
            raise SPCError("A series for an SPC chart needs dates as its index.")
        name = data.name if isinstance(data.name, str) else ""
        frame = pd.DataFrame({"site": "", "metric": name, "date": data.index,
                              "value": data.to_numpy()})
    elif isinstance(data, pd.DataFrame):
        missing = [c for c in ("date", "value") if c not in data.columns]
        if missing:
            raise SPCError(f"An SPC chart needs columns 'date' and 'value'; missing {missing}.")
        frame = data.loc[:, [c for c in ("site", "metric", "date", "value") if c in data.columns]]
        frame = frame.copy()
        for col in ("site", "metric"):
            if col not in frame.columns:
                frame[col] = ""
    else:
        raise SPCError("Give a pandas Series (dates as index) or a frame with date and value.")
    frame = frame[["site", "metric", "date", "value"]]
    frame["date"] = pd.to_datetime(frame["date"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    frame = frame.dropna(subset=["value"])
    dup = frame.duplicated(["site", "metric", "date"])
    if dup.any():
        first = frame.loc[dup].iloc[0]
        raise SPCError(f"More than one value for {first['site'] or 'the series'} "
                       f"{first['metric']} on {first['date']:%d %b %Y}: an SPC chart needs one "
                       "value per period (sum or average them first).")
    return frame.sort_values(["site", "metric", "date"], kind="stable").reset_index(drop=True)


def _lookup(setting, site: str, metric: str, default=None):
    """A per-series setting: one value, or a mapping keyed by (site, metric) or by metric."""
    if isinstance(setting, Mapping):
        if (site, metric) in setting:
            return setting[(site, metric)]
        return setting.get(metric, default)
    return default if setting is None else setting


def _baseline_window(baseline) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    if baseline is None:
        return None, None
    try:
        start, end = baseline
    except (TypeError, ValueError):
        raise SPCError("baseline must be a (start, end) pair of dates; either may be "
                       "None.") from None
    start = None if start is None else pd.Timestamp(start)
    end = None if end is None else pd.Timestamp(end)
    if start is not None and end is not None and start > end:
        raise SPCError(f"The baseline starts ({start:%d %b %Y}) after it ends ({end:%d %b %Y}).")
    return start, end


# --------------------------------------------------------------------------- rules
def _run_flags(codes: np.ndarray, code: int, min_len: int) -> np.ndarray:
    """True for every element of a run of at least ``min_len`` consecutive ``code`` values."""
    hit = codes == code
    flags = np.zeros(len(codes), dtype=bool)
    start = None
    for i, h in enumerate(np.append(hit, False)):
        if h and start is None:
            start = i
        elif not h and start is not None:
            if i - start >= min_len:
                flags[start:i] = True
            start = None
    return flags


def _trend_flags(values: np.ndarray, sign: int) -> np.ndarray:
    """Points of a run of ``TREND_LENGTH`` or more each strictly above (or below) the last."""
    steps = np.sign(np.diff(values))
    step_runs = _run_flags(steps, sign, TREND_LENGTH - 1)
    flags = np.zeros(len(values), dtype=bool)
    # step i joins points i and i + 1, so both belong to the trend
    flags[:-1] |= step_runs
    flags[1:] |= step_runs
    return flags


def _two_of_three(close: np.ndarray) -> np.ndarray:
    """The close points of every window of three consecutive points holding two or more."""
    flags = np.zeros(len(close), dtype=bool)
    for i in range(len(close) - 2):
        window = close[i:i + 3]
        if window.sum() >= 2:
            flags[i:i + 3] |= window
    return flags


def _period_limits(values: np.ndarray, calc: np.ndarray, screen: bool):
    """Mean, mean moving range, moving ranges and the screened-out mask of one period."""
    mr = np.full(len(values), np.nan)
    mr[1:] = np.abs(np.diff(values))
    # a moving range counts only when both of its points are in the baseline
    mr_calc = calc.copy()
    mr_calc[0] = False
    mr_calc[1:] &= calc[:-1]
    mean = values[calc].mean() if calc.any() else np.nan
    used = mr[mr_calc]
    mean_mr = used.mean() if len(used) else np.nan
    screened = np.zeros(len(values), dtype=bool)
    if screen and len(used):
        # Making Data Count: drop moving ranges above 3.267 x the mean moving range, recompute once
        screened = mr_calc & (mr > MR_SCREEN_FACTOR * mean_mr)
        kept = mr[mr_calc & ~screened]
        mean_mr = kept.mean() if len(kept) else mean_mr
    return mean, mean_mr, mr, screened


def _xmr_series(dates: pd.Series, values: np.ndarray, *, start, end, rebase_at, screen: bool):
    """Limits and rule flags for one series (sorted by date)."""
    n = len(values)
    periods = np.searchsorted(np.asarray(rebase_at, dtype="datetime64[ns]"),
                              dates.to_numpy(dtype="datetime64[ns]"), side="right")
    in_window = np.ones(n, dtype=bool)
    if start is not None:
        in_window &= (dates >= start).to_numpy()
    if end is not None:
        in_window &= (dates <= end).to_numpy()
    out = {name: np.zeros(n, dtype=bool) for pair in _FLAG_PAIRS for name in pair}
    out.update(mean=np.full(n, np.nan), mean_mr=np.full(n, np.nan),
               moving_range=np.full(n, np.nan), mr_screened=np.zeros(n, dtype=bool),
               in_baseline=np.zeros(n, dtype=bool))
    for period in np.unique(periods):
        idx = np.flatnonzero(periods == period)
        v = values[idx]
        # a period the baseline window misses, or reaches with one point only (no moving range,
        # so no limits), is its own baseline (e.g. after a rebase)
        calc = in_window[idx] if in_window[idx].sum() >= 2 else np.ones(len(idx), dtype=bool)
        mean, mean_mr, mr, screened = _period_limits(v, calc, screen)
        upper, lower = mean + SIGMA_FACTOR * mean_mr, mean - SIGMA_FACTOR * mean_mr
        out["mean"][idx], out["mean_mr"][idx] = mean, mean_mr
        out["moving_range"][idx], out["mr_screened"][idx] = mr, screened
        out["in_baseline"][idx] = calc
        with np.errstate(invalid="ignore"):
            out["beyond_upper"][idx] = v > upper
            out["beyond_lower"][idx] = v < lower
            side = np.sign(v - mean)
            out["run_above"][idx] = _run_flags(side, 1, RUN_LENGTH)
            out["run_below"][idx] = _run_flags(side, -1, RUN_LENGTH)
            out["trend_up"][idx] = _trend_flags(v, 1)
            out["trend_down"][idx] = _trend_flags(v, -1)
            near = 2.0 / 3.0 * (upper - mean)
            out["near_upper"][idx] = _two_of_three(v > mean + near)
            out["near_lower"][idx] = _two_of_three(v < mean - near)
    out["period"] = periods
    return out


def _sides(flags: dict, values: np.ndarray) -> np.ndarray:
    """'high', 'low' or '' per point; where rules disagree the strongest rule decides."""
    conditions, choices = [], []
    for high, low in _FLAG_PAIRS:  # beyond a limit, then 2 of 3, then run, then trend
        conditions += [flags[high] & ~flags[low], flags[low] & ~flags[high]]
        choices += ["high", "low"]
    special = np.logical_or.reduce([flags[name] for pair in _FLAG_PAIRS for name in pair])
    # a point at the peak of an up- and a down-trend: its side of the mean decides
    conditions += [special & (values >= flags["mean"]), special]
    choices += ["high", "low"]
    return np.select(conditions, choices, default="")


def _variation(sides: np.ndarray, direction: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-point variation label and icon key from the side and the improvement direction."""
    better = {"higher": "high", "lower": "low"}.get(direction)
    kinds = np.where(sides == "", "common",
                     np.where(better is None, "neither",
                              np.where(sides == better, "improvement", "concern")))
    labels = {"common": COMMON, "improvement": IMPROVEMENT, "concern": CONCERN,
              "neither": NEITHER}
    label = np.array([labels[k] for k in kinds], dtype=object)
    icon = np.array(["common_cause" if k == "common" else f"{k}_{s}"
                     for k, s in zip(kinds, sides)], dtype=object)
    return label, icon


def _assurance(direction: str, target, lower: float, upper: float) -> str:
    """Making Data Count assurance from where the target sits against the process limits."""
    if target is None or pd.isna(target) or direction == "neutral" or pd.isna(lower):
        return "none"
    if direction == "higher":
        if target <= lower:
            return "pass"
        return "fail" if target >= upper else "inconsistent"
    if target >= upper:
        return "pass"
    return "fail" if target <= lower else "inconsistent"


# --------------------------------------------------------------------------- public
def xmr(data, *, baseline=None, rebase_at: Iterable = (), direction="higher", target=None,
        screen_outliers: bool = False) -> SPCResult:
    """XmR (individuals) chart of one series or of every (site, metric) series in a frame.

    Parameters
    ----------
    data : Series or DataFrame
        A Series with dates as its index; a frame with ``date, value``; or activity contract
        rows (``site, metric, date, value``), charted per site and metric (small multiples).
        Missing values are left out; two values for one date are an error.
    baseline : (start, end), optional
        The dates, inclusive, whose points set the mean and limits (either end may be None for
        open). The limits then extend over every later and earlier point of the period. A
        period the window does not reach, or reaches with a single point (e.g. after a rebase),
        uses all its own points. Default: every point.
    rebase_at : iterable of dates
        Dates where a new period starts with its own mean and limits (a process change the user
        knows of). No rebasing is ever done automatically.
    direction : {'higher', 'lower', 'neutral'} or mapping
        Which way is better; a mapping keyed by metric or (site, metric) sets it per series
        (series not in the mapping are 'neutral'). Special causes are an improvement or a
        concern, or 'neither' when neutral.
    target : float or mapping, optional
        The target, for the assurance result (per series by metric or (site, metric) in a
        mapping). With no target, or a neutral direction, assurance is 'none'.
    screen_outliers : bool
        Leave moving ranges above 3.267 x the mean moving range out of the mean moving range
        (recomputed once), so one freak period does not widen the limits.

    Returns
    -------
    SPCResult
        ``points`` (one row per point with limits, rule flags and variation) and ``summary``
        (one row per series: latest point's variation icon and the assurance result).

    Raises
    ------
    SPCError
        Wrong shape of input, a direction not in :data:`DIRECTIONS`, a reversed baseline, or
        two values for one date.

    Notes
    -----
    Assurance (higher is better): target at or below the lower limit -> 'pass'; at or above
    the upper limit -> 'fail'; between -> 'inconsistent' (hit and miss). Lower is better
    reverses this. Fewer than two baseline points give no limits (NaN) and no
    limit-based flags; Making Data Count advises at least 15 points.
    """
    frame = _as_long(data)
    start, end = _baseline_window(baseline)
    if isinstance(rebase_at, (str, dt.date, np.datetime64)):
        rebase_at = [rebase_at]  # one date given on its own
    rebase = sorted(pd.Timestamp(d) for d in rebase_at)
    rows, summaries = [], []
    for (site, metric), group in frame.groupby(["site", "metric"], sort=False):
        series_direction = _lookup(direction, site, metric,
                                   "neutral" if isinstance(direction, Mapping) else "higher")
        if series_direction not in DIRECTIONS:
            raise SPCError(f"direction must be one of {DIRECTIONS}, not {series_direction!r}.")
        series_target = _lookup(target, site, metric)
        values = group["value"].to_numpy()
        flags = _xmr_series(group["date"], values, start=start, end=end, rebase_at=rebase,
                            screen=screen_outliers)
        sides = _sides(flags, values)
        label, icon = _variation(sides, series_direction)
        points = group.reset_index(drop=True).assign(
            period=flags["period"], in_baseline=flags["in_baseline"],
            moving_range=flags["moving_range"], mr_screened=flags["mr_screened"],
            mean=flags["mean"],
            lower_limit=flags["mean"] - SIGMA_FACTOR * flags["mean_mr"],
            upper_limit=flags["mean"] + SIGMA_FACTOR * flags["mean_mr"],
            target=np.nan if series_target is None else float(series_target),
            **{name: flags[name] for pair in _FLAG_PAIRS for name in pair},
        )
        points["special_cause"] = sides != ""
        points["side"] = sides
        points["variation"] = label
        points["variation_icon"] = icon
        points["is_latest"] = np.arange(len(points)) == len(points) - 1
        last = points.iloc[-1]
        summaries.append({
            "site": site, "metric": metric, "direction": series_direction,
            "n_points": len(points), "latest_date": last["date"], "latest_value": last["value"],
            "mean": last["mean"], "lower_limit": last["lower_limit"],
            "upper_limit": last["upper_limit"], "target": last["target"],
            "variation": last["variation"], "variation_icon": last["variation_icon"],
            "assurance": _assurance(series_direction, series_target, last["lower_limit"],
                                    last["upper_limit"]),
        })
        rows.append(points)
    if not rows:
        raise SPCError("No values to chart: every value is missing.")
    return SPCResult(points=pd.concat(rows, ignore_index=True),
                     summary=pd.DataFrame(summaries))


def summary_table(result: SPCResult, *, decimals: int = 1, icons: bool = False) -> pd.DataFrame:
    """One row per series in plain words, for a board paper or the app's summary table.

    Parameters
    ----------
    result : SPCResult
        From :func:`xmr`.
    decimals : int
        Rounding of the figures.
    icons : bool
        Add ``variation_icon_uri`` and ``assurance_icon_uri`` columns (SVG data URIs), e.g. for
        an image column in a table.

    Returns
    -------
    DataFrame
        ``Site, Measure, Latest period, Latest value, Mean, Lower process limit, Upper process
        limit, Target, Variation, Assurance`` plus the icon keys ``variation_icon`` and
        ``assurance_icon``.
    """
    s = result.summary
    table = pd.DataFrame({
        "Site": s["site"],
        "Measure": s["metric"].map(lambda m: METRIC_LABELS.get(m, m.replace("_", " "))),
        "Latest period": s["latest_date"],
        "Latest value": s["latest_value"].round(decimals),
        "Mean": s["mean"].round(decimals),
        "Lower process limit": s["lower_limit"].round(decimals),
        "Upper process limit": s["upper_limit"].round(decimals),
        "Target": s["target"].round(decimals),
        "Variation": s["variation_icon"].map(VARIATION_ICONS),
        "Assurance": s["assurance"].map(ASSURANCE_ICONS),
        "variation_icon": s["variation_icon"],
        "assurance_icon": s["assurance"],
    })
    if icons:
        table["variation_icon_uri"] = [svg_data_uri(variation_icon_svg(k))
                                       for k in table["variation_icon"]]
        table["assurance_icon_uri"] = [svg_data_uri(assurance_icon_svg(k))
                                       for k in table["assurance_icon"]]
    return table


# --------------------------------------------------------------------------- icons
# Letters are stroked paths in a 100 x 100 box, so the icons need no font to render.
_LETTERS = {
    "H": "M-9,-12 V12 M9,-12 V12 M-9,0 H9",
    "L": "M-7,-12 V12 H8",
    "P": "M-7,12 V-12 H3 A6.5,6.5 0 0 1 3,1 H-7",
    "F": "M-7,12 V-12 H8 M-7,-1 H5",
    "?": "M-7,-6 A7,7 0 1 1 3,0 Q0,2 0,6",
}
_GREY = "#768692"


def _icon(colour: str, body: str, title: str, size: int) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
            f'viewBox="0 0 100 100" role="img"><title>{title}</title>'
            f'<circle cx="50" cy="50" r="45" fill="white" stroke="{colour}" stroke-width="7"/>'
            f'{body}</svg>')


def _letter(letter: str, colour: str, x: float, y: float, scale: float = 1.0) -> str:
    dot = ('<circle cx="0" cy="13" r="2.6" fill="{c}" stroke="none"/>'.format(c=colour)
           if letter == "?" else "")
    return (f'<g transform="translate({x},{y}) scale({scale})" fill="none" stroke="{colour}" '
            f'stroke-width="5" stroke-linecap="round" stroke-linejoin="round">'
            f'<path d="{_LETTERS[letter]}"/>{dot}</g>')


def _dots(ys, colours) -> str:
    xs = np.linspace(24, 76, len(ys))
    line = " ".join(f"{x:.0f},{y:.0f}" for x, y in zip(xs, ys))
    dots = "".join(f'<circle cx="{x:.0f}" cy="{y:.0f}" r="4.5" fill="{c}"/>'
                   for x, y, c in zip(xs, ys, colours))
    return f'<polyline points="{line}" fill="none" stroke="{_GREY}" stroke-width="2"/>{dots}'


def variation_icon_svg(key: str, *, size: int = 40) -> str:
    """A variation icon as an SVG string (drawn for this project, in the Making Data Count style).

    Parameters
    ----------
    key : str
        One of :data:`VARIATION_ICONS`: 'common_cause', or improvement / concern / neither
        followed by '_high' or '_low'.
    size : int
        Width and height in pixels.

    Returns
    -------
    str
        A standalone SVG: a ring in the variation colour, a small run of dots (the last ones
        coloured and high or low for special cause) and the letter H or L, so the icon never
        relies on colour alone.
    """
    if key not in VARIATION_ICONS:
        raise SPCError(f"Unknown variation icon {key!r}; use one of {sorted(VARIATION_ICONS)}.")
    if key == "common_cause":
        colour = VARIATION_COLOURS[COMMON]
        body = _dots([55, 47, 58, 50, 56, 46, 53], [_GREY] * 7)
        return _icon(colour, body, VARIATION_ICONS[key], size)
    kind, side = key.split("_")
    colour = VARIATION_COLOURS[{"improvement": IMPROVEMENT, "concern": CONCERN,
                                "neither": NEITHER}[kind]]
    ys = [60, 64, 58, 62, 50, 46, 44] if side == "high" else [46, 42, 48, 44, 56, 60, 62]
    ys = [y + 8 for y in ys] if side == "high" else [y - 8 for y in ys]
    body = _dots(ys, [_GREY] * 4 + [colour] * 3)
    letter = _letter("H" if side == "high" else "L", colour, 50, 28 if side == "high" else 74,
                     0.6)
    return _icon(colour, body + letter, VARIATION_ICONS[key], size)


def assurance_icon_svg(key: str, *, size: int = 40) -> str:
    """An assurance icon as an SVG string: P (pass, blue), F (fail, orange), ? (hit and miss, grey).

    Parameters
    ----------
    key : str
        'pass', 'fail', 'inconsistent' or 'none' (an empty grey ring).
    size : int
        Width and height in pixels.
    """
    if key not in ASSURANCE_ICONS:
        raise SPCError(f"Unknown assurance icon {key!r}; use one of {sorted(ASSURANCE_ICONS)}.")
    colour = ASSURANCE_COLOURS[key]
    letter = {"pass": "P", "fail": "F", "inconsistent": "?"}.get(key)
    body = _letter(letter, colour, 50, 50, 1.6) if letter else ""
    return _icon(colour, body, ASSURANCE_ICONS[key], size)


def svg_data_uri(svg: str) -> str:
    """An SVG string as a ``data:`` URI, for an image mark or an image column in a table."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
