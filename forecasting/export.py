"""Downloads as bytes: injection-safe CSV and XLSX, and charts as PNG, SVG or PDF (no browser)."""

from __future__ import annotations

import copy
import datetime as dt
import io
import sys
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "FORMULA_TRIGGERS", "PRINT_PPI", "OGL_ATTRIBUTION", "SYNTHETIC_NOTICE", "ExportError",
    "neutralise", "neutralise_frame", "csv_bytes", "forecast_csv", "standard_notes",
    "xlsx_bytes", "chart_bytes",
]

#: A text cell starting with one of these is read as a formula (or as the start of one) by
#: Excel, LibreOffice or Google Sheets: OWASP's list for CSV injection.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: Resolution of PNG exports: 200 pixels per inch. Vega-Lite pixels are read as points (1/72 in),
#: so a 640-pixel chart (about 700 with its axes) becomes about 1,950 pixels: about 235 dpi when
#: printed across A4 portrait (8.3 in) and 165 dpi across A4 landscape (11.7 in), never below 150.
PRINT_PPI = 200
#: Attribution required by the Open Government Licence for NHS England statistics.
OGL_ATTRIBUTION = ("Contains public sector information licensed under the Open Government "
                   "Licence v3.0 (NHS England statistics: A&E attendances and emergency "
                   "admissions, bed availability and occupancy).")
#: Notice for outputs made from the synthetic sample data.
SYNTHETIC_NOTICE = ("These figures come from synthetic sample data made for demonstration. They "
                    "describe no real patients or hospital and must not be used for decisions.")

_FORECAST_KEYS = ("site", "metric", "date", "mean")
_PROVENANCE = ("generated_at", "data_through", "scenario", "version")
_SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


class ExportError(ValueError):
    """A table or chart that cannot be exported as asked (the message says what to change)."""


# --------------------------------------------------------------------------- neutralising
def neutralise(value):
    """A text value a spreadsheet would run as a formula, with a single quote in front.

    Only strings change: numbers (negative ones too), dates and missing values pass through, so
    the exported figures stay figures. This is the OWASP recommendation for CSV injection.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every formula-like text cell (and column name) neutralised.

    Parameters
    ----------
    frame : DataFrame
        Any table.

    Returns
    -------
    DataFrame
        Text columns (object, string or category) neutralised cell by cell; numeric, boolean
        and date columns untouched.
    """
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        if pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype):
            out[col] = series.map(neutralise)
    out.columns = [neutralise(c) for c in out.columns]
    return out


# --------------------------------------------------------------------------- CSV
def csv_bytes(frame: pd.DataFrame, *, neutralise: bool = True, excel_bom: bool = False) -> bytes:
    """A table as UTF-8 CSV bytes, safe to open in a spreadsheet.

    Parameters
    ----------
    frame : DataFrame
        The table; its index is not written.
    neutralise : bool
        Put a single quote before text cells starting with = + - @, a tab or a carriage
        return (see :data:`FORMULA_TRIGGERS`), so a spreadsheet shows them instead of running
        them. Numbers are never changed.
    excel_bom : bool
        Start with a UTF-8 byte order mark, which older Excel needs to read accents and the
        pound sign correctly.

    Returns
    -------
    bytes
        Comma-separated UTF-8 text (RFC 4180: CRLF line ends), one header row, dates as
        ISO 8601 (``2025-01-31``).
    """
    table = neutralise_frame(frame) if neutralise else frame
    # CRLF as RFC 4180 says; it also makes the writer quote cells holding a carriage return
    text = table.to_csv(index=False, lineterminator="\r\n")
    return ("\ufeff" if excel_bom else "").encode("utf-8") + text.encode("utf-8")


def _quantile_order(column: str) -> float:
    try:
        return float(column[1:])
    except ValueError:
        return np.inf


def _stamp(value) -> str:
    """A date or time as ISO 8601 text (midnight is written as the date alone)."""
    if isinstance(value, str):
        return value
    stamp = pd.Timestamp(value)
    if stamp == stamp.normalize():
        return stamp.strftime("%Y-%m-%d")
    return stamp.isoformat(timespec="seconds")


