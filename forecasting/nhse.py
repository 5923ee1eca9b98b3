"""NHS England published returns: monthly A&E attendances and emergency admissions, daily bed sitreps."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from . import schema as S
from .io import LoadResult, normalise_name, read_rows
from .schema import ValidationReport, validate_activity

__all__ = [
    "ATTENDANCES_BOOKED", "BREACHES_4H_TYPE1", "ADMISSIONS_TYPE1", "DTA_WAITS_4_12H", "DTA_WAITS_12H",
    "OTHER_EMERGENCY_ADMISSIONS", "BEDS_OPEN", "CORE_BEDS", "ESCALATION_BEDS", "AE_CLOSURES",
    "AE_DIVERTS", "LONG_STAY_7D", "LONG_STAY_21D", "HANDOVER_DELAYS_30", "HANDOVER_DELAYS_60",
    "NHSE_METRIC_LABELS", "RETURN_FIELDS", "PROVIDER_COLUMNS", "SITREP_COLUMNS",
    "parse_period", "read_ae_monthly", "read_ae_tidy", "provider_activity", "read_ae_activity",
    "read_bed_sitreps", "sitrep_activity",
]

# --- activity metric names added by the NHS England returns (the shared ones live in schema.py)
ATTENDANCES_BOOKED = "attendances_booked"           # booked appointments, all department types
BREACHES_4H_TYPE1 = "breaches_4h_type1"             # type 1 patients over 4 hours (incl. booked)
ADMISSIONS_TYPE1 = "admissions_type1"               # emergency admissions via type 1 A&E
DTA_WAITS_4_12H = "dta_waits_4_12h"                 # 4-12 hours from decision to admit to admission
DTA_WAITS_12H = "dta_waits_12h"                     # over 12 hours from decision to admit to admission
OTHER_EMERGENCY_ADMISSIONS = "other_emergency_admissions"  # emergency admissions not via A&E
BEDS_OPEN = "beds_open"                             # G&A beds open (sitrep), a daily level
CORE_BEDS = "core_beds"
ESCALATION_BEDS = "escalation_beds"
AE_CLOSURES = "ae_closures"                         # A&E closures that day (sitrep escalation)
AE_DIVERTS = "ae_diverts"                           # A&E diverts that day (sitrep escalation)
LONG_STAY_7D = "long_stay_7d"                       # beds occupied by patients in over 7 days
LONG_STAY_21D = "long_stay_21d"                     # beds occupied by patients in over 21 days
HANDOVER_DELAYS_30 = "handover_delays_30"           # ambulance handovers delayed 30-60 minutes (a band:
#   the over-60 count exceeds it on 11 % of the shared file's days, so it cannot include them)
HANDOVER_DELAYS_60 = "handover_delays_60"           # ambulance handovers over 60 minutes

NHSE_METRIC_LABELS = {
    ATTENDANCES_BOOKED: "Booked A&E appointments",
    BREACHES_4H_TYPE1: "Type 1 patients over 4 hours",
    ADMISSIONS_TYPE1: "Emergency admissions via type 1 A&E",
    DTA_WAITS_4_12H: "Waits of 4-12 hours from decision to admit",
    DTA_WAITS_12H: "Waits over 12 hours from decision to admit",
    OTHER_EMERGENCY_ADMISSIONS: "Other emergency admissions (not via A&E)",
    BEDS_OPEN: "G&A beds open",
    CORE_BEDS: "G&A core beds open",
    ESCALATION_BEDS: "G&A escalation beds open",
    AE_CLOSURES: "A&E closures",
    AE_DIVERTS: "A&E diverts",
    LONG_STAY_7D: "Beds occupied by patients in over 7 days",
    LONG_STAY_21D: "Beds occupied by patients in over 21 days",
    HANDOVER_DELAYS_30: "Ambulance handovers delayed 30-60 minutes",
    HANDOVER_DELAYS_60: "Ambulance handovers over 60 minutes",
}

#: Columns of the monthly return (new style; older files prefix counts with 'Number of ') and
#: the field each becomes in the provider table.
RETURN_FIELDS = {
    "A&E attendances Type 1": "ae_attendances_type1",
    "A&E attendances Type 2": "ae_attendances_type2",
    "A&E attendances Other A&E Department": "ae_attendances_other",
    "A&E attendances Booked Appointments Type 1": "ae_attendances_booked_type1",
    "A&E attendances Booked Appointments Type 2": "ae_attendances_booked_type2",
    "A&E attendances Booked Appointments Other Department": "ae_attendances_booked_other",
    "Attendances over 4hrs Type 1": "over_4h_type1",
    "Attendances over 4hrs Type 2": "over_4h_type2",
    "Attendances over 4hrs Other Department": "over_4h_other",
    "Attendances over 4hrs Booked Appointments Type 1": "over_4h_booked_type1",
    "Attendances over 4hrs Booked Appointments Type 2": "over_4h_booked_type2",
    "Attendances over 4hrs Booked Appointments Other Department": "over_4h_booked_other",
    "Patients who have waited 4-12 hs from DTA to admission": "dta_4_12h",
    "Patients who have waited 12+ hrs from DTA to admission": "dta_12h_plus",
    "Emergency admissions via A&E - Type 1": "emergency_admissions_type1",
    "Emergency admissions via A&E - Type 2": "emergency_admissions_type2",
    "Emergency admissions via A&E - Other A&E department": "emergency_admissions_other",
    "Other emergency admissions": "other_emergency_admissions",
}

# Spellings seen across the years of the return (normalised, after any 'number of' prefix).
_FIELD_SYNONYMS = {
    "ae_attendances_other": ["aeattendancesotherdepartment", "aeattendancesotheraedepartments",
                             "aeattendancestype3", "aeattendancesothertypes"],
    "ae_attendances_booked_other": ["aeattendancesbookedappointmentsotheraedepartment"],
    "over_4h_other": ["attendancesover4hrsotheraedepartment", "attendancesover4hoursotherdepartment",
                      "attendancesover4hrsothertypes"],
    "over_4h_booked_other": ["attendancesover4hrsbookedappointmentsotheraedepartment"],
    "dta_4_12h": ["patientswhohavewaited412hrsfromdtatoadmission",
                  "patientswhohavewaited412hoursfromdtatoadmission"],
    "dta_12h_plus": ["patientswhohavewaited12hsfromdtatoadmission",
                     "patientswhohavewaited12hoursfromdtatoadmission"],
    "emergency_admissions_other": ["emergencyadmissionsviaaeotherdepartment",
                                   "emergencyadmissionsviaaeothertypes"],
}

_FIELD_LOOKUP = {normalise_name(col): field for col, field in RETURN_FIELDS.items()}
_FIELD_COLUMN = {field: col for col, field in RETURN_FIELDS.items()}
_FIELD_LOOKUP.update({syn: field for field, syns in _FIELD_SYNONYMS.items() for syn in syns})
_ID_LOOKUP = {"period": "period", "orgcode": "org_code", "parentorg": "parent_org",
              "orgname": "org_name", "organisationcode": "org_code", "organisationname": "org_name",
              "provider": "org_name", "providercode": "org_code", "region": "parent_org"}

#: Columns of the provider table returned by the monthly readers.
PROVIDER_COLUMNS = ("org_code", "org_name", "parent_org", "period", "metric", "value")

_MONTHS = {m.lower(): i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"], start=1)}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_PERIOD_RE = re.compile(r"^(?:[A-Za-z]+-)?([A-Za-z]+)[-\s]+(\d{2}|\d{4})$")


def parse_period(text) -> pd.Timestamp:
    """First day of the month of a return's period ('MSitAE-APRIL-2024', 'April 2024', '2024-04-01').

    Returns NaT when the text is not a month.
    """
    value = str(text).strip()
    m = _PERIOD_RE.match(value)
    if m and m.group(1).lower() in _MONTHS:
        year = int(m.group(2))
        year += 2000 if year < 100 else 0
        return pd.Timestamp(year=year, month=_MONTHS[m.group(1).lower()], day=1)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m", "%m/%Y"):
        ts = pd.to_datetime(value, format=fmt, errors="coerce")
        if not pd.isna(ts):
            return ts.to_period("M").to_timestamp()
    return pd.NaT


def _field_for(column: str) -> str | None:
    key = normalise_name(column)
    if key.startswith("numberof"):
        key = key[len("numberof"):]
    return _FIELD_LOOKUP.get(key)


def _sources(sources) -> list:
    """One entry per file: a folder becomes its CSV/XLSX files in name order."""
    items = sources if isinstance(sources, (list, tuple)) else [sources]
    out = []
    for item in items:
        if isinstance(item, (str, Path)) and Path(item).is_dir():
            found = sorted(p for p in Path(item).iterdir()
                           if p.suffix.lower() in (".csv", ".xlsx") and p.is_file())
            out.extend(found)
        else:
            out.append(item)
    return out


def _empty_provider() -> pd.DataFrame:
    return pd.DataFrame({"org_code": pd.Series(dtype=str), "org_name": pd.Series(dtype=str),
                         "parent_org": pd.Series(dtype=str),
                         "period": pd.Series(dtype="datetime64[ns]"),
                         "metric": pd.Series(dtype=str), "value": pd.Series(dtype=float)})


def _numbers(text: pd.Series) -> pd.Series:
    cleaned = text.astype(str).str.strip().str.replace(",", "", regex=False)
    return pd.to_numeric(cleaned, errors="coerce").astype("float64")


def _read_one_return(source, report_name: str | None) -> tuple[pd.DataFrame, ValidationReport]:
    """Provider table (plus _row, _file) from one monthly file, and that file's report."""
    table, report = read_rows(source, name=report_name,
                              action="Check the download finished, then upload it again.")
    if table is None:
        return pd.DataFrame(), report
    ids, fields, unused = {}, {}, []
    for col in (c for c in table.columns if c != "_row"):
        key = normalise_name(col)
        if key in _ID_LOOKUP and _ID_LOOKUP[key] not in ids:
            ids[_ID_LOOKUP[key]] = col
        elif (field := _field_for(col)) is not None and field not in fields.values():
            fields[col] = field
        else:
            unused.append(col)
    missing = [k for k in ("period", "org_code") if k not in ids]
    if missing or not fields:
        need = ", ".join(repr(m) for m in missing) or "any count column"
        report.add(S.ERROR, "not_ae_return",
                   f"This does not look like the NHS England A&E monthly return (no {need} column).",
                   "Upload the provider-level 'Monthly A&E Attendances and Emergency Admissions' CSV "
                   "as downloaded, one file per month.", column=", ".join(missing))
        return pd.DataFrame(), report
    if unused:
        report.add(S.INFO, "unused_columns",
                   "Columns not used: " + ", ".join(repr(c) for c in unused) + ".",
                   "Nothing to do; these are not part of the A&E return's counts.")
    rows = table["_row"].to_numpy()
    code = table[ids["org_code"]].astype(str).str.strip()
    name = table[ids["org_name"]].astype(str).str.strip() if "org_name" in ids else code
    parent = table[ids["parent_org"]].astype(str).str.strip() if "parent_org" in ids else pd.Series(
        "", index=table.index)
    total = (code.str.upper().isin(["TOTAL", "ENGLAND", "-"])
             | name.str.upper().str.contains(r"^(?:ENGLAND\s*)?TOTAL$|^ENGLAND$", regex=True))
    if total.any():
        report.add(S.INFO, "total_row",
                   "The England TOTAL row was left out (it is the sum of the providers, not a provider).",
                   "Nothing to do; add up providers in the workbench if you need a national figure.",
                   column=ids["org_code"], rows=rows[total.to_numpy()])
    blank_code = (code == "") & ~total
    if blank_code.any():
        report.add(S.ERROR, "blank_org_code", "Org Code is blank.",
                   "Fill in the provider's ODS code (e.g. RWP) or delete the row.",
                   column=ids["org_code"], rows=rows[blank_code.to_numpy()])
    period = table[ids["period"]].map(parse_period).astype("datetime64[ns]")
    bad_period = period.isna() & ~total & ~blank_code
    if bad_period.any():
        examples = ", ".join(repr(v) for v in table[ids["period"]][bad_period].unique()[:3])
        report.add(S.ERROR, "bad_period", f"Period is not a month (e.g. {examples}).",
                   "Use the return's own period text (e.g. 'MSitAE-APRIL-2024') or the first day "
                   "of the month (2024-04-01).", column=ids["period"], rows=rows[bad_period.to_numpy()])
    keep = ~(total | blank_code | bad_period).to_numpy()
    parts = []
    for col, field in fields.items():
        text = table[col].astype(str).str.strip()
        value = _numbers(text)
        blank = (text == "").to_numpy() & keep
        bad = value.isna().to_numpy() & ~blank & keep
        negative = (value < 0).to_numpy() & keep
        if blank.any():
            report.add(S.WARNING, "blank_value",
                       "Count is blank; it is treated as not reported (not as zero).",
                       "Nothing to do if the provider did not submit this figure; otherwise enter it.",
                       column=col, rows=rows[blank])
        if bad.any():
            examples = ", ".join(repr(v) for v in text[bad].unique()[:3])
            report.add(S.ERROR, "not_numeric", f"Count is not a number (e.g. {examples}).",
                       "Replace it with the count or leave the cell blank; remove notes and '*' marks.",
                       column=col, rows=rows[bad])
        if negative.any():
            report.add(S.ERROR, "negative", "Count is negative.",
                       "Correct the figure; published counts are never below zero.",
                       column=col, rows=rows[negative])
        use = keep & ~blank & ~bad & ~negative
        parts.append(pd.DataFrame({"org_code": code[use].str.upper(), "org_name": name[use],
                                   "parent_org": parent[use], "period": period[use], "metric": field,
                                   "value": value[use], "_row": rows[use]}))
    long = pd.concat(parts, ignore_index=True)
    long["_file"] = report.source
    report.rows_kept = int(long["_row"].nunique())
    return long, report


