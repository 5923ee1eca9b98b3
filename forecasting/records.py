"""Record-level extracts (one row per ED attendance or inpatient spell) -> counts; identifiers dropped."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import schema as S
from .io import LoadResult, normalise_name, parse_dates, read_rows
from .schema import ValidationReport

__all__ = [
    "BREACHES_12H", "RECORD_COLUMNS", "SPELL_COLUMNS", "DEFAULT_BANDS", "SUPPRESSED",
    "is_identifier", "read_ed_records", "ed_activity", "read_ed_activity", "time_in_department",
    "suppress_small", "read_inpatient_spells", "census_activity",
]

#: Attendances over 12 hours from arrival to leaving the department (record-level only).
BREACHES_12H = "breaches_12h"

#: Columns of the attendance records returned by :func:`read_ed_records` (optional ones last).
RECORD_COLUMNS = ("row", "site", "arrival", "departure", "minutes_in_department", "department_type",
                  "arrival_mode", "ambulance", "admitted", "age_band", "acuity")

#: Columns of the spells returned by :func:`read_inpatient_spells` (as capacity.los.read_spells wants).
SPELL_COLUMNS = ("row", "site", "admission_date", "discharge_date", "specialty", "ward")

#: Time-in-department bands, in minutes from arrival (the last band is open-ended).
DEFAULT_BANDS = (0, 60, 120, 180, 240, 360, 480, 720)

#: What :func:`suppress_small` puts in a suppressed cell by default.
SUPPRESSED = "<5"

_FOUR_HOURS, _TWELVE_HOURS = 240, 720
_LONG_STAY_MINUTES = 48 * 60  # longer than this in an ED is more likely a data error than a stay

# Columns that identify a patient: never kept, whatever else the file holds. Matched as parts of
# the normalised name ('Patient NHS No.' -> 'patientnhsno' holds 'nhsno').
_IDENTIFIER_PARTS = ("nhsnumber", "nhsno", "postcode", "dateofbirth", "birthdate", "patientid",
                     "patientnumber", "patientno", "hospitalnumber", "hospitalno", "casenote", "mrn",
                     "surname", "forename", "firstname", "lastname", "familyname", "givenname",
                     "patientname", "fullname", "address", "email", "phone", "mobile", "localpatient",
                     "pasnumber", "pasid", "gpname", "nextofkin")
_IDENTIFIER_NAMES = {"name", "dob", "pid", "nhs", "patient", "mrn", "crn", "postcode", "zip"}

_ED_ROLES = {
    "arrival": ["arrival", "arrivaldatetime", "arrivaldateandtime", "arrivaltimestamp", "arrived",
                "ecarrivaldatetime", "attendancedatetime", "arrivaldt"],
    "arrival_date": ["arrivaldate", "ecarrivaldate", "attendancedate"],
    "arrival_clock": ["arrivaltime", "ecarrivaltime", "attendancetime"],
    "departure": ["departure", "departuredatetime", "departuredateandtime", "departuretimestamp",
                  "departed", "ecdeparturedatetime", "leftdepartment", "leftdepartmentdatetime",
                  "departuredt"],
    "departure_date": ["departuredate", "ecdeparturedate", "leftdepartmentdate"],
    "departure_clock": ["departuretime", "ecdeparturetime", "leftdepartmenttime"],
    "site": ["site", "sitename", "hospital", "hospitalname", "location", "providersite", "sitecode",
             "edsite", "department", "departmentname", "unit"],
    "department_type": ["departmenttype", "depttype", "aetype", "aedepartmenttype",
                        "ecdepartmenttype", "type", "edtype", "attendancetype"],
    "arrival_mode": ["arrivalmode", "modeofarrival", "ecarrivalmode", "arrivalmethod", "arrivalby"],
    "admitted": ["admitted", "admittedflag", "admissionflag", "wasadmitted", "admit", "admittedyn",
                 "admission", "admittedtoward"],
    "age_band": ["ageband", "agegroup", "agerange", "age"],
    "acuity": ["acuity", "triagecategory", "triage", "ecacuity", "triagelevel", "mtscategory",
               "priority"],
}

_SPELL_ROLES = {
    "site": ["site", "sitename", "hospital", "hospitalname", "location", "providersite", "sitecode"],
    "admission_date": ["admissiondate", "admissiondatetime", "dateofadmission", "admitted",
                       "admissiondt", "spellstartdate", "startdate", "admitdate"],
    "discharge_date": ["dischargedate", "dischargedatetime", "dateofdischarge", "spellenddate",
                       "enddate", "dischargedt", "discharged"],
    "specialty": ["specialty", "speciality", "mainspecialty", "treatmentspecialty"],
    "ward": ["ward", "wardname", "admissionward"],
}

_YES = {"y", "yes", "true", "1", "admitted", "admit", "t"}
_NO = {"n", "no", "false", "0", "notadmitted", "discharged", "f"}
_DEPT_TYPES = {"1": "1", "01": "1", "type1": "1", "typei": "1", "t1": "1",
               "2": "2", "02": "2", "type2": "2", "typeii": "2", "t2": "2",
               "3": "3", "03": "3", "type3": "3", "typeiii": "3", "t3": "3", "4": "3", "04": "3",
               "type4": "3", "utc": "3", "miu": "3", "walkin": "3", "walkincentre": "3"}
_TYPE_METRICS = {"1": S.ATTENDANCES_TYPE1, "2": S.ATTENDANCES_TYPE2, "3": S.ATTENDANCES_TYPE3}


def is_identifier(column) -> bool:
    """True for a column that identifies a patient (NHS number, MRN, name, postcode, date of birth ...)."""
    key = normalise_name(column)
    return key in _IDENTIFIER_NAMES or any(part in key for part in _IDENTIFIER_PARTS)


def _roles(columns, synonyms: dict, overrides: dict | None, report: ValidationReport) -> dict | None:
    """Role -> column, from names and the caller's overrides; None (with an error) on a bad override."""
    found: dict[str, str] = {}
    for col in columns:
        key = normalise_name(col)
        for role, names in synonyms.items():
            if key in names and role not in found and col not in found.values():
                found[role] = col
                break
    for role, col in (overrides or {}).items():
        if role not in synonyms:
            raise ValueError(f"Unknown column role {role!r}; roles are {', '.join(synonyms)}.")
        if col is None:
            found.pop(role, None)
            continue
        if is_identifier(col):
            report.add(S.ERROR, "identifier_column",
                       f"The column {col!r} identifies patients and is never read.",
                       "Map the role to a column without patient identifiers.", column=str(col))
            return None
        if col not in columns:
            report.add(S.ERROR, "missing_column", f"The mapped {role} column {col!r} is not in the file.",
                       "Pick one of the file's columns in the column mapping.", column=str(col))
            return None
        found = {r: c for r, c in found.items() if c != col}
        found[role] = col
    return found


