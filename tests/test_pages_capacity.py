"""The Beds, Workforce and Scenarios pages (AppTest) and the ui glue behind them, on the sample."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from forecasting.io import SAMPLE_DIR, load_sample
from forecasting.scenarios import Scenario, ScenarioError
from ui import capacity as cap
from ui import capacity_forms as forms

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _charts(at):
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]




def _download_labels(at) -> list[str]:
    return [d.proto.label for d in at.get("download_button")]


@pytest.fixture(scope="module")
def daily():
    return load_sample("daily")


@pytest.fixture(scope="module")
def beds_page():
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("app_pages/beds.py").run()
    return at


# --------------------------------------------------------------------------- Beds page
def test_beds_page_shows_trust_occupancy_against_the_bed_base(beds_page):
    at = beds_page
    assert not at.exception and not at.error
    assert [t.value for t in at.title] == ["Beds"]
    assert at.radio(key="beds_site").value == "Trust total"
    assert at.radio(key="beds_site").options == ["Alexandra", "Worcestershire Royal", "Trust total"]
    labels = [m.label for m in at.metric]
    assert labels[:2] == ["Occupied beds, average night", "Highest P90"]
    assert "Days over 92 % of core beds" in labels
    assert all(m.value.endswith("of 90") for m in at.metric[2:4])
    chart = _charts(at)[0]
    assert chart["title"]["text"].startswith("Occupied beds across the trust expected to peak at ~")
    lines = next(layer for layer in chart["layer"] if layer["encoding"].get("strokeDash"))
    assert lines["encoding"]["strokeDash"]["scale"]["domain"] == [
        "Core beds", "Core + escalation beds", "92% of core beds"]
    assert any("same-day discharges count as 0 days" in c.value for c in at.caption)
    footnote = chart["title"]["subtitle"][-1]       # provenance on the chart itself, for board papers
    assert footnote.startswith("Source: Bundled sample") and "Data through 31 Oct 2025" in footnote
    assert "Model: " in footnote and "Generated " in footnote


def test_beds_page_lists_assumptions_and_days_at_risk(beds_page):
    at = beds_page
    text = " ".join(m.value for m in at.markdown)
    assert "Kaplan-Meier" in text and "Inpatients now at Alexandra: 339" in text
    assert "Inpatients now at Worcestershire Royal: 478" in text
    assert "from the bundled sample spells extract (spells.csv))" in text  # says it is the sample
    risk = at.dataframe[0].value
    assert list(risk["Month"]) == ["Nov 2025", "Dec 2025", "Jan 2026"]
    assert risk["Days"].sum() == 90
    band_cols = [c for c in risk.columns if c.startswith("Days in band")]
    assert len(band_cols) == 4 and (risk[band_cols].sum(axis=1) == risk["Days"]).all()
    assert "Download beds by site and day (CSV)" in _download_labels(at)
    by_age = next(d.value for d in at.dataframe if "Age band" in d.value.columns)
    assert set(by_age["Age band"]) == {"0-17", "18-64", "65-79", "80+"}
    assert any(c.value.startswith("From the spells extract, bundled sample (spells.csv), for Alexandra, "
                                  "Worcestershire Royal:") for c in at.caption)


def _loaded(frame, name):
    from forecasting.io import LoadResult
    from forecasting.schema import ValidationReport
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.session_state["dataset"] = {"source": "upload", "name": name, "key": f"{name}{len(frame)}",
                                   "result": LoadResult(frame, ValidationReport())}
    return at


def test_stay_by_group_table_shows_only_the_datas_sites_and_only_for_stays_from_spells(daily):
    at = _loaded(daily[daily["site"] == "Alexandra"].reset_index(drop=True), "alex.csv")
    at.switch_page("app_pages/beds.py").run()
    assert not at.exception and not at.error
    by_age = next(d.value for d in at.dataframe if "Age band" in d.value.columns)
    assert set(by_age["Site"]) == {"Alexandra"}  # not the sample's other site
    assert any("bundled sample (spells.csv), for Alexandra:" in c.value for c in at.caption)
    at.radio(key="beds_los_source").set_value("summary").run()
    assert not at.exception and not at.error
    assert not any("Age band" in d.value.columns for d in at.dataframe)
    assert any("these stays come from the mean and 90th percentile entered above" in c.value for c in at.caption)
    # sites the spells extract does not have are left out of the table
    assert cap.spells_sites(cap.InputFile("spells.csv"), ("Redditch General", "Alexandra")) == ("Alexandra",)


def test_beds_page_site_switch_and_census_entered_by_hand(beds_page):
    at = beds_page
    at.radio(key="beds_site").set_value("Alexandra").run()
    assert at.get("vega_lite_chart")[0] and "at Alexandra" in _charts(at)[0]["title"]["text"]
    at.radio(key="beds_census_source").set_value("counts").run()
    assert at.number_input(key="beds_census_Alexandra").value == 339  # defaults to the last census
    at.number_input(key="beds_census_Alexandra").set_value(200).run()
    assert not at.exception and not at.error
    text = " ".join(m.value for m in at.markdown)
    assert "Inpatients now at Alexandra: 200 (entered by hand" in text


def test_beds_csv_is_the_capacity_contract(daily):
    outlook = cap.bed_outlook(daily, cap.BedSettings(horizon=30))
    frame = pd.read_csv(io.BytesIO(cap.beds_csv(outlook)))
    for col in ("site", "date", "resource", "scenario", "mean", "p10", "p50", "p90", "available",
                "escalation", "p_exceed", "opel_band", "shortfall_p90", "data_through", "generated_at"):
        assert col in frame.columns
    assert set(frame["site"]) == {"Alexandra", "Worcestershire Royal", "Trust total"}
    assert len(frame) == 3 * 30 and (frame["resource"] == "beds").all()
    trust = frame[frame["site"] == "Trust total"].set_index("date")
    sites = frame[frame["site"] != "Trust total"].groupby("date")[["mean", "available"]].sum()
    assert (trust["mean"] - sites["mean"]).abs().max() < 0.0025  # rounded to 3 places
    assert (trust["available"] == sites["available"]).all()
    assert frame["p_exceed"].between(0, 1).all()


def test_scenarios_move_occupancy_the_right_way(daily):
    settings = cap.BedSettings(horizon=60)
    base = cap.bed_outlook(daily, settings)
    sdec = cap.bed_outlook(daily, settings, Scenario(name="SDEC", admissions_avoided_pct=10).to_json())
    longer = cap.bed_outlook(daily, settings, Scenario(name="Longer", los_change_days=1).to_json())
    ward = cap.bed_outlook(daily, settings, Scenario(name="Ward", bed_changes=(
        {"site": "Alexandra", "start": "2025-11-01", "end": "2026-12-31", "beds": 40},)).to_json())
    mean = {o.scenario: cap.bed_headlines(o, "Trust total")["mean"] for o in (base, sdec, longer, ward)}
    assert mean["SDEC"] < mean["Baseline"] < mean["Longer"]
    assert mean["Ward"] == pytest.approx(mean["Baseline"])  # beds do not change demand
    assert cap.bed_headlines(ward, "Alexandra")["over_target"] < cap.bed_headlines(base, "Alexandra")["over_target"]
    los = longer.los.set_index("site")
    assert (los["mean_in_scenario"] - los["mean_now"]).between(0.9, 1.1).all()


def test_bad_bed_base_and_spells_uploads_name_the_rows():
    bad_base = b"site,date_from,date_to,core_beds,escalation_beds\nAlexandra,2025-01-01,2026-12-31,-5,0\n"
    with pytest.raises(cap.CapacityUnavailable, match=r"beds\.csv: .*row.* 2.*core_beds missing or negative"):
        cap.read_bed_base_file(cap.InputFile("beds.csv", bad_base))
    bad_spells = (b"patient_id,site,admission_date,discharge_date\nP1,Alexandra,2025-03-10,2025-03-01\n"
                  b"P2,Alexandra,2025-03-10,\n")
    with pytest.raises(cap.CapacityUnavailable, match=r"spells\.csv: .*row 2: Discharge is before admission"):
        cap.read_spells_file(cap.InputFile("spells.csv", bad_spells))
    uk_base = (b"site,date_from,date_to,core_beds,escalation_beds\nAlexandra,01/04/2019,30/11/2025,352,20\n"
               b"Alexandra,01/12/2025,31/03/2027,380,20\n")
    read = cap.read_bed_base_file(cap.InputFile("uk_beds.csv", uk_base))  # day-first, so no overlap
    assert list(read["date_from"].dt.strftime("%d %b %Y")) == ["01 Apr 2019", "01 Dec 2025"]
    with pytest.raises(cap.CapacityUnavailable, match=r"uk_beds\.csv: .*column 'date_to', row 3: Date could not be read"):
        cap.read_bed_base_file(cap.InputFile("uk_beds.csv", uk_base.replace(b"31/03/2027", b"31/04/2027")))
    good = cap.read_spells_file(cap.InputFile("spells.csv", bad_spells.replace(b"2025-03-01", b"2025-03-12")))
    assert "patient_id" not in good.columns and len(good) == 2  # identifiers dropped on read


def test_sites_whose_bed_base_starts_later_are_accepted(daily):
    base = (b"site,date_from,date_to,core_beds,escalation_beds\nAlexandra,2024-04-01,2027-03-31,352,20\n"
            b"Worcestershire Royal,2025-04-01,2027-03-31,540,34\n")
    outlook = cap.bed_outlook(daily, cap.BedSettings(horizon=30, bed_base=cap.InputFile("later.csv", base)))
    assert cap.bed_headlines(outlook, "Worcestershire Royal")["days"] == 30
    gap = base + b"Alexandra,2027-05-01,2027-12-31,352,20\n"  # a real gap inside Alexandra's rows
    with pytest.raises(cap.CapacityUnavailable,
                       match=r"gap\.csv: .*no bed base for Alexandra from 2027-04-01 to 2027-04-30 \(between rows 2 and 4\)"):
        cap.read_bed_base_file(cap.InputFile("gap.csv", gap))


def test_los_from_summary_figures(daily):
    settings = cap.BedSettings(horizon=30, los_source="summary",
                               los_summary=(("Alexandra", 9.0, 20.0), ("Worcestershire Royal", 7.0, 15.0)))
    outlook = cap.bed_outlook(daily, settings)
    los = outlook.los.set_index("site")
    assert los.loc["Alexandra", "mean_now"] == pytest.approx(9.0, abs=0.01)
    assert "lognormal" in los.loc["Alexandra", "source"]
    with pytest.raises(cap.CapacityUnavailable, match="Worcestershire Royal"):
        cap.bed_outlook(daily, cap.BedSettings(horizon=30, los_source="summary",
                                               los_summary=(("Alexandra", 9.0, 20.0),)))


# --------------------------------------------------------------------------- Workforce page
def test_workforce_page_shows_heatmaps_gaps_and_queueing():
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("app_pages/workforce.py").run()
    assert not at.exception and not at.error
    assert [t.value for t in at.title] == ["Workforce"]
    assert at.multiselect(key="staff_nurse_led").value == ["Kidderminster"]
    assert [m.label for m in at.metric] == ["Clinicians gap", "Nurses gap"]
    charts = _charts(at)
    assert len(charts) == 2 and charts[0]["title"]["text"].startswith("Alexandra, clinicians:")
    assert "weekly hours short" in charts[0]["title"]["text"]
    worst = at.dataframe[0].value
    assert {"Coming week", "Coming weekend", "Next bank holiday"} <= set(worst["When"])
    assert (worst["Short by"] > 0).all() and (worst["Site"] == "Alexandra").all()
    assert any("approximation (Erlang-C)" in c.value for c in at.caption)
    assert "Download required vs rostered staff by hour (CSV)" in _download_labels(at)
    # Kidderminster is nurse-led: demand needs no clinicians (the few rostered are spare)
    at.radio(key="staff_site").set_value("Kidderminster").run()
    titles = [c["title"]["text"] for c in _charts(at)]
    assert titles[0] == "Kidderminster, clinicians: the rota covers demand in every hour of the week"
    assert titles[1].startswith("Kidderminster, nurses")
    assert [m.label for m in at.metric] == ["Clinicians gap", "Nurses gap"]
    assert at.metric[0].value == "0.0 WTE"
    # a higher planning level never needs fewer staff
    before = float(at.metric[1].value.split()[0])
    at.radio(key="staff_quantile").set_value(0.9).run()
    assert float(at.metric[1].value.split()[0]) >= before


def test_workforce_rota_changes_and_bad_rota(daily):
    base = cap.workforce_outlook(daily, cap.WorkforceSettings())
    extra = Scenario(name="Extra", rota_changes=({"site": "Alexandra", "weekday": "All", "hour_from": 8,
                                                   "hour_to": 23, "role": "clinicians", "change": 2},))
    more = cap.workforce_outlook(daily, cap.WorkforceSettings(), extra.to_json())
    wte = lambda o: o.wte.set_index(["site", "role"])["wte"]  # noqa: E731
    assert wte(more)[("Alexandra", "clinicians")] < wte(base)[("Alexandra", "clinicians")]
    assert wte(more)[("Worcestershire Royal", "nurses")] == wte(base)[("Worcestershire Royal", "nurses")]
    csv = pd.read_csv(io.BytesIO(cap.workforce_csv(base)))
    assert {"site", "date", "resource", "scenario", "required", "available", "gap"} <= set(csv.columns)
    assert set(csv["resource"]) == {"clinicians", "nurses"}
    bad = b"site,weekday,hour,clinicians,nurses\nAlexandra,Monday,24,2,3\nAlexandra,Funday,3,2,3\n"
    with pytest.raises(cap.CapacityUnavailable, match=r"rota\.csv: .*'Funday' in row 3.*hour outside 0-23 in row 2"):
        cap.read_rota_file(cap.InputFile("rota.csv", bad))


# --------------------------------------------------------------------------- Scenarios page
def test_scenarios_page_builds_saves_and_compares():
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("app_pages/scenarios.py").run()
    assert not at.exception and not at.error
    assert any("No scenarios saved yet" in i.value for i in at.info)
    table = at.dataframe[-1].value  # the editors of the form come first
    assert list(table.columns) == ["Measure", "Baseline"]
    at.text_input(key="scn_name").set_value("SDEC 10 %")
    at.number_input(key="scn_avoided").set_value(10.0)
    at.button[0].click().run()  # the form's Save button
    assert not at.exception and not at.error
    assert any("Saved 'SDEC 10 %'" in s.value for s in at.success)
    assert at.multiselect(key="scn_compare").value == ["SDEC 10 %"]
    table = at.dataframe[-1].value.set_index("Measure")
    assert list(table.columns) == ["Baseline", "SDEC 10 %"]
    row = "Expected occupied beds, average night (Trust total)"
    assert table.loc[row, "SDEC 10 %"] < table.loc[row, "Baseline"]
    text = " ".join(m.value for m in at.markdown)
    assert "Admissions avoided (e.g. same-day emergency care): 10 %" in text
    assert "Download the comparison (CSV)" in _download_labels(at)
    chart = _charts(at)[0]
    assert "SDEC 10 %" in chart["title"]["text"]
    # an unnamed scenario is refused with a reason, and nothing is saved
    at.text_input(key="scn_name").set_value("")
    at.button[0].click().run()
    assert any("The scenario was not saved" in e.value and "needs a name" in e.value for e in at.error)
    assert list(at.session_state["saved_scenarios"]) == ["SDEC 10 %"]


def test_scenario_editor_rows_and_files():
    beds = pd.DataFrame({"site": ["Alexandra", None], "start": [pd.Timestamp("2025-12-01"), None],
                         "end": [pd.Timestamp("2026-03-31"), None], "beds": [24, None]})
    rota = pd.DataFrame({"site": ["Alexandra"], "weekday": ["Saturday"], "hour_from": [10], "hour_to": [22],
                         "role": ["nurses"], "change": [1]})
    s = forms.scenario_from_editors(name="Winter", growth=3, avoided=0, los_days=-0.5, los_pct=0, target_pct=92,
                                    bed_rows=beds, rota_rows=rota)
    assert s.bed_changes[0].beds == 24 and s.rota_changes[0].weekday == "Saturday"
    assert Scenario.from_json(s.to_json()) == s
    half = beds.assign(beds=[24, 5])  # second row has beds but no site or dates
    with pytest.raises(ScenarioError, match="Bed change row 2: fill in site, start, end"):
        forms.scenario_from_editors(name="X", growth=0, avoided=0, los_days=0, los_pct=0, target_pct=92,
                                    bed_rows=half, rota_rows=rota.iloc[:0])
    with pytest.raises(ScenarioError, match=r"winter\.json: This is not a scenario file"):
        forms.load_scenario_file(b"{not json", "winter.json")
    assert forms.load_scenario_file(s.to_json().encode(), "w.json") == s


def test_compare_scenarios_baseline_first_and_at_most_four(daily):
    jsons = tuple(Scenario(name=f"Growth {g}", demand_growth_pct=g).to_json() for g in (1, 2, 3, 4))
    table, series, traces, left_out = cap.compare_scenarios(daily, cap.BedSettings(horizon=30),
                                                            cap.WorkforceSettings(), jsons)
    assert left_out == []
    assert list(table.columns) == ["Measure", "Baseline", "Growth 1", "Growth 2", "Growth 3", "Growth 4"]
    beds = table.set_index("Measure").loc["Expected occupied beds, average night (Trust total)"]
    assert list(beds) == sorted(beds)
    assert list(traces) == list(table.columns[1:])
    with pytest.raises(cap.CapacityUnavailable, match="at most four"):
        cap.compare_scenarios(daily, cap.BedSettings(horizon=30), cap.WorkforceSettings(),
                              jsons + (Scenario(name="Fifth").to_json(),))


def test_capacity_pages_reuse_the_forecast_pages_fit(monkeypatch):
    """Beds and Workforce slice the Forecast page's cached fit instead of fitting every series again."""
    import ui.forecasting as fui
    calls = []
    real = fui.forecast
    monkeypatch.setattr(fui, "forecast", lambda *a, **k: calls.append(1) or real(*a, **k))
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("app_pages/forecast.py").run()
    fitted = len(calls)
    at.switch_page("app_pages/beds.py").run()
    at.switch_page("app_pages/workforce.py").run()
    assert not at.exception and not at.error
    assert len(calls) == fitted


