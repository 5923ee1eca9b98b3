"""Board pack: one pipeline run's figures, messages and charts; build_pack writes them out (see pack_documents)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import charts
from .calendar import COVID_EXCLUSION
from .capacity.outlook import (DEFINITION, BedOutlook, OutlookError, WorkforceOutlook, bed_headlines,
                               bed_outlook, heatmap_message, nurse_led_sites, occupancy_message,
                               scenario_table, workforce_outlook, worst_gap_table)
from .capacity.workforce import WorkforceParams
from .export import OGL_ATTRIBUTION, SYNTHETIC_NOTICE, chart_bytes
from .forecast import aggregate_forecast, forecast
from .models import REGISTRY
from .scenarios import BASELINE, Scenario, describe
from .schema import ADMISSIONS, ATTENDANCES, BREACHES_4H, METRIC_LABELS, TRUST_TOTAL, infer_frequency
from .spc import xmr
from .spc_charts import spc_chart
from .summary import resample_activity, to_daily, with_trust_total

__all__ = [
    "FOUR_HOUR_TARGET", "FOUR_HOUR_TARGET_TEXT", "PACK_PPI", "BoardPackError", "PackData", "PackChart",
    "BoardPack", "run_pipeline", "pack_charts", "render_charts", "headline_figures", "key_messages",
    "backtest_scores", "methods_sections", "worst_gaps", "model_label", "chart_footnote", "scenario_comparison",
    "charts_zip", "build_pack",
]

#: 4-hour performance target used on the SPC chart (share seen within 4 hours).
FOUR_HOUR_TARGET = 0.78
FOUR_HOUR_TARGET_TEXT = ("78 %: the 2025/26 NHS operational planning target for the share of A&E "
                         "patients admitted, transferred or discharged within 4 hours by March 2026 "
                         "(the NHS constitutional standard is 95 %)")
#: PNG resolution of pack charts: about 150 dpi across A4 landscape, small enough to build fast.
PACK_PPI = 150
_CHART_WIDTH = 760
_WEEKS_SHOWN = 52
_FOUR_HOUR = "four_hour_performance"
_NO_PROGRESS: Callable[[str], None] = lambda message: None  # noqa: E731


class BoardPackError(ValueError):
    """The pack cannot be built from these inputs; the message says why and what to do."""


@dataclass(frozen=True)
class PackData:
    """Everything one pipeline run produced: the single source of every page, slide and sheet."""

    activity: pd.DataFrame                 # daily activity contract, sites only
    forecast: pd.DataFrame                 # forecast contract, trust total included
    selection: pd.DataFrame                # one row per series: model and why
    horizon: int
    generated_at: pd.Timestamp
    data_through: pd.Timestamp
    trust: str = "Acute NHS trust"
    source: str = "activity data"
    synthetic: bool = False
    nhse_data: bool = True
    beds: BedOutlook | None = None
    workforce: WorkforceOutlook | None = None
    scenarios: tuple[Scenario, ...] = ()   # baseline first when any scenario is compared
    scenario_beds: tuple[BedOutlook, ...] = ()
    scenario_staff: tuple[WorkforceOutlook, ...] = ()
    exclude: tuple = ()
    caveats: tuple[str, ...] = ()          # data quality caveats (e.g. the load report's warnings)
    notes: tuple[str, ...] = ()            # what was left out of the pack and why

    @property
    def sites(self) -> list[str]:
        """Sites of the data, then the trust total when there are several."""
        sites = sorted(self.activity["site"].unique())
        return sites + ([TRUST_TOTAL] if len(sites) > 1 else [])

    @property
    def period(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last day of the forecast."""
        return self.forecast["date"].min(), self.forecast["date"].max()


@dataclass(frozen=True)
class PackChart:
    """One chart of the pack: its page heading, its message (title) and the Altair chart."""

    name: str        # file stem, e.g. '05_forecast_admissions_alexandra'
    section: str     # e.g. 'Forecasts'
    heading: str     # short page heading, e.g. 'Emergency admissions: Alexandra'
    title: str       # the chart's own title: its message
    chart: object


@dataclass(frozen=True)
class BoardPack:
    """The built outputs: charts (and their PNGs), the PDF, the PowerPoint deck and the workbook."""

    charts: tuple[PackChart, ...]
    pngs: dict
    pdf: bytes
    pptx: bytes
    xlsx: bytes
    pdf_pages: int = 0