def _drop_identifiers(table: pd.DataFrame, keep: set, report: ValidationReport) -> pd.DataFrame:
    """Only the columns the workbench uses survive; identifiers are named (never their values)."""
    data_cols = [c for c in table.columns if c != "_row"]
    ids = [c for c in data_cols if is_identifier(c)]
    unused = [c for c in data_cols if c not in keep and c not in ids]
    if ids:
        report.add(S.INFO, "identifiers_dropped",
                   "Patient identifier columns were dropped on reading and are not kept anywhere: "
                   + ", ".join(repr(c) for c in ids) + ".",
                   "Nothing to do; leave them out of future extracts if you can (data minimisation).")
    if unused:
        report.add(S.INFO, "unused_columns", "Columns not used: " + ", ".join(repr(c) for c in unused) + ".",
                   "Nothing to do.")
    return table[[c for c in data_cols if c in keep] + ["_row"]]


def _date_time(table: pd.DataFrame, roles: dict, whole: str, date: str,
               clock: str) -> tuple[pd.Series, str] | None:
    """Text of a date-time role: one column, or a date column and a time column joined."""
    if whole in roles:
        return _typed_or_text(table[roles[whole]]), roles[whole]
    if date in roles and clock in roles:
        day = table[roles[date]].astype(str).str.strip().str.split(" ").str[0]
        text = (day + " " + table[roles[clock]].astype(str).str.strip()).str.strip()
        return text.where(day != "", ""), f"{roles[date]} + {roles[clock]}"
    for role in (date, clock):  # a lone 'arrival time' column often holds the date too
        if role in roles:
            return _typed_or_text(table[roles[role]]), roles[role]
    return None


def _typed_or_text(values: pd.Series) -> pd.Series:
    """Date-times as they are (Parquet, SQL), anything else as stripped text."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    return values.astype(str).str.strip()


def _blank(values: pd.Series) -> np.ndarray:
    """True where a date cell is empty (blank text, or a missing typed date)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.isna().to_numpy()
    return values.astype(str).str.strip().isin(["", "nan", "None", "NaT"]).to_numpy()