def test_uploads_and_scenario_choice_survive_a_visit_to_another_page():
    base = (SAMPLE_DIR / "bed_base.csv").read_bytes()
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.session_state["saved_scenarios"] = {"SDEC": Scenario(name="SDEC", admissions_avoided_pct=10).to_json()}
    at.switch_page("app_pages/beds.py").run()
    assert at.slider(key="beds_horizon").max == 426        # the sample's bed base ends 31 Dec 2026
    at.file_uploader(key="beds_base_file").set_value(("my_beds.csv", base, "text/csv")).run()
    at.selectbox(key="beds_scenario").set_value("SDEC").run()
    assert any("bed base (upload: my_beds.csv)" in m.value for m in at.markdown)
    at.switch_page("app_pages/workforce.py").run()
    at.switch_page("app_pages/beds.py").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="beds_scenario").value == "SDEC"
    text = " ".join(m.value for m in at.markdown)
    assert "bed base (upload: my_beds.csv)" in text and "Scenario: SDEC" in text
    assert any("In use: upload: my_beds.csv" in c.value for c in at.caption)
    at.button(key="beds_base_file_reset").click().run()
    assert any("bundled sample (bed_base.csv)" in m.value for m in at.markdown)


def test_a_loaded_scenario_file_is_loaded_once():
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("app_pages/scenarios.py").run()
    text = Scenario(name="From file", demand_growth_pct=2).to_json().encode()
    at.file_uploader(key="scn_upload").set_value(("s.json", text, "application/json")).run()
    assert any("Loaded 'From file'" in s.value for s in at.success)
    assert at.multiselect(key="scn_compare").value == ["From file"]
    at.multiselect(key="scn_compare").set_value([]).run()      # the user unticks it ...
    assert at.multiselect(key="scn_compare").value == []       # ... and it stays unticked
    at.button(key="scn_del_From file").click().run()
    assert "From file" not in at.session_state["saved_scenarios"]


