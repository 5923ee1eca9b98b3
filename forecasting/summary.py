"""Descriptive views of activity: trust totals, period totals, coverage and year-on-year headlines."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schema import METRIC_LABELS, STOCK_METRICS, TRUST_TOTAL, infer_frequency, metric_order

__all__ = ["with_trust_total", "resample_activity", "coverage", "headline_figures",
           "headline_table", "headline_sentence", "chart_series", "four_hour_performance", "to_daily", "VIEWS",
           "PERFORMANCE_4H"]

#: A derived measure: the share of attendances leaving A&E within 4 hours, in per cent.
PERFORMANCE_4H = "performance_4h"

#: Period views offered for history charts, and the pandas period each maps to.
VIEWS = {"daily": "D", "weekly": "W-SUN", "monthly": "M"}
_PERIOD_DAYS = {"daily": 1, "weekly": 7}


def _aggregate(metric: str) -> str:
    """Counts add up over a period; a census (occupied beds) averages."""
    return "mean" if metric in STOCK_METRICS else "sum"


def with_trust_total(activity: pd.DataFrame) -> pd.DataFrame:
    """Add the trust total (sum over sites) as a site of its own.

    A total is formed for each metric and date only where every site that reports that
    metric has a figure, so a late extract from one site never shows as a fall in demand.
    Rows already named ``Trust total`` are kept as given and not recomputed.
    """
    if activity.empty or (activity["site"] == TRUST_TOTAL).any():
        return activity
    sites_per_metric = activity.groupby("metric")["site"].nunique()
    multi = sites_per_metric[sites_per_metric > 1].index
    parts = activity[activity["metric"].isin(multi)]
    if parts.empty:
        return activity
    total = parts.groupby(["metric", "date"], as_index=False).agg(value=("value", "sum"),
                                                                   n=("site", "nunique"))
    total = total[total["n"].to_numpy() == total["metric"].map(sites_per_metric).to_numpy()]
    total = total.drop(columns="n").assign(site=TRUST_TOTAL)[["site", "metric", "date", "value"]]
    return pd.concat([activity, total], ignore_index=True)


def resample_activity(activity: pd.DataFrame, view: str = "weekly") -> pd.DataFrame:
    """Totals per day, week (Monday to Sunday) or month; occupied beds are averaged instead.

    Returns the contract columns plus ``days`` (days with data in the period) and
    ``complete`` (the period is fully covered), so a chart need not show a half-finished
    week as a fall in demand.
    """
    if view not in VIEWS:
        raise ValueError(f"view must be one of {', '.join(VIEWS)}, not {view!r}.")
    if activity.empty:
        return activity.assign(days=pd.Series(dtype=int), complete=pd.Series(dtype=bool))
    if view == "monthly":
        activity = _spread_weeks(activity)
    df = activity.assign(date=activity["date"].dt.to_period(VIEWS[view]).dt.start_time,
                         _day=activity["date"].dt.normalize(), _orig=activity["date"])
    out = []
    for how in ("sum", "mean"):
        part = df[df["metric"].map(_aggregate) == how]
        if part.empty:
            continue
        g = part.groupby(["site", "metric", "date"], as_index=False)
        if how == "mean":
            # a census is a level: average the days, not the hours within a day
            part = part.groupby(["site", "metric", "date", "_day"], as_index=False)["value"].mean()
            g = part.groupby(["site", "metric", "date"], as_index=False)
        out.append(g.agg(value=("value", how), days=("_day", "nunique")))
    res = pd.concat(out, ignore_index=True).sort_values(["site", "metric", "date"], ignore_index=True)
    if view == "monthly":
        expected = res["date"].dt.days_in_month
    else:
        expected = _PERIOD_DAYS[view]
    # a period is complete when its rows cover its days: a day with any row (hourly or daily)
    # one, a weekly row seven and a monthly row its month (a weekly or monthly return is one
    # row per period, so counting days with a row would call every period incomplete);
    # weekly rows fill a month to within the six days of a straddling week
    freq = _series_frequency(activity)
    cover = _covered_days(df, freq).reindex(pd.MultiIndex.from_frame(res[["site", "metric", "date"]]))
    key = pd.MultiIndex.from_frame(res[["site", "metric"]])
    span = freq.map(lambda f: 7 if f == "weekly" else 1).reindex(key).fillna(1).to_numpy()
    # a series coarser than the view (a month of a monthly return in a weekly view) never
    # makes a whole period of it
    coarser = freq.map(_RANK.get).reindex(key).fillna(0).to_numpy() > _RANK[view]
    res["complete"] = (cover.to_numpy() >= np.asarray(expected) - (span - 1) - 1e-9) & ~coarser
    return res


_RANK = {"hourly": 0, "daily": 1, "weekly": 2, "monthly": 3}


def _spread_weeks(activity: pd.DataFrame) -> pd.DataFrame:
    """Weekly rows as seven daily rows, so a week that straddles two months adds to both.

    Each weekly row is taken to start its week (week commencing). A count is shared equally
    over the seven days; a census keeps its level on each. Without this, a month holding five
    week-commencing dates showed five weeks' activity and the next four.
    """
    freq = _series_frequency(activity)
    weekly = np.asarray(_per_row(activity, freq) == "weekly", dtype=bool)
    if not weekly.any():
        return activity
    weeks = activity[weekly]
    days = weeks.loc[weeks.index.repeat(7)].copy()
    offset = np.tile(np.arange(7), len(weeks))
    days["date"] = days["date"] + pd.to_timedelta(offset, unit="D")
    share = np.where(days["metric"].isin(list(STOCK_METRICS)), 1.0, 1 / 7)
    days["value"] = days["value"].to_numpy(dtype=float) * share
    return pd.concat([activity[~weekly], days], ignore_index=True)


def _series_frequency(activity: pd.DataFrame) -> pd.Series:
    """Each (site, metric)'s own frequency: hourly, daily, weekly or monthly."""
    return activity.groupby(["site", "metric"])["date"].agg(infer_frequency)


