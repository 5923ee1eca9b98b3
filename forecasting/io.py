"""Read activity tables (CSV, XLSX, Parquet; long or wide) into the validated contract frame."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import schema as S
from .schema import DataValidationError, ValidationReport, validate_activity

__all__ = [
    "ROLES",
    "LoadResult",
    "SAMPLE_DIR",
    "read_table",
    "read_rows",
    "parse_dates",
    "detect_columns",
    "read_activity",
    "load_activity",
    "load_sample",
    "normalise_name",
]

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"

#: The roles a column can play in an activity upload.
ROLES = ("date", "site", "metric", "value")

_ROLE_SYNONYMS = {
    "date": ["date", "period", "day", "datetime", "timestamp", "periodstart", "weekstart",
             "weekcommencing", "weekbeginning", "month", "monthstart", "activitydate",
             "arrivaldate", "arrivaldatetime", "censusdate", "hour", "datehour"],
    "site": ["site", "sitename", "hospital", "hospitalname", "location", "provider",
             "providername", "orgname", "organisation", "unit", "department", "trust"],
    "metric": ["metric", "measure", "indicator", "series", "variable", "activitytype"],
    "value": ["value", "count", "n", "number", "total", "amount", "activity", "figure"],
}

_METRIC_SYNONYMS = {
    S.ATTENDANCES: ["attendances", "attends", "attendance", "edattendances", "aeattendances",
                    "totalattendances", "allattendances", "arrivals", "edarrivals"],
    S.ATTENDANCES_TYPE1: ["attendancestype1", "type1attendances", "type1", "aeattendancestype1"],
    S.ATTENDANCES_TYPE2: ["attendancestype2", "type2attendances", "type2", "aeattendancestype2"],
    S.ATTENDANCES_TYPE3: ["attendancestype3", "type3attendances", "type3",
                          "attendancesotheraedepartment", "otherattendances"],
    S.ADMISSIONS: ["admissions", "emergencyadmissions", "admitted", "admits", "edadmissions",
                   "emergencyadmissionsviaae"],
    S.AMBULANCE_ARRIVALS: ["ambulancearrivals", "ambulances", "conveyances",
                           "ambulanceconveyances", "arrivalsbyambulance"],
    S.BREACHES_4H: ["breaches4h", "breaches", "4hourbreaches", "fourhourbreaches", "over4hours",
                    "attendancesover4hrs", "attendancesover4hours", "breaches4hr"],
    S.OCCUPIED_BEDS: ["occupiedbeds", "bedsoccupied", "gabedsoccupied", "gaoccupiedbeds",
                      "occupied", "bedsoccd", "gabedsoccd", "midnightcensus"],
}

# Longest and most specific formats first; UK day-first only, never US month-first.
_DATE_FORMATS = (
    "%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d-%m-%Y", "%d-%m-%Y %H:%M",
    "%d.%m.%Y", "%d/%m/%y", "%d/%m/%y %H:%M", "%Y/%m/%d", "%Y/%m/%d %H:%M", "%d %b %Y",
    "%d-%b-%Y", "%d %B %Y", "%d-%b-%y", "%b-%y", "%b %Y", "%B %Y", "%Y-%m",
)

_MAX_TITLE_ROWS = 20


@dataclass(frozen=True)
class LoadResult:
    """The usable rows in the contract plus the report of everything found on the way in."""

    frame: pd.DataFrame
    report: ValidationReport


def normalise_name(name: Any) -> str:
    """Lower-case a column name and keep only letters and digits ('A&E Attendances ' -> 'aeattendances')."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


_ROLE_LOOKUP = {syn: role for role, syns in _ROLE_SYNONYMS.items() for syn in syns}
_METRIC_LOOKUP = {syn: metric for metric, syns in _METRIC_SYNONYMS.items() for syn in syns}


def _metric_from_column(name: str) -> str:
    """A wide column's metric: a known synonym, else its snake_case name."""
    key = normalise_name(name)
    if key in _METRIC_LOOKUP:
        return _METRIC_LOOKUP[key]
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_") or "value"