def _combine_reports(reports: list[ValidationReport]) -> ValidationReport:
    names = [r.source for r in reports]
    combined = ValidationReport(source=names[0] if len(names) == 1 else f"{len(names)} files")
    for r in reports:
        combined.extend(r)
        combined.rows_read += r.rows_read
        combined.rows_kept += r.rows_kept
    return combined


def _resolve_duplicates(long: pd.DataFrame, combined: ValidationReport,
                        key=("org_code", "period", "metric")) -> pd.DataFrame:
    """One value per provider, month and field: repeats kept once, conflicts left out and listed."""
    key = list(key)
    dup = long.duplicated(key, keep=False)
    if not dup.any():
        return long
    groups = long[dup].groupby(key, sort=False)
    conflict_idx = long[dup].index[groups["value"].transform("nunique").to_numpy() > 1]
    repeat = long.duplicated(key + ["value"], keep="first") & ~long.index.isin(conflict_idx)
    for idx, severity, code, message, action in (
        (conflict_idx, S.ERROR, "duplicate_conflict",
         "The same provider and month appears more than once with different figures "
         "(in {files}); neither was used.",
         "Upload one file per month: remove the superseded file (or the repeated rows)."),
        (long.index[repeat], S.WARNING, "duplicate_repeat",
         "The same provider and month appears more than once with the same figures (in {files}); "
         "it was counted once.",
         "Nothing to do, unless the files were meant to be different months."),
    ):
        if len(idx):
            part = long.loc[idx]
            involved = long.set_index(key).index.isin(part.set_index(key).index)
            files = ", ".join(pd.unique(long.loc[involved, "_file"]))
            for file, rows in part.groupby("_file", sort=False):
                sub = ValidationReport(source=file)  # each file's rows are named under its own name
                sub.add(severity, code, message.format(files=files), action,
                        column=", ".join(_FIELD_COLUMN.get(m, m) for m in pd.unique(rows["metric"])[:5]),
                        rows=rows["_row"].to_numpy())
                combined.extend(sub)
    return long.drop(index=long.index[repeat].union(conflict_idx))