# --------------------------------------------------------------------------- pipeline
def model_label(name: str) -> str:
    """A model's name as people read it ('count_glm+ets' -> 'Count regression ... + Exponential ...')."""
    return " + ".join(REGISTRY[n].label if n in REGISTRY else n for n in str(name).split("+"))


def _daily(activity: pd.DataFrame) -> pd.DataFrame:
    """Daily activity: hourly data added up to days (beds and the pack work in days)."""
    try:
        return to_daily(activity)
    except ValueError:
        raise BoardPackError("The board pack needs daily or hourly data; this data is "
                             f"{infer_frequency(activity['date'])}. "
                             "Give daily activity per site (e.g. an A&E extract), not monthly returns.") from None


def _default_workforce_params(daily: pd.DataFrame) -> WorkforceParams:
    """Nurse-led units as the Workforce page takes them (see outlook.nurse_led_sites)."""
    return WorkforceParams(nurse_led_sites=nurse_led_sites(daily))


def run_pipeline(activity: pd.DataFrame, *, horizon: int = 90, metrics: Sequence[str] = (ATTENDANCES, ADMISSIONS),
                 model: str = "auto", bed_base: pd.DataFrame | None = None, spells: pd.DataFrame | None = None,
                 spells_window_start=None, rota: pd.DataFrame | None = None,
                 hourly: pd.DataFrame | None = None, workforce_params: WorkforceParams | None = None,
                 scenarios: Sequence[Scenario] = (), exclude=COVID_EXCLUSION, trust: str = "Acute NHS trust",
                 source: str = "activity data", synthetic: bool = False, nhse_data: bool = True,
                 caveats: Sequence[str] = (), generated_at=None, n_jobs: int | None = None,
                 progress: Callable[[str], None] | None = None) -> PackData:
    """Forecast, beds, workforce and scenarios for a board pack, computed once.

    Parameters
    ----------
    activity : DataFrame
        Activity contract (daily, or hourly which is added up to days), sites only.
    horizon : int
        Days ahead to forecast (and to plan beds for).
    metrics : sequence of str
        Metrics to forecast; attendances drive the workforce view, admissions the beds view.
    model : str
        'auto' (the app's choice per series by backtest) or a registered model name.
    bed_base, spells, spells_window_start
        Dated bed base and checked spells (see :func:`forecasting.capacity.outlook.bed_outlook`);
        the beds pages are left out without both.
    rota, hourly, workforce_params
        Checked rota, hourly arrivals for the hour-of-week profile (default: ``activity`` when it
        is hourly) and staffing settings (default: sites with attendances but no admissions are
        nurse-led); the workforce pages are left out without a rota and hourly arrivals.
    scenarios : sequence of Scenario
        What-ifs compared with the baseline (at most four).
    exclude : sequence of (start, end)
        Periods left out of fitting (default: COVID-19).
    trust, source : str
        Shown on the cover and in every chart's footnote.
    synthetic, nhse_data : bool
        Add the synthetic-data notice; add the Open Government Licence attribution.
    caveats : sequence of str
        Data quality caveats for the methods page and the notes sheet.
    generated_at : datetime-like, optional
        When the pack was made (default: now, Europe/London clock time).
    n_jobs : int, optional
        Worker processes for the forecast fits.
    progress : callable, optional
        Called with a short line before each long step (e.g. print to stderr).

    Returns
    -------
    PackData

    Raises
    ------
    BoardPackError
        Data that is not daily or hourly, no data for the metrics asked for, or more than four
        scenarios.
    """
    say = progress or _NO_PROGRESS
    scenarios = [s for s in scenarios if s.name != BASELINE.name]
    if len(scenarios) > 4:
        raise BoardPackError("Compare at most four scenarios with the baseline.")
    daily = _daily(activity[activity["site"] != TRUST_TOTAL])
    metrics = [m for m in metrics if m in set(daily["metric"])]
    if not metrics:
        raise BoardPackError("The data has none of the metrics to forecast (attendances, admissions). "
                             "Load activity with at least one of them.")
    generated = (pd.Timestamp.now(tz="Europe/London").tz_localize(None).floor("s") if generated_at is None
                 else pd.Timestamp(generated_at))
    history = with_trust_total(daily)
    history = history[history["metric"].isin(metrics)]
    n_series = history.groupby(["site", "metric"]).ngroups
    how = "automatic model choice" if model == "auto" else model_label(model)
    say(f"Forecasting {n_series} series {horizon} days ahead ({how})...")
    fc = forecast(history, int(horizon), model=model, exclude=exclude, n_jobs=n_jobs)
    selection = fc.attrs.get("selection", pd.DataFrame())
    fc.attrs = {}
    notes = []
    all_scenarios = [BASELINE, *scenarios]
    several = f" for {len(all_scenarios)} scenarios" if scenarios else ""
    scenario_beds: list[BedOutlook] = []
    if bed_base is None or spells is None or ADMISSIONS not in metrics:
        notes.append("Beds: left out (needs admissions, a bed base and a spells extract).")
    else:
        say(f"Working out bed occupancy{several}...")
        models = "; ".join(f"{r.site}: {model_label(r.model)}" for r in selection.itertuples()
                           if r.metric == ADMISSIONS and r.site != TRUST_TOTAL)
        try:
            scenario_beds = [bed_outlook(fc, bed_base=bed_base, spells=spells, scenario=s, horizon=int(horizon),
                                         spells_window_start=spells_window_start, history=daily,
                                         generated_at=generated, model_text=models) for s in all_scenarios]
        except OutlookError as exc:
            notes.append(f"Beds: left out: {exc}")
    if hourly is None and not activity.empty and infer_frequency(activity["date"]) == "hourly":
        hourly = activity
    scenario_staff: list[WorkforceOutlook] = []
    if rota is None or hourly is None or ATTENDANCES not in metrics:
        notes.append("Workforce: left out (needs attendances, hourly arrivals and a rota).")
    else:
        say(f"Working out staff needed hour by hour{several}...")
        params = workforce_params or _default_workforce_params(daily)
        try:
            scenario_staff = [workforce_outlook(fc, hourly_history=hourly, rota=rota, params=params, scenario=s,
                                                days=28) for s in all_scenarios]
        except OutlookError as exc:
            notes.append(f"Workforce: left out: {exc}")
    compared = bool(scenarios) and len(scenario_beds) == len(all_scenarios) == len(scenario_staff)
    if scenarios and not compared:
        notes.append("Scenario comparison: left out (it needs both the beds and the workforce views).")
    return PackData(
        activity=daily, forecast=fc, selection=selection, horizon=int(horizon), generated_at=generated,
        data_through=pd.Timestamp(daily["date"].max()), trust=trust, source=source, synthetic=synthetic,
        nhse_data=nhse_data, beds=scenario_beds[0] if scenario_beds else None,
        workforce=scenario_staff[0] if scenario_staff else None,
        scenarios=tuple(all_scenarios) if compared else (),
        scenario_beds=tuple(scenario_beds) if compared else (),
        scenario_staff=tuple(scenario_staff) if compared else (),
        exclude=tuple(tuple(str(d) for d in pair) for pair in exclude), caveats=tuple(caveats), notes=tuple(notes))