def _empty(columns, dtypes=None) -> pd.DataFrame:
    dtypes = dtypes or {}
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, object)) for c in columns})


def _today_end(today) -> pd.Timestamp:
    day = pd.Timestamp.now().normalize() if today is None else pd.Timestamp(today).normalize()
    return day + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)


_RECORD_DTYPES = {"row": "int64", "site": str, "arrival": "datetime64[ns]", "departure": "datetime64[ns]",
                  "minutes_in_department": "float64", "ambulance": bool, "admitted": bool}


def read_ed_records(source, *, columns: dict[str, str | None] | None = None, today=None,
                    ambulance_modes=None, sheet=None, name: str | None = None) -> LoadResult:
    """Read a record-level ED extract (one row per attendance), dropping patient identifiers.

    Parameters
    ----------
    source : path, bytes or uploaded file
        CSV, XLSX or Parquet with an arrival date-time, a departure date-time (or separate date
        and time columns), site, and optionally department type, arrival mode, an admitted flag,
        age band and acuity.
    columns : dict, optional
        Override of the column for a role: ``arrival``, ``arrival_date``, ``arrival_clock``,
        ``departure``, ``departure_date``, ``departure_clock``, ``site``, ``department_type``,
        ``arrival_mode``, ``admitted``, ``age_band``, ``acuity`` (None to ignore a column).
    today : date-like, optional
        Arrivals or departures after the end of this day are errors (default: today).
    ambulance_modes : iterable of str, optional
        Arrival-mode values that mean an ambulance (besides any text containing 'ambulance' or
        'helicopter'), e.g. local codes.
    sheet, name
        As in :func:`forecasting.io.read_table`.

    Returns
    -------
    LoadResult
        ``frame``: one row per usable attendance with :data:`RECORD_COLUMNS` (``row`` is the
        spreadsheet row; no identifier column is ever kept); ``report``: every problem. Rows with
        an unreadable or future date, no site, a departure before arrival or an unreadable
        admitted flag are left out of the frame (and so of every count) and listed by row.
        A blank departure means still in the department: the attendance counts, but not in the
        4/12-hour figures or the time-in-department table. With no admitted flag (or no arrival
        mode) column, ``admitted`` (or ``ambulance``) is NA, not False: unknown, so
        :func:`ed_activity` leaves admissions (or ambulance arrivals) out rather than count 0.
    """
    empty = _empty(RECORD_COLUMNS, _RECORD_DTYPES)
    table, report = read_rows(source, sheet=sheet, name=name)
    if table is None:
        return LoadResult(empty, report)
    data_cols = [c for c in table.columns if c != "_row"]
    candidates = [c for c in data_cols if not is_identifier(c)]
    roles = _roles(candidates, _ED_ROLES, columns, report)
    table = _drop_identifiers(table, set((roles or {}).values()), report)
    if roles is None:
        return LoadResult(empty, report)
    rows = table["_row"].to_numpy()
    arrival_text = _date_time(table, roles, "arrival", "arrival_date", "arrival_clock")
    departure_text = _date_time(table, roles, "departure", "departure_date", "departure_clock")
    missing = [r for r, v in (("arrival date-time", arrival_text), ("site", roles.get("site")))
               if v is None]
    if departure_text is None:
        missing.append("departure date-time")
    if missing:
        report.add(S.ERROR, "missing_column",
                   "No " + " or ".join(missing) + " column found (columns are: "
                   + ", ".join(repr(c) for c in candidates) + ").",
                   "Name the columns arrival, departure and site (or map them on the Data page).",
                   column=", ".join(missing))
        return LoadResult(empty, report)
    bad = np.zeros(len(table), dtype=bool)

    arr_text, arr_col = arrival_text
    arrival = parse_dates(arr_text, rows, arr_col, report)
    bad |= arrival.isna().to_numpy().copy()
    dep_text, dep_col = departure_text
    dep_blank = _blank(dep_text)
    departure = pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns]")
    if (~dep_blank).any():
        departure[~dep_blank] = parse_dates(dep_text[~dep_blank], rows[~dep_blank], dep_col, report)
    bad |= departure.isna().to_numpy() & ~dep_blank
    still_in = dep_blank & ~bad
    if still_in.any():
        report.add(S.WARNING, "no_departure",
                   "Departure is blank (still in the department?): the attendance is counted, but "
                   "not in the 4/12-hour figures or the time-in-department table.",
                   "Re-run the extract after these patients have left, or fill in the departure time.",
                   column=dep_col, rows=rows[still_in])

    site = table[roles["site"]].astype(str).str.strip()
    blank_site = site.isin(["", "nan", "None"]).to_numpy()
    if blank_site.any():
        report.add(S.ERROR, "blank_site", "Site is blank; the attendance cannot be counted anywhere.",
                   "Fill in the site (or delete the row).", column=roles["site"], rows=rows[blank_site])
    bad |= blank_site

    minutes = ((departure - arrival).dt.total_seconds() / 60).to_numpy()
    backwards = (minutes < 0) & ~bad
    if backwards.any():
        report.add(S.ERROR, "departure_before_arrival", "Departure is before arrival.",
                   "Check both times (often a day or AM/PM slip) and correct them, or delete the row.",
                   column=dep_col, rows=rows[backwards])
    bad |= backwards
    end = _today_end(today)
    future = ((arrival > end) | (departure > end)).to_numpy() & ~bad
    if future.any():
        report.add(S.ERROR, "future_date",
                   f"Arrival or departure is in the future (after {end:%d/%m/%Y}).",
                   "Check the day/month order of the dates and remove test or placeholder rows.",
                   column=f"{arr_col}, {dep_col}", rows=rows[future])
    bad |= future
    too_long = (minutes > _LONG_STAY_MINUTES) & ~bad
    if too_long.any():
        report.add(S.WARNING, "long_stay",
                   f"Over {_LONG_STAY_MINUTES // 60} hours in the department: kept, but check the times.",
                   "Correct the departure if it is a data-entry slip.", column=dep_col, rows=rows[too_long])

    # no admitted / arrival-mode column: unknown (NA), so the counts leave the metric out rather than show 0
    admitted = pd.Series(pd.NA, index=table.index, dtype="boolean")
    if "admitted" in roles:
        flag = table[roles["admitted"]].astype(str).map(normalise_name)
        yes, no = flag.isin(_YES).to_numpy(), flag.isin(_NO).to_numpy()
        blank = (flag == "").to_numpy()
        odd = ~(yes | no | blank) & ~bad
        if odd.any():
            examples = ", ".join(repr(v) for v in table[roles["admitted"]][odd].unique()[:3])
            report.add(S.ERROR, "bad_admitted", f"Admitted flag is not yes/no (e.g. {examples}).",
                       "Use Y/N, Yes/No, 1/0 or True/False.", column=roles["admitted"], rows=rows[odd])
            bad |= odd
        if (blank & ~bad).any():
            report.add(S.INFO, "admitted_blank", "Admitted flag is blank: read as not admitted.",
                       "Nothing to do if blank means 'no' in this extract.", column=roles["admitted"],
                       rows=rows[blank & ~bad])
        admitted = pd.Series(yes, index=table.index)
    else:
        report.add(S.WARNING, "no_admitted_column",
                   "No admitted flag column: admissions are not counted, so they are left out of the data "
                   "(not shown as 0 a day).",
                   "Add an 'admitted' (Y/N) column to the extract to count admissions.")

    mode = (table[roles["arrival_mode"]].astype(str).str.strip() if "arrival_mode" in roles
            else pd.Series("", index=table.index))
    lowered = mode.str.lower()
    ambulance = lowered.str.contains("ambulance|helicopter", regex=True)
    if ambulance_modes:
        ambulance |= lowered.isin({str(m).strip().lower() for m in ambulance_modes})
    if "arrival_mode" not in roles:
        ambulance = pd.Series(pd.NA, index=table.index, dtype="boolean")
        report.add(S.WARNING, "no_arrival_mode",
                   "No arrival mode column: ambulance arrivals are not counted, so they are left out of the "
                   "data (not shown as 0 a day).",
                   "Add an 'arrival mode' column to the extract to count ambulance arrivals.")

    dept = pd.Series(None, index=table.index, dtype=object)
    if "department_type" in roles:
        raw = table[roles["department_type"]].astype(str)
        dept = raw.map(normalise_name).map(_DEPT_TYPES)
        unknown = dept.isna().to_numpy() & ~bad
        if unknown.any():
            examples = ", ".join(repr(v) for v in raw[unknown].unique()[:3])
            report.add(S.WARNING, "bad_department_type",
                       f"Department type is not 1, 2 or 3/4 (e.g. {examples}): counted in attendances, "
                       "not in the type figures.", "Use 1 (ED), 2 (single specialty), 3 or 4 (UTC/MIU).",
                       column=roles["department_type"], rows=rows[unknown])

    out = pd.DataFrame({"row": rows, "site": site, "arrival": arrival, "departure": departure,
                        "minutes_in_department": minutes, "department_type": dept, "arrival_mode": mode,
                        "ambulance": ambulance.array, "admitted": admitted.array})
    for role in ("age_band", "acuity"):
        out[role] = table[roles[role]].astype(str).str.strip() if role in roles else None
    out = out[~bad].reset_index(drop=True)
    report.rows_kept = len(out)
    return LoadResult(out[list(RECORD_COLUMNS)], report)