def read_ae_monthly(sources, *, names=None) -> LoadResult:
    """Read one or more NHS England monthly A&E returns (provider CSVs as published).

    Parameters
    ----------
    sources : path, bytes, uploaded file, folder, or a list of these
        Each file is one month's provider-level "A&E Attendances and Emergency Admissions" CSV
        (new column style, or the older style that prefixes counts with 'Number of'). A folder
        stands for all the ``.csv``/``.xlsx`` files in it.
    names : list of str, optional
        Display names for the files (an upload's own names), in the same order.

    Returns
    -------
    LoadResult
        ``frame``: the provider table ``org_code, org_name, parent_org, period, metric, value``
        (``period`` is the month start; ``metric`` is a :data:`RETURN_FIELDS` field) sorted by
        provider, field and month; ``report``: every problem with file, row, column and what to
        do. The England TOTAL row is left out and listed as information.
    """
    long, report = _read_monthly(sources, names)
    return LoadResult(_finish_provider(long), report)


def _read_monthly(sources, names) -> tuple[pd.DataFrame, ValidationReport]:
    """Provider table with private ``_row``/``_file`` columns, and the combined report."""
    files = _sources(sources)
    if not files:
        report = ValidationReport(source=str(sources))
        report.add(S.ERROR, "no_files", "No CSV or XLSX files were found.",
                   "Pick the monthly A&E return files (or a folder that holds them).")
        return _empty_provider().assign(_row=0, _file=""), report
    names = list(names) if names is not None else [None] * len(files)
    if len(names) != len(files):
        raise ValueError(f"names has {len(names)} entries for {len(files)} files.")
    parts, reports = [], []
    for src, nm in zip(files, names):
        long, rep = _read_one_return(src, nm)
        reports.append(rep)
        if len(long):
            parts.append(long)
    combined = _combine_reports(reports)
    if not parts:
        return _empty_provider().assign(_row=0, _file=""), combined
    long = _resolve_duplicates(pd.concat(parts, ignore_index=True), combined)
    return long, combined


