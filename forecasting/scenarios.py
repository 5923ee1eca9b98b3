"""What-if scenarios: a frozen Scenario, its JSON file, and how it changes demand, beds, rota and stay."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .schema import (ADMISSIONS, AMBULANCE_ARRIVALS, ATTENDANCES, ATTENDANCES_TYPE1, ATTENDANCES_TYPE2,
                     ATTENDANCES_TYPE3)

__all__ = [
    "ScenarioError", "BedChange", "RotaChange", "Scenario", "BASELINE",
    "save_scenario", "load_scenario", "apply_to_demand", "apply_to_bed_base", "apply_to_rota",
    "adjust_mean_stay", "stay_factor", "describe", "ARRIVAL_METRICS",
]

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ALL_DAYS = "All"
_ROLES = ("clinicians", "nurses")
_FORMAT, _VERSION = "uec-scenario", 1

#: Metrics that grow with demand; outcomes such as breaches and occupied beds are left to
#: the models downstream, which respond to the changed arrivals.
ARRIVAL_METRICS = frozenset({ATTENDANCES, ATTENDANCES_TYPE1, ATTENDANCES_TYPE2, ATTENDANCES_TYPE3,
                             AMBULANCE_ARRIVALS, ADMISSIONS})


class ScenarioError(ValueError):
    """A scenario, scenario file or scenario change that cannot be used, with what to fix."""


def _number(value, name: str, low: float, high: float, unit: str) -> float:
    """A finite float in [low, high], or a ScenarioError saying the allowed range."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or not low <= value <= high:
        raise ScenarioError(f"{name} must be a number from {low:g} to {high:g}{unit}, not {value!r}.")
    return float(value)