def ed_activity(records: pd.DataFrame, *, freq: str = "daily", total: bool = False) -> pd.DataFrame:
    """Hourly or daily counts from attendance records, in the activity contract.

    Parameters
    ----------
    records : DataFrame
        From :func:`read_ed_records`.
    freq : {"daily", "hourly"}
        Period of the counts; every attendance is counted in the period it arrived in.
    total : bool
        Also add the sum over sites as site ``Trust total``.

    Returns
    -------
    DataFrame
        ``site, metric, date, value`` with ``attendances``, ``ambulance_arrivals`` (left out
        when the arrival mode is unknown, i.e. the extract had no such column), ``admissions``
        (likewise without an admitted flag), ``breaches_4h`` (over 4 hours from arrival to departure),
        ``breaches_12h`` (over 12 hours) and, when department types are given,
        ``attendances_type1/2/3`` (types 3 and 4 together). Every site has a row for every
        period of the extract (whole days from its first to its last), 0 where nobody arrived.
    """
    if freq not in ("daily", "hourly"):
        raise ValueError(f"freq must be 'daily' or 'hourly', not {freq!r}.")
    if records.empty:
        return _empty(S.ACTIVITY_COLUMNS, {"date": "datetime64[ns]", "value": "float64", "site": str,
                                           "metric": str})
    period = records["arrival"].dt.floor("h") if freq == "hourly" else records["arrival"].dt.normalize()
    minutes = records["minutes_in_department"]
    counts = pd.DataFrame({
        "site": records["site"], "date": period, S.ATTENDANCES: 1,
        S.BREACHES_4H: (minutes > _FOUR_HOURS).astype(int),
        BREACHES_12H: (minutes > _TWELVE_HOURS).astype(int),
    })
    metrics = [S.ATTENDANCES]
    # A flag that is unknown (the extract had no such column) gives no series at all: a run of
    # zeros would read as "nobody was admitted" on every page.
    for metric, flag in ((S.AMBULANCE_ARRIVALS, "ambulance"), (S.ADMISSIONS, "admitted")):
        if records[flag].notna().all():
            counts[metric] = records[flag].astype(int)
            metrics.append(metric)
    metrics += [S.BREACHES_4H, BREACHES_12H]
    if records["department_type"].notna().any():
        for code, metric in _TYPE_METRICS.items():
            counts[metric] = (records["department_type"] == code).astype(int)
            metrics.append(metric)
    summed = counts.groupby(["site", "date"])[metrics].sum()
    first, last = period.min().normalize(), period.max().normalize()
    grid = (pd.date_range(first, last + pd.Timedelta(hours=23), freq="h") if freq == "hourly"
            else pd.date_range(first, last, freq="D"))
    sites = sorted(records["site"].unique())
    full = pd.MultiIndex.from_product([sites, grid], names=["site", "date"])
    summed = summed.reindex(full, fill_value=0)
    if total and len(sites) > 1:
        trust = summed.groupby(level="date").sum()
        trust.index = pd.MultiIndex.from_product([[S.TRUST_TOTAL], trust.index], names=["site", "date"])
        summed = pd.concat([summed, trust])
    long = summed.reset_index().melt(id_vars=["site", "date"], var_name="metric", value_name="value")
    long["value"] = long["value"].astype("float64")
    long["date"] = long["date"].astype("datetime64[ns]")
    order = {m: i for i, m in enumerate(S.metric_order(long["metric"]))}
    long = long.assign(_o=long["metric"].map(order)).sort_values(["site", "_o", "date"], kind="stable")
    return long[list(S.ACTIVITY_COLUMNS)].reset_index(drop=True)