def _finish_provider(long: pd.DataFrame, *, keep_private: bool = False) -> pd.DataFrame:
    if long.empty:
        return _empty_provider().assign(_row=0, _file="") if keep_private else _empty_provider()
    # A provider renamed between months keeps one series: its latest name is used throughout.
    latest = long.sort_values("period").groupby("org_code")[["org_name", "parent_org"]].last()
    long = long.assign(org_name=long["org_code"].map(latest["org_name"]),
                       parent_org=long["org_code"].map(latest["parent_org"]))
    long = long.sort_values(["org_code", "metric", "period"], kind="stable").reset_index(drop=True)
    cols = list(PROVIDER_COLUMNS) + (["_row", "_file"] if keep_private else [])
    return long[cols]


_TIDY_TYPES = {"1": "type1", "type1": "type1", "2": "type2", "type2": "type2", "other": "other",
               "3": "other", "type3": "other", "34": "other"}


def read_ae_tidy(source, *, name: str | None = None, _private: bool = False) -> LoadResult:
    """Read the tidy monthly A&E extract (``period, org_code, type, attendances, breaches, admissions``).

    This is the NHS-R community's tidy form of the same return (the shared
    ``ae_attendances_monthly_2016_2019.csv``). Each type row becomes the provider-table fields
    ``ae_attendances_<type>``, ``over_4h_<type>`` and ``emergency_admissions_<type>`` (type
    ``1``, ``2`` or ``other``), so :func:`provider_activity` treats both sources alike. The
    extract has no organisation names: ``org_name`` is the code.
    """
    table, report = read_rows(source, name=name)
    if table is None:
        return LoadResult(_empty_provider(), report)
    cols = {normalise_name(c): c for c in table.columns if c != "_row"}
    need = ["period", "orgcode", "type", "attendances", "breaches", "admissions"]
    missing = [n for n in need if n not in cols]
    if missing:
        report.add(S.ERROR, "missing_column",
                   "Missing column(s): " + ", ".join(missing) + " (the tidy extract has period, "
                   "org_code, type, attendances, breaches, admissions).",
                   "Upload the tidy extract as published, or the raw monthly return CSVs instead.")
        return LoadResult(_empty_provider(), report)
    rows = table["_row"].to_numpy()
    period = table[cols["period"]].map(parse_period).astype("datetime64[ns]")
    code = table[cols["orgcode"]].astype(str).str.strip().str.upper()
    kind = table[cols["type"]].astype(str).map(normalise_name).map(_TIDY_TYPES)
    bad_period = period.isna().to_numpy()
    if bad_period.any():
        report.add(S.ERROR, "bad_period", "Period is not a date.", "Use the first day of the month.",
                   column=cols["period"], rows=rows[bad_period])
    bad_type = kind.isna().to_numpy()
    if bad_type.any():
        examples = ", ".join(repr(v) for v in table[cols["type"]][bad_type].unique()[:3])
        report.add(S.ERROR, "bad_type", f"Department type is not 1, 2 or other (e.g. {examples}).",
                   "Use 1 (type 1 ED), 2 (single specialty) or other (UTC/MIU/walk-in).",
                   column=cols["type"], rows=rows[bad_type])
    total = code.isin(["TOTAL", "ENGLAND", "-"]).to_numpy()
    if total.any():
        report.add(S.INFO, "total_row", "Totals rows were left out (they are not a provider).",
                   "Nothing to do.", column=cols["orgcode"], rows=rows[total])
    keep = ~(bad_period | bad_type | total)
    parts = []
    for src, prefix in (("attendances", "ae_attendances"), ("breaches", "over_4h"),
                        ("admissions", "emergency_admissions")):
        text = table[cols[src]].astype(str).str.strip()
        value = _numbers(text)
        blank = (text == "").to_numpy() & keep
        bad = (value.isna().to_numpy() | (value < 0).to_numpy()) & ~blank & keep
        if blank.any():
            report.add(S.WARNING, "blank_value", "Count is blank; treated as not reported.",
                       "Nothing to do unless the figure exists.", column=cols[src], rows=rows[blank])
        if bad.any():
            report.add(S.ERROR, "not_numeric", "Count is not a number of 0 or more.",
                       "Correct the figure.", column=cols[src], rows=rows[bad])
        use = keep & ~blank & ~bad
        parts.append(pd.DataFrame({"org_code": code[use], "org_name": code[use], "parent_org": "",
                                   "period": period[use], "metric": prefix + "_" + kind[use],
                                   "value": value[use], "_row": rows[use]}))
    long = pd.concat(parts, ignore_index=True).assign(_file=report.source)
    long = _resolve_duplicates(long, report)
    report.rows_kept = int(long["_row"].nunique())
    return LoadResult(_finish_provider(long, keep_private=_private), report)


