"""Exports: formula neutralising in CSV and XLSX, the forecast CSV, the workbook, chart files."""

from __future__ import annotations

import io
import struct
import xml.etree.ElementTree as ET
import zipfile

import altair as alt
import numpy as np
import openpyxl
import pandas as pd
import pytest

import forecasting
from forecasting import export
from forecasting.export import ExportError, chart_bytes, csv_bytes, forecast_csv, xlsx_bytes

TRIGGERS = {"equals": "=HYPERLINK(\"http://x\",\"click\")", "plus": "+1+1", "minus": "-2+3",
            "at": "@SUM(A1:A2)", "tab": "\t=1+1", "carriage_return": "\r=1+1"}


def _risky_frame():
    return pd.DataFrame({"note": list(TRIGGERS.values()) + ["plain text", None],
                         "count": [-1, 2, -3, 4, 5, 6, 7, 8],
                         "rate": [-0.5, 1.5, np.nan, 2.0, -7.25, 0.0, 1.0, 3.0],
                         "date": pd.date_range("2025-01-01", periods=8, freq="D")})


def _forecast():
    dates = pd.date_range("2025-12-01", periods=3, freq="D")
    rows = []
    for model in ("auto", "seasonal_naive"):
        rows.append(pd.DataFrame({"site": "Alexandra", "metric": "attendances", "date": dates,
                                  "model": model, "mean": [150.0, 160.0, 155.5],
                                  "p97.5": [190.0, 200, 195], "p2.5": [110.0, 120, 115],
                                  "p50": [149.0, 159, 155], "p10": [130.0, 140, 135],
                                  "p90": [170.0, 180, 175]}))
    return pd.concat(rows, ignore_index=True)


# --------------------------------------------------------------------------- neutralising
@pytest.mark.parametrize("name", list(TRIGGERS))
def test_each_trigger_is_neutralised(name):
    assert export.neutralise(TRIGGERS[name]) == "'" + TRIGGERS[name]


@pytest.mark.parametrize("value", ["plain", "", "1+1", " =1", "a=b", 5, -5, -2.5, None, np.nan])
def test_other_values_pass_through(value):
    out = export.neutralise(value)
    assert out is value or (isinstance(value, float) and np.isnan(out))


def test_csv_neutralises_text_and_keeps_numbers():
    data = csv_bytes(_risky_frame())
    back = pd.read_csv(io.BytesIO(data), keep_default_na=False, na_values=[""])
    assert back["note"].iloc[:6].tolist() == ["'" + v for v in TRIGGERS.values()]
    assert back["note"].iloc[6] == "plain text"
    # negative numbers are numbers, written as such (no quote in front)
    assert back["count"].tolist() == [-1, 2, -3, 4, 5, 6, 7, 8]
    assert back["count"].dtype.kind == "i" and back["rate"].dtype.kind == "f"
    assert b"\r\n-1," not in data and b"'-1," not in data
    text = data.decode("utf-8")
    assert "\r\n'=HYPERLINK" in text.replace('"', "")
    assert "-0.5" in text and "'-0.5" not in text


def test_csv_without_neutralising_keeps_text_and_utf8():
    frame = pd.DataFrame({"site": ["=A1", "Kidderminster £"], "value": [1, 2]})
    data = csv_bytes(frame, neutralise=False)
    assert data.startswith(b"site,value\r\n=A1,1")
    assert "£".encode("utf-8") in data
    assert csv_bytes(frame, excel_bom=True).startswith(b"\xef\xbb\xbf")


def test_column_names_and_categories_are_neutralised():
    frame = pd.DataFrame({"=cmd": pd.Categorical(["@x", "ok"]), "value": [1, 2]})
    out = export.neutralise_frame(frame)
    assert list(out.columns) == ["'=cmd", "value"]
    assert out["'=cmd"].tolist() == ["'@x", "ok"]
    assert frame["=cmd"].tolist() == ["@x", "ok"]  # the input is not changed


def test_pandas_string_dtype_is_neutralised():
    frame = pd.DataFrame({"s": pd.array(["-x", "y"], dtype="string")})
    assert export.neutralise_frame(frame)["s"].tolist() == ["'-x", "y"]