def read_ed_activity(source, *, freq: str = "daily", total: bool = False, **kwargs) -> LoadResult:
    """Read a record-level ED extract straight to hourly or daily counts.

    Parameters
    ----------
    source : path, bytes or uploaded file
        As :func:`read_ed_records`.
    freq, total : see :func:`ed_activity`.
    **kwargs
        Passed to :func:`read_ed_records` (``columns``, ``today``, ``ambulance_modes``, ``sheet``,
        ``name``).

    Returns
    -------
    LoadResult
        The counts in the activity contract and the report of :func:`read_ed_records`, plus a
        warning for days with no attendances at all at a busy site (a likely gap in the extract).
    """
    loaded = read_ed_records(source, **kwargs)
    frame = ed_activity(loaded.frame, freq=freq, total=total)
    att = frame[(frame["metric"] == S.ATTENDANCES) & (frame["site"] != S.TRUST_TOTAL)]
    if len(att):
        daily = att.groupby(["site", att["date"].dt.normalize()])["value"].sum()
        for site, days in daily.groupby(level="site"):
            zero = days[days == 0]
            if len(zero) and days.median() >= 20:
                shown = ", ".join(f"{d:%d/%m/%Y}" for d in zero.index.get_level_values("date")[:5])
                loaded.report.add(S.WARNING, "zero_day",
                                  f"{site}: no attendances on {len(zero)} day(s) ({shown}"
                                  + (" ..." if len(zero) > 5 else "") + "), at a site that is usually busy.",
                                  "Check the extract covers those days; a missing day reads as zero demand.")
    return LoadResult(frame, loaded.report)