# Activity metric = sum of these provider-table fields (booked appointments count as attendances,
# as in NHS England's own totals and 4-hour performance).
_ACTIVITY_SUMS = {
    S.ATTENDANCES_TYPE1: ["ae_attendances_type1", "ae_attendances_booked_type1"],
    S.ATTENDANCES_TYPE2: ["ae_attendances_type2", "ae_attendances_booked_type2"],
    S.ATTENDANCES_TYPE3: ["ae_attendances_other", "ae_attendances_booked_other"],
    S.ATTENDANCES: ["ae_attendances_type1", "ae_attendances_type2", "ae_attendances_other",
                    "ae_attendances_booked_type1", "ae_attendances_booked_type2",
                    "ae_attendances_booked_other"],
    ATTENDANCES_BOOKED: ["ae_attendances_booked_type1", "ae_attendances_booked_type2",
                         "ae_attendances_booked_other"],
    S.BREACHES_4H: ["over_4h_type1", "over_4h_type2", "over_4h_other", "over_4h_booked_type1",
                    "over_4h_booked_type2", "over_4h_booked_other"],
    BREACHES_4H_TYPE1: ["over_4h_type1", "over_4h_booked_type1"],
    S.ADMISSIONS: ["emergency_admissions_type1", "emergency_admissions_type2",
                   "emergency_admissions_other"],
    ADMISSIONS_TYPE1: ["emergency_admissions_type1"],
    DTA_WAITS_4_12H: ["dta_4_12h"],
    DTA_WAITS_12H: ["dta_12h_plus"],
    OTHER_EMERGENCY_ADMISSIONS: ["other_emergency_admissions"],
}


def provider_activity(provider: pd.DataFrame, *, site: str = "name", orgs=None) -> pd.DataFrame:
    """The provider table as the activity contract (``site, metric, date, value``), monthly.

    Parameters
    ----------
    provider : DataFrame
        From :func:`read_ae_monthly` or :func:`read_ae_tidy`.
    site : {"name", "code"}
        Use the organisation name (its latest spelling) or its ODS code as ``site``.
    orgs : list of str, optional
        Only these ODS codes.

    Returns
    -------
    DataFrame
        Metrics ``attendances`` (all types, booked included), ``attendances_type1/2/3``,
        ``breaches_4h`` (all types), ``breaches_4h_type1``, ``admissions`` (emergency admissions via
        A&E, all types), ``admissions_type1``, ``attendances_booked``, ``dta_waits_4_12h``,
        ``dta_waits_12h`` and ``other_emergency_admissions``, where the return holds their parts.
        A metric is the sum of the parts reported that month (a part left blank is not counted).
    """
    return _activity(provider, site=site, orgs=orgs).drop(columns="_row", errors="ignore")


def _activity(provider: pd.DataFrame, *, site: str, orgs) -> pd.DataFrame:
    if site not in ("name", "code"):
        raise ValueError(f"site must be 'name' or 'code', not {site!r}.")
    frame = provider
    if orgs is not None:
        frame = frame[frame["org_code"].isin([str(o).upper() for o in orgs])]
    label = frame["org_name"].where(frame["org_name"].astype(str).str.strip() != "", frame["org_code"])
    frame = frame.assign(site=label if site == "name" else frame["org_code"])
    has_row = "_row" in frame
    parts = []
    for metric, fields in _ACTIVITY_SUMS.items():
        part = frame[frame["metric"].isin(fields)]
        if part.empty:
            continue
        agg = {"value": ("value", "sum")}
        if has_row:
            agg["_row"] = ("_row", "min")
        summed = part.groupby(["site", "period"], as_index=False).agg(**agg)
        parts.append(summed.assign(metric=metric))
    if not parts:
        out = pd.DataFrame({c: pd.Series(dtype=t) for c, t in
                            (("site", str), ("metric", str), ("date", "datetime64[ns]"), ("value", float))})
        return out.assign(_row=pd.Series(dtype=int)) if has_row else out
    out = pd.concat(parts, ignore_index=True).rename(columns={"period": "date"})
    cols = ["site", "metric", "date", "value"] + (["_row"] if has_row else [])
    order = {m: i for i, m in enumerate(S.metric_order(out["metric"]))}
    out = out.assign(_o=out["metric"].map(order)).sort_values(["site", "_o", "date"], kind="stable")
    return out[cols].reset_index(drop=True)


