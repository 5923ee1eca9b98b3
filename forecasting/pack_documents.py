"""Board pack documents: the A4 landscape PDF, the 16:9 PowerPoint deck and the XLSX workbook."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .boardpack import (PackChart, PackData, backtest_scores, chart_footnote, headline_figures, key_messages,
                        methods_sections, model_label, scenario_comparison, worst_gaps)
from .capacity.outlook import bed_headlines, beds_frame, workforce_frame, worst_gap_table
from .export import SYNTHETIC_NOTICE, standard_notes, xlsx_bytes
from .scenarios import BASELINE, describe
from .schema import TRUST_TOTAL

__all__ = ["pdf_bytes", "pdf_and_pages", "pptx_bytes", "workbook_bytes"]


# --------------------------------------------------------------------------- PDF
_LATIN = str.maketrans({"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "≤": "<=", "≥": ">=",
                        "…": "...", "−": "-", "•": "-", "\u00a0": " ", "\u202f": " "})
_BLUE = (0, 94, 184)
_DARK = (35, 31, 32)
_GREY = (66, 85, 99)
_PALE = (232, 237, 238)
_ORANGE = (237, 139, 0)


def _t(text) -> str:
    """Text the PDF core font can print (Latin-1): dashes, quotes and symbols spelt plainly."""
    return str(text).translate(_LATIN).encode("latin-1", "replace").decode("latin-1")


def _fmt(value, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    if isinstance(value, (int, np.integer)):
        return f"{value:,}"
    if isinstance(value, (float, np.floating)):
        return f"{value:+.1f} %" if pct else f"{value:,.0f}"
    return str(value)


def _bed_rows(data: PackData, site: str) -> list[tuple[str, str]]:
    b = data.beds
    if b is None or site not in b.sites:
        return []
    h = bed_headlines(b, site)
    c = b.comparison[b.comparison["site"] == site]
    share = 100 * float((c["mean"] / c["core_beds"]).mean())
    target = f"{b.target * 100:g} %"
    return [
        (f"Expected occupied beds, average night (next {h['days']} days)", f"{h['mean']:,.0f}"),
        ("Average occupancy, share of core beds", f"{share:.1f} % (planning ceiling {target})"),
        (f"Days expected over {target} of core beds", f"{h['over_target']} of {h['days']}"),
        (f"Days likely over {target}, counting the uncertainty", f"{h['expected_over_target']:.0f}"),
        ("Days expected over all core beds", f"{h['over_core']} of {h['days']}"),
        ("Highest P90 occupied beds", f"{h['peak_p90']:,.0f}"),
    ]


def _figure_rows(data: PackData, site: str) -> list[list[str]]:
    figures = headline_figures(data, site)
    rows = []
    for measure, part in figures.groupby("Measure", sort=False):
        row = [measure]
        for weeks in (4, 12):
            r = part[part["Weeks"] == weeks]
            if r.empty:
                row += ["-"] * 4
                continue
            r = r.iloc[0]
            rng = "-" if np.isnan(r["P10"]) else f"{r['P10']:,.0f} to {r['P90']:,.0f}"
            row += [_fmt(r["Expected"]), rng, _fmt(r["Same weeks last year"]), _fmt(r["Change (%)"], pct=True)]
        rows.append(row)
    return rows


def _pdf_class():
    from fpdf import FPDF

    class _PackPDF(FPDF):
        trust = ""
        stamp = ""

        def header(self):
            if self.page_no() == 1:
                return
            self.set_fill_color(*_BLUE)
            self.rect(0, 0, self.w, 4, style="F")
            self.set_xy(self.l_margin, 6)
            self.set_font("Helvetica", "", 8)
            self.set_text_color(*_GREY)
            self.cell(0, 4, _t(f"{self.trust} · UEC demand and capacity board pack"), align="L")
            self.set_y(13)

        def footer(self):
            if self.page_no() == 1:
                return
            self.set_y(-10)
            self.set_font("Helvetica", "", 8)
            self.set_text_color(*_GREY)
            self.cell(0, 5, _t(self.stamp), align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    return _PackPDF


def _heading(pdf, text: str, size: int = 18) -> None:
    pdf.set_font("Helvetica", "B", size)
    pdf.set_text_color(*_DARK)
    pdf.multi_cell(0, size * 0.45, _t(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _paragraph(pdf, text: str, size: float = 10, bullet: bool = False) -> None:
    pdf.set_font("Helvetica", "", size)
    pdf.set_text_color(*_DARK)
    if bullet:
        pdf.set_x(pdf.l_margin + 2)
        pdf.multi_cell(0, size * 0.5, _t(f"-  {text}"), new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.multi_cell(0, size * 0.5, _t(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _table(pdf, header: list[str], rows: list[list[str]], widths: Sequence[float] | None = None,
           size: float = 9) -> None:
    from fpdf.fonts import FontFace

    pdf.set_font("Helvetica", "", size)
    pdf.set_text_color(*_DARK)
    style = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=_BLUE)
    with pdf.table(col_widths=tuple(widths) if widths else None, headings_style=style, line_height=size * 0.5,
                   text_align="LEFT", cell_fill_color=_PALE, cell_fill_mode="ROWS", borders_layout="HORIZONTAL_LINES",
                   width=pdf.epw) as table:
        head = table.row()
        for h in header:
            head.cell(_t(h))
        for r in rows:
            row = table.row()
            for value in r:
                row.cell(_t(value))
    pdf.ln(3)


def _cover(pdf, data: PackData) -> None:
    first, last = data.period
    pdf.add_page()
    pdf.set_fill_color(*_BLUE)
    pdf.rect(0, 0, pdf.w, 92, style="F")
    pdf.set_xy(18, 26)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Helvetica", "B", 30)
    pdf.multi_cell(pdf.w - 36, 13, _t("Urgent and emergency care: demand and capacity board pack"),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(18)
    pdf.set_font("Helvetica", "", 18)
    pdf.cell(0, 10, _t(data.trust), new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(18, 102)
    pdf.set_text_color(*_DARK)
    pdf.set_font("Helvetica", "", 14)
    for line in (f"Period: {first:%d %B %Y} to {last:%d %B %Y} ({data.horizon} days ahead)",
                 f"Data through: {data.data_through:%d %B %Y}",
                 f"Generated: {data.generated_at:%d %B %Y %H:%M}",
                 f"Source: {data.source}"):
        pdf.set_x(18)
        pdf.cell(0, 9, _t(line), new_x="LMARGIN", new_y="NEXT")
    if data.synthetic:
        pdf.set_xy(18, 150)
        pdf.set_fill_color(255, 243, 224)
        pdf.set_draw_color(*_ORANGE)
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(pdf.w - 36, 7, _t("Synthetic data. " + SYNTHETIC_NOTICE), border=1, fill=True, padding=3,
                       new_x="LMARGIN", new_y="NEXT")


def _summary_order(data: PackData) -> list[str]:
    """The trust first (what a board reads first), then each site."""
    return sorted(data.sites, key=lambda s: s != TRUST_TOTAL)


def _summary_page(pdf, data: PackData, site: str) -> None:
    pdf.add_page()
    pdf.start_section(f"Summary: {site}")
    _heading(pdf, f"Summary: {site}")
    for line in key_messages(data, site):
        _paragraph(pdf, line, 10, bullet=True)
    pdf.ln(1)
    rows = _figure_rows(data, site)
    if rows:
        _table(pdf, ["Measure", "Next 4 weeks", "80 % range", "Same 4 weeks last year", "Change",
                     "Next 12 weeks", "80 % range", "Same 12 weeks last year", "Change"], rows,
               widths=(34, 20, 26, 24, 16, 20, 26, 24, 16), size=8.5)
    beds = _bed_rows(data, site)
    if beds:
        _table(pdf, ["Beds", "Next days"], [list(r) for r in beds], widths=(60, 40), size=8.5)
    gaps = worst_gaps(data, site)
    if not gaps.empty:
        _table(pdf, ["Worst staffing gaps: when", "Site", "Date and hour", "Role", "Required", "Rostered",
                     "Short by"], [[str(v) if not isinstance(v, float) else f"{v:g}" for v in r]
                                   for r in gaps.itertuples(index=False)],
               widths=(28, 26, 30, 16, 12, 12, 12), size=8.5)


def _chart_page(pdf, chart: PackChart, png: bytes, new_section: bool) -> None:
    from PIL import Image

    pdf.add_page()
    if new_section:
        pdf.start_section(chart.section)
    pdf.start_section(chart.heading, level=1)
    pdf.set_font("Helvetica", "", 9)
    pdf.set_text_color(*_BLUE)
    pdf.cell(0, 5, _t(chart.section.upper()), new_x="LMARGIN", new_y="NEXT")
    _heading(pdf, chart.heading, 16)
    top = pdf.get_y() + 1
    width_px, height_px = Image.open(io.BytesIO(png)).size
    room_w, room_h = pdf.epw, pdf.h - top - 14
    scale = min(room_w / width_px, room_h / height_px)
    w, h = width_px * scale, height_px * scale
    pdf.image(io.BytesIO(png), x=pdf.l_margin + (room_w - w) / 2, y=top, w=w, h=h)


def _scenario_page(pdf, data: PackData) -> None:
    table, _ = scenario_comparison(data)
    pdf.add_page()
    pdf.start_section("Scenario comparison: figures", level=1)
    _heading(pdf, "Scenario comparison: figures", 16)
    cols = list(table.columns)
    n = len(cols) - 1
    _table(pdf, cols, [[str(r[0])] + [f"{v:,.1f}".removesuffix(".0") if isinstance(v, float) else f"{v:,}"
                                      for v in r[1:]] for r in table.itertuples(index=False)],
           widths=(110, *([min(40, 160 / max(n, 1))] * n)), size=8.5)
    for scenario in data.scenarios[1:]:
        _paragraph(pdf, "; ".join(describe(scenario)), 8.5, bullet=True)


def _methods_page(pdf, data: PackData) -> None:
    pdf.add_page()
    pdf.start_section("Methods and caveats")
    _heading(pdf, "Methods, assumptions and data quality")
    for heading, paragraphs in methods_sections(data):
        pdf.set_font("Helvetica", "B", 11)
        pdf.set_text_color(*_BLUE)
        pdf.cell(0, 6, _t(heading), new_x="LMARGIN", new_y="NEXT")
        for text in paragraphs:
            _paragraph(pdf, text, 8.5, bullet=len(paragraphs) > 1)
        pdf.ln(1)


def pdf_and_pages(data: PackData, pack: Sequence[PackChart], pngs: dict[str, bytes]) -> tuple[bytes, int]:
    """The PDF (see :func:`pdf_bytes`) and its number of pages."""
    pdf = _pdf_class()(orientation="L", unit="mm", format="A4")
    pdf.trust = data.trust
    pdf.stamp = (f"Data through {data.data_through:%d %b %Y} · generated {data.generated_at:%d %b %Y %H:%M}"
                 + (" · SYNTHETIC DATA" if data.synthetic else ""))
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.set_title(f"UEC board pack: {data.trust}")
    pdf.set_author("UEC Demand & Capacity Workbench")
    pdf.set_creation_date(data.generated_at.to_pydatetime().astimezone())
    _cover(pdf, data)
    for site in _summary_order(data):
        _summary_page(pdf, data, site)
    section = None
    for chart in pack:
        _chart_page(pdf, chart, pngs[chart.name], chart.section != section)
        section = chart.section
    if data.scenario_beds:
        _scenario_page(pdf, data)
    _methods_page(pdf, data)
    return bytes(pdf.output()), pdf.pages_count


def pdf_bytes(data: PackData, pack: Sequence[PackChart], pngs: dict[str, bytes]) -> bytes:
    """The board pack as an A4 landscape PDF.

    Pages: cover (trust, period, data through); a summary for the trust and each site; one page
    per chart (SPC, forecasts, beds, workforce, scenarios) headed by its section and name; the
    scenario figures when scenarios are compared; methods, assumptions and data quality caveats.
    The PDF has bookmarks for each section.
    """
    return pdf_and_pages(data, pack, pngs)[0]


# --------------------------------------------------------------------------- PowerPoint
def pptx_bytes(data: PackData, pack: Sequence[PackChart], pngs: dict[str, bytes]) -> bytes:
    """The charts as a 16:9 PowerPoint deck: a title slide, a summary slide, then one chart per slide.

    Each chart slide's title placeholder holds the chart's title (its message), so the slides
    drop into a board-paper template; the notes of each slide name the section and source.
    """
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.util import Inches, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    first, last = data.period

    def place(shape, left, top, width, height):
        shape.left, shape.top, shape.width, shape.height = (Inches(left), Inches(top), Inches(width),
                                                            Inches(height))

    def style(shape, size, bold=False, colour=(35, 31, 32)):
        for p in shape.text_frame.paragraphs:
            for run in p.runs:
                run.font.size, run.font.bold, run.font.name = Pt(size), bold, "Arial"
                run.font.color.rgb = RGBColor(*colour)

    slide = prs.slides.add_slide(prs.slide_layouts[0])
    slide.shapes.title.text = "Urgent and emergency care: demand and capacity"
    place(slide.shapes.title, 0.8, 1.6, 11.7, 1.6)
    style(slide.shapes.title, 36, True, _BLUE)
    sub = slide.placeholders[1]
    sub.text = (f"{data.trust}\nPeriod: {first:%d %b %Y} to {last:%d %b %Y} · data through "
                f"{data.data_through:%d %b %Y} · generated {data.generated_at:%d %b %Y %H:%M}"
                + (f"\n{SYNTHETIC_NOTICE}" if data.synthetic else ""))
    place(sub, 0.8, 3.5, 11.7, 2.6)
    style(sub, 18)

    summary_site = TRUST_TOTAL if TRUST_TOTAL in data.sites else data.sites[0]
    slide = prs.slides.add_slide(prs.slide_layouts[1])
    slide.shapes.title.text = f"Summary: {summary_site}"
    place(slide.shapes.title, 0.6, 0.3, 12.1, 1.0)
    style(slide.shapes.title, 28, True)
    body = slide.placeholders[1]
    place(body, 0.6, 1.4, 12.1, 5.7)
    messages = key_messages(data, summary_site) + [
        f"{line}" for site in data.sites if site != summary_site for line in key_messages(data, site)[:1]]
    body.text_frame.text = messages[0] if messages else "No figures."
    for line in messages[1:]:
        body.text_frame.add_paragraph().text = line
    style(body, 16)

    for chart in pack:
        slide = prs.slides.add_slide(prs.slide_layouts[5])
        slide.shapes.title.text = chart.title
        place(slide.shapes.title, 0.5, 0.25, 12.3, 1.0)
        style(slide.shapes.title, 22, True)
        png = pngs[chart.name]
        from PIL import Image
        width_px, height_px = Image.open(io.BytesIO(png)).size
        room_w, room_h = 12.3, 5.9
        scale = min(room_w / width_px, room_h / height_px)
        w, h = width_px * scale, height_px * scale
        slide.shapes.add_picture(io.BytesIO(png), Inches(0.5 + (room_w - w) / 2), Inches(1.35), Inches(w), Inches(h))
        slide.notes_slide.notes_text_frame.text = f"{chart.section}: {chart.heading}. {chart_footnote(data)}"
    prs.core_properties.title = f"UEC board pack: {data.trust}"
    prs.core_properties.author = "UEC Demand & Capacity Workbench"
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- workbook
def workbook_bytes(data: PackData) -> bytes:
    """The pack's tables as an XLSX workbook (injection-safe, with a notes sheet).

    Sheets: forecast, model selection, backtest scores, headline figures, beds, workforce, worst
    staffing gaps, scenario comparison and scenario parameters (those that apply), then Notes.
    """
    fc = data.forecast.copy()
    numbers = fc.select_dtypes("number").columns
    fc[numbers] = fc[numbers].round(2)
    fc = fc.assign(data_through=data.data_through, generated_at=data.generated_at)
    sheets = {"Forecast": fc}
    if not data.selection.empty:
        sheets["Model selection"] = data.selection.assign(
            model_label=data.selection["model"].map(model_label))
        sheets["Backtest scores"] = backtest_scores(data.selection)
    sheets["Headline figures"] = pd.concat(
        [headline_figures(data, s).assign(Site=s) for s in data.sites], ignore_index=True).round(1)
    if data.beds is not None:
        sheets["Beds"] = beds_frame(data.beds)
    if data.workforce is not None:
        sheets["Workforce"] = workforce_frame(data.workforce)
        sheets["Worst staffing gaps"] = worst_gap_table(data.workforce)
    if data.scenario_beds:
        sheets["Scenario comparison"] = scenario_comparison(data)[0]
    scenarios = data.scenarios or (BASELINE,)
    sheets["Scenario parameters"] = pd.DataFrame(
        [{"scenario": s.name, "setting": line, "json": s.to_json()} for s in scenarios for line in describe(s)])
    notes = standard_notes(synthetic=data.synthetic, nhse_data=data.nhse_data, data_through=data.data_through,
                           generated_at=data.generated_at, caveats=list(data.caveats) + list(data.notes))
    notes.insert(1 if data.synthetic else 0, ("Source", data.source))
    notes += [("Method", line) for heading, lines in methods_sections(data)
              if heading in ("Forecast models and their accuracy", "Assumptions") for line in lines]
    return xlsx_bytes(sheets, notes)