def test_scenario_comparison_keeps_beds_when_staffing_cannot_be_worked_out(daily):
    # admissions without attendances: no staffing outlook, but the beds comparison still stands
    adm = daily[daily["metric"] != "attendances"]
    jsons = (Scenario(name="Growth 2", demand_growth_pct=2).to_json(),)
    table, series, traces, left_out = cap.compare_scenarios(adm, cap.BedSettings(horizon=30),
                                                            cap.WorkforceSettings(), jsons)
    assert list(table.columns) == ["Measure", "Baseline", "Growth 2"]
    measures = table["Measure"].tolist()
    assert "Expected occupied beds, average night (Trust total)" in measures
    assert not any(m.startswith("ED ") for m in measures)
    assert len(left_out) == 1 and left_out[0].startswith("Staffing left out of the comparison:")
    assert not series.empty and list(traces) == ["Baseline", "Growth 2"]


def test_a_scenario_for_other_sites_is_left_out_of_the_comparison_on_its_own(daily):
    from forecasting.scenarios import BedChange
    other = Scenario(name="Other trust ward", bed_changes=(BedChange(site="City Hospital", start="2025-11-10",
                                                                      end="2025-12-31", beds=20),))
    good = Scenario(name="Growth 2", demand_growth_pct=2)
    table, series, traces, left_out = cap.compare_scenarios(
        daily, cap.BedSettings(horizon=30), cap.WorkforceSettings(), (other.to_json(), good.to_json()))
    assert list(table.columns) == ["Measure", "Baseline", "Growth 2"]
    [note] = left_out
    assert note.startswith("Scenario 'Other trust ward' left out of the comparison:")
    assert "City Hospital, which is not one of the sites forecast with a bed base" in note