def read_ae_activity(sources, *, site: str = "name", orgs=None, names=None, today=None) -> LoadResult:
    """Read monthly A&E returns (raw CSVs, a folder, or the tidy extract) straight to the contract.

    Parameters
    ----------
    sources : path, bytes, uploaded file, folder, or a list of these
        Raw monthly returns; a single tidy extract (``period, org_code, type, ...``) is also
        recognised.
    site, orgs : see :func:`provider_activity`.
    names : list of str, optional
        Display names of the files.
    today : date-like, optional
        Months after this are errors (default: today).

    Returns
    -------
    LoadResult
        The activity contract, validated by :func:`forecasting.schema.validate_activity`
        (missing months are warnings), and the combined report.
    """
    files = _sources(sources)
    if len(files) == 1 and _is_tidy(files[0]):
        loaded = read_ae_tidy(files[0], name=(names or [None])[0], _private=True)
        provider, report = loaded.frame, loaded.report
    else:
        provider, report = _read_monthly(files, names)
        provider = _finish_provider(provider, keep_private=True)
    act = _activity(provider, site=site, orgs=orgs)
    if act.empty:
        return LoadResult(act.drop(columns="_row"), report)
    # each provider-month comes from one row of one file: validation names that row
    frame = validate_activity(act, report, today=today, date_column="Period")
    return LoadResult(frame.drop(columns="_row").reset_index(drop=True), report)


def _is_tidy(source) -> bool:
    """True for the tidy extract: its header holds 'type' and 'breaches' columns."""
    try:
        if isinstance(source, (str, Path)):
            with open(source, "rb") as fh:
                head = fh.read(2048)
        elif isinstance(source, (bytes, bytearray)):
            head = bytes(source[:2048])
        else:
            head = bytes(source.getvalue()[:2048]) if hasattr(source, "getvalue") else b""
    except OSError:
        return False
    first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    keys = {normalise_name(c) for c in first.split(",")}
    return {"type", "breaches", "orgcode"} <= keys


# --------------------------------------------------------------------------- daily bed sitreps
#: Columns of the capacity history returned by :func:`read_bed_sitreps`.
SITREP_COLUMNS = ("org_code", "org_name", "date", "winter", BEDS_OPEN, S.OCCUPIED_BEDS,
                  "occupancy", CORE_BEDS, ESCALATION_BEDS, AE_CLOSURES, AE_DIVERTS,
                  LONG_STAY_7D, LONG_STAY_21D, HANDOVER_DELAYS_30, HANDOVER_DELAYS_60)

_SITREP_FIELDS = {
    BEDS_OPEN: ["gabedsopen", "gabedsavailable", "gabedsopentotal", "bedsopen"],
    S.OCCUPIED_BEDS: ["gabedsoccd", "gabedsoccupied", "gaoccupiedbeds", "occupiedbeds", "bedsoccupied"],
    CORE_BEDS: ["gacorebedsopen", "corebedsopen", "gacorebeds", "corebeds"],
    ESCALATION_BEDS: ["gaescalationbedsopen", "escalationbedsopen", "gaescalationbeds",
                      "escalationbeds"],
    AE_CLOSURES: ["closures", "aeclosures"],
    AE_DIVERTS: ["diverts", "aediverts"],
    LONG_STAY_7D: ["nobedsoccupiedbylongstaypatients7days", "longstay7days", "longstaypatients7days"],
    LONG_STAY_21D: ["nobedsoccupiedbylongstaypatients21days", "longstay21days",
                    "longstaypatients21days"],
    HANDOVER_DELAYS_30: ["delays30", "handoverdelays30", "ambulancedelays30"],
    HANDOVER_DELAYS_60: ["delays60", "handoverdelays60", "ambulancedelays60"],
}
_SITREP_LOOKUP = {syn: field for field, syns in _SITREP_FIELDS.items() for syn in syns}
_SITREP_IDS = {"code": "org_code", "orgcode": "org_code", "name": "org_name", "orgname": "org_name",
               "date": "date", "winter": "winter"}
_SITREP_COUNTS = [f for f in SITREP_COLUMNS if f not in ("org_code", "org_name", "date", "winter",
                                                         "occupancy")]


def _empty_sitrep() -> pd.DataFrame:
    out = pd.DataFrame({"org_code": pd.Series(dtype=str), "org_name": pd.Series(dtype=str),
                        "date": pd.Series(dtype="datetime64[ns]"), "winter": pd.Series(dtype=str)})
    for c in SITREP_COLUMNS[4:]:
        out[c] = pd.Series(dtype=float)
    return out