def _per_row(df: pd.DataFrame, by_series: pd.Series) -> np.ndarray:
    """A per-(site, metric) value spread to every row of ``df`` (a join, not a Python loop)."""
    keys = by_series.rename("_v").reset_index()
    return df[["site", "metric"]].merge(keys, on=["site", "metric"], how="left")["_v"].to_numpy()


def _covered_days(df: pd.DataFrame, freq: pd.Series) -> pd.Series:
    """Days covered per (site, metric, period) by the rows falling in it (``df`` has period dates
    in ``date`` and the original dates in ``_day``/``_orig``)."""
    f = _per_row(df, freq)
    per_row = np.select([f == "weekly", f == "monthly"],
                        [7.0, df["_orig"].dt.days_in_month.to_numpy(dtype=float)], 1.0)
    hourly = f == "hourly"
    if hourly.any():
        # a day with any hour counts (quiet hours often have no row), except a series' last
        # day when it stops before 23:00: an extract taken part-way through the day
        h = df[hourly]
        per_day = h.groupby(["site", "metric", "_day"])["_orig"].transform("size").to_numpy()
        last_day = h.groupby(["site", "metric"])["_day"].transform("max")
        last_hour = h.groupby(["site", "metric"])["_orig"].transform("max")
        cut = ((h["_day"] == last_day) & (last_hour.dt.hour < 23)).to_numpy()
        per_row[hourly] = np.where(cut, 0.0, 1.0 / per_day)
    return pd.Series(per_row, index=df.index).groupby([df["site"], df["metric"], df["date"]]).sum()


def coverage(activity: pd.DataFrame) -> pd.DataFrame:
    """What is loaded: per site and metric, the frequency, first and last date, rows and gaps."""
    rows = []
    for (site, metric), part in activity.groupby(["site", "metric"], sort=True):
        freq = infer_frequency(part["date"])
        first, last = part["date"].min(), part["date"].max()
        step = {"hourly": "h", "daily": "D", "weekly": "7D"}.get(freq)
        if step:
            expected = len(pd.date_range(first, last, freq=step))
        elif freq == "monthly":
            expected = (last.year - first.year) * 12 + last.month - first.month + 1
        else:
            expected = len(part)
        rows.append({"site": site, "metric": metric, "label": METRIC_LABELS.get(metric, metric),
                     "frequency": freq, "first": first, "last": last, "periods": len(part),
                     "missing": max(expected - len(part), 0)})
    out = pd.DataFrame(rows, columns=["site", "metric", "label", "frequency", "first", "last",
                                      "periods", "missing"])
    order = {m: i for i, m in enumerate(metric_order(out["metric"]))}
    return out.sort_values(["metric", "site"], key=lambda c: c.map(order) if c.name == "metric" else c,
                           ignore_index=True)