# --------------------------------------------------------------------------- forecast CSV
def test_forecast_csv_columns_and_round_trip():
    data = forecast_csv(_forecast(), generated_at=pd.Timestamp("2025-11-29 10:15:00"),
                        data_through=pd.Timestamp("2025-11-28"), scenario="admissions +3%")
    back = pd.read_csv(io.BytesIO(data), parse_dates=["date"])
    assert list(back.columns) == ["site", "metric", "date", "model", "mean", "p2.5", "p10",
                                  "p50", "p90", "p97.5", "generated_at", "data_through",
                                  "scenario", "version"]
    assert len(back) == 6
    assert set(back["generated_at"]) == {"2025-11-29T10:15:00"}
    assert set(back["data_through"]) == {"2025-11-28"}
    assert set(back["scenario"]) == {"admissions +3%"}
    assert set(back["version"]) == {forecasting.__version__}
    original = _forecast()
    pd.testing.assert_series_equal(back["mean"], original["mean"])
    pd.testing.assert_series_equal(back["p97.5"], original["p97.5"])
    assert (back["date"] == original["date"]).all()


def test_forecast_csv_selects_or_names_the_model():
    fc = _forecast()
    back = pd.read_csv(io.BytesIO(forecast_csv(fc, generated_at="2025-11-29T10:00:00Z",
                                               data_through="2025-11-28", model="auto",
                                               version="9.9")), dtype={"version": str})
    assert set(back["model"]) == {"auto"} and len(back) == 3
    assert set(back["version"]) == {"9.9"} and set(back["generated_at"]) == {"2025-11-29T10:00:00Z"}
    single = fc[fc["model"] == "auto"].drop(columns="model")
    back = pd.read_csv(io.BytesIO(forecast_csv(single, generated_at="x", data_through="y",
                                               model="ets")))
    assert set(back["model"]) == {"ets"}
    with pytest.raises(ExportError, match="no rows for model 'prophet'"):
        forecast_csv(fc, generated_at="x", data_through="y", model="prophet")
    with pytest.raises(ExportError, match="mean"):
        forecast_csv(fc.drop(columns="mean"), generated_at="x", data_through="y")


def test_forecast_csv_neutralises_site_names():
    fc = _forecast().assign(site="=cmd|'/C calc'!A0")
    back = pd.read_csv(io.BytesIO(forecast_csv(fc, generated_at="x", data_through="y")))
    assert back["site"].iloc[0] == "'=cmd|'/C calc'!A0"


# --------------------------------------------------------------------------- XLSX
@pytest.fixture
def workbook():
    sheets = {"Forecast": _forecast(), "Backtest metrics": pd.DataFrame({"model": ["auto"],
                                                                        "mae": [12.5]}),
              "Risky": _risky_frame()}
    notes = export.standard_notes(synthetic=True, data_through="2025-11-28",
                                  caveats=["=14 days missing at Alexandra"])
    return openpyxl.load_workbook(io.BytesIO(xlsx_bytes(sheets, notes)))


def test_xlsx_sheets_and_notes(workbook):
    assert workbook.sheetnames == ["Forecast", "Backtest metrics", "Risky", "Notes"]
    notes = workbook["Notes"]
    rows = [(r[0].value, r[1].value) for r in notes.iter_rows(min_row=2)]
    topics = [t for t, _ in rows]
    assert topics[0] == "Synthetic data" and "Attribution" in topics
    assert dict(rows)["Attribution"] == export.OGL_ATTRIBUTION
    assert ("Data quality", "'=14 days missing at Alexandra") in rows
    assert notes["B2"].alignment.wrap_text


def test_xlsx_header_bold_frozen_and_widths(workbook):
    ws = workbook["Forecast"]
    assert [c.value for c in ws[1]][:5] == ["site", "metric", "date", "model", "mean"]
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["A"].width == len("Alexandra") + 2
    assert 8 <= ws.column_dimensions["C"].width <= 60


def test_xlsx_dates_and_numbers(workbook):
    ws = workbook["Forecast"]
    assert ws["C2"].is_date and ws["C2"].value == pd.Timestamp("2025-12-01").to_pydatetime()
    assert ws["C2"].number_format == "yyyy-mm-dd"
    assert ws["E2"].value == 150.0 and ws["E2"].data_type == "n"
    risky = workbook["Risky"]
    assert [risky.cell(row=r, column=2).value for r in range(2, 10)] == [-1, 2, -3, 4, 5, 6, 7, 8]
    assert all(risky.cell(row=r, column=2).data_type == "n" for r in range(2, 10))
    assert risky["C4"].value is None  # NaN becomes an empty cell


def test_xlsx_neutralises_each_trigger_as_text(workbook):
    ws = workbook["Risky"]
    for row, value in enumerate(TRIGGERS.values(), start=2):
        cell = ws.cell(row=row, column=1)
        assert cell.data_type == "s"
        # XML normalises a carriage return to a line feed; the quote in front is what matters
        assert cell.value.startswith("'")
        assert cell.value[1:].replace("\n", "\r") == value


