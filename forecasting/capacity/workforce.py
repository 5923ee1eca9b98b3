"""ED workforce against forecast demand: arrival profile, hourly demand, staff required, rota gaps, Erlang-C."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..calendar import DEFAULT_HOLIDAYS, bank_holidays
from ..forecast import DEFAULT_QUANTILES, quantile_name
from ..schema import ATTENDANCES

__all__ = [
    "WEEKDAYS", "ROLES", "RotaError", "WorkforceParams",
    "arrival_profile", "hourly_demand", "staff_required", "read_rota", "staffing_gap",
    "gap_heatmap", "worst_gaps", "wte_gap", "erlang_c", "prob_wait_longer", "queue_check",
]

#: Weekday names as the rota and every table spell them (Monday = 0, as pandas counts).
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: Staff groups the rota lists, as rota column names.
ROLES = ("clinicians", "nurses")
_ROTA_COLUMNS = ("site", "weekday", "hour", *ROLES)
_PERIODS = ("week", "weekend", "bank_holiday")


class RotaError(ValueError):
    """A rota table that cannot be used, with what to fix."""


@dataclass(frozen=True, kw_only=True)
class WorkforceParams:
    """Editable productivity and planning assumptions for ED staffing.

    Parameters
    ----------
    patients_per_clinician_hour : float
        New patients one decision-making clinician (doctor or ACP) sees per hour on shift.
        2.5 means a mean of 24 minutes of clinician time per patient.
    patients_per_nurse_hour : float
        New patients one registered nurse can take per hour on shift.
    planning_quantile : float
        Demand level staffed for: 0.5 (P50, an average day), 0.8 (P80, four days in five
        covered) or 0.9 (P90). Must be strictly between 0 and 1.
    nurse_led_sites : tuple of str
        Sites where nurses / emergency nurse practitioners see every patient (a minor
        injuries unit): no clinicians are required there from demand, and the queueing
        check uses the nurses on shift and ``patients_per_nurse_hour``.
    min_clinicians, min_nurses : int
        Floor of staff on shift in any hour with arrivals expected (safe staffing minimum).
        Zero by default so the figures show what demand alone implies.
    hours_per_wte : float
        Contracted hours a week of one whole-time equivalent (Agenda for Change: 37.5).
    leave_allowance_pct : float
        Share of contracted hours lost to annual leave, bank holidays, study leave and
        sickness (often 20-25 %); the WTE figures are inflated by it.
    """

    patients_per_clinician_hour: float = 2.5
    patients_per_nurse_hour: float = 2.0
    planning_quantile: float = 0.8
    nurse_led_sites: tuple[str, ...] = ()
    min_clinicians: int = 0
    min_nurses: int = 0
    hours_per_wte: float = 37.5
    leave_allowance_pct: float = 21.0

    def __post_init__(self):
        for name in ("patients_per_clinician_hour", "patients_per_nurse_hour"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and 0 < value <= 20):
                raise ValueError(f"{name} must be a number above 0 and at most 20 patients an hour, "
                                 f"not {value!r}.")
        if not 0 < self.planning_quantile < 1:
            raise ValueError("planning_quantile must be between 0 and 1 (e.g. 0.8 for P80), "
                             f"not {self.planning_quantile!r}.")
        if isinstance(self.nurse_led_sites, str) or not isinstance(self.nurse_led_sites, tuple):
            # a tuple keeps the parameters hashable (a cache key); a bare string would be split
            raise ValueError("nurse_led_sites must be a tuple of site names, e.g. ('Kidderminster',), "
                             f"not {self.nurse_led_sites!r}.")
        for name in ("min_clinicians", "min_nurses"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"{name} must be a whole number of staff, 0 or more, not {value!r}.")
        if not 0 < self.hours_per_wte <= 48:
            raise ValueError(f"hours_per_wte must be above 0 and at most 48 (the Working Time limit), "
                             f"not {self.hours_per_wte!r}.")
        if not 0 <= self.leave_allowance_pct < 100:
            raise ValueError("leave_allowance_pct must be from 0 up to (not including) 100 %, "
                             f"not {self.leave_allowance_pct!r}.")

    @property
    def clinician_minutes_per_patient(self) -> float:
        """Mean clinician time per patient, the service time of the Erlang-C check."""
        return 60.0 / self.patients_per_clinician_hour

    @property
    def effective_hours_per_wte(self) -> float:
        """Hours a week one WTE is actually on the rota, after leave and sickness."""
        return self.hours_per_wte * (1 - self.leave_allowance_pct / 100)

    def per_hour(self, role: str) -> float:
        """Patients per staff-hour for a rota role."""
        return {"clinicians": self.patients_per_clinician_hour,
                "nurses": self.patients_per_nurse_hour}[role]


# --------------------------------------------------------------------------------------
# demand by hour
# --------------------------------------------------------------------------------------
def arrival_profile(hourly_activity: pd.DataFrame, *, weeks: int | None = None,
                    metric: str = ATTENDANCES) -> pd.DataFrame:
    """Share of a day's arrivals falling in each hour, per site and weekday.

    Parameters
    ----------
    hourly_activity : DataFrame
        Hourly activity contract (``site``, ``metric``, ``date``, ``value``), e.g.
        ``load_sample("hourly")``. Rows of other metrics are ignored.
    weeks : int, optional
        Use only the last ``weeks`` weeks of each site (recent patterns); all data if None.
    metric : str
        Which metric gives the arrivals (attendances by default).

    Returns
    -------
    DataFrame
        Columns ``site``, ``weekday`` (``Monday``..``Sunday``), ``hour`` (0-23), ``share``;
        168 rows per site, shares summing to 1 over the hours of each site and weekday.
    """
    frame = hourly_activity
    if "metric" in frame.columns:
        frame = frame[frame["metric"] == metric]
    if frame.empty:
        raise ValueError(f"No hourly {metric} to build an arrival profile from: load hourly activity "
                         "(one row per site and hour).")
    if weeks is not None:
        if weeks < 1:
            raise ValueError(f"weeks must be 1 or more, not {weeks!r}.")
        start = frame.groupby("site")["date"].transform("max") - pd.Timedelta(weeks=weeks)
        frame = frame[frame["date"] > start]
    dates = pd.DatetimeIndex(frame["date"])
    means = (frame.assign(weekday=dates.day_of_week, hour=dates.hour)
             .groupby(["site", "weekday", "hour"])["value"].mean())
    full = pd.MultiIndex.from_product([means.index.unique("site"), range(7), range(24)],
                                      names=["site", "weekday", "hour"])
    means = means.reindex(full, fill_value=0.0)
    totals = means.groupby(level=["site", "weekday"]).transform("sum")
    # A weekday with no arrivals at all (a closed unit) gets a flat profile so every day
    # still shares out its forecast; a zero forecast then stays zero in every hour.
    share = np.where(totals > 0, means / totals.where(totals > 0, 1.0), 1 / 24)
    out = means.reset_index()[["site", "weekday", "hour"]]
    out["share"] = share
    out["weekday"] = out["weekday"].map(dict(enumerate(WEEKDAYS)))
    return out


def _day_variance(frame: pd.DataFrame) -> np.ndarray:
    """Variance of each day's total implied by the forecast's widest central interval."""
    for lo, hi in ((0.1, 0.9), (0.05, 0.95), (0.25, 0.75), (0.025, 0.975)):
        a, b = quantile_name(lo), quantile_name(hi)
        if a in frame.columns and b in frame.columns:
            sd = (frame[b].to_numpy(float) - frame[a].to_numpy(float)) / (2 * stats.norm.ppf(hi))
            return np.maximum(sd, 0.0) ** 2
    # no interval at all: treat the day's count as Poisson around its mean
    return frame["mean"].to_numpy(float).copy()


def _count_quantile(mean: np.ndarray, var: np.ndarray, q: float) -> np.ndarray:
    """Quantile of a count with this mean and variance: negative binomial, else Poisson."""
    mean, var = np.asarray(mean, float), np.asarray(var, float)
    out = np.zeros_like(mean)
    pos = mean > 0
    over = pos & (var > mean * (1 + 1e-9))
    if over.any():
        m, v = mean[over], var[over]
        out[over] = stats.nbinom.ppf(q, m * m / (v - m), m / v)
    pois = pos & ~over
    if pois.any():
        out[pois] = stats.poisson.ppf(q, mean[pois])
    return out


def hourly_demand(daily_forecast: pd.DataFrame, profile: pd.DataFrame, *,
                  quantiles=DEFAULT_QUANTILES, metric: str = ATTENDANCES) -> pd.DataFrame:
    """Spread a daily forecast over the hours of each day with the arrival profile.

    Given the day's total N, the hourly counts are multinomial with the profile's shares
    s_h, so hour h has E[X_h] = s_h E[N] and, by the law of total variance,
    Var[X_h] = E[N] s_h (1 - s_h) + s_h^2 Var[N]: the within-day (binomial, close to
    Poisson) spread plus the day's forecast spread. Var[N] is read from the forecast's
    central interval as if it were normal (P10-P90 preferred), or taken as E[N] (Poisson)
    if the forecast has no quantiles. Hourly quantiles come from a negative binomial with
    the same mean and variance (moment matching), or a Poisson when the variance is not
    above the mean. This is an approximation: it ignores the correlation between
    neighbouring days and hour-to-hour clustering beyond the profile.

    Parameters
    ----------
    daily_forecast : DataFrame
        Forecast contract (``site``, ``metric``, ``date``, ``mean``, quantile columns; a
        ``model`` column is carried through). Only ``metric`` rows are used.
    profile : DataFrame
        Output of :func:`arrival_profile`.
    quantiles : sequence of float
        Quantile levels of the returned columns.
    metric : str
        Forecast metric to spread (attendances by default).

    Returns
    -------
    DataFrame
        Columns ``site``, ``metric``, [``model``], ``date`` (the hour's start), ``weekday``,
        ``hour``, ``mean``, ``variance`` and one column per quantile (``p10`` ...).
    """
    fc = daily_forecast
    if "metric" in fc.columns:
        fc = fc[fc["metric"] == metric]
    if fc.empty:
        raise ValueError(f"The forecast has no {metric} rows to spread over the hours.")
    missing = sorted(set(fc["site"]) - set(profile["site"]))
    if missing:
        raise ValueError(f"No arrival profile for site(s) {', '.join(missing)}: load hourly data "
                         "for them or pick sites that have it.")
    keep = [c for c in ("site", "metric", "model", "date", "mean") if c in fc.columns]
    day = fc[keep].copy()
    day["day_var"] = _day_variance(fc)
    day["date"] = pd.to_datetime(day["date"]).dt.normalize()
    day["weekday"] = day["date"].dt.day_of_week.map(dict(enumerate(WEEKDAYS)))
    out = day.merge(profile, on=["site", "weekday"], how="left")
    s = out["share"].to_numpy(float)
    n_mean = out["mean"].to_numpy(float)
    out["mean"] = s * n_mean
    out["variance"] = n_mean * s * (1 - s) + s * s * out["day_var"].to_numpy(float)
    out["date"] = out["date"] + pd.to_timedelta(out["hour"], unit="h")
    for q in quantiles:
        out[quantile_name(q)] = _count_quantile(out["mean"], out["variance"], q)
    out = out.drop(columns=["day_var", "share"])
    order = [c for c in ("site", "metric", "model", "date") if c in out.columns]
    return out.sort_values(order, ignore_index=True)


# --------------------------------------------------------------------------------------
# staff required and the rota
# --------------------------------------------------------------------------------------
def staff_required(hourly_demand: pd.DataFrame, params: WorkforceParams = WorkforceParams()) -> pd.DataFrame:
    """Clinicians and nurses needed in each hour to see demand at the planning quantile.

    Parameters
    ----------
    hourly_demand : DataFrame
        Output of :func:`hourly_demand` (``mean`` and ``variance``), or an hourly forecast
        with a column for the planning quantile (e.g. ``p80``) plus ``weekday`` and ``hour``.
    params : WorkforceParams
        Productivity and planning quantile.

    Returns
    -------
    DataFrame
        Columns ``site``, ``date``, ``weekday``, ``hour``, ``demand`` (arrivals at the
        planning quantile), ``clinicians``, ``nurses`` (whole staff, rounded up).
    """
    keys = [c for c in ("site", "model", "date", "weekday", "hour") if c in hourly_demand.columns]
    out = hourly_demand[keys].copy()
    column = quantile_name(params.planning_quantile)
    if "variance" in hourly_demand.columns:
        demand = _count_quantile(hourly_demand["mean"], hourly_demand["variance"], params.planning_quantile)
    elif column in hourly_demand.columns:
        # an hourly model's own forecast (next 48 hours) already carries the quantile
        demand = hourly_demand[column].to_numpy(float)
    else:
        raise ValueError(f"The hourly demand has neither a variance nor a {column} column for the "
                         f"planning quantile {params.planning_quantile:g}: build it with hourly_demand() "
                         f"or forecast that quantile.")
    out["demand"] = demand
    floors = {"clinicians": params.min_clinicians, "nurses": params.min_nurses}
    for role in ROLES:
        # the small epsilon stops 4.0000000001 staff (float noise) becoming 5
        need = np.ceil(demand / params.per_hour(role) - 1e-9).astype(int)
        out[role] = np.where(demand > 0, np.maximum(need, floors[role]), 0)
    out.loc[out["site"].isin(params.nurse_led_sites), "clinicians"] = 0
    return out


def read_rota(path_or_frame) -> pd.DataFrame:
    """Read and check a rota: staff on shift by site, weekday and hour.

    Parameters
    ----------
    path_or_frame : str, Path or DataFrame
        A CSV or XLSX file, or a frame, with columns ``site``, ``weekday`` (``Monday`` ..
        ``Sunday``; ``Mon`` and any capitalisation accepted), ``hour`` (0-23),
        ``clinicians``, ``nurses``. Missing site/weekday/hour combinations mean no staff.

    Returns
    -------
    DataFrame
        The same columns, weekday spelled in full, integer counts, 168 rows per site.

    Raises
    ------
    RotaError
        Naming the columns, rows (spreadsheet numbering, header = row 1) and values to fix.
    """
    if isinstance(path_or_frame, pd.DataFrame):
        raw = path_or_frame.copy()
    else:
        path = Path(path_or_frame)
        if not path.exists():
            raise RotaError(f"Rota file not found: {path}.")
        raw = pd.read_excel(path) if path.suffix.lower() in (".xlsx", ".xls") else pd.read_csv(path)
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    missing = [c for c in _ROTA_COLUMNS if c not in raw.columns]
    if missing:
        raise RotaError(f"The rota is missing column(s) {', '.join(missing)}; it needs "
                        f"{', '.join(_ROTA_COLUMNS)} (one row per site, weekday and hour).")
    rows = np.arange(len(raw)) + 2
    problems = []

    def where(mask) -> str:
        bad = rows[np.asarray(mask)]
        extra = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        return "row" + ("s " if len(bad) > 1 else " ") + ", ".join(map(str, bad[:5])) + extra

    lookup = {w.lower(): w for w in WEEKDAYS} | {w[:3].lower(): w for w in WEEKDAYS}
    weekday = raw["weekday"].astype(str).str.strip().str.lower().map(lookup)
    if weekday.isna().any():
        bad = raw["weekday"][weekday.isna()].astype(str).unique()[:3]
        problems.append(f"unknown weekday {', '.join(map(repr, bad))} in {where(weekday.isna())}: "
                        "use Monday to Sunday")
    hour = pd.to_numeric(raw["hour"], errors="coerce")
    bad_hour = hour.isna() | (hour % 1 != 0) | (hour < 0) | (hour > 23)
    if bad_hour.any():
        problems.append(f"hour outside 0-23 in {where(bad_hour)}: give the hour the shift-hour "
                        "starts, 0 (midnight) to 23")
    for role in ROLES:
        n = pd.to_numeric(raw[role], errors="coerce")
        bad = n.isna() | (n < 0) | (n % 1 != 0)
        if bad.any():
            problems.append(f"{role} must be a whole number 0 or more; check {where(bad)}")
        raw[role] = n
    site = raw["site"].astype(str).str.strip()
    if (raw["site"].isna() | (site == "")).any():
        problems.append(f"site is blank in {where(raw['site'].isna() | (site == ''))}")
    if problems:
        raise RotaError("The rota cannot be used: " + "; ".join(problems) + ".")
    out = pd.DataFrame({"site": site, "weekday": weekday, "hour": hour.astype(int),
                        "clinicians": raw["clinicians"].astype(int), "nurses": raw["nurses"].astype(int)})
    dup = out.duplicated(["site", "weekday", "hour"], keep=False)
    if dup.any():
        raise RotaError(f"The rota lists the same site, weekday and hour more than once ({where(dup)}): "
                        "keep one row each (add the staff together).")
    full = pd.MultiIndex.from_product([out["site"].unique(), WEEKDAYS, range(24)],
                                      names=["site", "weekday", "hour"])
    out = out.set_index(["site", "weekday", "hour"]).reindex(full, fill_value=0).reset_index()
    return out


def staffing_gap(required: pd.DataFrame, rota: pd.DataFrame) -> pd.DataFrame:
    """Required against rostered staff per site, hour and role.

    Parameters
    ----------
    required : DataFrame
        Output of :func:`staff_required`.
    rota : DataFrame
        Output of :func:`read_rota` (a site missing from the rota counts as no staff).

    Returns
    -------
    DataFrame
        Long by role: ``site``, ``date``, ``weekday``, ``hour``, ``role``, ``required``,
        ``rostered``, ``gap`` = required - rostered (positive = short-staffed).
    """
    keys = ["site", "date", "weekday", "hour"]
    req = required.melt(id_vars=keys, value_vars=list(ROLES), var_name="role", value_name="required")
    ros = rota.melt(id_vars=["site", "weekday", "hour"], value_vars=list(ROLES),
                    var_name="role", value_name="rostered")
    out = req.merge(ros, on=["site", "weekday", "hour", "role"], how="left")
    out["rostered"] = out["rostered"].fillna(0).astype(int)
    out["gap"] = out["required"] - out["rostered"]
    return out.sort_values(["site", "role", "date"], ignore_index=True)


def gap_heatmap(gaps: pd.DataFrame) -> pd.DataFrame:
    """Weekday x hour summary of :func:`staffing_gap`: mean required, rostered and gap.

    Returns
    -------
    DataFrame
        ``site``, ``role``, ``weekday``, ``hour``, ``required``, ``rostered``, ``gap``
        (means over the dates covered), weekdays in calendar order.
    """
    out = (gaps.groupby(["site", "role", "weekday", "hour"], observed=True)[["required", "rostered", "gap"]]
           .mean().reset_index())
    out["weekday"] = pd.Categorical(out["weekday"], categories=WEEKDAYS, ordered=True)
    return out.sort_values(["site", "role", "weekday", "hour"], ignore_index=True)


def worst_gaps(gaps: pd.DataFrame, n: int = 10, period: str = "week", *, start=None,
               holidays=DEFAULT_HOLIDAYS) -> pd.DataFrame:
    """The hours most short of staff in the coming week, weekend or next bank holiday.

    Parameters
    ----------
    gaps : DataFrame
        Output of :func:`staffing_gap`.
    n : int
        Rows to return (largest shortfall first; only hours actually short).
    period : {"week", "weekend", "bank_holiday"}
        The 7 days from ``start``; the first Saturday and Sunday on or after ``start``; or
        the first England bank holiday on or after ``start``.
    start : date-like, optional
        First day considered; the first date in ``gaps`` if None.
    holidays : str or DataFrame
        Holiday calendar for ``bank_holiday`` (see :func:`forecasting.calendar.bank_holidays`).

    Returns
    -------
    DataFrame
        Rows of ``gaps`` with ``gap > 0`` in the period, at most ``n``, with a ``period``
        column naming it (e.g. ``"Christmas Day 2025-12-25"``). Empty if none are short.
    """
    if period not in _PERIODS:
        raise ValueError(f"period must be one of {', '.join(_PERIODS)}, not {period!r}.")
    dates = pd.to_datetime(gaps["date"])
    day = dates.dt.normalize()
    start = day.min() if start is None else pd.Timestamp(start).normalize()
    if period == "week":
        mask, label = (day >= start) & (day < start + pd.Timedelta(days=7)), f"week from {start:%Y-%m-%d}"
    elif period == "weekend":
        sat = start + pd.Timedelta(days=(5 - start.day_of_week) % 7)
        mask = (day >= sat) & (day <= sat + pd.Timedelta(days=1))
        label = f"weekend {sat:%Y-%m-%d}"
        if start.day_of_week == 6:  # a Sunday start is already inside a weekend
            mask, label = day == start, f"weekend {start:%Y-%m-%d}"
    else:
        hol = bank_holidays(start, max(day.max(), start), holidays)
        if hol.empty:
            return gaps.iloc[:0].assign(period=pd.Series(dtype=str))
        first = hol.iloc[0]
        mask, label = day == first["date"], f"{first['name']} {first['date']:%Y-%m-%d}"
    out = gaps[mask & (gaps["gap"] > 0)]
    out = out.sort_values(["gap", "date"], ascending=[False, True]).head(n)
    return out.assign(period=label).reset_index(drop=True)


def wte_gap(gaps: pd.DataFrame, params: WorkforceParams = WorkforceParams()) -> pd.DataFrame:
    """Whole-time equivalents the shortfall implies, per site and role.

    Surplus in one hour cannot cover a gap in another, so only short hours count. Weekly
    shortfall hours = sum of positive gaps / weeks covered; WTE = that / the hours a week
    one WTE is on the rota after leave (``params.effective_hours_per_wte``).

    Returns
    -------
    DataFrame
        ``site``, ``role``, ``short_hours_per_week``, ``wte``.
    """
    days = pd.to_datetime(gaps["date"]).dt.normalize().nunique()
    weeks = max(days, 1) / 7
    short = gaps.assign(short=gaps["gap"].clip(lower=0)).groupby(["site", "role"])["short"].sum()
    out = (short / weeks).rename("short_hours_per_week").reset_index()
    out["wte"] = out["short_hours_per_week"] / params.effective_hours_per_wte
    return out


# --------------------------------------------------------------------------------------
# queueing check (approximation)
# --------------------------------------------------------------------------------------
def erlang_c(arrival_rate, service_minutes, servers) -> np.ndarray:
    """Probability an arrival has to wait at all (M/M/c, Erlang C). An approximation for EDs.

    Computed through the Erlang B recursion B(k) = a B(k-1) / (k + a B(k-1)), which never
    forms a factorial or a power, so it is stable for hundreds of servers.

    Parameters
    ----------
    arrival_rate : array-like
        Patients per hour.
    service_minutes : array-like
        Mean clinician time per patient, minutes.
    servers : array-like of int
        Clinicians on shift.

    Returns
    -------
    ndarray
        P(wait > 0); 1 where the hour is overloaded (load >= clinicians, including no
        clinicians with arrivals), 0 where there are no arrivals.
    """
    lam, svc, c = np.broadcast_arrays(np.asarray(arrival_rate, float), np.asarray(service_minutes, float),
                                      np.asarray(servers))
    c = np.floor(c).astype(int)
    a = lam * svc / 60.0                       # offered load in erlangs
    b = np.ones(a.shape)
    for k in range(1, int(c.max(initial=0)) + 1):
        step = k <= c
        b = np.where(step, a * b / (k + a * b), b)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = c * b / (c - a * (1 - b))
    p = np.where(a >= c, 1.0, p)               # overloaded: the queue grows, everyone waits
    p = np.where(a <= 0, 0.0, p)
    return np.clip(p, 0.0, 1.0)


def prob_wait_longer(arrival_rate, service_minutes, servers, wait_minutes) -> np.ndarray:
    """P(a patient waits more than ``wait_minutes`` for a clinician), M/M/c approximation.

    P(W > t) = C(c, a) exp(-(c mu - lambda) t), with mu = 60 / service_minutes per hour;
    1 in overloaded hours.
    """
    lam, svc, c, t = np.broadcast_arrays(np.asarray(arrival_rate, float), np.asarray(service_minutes, float),
                                         np.asarray(servers), np.asarray(wait_minutes, float))
    pc = erlang_c(lam, svc, c)
    slack = np.floor(c) / svc - lam / 60.0      # spare service capacity per minute
    p = pc * np.exp(-np.maximum(slack, 0.0) * t)
    return np.where(lam * svc / 60.0 >= np.floor(c), np.where(lam > 0, 1.0, 0.0), p)


def queue_check(hourly_demand: pd.DataFrame, rota: pd.DataFrame,
                params: WorkforceParams = WorkforceParams(), *, wait_minutes: float = 60.0) -> pd.DataFrame:
    """Per hour, the chance a patient waits longer than ``wait_minutes`` to see a clinician.

    An approximation: Erlang C treats arrivals within the hour as Poisson at the mean
    rate, clinician time as exponential with mean 60 / ``patients_per_clinician_hour``
    minutes, and each hour as if in steady state (no carry-over queue from the hour before).
    At ``params.nurse_led_sites`` the servers are the nurses on shift, with mean time
    60 / ``patients_per_nurse_hour`` minutes.

    Returns
    -------
    DataFrame
        ``site``, ``date``, ``weekday``, ``hour``, ``arrivals`` (mean per hour),
        ``servers`` (clinicians rostered; nurses at nurse-led sites), ``utilisation`` (load
        per server; infinite when patients arrive and nobody is on shift), ``p_wait_over``
        and ``wait_minutes``.
    """
    keys = ["site", "date", "weekday", "hour"]
    out = hourly_demand[keys + ["mean"]].rename(columns={"mean": "arrivals"})
    out = out.merge(rota[["site", "weekday", "hour", *ROLES]], on=["site", "weekday", "hour"], how="left")
    nurse_led = out["site"].isin(params.nurse_led_sites).to_numpy()
    out["servers"] = np.where(nurse_led, out["nurses"].fillna(0), out["clinicians"].fillna(0)).astype(int)
    out = out.drop(columns=list(ROLES))
    svc = np.where(nurse_led, 60.0 / params.patients_per_nurse_hour, params.clinician_minutes_per_patient)
    load = out["arrivals"].to_numpy(float) * svc / 60.0
    servers = out["servers"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["utilisation"] = np.where(servers > 0, load / servers, np.where(load > 0, np.inf, 0.0))
    out["p_wait_over"] = prob_wait_longer(out["arrivals"], svc, servers, wait_minutes)
    out["wait_minutes"] = wait_minutes
    return out
