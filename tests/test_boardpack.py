"""Board pack (forecasting.boardpack) and chart footnotes, on the sample: figures, charts, PDF, PPTX, XLSX."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from forecasting import boardpack as bp
from forecasting import charts, forecast
from forecasting import pack_documents as docs
from forecasting.capacity.los import read_spells
from forecasting.capacity.workforce import read_rota
from forecasting.io import SAMPLE_DIR, load_sample
from forecasting.scenarios import Scenario
from forecasting.schema import TRUST_TOTAL


def _sample_csv(name: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLE_DIR / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def data() -> bp.PackData:
    """The sample through the pipeline with a fast named model (auto is covered by the CLI test)."""
    return bp.run_pipeline(
        load_sample("daily"), horizon=90, model="seasonal_naive",
        bed_base=pd.read_csv(SAMPLE_DIR / "bed_base.csv", parse_dates=["date_from", "date_to"]),
        spells=read_spells(_sample_csv("spells.csv")), spells_window_start="2024-11-01",
        rota=read_rota(_sample_csv("rota.csv")), hourly=load_sample("hourly"),
        scenarios=[Scenario(name="SDEC 10 %", admissions_avoided_pct=10.0)],
        trust="Sample acute trust (synthetic)", source="bundled synthetic sample", synthetic=True,
        generated_at="2025-11-03 07:30", n_jobs=1)


@pytest.fixture(scope="module")
def pack(data) -> list[bp.PackChart]:
    return bp.pack_charts(data)


@pytest.fixture(scope="module")
def pngs(pack) -> dict[str, bytes]:
    """A small stand-in PNG per chart (real rendering is tested once below and end to end in the CLI)."""
    buffer = io.BytesIO()
    Image.new("RGB", (800, 420), "white").save(buffer, format="PNG")
    return {c.name: buffer.getvalue() for c in pack}


# --------------------------------------------------------------------------- footnotes
def test_footnote_text_names_source_data_through_model_and_generation_time():
    text = charts.footnote_text(source="bundled sample", data_through="2025-10-31", model="Count regression",
                                generated_at="2025-11-03 07:30")
    assert text == ("Source: bundled sample · Data through 31 Oct 2025 · Model: Count regression · "
                    "Generated 03 Nov 2025 07:30")
    assert charts.footnote_text(source="x") == "Source: x"


def test_with_footnote_keeps_the_title_and_adds_a_bottom_title():
    frame = pd.DataFrame({"site": "A", "date": pd.date_range("2025-01-01", periods=3), "value": [1, 2, 3]})
    chart = charts.history_chart(frame, metric="attendances", title="Message", width=400)
    spec = charts.with_footnote(chart, "Source: test").to_dict()
    assert spec["title"]["text"] == "Source: test" and spec["title"]["orient"] == "bottom"
    assert spec["vconcat"][0]["title"]["text"] == "Message"
    assert charts.with_footnote(chart, "") is chart


# --------------------------------------------------------------------------- figures
def test_pipeline_holds_forecast_beds_workforce_and_scenarios(data):
    assert data.sites == ["Alexandra", "Kidderminster", "Worcestershire Royal", TRUST_TOTAL]
    assert data.data_through == pd.Timestamp("2025-10-31")
    assert data.period == (pd.Timestamp("2025-11-01"), pd.Timestamp("2026-01-29"))
    assert set(data.forecast["metric"]) == {"attendances", "admissions"}
    assert data.beds is not None and data.workforce is not None and not data.notes
    assert [s.name for s in data.scenarios] == ["Baseline", "SDEC 10 %"]
    assert len(data.scenario_beds) == len(data.scenario_staff) == 2


def test_headline_figures_add_up_the_forecast_and_the_same_days_last_year(data):
    figures = bp.headline_figures(data, "Alexandra")
    assert list(figures["Weeks"]) == [4, 12, 4, 12]
    fc = data.forecast[(data.forecast["site"] == "Alexandra") & (data.forecast["metric"] == "admissions")]
    fc = fc.sort_values("date").head(28)
    act = data.activity[(data.activity["site"] == "Alexandra") & (data.activity["metric"] == "admissions")]
    act = act.set_index("date")["value"]
    last_year = sum(act[d - pd.Timedelta(days=364)] for d in fc["date"])
    row = figures[(figures["Measure"] == "Emergency admissions") & (figures["Weeks"] == 4)].iloc[0]
    assert row["Expected"] == pytest.approx(fc["mean"].sum())
    assert row["Same weeks last year"] == pytest.approx(last_year)
    assert row["Change (%)"] == pytest.approx(100 * (fc["mean"].sum() - last_year) / last_year)
    assert row["P10"] < row["Expected"] < row["P90"]


def test_headline_figures_leave_windows_past_the_horizon_empty(data):
    short = bp.PackData(**{**data.__dict__, "forecast": data.forecast[data.forecast["date"] < "2025-12-15"]})
    figures = bp.headline_figures(short, TRUST_TOTAL)
    assert figures.loc[figures["Weeks"] == 4, "Expected"].notna().all()
    assert figures.loc[figures["Weeks"] == 12, "Expected"].isna().all()


def test_key_messages_speak_plainly(data):
    lines = bp.key_messages(data, TRUST_TOTAL)
    assert lines[0].startswith("Across the trust, ") and "A&E attendances are expected in the next 12 weeks" in lines[0]
    assert any("occupied beds on an average night" in line for line in lines)
    assert any(line.startswith("Worst staffing gap ahead:") for line in lines)


def test_backtest_scores_read_the_automatic_choice():
    nan = float("nan")
    selection = pd.DataFrame([
        {"site": "A", "metric": "admissions", "model": "count_glm", "backtest_pinball": 1.6,
         "benchmark_pinball": 2.0},
        {"site": "B", "metric": "admissions", "model": "arima_errors+count_glm", "backtest_pinball": 1.5,
         "benchmark_pinball": 3.0},
        {"site": "C", "metric": "admissions", "model": "ets", "backtest_pinball": nan, "benchmark_pinball": nan},
    ])
    scores = bp.backtest_scores(selection)
    assert list(scores["site"]) == ["A", "B"]
    assert list(scores["better_than_benchmark_pct"]) == [20.0, 50.0]
    assert list(scores["pinball_loss"]) == [1.6, 1.5]


def test_backtest_scores_come_from_the_forecast_selection():
    d = load_sample("daily")
    y = d[(d["site"] == "Alexandra") & (d["metric"] == "admissions")].tail(500)
    named = forecast(y, 28, model="seasonal_naive", n_jobs=1).attrs["selection"]
    sel = pd.concat([forecast(y, 28, n_jobs=1).attrs["selection"], named.assign(site="B")])
    scores = bp.backtest_scores(sel)
    assert list(scores["site"]) == ["Alexandra"]  # the named model has no backtest of its own
    row = sel.iloc[0]
    # the figures behind the methods page are the ones auto quoted when it chose
    assert f"{row['backtest_pinball']:.2f}" in row["reason"]
    assert f"Seasonal naive {row['benchmark_pinball']:.2f}" in row["reason"]
    assert scores["pinball_loss"].iloc[0] < scores["benchmark_pinball_loss"].iloc[0]


def test_methods_cover_models_stays_assumptions_caveats_and_attribution(data):
    sections = dict(bp.methods_sections(data))
    assert list(sections) == ["About these figures", "Forecast models and their accuracy",
                              "Length of stay and occupied beds", "Assumptions", "Data quality caveats",
                              "Attribution"]
    assert sections["About these figures"][0].startswith("These figures come from synthetic sample data")
    assert any("same-day discharges count as 0 days" in line for line in sections["Length of stay and occupied beds"])
    assert any("target 78 %" in line and "95 %" in line for line in sections["Assumptions"])
    assert "Open Government Licence" in sections["Attribution"][0]
    assert sum(line.startswith("Demand: no change") for line in sections["Assumptions"]) == 0


# --------------------------------------------------------------------------- charts
def test_every_chart_has_a_message_title_and_a_footnote(pack):
    sections = [c.section for c in pack]
    assert sections == sorted(sections, key=["Recent performance (SPC)", "Forecasts", "Beds", "Workforce",
                                             "Scenarios"].index)
    assert [c.name[:3] for c in pack] == [f"{i:02d}_" for i in range(1, len(pack) + 1)]
    assert {c.name[3:] for c in pack} >= {"spc_attendances", "spc_admissions", "spc_four_hour_performance",
                                          "forecast_admissions_trust_total", "beds_trust_total",
                                          "workforce_worcestershire_royal_nurses", "scenarios_occupancy"}
    for c in pack:
        spec = c.chart.to_dict()
        footnote = spec["title"]
        assert footnote["orient"] == "bottom", c.name
        assert footnote["text"].startswith("Source: bundled synthetic sample · Data through 31 Oct 2025"), c.name
        assert footnote["text"].endswith("Generated 03 Nov 2025 07:30"), c.name
        inner = spec["vconcat"][0]
        assert inner["title"]["text"] == c.title, c.name
    forecast = next(c for c in pack if c.name.endswith("forecast_admissions_alexandra"))
    assert "Model: Seasonal naive" in forecast.chart.to_dict()["title"]["text"]
    assert forecast.title.startswith("Emergency admissions at Alexandra expected to peak at ~")


def test_four_hour_spc_chart_targets_78_percent_higher_is_better(pack):
    chart = next(c for c in pack if c.name.endswith("spc_four_hour_performance"))
    assert chart.title.startswith("4-hour performance across the trust: ")
    assert "78 % target" in chart.title
    text = str(chart.chart.to_dict())
    assert "higher is better; target 78 %" in text


def test_a_chart_renders_to_png():
    data_png = bp.render_charts([bp.PackChart("x", "S", "H", "T", charts.with_footnote(
        charts.history_chart(pd.DataFrame({"site": "A", "date": pd.date_range("2025-01-01", periods=5),
                                           "value": np.arange(5)}), metric="attendances", title="T"),
        "Source: test"))], ppi=72)
    assert data_png["x"].startswith(b"\x89PNG")


def test_pipeline_without_beds_or_rota_says_what_is_left_out():
    daily = load_sample("daily")
    daily = daily[daily["date"] >= "2024-01-01"]
    data = bp.run_pipeline(daily, horizon=28, model="seasonal_naive", n_jobs=1,
                           scenarios=[Scenario(name="Growth", demand_growth_pct=3.0)])
    assert data.beds is None and data.workforce is None and not data.scenarios
    assert any(n.startswith("Beds: left out") for n in data.notes)
    assert any(n.startswith("Workforce: left out") for n in data.notes)
    assert any(n.startswith("Scenario comparison: left out") for n in data.notes)
    sections = {c.section for c in bp.pack_charts(data)}
    assert sections == {"Recent performance (SPC)", "Forecasts"}
    assert set(data.notes) <= set(dict(bp.methods_sections(data))["Data quality caveats"])


def test_pipeline_refuses_data_without_attendances_or_admissions():
    beds_only = load_sample("daily")
    beds_only = beds_only[beds_only["metric"] == "occupied_beds"]
    with pytest.raises(bp.BoardPackError, match="none of the metrics"):
        bp.run_pipeline(beds_only, horizon=28)


# --------------------------------------------------------------------------- files
def test_pdf_opens_with_cover_summaries_charts_and_methods(data, pack, pngs):
    from pypdf import PdfReader

    raw = docs.pdf_bytes(data, pack, pngs)
    assert raw.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(raw), strict=True)
    texts = [" ".join(page.extract_text().split()) for page in reader.pages]
    # cover + a summary per site and the trust + a page per chart + scenario figures + methods (1-2 pages)
    fixed = 1 + len(data.sites) + len(pack) + 1
    assert fixed + 1 <= len(reader.pages) <= fixed + 2
    assert "Urgent and emergency care: demand and capacity board pack" in texts[0]
    assert "Data through: 31 October 2025" in texts[0] and "Synthetic data." in texts[0]
    assert "Period: 01 November 2025 to 29 January 2026" in texts[0]
    assert "Summary: Trust total" in texts[1]  # the trust first
    for site in ("Alexandra", "Kidderminster", "Worcestershire Royal"):
        assert any(f"Summary: {site}" in t for t in texts[2:5])
    assert "Next 12 weeks" in texts[1] and "Worst staffing gaps" in texts[1]
    for i, chart in enumerate(pack):
        assert chart.heading in texts[1 + len(data.sites) + i]
    assert "Scenario comparison: figures" in texts[fixed - 1]
    methods = " ".join(texts[fixed:])
    assert "Methods, assumptions and data quality" in methods and "Open Government Licence" in methods
    assert all(f"of {len(reader.pages)}" in t for t in texts[1:])
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline[:2] == ["Summary: Trust total", "Summary: Alexandra"] and "Methods and caveats" in outline


def test_pptx_opens_with_a_title_a_summary_and_one_chart_per_slide(data, pack, pngs):
    from pptx import Presentation
    from pptx.util import Inches

    raw = docs.pptx_bytes(data, pack, pngs)
    assert raw[:2] == b"PK"
    deck = Presentation(io.BytesIO(raw))
    assert (deck.slide_width, deck.slide_height) == (Inches(13.333), Inches(7.5))
    slides = list(deck.slides)
    assert len(slides) == 2 + len(pack)
    assert slides[0].shapes.title.text == "Urgent and emergency care: demand and capacity"
    assert slides[1].shapes.title.text == "Summary: Trust total"
    assert [s.shapes.title.text for s in slides[2:]] == [c.title for c in pack]
    for slide in slides[2:]:
        pictures = [sh for sh in slide.shapes if sh.shape_type == 13]
        assert len(pictures) == 1 and pictures[0].left >= 0
        assert pictures[0].left + pictures[0].width <= deck.slide_width
        assert pictures[0].top + pictures[0].height <= deck.slide_height


def test_workbook_has_every_table_and_notes(data):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(docs.workbook_bytes(data)))
    assert book.sheetnames == ["Forecast", "Model selection", "Backtest scores", "Headline figures", "Beds",
                               "Workforce", "Worst staffing gaps", "Scenario comparison", "Scenario parameters",
                               "Notes"]
    notes = [row[0].value for row in book["Notes"].iter_rows(min_row=2)]
    assert notes[0] == "Synthetic data" and "Attribution" in notes and "Method" in notes


def test_charts_zip_holds_each_png(pngs):
    import zipfile

    with zipfile.ZipFile(io.BytesIO(bp.charts_zip(pngs))) as zf:
        assert sorted(zf.namelist()) == sorted(f"{n}.png" for n in pngs)


def test_pipeline_refuses_monthly_data():
    months = pd.DataFrame({"site": "A", "metric": "attendances", "value": 3000.0,
                           "date": pd.date_range("2022-01-01", periods=36, freq="MS")})
    with pytest.raises(bp.BoardPackError, match="daily or hourly data; this data is monthly"):
        bp.run_pipeline(months, horizon=28)


def test_one_site_pack_has_no_trust_total(pngs):
    daily = load_sample("daily")
    daily = daily[(daily["site"] == "Alexandra") & (daily["date"] >= "2024-01-01")]
    data = bp.run_pipeline(daily, horizon=28, model="seasonal_naive", n_jobs=1)
    assert data.sites == ["Alexandra"]
    pack = bp.pack_charts(data)
    assert not any("trust" in c.name for c in pack)
    one = {c.name: next(iter(pngs.values())) for c in pack}
    from pptx import Presentation
    deck = Presentation(io.BytesIO(docs.pptx_bytes(data, pack, one)))
    assert deck.slides[1].shapes.title.text == "Summary: Alexandra"
    assert docs.pdf_and_pages(data, pack, one)[1] >= 1 + 1 + len(pack) + 1


def test_week_in_progress_joins_actual_days_to_the_forecast():
    days = pd.date_range("2025-10-27", "2025-11-09")  # Monday 27 Oct to Sunday 9 Nov
    series = pd.DataFrame({"date": days[:5], "value": [10.0] * 5})  # Mon-Fri actual
    fc = pd.DataFrame({"site": "A", "metric": "admissions", "model": "m", "date": days[5:], "mean": 20.0,
                       "p10": 15.0, "p90": 25.0})
    weekly = bp._weekly_forecast(fc, series)
    assert list(weekly["date"]) == [pd.Timestamp("2025-10-27"), pd.Timestamp("2025-11-03")]
    assert weekly["mean"].tolist() == [50 + 40, 140]
    assert weekly.loc[0, "p10"] < 90 < weekly.loc[0, "p90"]
