"""Column and metric names of the data contract, the validation report and its exception."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "SITE", "METRIC", "DATE", "VALUE", "ACTIVITY_COLUMNS",
    "ATTENDANCES", "ADMISSIONS", "AMBULANCE_ARRIVALS", "BREACHES_4H", "OCCUPIED_BEDS",
    "ATTENDANCES_TYPE1", "ATTENDANCES_TYPE2", "ATTENDANCES_TYPE3",
    "METRIC_LABELS", "STOCK_METRICS", "TRUST_TOTAL", "metric_order",
    "ERROR", "WARNING", "INFO",
    "Problem", "ValidationReport", "DataValidationError",
]

# --- columns of the activity contract: one row per site, metric and period start
SITE, METRIC, DATE, VALUE = "site", "metric", "date", "value"
ACTIVITY_COLUMNS = (SITE, METRIC, DATE, VALUE)

# --- metric names
ATTENDANCES = "attendances"                 # all A&E department types at that site
ATTENDANCES_TYPE1 = "attendances_type1"     # consultant-led 24-hour emergency department
ATTENDANCES_TYPE2 = "attendances_type2"     # single-specialty (e.g. eye casualty)
ATTENDANCES_TYPE3 = "attendances_type3"     # urgent treatment centre / minor injuries unit
ADMISSIONS = "admissions"                   # emergency admissions via A&E
AMBULANCE_ARRIVALS = "ambulance_arrivals"
BREACHES_4H = "breaches_4h"                 # patients over 4 hours from arrival to leaving A&E
OCCUPIED_BEDS = "occupied_beds"             # general & acute beds occupied at the midnight census

METRIC_LABELS = {
    ATTENDANCES: "A&E attendances",
    ATTENDANCES_TYPE1: "Type 1 attendances",
    ATTENDANCES_TYPE2: "Type 2 attendances",
    ATTENDANCES_TYPE3: "Type 3 attendances (UTC/MIU)",
    ADMISSIONS: "Emergency admissions",
    AMBULANCE_ARRIVALS: "Ambulance arrivals",
    BREACHES_4H: "Patients over 4 hours",
    OCCUPIED_BEDS: "Occupied G&A beds",
    # names emitted by the NHS England readers (forecasting.nhse) and the record-level
    # extract (forecasting.records); spelled out here because nhse.py imports this module
    "attendances_booked": "Booked A&E appointments",
    "breaches_4h_type1": "Type 1 patients over 4 hours",
    "breaches_12h": "Patients over 12 hours in A&E",
    "admissions_type1": "Type 1 emergency admissions",
    "other_emergency_admissions": "Other emergency admissions (not via A&E)",
    "dta_waits_4_12h": "4-12 hour decision-to-admit waits",
    "dta_waits_12h": "12-hour decision-to-admit waits",
    "beds_open": "Beds open (G&A)",
    "core_beds": "Core beds open (G&A)",
    "escalation_beds": "Escalation beds open (G&A)",
    "long_stay_7d": "Beds occupied by patients in over 7 days",
    "long_stay_21d": "Beds occupied by patients in over 21 days",
    "ae_closures": "A&E closures",
    "ae_diverts": "A&E diverts",
    "handover_delays_30": "Ambulance handovers delayed 30-60 minutes",
    "handover_delays_60": "Ambulance handovers over 60 minutes",
}

def metric_order(metrics) -> list[str]:
    """Metrics in the order a manager reads them (attendances first), unknown ones after, A-Z."""
    known = list(METRIC_LABELS)
    unique = list(dict.fromkeys(metrics))
    return sorted(unique, key=lambda m: (known.index(m) if m in known else len(known), m))


#: Metrics that are a level at a moment (a census), not a count over a period: a week's
#: figure is the average of its days, not the sum. Every bed figure of the NHS England sitrep
#: (forecasting.nhse.read_bed_sitreps) is a daily census; its closures, diverts and handover
#: delays are counted events and add up.
STOCK_METRICS = frozenset({OCCUPIED_BEDS, "beds_open", "core_beds", "escalation_beds",
                           "long_stay_7d", "long_stay_21d"})

#: The site name used for the sum over all sites.
TRUST_TOTAL = "Trust total"

ERROR, WARNING, INFO = "error", "warning", "info"
_SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


@dataclass(frozen=True)
class Problem:
    """One kind of problem found in one place of an input file.

    ``rows`` are 1-based row numbers as the user sees them in a spreadsheet (the header
    is row 1 unless title rows sit above it), so a manager can find each one.
    """

    severity: str
    code: str
    message: str
    action: str
    file: str = ""
    column: str = ""
    rows: tuple[int, ...] = ()

    def where(self, max_rows: int = 10) -> str:
        """'rows 2, 5, 9 and 1,204 more' style location text."""
        if not self.rows:
            return "whole file" if not self.column else f"column {self.column!r}"
        shown = ", ".join(f"{r:,}" for r in self.rows[:max_rows])
        more = len(self.rows) - max_rows
        text = f"row {shown}" if len(self.rows) == 1 else f"rows {shown}"
        return text + (f" and {more:,} more" if more > 0 else "")


@dataclass
class ValidationReport:
    """Every problem found while loading, collected rather than stopping at the first one."""

    source: str = ""
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0
    rows_kept: int = 0

    def add(self, severity: str, code: str, message: str, action: str, *,
            column: str = "", rows=()) -> None:
        """Record a problem (rows: 1-based spreadsheet row numbers)."""
        self.problems.append(Problem(severity, code, message, action, self.source, column,
                                     tuple(sorted({int(r) for r in rows}))))

    def extend(self, other: "ValidationReport") -> None:
        self.problems.extend(other.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        """True when nothing blocks use of the data (warnings may remain)."""
        return not self.errors

    def to_frame(self, max_rows: int = 10) -> pd.DataFrame:
        """One line per problem kind and place, errors first, with counts and the first rows."""
        cols = ["severity", "file", "column", "problem", "count", "where", "what to do"]
        if not self.problems:
            return pd.DataFrame(columns=cols)
        out = pd.DataFrame(
            {
                "severity": [p.severity for p in self.problems],
                "file": [p.file for p in self.problems],
                "column": [p.column for p in self.problems],
                "problem": [p.message for p in self.problems],
                "count": [max(len(p.rows), 1) for p in self.problems],
                "where": [p.where(max_rows) for p in self.problems],
                "what to do": [p.action for p in self.problems],
            }
        )
        order = out["severity"].map(_SEVERITY_ORDER)
        return out.assign(_o=order).sort_values(["_o"], kind="stable").drop(columns="_o")[cols]

    def summary(self) -> str:
        """One sentence for a banner: rows read and kept, errors and warnings."""
        n_err = sum(max(len(p.rows), 1) for p in self.errors)
        n_warn = sum(max(len(p.rows), 1) for p in self.warnings)
        name = f"{self.source}: " if self.source else ""
        text = f"{name}{self.rows_read:,} rows read, {self.rows_kept:,} usable"
        if n_err:
            text += f"; {len(self.errors)} kind(s) of error affecting {n_err:,} row(s)"
        if n_warn:
            text += f"; {len(self.warnings)} warning(s)"
        return text + "."

    def __str__(self) -> str:
        lines = [self.summary()]
        for p in sorted(self.problems, key=lambda p: _SEVERITY_ORDER[p.severity]):
            col = f" [{p.column}]" if p.column else ""
            lines.append(f"- {p.severity.upper()}{col} {p.message} ({p.where()}). {p.action}")
        return "\n".join(lines)


class DataValidationError(ValueError):
    """Input data that cannot be used as it is; ``.report`` lists every problem found."""

    def __init__(self, report: ValidationReport):
        self.report = report
        super().__init__(str(report))


# --------------------------------------------------------------------------- validation
__all__ += ["FREQUENCIES", "infer_frequency", "validate_activity", "COUNT_METRICS"]

#: Period lengths the engine understands, in order of length.
FREQUENCIES = ("hourly", "daily", "weekly", "monthly")

#: Metrics that must be whole numbers (patients are not fractional).
COUNT_METRICS = frozenset({ATTENDANCES, ATTENDANCES_TYPE1, ATTENDANCES_TYPE2, ATTENDANCES_TYPE3,
                           ADMISSIONS, AMBULANCE_ARRIVALS, BREACHES_4H, OCCUPIED_BEDS})

_STEP_NAMES = {"hourly": "hour", "daily": "day", "weekly": "week", "monthly": "month"}
# A series whose typical day is at least this busy should never show a zero day.
_ZERO_DAY_MEDIAN = 20


def infer_frequency(dates) -> str:
    """'hourly', 'daily', 'weekly', 'monthly' or 'irregular': the longest period that most steps fit.

    Gaps do not confuse it (a daily series missing a day still steps in whole days), and a
    few stray rows at odd times do not either; those are reported as mixed frequencies.
    """
    d = pd.DatetimeIndex(pd.unique(pd.DatetimeIndex(dates))).sort_values()
    if len(d) < 2:
        return "daily" if len(d) == 0 or d[0] == d[0].normalize() else "hourly"
    steps = np.diff(d.as_unit("s").asi8)  # seconds, whatever the resolution pandas chose
    months = np.diff(d.year * 12 + d.month)
    same_day = d.day[1:] == d.day[:-1]
    month_ends = d.is_month_end[1:] & d.is_month_end[:-1]
    checks = (
        ("monthly", (months >= 1) & (same_day | month_ends) & (steps % 86400 == 0)),
        ("weekly", steps % (7 * 86400) == 0),
        ("daily", steps % 86400 == 0),
        ("hourly", steps % 3600 == 0),
    )
    for name, fits in checks:
        if fits.mean() > 0.5:
            return name
    return "irregular"


def _aligned(d: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """True where a date sits on the grid of its series' frequency."""
    if freq == "hourly":
        return np.asarray(d == d.floor("h"))
    midnight = np.asarray(d == d.normalize())
    if freq == "daily":
        return midnight
    if freq == "weekly":
        weekday = pd.Series(d.day_of_week).mode().iloc[0]
        return midnight & np.asarray(d.day_of_week == weekday)
    if freq == "monthly":
        if (d.is_month_end.sum() > len(d) / 2) and not (d.day == 1).all():
            return midnight & np.asarray(d.is_month_end)
        day = pd.Series(d.day).mode().iloc[0]
        return midnight & np.asarray(d.day == day)
    return np.ones(len(d), dtype=bool)