#: For weekly and monthly series the headline windows (keyed by their daily length, 7 and 28)
#: become the latest week or month and the latest four weeks or three months.
_PERIOD_WINDOWS = {"weekly": {7: (1, "1 week"), 28: (4, "4 weeks")},
                   "monthly": {7: (1, "1 month"), 28: (3, "3 months")}}


def headline_figures(activity: pd.DataFrame, windows=(7, 28)) -> pd.DataFrame:
    """Last N days against the same N days a year earlier, per site and metric.

    A year earlier means 364 days (52 weeks) back, so both periods hold the same weekdays:
    a 7-day window always compares like with like. Counts are summed; occupied beds and other
    census measures are the average over the window. Hourly series are first added up to days,
    and a last day not yet complete (an extract taken at 09:00) is left out, so the window ends
    at the last whole day. Weekly series use the latest 1 and 4 weeks against 52 weeks earlier,
    monthly series the latest 1 and 3 months against 12 months earlier (the windows 7 and 28
    stand for them).

    Returns
    -------
    DataFrame
        ``site, metric, window, label, start, end, value, last_year, change, change_pct``
        (``label`` e.g. '28 days' or '3 months'); the comparison is left empty when the
        year-earlier period is not fully covered.
    """
    freq = _series_frequency(activity) if not activity.empty else pd.Series(dtype=object)
    fine = activity[np.isin(_per_row(activity, freq), ["hourly", "daily"])] if not activity.empty else activity
    daily = resample_activity(fine, "daily")
    rows = []
    for (site, metric), part in daily.groupby(["site", "metric"], sort=True):
        complete = part.loc[part["complete"], "date"]
        if complete.empty:
            continue
        s = part.set_index("date")["value"]
        s = s[: complete.max()]  # up to the last whole day
        rows += _window_rows(site, metric, s, windows, lambda n: (n, f"{n} days"),
                             lambda end, k: end - pd.Timedelta(days=k - 1), pd.Timedelta(days=364))
    for (site, metric), part in activity.groupby(["site", "metric"], sort=True):
        f = freq.get((site, metric))
        if f not in _PERIOD_WINDOWS:
            continue
        s = part.set_index("date")["value"].sort_index()
        if f == "weekly":
            back, step = pd.Timedelta(weeks=52), (lambda end, k: end - pd.Timedelta(weeks=k - 1))
        else:
            back, step = pd.DateOffset(months=12), (lambda end, k: end - pd.DateOffset(months=k - 1))
        rows += _window_rows(site, metric, s, windows, lambda n, f=f: _PERIOD_WINDOWS[f].get(n, (n, f"{n}")),
                             step, back, keyed=True)
    return pd.DataFrame(rows, columns=["site", "metric", "window", "label", "start", "end", "value",
                                       "last_year", "change", "change_pct"])


def _window_rows(site, metric, s: pd.Series, windows, size, first, back, keyed: bool = False) -> list[dict]:
    """Headline rows of one series: for each window, its value and the year-earlier value."""
    how = _aggregate(metric)
    end = s.index.max()
    rows = []
    for n in windows:
        k, label = size(n)
        start = first(end, k)
        now = s[start:end]
        ly = s[start - back: end - back]
        value = getattr(now, how)() if len(now) == k else np.nan
        last_year = getattr(ly, how)() if len(ly) == k else np.nan
        change = value - last_year
        rows.append({"site": site, "metric": metric, "window": n, "label": label, "start": start,
                     "end": end, "value": value, "last_year": last_year, "change": change,
                     "change_pct": 100 * change / last_year if last_year else np.nan})
    return rows


def headline_sentence(headlines: pd.DataFrame, site: str, metric: str, window: int = 28) -> str:
    """A chart title that states the message, e.g. 'Trust total A&E attendances 3.1% higher ...'."""
    row = headlines[(headlines["site"] == site) & (headlines["metric"] == metric)
                    & (headlines["window"] == window)]
    label = METRIC_LABELS.get(metric, metric.replace("_", " "))
    if row.empty or pd.isna(row["change_pct"].iloc[0]):
        return f"{label} at {site}"
    pct = row["change_pct"].iloc[0]
    where = "across the trust" if site == TRUST_TOTAL else f"at {site}"
    if abs(pct) < 0.5:
        trend = "level with"
    else:
        trend = f"{abs(pct):.1f}% {'higher' if pct > 0 else 'lower'} than"
    span = row["label"].iloc[0] if "label" in row else f"{window} days"
    same = "months" if "month" in span else "weeks"
    return f"{label} {where} over the last {span} were {trend} the same {same} last year"