def time_in_department(records: pd.DataFrame, *, bands=DEFAULT_BANDS, total: bool = True) -> pd.DataFrame:
    """How long patients spent in the department: attendances per time band, per site.

    Parameters
    ----------
    records : DataFrame
        From :func:`read_ed_records`; attendances with no departure are left out.
    bands : sequence of int
        Band edges in minutes, rising from 0; the last band is open-ended (default: 0-1 h, 1-2 h,
        2-3 h, 3-4 h, 4-6 h, 6-8 h, 8-12 h, 12 h+). A stay of exactly 4 hours is in 3-4 h (within
        the standard): each band holds stays over its start, up to and including its end.
    total : bool
        Also give the sum over sites as ``Trust total``.

    Returns
    -------
    DataFrame
        ``site, band, from_minutes, to_minutes, attendances, share, cumulative_share``
        (``to_minutes`` is NaN for the open band; shares of the site's attendances with a departure).
    """
    edges = [int(b) for b in bands]
    if not edges or edges[0] != 0 or any(b <= a for a, b in zip(edges, edges[1:])):
        raise ValueError(f"bands must rise from 0 (minutes), e.g. {DEFAULT_BANDS}; got {tuple(bands)}.")
    done = records[records["minutes_in_department"].notna()]

    def label(lo, hi):
        fmt = lambda m: f"{m / 60:g}h"  # noqa: E731 - one-line formatter
        return f"{fmt(lo)}+" if hi is None else f"{fmt(lo)}-{fmt(hi)}"

    starts, ends = edges, edges[1:] + [None]
    labels = [label(lo, hi) for lo, hi in zip(starts, ends)]
    # band i holds stays in (start_i, end_i]; 0 minutes goes in the first band
    idx = np.searchsorted(np.asarray(edges[1:], float), done["minutes_in_department"].to_numpy(), side="left")
    frame = pd.DataFrame({"site": done["site"].to_numpy(), "band": idx})
    groups = [(site, part) for site, part in frame.groupby("site")]
    if total and frame["site"].nunique() > 1:
        groups.append((S.TRUST_TOTAL, frame))
    parts = []
    for site, part in groups:
        n = np.bincount(part["band"], minlength=len(edges))[: len(edges)]
        share = n / n.sum() if n.sum() else np.zeros(len(n))
        parts.append(pd.DataFrame({"site": site, "band": labels, "from_minutes": starts,
                                   "to_minutes": [np.nan if e is None else e for e in ends],
                                   "attendances": n, "share": share, "cumulative_share": np.cumsum(share)}))
    if not parts:
        return _empty(["site", "band", "from_minutes", "to_minutes", "attendances", "share",
                       "cumulative_share"])
    return pd.concat(parts, ignore_index=True)