def _expected_periods(d: pd.DatetimeIndex, freq: str) -> pd.DatetimeIndex:
    start, end = d.min(), d.max()
    if freq == "monthly":
        return pd.date_range(start, end, freq="MS" if start.day == 1 else "ME")
    step = {"hourly": "h", "daily": "D", "weekly": "7D"}[freq]
    return pd.date_range(start, end, freq=step)


def _fmt_dates(dates, freq: str, limit: int = 5) -> str:
    fmt = "%Y-%m-%d %H:%M" if freq == "hourly" else "%Y-%m-%d"
    shown = ", ".join(pd.Timestamp(x).strftime(fmt) for x in list(dates)[:limit])
    return shown + (" ..." if len(dates) > limit else "")


def _source_columns(df: pd.DataFrame, mask: np.ndarray, default: str) -> str:
    """The file column(s) the flagged values came from (a wide file has one per metric)."""
    if "_column" not in df:
        return default
    return ", ".join(map(str, pd.unique(df["_column"].to_numpy()[mask])))


def validate_activity(frame: pd.DataFrame, report: ValidationReport, *, today=None,
                      date_column: str = DATE) -> pd.DataFrame:
    """Check typed activity rows against the contract, recording every problem in ``report``.

    Parameters
    ----------
    frame : DataFrame
        ``site, metric, date, value`` with parsed types, ``_row`` (the source row number) and
        optionally ``_column`` (the file column each value came from).
    report : ValidationReport
        Problems are appended here.
    today : date-like, optional
        Later dates are errors (default: today).
    date_column : str
        The file's name for the date column, used in messages.

    Returns
    -------
    DataFrame
        The rows with no error, sorted by site, metric and date; exact duplicate rows appear
        once (and are listed as a warning). Rows with errors are left out and listed.
    """
    today = pd.Timestamp.now().normalize() if today is None else pd.Timestamp(today)
    df = frame.copy()
    df["site"] = df["site"].astype(str)
    df["metric"] = df["metric"].astype(str)
    keep = np.ones(len(df), dtype=bool)
    rows = df["_row"].to_numpy()

    negative = (df["value"] < 0).to_numpy()
    if negative.any():
        report.add(ERROR, "negative", "Value is negative; activity counts cannot be below zero.",
                   "Correct the figure (or delete the row); a negative often means an adjustment row.",
                   column=_source_columns(df, negative, VALUE), rows=rows[negative])
        keep &= ~negative
    counts = df["metric"].isin(COUNT_METRICS).to_numpy()
    fractional = counts & (df["value"] % 1 != 0).to_numpy() & ~negative
    if fractional.any():
        report.add(WARNING, "fractional",
                   "Counts have fractions (patients are whole numbers); they are kept as given.",
                   "If these are averages or rates, upload the underlying counts instead.",
                   column=_source_columns(df, fractional, VALUE), rows=rows[fractional])
    future = (df["date"] > today + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)).to_numpy()
    if future.any():
        report.add(ERROR, "future_date",
                   f"Date is in the future (after {today:%d/%m/%Y}); actual activity cannot be.",
                   "Remove forecast or placeholder rows, and check the day/month order of dates.",
                   column=date_column, rows=rows[future])
        keep &= ~future

    key = ["site", "metric", "date"]
    dup_any = df.duplicated(key, keep=False).to_numpy() & keep
    if dup_any.any():
        dups = df[dup_any]
        n_values = dups.groupby(key, sort=False)["value"].transform("nunique").to_numpy()
        conflict = np.zeros(len(df), dtype=bool)
        conflict[np.flatnonzero(dup_any)[n_values > 1]] = True
        repeat = df.duplicated(key, keep="first").to_numpy() & dup_any & ~conflict
        if conflict.any():
            report.add(ERROR, "duplicate_conflict",
                       "The same site, metric and date appears more than once with different values.",
                       "Keep one row per site, metric and date (sum them first if they are parts).",
                       rows=rows[conflict])
            keep &= ~conflict
        if repeat.any():
            report.add(WARNING, "duplicate_repeat",
                       "Exact repeats of an earlier row (same site, metric, date and value) were left out.",
                       "Nothing to do unless the file was meant to hold different figures.",
                       rows=rows[repeat])
            keep &= ~repeat

    df = df[keep].sort_values(key, kind="stable")
    value_column = _source_columns(df, np.ones(len(df), dtype=bool), VALUE) if len(df) else VALUE
    bad_grid: list[np.ndarray] = []
    freqs: dict[str, int] = {}
    for (site, metric), part in df.groupby(["site", "metric"], sort=False):
        d = pd.DatetimeIndex(part["date"])
        freq = infer_frequency(d)
        freqs[freq] = freqs.get(freq, 0) + 1
        name = f"{site} / {metric}"
        ok = _aligned(d, freq)
        if not ok.all():
            report.add(ERROR, "mixed_frequency",
                       f"{name}: dates off the series' {freq} pattern (mixed frequencies).",
                       f"Keep one row per {_STEP_NAMES.get(freq, 'period')} for each series; put "
                       "hourly and daily figures in separate files.",
                       column=date_column, rows=part["_row"].to_numpy()[~ok])
            bad_grid.append(part.index.to_numpy()[~ok])
            d = d[ok]
        if freq == "irregular":
            report.add(WARNING, "irregular",
                       f"{name}: the dates are not evenly spaced hourly, daily, weekly or monthly.",
                       "Check the export; forecasts need one row per period.", column=date_column)
            continue
        if len(d) > 1:
            missing = _expected_periods(d, freq).difference(d)
            if len(missing):
                report.add(WARNING, "missing_periods",
                           f"{name}: {len(missing):,} missing {_STEP_NAMES[freq]}(s) "
                           f"between {d.min():%d/%m/%Y} and {d.max():%d/%m/%Y} "
                           f"({_fmt_dates(missing, freq)}).",
                           "Add the missing rows (0 if there was no activity); forecasts treat them as unknown.",
                           column=date_column)
        _check_zero_runs(part.loc[part.index[ok]], freq, name, report, value_column)
    if bad_grid:
        df = df.drop(index=np.concatenate(bad_grid))
    df = _months_on_first_day(df, report, date_column)
    if len(freqs) > 1:
        report.add(INFO, "several_frequencies",
                   "Series come at different frequencies: "
                   + ", ".join(f"{n} {f}" for f, n in freqs.items()) + ".",
                   "Nothing to do; each series is forecast at its own frequency.")
    return df.drop(columns=[c for c in ("_column",) if c in df]).reset_index(drop=True)


