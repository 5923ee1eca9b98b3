"""Board pack page glue: the PDF, PowerPoint, workbook and chart zip built from the app's cached outlooks."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from forecasting import boardpack
from forecasting.calendar import COVID_EXCLUSION
from forecasting.scenarios import BASELINE, Scenario
from forecasting.schema import ADMISSIONS, ATTENDANCES
from forecasting.summary import to_daily

from . import capacity as cap
from .forecasting import run_forecast

__all__ = ["BoardFiles", "BuildRequest", "PackUnavailable", "default_trust", "settings_lines", "build_board_pack"]

_METRICS = (ATTENDANCES, ADMISSIONS)


class PackUnavailable(Exception):
    """The board pack cannot be built from the active data; the message says why and what to do."""


@dataclass(frozen=True)
class BoardFiles:
    """The built pack: file bytes, their names and what was left out."""

    pdf: bytes
    pptx: bytes
    xlsx: bytes
    charts_zip: bytes
    stem: str                      # e.g. 'board_pack_data_to_20251031'
    charts: int
    pages: int
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuildRequest:
    """What a press of the build button asked for: the data, settings, scenarios and cover name."""

    source: str
    bed: cap.BedSettings
    staff: cap.WorkforceSettings
    scenarios: tuple[str, ...]
    trust: str


def default_trust(source: str) -> str:
    """The trust name offered for the cover."""
    return "Sample acute trust (synthetic)" if source.startswith("sample") else "Acute NHS trust"


def settings_lines(bed: cap.BedSettings, staff: cap.WorkforceSettings, scenarios: list[str]) -> list[str]:
    """What the pack will use, in plain words, for the page to show before building."""
    return [
        f"Horizon: {bed.horizon} days (from the Beds page)",
        f"Bed base: {bed.bed_base.label}; length of stay from "
        f"{'the spells extract' if bed.los_source == 'spells' else 'the mean and 90th percentile entered'}",
        f"Rota: {staff.rota.label}; staffing over {staff.days} days",
        "Scenarios compared with the baseline: " + (", ".join(scenarios) if scenarios else "none"),
        "COVID-19 period " + ("left out of" if bed.exclude_covid else "included in") + " the model fits",
    ]


def _daily(activity: pd.DataFrame) -> pd.DataFrame:
    try:
        return to_daily(activity)
    except ValueError as exc:
        raise PackUnavailable(f"The board pack needs daily or hourly data; {exc}. "
                              "Load daily activity on the Data page.") from None


def _outlooks(activity, bed, staff, scenario_jsons) -> tuple[list, list, list[str]]:
    scenarios = [BASELINE, *map(Scenario.from_json, scenario_jsons)]
    beds, staffing, missing, dropped = cap.scenario_outlooks(activity, bed, staff, scenarios)
    notes = ([f"{part}: left out: {why}" for part, why in missing.items()]
             + [f"Scenario '{name}': left out: {why}" for name, why in dropped.items()])
    return beds, staffing, notes


@st.cache_data(max_entries=4, show_spinner="Building the board pack: forecasts, beds, staffing, 20-odd charts, "
                                            "the PDF and the PowerPoint deck. This takes up to a minute.")
def build_board_pack(activity: pd.DataFrame, bed: cap.BedSettings, staff: cap.WorkforceSettings,
                     scenario_jsons: tuple[str, ...], *, trust: str, source: str, synthetic: bool) -> BoardFiles:
    """Build the board pack with the same forecast and outlooks the Forecast, Beds and Workforce pages show.

    Raises PackUnavailable (plain English) when the data cannot give a pack.
    """
    daily = _daily(activity)
    exclude = tuple(COVID_EXCLUSION) if bed.exclude_covid else ()
    try:
        fc, selection, generated, _ = run_forecast(daily, "auto", exclude)
    except Exception as exc:  # the engine's messages are written for managers; pass them on
        raise PackUnavailable(f"The forecast could not be made: {exc}") from exc
    fc = fc[fc["metric"].isin(_METRICS)]
    if fc.empty:
        raise PackUnavailable("The data has no attendances or admissions to forecast, so there is no board "
                              "pack to build. Load activity with at least one of them.")
    fc = fc[fc["date"] < fc["date"].min() + pd.Timedelta(days=bed.horizon)].reset_index(drop=True)
    selection = selection[selection["metric"].isin(_METRICS)].reset_index(drop=True)
    beds, staffing, notes = _outlooks(activity, bed, staff, scenario_jsons)
    compared = bool(scenario_jsons) and len(beds) == len(staffing) == len(scenario_jsons) + 1
    if scenario_jsons and not compared:
        notes.append("Scenario comparison: left out (it needs both the beds and the workforce views).")
    scenarios = (BASELINE, *(Scenario.from_json(s) for s in scenario_jsons)) if compared else ()
    data = boardpack.PackData(
        activity=daily[daily["site"] != "Trust total"], forecast=fc, selection=selection, horizon=bed.horizon,
        generated_at=pd.Timestamp(generated), data_through=pd.Timestamp(daily["date"].max()), trust=trust,
        source=source, synthetic=synthetic, beds=beds[0] if beds else None,
        workforce=staffing[0] if staffing else None, scenarios=scenarios,
        scenario_beds=tuple(beds) if compared else (), scenario_staff=tuple(staffing) if compared else (),
        exclude=tuple(tuple(str(d) for d in pair) for pair in exclude), notes=tuple(notes))
    pack = boardpack.build_pack(data)
    slug = re.sub(r"[^a-z0-9]+", "_", trust.lower()).strip("_")
    return BoardFiles(pdf=pack.pdf, pptx=pack.pptx, xlsx=pack.xlsx, charts_zip=boardpack.charts_zip(pack.pngs),
                      stem=f"board_pack_{slug}_data_to_{data.data_through:%Y%m%d}", charts=len(pack.charts),
                      pages=pack.pdf_pages, notes=tuple(notes))