# --------------------------------------------------------------------------- figures
def _actuals(data: PackData) -> pd.DataFrame:
    return with_trust_total(data.activity)


def _series_model(data: PackData, site: str, metric: str) -> str:
    sel = data.selection
    if sel.empty:
        return ""
    row = sel[(sel["site"] == site) & (sel["metric"] == metric)]
    return model_label(row["model"].iloc[0]) if not row.empty else ""


def headline_figures(data: PackData, site: str) -> pd.DataFrame:
    """Attendances and admissions expected in the next 4 and 12 weeks against the same weeks last year.

    Last year means 364 days earlier, so both periods hold the same weekdays. A window longer
    than the forecast, or without a full year-earlier period, is left empty.

    Returns
    -------
    DataFrame
        ``Measure, Weeks, Expected, P10, P90, Same weeks last year, Change (%)``.
    """
    actual = _actuals(data)
    rows = []
    for metric in (ATTENDANCES, ADMISSIONS):
        fc = data.forecast[(data.forecast["site"] == site) & (data.forecast["metric"] == metric)]
        if fc.empty:
            continue
        fc = fc.sort_values("date")
        past = actual[(actual["site"] == site) & (actual["metric"] == metric)].set_index("date")["value"]
        for weeks in (4, 12):
            part = fc.head(7 * weeks)
            full = len(part) == 7 * weeks
            expected = part["mean"].sum() if full else np.nan
            if full and {"p10", "p90"} <= set(part.columns):
                agg = aggregate_forecast(part.assign(date=part["date"].min()), "weekly")
                p10, p90 = float(agg["p10"].iloc[0]), float(agg["p90"].iloc[0])
            else:
                p10 = p90 = np.nan
            before = past.reindex(part["date"] - pd.Timedelta(days=364))
            last_year = before.sum() if full and before.notna().all() else np.nan
            change = 100 * (expected - last_year) / last_year if last_year else np.nan
            rows.append({"Measure": METRIC_LABELS.get(metric, metric), "Weeks": weeks, "Expected": expected,
                         "P10": p10, "P90": p90, "Same weeks last year": last_year, "Change (%)": change})
    return pd.DataFrame(rows, columns=["Measure", "Weeks", "Expected", "P10", "P90", "Same weeks last year",
                                       "Change (%)"])


