"""The engine's bed and workforce outlooks (no Streamlit): inputs in, figures and clear errors out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecasting.capacity.los import read_spells
from forecasting.capacity.outlook import (OutlookError, bed_headlines, bed_outlook, beds_frame,
                                          risk_table, workforce_outlook, worst_gap_table)
from forecasting.capacity.workforce import WorkforceParams, read_rota
from forecasting.io import SAMPLE_DIR, load_sample
from forecasting.scenarios import Scenario

BED_BASE = pd.read_csv(SAMPLE_DIR / "bed_base.csv", parse_dates=["date_from", "date_to"])


def _forecast(metric: str, means: dict, days=120, start="2025-11-01") -> pd.DataFrame:
    parts = []
    for site, mu in means.items():
        f = pd.DataFrame({"site": site, "metric": metric, "date": pd.date_range(start, periods=days),
                          "model": "test", "mean": float(mu)})
        for q in (0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975):
            f[f"p{q * 100:g}"] = mu + stats.norm.ppf(q) * 1.3 * np.sqrt(mu)
        parts.append(f)
    return pd.concat(parts, ignore_index=True)


ADM = _forecast("admissions", {"Alexandra": 45, "Worcestershire Royal": 70})


def test_bed_outlook_from_summary_and_counts_is_steady_and_sums_to_the_trust():
    out = bed_outlook(ADM, bed_base=BED_BASE, los_summary={"Alexandra": (7.0, 15.0),
                                                           "Worcestershire Royal": (7.0, 15.0)},
                      census_counts={"Alexandra": 315, "Worcestershire Royal": 490}, horizon=60)
    assert out.sites == ("Alexandra", "Worcestershire Royal", "Trust total")
    assert out.comparison["date"].nunique() == 60
    alex = out.occupancy[out.occupancy["site"] == "Alexandra"]["mean"].to_numpy()
    assert alex == pytest.approx(np.full(60, 45 * 7.0), rel=0.02)  # entered census = steady state
    h = bed_headlines(out, "Trust total")
    assert h["mean"] == pytest.approx(sum(bed_headlines(out, s)["mean"] for s in out.sites[:2]))
    table = risk_table(out, "Alexandra")
    assert table["Days"].sum() == 60
    frame = beds_frame(out)
    assert {"available", "escalation", "p_exceed", "opel_band"} <= set(frame.columns)
    assert any("entered by hand" in line for line in out.trace)


def test_bed_outlook_errors_say_what_to_fix():
    spells = read_spells(SAMPLE_DIR / "spells.csv")
    with pytest.raises(OutlookError, match="no rows for Alexandra"):
        bed_outlook(ADM, bed_base=BED_BASE[BED_BASE["site"] != "Alexandra"], spells=spells,
                    spells_window_start="2024-11-01")
    with pytest.raises(OutlookError, match=r"No bed base for Alexandra from 2027-01-01 to 2027-03-15; add a row .* Or shorten the horizon"):
        bed_outlook(_forecast("admissions", {"Alexandra": 45}, days=500), bed_base=BED_BASE, spells=spells,
                    horizon=None)
    late = _forecast("admissions", {"Alexandra": 45}, start="2026-03-01")
    with pytest.raises(OutlookError, match="spells extract ends on 31 Oct 2025"):
        bed_outlook(late, bed_base=BED_BASE, spells=spells)
    with pytest.raises(OutlookError, match="no emergency admissions"):
        bed_outlook(_forecast("attendances", {"Alexandra": 200}), bed_base=BED_BASE, spells=spells)
    with pytest.raises(OutlookError, match="closes more beds"):
        bed_outlook(ADM, bed_base=BED_BASE, spells=spells, spells_window_start="2024-11-01",
                    scenario=Scenario(name="Shut", bed_changes=({"site": "Alexandra", "start": "2025-11-01",
                                                                  "end": "2025-11-30", "beds": -900},)))


def test_workforce_outlook_needs_hourly_arrivals_and_finds_gaps():
    hourly = load_sample("hourly")
    rota = read_rota(SAMPLE_DIR / "rota.csv")
    att = _forecast("attendances", {"Alexandra": 180, "Kidderminster": 60}, days=100)
    out = workforce_outlook(att, hourly_history=hourly, rota=rota,
                            params=WorkforceParams(nurse_led_sites=("Kidderminster",)), days=14)
    assert out.sites == ("Alexandra", "Kidderminster")
    assert pd.to_datetime(out.gaps["date"]).dt.normalize().nunique() == 14
    assert (out.gaps.loc[(out.gaps["site"] == "Kidderminster") & (out.gaps["role"] == "clinicians"), "required"] == 0).all()
    worst = worst_gap_table(out)
    assert set(worst["When"]) <= {"Coming week", "Coming weekend", "Next bank holiday"}
    assert "Christmas Day 2025-12-25" in set(worst["Period"])  # 90-day lookahead reaches it
    with pytest.raises(OutlookError, match="No hourly arrivals for Nowhere"):
        workforce_outlook(_forecast("attendances", {"Nowhere": 50}), hourly_history=hourly, rota=rota)


def test_planning_ceiling_adds_a_column_but_never_a_band():
    """A 95 % ceiling (not an OPEL threshold) gets its probability column; the bands stay 1-4."""
    kw = dict(bed_base=BED_BASE, los_summary={"Alexandra": (7.0, 15.0), "Worcestershire Royal": (7.0, 15.0)},
              census_counts={"Alexandra": 340, "Worcestershire Royal": 500}, horizon=60)
    for ceiling in (0.95, 0.92345):
        out = bed_outlook(ADM, scenario=Scenario(name="Ceiling", target_occupancy=ceiling), **kw)
        assert set(out.comparison["opel_band"]) <= {1, 2, 3, 4}
        table = risk_table(out, "Alexandra")
        bands = [c for c in table.columns if c.startswith("Days in band")]
        assert len(bands) == 4 and (table[bands].sum(axis=1) == table["Days"]).all()
        h = bed_headlines(out, "Alexandra")            # no KeyError for a ceiling with many decimals
        assert 0 <= h["expected_over_target"] <= 60
        assert beds_frame(out)["p_exceed"].between(0, 1).all()


def test_bed_base_gap_is_refused_not_read_as_no_beds():
    gap = pd.concat([BED_BASE[BED_BASE["site"] != "Alexandra"], pd.DataFrame([
        {"site": "Alexandra", "date_from": pd.Timestamp("2022-10-01"), "date_to": pd.Timestamp("2025-11-30"),
         "core_beds": 352, "escalation_beds": 20},
        {"site": "Alexandra", "date_from": pd.Timestamp("2025-12-15"), "date_to": pd.Timestamp("2026-12-31"),
         "core_beds": 352, "escalation_beds": 20}])], ignore_index=True)
    with pytest.raises(OutlookError, match=r"No bed base for Alexandra from 2025-12-01 to 2025-12-14"):
        bed_outlook(ADM, bed_base=gap, los_summary={"Alexandra": (7.0, 15.0), "Worcestershire Royal": (7.0, 15.0)},
                    census_counts={"Alexandra": 300, "Worcestershire Royal": 450}, horizon=60)


def test_summary_stays_fall_back_to_a_gamma_and_explain_impossible_pairs():
    out = bed_outlook(ADM, bed_base=BED_BASE, los_summary={"Alexandra": (7.74, 19.0),
                                                           "Worcestershire Royal": (7.15, 18.0)},
                      census_counts={"Alexandra": 300, "Worcestershire Royal": 450}, horizon=30)
    assert out.los.set_index("site").loc["Alexandra", "mean_now"] == pytest.approx(7.74, abs=0.02)
    with pytest.raises(OutlookError, match="Alexandra: no right-skewed stay has a mean of 9 days") as err:
        bed_outlook(ADM, bed_base=BED_BASE, los_summary={"Alexandra": (9.0, 8.0), "Worcestershire Royal": (7.0, 15.0)},
                    census_counts={"Alexandra": 300, "Worcestershire Royal": 450}, horizon=30)
    assert "family" not in str(err.value)


def test_an_hourly_forecast_sets_the_first_48_hours():
    hourly = load_sample("hourly")
    rota = read_rota(SAMPLE_DIR / "rota.csv")
    att = _forecast("attendances", {"Alexandra": 180}, days=100)
    hours = pd.date_range("2025-11-01 00:00", periods=72, freq="h")
    hf = pd.DataFrame({"site": "Alexandra", "metric": "attendances", "date": hours, "model": "test",
                       "mean": 30.0, "p10": 23.0, "p90": 37.0})       # far above the spread (~7.5 an hour)
    base = workforce_outlook(att, hourly_history=hourly, rota=rota, days=7)
    own = workforce_outlook(att, hourly_history=hourly, rota=rota, days=7, hourly_forecast=hf)
    req = lambda o: o.gaps[o.gaps["role"] == "clinicians"].set_index("date")["required"]  # noqa: E731
    first, later = req(own).index < pd.Timestamp("2025-11-03"), req(own).index >= pd.Timestamp("2025-11-03")
    assert (req(own)[first] >= 12).all() and (req(base)[first] < 12).all()   # 30+/h at 2.5 per clinician-hour
    assert (req(own)[later] == req(base)[later]).all()                      # hour 49 on: the spread again
    assert any("first 48 hours from the hourly model" in line for line in own.trace)


def test_nurse_led_sites_only_when_the_data_can_tell():
    from forecasting.capacity.outlook import nurse_led_sites
    assert nurse_led_sites(load_sample("daily")) == ("Kidderminster",)
    assert nurse_led_sites(load_sample("hourly")) == ()      # attendances only: an ED looks like an MIU


def test_census_from_spells_is_refused_outside_the_extract_at_any_site():
    """Data ending before the extract starts, or a site whose spells stop early, gives no census rather than ~0."""
    spells = read_spells(SAMPLE_DIR / "spells.csv")
    summary = {"Alexandra": (7.0, 15.0), "Worcestershire Royal": (7.0, 15.0)}
    early = _forecast("admissions", {"Alexandra": 45, "Worcestershire Royal": 70}, start="2024-07-01")
    with pytest.raises(OutlookError) as err:
        bed_outlook(early, bed_base=BED_BASE, spells=spells, spells_window_start="2024-11-01")
    assert str(err.value).startswith("The spells extract starts on 01 Nov 2024, after the data's last day "
                                     "30 Jun 2024")
    assert "Load a spells extract that covers 30 Jun 2024, or enter the number of inpatients" in str(err.value)
    with pytest.raises(OutlookError, match="starts on 01 Nov 2024"):   # no window given: its first discharge
        bed_outlook(early, bed_base=BED_BASE, spells=spells, los_summary=summary)
    # the night before the first day is covered: everyone in a bed then is still in on the first day
    ok = bed_outlook(_forecast("admissions", {"Alexandra": 45, "Worcestershire Royal": 70}, start="2024-11-01",
                               days=30), bed_base=BED_BASE, spells=spells, los_summary=summary, horizon=30)
    assert ok.census.set_index("site")["inpatients"].min() > 100
    stopped = spells[(spells["site"] != "Worcestershire Royal") | (spells["admission_date"] < "2025-06-01")]
    stopped = stopped.assign(discharge_date=stopped["discharge_date"].where(
        (stopped["site"] != "Worcestershire Royal") | (stopped["discharge_date"] < "2025-06-01")))
    with pytest.raises(OutlookError, match=r"spells extract ends on 31 May 2025 for Worcestershire Royal, "
                                           r"before the data's last day 31 Oct 2025"):
        bed_outlook(ADM, bed_base=BED_BASE, spells=stopped, los_summary=summary)
    with pytest.raises(OutlookError, match="no spells for Worcestershire Royal.*enter the number of inpatients"):
        bed_outlook(ADM, bed_base=BED_BASE, spells=spells[spells["site"] == "Alexandra"], los_summary=summary)


def test_a_site_missing_from_the_rota_is_refused_not_read_as_nobody_on_shift():
    hourly = load_sample("hourly")
    rota = read_rota(SAMPLE_DIR / "rota.csv")
    att = _forecast("attendances", {"Alexandra": 180, "City Hospital": 150}, days=100)
    hourly = pd.concat([hourly, hourly[hourly["site"] == "Alexandra"].assign(site="City Hospital")])
    with pytest.raises(OutlookError) as err:
        workforce_outlook(att, hourly_history=hourly, rota=rota, rota_label="bundled sample (rota.csv)")
    assert str(err.value) == ("The rota (bundled sample (rota.csv)) has no rows for City Hospital, so the staff "
                              "on shift there are not known. Upload a rota with rows for these sites (site, "
                              "weekday, hour, clinicians, nurses).")
    with pytest.raises(OutlookError, match=r"^The rota has no rows for City Hospital"):
        workforce_outlook(att, hourly_history=hourly, rota=rota)


def test_spells_messages_and_assumptions_say_which_extract():
    spells = read_spells(SAMPLE_DIR / "spells.csv")
    label = "spells extract (bundled sample (spells.csv))"
    out = bed_outlook(ADM, bed_base=BED_BASE, spells=spells, spells_window_start="2024-11-01", horizon=30,
                      spells_label=label)
    assert any(line.startswith("Inpatients now at Alexandra: ") and line.endswith(
        "(patients in a bed at midnight on 31 Oct 2025, from the spells extract (bundled sample (spells.csv)))")
        for line in out.trace)
    assert set(out.census["source"]) == {"patients in a bed at midnight on 31 Oct 2025, from the " + label}
    city = _forecast("admissions", {"Alexandra": 45, "City Hospital": 60})
    with pytest.raises(OutlookError, match=r"^The spells extract \(bundled sample \(spells\.csv\)\) has no "
                                           r"spells for City Hospital\."):
        bed_outlook(city, bed_base=BED_BASE, spells=spells, spells_window_start="2024-11-01", spells_label=label)
    with pytest.raises(OutlookError, match=r"^The spells extract \(bundled sample \(spells\.csv\)\) ends on"):
        bed_outlook(_forecast("admissions", {"Alexandra": 45}, start="2026-03-01"), bed_base=BED_BASE,
                    spells=spells, spells_label=label)