def _whole(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ScenarioError(f"{name} must be a whole number, not {value!r}.")
    return int(value)


def _day(value, name: str) -> dt.date:
    """Dates are held as datetime.date so the JSON text (ISO) reads back to an equal value.

    Text is read as the rest of the workbench reads dates: ISO, or UK day-first
    ('01/12/2025' is 1 December, never 12 January).
    """
    try:
        if isinstance(value, str) and "/" in value:
            return pd.to_datetime(value.strip(), dayfirst=True, format="%d/%m/%Y").date()
        return pd.Timestamp(value).date()
    except (ValueError, TypeError) as exc:
        raise ScenarioError(f"{name} must be a date such as 2025-12-01 or 01/12/2025, not {value!r}.") from exc


def _site(value, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError(f"{what} needs a site name (e.g. 'Worcestershire Royal'), not {value!r}.")
    return value.strip()


@dataclass(frozen=True, kw_only=True)
class BedChange:
    """Beds opened (positive) or closed (negative) at a site for a date range (inclusive)."""

    site: str
    start: dt.date
    end: dt.date
    beds: int

    def __post_init__(self):
        object.__setattr__(self, "site", _site(self.site, "A bed change"))
        object.__setattr__(self, "start", _day(self.start, "A bed change's start"))
        object.__setattr__(self, "end", _day(self.end, "A bed change's end"))
        object.__setattr__(self, "beds", _whole(self.beds, "A bed change's beds"))
        if self.end < self.start:
            raise ScenarioError(f"The bed change at {self.site} ends ({self.end}) before it starts "
                                f"({self.start}): swap the dates.")
        if self.beds == 0 or abs(self.beds) > 2000:
            raise ScenarioError(f"The bed change at {self.site} must open or close between 1 and 2,000 "
                                f"beds (negative to close), not {self.beds}.")

    def describe(self) -> str:
        verb = "opens" if self.beds > 0 else "closes"
        return f"{self.site} {verb} {abs(self.beds)} beds from {self.start:%d %b %Y} to {self.end:%d %b %Y}"


@dataclass(frozen=True, kw_only=True)
class RotaChange:
    """Staff added (positive) or removed (negative) on a weekday ("All" = every day), hours inclusive."""

    site: str
    weekday: str
    hour_from: int
    hour_to: int
    role: str
    change: int

    def __post_init__(self):
        object.__setattr__(self, "site", _site(self.site, "A rota change"))
        day = str(self.weekday).strip().capitalize()
        if day not in (*_WEEKDAYS, _ALL_DAYS):
            raise ScenarioError(f"A rota change's weekday must be Monday to Sunday or 'All', "
                                f"not {self.weekday!r}.")
        object.__setattr__(self, "weekday", day)
        for name in ("hour_from", "hour_to"):
            hour = _whole(getattr(self, name), f"A rota change's {name}")
            if not 0 <= hour <= 23:
                raise ScenarioError(f"A rota change's {name} must be an hour from 0 to 23, not {hour}.")
            object.__setattr__(self, name, hour)
        if self.hour_to < self.hour_from:
            raise ScenarioError(f"The rota change at {self.site} runs from hour {self.hour_from} to "
                                f"{self.hour_to}: for a shift past midnight add two changes "
                                f"({self.hour_from}-23 and 0-{self.hour_to}).")
        if self.role not in _ROLES:
            raise ScenarioError(f"A rota change's role must be one of {', '.join(_ROLES)}, not {self.role!r}.")
        object.__setattr__(self, "change", _whole(self.change, "A rota change's change"))
        if self.change == 0:
            raise ScenarioError(f"The rota change at {self.site} adds no staff: use a positive number "
                                "to add staff or a negative one to remove them.")

    def describe(self) -> str:
        verb = "adds" if self.change > 0 else "removes"
        days = "every day" if self.weekday == _ALL_DAYS else f"on {self.weekday}s"
        role = self.role if abs(self.change) > 1 else self.role[:-1]  # "1 nurse", "2 nurses"
        return (f"{self.site} {verb} {abs(self.change)} {role} {days}, "
                f"{self.hour_from:02d}:00-{self.hour_to:02d}:59")


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """A named set of what-if changes to demand and capacity.

    Parameters
    ----------
    name : str
        Shown on every chart and table; not empty.
    demand_growth_pct : float
        Change in all arrivals (attendances, ambulance arrivals, admissions), -50 to +100 %.
    admissions_avoided_pct : float
        Share of emergency admissions avoided (e.g. by same-day emergency care), 0-100 %.
    los_change_days : float
        Change in mean length of stay in days (-30 to +30), applied before ``los_change_pct``.
    los_change_pct : float
        Change in mean length of stay in per cent, -90 to +200 %.
    bed_changes : tuple of BedChange
        Wards opened or closed by site and date range.
    rota_changes : tuple of RotaChange
        Staff added or removed by site, weekday and hours.
    target_occupancy : float
        Planning ceiling for bed occupancy, 0.5-1.0 (0.92 is the NHS planning figure).
    """

    name: str
    demand_growth_pct: float = 0.0
    admissions_avoided_pct: float = 0.0
    los_change_days: float = 0.0
    los_change_pct: float = 0.0
    bed_changes: tuple[BedChange, ...] = field(default=())
    rota_changes: tuple[RotaChange, ...] = field(default=())
    target_occupancy: float = 0.92

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise ScenarioError("A scenario needs a name (e.g. 'SDEC 10 %'), so its figures can be told apart.")
        object.__setattr__(self, "name", self.name.strip())
        ranges = {"demand_growth_pct": (-50, 100, " %"), "admissions_avoided_pct": (0, 100, " %"),
                  "los_change_days": (-30, 30, " days"), "los_change_pct": (-90, 200, " %"),
                  "target_occupancy": (0.5, 1.0, " (e.g. 0.92 for 92 %)")}
        for attr, (low, high, unit) in ranges.items():
            object.__setattr__(self, attr, _number(getattr(self, attr), attr, low, high, unit))
        # Lists (e.g. from a form) become tuples so the scenario hashes as a cache key.
        for attr, kind in (("bed_changes", BedChange), ("rota_changes", RotaChange)):
            items = getattr(self, attr)
            if isinstance(items, (str, bytes, dict)) or not hasattr(items, "__iter__"):
                raise ScenarioError(f"{attr} must be a list of {kind.__name__}, not {items!r}.")
            items = tuple(kind(**i) if isinstance(i, dict) else i for i in items)
            bad = [i for i in items if not isinstance(i, kind)]
            if bad:
                raise ScenarioError(f"{attr} must hold {kind.__name__} entries, not {bad[0]!r}.")
            object.__setattr__(self, attr, items)

    def to_json(self) -> str:
        """The scenario as JSON text; ``Scenario.from_json(s.to_json()) == s``."""
        data = {"format": _FORMAT, "version": _VERSION, **dataclasses.asdict(self)}
        return json.dumps(data, indent=2, default=_json_default)

    @classmethod
    def from_json(cls, text: str | bytes) -> Scenario:
        """Read a scenario written by :meth:`to_json`.

        Raises
        ------
        ScenarioError
            If the text is not JSON, not a scenario, or has unknown or invalid fields.
        """
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as exc:
            raise ScenarioError(f"This is not a scenario file (not valid JSON: {exc}).") from exc
        except RecursionError:  # thousands of nested brackets: not a file this page wrote
            raise ScenarioError("This is not a scenario file (its JSON is nested too deeply).") from None
        if not isinstance(data, dict) or data.get("format", _FORMAT) != _FORMAT:
            raise ScenarioError("This is not a scenario file: save scenarios from the Scenarios page "
                                "or with save_scenario().")
        if data.get("version", _VERSION) != _VERSION:
            raise ScenarioError(f"This scenario file is version {data.get('version')!r}; this workbench "
                                f"reads version {_VERSION}.")
        data = {k: v for k, v in data.items() if k not in ("format", "version")}
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ScenarioError(f"The scenario file has unknown field(s) {', '.join(unknown)}; "
                                f"expected {', '.join(sorted(known))}.")
        if "name" not in data:
            raise ScenarioError("The scenario file has no name.")
        try:
            data["bed_changes"] = tuple(BedChange(**c) for c in data.get("bed_changes", ()))
            data["rota_changes"] = tuple(RotaChange(**c) for c in data.get("rota_changes", ()))
        except TypeError as exc:  # missing or extra keys inside a change
            raise ScenarioError(f"A bed or rota change in the scenario file is incomplete: {exc}.") from exc
        return cls(**data)


def _json_default(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


#: No change to anything: always shown next to other scenarios.
BASELINE = Scenario(name="Baseline")


def save_scenario(scenario: Scenario, path) -> Path:
    """Write a scenario as a UTF-8 JSON file and return its path."""
    path = Path(path)
    path.write_text(scenario.to_json() + "\n", encoding="utf-8")
    return path


def load_scenario(path) -> Scenario:
    """Read a scenario JSON file written by :func:`save_scenario`.

    Raises
    ------
    ScenarioError
        If the file is missing or is not a valid scenario (the message says why).
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"Scenario file not found: {path}.")
    try:
        return Scenario.from_json(path.read_bytes())
    except ScenarioError as exc:
        raise ScenarioError(f"{path.name}: {exc}") from exc


# --------------------------------------------------------------------------------------
# applying a scenario
# --------------------------------------------------------------------------------------
def _value_columns(frame: pd.DataFrame) -> list[str]:
    """``mean`` and the quantile columns (p2.5 ... p97.5) of the forecast contract."""
    def is_quantile(c: str) -> bool:
        try:
            return c.startswith("p") and 0 < float(c[1:]) < 100
        except ValueError:
            return False
    return [c for c in frame.columns if c == "mean" or (isinstance(c, str) and is_quantile(c))]


def apply_to_demand(forecast_frame: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """A forecast as the scenario would change it.

    Arrival metrics (:data:`ARRIVAL_METRICS`) are multiplied by (1 + growth); admissions
    also by (1 - share avoided). Multiplying by a positive constant moves every quantile by
    the same factor, so ``mean`` and all ``p..`` columns are scaled alike. Other metrics
    (breaches, occupied beds) are returned unchanged.

    Parameters
    ----------
    forecast_frame : DataFrame
        Forecast contract (``site``, ``metric``, ``date``, ``mean``, ``p..``).
    scenario : Scenario

    Returns
    -------
    DataFrame
        Same rows and columns plus ``scenario`` (its name).
    """
    out = forecast_frame.copy()
    growth = 1 + scenario.demand_growth_pct / 100
    factor = np.where(out["metric"].isin(ARRIVAL_METRICS), growth, 1.0)
    factor = np.where(out["metric"] == ADMISSIONS, factor * (1 - scenario.admissions_avoided_pct / 100), factor)
    for col in _value_columns(out):
        out[col] = out[col].astype(float) * factor
    out["scenario"] = scenario.name
    return out


def apply_to_bed_base(bed_base_frame: pd.DataFrame, scenario: Scenario, *, start=None, end=None) -> pd.DataFrame:
    """The bed base per site and day with the scenario's wards opened or closed.

    Returns a per-date frame (not the interval layout), because changes rarely line up with
    the base's own intervals. Bed changes are core G&A beds; escalation beds are unchanged.

    Parameters
    ----------
    bed_base_frame : DataFrame
        ``site``, ``date_from``, ``date_to`` (inclusive), ``core_beds``, ``escalation_beds``
        (e.g. ``sample_data/bed_base.csv``).
    scenario : Scenario
    start, end : date-like, optional
        Limit the days returned (all days the base covers if None).

    Returns
    -------
    DataFrame
        ``site``, ``date``, ``core_beds``, ``escalation_beds``, ``bed_change`` (the
        scenario's net change that day, for tracing), ``scenario``.

    Raises
    ------
    ScenarioError
        If a change names a site not in the bed base, or closes more beds than there are.
    """
    base = bed_base_frame
    days = []
    for row in base.itertuples(index=False):
        dates = pd.date_range(pd.Timestamp(row.date_from), pd.Timestamp(row.date_to), freq="D")
        days.append(pd.DataFrame({"site": row.site, "date": dates, "core_beds": int(row.core_beds),
                                  "escalation_beds": int(row.escalation_beds)}))
    out = pd.concat(days, ignore_index=True) if days else pd.DataFrame(
        columns=["site", "date", "core_beds", "escalation_beds"])
    if start is not None:
        out = out[out["date"] >= pd.Timestamp(start)]
    if end is not None:
        out = out[out["date"] <= pd.Timestamp(end)]
    out = out.reset_index(drop=True)
    out["bed_change"] = 0
    sites = set(base["site"])
    for change in scenario.bed_changes:
        if change.site not in sites:
            raise ScenarioError(f"Scenario '{scenario.name}' changes beds at {change.site}, which is not "
                                f"one of the sites forecast with a bed base ({', '.join(sorted(sites))}); "
                                "a scenario made for other data? Change its bed changes to these sites.")
        hit = ((out["site"] == change.site) & (out["date"] >= pd.Timestamp(change.start))
               & (out["date"] <= pd.Timestamp(change.end)))
        out.loc[hit, "bed_change"] += change.beds
    out["core_beds"] = out["core_beds"] + out["bed_change"]
    if (out["core_beds"] < 0).any():
        first = out[out["core_beds"] < 0].iloc[0]
        raise ScenarioError(f"Scenario '{scenario.name}' closes more beds than {first['site']} has on "
                            f"{first['date']:%d %b %Y} ({int(first['core_beds'])} core beds left): "
                            "reduce the closure.")
    out["scenario"] = scenario.name
    return out.sort_values(["site", "date"], ignore_index=True)


def apply_to_rota(rota: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """The rota (``site``, ``weekday``, ``hour``, ``clinicians``, ``nurses``) with the scenario's changes.

    Raises
    ------
    ScenarioError
        If a change names a site not in the rota or leaves fewer than 0 staff in an hour.
    """
    out = rota.copy()
    sites = set(out["site"])
    for change in scenario.rota_changes:
        if change.site not in sites:
            raise ScenarioError(f"Scenario '{scenario.name}' changes the rota at {change.site}, which is "
                                f"not in the rota (sites: {', '.join(sorted(sites))}).")
        hit = ((out["site"] == change.site) & out["hour"].between(change.hour_from, change.hour_to))
        if change.weekday != _ALL_DAYS:
            hit &= out["weekday"] == change.weekday
        out.loc[hit, change.role] = out.loc[hit, change.role] + change.change
    for role in _ROLES:
        if (out[role] < 0).any():
            first = out[out[role] < 0].iloc[0]
            raise ScenarioError(f"Scenario '{scenario.name}' removes more {role} than the rota has at "
                                f"{first['site']} on {first['weekday']} at {int(first['hour']):02d}:00.")
    return out


def adjust_mean_stay(mean_days, scenario: Scenario):
    """Mean length of stay under the scenario: (mean + days change) x (1 + % change), never below 0.

    Works on a number, an array or a Series. The beds model can scale its whole stay
    distribution by :func:`stay_factor` to reach this mean.
    """
    new = (np.asarray(mean_days, dtype=float) + scenario.los_change_days) * (1 + scenario.los_change_pct / 100)
    new = np.maximum(new, 0.0)  # a stay cannot be shorter than a same-day discharge
    if isinstance(mean_days, pd.Series):
        return pd.Series(new, index=mean_days.index, name=mean_days.name)
    return float(new) if np.ndim(new) == 0 else new


def stay_factor(mean_days, scenario: Scenario):
    """Ratio of the scenario's mean stay to the current one (1 where the mean is 0)."""
    old = np.asarray(mean_days, dtype=float)
    new = np.asarray(adjust_mean_stay(old, scenario), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(old > 0, new / np.where(old > 0, old, 1.0), 1.0)
    return float(ratio) if np.ndim(ratio) == 0 else ratio


def describe(scenario: Scenario) -> list[str]:
    """The scenario's parameters in plain English, one line each, for on-screen tracing."""
    s = scenario
    lines = [f"Scenario: {s.name}"]
    lines.append("Demand: no change" if s.demand_growth_pct == 0 else
                 f"Demand: all arrivals {'up' if s.demand_growth_pct > 0 else 'down'} "
                 f"{abs(s.demand_growth_pct):g} %")
    lines.append("Admissions avoided: none" if s.admissions_avoided_pct == 0 else
                 f"Admissions avoided (e.g. same-day emergency care): {s.admissions_avoided_pct:g} %")
    los = []
    if s.los_change_days:
        los.append(f"{s.los_change_days:+g} days")
    if s.los_change_pct:
        los.append(f"{s.los_change_pct:+g} %")
    lines.append("Length of stay: no change" if not los else "Mean length of stay: " + ", then ".join(los))
    lines.append(f"Target occupancy: {100 * s.target_occupancy:g} %")
    lines += [f"Beds: {c.describe()}" for c in s.bed_changes] or ["Beds: no change"]
    lines += [f"Rota: {c.describe()}" for c in s.rota_changes] or ["Rota: no change"]
    return lines