def _package_version() -> str:
    # read at call time: the package's __init__ may not have finished importing yet
    return getattr(sys.modules.get(__package__), "__version__", "unknown")


def forecast_csv(forecast: pd.DataFrame, *, generated_at, data_through, model: str | None = None,
                 scenario: str = "baseline", version: str | None = None,
                 neutralise: bool = True) -> bytes:
    """The forecast contract as CSV, with where it came from on every row.

    Parameters
    ----------
    forecast : DataFrame
        Forecast contract rows: ``site, metric, date, model, mean`` and quantile columns
        (``p2.5`` ... ``p97.5``).
    generated_at : datetime or str
        When the forecast was made (written as ISO 8601).
    data_through : date or str
        The last period of actual data the models saw.
    model : str, optional
        Keep only this model's rows; or the model's name when ``forecast`` has no ``model``
        column.
    scenario : str
        Name of the scenario ('baseline' when none applies).
    version : str, optional
        Workbench version (default: ``forecasting.__version__``).
    neutralise : bool
        Neutralise formula-like text (see :func:`csv_bytes`).

    Returns
    -------
    bytes
        UTF-8 CSV: ``site, metric, date, model, mean``, the quantiles from lowest to highest,
        any other columns, then ``generated_at, data_through, scenario, version``.

    Raises
    ------
    ExportError
        Contract columns missing, or no rows for ``model``.
    """
    missing = [c for c in _FORECAST_KEYS if c not in forecast.columns]
    if missing:
        raise ExportError(f"The forecast has no {', '.join(missing)} column(s); export the "
                          "output of forecasting.forecast().")
    table = forecast.copy()
    if "model" not in table.columns:
        table["model"] = model or "unknown"
    elif model is not None:
        table = table[table["model"] == model]
        if table.empty:
            raise ExportError(f"The forecast has no rows for model {model!r}; it has "
                              f"{sorted(forecast['model'].unique())}.")
    quantiles = sorted((c for c in table.columns
                        if isinstance(c, str) and c.startswith("p") and c[1:2].isdigit()),
                       key=_quantile_order)
    lead = ["site", "metric", "date", "model", "mean", *quantiles]
    others = [c for c in table.columns if c not in lead and c not in _PROVENANCE]
    table = table[lead + others].assign(generated_at=_stamp(generated_at),
                                        data_through=_stamp(data_through),
                                        scenario=scenario,
                                        version=version or _package_version())
    return csv_bytes(table.reset_index(drop=True), neutralise=neutralise)


# --------------------------------------------------------------------------- XLSX
def standard_notes(*, synthetic: bool = False, nhse_data: bool = True, data_through=None,
                   generated_at=None, caveats: Sequence[str] = ()) -> list[tuple[str, str]]:
    """The usual notes sheet: definitions, data quality caveats, attribution and provenance.

    Parameters
    ----------
    synthetic : bool
        Add the synthetic-sample notice (first, so nobody misses it).
    nhse_data : bool
        Add the Open Government Licence attribution for NHS England statistics.
    data_through, generated_at : date, optional
        Added as provenance lines when given.
    caveats : sequence of str
        Data quality caveats, one note each (e.g. from the validation report).

    Returns
    -------
    list of (str, str)
        (topic, note) pairs for :func:`xlsx_bytes`.
    """
    notes = []
    if synthetic:
        notes.append(("Synthetic data", SYNTHETIC_NOTICE))
    notes += [
        ("Forecast", "mean is the expected value; pN columns are quantiles: N % of outcomes are "
                     "expected to fall below pN (p10 to p90 is the 80 % prediction range)."),
        ("Dates", "Each date is the start of its period (day, week or month)."),
        ("Attendances", "All A&E attendances at the site (types 1-3) unless the metric names "
                        "a type."),
        ("Emergency admissions", "Emergency admissions via A&E."),
        ("Occupied beds", "General and acute beds occupied at the midnight census."),
        ("Length of stay", "Days from admission to discharge; same-day stays count as zero."),
        ("Backtest metrics", "Accuracy of forecasts made at past cut-off dates against what "
                             "happened: MAE in patients, MAPE in %, coverage of the 80 % range."),
        ("Text cells", "Text starting with = + - or @ is shown with a leading ' so a "
                       "spreadsheet never runs it as a formula."),
    ]
    notes += [("Data quality", caveat) for caveat in caveats]
    if data_through is not None:
        notes.append(("Data through", _stamp(data_through)))
    if generated_at is not None:
        notes.append(("Generated", _stamp(generated_at)))
    notes.append(("Version", f"UEC Demand & Capacity Workbench {_package_version()}"))
    if nhse_data:
        notes.append(("Attribution", OGL_ATTRIBUTION))
    return notes