def read_bed_sitreps(source, *, include_england: bool = False, orgs=None,
                     name: str | None = None) -> LoadResult:
    """Read a daily bed sitrep (NHS England winter situation reports) as a capacity history.

    Parameters
    ----------
    source : path, bytes or uploaded file
        Columns ``Code``, ``Name``, ``Date`` and any of ``G&A Beds Open``, ``G&A beds occ'd``,
        core and escalation beds open, ``Closures``, ``Diverts``, long-stay beds and ambulance
        handover delays (the shared ``winter_sitreps_daily_beds_2015_2023.csv`` has all but the
        core/escalation split; there ``Closures`` and ``Diverts`` are the escalation record).
    include_england : bool
        Keep the England rows (code ``-``) as org ``ENGLAND``; by default they are left out and
        listed as information.
    orgs : list of str, optional
        Only these ODS codes: other trusts' rows are neither kept nor checked (a filter, not a
        problem). The England rows are kept too when ``include_england`` is set.
    name : str, optional
        File name to show in messages.

    Returns
    -------
    LoadResult
        ``frame``: one row per organisation and date with the :data:`SITREP_COLUMNS` (blank
        figures are NaN; ``occupancy`` = occupied / open); ``report``: every problem.
        Rows with no figures at all (the trust did not report that day) are left out and
        listed; a trust listed twice on a date under two names (a merger or rename) is kept
        once when the figures agree, and left out and listed when they do not.
    """
    table, report = read_rows(source, name=name)
    if table is None:
        return LoadResult(_empty_sitrep(), report)
    ids, fields, unused = {}, {}, []
    for col in (c for c in table.columns if c != "_row"):
        key = normalise_name(col)
        if key in _SITREP_IDS and _SITREP_IDS[key] not in ids:
            ids[_SITREP_IDS[key]] = col
        elif key in _SITREP_LOOKUP and _SITREP_LOOKUP[key] not in fields.values():
            fields[col] = _SITREP_LOOKUP[key]
        else:
            unused.append(col)
    missing = [k for k in ("org_code", "date") if k not in ids]
    if missing or not fields:
        report.add(S.ERROR, "not_sitrep",
                   "This does not look like a daily bed sitrep (it needs Code, Date and bed columns"
                   " such as 'G&A Beds Open' and 'G&A beds occ'd').",
                   "Upload the sitrep table with one row per trust and day.",
                   column=", ".join(missing))
        return LoadResult(_empty_sitrep(), report)
    if unused:
        report.add(S.INFO, "unused_columns", "Columns not used: " + ", ".join(repr(c) for c in unused)
                   + " (occupancy is recomputed as occupied / open).", "Nothing to do.")
    if orgs is not None:  # a filter, not a problem: other trusts' rows are not checked or listed
        wanted = {str(o).strip().upper() for o in orgs} | ({"-", "ENGLAND"} if include_england else set())
        codes = table[ids["org_code"]].astype(str).str.strip().str.upper()
        table = table[codes.isin(wanted).to_numpy()].reset_index(drop=True)
    rows = table["_row"].to_numpy()
    code = table[ids["org_code"]].astype(str).str.strip().str.upper()
    org_name = table[ids["org_name"]].astype(str).str.strip() if "org_name" in ids else code
    england = code.isin(["-", "ENGLAND", "TOTAL"]) | org_name.str.upper().str.startswith("ENGLAND")
    england = england.to_numpy()
    if england.any():
        if include_england:
            code = code.where(~england, "ENGLAND")
        else:
            report.add(S.INFO, "england_rows",
                       "England (national total) rows were left out; they are not a trust.",
                       "Nothing to do; use include_england=True to keep them as 'ENGLAND'.",
                       column=ids["org_code"], rows=rows[england])
    dates = _sitrep_dates(table[ids["date"]], rows, ids["date"], report)
    bad_date = dates.isna().to_numpy()
    if bad_date.any():
        examples = ", ".join(repr(v) for v in table[ids["date"]][bad_date].unique()[:3])
        report.add(S.ERROR, "bad_date", f"Date could not be read (e.g. {examples}).",
                   "Use yyyy-mm-dd or dd/mm/yyyy.", column=ids["date"], rows=rows[bad_date])
    blank_code = (code == "").to_numpy()
    if blank_code.any():
        report.add(S.ERROR, "blank_org_code", "Code is blank.", "Fill in the trust's ODS code.",
                   column=ids["org_code"], rows=rows[blank_code])
    values = {}
    for col, field in fields.items():
        text = table[col].astype(str).str.strip()
        value = _numbers(text)
        bad = (value.isna() & (text != "")).to_numpy()
        negative = (value < 0).to_numpy()
        if bad.any():
            examples = ", ".join(repr(v) for v in text[bad].unique()[:3])
            report.add(S.ERROR, "not_numeric", f"Figure is not a number (e.g. {examples}); left blank.",
                       "Correct it or leave the cell empty if not reported.", column=col, rows=rows[bad])
        if negative.any():
            report.add(S.ERROR, "negative", "Figure is negative; left blank.", "Correct it.",
                       column=col, rows=rows[negative])
        values[field] = value.where(~(bad | negative))
    out = pd.DataFrame({"org_code": code, "org_name": org_name, "date": dates,
                        "winter": table[ids["winter"]].astype(str).str.strip() if "winter" in ids else "",
                        "_row": rows})
    for field in _SITREP_COUNTS:
        out[field] = values.get(field, pd.Series(np.nan, index=table.index))
    keep = ~(bad_date | blank_code | (england & (not include_england)))
    nothing = out[_SITREP_COUNTS].isna().all(axis=1).to_numpy() & keep
    if nothing.any():
        report.add(S.INFO, "not_reported",
                   "Rows with no figures at all (the trust did not report that day) were left out.",
                   "Nothing to do; those days are gaps in the history.", rows=rows[nothing])
    keep &= ~nothing
    occ, open_ = out[S.OCCUPIED_BEDS], out[BEDS_OPEN]
    over = (occ > open_).to_numpy() & keep
    if over.any():
        report.add(S.WARNING, "occupied_over_open",
                   "More G&A beds occupied than open.",
                   "Check the figures; kept as given (patients in unfunded escalation spaces can do this).",
                   rows=rows[over])
    out = out[keep]
    out = _sitrep_duplicates(out, report)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["occupancy"] = (out[S.OCCUPIED_BEDS] / out[BEDS_OPEN].where(out[BEDS_OPEN] > 0))
    report.rows_kept = len(out)
    latest = out.sort_values("date").groupby("org_code")["org_name"].last()
    out["org_name"] = out["org_code"].map(latest)
    out = out.sort_values(["org_code", "date"], kind="stable").reset_index(drop=True)
    return LoadResult(out[list(SITREP_COLUMNS)], report)