def worst_gaps(data: PackData, site: str, n: int = 5) -> pd.DataFrame:
    """The ``n`` most short-staffed hours ahead at a site (all sites for the trust), each hour once."""
    w = data.workforce
    if w is None:
        return pd.DataFrame()
    table = worst_gap_table(w, None if site == TRUST_TOTAL else site)
    if table.empty:
        return table
    table = (table.sort_values("Short by", ascending=False, kind="stable")
             .drop_duplicates(["Site", "Date and hour", "Role"]).head(n))
    return table[["When", "Site", "Date and hour", "Role", "Required", "Rostered", "Short by"]].reset_index(drop=True)


def key_messages(data: PackData, site: str) -> list[str]:
    """Plain-English headline sentences for one site (or the trust) for the summary page and slide."""
    lines = []
    where = "Across the trust" if site == TRUST_TOTAL else f"At {site}"
    figures = headline_figures(data, site)
    for row in figures[figures["Weeks"] == 12].itertuples():
        if np.isnan(row.Expected):
            continue
        change = ("" if np.isnan(row._7) else
                  f", {abs(row._7):.1f} % {'more' if row._7 > 0 else 'fewer'} than the same weeks last year")
        lines.append(f"{where}, {row.Expected:,.0f} {_lower_first(row.Measure)} are expected in the next 12 weeks "
                     f"(80 % range {row.P10:,.0f} to {row.P90:,.0f}){change}.")
    if data.beds is not None and site in data.beds.sites:
        lines.append(bed_headlines(data.beds, site)["sentence"])
    gaps = worst_gaps(data, site, 1)
    if not gaps.empty:
        g = gaps.iloc[0]
        lines.append(f"Worst staffing gap ahead: {g['Role']} at {g['Site']}, {g['Date and hour']} "
                     f"({g['When'].lower()}): {g['Required']:g} needed, {g['Rostered']:g} on the rota.")
    elif data.workforce is not None and site != TRUST_TOTAL and site in data.workforce.sites:
        lines.append(f"The rota at {site} covers the demand expected in the coming week, weekend and next "
                     "bank holiday.")
    return lines