def _sheet_names(names) -> list[str]:
    """Excel-legal sheet names (31 characters, none of []:*?/\\), unique."""
    out: list[str] = []
    for name in names:
        base = (str(name).translate(_SHEET_FORBIDDEN).strip("' ") or "Sheet")[:31]
        candidate, n = base, 2
        while candidate.lower() in {o.lower() for o in out}:
            suffix = f" ({n})"
            candidate, n = base[:31 - len(suffix)] + suffix, n + 1
        out.append(candidate)
    return out


def _cell_value(value):
    """A Python value openpyxl writes as-is (no numpy scalars, no NaN, no time zones)."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None  # None, NaN, NaT and pd.NA all become an empty cell
    if isinstance(value, pd.Timestamp):
        return (value.tz_localize(None) if value.tzinfo else value).to_pydatetime()
    if isinstance(value, (np.datetime64,)):
        return _cell_value(pd.Timestamp(value))
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (pd.Timedelta, dt.timedelta)):
        return str(value)
    return value


def _write_sheet(ws, frame: pd.DataFrame, *, neutralise: bool, wrap: Sequence[str] = ()) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    headers = [str(c) for c in frame.columns]
    widths = []
    for j, header in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=j)
        _set_text(cell, _maybe_neutralise(header, neutralise))
        cell.font = bold
        widths.append(len(header))
    for j, col in enumerate(frame.columns, start=1):
        series = frame[col]
        is_date = pd.api.types.is_datetime64_any_dtype(series.dtype)
        has_time = is_date and bool((series.dropna() != series.dropna().dt.normalize()).any())
        date_format = "yyyy-mm-dd hh:mm" if has_time else "yyyy-mm-dd"
        for i, raw in enumerate(series.tolist(), start=2):
            value = _cell_value(raw)
            cell = ws.cell(row=i, column=j)
            if isinstance(value, str):
                value = _maybe_neutralise(value, neutralise)
                _set_text(cell, value)
            else:
                cell.value = value
            if isinstance(value, (dt.datetime, dt.date)):
                cell.number_format = date_format if isinstance(value, dt.datetime) else "yyyy-mm-dd"
                shown = 16 if has_time else 10
            elif isinstance(value, float):
                shown = len(f"{value:,.2f}")
            else:
                shown = len(str(value)) if value is not None else 0
            widths[j - 1] = max(widths[j - 1], shown)
            if str(col) in wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for j, width in enumerate(widths, start=1):
        limit = 100 if headers[j - 1] in wrap else 60
        ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), limit)
    ws.freeze_panes = "A2"


def _maybe_neutralise(text: str, on: bool) -> str:
    return neutralise(text) if on else text


def _set_text(cell, text: str) -> None:
    # openpyxl reads a value starting with '=' as a formula; a text cell type never is one
    cell.value = text
    cell.data_type = "s"


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame],
               notes: Sequence[tuple[str, str]] | pd.DataFrame | None = None, *,
               neutralise: bool = True) -> bytes:
    """An Excel workbook: one sheet per table, then a Notes sheet.

    Parameters
    ----------
    sheets : mapping of str to DataFrame
        Sheet name -> table, in order (e.g. forecast, backtest metrics, beds, workforce,
        scenario parameters). Names are made Excel-legal (31 characters, no []:*?/\\).
    notes : list of (topic, note) or DataFrame, optional
        The Notes sheet (two columns: Topic, Note): definitions, data quality caveats,
        attribution, the synthetic-sample notice. Default: :func:`standard_notes`.
    neutralise : bool
        Put a single quote before formula-like text (see :func:`csv_bytes`). Whatever this is,
        every text cell is written as text, never as a formula.

    Returns
    -------
    bytes
        The .xlsx file: bold, frozen header rows, column widths to fit (up to 60 characters),
        dates as Excel dates (yyyy-mm-dd, with hh:mm when a column has times), numbers as numbers.
    """
    from openpyxl import Workbook

    if notes is None:
        notes = standard_notes()
    if isinstance(notes, pd.DataFrame):
        if notes.shape[1] != 2:
            raise ExportError("The notes table needs two columns: topic and note.")
        notes_frame = notes.set_axis(["Topic", "Note"], axis=1)
    else:
        notes_frame = pd.DataFrame(list(notes), columns=["Topic", "Note"])
    names = _sheet_names([*sheets, "Notes"])
    book = Workbook()
    book.remove(book.active)
    for name, frame in zip(names, [*sheets.values(), notes_frame]):
        if not isinstance(frame, pd.DataFrame):
            raise ExportError(f"Sheet {name!r} is not a table (got {type(frame).__name__}).")
        ws = book.create_sheet(title=name)
        wrap = ("Note",) if frame is notes_frame else ()
        _write_sheet(ws, frame.reset_index(drop=True), neutralise=neutralise, wrap=wrap)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- charts
def _fixed_size(spec, width: int, height: int):
    """The spec with 'container' sizes made fixed: there is no page to fill outside a browser."""
    if isinstance(spec, dict):
        out = {}
        for key, value in spec.items():
            if key == "width" and value == "container":
                out[key] = width
            elif key == "height" and value == "container":
                out[key] = height
            else:
                out[key] = _fixed_size(value, width, height)
        return out
    if isinstance(spec, list):
        return [_fixed_size(v, width, height) for v in spec]
    return spec


def chart_bytes(chart, fmt: str = "png", *, scale: float = 1.0, ppi: float = PRINT_PPI,
                width: int = 640, height: int = 320) -> bytes:
    """A chart as PNG, SVG or PDF bytes, rendered by vl-convert (no browser needed).

    Parameters
    ----------
    chart : altair chart or dict
        The chart, or its Vega-Lite spec.
    fmt : {'png', 'svg', 'pdf'}
        Output format. SVG and PDF are vector (sharp at any size); PNG is a bitmap.
    scale : float
        Size multiplier for PNG and PDF.
    ppi : float
        PNG pixels per inch (default :data:`PRINT_PPI`, 200). Chart pixels are read as points, so
        the PNG has ``scale x ppi / 72`` pixels per chart pixel (2.8 by default) and records that
        resolution in its header: a 640-pixel chart prints at about 235 dpi across A4 portrait.
    width, height : int
        Size used where the chart says 'container' (fill the page in the app).

    Returns
    -------
    bytes
        PNG, SVG (UTF-8) or PDF file contents.

    Raises
    ------
    ExportError
        An unknown format.
    """
    import vl_convert as vlc

    fmt = fmt.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise ExportError(f"Charts export as png, svg or pdf, not {fmt!r}.")
    spec = chart if isinstance(chart, dict) else chart.to_dict()
    spec = _fixed_size(copy.deepcopy(spec), width, height)
    if fmt == "png":
        return vlc.vegalite_to_png(spec, scale=scale, ppi=ppi)
    if fmt == "pdf":
        return vlc.vegalite_to_pdf(spec, scale=scale)
    return vlc.vegalite_to_svg(spec).encode("utf-8")