# --------------------------------------------------------------------------- reading bytes
def _source_bytes(source, name: str | None = None) -> tuple[bytes, str]:
    """Bytes and a display name from a path, bytes, or an uploaded-file-like object."""
    data, found = _raw_bytes(source)
    return data, name or found


def _raw_bytes(source) -> tuple[bytes, str]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        return path.read_bytes(), path.name
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), "uploaded data"
    name = getattr(source, "name", "uploaded data")
    if hasattr(source, "getvalue"):
        return bytes(source.getvalue()), str(name)
    return bytes(source.read()), str(name)


def _kind(data: bytes, name: str) -> str:
    """'xlsx', 'parquet' or 'csv', from the file's first bytes, then its extension."""
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:4] == b"PAR1":
        return "parquet"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    return "csv"


def _decode(data: bytes, report: ValidationReport) -> str | None:
    """Text from CSV bytes, saying so when the file was not UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # a UTF-16 byte-order mark; if the rest is not UTF-16 after all, the checks below say so
        text = data.decode("utf-16", errors="replace")
        if "\ufffd" not in text:
            return text
    if b"\x00" in data[:4096]:
        report.add(S.ERROR, "not_text", "The file is not a text CSV (it contains binary data).",
                   "Save it from Excel as 'CSV UTF-8 (Comma delimited)' or upload the .xlsx itself.")
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = data[: exc.start].count(b"\n") + 1
        for encoding, label in (("cp1252", "Windows-1252 (Excel's default 'CSV' on Windows)"),
                                ("latin-1", "Latin-1")):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            report.add(S.WARNING, "encoding",
                       f"The file is not UTF-8; it was read as {label}.",
                       "Check that names with £, accents or curly quotes look right; save as "
                       "'CSV UTF-8' to avoid this.", rows=[bad_line])
            return text
    return None  # pragma: no cover - latin-1 decodes any bytes


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter used most consistently over the first lines (comma by default)."""
    best, best_score = ",", 0
    for delim in (",", ";", "\t", "|"):
        counts = [ln.count(delim) for ln in lines if ln.strip()]
        if not counts:
            continue
        score = max(counts) if len(set(counts[-5:])) == 1 else 0
        if score > best_score:
            best, best_score = delim, score
    return best


def _looks_like_header(cells: list[Any]) -> bool:
    """True when a row holds at least one known role name or two known names overall."""
    keys = [normalise_name(c) for c in cells if c is not None and str(c).strip()]
    roles = sum(k in _ROLE_LOOKUP for k in keys)
    metrics = sum(k in _METRIC_LOOKUP for k in keys)
    return (roles >= 1 and roles + metrics >= 2) or ("date" in keys and len(keys) >= 2)


def _header_index(rows: list[list[Any]]) -> int:
    """Index of the header row among the first rows, skipping report titles above it."""
    for i, row in enumerate(rows[:_MAX_TITLE_ROWS]):
        if _looks_like_header(row):
            return i
    return 0


def _read_csv_text(text: str, report: ValidationReport) -> tuple[pd.DataFrame, int] | None:
    """Parse CSV text as strings; returns the frame and the 0-based header line."""
    head_lines = text.splitlines()[: _MAX_TITLE_ROWS + 5]
    delim = _sniff_delimiter(head_lines)
    try:
        head_rows = list(csv.reader(head_lines, delimiter=delim))
    except csv.Error:
        head_rows = [ln.split(delim) for ln in head_lines]
    header = _header_index(head_rows)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delim, skiprows=header, dtype=str,
                            keep_default_na=False, skip_blank_lines=False, engine="c")
    except pd.errors.EmptyDataError:
        return pd.DataFrame(), header
    except (pd.errors.ParserError, ValueError, csv.Error):
        frame = _read_csv_ragged(text, delim, header, report)
    return frame, header