def _lower_first(label: str) -> str:
    """'Emergency admissions' -> 'emergency admissions'; 'A&E attendances' keeps its capitals."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def backtest_scores(selection: pd.DataFrame) -> pd.DataFrame:
    """Backtest accuracy of each series' chosen model against the seasonal naive benchmark.

    From the automatic model choice (``backtest_pinball`` and ``benchmark_pinball`` in the
    selection of :func:`forecasting.forecast`: mean pinball loss over its rolling backtests);
    series forecast with a named model have no scores and are left out.

    Returns
    -------
    DataFrame
        ``site, metric, model, pinball_loss, benchmark_pinball_loss, better_than_benchmark_pct``.
    """
    cols = ["site", "metric", "model", "pinball_loss", "benchmark_pinball_loss", "better_than_benchmark_pct"]
    if selection.empty or not {"backtest_pinball", "benchmark_pinball"} <= set(selection.columns):
        return pd.DataFrame(columns=cols)
    s = selection[selection["backtest_pinball"].notna() & (selection["benchmark_pinball"] > 0)]
    out = pd.DataFrame({"site": s["site"], "metric": s["metric"], "model": s["model"],
                        "pinball_loss": s["backtest_pinball"].astype(float),
                        "benchmark_pinball_loss": s["benchmark_pinball"].astype(float)})
    out["better_than_benchmark_pct"] = (100 * (1 - out["pinball_loss"] / out["benchmark_pinball_loss"])).round(1)
    return out[cols].reset_index(drop=True)


def methods_sections(data: PackData) -> list[tuple[str, list[str]]]:
    """The methods page: (heading, paragraphs) in plain English."""
    first, last = data.period
    start = data.activity["date"].min()
    sections = []
    about = []
    if data.synthetic:
        about.append(SYNTHETIC_NOTICE)
    about.append(f"Source: {data.source}; daily data from {start:%d %b %Y} to {data.data_through:%d %b %Y} "
                 f"for {', '.join(s for s in data.sites if s != TRUST_TOTAL)}. The trust total is the sum "
                 "of the sites.")
    about.append(f"Generated {data.generated_at:%d %b %Y %H:%M} by the UEC Demand & Capacity Workbench; "
                 f"forecast {first:%d %b %Y} to {last:%d %b %Y} ({data.horizon} days).")
    sections.append(("About these figures", about))
    models = ["Backtests: forecasts made at past dates and checked against what happened. The benchmark "
              "repeats the same weekday of the week before; smaller errors (mean pinball loss, which scores "
              "the whole range, not just the line) are better."]
    scores = backtest_scores(data.selection)
    for r in data.selection.itertuples() if not data.selection.empty else ():
        label = METRIC_LABELS.get(r.metric, r.metric)
        text = f"{label}, {r.site}: {model_label(r.model)}"
        s = scores[(scores["site"] == r.site) & (scores["metric"] == r.metric)]
        if not s.empty:
            pct = s["better_than_benchmark_pct"].iloc[0]
            text += f"; backtest errors {abs(pct):.0f} % {'smaller' if pct >= 0 else 'larger'} than the benchmark"
        if getattr(r, "interval_scale", 1.0) and float(r.interval_scale) > 1.0:
            text += f"; ranges widened x{float(r.interval_scale):.2f} because they were too narrow"
        models.append(text + ".")
    models.append("Each model forecasts a whole distribution: the line is the expected value and the shaded "
                  "bands hold 50 %, 80 % and 95 % of likely outcomes. The automatic choice compares calendar "
                  "count regression, ARIMA with calendar terms, exponential smoothing and the seasonal naive "
                  "benchmark on rolling backtests and keeps the most accurate (or an average of the best two).")
    if data.exclude:
        models.append("Left out of fitting: " + "; ".join(f"{a} to {b}" for a, b in data.exclude)
                      + " (the COVID-19 period, when demand did not follow its usual pattern).")
    sections.append(("Forecast models and their accuracy", models))
    if data.beds is not None:
        stays = [DEFINITION]
        stays += [f"{r.site}: mean stay {r.mean_now:g} days, median {r.median:g}, 90th percentile {r.p90:g} "
                  f"({r.source})." for r in data.beds.los.itertuples()]
        stays.append("Occupied beds ahead = patients already in a bed who have not yet left + each day's "
                     "expected admissions still in hospital (admissions x the chance a stay lasts that long).")
        sections.append(("Length of stay and occupied beds", stays))
    assumptions = [f"4-hour performance = 1 - patients over 4 hours / attendances, higher is better; target "
                   f"{FOUR_HOUR_TARGET_TEXT}.",
                   "SPC charts follow NHS England's Making Data Count: XmR charts of weekly figures with process "
                   "limits at the mean +/- 2.66 x the mean moving range; special causes are a point beyond a "
                   "limit, 7 in a run on one side of the mean, 7 rising or falling, or 2 of 3 near a limit."]
    skip = len(describe(BASELINE))  # the outlooks' traces open with the (baseline) scenario's settings
    if data.beds is not None:
        assumptions += [line for line in data.beds.trace[skip:] if not line.startswith("Length of stay")]
    if data.workforce is not None:
        assumptions += list(data.workforce.trace[skip:])
    sections.append(("Assumptions", assumptions))
    quality = list(data.caveats) + list(data.notes)
    sections.append(("Data quality caveats", quality or ["The data passed every validation check on load."]))
    sections.append(("Attribution", [OGL_ATTRIBUTION if data.nhse_data else
                                     "No NHS England statistics are used in this pack."]))
    return sections


# --------------------------------------------------------------------------- charts
def chart_footnote(data: PackData, model: str = "") -> str:
    """The footnote of a pack chart: source, data through, model (if any) and generation time."""
    return charts.footnote_text(source=data.source, data_through=data.data_through, model=model,
                                generated_at=data.generated_at)


def _weekly(frame: pd.DataFrame) -> pd.DataFrame:
    weekly = resample_activity(frame, "weekly")
    return weekly[weekly["complete"]][["site", "metric", "date", "value"]]


def _spc_charts(data: PackData) -> list[PackChart]:
    actual = _actuals(data)
    weekly = _weekly(actual[actual["metric"].isin([ATTENDANCES, ADMISSIONS, BREACHES_4H])])
    if weekly.empty:
        return []
    weekly = weekly[weekly["date"] > weekly["date"].max() - pd.Timedelta(weeks=_WEEKS_SHOWN)]
    wide = weekly.pivot_table(index=["site", "date"], columns="metric", values="value").reset_index()
    series = [(ATTENDANCES, "neutral", None), (ADMISSIONS, "neutral", None)]
    if {ATTENDANCES, BREACHES_4H} <= set(wide.columns):
        perf = wide.dropna(subset=[ATTENDANCES, BREACHES_4H])
        perf = perf[perf[ATTENDANCES] > 0]
        four = pd.DataFrame({"site": perf["site"], "metric": _FOUR_HOUR, "date": perf["date"],
                             "value": 100 * (1 - perf[BREACHES_4H] / perf[ATTENDANCES])})
        weekly = pd.concat([weekly, four], ignore_index=True)
        series.append((_FOUR_HOUR, "higher", 100 * FOUR_HOUR_TARGET))
    out = []
    for metric, direction, target in series:
        part = weekly[weekly["metric"] == metric]
        if part.empty:
            continue
        sites = [s for s in data.sites if s in set(part["site"])]
        result = xmr(part, direction=direction, target=target)
        summary = result.summary.set_index("site")
        if metric == _FOUR_HOUR:
            label, y_title = "4-hour performance", "Seen within 4 hours (%)"
            key = TRUST_TOTAL if TRUST_TOTAL in summary.index else sites[0]
            verdict = {"pass": "should consistently meet", "fail": "will consistently miss",
                       "inconsistent": "will hit and miss"}.get(summary.loc[key, "assurance"], "is compared with")
            who = "across the trust" if key == TRUST_TOTAL else f"at {key}"
            title = (f"4-hour performance {who}: {summary.loc[key, 'latest_value']:.1f} % in the latest week; "
                     f"{verdict} the {target:g} % target as things stand")
        else:
            label, y_title = METRIC_LABELS.get(metric, metric), None
            unusual = [s for s in sites if summary.loc[s, "variation"] != "common cause"]
            title = (f"{label}, weekly: " + (f"unusual (special-cause) variation in the latest week at "
                                             f"{', '.join(unusual)}" if unusual else
                                             "the latest week is within the usual range at every site"))
        weeks = sorted(part["date"].unique())
        subtitle = [f"Weeks commencing {pd.Timestamp(weeks[0]):%d %b %Y} to {pd.Timestamp(weeks[-1]):%d %b %Y}; "
                    "mean and process limits from every week shown (Making Data Count XmR)"]
        if metric == _FOUR_HOUR:
            subtitle.append("Share of attendances leaving A&E within 4 hours; higher is better; target 78 % "
                            "(2025/26 planning target; constitutional standard 95 %)")
        chart = spc_chart(result, title=title, subtitle=subtitle, footnote=chart_footnote(data), sites=sites,
                          y_title=y_title, view="weekly", columns=2, width=360, height=170)
        out.append(PackChart(name=f"spc_{metric}", section="Recent performance (SPC)",
                             heading=f"{label}: statistical process control", title=title, chart=chart))
    return out


def _forecast_title(site: str, metric: str, weekly_fc: pd.DataFrame) -> str:
    label = METRIC_LABELS.get(metric, metric)
    where = "across the trust" if site == TRUST_TOTAL else f"at {site}"
    peak = weekly_fc.loc[weekly_fc["mean"].idxmax()]
    return (f"{label} {where} expected to peak at ~{peak['mean'] / 7:,.0f} a day in the week of "
            f"{peak['date']:%d %b %Y}")


def _change_text(data: PackData, site: str, metric: str) -> str:
    figures = headline_figures(data, site)
    row = figures[(figures["Measure"] == METRIC_LABELS.get(metric, metric)) & (figures["Weeks"] == 12)]
    if row.empty or np.isnan(row["Change (%)"].iloc[0]):
        return ""
    r = row.iloc[0]
    return (f"Next 12 weeks: {r['Expected']:,.0f} expected, {r['Change (%)']:+.1f} % on the same weeks last "
            f"year ({r['Same weeks last year']:,.0f})")


def _models_text(data: PackData, metric: str, sites) -> str:
    """One model name when every site used it, else 'site: model' for each."""
    models = {s: _series_model(data, s, metric) for s in sites}
    if len(set(models.values())) == 1:
        return next(iter(models.values()), "")
    return "; ".join(f"{s}: {m}" for s, m in models.items())


def _weekly_forecast(fc: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """Whole weeks of the forecast; the week in progress completed with its actual days so far.

    Without this the chart would jump a week between the last whole week of actuals and the first
    whole week of forecast. The actual days are known, so they move the week's mean and every
    quantile alike.
    """
    weekly = aggregate_forecast(fc.sort_values("date"), "weekly")
    first = weekly.iloc[0] if not weekly.empty else None
    if first is not None and not first["complete"]:
        known = series[(series["date"] >= first["date"]) & (series["date"] < fc["date"].min())]
        if len(known) + first["days"] == 7:
            columns = ["mean", *(c for c in weekly.columns if c.startswith("p") and c[1:2].isdigit())]
            weekly.loc[weekly.index[0], columns] = weekly.loc[weekly.index[0], columns] + known["value"].sum()
            weekly.loc[weekly.index[0], "complete"] = True
    return weekly[weekly["complete"]].reset_index(drop=True)


def _fan_charts(data: PackData) -> list[PackChart]:
    actual = _actuals(data)
    out = []
    for metric in (ATTENDANCES, ADMISSIONS):
        for site in data.sites:
            fc = data.forecast[(data.forecast["site"] == site) & (data.forecast["metric"] == metric)]
            if fc.empty:
                continue
            series = actual[(actual["site"] == site) & (actual["metric"] == metric)]
            weekly_fc = _weekly_forecast(fc, series)
            if weekly_fc.empty:
                continue
            hist = _weekly(series)
            hist = hist[hist["date"] > hist["date"].max() - pd.Timedelta(weeks=_WEEKS_SHOWN)]
            title = _forecast_title(site, metric, weekly_fc)
            model = _series_model(data, site, metric)
            period = (f"Weekly totals, forecast weeks commencing {weekly_fc['date'].min():%d %b %Y} to "
                      f"{weekly_fc['date'].max():%d %b %Y}, with 50 %, 80 % and 95 % ranges")
            how = f"The week in progress adds its actual days so far; actuals for the {_WEEKS_SHOWN} weeks before"
            subtitle = [t for t in (_change_text(data, site, metric), period, how) if t]
            chart = charts.fan_chart(hist[["date", "value"]], weekly_fc, metric=metric, title=title,
                                     subtitle=subtitle, view="weekly", width=_CHART_WIDTH, height=300)
            slug = re.sub(r"[^a-z0-9]+", "_", site.lower()).strip("_")
            out.append(PackChart(name=f"forecast_{metric}_{slug}", section="Forecasts",
                                 heading=f"{METRIC_LABELS.get(metric, metric)} forecast: {site}", title=title,
                                 chart=charts.with_footnote(chart, chart_footnote(data, model))))
    return out


def _bed_charts(data: PackData) -> list[PackChart]:
    b = data.beds
    if b is None:
        return []
    out = []
    models = _models_text(data, ADMISSIONS, [s for s in b.sites if s != TRUST_TOTAL])
    for site in b.sites:
        occ = b.occupancy[b.occupancy["site"] == site]
        hist = b.history[b.history["site"] == site] if not b.history.empty else None
        title = occupancy_message(b, site)
        subtitle = [f"{occ['date'].min():%d %b %Y} to {occ['date'].max():%d %b %Y}; midnight census against "
                    f"core beds, core + escalation beds and the {b.target * 100:g} % planning ceiling",
                    "50/80/95 % ranges carry the admissions forecast and random lengths of stay"]
        chart = charts.occupancy_chart(occ, history=hist, title=title, subtitle=subtitle, target=b.target,
                                       width=_CHART_WIDTH, height=300)
        slug = re.sub(r"[^a-z0-9]+", "_", site.lower()).strip("_")
        out.append(PackChart(name=f"beds_{slug}", section="Beds", heading=f"Bed occupancy against capacity: {site}",
                             title=title, chart=charts.with_footnote(chart, chart_footnote(data, models))))
    return out


def _workforce_charts(data: PackData) -> list[PackChart]:
    w = data.workforce
    if w is None:
        return []
    out = []
    for site in w.sites:
        heat = w.heat[w.heat["site"] == site]
        top = max(1.0, float(heat["gap"].abs().max())) if not heat.empty else 1.0
        for role, part in heat.groupby("role", sort=True):
            if part["required"].sum() == 0 and part["rostered"].sum() == 0:
                continue  # e.g. no clinicians at a nurse-led unit, needed or rostered
            title = heatmap_message(part, site, role)
            subtitle = (f"Staff required at the planning level minus staff on the rota, averaged over the "
                        f"{w.days} days from {w.start:%d %b %Y}; orange = short, blue = spare")
            chart = charts.staffing_heatmap_chart(part, title=title, subtitle=subtitle, top=top,
                                                  width=_CHART_WIDTH, row_height=26)
            slug = re.sub(r"[^a-z0-9]+", "_", f"{site}_{role}".lower()).strip("_")
            out.append(PackChart(name=f"workforce_{slug}", section="Workforce",
                                 heading=f"Staffing against demand: {site}, {role}", title=title,
                                 chart=charts.with_footnote(chart, chart_footnote(data, _series_model(
                                     data, site, ATTENDANCES)))))
    return out


def scenario_comparison(data: PackData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Side-by-side measures per scenario and the trust's expected beds per scenario and day."""
    return scenario_table(list(data.scenario_beds), list(data.scenario_staff))