def test_xlsx_never_writes_a_formula_even_unneutralised():
    frame = pd.DataFrame({"t": ["=1+1", "@SUM(A1)", "+2"]})
    data = xlsx_bytes({"t": frame}, [("a", "=b")], neutralise=False)
    ws = openpyxl.load_workbook(io.BytesIO(data))["t"]
    assert [(c.value, c.data_type) for c in ws["A"][1:]] == [
        ("=1+1", "s"), ("@SUM(A1)", "s"), ("+2", "s")]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets"))
    assert "<f>" not in xml and "<f " not in xml


def test_xlsx_sheet_names_made_legal_and_notes_frame():
    data = xlsx_bytes({"a/b": pd.DataFrame({"x": [1]}), "a:b": pd.DataFrame({"x": [2]}),
                       "x" * 40: pd.DataFrame({"x": [3]})},
                      pd.DataFrame({"topic": ["Source"], "text": ["sample"]}))
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["a b", "a b (2)", "x" * 31, "Notes"]
    assert [c.value for c in book["Notes"][2]] == ["Source", "sample"]


def test_xlsx_times_and_time_zones():
    frame = pd.DataFrame({"hour": pd.date_range("2025-01-01 08:00", periods=2, freq="h",
                                                tz="Europe/London")})
    ws = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"h": frame})))["h"]
    assert ws["A2"].value == pd.Timestamp("2025-01-01 08:00").to_pydatetime()
    assert ws["A2"].number_format == "yyyy-mm-dd hh:mm"


def test_xlsx_nullable_and_string_missing_values_are_empty_cells():
    frame = pd.DataFrame({"n": pd.array([1, None], dtype="Int64"),
                          "s": pd.array(["=x", None], dtype="string"),
                          "b": [True, False]})
    ws = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"m": frame})))["m"]
    assert [ws["A2"].value, ws["A3"].value] == [1, None]
    assert [ws["B2"].value, ws["B3"].value] == ["'=x", None]
    assert [ws["C2"].value, ws["C3"].value] == [True, False]
    assert export.neutralise_frame(frame)["n"].dtype == "Int64"


def test_xlsx_rejects_non_tables():
    with pytest.raises(ExportError, match="not a table"):
        xlsx_bytes({"x": [1, 2]})


# --------------------------------------------------------------------------- charts
def _chart(width=200):
    frame = pd.DataFrame({"x": [1, 2, 3], "y": [3, 1, 2]})
    return (alt.Chart(frame).mark_line().encode(x="x:Q", y="y:Q")
            .properties(width=width, height=100, padding=0,
                        autosize=alt.AutoSizeParams(type="none")))


def _png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _png_dpi(data):
    i = data.index(b"pHYs")
    per_metre, _, unit = struct.unpack(">IIB", data[i + 4:i + 13])
    assert unit == 1
    return per_metre * 0.0254


def test_png_at_print_resolution():
    data = chart_bytes(_chart(), "png")
    width, height = _png_size(data)
    # 200 chart pixels x 200 / 72 = 555.6, which vl-convert rounds down
    assert (width, height) == (200 * 200 // 72, 100 * 200 // 72)
    assert _png_dpi(data) == pytest.approx(200, abs=1)


def test_png_scale_and_ppi():
    assert _png_size(chart_bytes(_chart(), "png", ppi=72))[0] == 200
    assert _png_size(chart_bytes(_chart(), "png", ppi=72, scale=3))[0] == 600


def test_png_of_a_640_pixel_chart_is_at_least_150_dpi_across_a4_landscape():
    width, _ = _png_size(chart_bytes(_chart(640), "png"))
    assert width / 11.69 >= 150


def test_container_width_is_fixed_for_export():
    chart = _chart().properties(width="container")
    assert _png_size(chart_bytes(chart, "png", ppi=72, width=500))[0] == 500


def test_svg_parses():
    data = chart_bytes(_chart(), "svg")
    root = ET.fromstring(data)
    assert root.tag.endswith("svg") and root.get("width") == "200"


def test_pdf_starts_with_magic():
    data = chart_bytes(_chart().to_dict(), "PDF")
    assert data.startswith(b"%PDF") and b"%%EOF" in data[-32:]


def test_unknown_chart_format():
    with pytest.raises(ExportError, match="png, svg or pdf"):
        chart_bytes(_chart(), "gif")


def test_spc_chart_exports():
    from forecasting.spc import xmr
    from forecasting.spc_charts import spc_chart

    series = pd.Series([11.0, 9.0] * 6 + [16.0],
                       index=pd.date_range("2025-01-01", periods=13), name="attendances")
    chart = spc_chart(xmr(series, target=8), title="t", footnote="Source: sample")
    width, _ = _png_size(chart_bytes(chart, "png"))
    assert width > 640 * 200 / 72
    assert ET.fromstring(chart_bytes(chart, "svg")).tag.endswith("svg")