def _months_on_first_day(df: pd.DataFrame, report: ValidationReport, date_column: str) -> pd.DataFrame:
    """Monthly figures dated on another day (month ends, the 15th) moved to the 1st of their month.

    The workbench labels a month by its first day (as NHS England's returns do); forecasts,
    totals and charts line months up on that day.
    """
    moved, names = [], []
    for (site, metric), part in df.groupby(["site", "metric"], sort=False):
        d = pd.DatetimeIndex(part["date"])
        if infer_frequency(d) == "monthly" and not (d.day == 1).all():
            moved.append(part.index.to_numpy())
            names.append(f"{site} / {metric}")
    if not moved:
        return df
    idx = np.concatenate(moved)
    df = df.copy()
    df.loc[idx, "date"] = df.loc[idx, "date"].dt.to_period("M").dt.start_time
    report.add(INFO, "month_start",
               f"Monthly figures dated on another day were moved to the 1st of their month "
               f"({', '.join(names[:3])}{'...' if len(names) > 3 else ''}).",
               "Nothing to do; each month is labelled by its first day, as in NHS England returns.",
               column=date_column)
    return df


def _check_zero_runs(part: pd.DataFrame, freq: str, name: str, report: ValidationReport,
                     value_column: str) -> None:
    """Warn about zero days in a series that is normally busy: these look like extract failures."""
    if part.empty:
        return
    if freq == "hourly":
        daily = part.groupby(part["date"].dt.normalize())["value"].agg(["sum", "min"])
        daily_rows = part.groupby(part["date"].dt.normalize())["_row"].first()
        busy = daily["sum"].median() >= _ZERO_DAY_MEDIAN
        zero = daily["sum"] == 0
        rows = daily_rows[zero].to_numpy()
    else:
        per_day = part["value"].median() / {"daily": 1, "weekly": 7, "monthly": 30.4}.get(freq, 1)
        busy = per_day >= _ZERO_DAY_MEDIAN
        zero = part["value"] == 0
        rows = part["_row"][zero].to_numpy()
    if busy and len(rows):
        report.add(WARNING, "zero_run",
                   f"{name}: {len(rows):,} zero {_STEP_NAMES.get(freq, 'period')}(s) "
                   "in a series that is usually busy: this looks like a missing extract.",
                   "Check the source system for those dates; replace with the real figures if "
                   "they exist, or leave out those dates when fitting.",
                   column=str(part["_column"].iloc[0]) if "_column" in part else value_column,
                   rows=rows)