def _scenario_charts(data: PackData) -> list[PackChart]:
    if not data.scenario_beds:
        return []
    _, series = scenario_comparison(data)
    names = list(dict.fromkeys(series["scenario"]))
    means = series.groupby("scenario")["mean"].mean().reindex(names)
    best = (means - means.iloc[0]).idxmin()
    title = (f"'{best}' changes average occupied beds by {means[best] - means.iloc[0]:+,.0f} against the baseline"
             if best != names[0] else "No scenario lowers occupied beds below the baseline")
    where = data.scenario_beds[0].sites[-1]
    chart = charts.scenario_occupancy_chart(series, title=title,
                                            subtitle=f"Expected occupied beds, {where}, next {data.horizon} days",
                                            width=_CHART_WIDTH, height=300)
    return [PackChart(name="scenarios_occupancy", section="Scenarios", heading="Scenario comparison",
                      title=title, chart=charts.with_footnote(chart, chart_footnote(data)))]


def pack_charts(data: PackData) -> list[PackChart]:
    """Every chart of the pack in page order: SPC, forecasts, beds, workforce, scenarios.

    Each carries a footnote with the source, data-through date, model (where one applies) and
    generation time; ``name`` is numbered in page order, e.g. ``03_forecast_attendances_alexandra``.
    """
    found = [*_spc_charts(data), *_fan_charts(data), *_bed_charts(data), *_workforce_charts(data),
             *_scenario_charts(data)]
    return [PackChart(name=f"{i:02d}_{c.name}", section=c.section, heading=c.heading, title=c.title,
                      chart=c.chart) for i, c in enumerate(found, start=1)]