def _sitrep_dates(values: pd.Series, rows: np.ndarray, column: str,
                  report: ValidationReport) -> pd.Series:
    """ISO dates (with or without a time, as the shared file mixes them), else UK day-first.

    Some published days carry the time 23:00: British Summer Time midnight stored as UTC. Those
    are the next day's report, so they are moved to that day (and listed as information).
    """
    text = values.astype(str).str.strip()
    out = pd.to_datetime(text, format="ISO8601", errors="coerce")
    for fmt in ("%d/%m/%Y", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d-%m-%Y", "%d/%m/%y"):
        todo = out.isna()
        if not todo.any():
            break
        out = out.where(~todo, pd.to_datetime(text.where(todo), format=fmt, errors="coerce"))
    out = out.astype("datetime64[ns]")
    late = (out.dt.hour == 23).to_numpy()
    if late.any():
        report.add(S.INFO, "bst_midnight",
                   "Dates timed 23:00 (British Summer Time midnight stored as UTC) were read as the "
                   "next day.", "Nothing to do.", column=column, rows=rows[late])
        out = out.where(~late, out + pd.Timedelta(hours=1))
    return out.dt.normalize()


def _sitrep_duplicates(out: pd.DataFrame, report: ValidationReport) -> pd.DataFrame:
    """One row per trust and date: rows that agree (or fill each other's blanks) are merged."""
    key = ["org_code", "date"]
    dup = out.duplicated(key, keep=False).to_numpy()
    if not dup.any():
        return out
    part = out[dup]
    groups = part.groupby(key, sort=False)
    distinct = groups[_SITREP_COUNTS].nunique()  # distinct non-blank figures per field
    bad_keys = distinct.index[(distinct > 1).any(axis=1)]
    conflict = part.set_index(key).index.isin(bad_keys)
    rows = part["_row"].to_numpy()
    if conflict.any():
        report.add(S.ERROR, "duplicate_conflict",
                   "A trust appears more than once on the same date with different figures; "
                   "those days were left out.",
                   "Keep one row per trust and date (check whether the trust merged or was renamed).",
                   column="Code", rows=rows[conflict])
    fine = part[~conflict]
    if len(fine):
        report.add(S.WARNING, "duplicate_merged",
                   "A trust appears more than once on the same date (e.g. under two names after a "
                   "merger) with figures that agree or fill each other's blanks; they were combined.",
                   "Nothing to do.", column="Code", rows=rows[~conflict])
        agg = {c: "first" for c in fine.columns if c not in key}  # first non-blank per column
        agg["_row"] = "min"
        merged = fine.groupby(key, sort=False, as_index=False).agg(agg)
    else:
        merged = fine
    return pd.concat([out[~dup], merged], ignore_index=True)


_SITREP_METRICS = (BEDS_OPEN, S.OCCUPIED_BEDS, CORE_BEDS, ESCALATION_BEDS, AE_CLOSURES, AE_DIVERTS,
                   LONG_STAY_7D, LONG_STAY_21D, HANDOVER_DELAYS_30, HANDOVER_DELAYS_60)


def sitrep_activity(history: pd.DataFrame, *, site: str = "name", metrics=None) -> pd.DataFrame:
    """The sitrep capacity history in the activity contract (daily ``site, metric, date, value``).

    Parameters
    ----------
    history : DataFrame
        From :func:`read_bed_sitreps`.
    site : {"name", "code"}
        Organisation name (latest spelling) or ODS code as ``site``.
    metrics : list of str, optional
        Which figures (default: every one with any value): ``occupied_beds``, ``beds_open``,
        ``core_beds``, ``escalation_beds``, ``ae_closures``, ``ae_diverts``, ``long_stay_7d``,
        ``long_stay_21d``, ``handover_delays_30``, ``handover_delays_60``.
        Blank figures give no row (a gap, not a zero).
    """
    if site not in ("name", "code"):
        raise ValueError(f"site must be 'name' or 'code', not {site!r}.")
    wanted = list(_SITREP_METRICS if metrics is None else metrics)
    unknown = [m for m in wanted if m not in _SITREP_METRICS]
    if unknown:
        raise ValueError(f"Unknown sitrep metric(s) {unknown}; choose from {list(_SITREP_METRICS)}.")
    label = history["org_name"] if site == "name" else history["org_code"]
    long = history.assign(site=label).melt(id_vars=["site", "date"], value_vars=wanted,
                                           var_name="metric", value_name="value")
    long = long.dropna(subset=["value"])
    order = {m: i for i, m in enumerate(S.metric_order(long["metric"]))}
    long = long.assign(_o=long["metric"].map(order)).sort_values(["site", "_o", "date"], kind="stable")
    return long[["site", "metric", "date", "value"]].reset_index(drop=True)