def suppress_small(frame: pd.DataFrame, columns, threshold: int = 5, *, marker: str | None = SUPPRESSED
                   ) -> pd.DataFrame:
    """Disclosure control for exports: hide counts from 1 to ``threshold - 1``.

    Parameters
    ----------
    frame : DataFrame
        Any table of counts (activity, time-in-department ...). It is not changed.
    columns : str or list of str
        The count columns to check.
    threshold : int
        Counts of at least 1 and below this are hidden (default 5: 1-4 are hidden; 0 is shown,
        as NHS publications do).
    marker : str or None
        Text put in a hidden cell (default ``"<5"``; the column becomes text, for CSV/XLSX export).
        With None the cell becomes NaN and a boolean ``<column>_suppressed`` column says which.

    Returns
    -------
    DataFrame
        A copy with small counts hidden. Only cells are hidden (primary suppression): a total
        shown next to them can still give a hidden cell away, so export totals with care.
    """
    if threshold < 1:
        raise ValueError("threshold must be 1 or more (5 hides counts of 1 to 4).")
    cols = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise KeyError(f"No column(s) {missing} to suppress; columns are {list(frame.columns)}.")
    out = frame.copy()
    for col in cols:
        values = pd.to_numeric(out[col], errors="coerce")
        small = ((values >= 1) & (values < threshold)).to_numpy()
        if marker is None:
            out[col] = values.astype("float64").where(~small)
            out[f"{col}_suppressed"] = small
        else:
            text = values.map(_count_text)
            out[col] = text.where(~small, marker).astype(object)
    return out


def _count_text(v) -> str:
    """A count as export text: '12' not '12.0'; blank for a missing value."""
    if pd.isna(v):
        return ""
    return f"{int(v)}" if float(v).is_integer() else f"{v:g}"


# --------------------------------------------------------------------------- inpatient spells
_SPELL_DTYPES = {"row": "int64", "site": str, "admission_date": "datetime64[ns]",
                 "discharge_date": "datetime64[ns]"}


def read_inpatient_spells(source, *, columns: dict[str, str | None] | None = None, as_of=None,
                          sheet=None, name: str | None = None) -> LoadResult:
    """Read an inpatient spells extract for the length-of-stay and census models, dropping identifiers.

    Parameters
    ----------
    source : path, bytes or uploaded file
        One row per spell: site, admission date (or date-time), discharge date (blank while still
        in hospital), optionally specialty and ward.
    columns : dict, optional
        Override of the column for a role (``site``, ``admission_date``, ``discharge_date``,
        ``specialty``, ``ward``).
    as_of : date-like, optional
        The extract date: admissions or discharges after it are errors (default: today).
    sheet, name
        As in :func:`forecasting.io.read_table`.

    Returns
    -------
    LoadResult
        ``frame``: the usable spells with :data:`SPELL_COLUMNS` (dates at midnight; ``row`` is
        the spreadsheet row), ready for :meth:`forecasting.capacity.los.LengthOfStay.from_spells`
        and :func:`forecasting.capacity.beds.census_from_spells`; ``report``: every problem, with
        the rows left out.
    """
    empty = _empty(SPELL_COLUMNS, _SPELL_DTYPES)
    table, report = read_rows(source, sheet=sheet, name=name)
    if table is None:
        return LoadResult(empty, report)
    candidates = [c for c in table.columns if c != "_row" and not is_identifier(c)]
    roles = _roles(candidates, _SPELL_ROLES, columns, report)
    table = _drop_identifiers(table, set((roles or {}).values()), report)
    if roles is None:
        return LoadResult(empty, report)
    missing = [r for r in ("site", "admission_date", "discharge_date") if r not in roles]
    if missing:
        report.add(S.ERROR, "missing_column",
                   "No " + ", ".join(m.replace("_", " ") for m in missing) + " column found (columns are: "
                   + ", ".join(repr(c) for c in candidates) + ").",
                   "Name the columns site, admission_date and discharge_date (blank if still in).",
                   column=", ".join(missing))
        return LoadResult(empty, report)
    rows = table["_row"].to_numpy()
    adm = parse_dates(table[roles["admission_date"]], rows, roles["admission_date"], report)
    bad = adm.isna().to_numpy().copy()
    dis_text = _typed_or_text(table[roles["discharge_date"]])
    still_in = _blank(dis_text)
    dis = pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns]")
    if (~still_in).any():
        dis[~still_in] = parse_dates(dis_text[~still_in], rows[~still_in], roles["discharge_date"], report)
    bad |= dis.isna().to_numpy() & ~still_in
    site = table[roles["site"]].astype(str).str.strip()
    blank_site = site.isin(["", "nan", "None"]).to_numpy()
    if blank_site.any():
        report.add(S.ERROR, "blank_site", "Site is blank.", "Fill in the site (or delete the row).",
                   column=roles["site"], rows=rows[blank_site])
    bad |= blank_site
    adm_day, dis_day = adm.dt.normalize(), dis.dt.normalize()
    backwards = (dis_day < adm_day).to_numpy() & ~bad
    if backwards.any():
        report.add(S.ERROR, "discharge_before_admission", "Discharge is before admission.",
                   "Correct the dates (often a day/month slip) or delete the row.",
                   column=roles["discharge_date"], rows=rows[backwards])
    bad |= backwards
    end = _today_end(as_of)
    future = ((adm > end) | (dis > end)).to_numpy() & ~bad
    if future.any():
        report.add(S.ERROR, "future_date",
                   f"Admission or discharge is after the extract date ({end:%d/%m/%Y}).",
                   "Remove planned (future) admissions and check the day/month order of dates.",
                   rows=rows[future])
    bad |= future
    n_in = int((still_in & ~bad).sum())
    if n_in:
        report.add(S.INFO, "still_in", f"{n_in:,} spell(s) have no discharge date: still in hospital.",
                   "Nothing to do; they count in the census and as unfinished stays.",
                   column=roles["discharge_date"])
    out = pd.DataFrame({"row": rows, "site": site, "admission_date": adm_day, "discharge_date": dis_day})
    for role in ("specialty", "ward"):
        out[role] = table[roles[role]].astype(str).str.strip() if role in roles else None
    out = out[~bad].reset_index(drop=True)
    report.rows_kept = len(out)
    return LoadResult(out[list(SPELL_COLUMNS)], report)