def _read_csv_ragged(text: str, delim: str, header: int, report: ValidationReport) -> pd.DataFrame:
    """Slow path for files whose rows have different numbers of fields: keep and list them."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))[header:]
    except csv.Error as exc:
        report.add(S.ERROR, "not_csv", f"The file could not be read as a CSV table ({exc}).",
                   "Open it in Excel and save it again as 'CSV UTF-8 (Comma delimited)'.")
        return pd.DataFrame()
    if not rows:
        return pd.DataFrame()
    names, width = rows[0], len(rows[0])
    bad = [i + header + 1 for i, r in enumerate(rows[1:], start=1) if len(r) > width]
    if bad:
        report.add(S.ERROR, "ragged_rows",
                   f"Rows have more cells than the header's {width} columns.",
                   "Check for unquoted commas inside names, or stray cells to the right of the "
                   "table; quote such values or delete the extra cells.", rows=bad)
    body = [(r + [""] * width)[:width] if len(r) <= width else [""] * width for r in rows[1:]]
    return pd.DataFrame(body, columns=names, dtype=str)


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as text: dates in ISO form, whole numbers without '.0'."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (pd.Timestamp,)) or hasattr(value, "isoformat"):
        ts = pd.Timestamp(value)
        return ts.strftime("%Y-%m-%d %H:%M:%S") if ts != ts.normalize() else ts.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_excel(data: bytes, sheet, report: ValidationReport) -> tuple[pd.DataFrame, int] | None:
    try:
        raw = pd.read_excel(io.BytesIO(data), sheet_name=sheet if sheet is not None else 0,
                            header=None, dtype=object, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for damaged workbooks
        report.add(S.ERROR, "unreadable", f"The workbook could not be opened ({type(exc).__name__}: {exc}).",
                   "Open it in Excel, check it is not password-protected or damaged, and save it "
                   "again as .xlsx (or as CSV UTF-8).")
        return None
    raw = raw.dropna(how="all", axis=1)
    rows = raw.head(_MAX_TITLE_ROWS).values.tolist()
    header = _header_index(rows)
    if raw.empty:
        return pd.DataFrame(), 0
    names = [_cell_text(c) or f"column {i + 1}" for i, c in enumerate(raw.iloc[header])]
    body = raw.iloc[header + 1:].map(_cell_text)
    body.columns = names
    return body.reset_index(drop=True).astype(str), header


def read_table(source, *, sheet=None, name: str | None = None) -> tuple[pd.DataFrame, ValidationReport, int]:
    """Read a CSV, XLSX or Parquet file as a table of text cells, finding its header row.

    Parameters
    ----------
    source : path, bytes or uploaded file
        The file to read. Its format is taken from its first bytes, not trusted from its name.
    sheet : str or int, optional
        Worksheet of a workbook (default: the first).
    name : str, optional
        File name to show in messages (default: the path's name).

    Returns
    -------
    (DataFrame, ValidationReport, int)
        The cells as text (typed columns are kept for Parquet), the report so far, and the
        1-based spreadsheet row of the first data row (so problems can name real rows).
    """
    try:
        data, name = _source_bytes(source, name)
    except OSError as exc:
        report = ValidationReport(source=str(source))
        report.add(S.ERROR, "unreadable", f"The file could not be read ({exc.strerror or exc}).",
                   "Check the path and that the file is not open elsewhere.")
        return pd.DataFrame(), report, 2
    report = ValidationReport(source=name)
    if not data.strip():
        report.add(S.ERROR, "empty_file", "The file is empty.",
                   "Upload a file with a header row and at least one row of data.")
        return pd.DataFrame(), report, 2
    kind = _kind(data, name)
    header = 0
    if kind == "xls":
        report.add(S.ERROR, "old_excel", "Old-style .xls workbooks are not supported.",
                   "Open it in Excel and save it as .xlsx or as CSV UTF-8.")
        return pd.DataFrame(), report, 2
    if kind == "parquet":
        try:
            frame = pd.read_parquet(io.BytesIO(data))
        except Exception as exc:  # pyarrow raises several types for damaged files
            report.add(S.ERROR, "unreadable", f"The Parquet file could not be read ({exc}).",
                       "Export it again, or upload CSV instead.")
            return pd.DataFrame(), report, 2
    elif kind == "xlsx":
        got = _read_excel(data, sheet, report)
        if got is None:
            return pd.DataFrame(), report, 2
        frame, header = got
    else:
        text = _decode(data, report)
        if text is None:
            return pd.DataFrame(), report, 2
        frame, header = _read_csv_text(text, report)
    if header:
        report.add(S.WARNING, "title_rows",
                   f"Skipped {header} title row(s) above the header row (the header is row {header + 1}).",
                   "Nothing to do if those rows are a report title; otherwise remove them.",
                   rows=range(1, header + 1))
    frame.columns = [str(c).strip() for c in frame.columns]
    first_data_row = header + 2
    # wholly blank lines carry no data; they are left out without listing each one
    if len(frame.columns) and frame.dtypes.map(lambda d: d == object or pd.api.types.is_string_dtype(d)).all():
        blank = (frame.apply(lambda c: c.str.strip()) == "").all(axis=1)
        frame = frame.assign(_row=np.arange(len(frame)) + first_data_row)[~blank.to_numpy()]
    else:
        frame = frame.assign(_row=np.arange(len(frame)) + first_data_row)
    return frame.reset_index(drop=True), report, first_data_row


# --------------------------------------------------------------------------- column roles

def read_rows(source, *, sheet=None, name: str | None = None,
              action: str = "Check the export finished, then upload it again."
              ) -> tuple[pd.DataFrame | None, ValidationReport]:
    """:func:`read_table` plus the first checks every reader makes: the file could be read and has rows.

    Returns the table (None when nothing can be read from it) and the report, with ``rows_read``
    set and an ``empty_file`` error for a header with no rows (``action`` says what to do).
    """
    table, report, _ = read_table(source, sheet=sheet, name=name)
    if not report.ok:
        return None, report
    report.rows_read = len(table)
    if table.empty:
        report.add(S.ERROR, "empty_file", "The file has a header but no rows of data.", action)
        return None, report
    return table, report

def detect_columns(columns) -> dict[str, str | None]:
    """Guess which column plays each role (date, site, metric, value), ignoring case and punctuation."""
    found: dict[str, str | None] = dict.fromkeys(ROLES)
    for col in columns:
        role = _ROLE_LOOKUP.get(normalise_name(col))
        if role and found[role] is None:
            found[role] = col
    return found


# --------------------------------------------------------------------------- typed parsing
def parse_dates(values: pd.Series, rows: np.ndarray, column: str,
                 report: ValidationReport) -> pd.Series:
    """Dates from text in ISO or UK day-first styles (or Excel serial numbers)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        out = pd.to_datetime(values)
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_convert("Europe/London").dt.tz_localize(None)
        return out.astype("datetime64[ns]")
    text = values.astype(str).str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    todo = text != ""
    numeric = pd.to_numeric(text[todo], errors="coerce")
    if todo.any() and numeric.notna().all() and numeric.between(1, 100_000).all():
        out[todo] = pd.Timestamp("1899-12-30") + pd.to_timedelta(numeric.round(6), unit="D")
        report.add(S.WARNING, "excel_serial_dates",
                   "Dates were stored as Excel serial numbers and were converted.",
                   "Check the first and last dates look right; format the column as dates to avoid this.",
                   column=column)
        return out.dt.round("s")
    remaining = todo.copy()
    for fmt in _DATE_FORMATS:
        if not remaining.any():
            break
        sample = text[remaining].head(200)
        if pd.to_datetime(sample, format=fmt, errors="coerce").notna().sum() == 0:
            continue
        parsed = pd.to_datetime(text[remaining], format=fmt, errors="coerce")
        hit = parsed.notna()
        out[parsed.index[hit]] = parsed[hit].astype("datetime64[ns]")
        remaining[parsed.index[hit]] = False
    blank = ~todo
    if blank.any():
        report.add(S.ERROR, "blank_date", "Date is blank.",
                   "Fill in the date or delete the row.", column=column, rows=rows[blank.to_numpy()])
    if remaining.any():
        bad = text[remaining]
        kinds = (
            ("total_row", bad.str.contains("total", case=False),
             "A totals row is not data (e.g. {examples}).",
             "Delete totals rows; the workbench adds up sites and periods itself."),
            ("us_dates", bad.str.fullmatch(r"\d{1,2}/(1[3-9]|2\d|3[01])/\d{2,4}.*"),
             "Dates look like US month/day order (e.g. {examples}); UK dates are day/month.",
             "Re-export with UK (dd/mm/yyyy) or ISO (yyyy-mm-dd) dates."),
        )
        left = pd.Series(True, index=bad.index)
        for code, hit, message, action in kinds:
            hit = hit & left
            if hit.any():
                examples = ", ".join(repr(v) for v in bad[hit].unique()[:3])
                report.add(S.ERROR, code, message.format(examples=examples), action,
                           column=column, rows=rows[remaining.to_numpy()][hit.to_numpy()])
                left &= ~hit
        if left.any():
            examples = ", ".join(repr(v) for v in bad[left].unique()[:3])
            report.add(S.ERROR, "bad_date", f"Date could not be read (e.g. {examples}).",
                       "Use dd/mm/yyyy, yyyy-mm-dd or yyyy-mm-dd hh:mm.",
                       column=column, rows=rows[remaining.to_numpy()][left.to_numpy()])
    return out


#: A number with proper thousands groups: '1,234', '-12,345.6', '1,234,567'.
_THOUSANDS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"  # '1,234.' (a spreadsheet's trailing point) too


def _parse_values(values: pd.Series, rows: np.ndarray, column: str,
                  report: ValidationReport) -> pd.Series:
    """Numbers from text, accepting thousands separators ('1,234', '12,345.6').

    A comma anywhere else ('450,5', '1,23') is not guessed at: a decimal comma read as a
    thousands separator would turn 450.5 into 4,505, so such values are reported instead.
    """
    comma = pd.Series(False, index=values.index)  # numbers whose comma is not a thousands one
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        out = values.astype("float64")
        blank = out.isna()
        text = None
    else:
        text = values.astype(str).str.strip()
        cleaned = text.str.replace(",", "", regex=False).str.replace(" ", "", regex=False)
        out = pd.to_numeric(cleaned, errors="coerce").astype("float64")
        blank = text == ""
        odd = (text.str.contains(",", regex=False)
               & ~text.str.replace(" ", "", regex=False).str.fullmatch(_THOUSANDS))
        comma = odd & out.notna()  # '450,5': would read as 4505 if the comma were dropped
        out[odd] = np.nan
    if comma.any():
        examples = ", ".join(repr(v) for v in text[comma].unique()[:3])
        report.add(S.ERROR, "not_numeric",
                   f"Value is not a number (e.g. {examples}): a comma is only read as a thousands "
                   "separator between groups of three digits (1,234 or 12,345.6), so a decimal "
                   "comma is not guessed at.",
                   "Use a full stop for decimals (450.5, not 450,5) and commas only between "
                   "thousands, e.g. re-export with UK number settings, then load the file again.",
                   column=column, rows=rows[comma.to_numpy()])
    bad = out.isna() & ~blank & ~comma
    inf = np.isinf(out)
    if blank.any():
        report.add(S.ERROR, "blank_value", "Value is blank.",
                   "Enter 0 if there was no activity that period, or delete the row if it was not reported.",
                   column=column, rows=rows[blank.to_numpy()])
    if bad.any():
        examples = ", ".join(repr(v) for v in text[bad].unique()[:3]) if text is not None else ""
        report.add(S.ERROR, "not_numeric", f"Value is not a number (e.g. {examples}).",
                   "Replace it with a count (e.g. 0) or delete the row; remove notes and '*' suppression marks.",
                   column=column, rows=rows[bad.to_numpy()])
    if inf.any():
        report.add(S.ERROR, "not_numeric", "Value is infinite.", "Replace it with a count.",
                   column=column, rows=rows[inf.to_numpy()])
        out[inf] = np.nan
    return out


def _to_long(table: pd.DataFrame, cols: dict[str, str | None], default_site: str | None,
             metric_names: dict[str, str] | None, report: ValidationReport) -> pd.DataFrame | None:
    """Long (site, metric, date, value) text frame from a long or wide table, or None on error."""
    rows = table["_row"].to_numpy()
    data_cols = [c for c in table.columns if c != "_row"]
    if cols["date"] is None:
        report.add(S.ERROR, "missing_column",
                   f"No date column found (columns are: {', '.join(map(str, data_cols)) or 'none'}).",
                   "Name the column 'date' (or pick it in the column mapping on the Data page).",
                   column="date")
        return None
    site_col = cols["site"]
    if site_col is None and not default_site:
        report.add(S.ERROR, "missing_column", "No site column found.",
                   "Add a 'site' column, or give a site name for the whole file in the column mapping.",
                   column="site")
        return None
    site = table[site_col].astype(str).str.strip() if site_col else pd.Series(default_site, index=table.index)
    if cols["metric"] is not None and cols["value"] is not None:
        long = pd.DataFrame({"site": site, "metric": table[cols["metric"]].astype(str).str.strip(),
                             "date": table[cols["date"]], "value": table[cols["value"]], "_row": rows})
        if metric_names:
            long["metric"] = long["metric"].replace(metric_names)
        return long
    if cols["metric"] is not None or cols["value"] is not None:
        have = "metric" if cols["metric"] is not None else "value"
        need = "value" if have == "metric" else "metric"
        report.add(S.ERROR, "missing_column",
                   f"A long table needs both 'metric' and 'value' columns; only '{have}' was found.",
                   f"Add a '{need}' column, or use one column per metric (date, site, attendances, ...).",
                   column=need)
        return None
    used = {cols["date"], site_col}
    metric_cols = [c for c in data_cols if c not in used]
    if not metric_cols:
        report.add(S.ERROR, "missing_column", "No metric columns found besides date and site.",
                   "Add one column per metric (e.g. attendances, admissions) or metric and value columns.",
                   column="metric")
        return None
    names = {c: (metric_names or {}).get(c) or _metric_from_column(c) for c in metric_cols}
    parts = []
    for c in metric_cols:
        parts.append(pd.DataFrame({"site": site, "metric": names[c], "date": table[cols["date"]],
                                   "value": table[c], "_row": rows, "_column": c}))
    unknown = [c for c in metric_cols if normalise_name(c) not in _METRIC_LOOKUP and c not in (metric_names or {})]
    if unknown:
        report.add(S.INFO, "unknown_metric",
                   "Columns read as metrics with their own names: "
                   + ", ".join(f"{c!r} -> {names[c]!r}" for c in unknown) + ".",
                   "Nothing to do if right; rename a column (e.g. 'attendances') to match a standard metric.")
    return pd.concat(parts, ignore_index=True)


#: Site names that mean "all sites added up" (compared ignoring case, spaces and punctuation).
_TOTAL_SITES = frozenset({"total", "totals", "allsites", "trusttotal", "grandtotal"})


def _check_sites(long: pd.DataFrame, table: pd.DataFrame, site_col: str | None, present: pd.Series,
                 report: ValidationReport) -> pd.Series:
    """Report total rows given as a site and site names that differ only in capitals or spaces.

    ``present``: rows with a date and a site (others are already reported). Returns the
    rows to leave out: a 'Total' site beside real sites, which the trust total would
    otherwise count twice.
    """
    column = site_col or "site"
    rows = long["_row"].to_numpy()
    is_total = long["site"].map(normalise_name).isin(_TOTAL_SITES) & present
    others = present & ~is_total
    # a total only double-counts a metric the real sites also report: trust-level beds beside
    # site-level attendances are data, not a total row
    is_total &= long["metric"].isin(set(long.loc[others, "metric"]))
    if is_total.any():  # a file of one 'Total' site is trust-level data
        found = pd.unique(long.loc[is_total, "site"])
        names = ", ".join(repr(v) for v in found[:3])
        report.add(S.ERROR, "total_site",
                   f"The site {names} {'is a total' if len(found) == 1 else 'are totals'} of the other "
                   "sites, not a site; these rows are left out so the trust total does not count the "
                   "same activity twice.",
                   "Delete the total rows from the file; the workbench adds up the sites itself "
                   f"(shown as {S.TRUST_TOTAL!r}).", column=column, rows=rows[is_total.to_numpy()])
    else:
        is_total = pd.Series(False, index=long.index)
    if site_col is None or not others.any():
        return is_total
    # the spelling in the file, before spaces at either end were trimmed
    source_rows = long.loc[others, "_row"].drop_duplicates()  # a wide file repeats each row per metric
    raw = source_rows.map(pd.Series(table[site_col].astype(str).to_numpy(), index=table["_row"]))
    key = raw.str.strip().str.casefold()
    for _, spellings in raw.groupby(key, sort=True):
        counts = spellings.value_counts(sort=True)
        if len(counts) < 2:
            continue
        listed = ", ".join(f"{v!r} ({n:,} row{'s' if n != 1 else ''})" for v, n in counts.items())
        used = list(dict.fromkeys(v.strip() for v in counts.index))
        if len(used) > 1:
            outcome = (f"they are kept as {len(used)} separate sites "
                       f"({', '.join(repr(v) for v in used)}), not merged")
        else:
            outcome = f"spaces at either end are ignored, so they are read as one site, {used[0]!r}"
        odd = spellings[spellings != counts.index[0]]
        report.add(S.WARNING, "site_spelling",
                   f"Site names differ only in capitals or spaces: {listed}; {outcome}.",
                   f"If they are one site, spell it the same way on every row (e.g. "
                   f"{counts.index[0].strip()!r}) and load the file again; if not, give them "
                   "clearly different names.", column=column, rows=source_rows[odd.index])
    return is_total


def read_activity(source, *, columns: dict[str, str | None] | None = None,
                  default_site: str | None = None, metric_names: dict[str, str] | None = None,
                  sheet=None, today=None, name: str | None = None) -> LoadResult:
    """Read and validate an activity file, keeping the usable rows and reporting every problem.

    Parameters
    ----------
    source : path, bytes or uploaded file
        CSV, XLSX or Parquet; long (``site, metric, date, value``) or wide
        (``date, site, attendances, admissions, ...``).
    columns : dict, optional
        Override of which source column plays each role, e.g. ``{"date": "Arrival day"}``.
    default_site : str, optional
        Site name for a file with no site column.
    metric_names : dict, optional
        Source metric names (or wide column names) to contract metric names.
    sheet : str or int, optional
        Worksheet of a workbook.
    today : date-like, optional
        Dates after this are errors (default: today).
    name : str, optional
        File name to show in messages (an upload's own name).

    Returns
    -------
    LoadResult
        ``frame``: the rows with no error, in the contract (``site, metric, date, value``),
        sorted; ``report``: every problem, with file, rows, column and what to do.
        Use :func:`load_activity` to raise instead when there is any error.
    """
    table, report = read_rows(source, sheet=sheet, name=name)
    empty = pd.DataFrame({"site": pd.Series(dtype=str), "metric": pd.Series(dtype=str),
                          "date": pd.Series(dtype="datetime64[ns]"), "value": pd.Series(dtype=float)})
    if table is None:
        return LoadResult(empty, report)
    cols = detect_columns([c for c in table.columns if c != "_row"])
    for role, col in (columns or {}).items():
        if role not in ROLES:
            raise ValueError(f"Unknown column role {role!r}; roles are {', '.join(ROLES)}.")
        if col is not None and col not in table.columns:
            report.add(S.ERROR, "missing_column", f"The mapped {role} column {col!r} is not in the file.",
                       "Pick one of the file's columns in the column mapping.", column=str(col))
            return LoadResult(empty, report)
        cols[role] = col
    long = _to_long(table, cols, default_site, metric_names, report)
    if long is None:
        return LoadResult(empty, report)
    rows = long["_row"].to_numpy()
    long["date"] = parse_dates(long["date"], rows, cols["date"], report)
    value_col = cols["value"] or "value"
    if "_column" in long:  # wide: report value problems against each metric column
        parsed = []
        for col, part in long.groupby("_column", sort=False):
            keep = part["date"].notna()
            parsed.append(_parse_values(part["value"][keep], part["_row"].to_numpy()[keep.to_numpy()],
                                        col, report))
        long["value"] = pd.concat(parsed).reindex(long.index)
    else:
        keep = long["date"].notna()
        long["value"] = _parse_values(long["value"][keep], rows[keep.to_numpy()], value_col,
                                      report).reindex(long.index)
        long["_column"] = value_col
    # a row whose date failed is already reported; do not pile blank-cell errors on top of it
    dated = long["date"].notna()
    site_blank = long["site"].isin(["", "nan", "None"]) & dated
    if site_blank.any():
        report.add(S.ERROR, "blank_site", "Site is blank.",
                   "Fill in the site name (or delete the row).", column=cols["site"] or "site",
                   rows=rows[site_blank.to_numpy()])
    metric_blank = long["metric"].isin(["", "nan", "None"]) & dated
    if metric_blank.any():
        report.add(S.ERROR, "blank_metric", "Metric is blank.",
                   "Fill in the metric name (or delete the row).", column=cols["metric"] or "metric",
                   rows=rows[metric_blank.to_numpy()])
    site_total = _check_sites(long, table, cols["site"], dated & ~site_blank, report)
    usable = long["date"].notna() & long["value"].notna() & ~site_blank & ~metric_blank & ~site_total
    frame = validate_activity(long[usable.to_numpy()], report, today=today, date_column=cols["date"])
    report.rows_kept = int(frame["_row"].nunique()) if len(frame) else 0
    frame = frame.drop(columns="_row").reset_index(drop=True)
    return LoadResult(frame, report)


def load_activity(source, **kwargs) -> pd.DataFrame:
    """Like :func:`read_activity` but return only the frame, raising on any error.

    Raises
    ------
    DataValidationError
        When the report holds any error; ``err.report`` lists every problem.
    """
    result = read_activity(source, **kwargs)
    if not result.report.ok:
        raise DataValidationError(result.report)
    return result.frame


def load_sample(frequency: str = "daily") -> pd.DataFrame:
    """The bundled synthetic three-site sample as the activity contract.

    Parameters
    ----------
    frequency : {"daily", "hourly"}
        Daily attendances, admissions, ambulance arrivals, 4-hour breaches and occupied beds
        (April 2019 to October 2025), or hourly attendances for the last two years.
    """
    files = {"daily": "activity_daily.csv", "hourly": "activity_hourly.csv"}
    if frequency not in files:
        raise ValueError(f"frequency must be one of {sorted(files)}, not {frequency!r}.")
    path = SAMPLE_DIR / files[frequency]
    # The sample is ours and tidy: a fast typed read, still checked by the same validation.
    raw = pd.read_csv(path, dtype={"site": str, "metric": str, "value": "float64"})
    raw["date"] = pd.to_datetime(raw["date"], format="ISO8601").astype("datetime64[ns]")
    report = ValidationReport(source=path.name)
    frame = validate_activity(raw.assign(_row=np.arange(len(raw)) + 2), report,
                              today=pd.Timestamp("2100-01-01"))
    if not report.ok:  # pragma: no cover - guards the committed sample against edits
        raise DataValidationError(report)
    return frame.drop(columns="_row").reset_index(drop=True)