def render_charts(pack: Sequence[PackChart], *, ppi: float = PACK_PPI,
                  progress: Callable[[str], None] | None = None) -> dict[str, bytes]:
    """PNG bytes of each chart, keyed by its name (rendered by vl-convert; no browser)."""
    say = progress or _NO_PROGRESS
    say(f"Drawing {len(pack)} charts...")
    return {c.name: chart_bytes(c.chart, "png", ppi=ppi, width=_CHART_WIDTH, height=300) for c in pack}


def charts_zip(pngs: dict[str, bytes]) -> bytes:
    """The PNG charts in one zip file (``NAME.png`` each)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, png in pngs.items():
            zf.writestr(f"{name}.png", png)
    return buffer.getvalue()


# --------------------------------------------------------------------------- the whole pack
def build_pack(data: PackData, *, ppi: float = PACK_PPI, progress: Callable[[str], None] | None = None) -> BoardPack:
    """Charts, PNGs, PDF, PowerPoint deck and workbook for one pipeline result."""
    say = progress or _NO_PROGRESS
    pack = pack_charts(data)
    pngs = render_charts(pack, ppi=ppi, progress=say)
    from . import pack_documents as docs  # it imports this module's figures, so not at the top

    say("Writing the PDF, PowerPoint and Excel files...")
    pdf, pages = docs.pdf_and_pages(data, pack, pngs)
    return BoardPack(charts=tuple(pack), pngs=pngs, pdf=pdf, pptx=docs.pptx_bytes(data, pack, pngs),
                     xlsx=docs.workbook_bytes(data), pdf_pages=pages)