def census_activity(spells: pd.DataFrame, *, start=None, end=None, total: bool = False) -> pd.DataFrame:
    """Daily midnight census (occupied beds) per site from spells, in the activity contract.

    A patient occupies a bed at the census of day d when admission_date <= d < discharge_date (or
    has no discharge date): the rule of :func:`forecasting.capacity.beds.census_from_spells`.

    Parameters
    ----------
    spells : DataFrame
        From :func:`read_inpatient_spells` (or any frame with ``site, admission_date,
        discharge_date`` as datetimes).
    start, end : date-like, optional
        First and last census day (default: first admission to last admission or discharge).
    total : bool
        Also add the sum over sites as ``Trust total``.
    """
    if spells.empty:
        return _empty(S.ACTIVITY_COLUMNS, {"date": "datetime64[ns]", "value": "float64"})
    adm = pd.to_datetime(spells["admission_date"]).dt.normalize()
    dis = pd.to_datetime(spells["discharge_date"]).dt.normalize()
    first = pd.Timestamp(start).normalize() if start is not None else adm.min()
    last = (pd.Timestamp(end).normalize() if end is not None
            else max(adm.max(), dis.max() if dis.notna().any() else adm.max()))
    days = pd.date_range(first, last, freq="D")
    n = len(days)
    # +1 on admission day, -1 on discharge day, cumulated: clipped to the window
    a = ((adm - first).dt.days).to_numpy()
    d = ((dis - first).dt.days).fillna(n).to_numpy().astype(int)
    a_c, d_c = np.clip(a, 0, n), np.clip(d, 0, n)
    out = []
    sites = spells["site"].astype(str).to_numpy()
    for site in sorted(pd.unique(sites)):
        m = sites == site
        diff = np.bincount(a_c[m], minlength=n + 1)[: n + 1] - np.bincount(d_c[m], minlength=n + 1)[: n + 1]
        occ = np.cumsum(diff)[:n]
        out.append(pd.DataFrame({"site": site, "metric": S.OCCUPIED_BEDS, "date": days,
                                 "value": occ.astype("float64")}))
    frame = pd.concat(out, ignore_index=True)
    if total and frame["site"].nunique() > 1:
        trust = frame.groupby("date", as_index=False)["value"].sum().assign(site=S.TRUST_TOTAL,
                                                                            metric=S.OCCUPIED_BEDS)
        frame = pd.concat([frame, trust], ignore_index=True)
    frame["date"] = frame["date"].astype("datetime64[ns]")
    return frame[list(S.ACTIVITY_COLUMNS)].reset_index(drop=True)