def headline_table(headlines: pd.DataFrame) -> pd.DataFrame:
    """Headline figures laid out one row per site and metric, one column group per window."""
    if headlines.empty:
        return pd.DataFrame(columns=["Site", "Metric"])
    out = headlines[["site", "metric"]].drop_duplicates().reset_index(drop=True)
    for n in sorted(headlines["window"].unique()):
        part = headlines[headlines["window"] == n].set_index(["site", "metric"])
        key = pd.MultiIndex.from_frame(out[["site", "metric"]])
        # '28 days' for daily data, '3 months' for monthly; both when the data mixes them
        span = " / ".join(dict.fromkeys(part["label"])) if "label" in part else f"{n} days"
        change = f"Change {n}d (%)" if span == f"{n} days" else f"Change, {span} (%)"
        out[f"Last {span}"] = part["value"].reindex(key).round(0).to_numpy()
        out[f"Same {span} last year"] = part["last_year"].reindex(key).round(0).to_numpy()
        out[change] = part["change_pct"].reindex(key).round(1).to_numpy()
    # metrics in reading order; the trust total last within each metric, as in a board table
    order = {m: i for i, m in enumerate(metric_order(out["metric"]))}
    out = out.assign(_m=out["metric"].map(order), _total=out["site"] == TRUST_TOTAL)
    out = out.sort_values(["_m", "_total", "site"], kind="stable").drop(columns=["_m", "_total"])
    out["metric"] = out["metric"].map(lambda m: METRIC_LABELS.get(m, m))
    return out.rename(columns={"site": "Site", "metric": "Metric"}).reset_index(drop=True)


def chart_series(activity: pd.DataFrame, metric: str, view: str = "weekly", *, sites=None,
                 start=None, complete_only: bool = True) -> pd.DataFrame:
    """One metric at one period, ready to chart: chosen sites, from a start date, whole periods.

    ``view`` may also be 'hourly' for hourly data (returned as it is).
    """
    data = activity[activity["metric"] == metric]
    if sites is not None:
        data = data[data["site"].isin(list(sites))]
    if view != "hourly":
        data = resample_activity(data, view)
        if complete_only:
            data = data[data["complete"]]
    if start is not None:
        data = data[data["date"] >= pd.Timestamp(start)]
    return data.reset_index(drop=True)


def four_hour_performance(periods: pd.DataFrame) -> pd.DataFrame:
    """Per cent of attendances within 4 hours, 100 x (1 - breaches_4h / attendances), per site and period.

    ``periods`` is activity at one period (e.g. from :func:`chart_series` or
    :func:`resample_activity`) holding both ``attendances`` and ``breaches_4h``; periods with no
    attendances are left out. Returns the activity contract with metric ``performance_4h``.
    """
    wide = periods[periods["metric"].isin(["attendances", "breaches_4h"])].pivot_table(
        index=["site", "date"], columns="metric", values="value", aggfunc="sum")
    if not {"attendances", "breaches_4h"} <= set(wide.columns):
        return pd.DataFrame(columns=["site", "metric", "date", "value"])
    wide = wide.dropna()
    wide = wide[wide["attendances"] > 0]
    out = (100 * (1 - wide["breaches_4h"] / wide["attendances"])).rename("value").reset_index()
    out.insert(1, "metric", PERFORMANCE_4H)
    return out


def to_daily(activity: pd.DataFrame) -> pd.DataFrame:
    """Daily activity for the day-based views (beds, staffing, the board pack): hourly data is
    totalled per day (occupied beds averaged), daily data is returned as it is (the same
    object, so a cache keyed on it still matches).

    Raises
    ------
    ValueError
        For weekly or monthly data, saying which it is ("this data set is monthly").
    """
    frequency = infer_frequency(activity["date"]) if not activity.empty else "daily"
    if frequency == "daily":
        return activity
    if frequency != "hourly":
        raise ValueError(f"this data set is {frequency}")
    return resample_activity(activity, "daily")[["site", "metric", "date", "value"]]
