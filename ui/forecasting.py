"""Cached forecasts and backtests for the Forecast and Accuracy pages, and the frames they show."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import streamlit as st

from forecasting import charts, summary
from forecasting.calendar import COVID_EXCLUSION, DEFAULT_HOLIDAYS, bank_holidays
from forecasting.forecast import aggregate_forecast, backtest, forecast, patterns
from forecasting.metrics import evaluate
from forecasting.models import REGISTRY, ForecastModel, available_models
from forecasting.schema import METRIC_LABELS, STOCK_METRICS, TRUST_TOTAL, infer_frequency, metric_order

from . import cache

__all__ = [
    "HorizonSetting", "HORIZONS", "COVID_LABEL", "ForecastUnavailable", "ForecastView",
    "AccuracyResult", "data_frequency", "horizon_setting", "covers_covid", "exclusions",
    "site_choices", "metric_choices", "model_choices", "model_label", "view_choices", "view_note",
    "run_forecast", "forecast_view", "fan_chart", "model_patterns", "pattern_source",
    "pattern_charts", "all_series_csv", "selection_table", "scores_csv", "fits_all_metrics",
    "backtest_models", "slow_model_labels", "run_backtest",
    "accuracy", "backtest_chart", "all_metrics", "backtest_description", "models_in",
    "scores_config", "scores_caption", "table_config", "file_name", "pattern_caption", "coverage_chart", "metric_sites",
]


@dataclass(frozen=True)
class HorizonSetting:
    """The horizon slider for one period length: bounds, default and the unit's name."""

    low: int
    high: int
    default: int
    unit: str  # plural: 'days', 'hours', ...


#: Up to 18 months ahead in the data's own periods (a week of hours for hourly data).
HORIZONS = {
    "daily": HorizonSetting(7, 548, 90, "days"),
    "hourly": HorizonSetting(6, 168, 48, "hours"),
    "weekly": HorizonSetting(1, 78, 13, "weeks"),
    "monthly": HorizonSetting(1, 18, 6, "months"),
}
_COVID_START, _COVID_END = (pd.Timestamp(d) for d in COVID_EXCLUSION[0])
COVID_LABEL = f"Exclude the COVID-19 period ({_COVID_START:%d/%m/%Y} to {_COVID_END:%d/%m/%Y})"
_AUTO_LABEL = "Automatic (best of the fast models on recent backtests)"
#: What one unit of each metric is called in a sentence ('within ±12 attendances').
_UNITS = {
    "attendances": "attendances", "attendances_type1": "attendances",
    "attendances_type2": "attendances", "attendances_type3": "attendances",
    "admissions": "admissions", "ambulance_arrivals": "ambulance arrivals",
    "breaches_4h": "patients over 4 hours", "occupied_beds": "beds",
}
_PERIOD_NOUN = {"hourly": "hour", "daily": "day", "weekly": "week", "monthly": "month"}
_VIEW_ADJ = {"hourly": "Hourly", "daily": "Daily", "weekly": "Weekly", "monthly": "Monthly"}


class ForecastUnavailable(Exception):
    """A forecast or backtest could not be made; the message says why in plain English."""


# --------------------------------------------------------------------------- choices for widgets
@st.cache_data(max_entries=8, show_spinner=False)
def data_frequency(activity: pd.DataFrame) -> str:
    """'hourly', 'daily', 'weekly' or 'monthly': the period length of the data set."""
    freq = infer_frequency(activity["date"])
    return freq if freq in HORIZONS else "daily"


def horizon_setting(frequency: str) -> HorizonSetting:
    return HORIZONS.get(frequency, HORIZONS["daily"])


def covers_covid(activity: pd.DataFrame) -> bool:
    """Whether the data reaches into the COVID-19 period (so excluding it changes anything)."""
    return bool(activity["date"].min() <= _COVID_END and activity["date"].max() >= _COVID_START)


def exclusions(exclude_covid: bool) -> tuple[tuple[str, str], ...]:
    """The exclusion windows for the engine, as a hashable tuple."""
    return tuple(COVID_EXCLUSION) if exclude_covid else ()


def site_choices(activity: pd.DataFrame) -> list[str]:
    """Every site A-Z, then the trust total when there is more than one site."""
    sites = sorted(activity["site"].unique())
    return sites + ([TRUST_TOTAL] if len(sites) > 1 else [])


def metric_sites(activity: pd.DataFrame, metric: str) -> list[str]:
    """The sites reporting a metric, then the trust total when more than one does."""
    sites = sorted(activity.loc[activity["metric"] == metric, "site"].unique())
    return sites + ([TRUST_TOTAL] if len(sites) > 1 else [])


def all_metrics(activity: pd.DataFrame) -> list[str]:
    """Every metric in the data, in reading order."""
    return metric_order(activity["metric"].unique())


def metric_choices(activity: pd.DataFrame, site: str) -> list[str]:
    """Metrics a site has, in reading order (for the trust total: those more than one site has)."""
    if site == TRUST_TOTAL:
        counts = activity.groupby("metric")["site"].nunique()
        return metric_order(counts[counts > 1].index)
    return metric_order(activity.loc[activity["site"] == site, "metric"].unique())


def model_label(name: str) -> str:
    """'count_glm' -> 'Count regression (negative binomial)'; combinations joined with '+'."""
    if name == "auto":
        return _AUTO_LABEL
    return " + ".join(REGISTRY[n].label if n in REGISTRY else n for n in str(name).split("+"))


def model_choices(frequency: str) -> dict[str, str]:
    """'auto' first, then every registered model that handles the data's period, with its label."""
    out = {"auto": _AUTO_LABEL}
    for name in available_models(frequency):
        out[name] = REGISTRY[name].label + (" (slow)" if REGISTRY[name].slow else "")
    return out


def view_choices(frequency: str, metric: str) -> list[str]:
    """Views of the forecast: weekly and monthly totals only for daily counts."""
    if frequency != "daily":
        return [frequency]
    return ["daily"] if metric in STOCK_METRICS else ["daily", "weekly", "monthly"]


def view_note(frequency: str, metric: str) -> str | None:
    """Why some views are not offered, or None."""
    if frequency == "daily" and metric in STOCK_METRICS:
        label = METRIC_LABELS.get(metric, metric)
        return (f"{label} is a census (a level at midnight), not a count: weekly and monthly "
                "totals would add up days of the same beds, so this metric is shown daily only.")
    if frequency == "hourly":
        return "Hourly data is forecast hour by hour; use the daily sample for weekly and monthly views."
    return None


# --------------------------------------------------------------------------- the forecast
def _fit_horizon(frequency: str) -> int:
    # fit once at the longest horizon offered: any shorter choice is a slice of the same fit
    # (auto's own backtest only looks 28 days ahead, so the model choice does not change)
    return horizon_setting(frequency).high


def _scope(model: str, metric: str | None) -> tuple[str, ...] | None:
    """Which metrics one fit covers: all of them, or only the chosen one for a slow model."""
    if metric is not None and model in REGISTRY and REGISTRY[model].slow:
        return (metric,)
    return None


def fits_all_metrics(model: str) -> bool:
    """Whether one fit covers every metric (fast models) or only the chosen one (slow models)."""
    return _scope(model, "x") is None


def run_forecast(activity: pd.DataFrame, model: str = "auto", exclude: tuple = (),
                 holidays: str = DEFAULT_HOLIDAYS, metrics: tuple[str, ...] | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp, float]:
    """Forecast every series of the data (trust total included) at the longest horizon offered.

    Returns the forecast contract, the per-series selection table (pandas attrs do not
    survive the cache), when it was generated and how many seconds the fits took. ``metrics``
    limits the fit to some metrics (used for slow models). Every page shares one fit: the
    arguments are passed on in full, because Streamlit keys its cache on the arguments as
    written, so a call leaving out a default would otherwise fit everything again.
    """
    return _fit_all(activity, model, tuple(exclude), holidays, None if metrics is None else tuple(metrics))


@st.cache_data(show_spinner="Forecasting every site and metric with these settings. This takes a "
                            "little while the first time; after that, changing the site, metric, "
                            "horizon or view is instant.", max_entries=8)
def _fit_all(activity: pd.DataFrame, model: str, exclude: tuple, holidays: str,
             metrics: tuple[str, ...] | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp, float]:
    history = cache.with_total(activity)
    if metrics is not None:
        history = history[history["metric"].isin(list(metrics))]
    frequency = data_frequency(activity)
    started = time.perf_counter()
    fc = forecast(history, _fit_horizon(frequency), model=model, exclude=exclude, holidays=holidays)
    seconds = time.perf_counter() - started
    selection = fc.attrs.get("selection", pd.DataFrame())
    fc.attrs = {}
    generated = pd.Timestamp.now(tz="Europe/London").tz_localize(None).floor("s")
    return fc, selection, generated, seconds


@dataclass(frozen=True)
class ForecastView:
    """Everything the Forecast page shows for one series, view and horizon."""

    site: str
    metric: str
    view: str
    horizon: int
    unit: str
    history: pd.DataFrame           # date, value (actuals at the view's period)
    forecast: pd.DataFrame          # forecast contract rows at the view's period
    holidays: pd.DataFrame          # date, name (bank holidays in the forecast period)
    excluded: pd.DataFrame          # start, end, label (left out of fitting, within the chart)
    selection: dict                 # model, reason, notes, interval_scale, data_through ...
    table: pd.DataFrame             # the display table
    csv: bytes                      # this series, forecast contract + generated_at, data_through
    title: str
    subtitle: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _history_start(view: str, frequency: str, horizon: int, last: pd.Timestamp,
                   first: pd.Timestamp) -> pd.Timestamp:
    """How much history to draw before the forecast: enough to judge it, not so much it shrinks."""
    if view == "monthly":
        return first  # the whole record: the annual cycle, and any excluded period, in view
    if view == "weekly":
        return last - pd.Timedelta(weeks=max(104, horizon // 7))
    if frequency == "hourly":
        return last - pd.Timedelta(hours=max(2 * horizon, 168))
    return last - pd.Timedelta(days=min(max(2 * horizon, 182), 3 * 365))


def _actuals(history: pd.DataFrame, frequency: str, view: str) -> pd.DataFrame:
    """One series' actuals at the view's period; whole periods only when added up."""
    part = history[["site", "metric", "date", "value"]]
    if view == frequency:
        return part[["date", "value"]].reset_index(drop=True)
    period = summary.resample_activity(part, view)
    return period.loc[period["complete"], ["date", "value"]].reset_index(drop=True)


def _change_text(now: float, before: float, stock: bool, noun: str) -> str:
    if not np.isfinite(before) or before <= 0:
        return ""
    pct = 100 * (now - before) / before
    # 'a year earlier': the same weekdays 52 weeks back, or the same months (short enough that
    # an 18-month title still fits the chart)
    if abs(pct) < 0.5:
        return ", about the same as a year earlier"
    word = ("above" if pct > 0 else "below") if stock else ("more" if pct > 0 else "fewer")
    return f", {abs(pct):.1f}% {word} than a year earlier"


def _headline(site: str, metric: str, frequency: str, horizon: int, fc: pd.DataFrame,
              series: pd.DataFrame) -> str:
    """The chart's message: the total (or average) expected and the change on last year."""
    label = METRIC_LABELS.get(metric, metric.replace("_", " "))
    noun = _PERIOD_NOUN.get(frequency, "period")
    stock = metric in STOCK_METRICS
    expected = fc["mean"].mean() if stock else fc["mean"].sum()
    back = pd.DateOffset(years=1) if frequency == "monthly" else pd.Timedelta(days=364)
    past = series.set_index("date")["value"].reindex(fc["date"] - back)
    before = (past.mean() if stock else past.sum()) if past.notna().all() and len(past) else np.nan
    where = "Across the trust" if site == TRUST_TOTAL else site
    span = f"the next {horizon} {noun}{'s' if horizon != 1 else ''}"
    name = _lower_first(label)
    if stock:
        return (f"{where}: {name} expected to average "
                f"{expected:,.0f} over {span}{_change_text(expected, before, True, noun)}")
    return f"{where}: {expected:,.0f} {name} expected in {span}{_change_text(expected, before, False, noun)}"


def _display_table(fc: pd.DataFrame, view: str, holidays: pd.DataFrame) -> pd.DataFrame:
    first = {"hourly": "Hour starting", "daily": "Date", "weekly": "Week commencing",
             "monthly": "Month"}[view]
    out = pd.DataFrame({first: fc["date"].to_numpy()})
    if view == "daily":
        out["Day"] = fc["date"].dt.day_name().str[:3].to_numpy()
    out["Expected"] = fc["mean"].round(0).to_numpy()
    for name, lo, hi in (("50%", "p25", "p75"), ("80%", "p10", "p90"), ("95%", "p2.5", "p97.5")):
        if lo in fc and hi in fc:
            out[f"{name} range from"] = fc[lo].round(0).to_numpy()
            out[f"{name} range to"] = fc[hi].round(0).to_numpy()
    if view == "daily":
        names = holidays.groupby("date")["name"].agg("; ".join).to_dict() if not holidays.empty else {}
        out["Bank holiday"] = [names.get(d, "") for d in fc["date"]]
    return out


@st.cache_data(max_entries=64, show_spinner=False)
def forecast_view(activity: pd.DataFrame, *, site: str, metric: str, model: str, horizon: int,
                  view: str, exclude: tuple = (), holidays: str = DEFAULT_HOLIDAYS,
                  source: str = "") -> ForecastView:
    """One series' forecast at a horizon and view, from the cached fit of every series.

    Raises ForecastUnavailable (plain English) when the engine cannot forecast the data.
    """
    frequency = data_frequency(activity)
    try:
        fc_all, selection, generated, seconds = run_forecast(
            activity, model, exclude, holidays, _scope(model, metric))
    except Exception as exc:  # the engine's messages are written for managers; pass them on
        raise ForecastUnavailable(
            f"The forecast could not be made with these settings: {exc} Try the automatic model "
            "or another data set.") from exc
    series = cache.with_total(activity)
    series = series[(series["site"] == site) & (series["metric"] == metric)]
    fc = fc_all[(fc_all["site"] == site) & (fc_all["metric"] == metric)].sort_values("date")
    if fc.empty or series.empty:
        raise ForecastUnavailable(f"There is no forecast for {metric} at {site}: the data has no "
                                  "such series.")
    fc = fc.head(int(horizon)).reset_index(drop=True)
    sel = selection[(selection["site"] == site) & (selection["metric"] == metric)]
    sel = sel.iloc[0].to_dict() if not sel.empty else {"model": fc["model"].iloc[0], "reason": "",
                                                       "notes": "", "data_through": series["date"].max()}
    data_through = pd.Timestamp(sel.get("data_through", series["date"].max()))
    unit = horizon_setting(frequency).unit
    notes = []

    shown = fc
    if view != frequency:
        agg = aggregate_forecast(fc, view)
        dropped = int((~agg["complete"]).sum())
        shown = agg[agg["complete"]].drop(columns=["days", "complete"]).reset_index(drop=True)
        if dropped:
            notes.append(f"Part {view[:-2]}s at the start or end of the horizon are left out of this "
                         f"view ({dropped}); the daily view shows every day.")
        if shown.empty:
            raise ForecastUnavailable(f"The horizon of {horizon} {unit} holds no whole "
                                      f"{view[:-2]}; choose a longer horizon or the daily view.")
    actuals = _actuals(series, frequency, view)
    start = _history_start(view, frequency, int(horizon), data_through, series["date"].min())
    actuals = actuals[actuals["date"] >= start].reset_index(drop=True)

    hol = bank_holidays(fc["date"].min(), fc["date"].max(), holidays) if frequency in ("daily", "hourly") \
        else pd.DataFrame(columns=["date", "name"])
    # on the chart: within the periods shown, and not on a monthly view (a month's point is its start)
    marks = hol if view != "monthly" else hol.iloc[0:0]
    if view == "weekly":
        marks = hol[(hol["date"] >= shown["date"].min())
                    & (hol["date"] < shown["date"].max() + pd.Timedelta(days=7))]
    shade = []
    for lo, hi in exclude:
        lo, hi = pd.Timestamp(lo), pd.Timestamp(hi)
        if hi >= actuals["date"].min() and lo <= data_through:
            label = "COVID-19: left out of fitting" if (lo, hi) == (_COVID_START, _COVID_END) \
                else "Left out of fitting"
            shade.append({"start": max(lo, actuals["date"].min()), "end": hi, "label": label})
    excluded = pd.DataFrame(shade, columns=["start", "end", "label"])

    contract = fc.assign(generated_at=generated, data_through=data_through)
    title = _headline(site, metric, frequency, int(horizon), fc, series)
    first, last = shown["date"].min(), shown["date"].max()
    date_fmt = {"hourly": "%d %b %Y %H:%M", "monthly": "%b %Y"}.get(frequency, "%d %b %Y")
    covid = " COVID-19 period left out of fitting." if exclude else ""
    subtitle = [
        f"{_VIEW_ADJ[view]} forecast {first:{date_fmt}} to {last:{date_fmt}} with 50%, 80% and 95% "
        f"ranges; actuals from {actuals['date'].min():{date_fmt}}.{covid}",
        f"Model: {model_label(sel['model'])}.",
        f"Source: {source or 'active data'}, data through {data_through:{date_fmt}}; "
        f"generated {generated:%d %b %Y %H:%M}.",
    ]
    return ForecastView(
        site=site, metric=metric, view=view, horizon=int(horizon), unit=unit, history=actuals,
        forecast=shown, holidays=marks.reset_index(drop=True), excluded=excluded, selection=sel,
        table=_display_table(shown, view, hol), csv=_csv(contract), title=title,
        subtitle=subtitle, notes=notes, seconds=seconds)


def table_config(view: str) -> dict:
    """Column formats for the forecast table."""
    fmt = {"hourly": "DD/MM/YYYY HH:mm", "daily": "DD/MM/YYYY", "weekly": "DD/MM/YYYY",
           "monthly": "MMM YYYY"}[view]
    first = {"hourly": "Hour starting", "daily": "Date", "weekly": "Week commencing",
             "monthly": "Month"}[view]
    config = {first: st.column_config.DatetimeColumn(format=fmt)}
    config["Expected"] = st.column_config.NumberColumn(format="localized",
                                                       help="The mean of the forecast distribution")
    for name in ("50%", "80%", "95%"):
        for end in ("from", "to"):
            config[f"{name} range {end}"] = st.column_config.NumberColumn(
                format="localized", help=f"{name} of outcomes are expected inside this range")
    return config


def file_name(prefix: str, fv: "ForecastView | None", data_through: pd.Timestamp) -> str:
    """'forecast_alexandra_attendances_data_to_20251031.csv' (every series without ``fv``)."""
    what = "all_series" if fv is None else f"{fv.site}_{fv.metric}"
    slug = "".join(c if c.isalnum() else "_" for c in what.lower()).strip("_")
    return f"{prefix}_{slug}_data_to_{pd.Timestamp(data_through):%Y%m%d}.csv"


def fan_chart(fv: ForecastView):
    """The fan chart of a ForecastView (built fresh; Altair objects are cheap to make)."""
    return charts.fan_chart(fv.history, fv.forecast, metric=fv.metric, title=fv.title,
                            subtitle=fv.subtitle, view=fv.view, holidays=fv.holidays,
                            excluded=fv.excluded)


def _csv(frame: pd.DataFrame) -> bytes:
    return cache.csv_bytes(frame)


@st.cache_data(max_entries=16, show_spinner=False)
def all_series_csv(activity: pd.DataFrame, *, model: str, horizon: int, exclude: tuple = (),
                   holidays: str = DEFAULT_HOLIDAYS, metric: str | None = None) -> bytes:
    """Every series' forecast to the chosen horizon, with generated_at and data_through.

    With a slow model only the chosen metric's series were fitted, so only those are included.
    """
    fc, selection, generated, _ = run_forecast(activity, model, exclude, holidays,
                                               _scope(model, metric))
    fc = fc.sort_values(["site", "metric", "date"]).groupby(["site", "metric"]).head(int(horizon))
    through = selection.set_index(["site", "metric"])["data_through"]
    fc = fc.assign(generated_at=generated,
                   data_through=through.reindex(pd.MultiIndex.from_frame(fc[["site", "metric"]])).to_numpy())
    return _csv(fc.reset_index(drop=True))


def selection_table(activity: pd.DataFrame, *, model: str, exclude: tuple = (),
                    holidays: str = DEFAULT_HOLIDAYS, metric: str | None = None) -> pd.DataFrame:
    """How each series' model was chosen, for the expander under the chart."""
    _, selection, _, _ = run_forecast(activity, model, exclude, holidays, _scope(model, metric))
    out = selection[["site", "metric", "model", "reason", "notes"]].copy()
    out["model"] = out["model"].map(model_label)
    out["metric"] = out["metric"].map(lambda m: METRIC_LABELS.get(m, m))
    return out.rename(columns=str.capitalize)


# --------------------------------------------------------------------------- what the model found
def pattern_source(model_used: str) -> str:
    """The model whose patterns are shown: the forecast's own when it has any, else count_glm."""
    name = str(model_used).split("+")[0]
    if name in REGISTRY and REGISTRY[name].components is not ForecastModel.components:
        return name
    return "count_glm"


@st.cache_data(max_entries=64, show_spinner="Reading the patterns the model found...")
def model_patterns(activity: pd.DataFrame, *, site: str, metric: str, model: str,
                   exclude: tuple = (), holidays: str = DEFAULT_HOLIDAYS) -> dict[str, pd.DataFrame]:
    """Weekly, annual and holiday effects for one series (empty when they cannot be found)."""
    try:
        return patterns(cache.with_total(activity), site, metric, model=model, holidays=holidays,
                        exclude=exclude)
    except Exception:  # an explanation is optional: the page says it is not available
        return {}


def pattern_caption(model_used: str, source: str, *, site: str, metric: str,
                    frequency: str = "daily") -> str:
    """Where the patterns come from, in a sentence."""
    where = "the trust total" if site == TRUST_TOTAL else site
    label = _lower_first(METRIC_LABELS.get(metric, metric.replace("_", " ")))
    text = (f"Patterns in {label} at {where}, found by the {_lower_first(REGISTRY[source].label)} "
            "in the history; the forecast builds them in.")
    if source not in str(model_used).split("+"):
        text += (f" The forecast itself uses {model_label(model_used)}, which does not split into "
                 "separate patterns, so these come from the count regression.")
    return text


def pattern_charts(found: dict[str, pd.DataFrame], *, frequency: str) -> dict:
    """The charts of what the model found ('weekly', 'annual', 'holidays'), titled with their message."""
    out = {}
    weekly = found.get("weekly")
    # for hourly data the engine adds up each weekday's 24 hours, so this is a day's total too
    if weekly is not None and not weekly.empty and frequency in ("daily", "hourly"):
        top = weekly.loc[weekly["effect_pct"].idxmax()]
        low = weekly.loc[weekly["effect_pct"].idxmin()]
        out["weekly"] = charts.weekly_pattern_chart(
            weekly, title=f"{top['day']}s busiest, {low['day']}s quietest",
            subtitle="% above or below the average day")
    annual = found.get("annual")
    if annual is not None and not annual.empty:
        peak = annual.loc[annual["effect_pct"].idxmax(), "date"]
        trough = annual.loc[annual["effect_pct"].idxmin(), "date"]
        out["annual"] = charts.annual_pattern_chart(
            annual, title=f"Highest in {peak:%B}, lowest in {trough:%B}",
            subtitle="% above or below the yearly average")
    hol = found.get("holidays")
    if hol is not None and not hol.empty:
        bank = hol.loc[hol["holiday"] == "Bank holiday", "effect_pct"]
        title = (f"Bank holidays {abs(bank.iloc[0]):.0f}% {'busier' if bank.iloc[0] > 0 else 'quieter'}"
                 " than a normal day" if len(bank) else "Bank holidays and Christmas")
        out["holidays"] = charts.holiday_effects_chart(
            hol, title=title, subtitle="% above or below a normal day")
    return out


# --------------------------------------------------------------------------- accuracy
#: Rolling-origin settings per period length: steps ahead, periods between origins, origins,
#: and the short range the accuracy sentence is about. Daily: 13 x 28 days = the last 12 months.
_BACKTEST = {
    "daily": {"horizon": 28, "step": 28, "origins": 13, "short": 7},
    # hourly fits are ~30 times the work of daily ones: 4 origins a quarter apart keep it usable
    "hourly": {"horizon": 48, "step": 13 * 168, "origins": 4, "short": 24},
    "weekly": {"horizon": 8, "step": 4, "origins": 13, "short": 4},
    "monthly": {"horizon": 3, "step": 1, "origins": 12, "short": 3},
}


def backtest_models(frequency: str, include_slow: bool = False) -> tuple[str, ...]:
    """Seasonal naive (the benchmark, always) and the other fast models; the slow ones if asked.

    The recent average is the last-resort fallback, not a contender, so it is left out.
    """
    names = [n for n in available_models(frequency, include_slow=include_slow) if n != "recent_level"]
    return tuple(["seasonal_naive"] + [n for n in names if n != "seasonal_naive"])


def slow_model_labels(frequency: str) -> list[str]:
    """Labels of the registered slow models (for the toggle), empty when none is installed."""
    return [REGISTRY[n].label for n in available_models(frequency) if REGISTRY[n].slow]


@st.cache_data(show_spinner="Backtesting: refitting every model at past dates over the last year "
                            "and comparing its forecasts with what happened. This takes a little "
                            "while the first time.", max_entries=16)
def run_backtest(activity: pd.DataFrame, metric: str, models: tuple[str, ...], exclude: tuple = (),
                 holidays: str = DEFAULT_HOLIDAYS) -> tuple[pd.DataFrame, float]:
    """The rolling-origin backtest of one metric at every site (and the trust total)."""
    frequency = data_frequency(activity)
    cfg = _BACKTEST[frequency]
    history = cache.with_total(activity)
    history = history[history["metric"] == metric]
    started = time.perf_counter()
    bt = backtest(history, cfg["horizon"], models=models, step=cfg["step"], n_origins=cfg["origins"],
                  exclude=exclude, holidays=holidays)
    return bt, time.perf_counter() - started


@dataclass(frozen=True)
class AccuracyResult:
    """What the Accuracy page shows for one metric."""

    metric: str
    frequency: str
    backtest: pd.DataFrame
    scores: pd.DataFrame            # evaluate(): site, metric, model, n, MAE ... best first per site
    table: pd.DataFrame             # display version of the scores
    sentences: list[str]
    sites: list[str]
    best: dict                      # site -> best model name
    origins: int
    horizon: int
    span: str                       # 'the last 12 months'
    seconds: float
    unranked: dict = field(default_factory=dict)  # site -> models left out of the ranking


def _like_for_like(bt: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The backtest rows every ranked model forecast, per site, so models are scored on the same days.

    A model that could not be fitted at some origins (too little history then) would otherwise be
    scored on an easier or harder subset. Models with under half the forecasts of the best
    covered one are left out of the ranking (returned per site) rather than shrink everyone's.
    """
    ok = bt.dropna(subset=["actual"])
    keep, unranked = [], {}
    for site, g in ok.groupby("site", sort=False):
        counts = g.groupby("model").size()
        ranked = counts[counts >= 0.5 * counts.max()].index
        if len(ranked) < len(counts):
            unranked[site] = [m for m in counts.index if m not in ranked]
        g = g[g["model"].isin(ranked)]
        n_models = g.groupby(["cutoff", "h"])["model"].transform("nunique")
        keep.append(g[n_models == len(ranked)])
    return (pd.concat(keep) if keep else ok.iloc[0:0]), unranked


def _span(bt: pd.DataFrame) -> str:
    days = (bt["date"].max() - bt["cutoff"].min()).days
    months = round(days / 30.44)
    if months >= 2:
        return f"the last {months} months"
    weeks = max(round(days / 7), 1)
    return f"the last {weeks} week{'s' if weeks != 1 else ''}"


def _within(bt: pd.DataFrame, model: str, short: int) -> float:
    part = bt[(bt["model"] == model) & (bt["h"] <= short)].dropna(subset=["actual"])
    if part.empty:
        return np.nan
    return float(np.quantile(np.abs(part["mean"] - part["actual"]), 0.8))


def _lower_first(label: str) -> str:
    """'Emergency admissions' -> 'emergency admissions'; 'A&E attendances' stays as it is."""
    return label[0].lower() + label[1:] if label[1:2].islower() else label


def _fmt(n: float) -> str:
    return f"{n:,.0f}" if n >= 10 else f"{n:,.1f}"


@st.cache_data(max_entries=16, show_spinner=False)
def accuracy(activity: pd.DataFrame, *, metric: str, include_slow: bool = False,
             exclude: tuple = (), holidays: str = DEFAULT_HOLIDAYS) -> AccuracyResult:
    """Backtest, scores, display table and one plain-English sentence per site for one metric."""
    frequency = data_frequency(activity)
    cfg = _BACKTEST[frequency]
    models = backtest_models(frequency, include_slow)
    try:
        bt, seconds = run_backtest(activity, metric, models, exclude, holidays)
    except Exception as exc:
        raise ForecastUnavailable(f"The backtest could not be run: {exc}") from exc
    if bt.empty or bt["actual"].notna().sum() == 0:
        need = cfg["horizon"] + cfg["step"]
        raise ForecastUnavailable(
            f"There is not enough history to backtest {METRIC_LABELS.get(metric, metric)}: each "
            f"origin needs the model's minimum history plus {cfg['horizon']} {_PERIOD_NOUN[frequency]}s "
            f"of actuals after it (at least {need} {_PERIOD_NOUN[frequency]}s in all).")
    fair, unranked = _like_for_like(bt)
    scores = evaluate(fair, frequency=frequency)
    site_order = {s: i for i, s in enumerate(metric_sites(activity, metric))}
    scores = (scores.assign(_s=scores["site"].map(site_order).fillna(len(site_order)))
              .sort_values(["_s", "pinball"], kind="stable").drop(columns="_s").reset_index(drop=True))
    sites = list(dict.fromkeys(scores["site"]))
    best = {s: scores.loc[scores["site"] == s, "model"].iloc[0] for s in sites}

    table = pd.DataFrame({
        "Site": scores["site"],
        "Rank": scores.groupby("site").cumcount() + 1,
        "Model": scores["model"].map(model_label),
        "MAE": scores["MAE"].round(1),
        "MAPE (%)": scores["MAPE"].round(1),
        "MASE": scores["MASE"].round(2),
        "Pinball loss": scores["pinball"].round(2),
        "Bias": scores["bias"].round(1),
        "80% range held (%)": (100 * scores["coverage_80"]).round(0),
        "95% range held (%)": (100 * scores["coverage_95"]).round(0),
        "Forecasts scored": scores["n"].astype(int),
    })

    span = _span(bt)
    noun = _PERIOD_NOUN[frequency]
    unit = _UNITS.get(metric, metric.replace("_", " "))
    short = cfg["short"]
    sentences = []
    for s in sites:
        n = _within(bt[bt["site"] == s], best[s], short)
        if not np.isfinite(n):
            continue
        text = (f"**{'Trust total' if s == TRUST_TOTAL else s}**: Over {span}, forecasts 1-{short} "
                f"{noun}s ahead were within ±{_fmt(n)} {unit} on 80% of {noun}s, using the "
                f"{_lower_first(model_label(best[s]))}")
        if best[s] != "seasonal_naive":
            naive = _within(bt[bt["site"] == s], "seasonal_naive", short)
            if np.isfinite(naive):
                text += f"; the seasonal naive benchmark was within ±{_fmt(naive)}"
        sentences.append(text + ".")
    return AccuracyResult(metric=metric, frequency=frequency, backtest=bt, scores=scores,
                          table=table, sentences=sentences, sites=sites, best=best,
                          origins=int(bt["cutoff"].nunique()), horizon=cfg["horizon"], span=span,
                          seconds=seconds, unranked=unranked)


def backtest_chart(result: AccuracyResult, site: str, model: str, *, source: str = ""):
    """Forecasts from each origin against what happened, for one site and model."""
    bt = result.backtest[(result.backtest["site"] == site) & (result.backtest["model"] == model)]
    noun = _PERIOD_NOUN[result.frequency]
    unit = _UNITS.get(result.metric, result.metric.replace("_", " "))
    n = _within(bt, model, _BACKTEST[result.frequency]["short"])
    err = bt.dropna(subset=["actual"])
    within80 = np.mean((err["actual"] >= err["p10"]) & (err["actual"] <= err["p90"])) if len(err) else np.nan
    where = "across the trust" if site == TRUST_TOTAL else f"at {site}"
    title = (f"{model_label(model)} {where}: the 80% range held the actual on {100 * within80:.0f}% "
             f"of {noun}s" if np.isfinite(within80) else f"{model_label(model)} {where}")
    fmt = "%d %b %Y"
    subtitle = [f"{result.origins} forecasts of {result.horizon} {noun}s, made from "
                f"{bt['cutoff'].min():{fmt}} to {bt['cutoff'].max():{fmt}}; each line starts where "
                f"its data ended" + (f"; 1-{_BACKTEST[result.frequency]['short']} {noun}s ahead within "
                                     f"±{_fmt(n)} {unit} on 80% of {noun}s" if np.isfinite(n) else ""),
                f"Source: {source or 'active data'}"]
    return charts.backtest_chart(bt, metric=result.metric, title=title, subtitle=subtitle,
                                 view=result.frequency if result.frequency != "monthly" else "monthly")


def coverage_chart(result: AccuracyResult, site: str, *, source: str = ""):
    """80 % and 95 % range coverage of every model at one site, against the targets."""
    part = result.scores[result.scores["site"] == site]
    best = result.best.get(site)
    row = part[part["model"] == best]
    where = "across the trust" if site == TRUST_TOTAL else f"at {site}"
    if not row.empty and pd.notna(row["coverage_80"].iloc[0]):
        title = (f"The best model's 80% range held the actual on {100 * row['coverage_80'].iloc[0]:.0f}% "
                 f"of {_PERIOD_NOUN[result.frequency]}s {where} (target 80%)")
    else:
        title = f"How often the forecast ranges held the actual {where}"
    labels = {n: model_label(n) for n in part["model"]}
    return charts.coverage_chart(
        part, title=title, model_labels=labels,
        subtitle=[f"Share of actuals inside each range over {result.span} of backtests; "
                  "a model on its target line is honest about its uncertainty",
                  f"{METRIC_LABELS.get(result.metric, result.metric)}. Source: {source or 'active data'}"])


def backtest_description(frequency: str) -> str:
    """What the backtest does, in a sentence or two, for the page's caption."""
    cfg = _BACKTEST.get(frequency, _BACKTEST["daily"])
    noun = _PERIOD_NOUN.get(frequency, "period")
    apart = (f"{cfg['step'] // 168} weeks" if frequency == "hourly" else
             f"{cfg['step']} {noun}{'s' if cfg['step'] != 1 else ''}")  # '1 month apart'
    return (f"A rolling-origin backtest: each model is refitted on the data up to {cfg['origins']} "
            f"past dates, {apart} apart, forecasts the next {cfg['horizon']} {noun}s, "
            "and is scored against what actually happened. Only data up to each date is used, "
            "exactly as a forecast made then would have been.")


_BENCHMARK = {"hourly": "same hour last week", "daily": "same day last week",
              "weekly": "same week last year", "monthly": "same month last year"}


def scores_caption(frequency: str) -> str:
    """How to read the scores table."""
    return ("Best first within each site (lowest pinball loss, which scores the whole forecast "
            f"distribution). Seasonal naive ({_BENCHMARK.get(frequency, 'same period last cycle')}) "
            "is the benchmark every model must beat. MAE: average miss; MAPE: average miss as % of "
            "the actual; MASE below 1 beats the benchmark; bias above 0 means forecasts ran high; "
            "the range columns should read about 80 and 95.")


def unranked_notes(result: AccuracyResult) -> list[str]:
    """One sentence per site whose ranking leaves a model out, saying which and why."""
    return [f"{'Trust total' if site == TRUST_TOTAL else site}: "
            f"{', '.join(model_label(m) for m in models)} could be fitted at too few of the backtest "
            "dates (too little history before them) to be ranked with the others; its forecasts "
            "are still in the chart below." for site, models in result.unranked.items()]


def models_in(result: AccuracyResult) -> list[str]:
    """The models of a backtest, in the order the engine ran them (seasonal naive first)."""
    return list(dict.fromkeys(result.backtest["model"]))


def scores_config(frequency: str = "daily") -> dict:
    """Column help and formats for the scores table."""
    num = st.column_config.NumberColumn
    benchmark = _BENCHMARK.get(frequency, "the same period last cycle")
    return {
        "Rank": num(help="1 = lowest pinball loss at this site"),
        "MAE": num(format="localized", help="Mean absolute error: the average miss"),
        "MAPE (%)": num(format="%.1f", help="Mean absolute percentage error"),
        "MASE": num(format="%.2f", help=("Mean absolute scaled error: the average miss over the average miss of "
                                                f"'{benchmark}' within the history; below 1 beats it")),
        "Pinball loss": num(format="%.2f", help="Scores every quantile of the forecast; lower is better"),
        "Bias": num(format="%+.1f", help="Average forecast minus actual: above 0 means forecasts ran high"),
        "80% range held (%)": num(format="%.0f", help="Share of actuals inside the 80% range (target 80)"),
        "95% range held (%)": num(format="%.0f", help="Share of actuals inside the 95% range (target 95)"),
        "Forecasts scored": num(help="Forecast periods compared with an actual: at each site, the "
                                     "same periods for every ranked model"),
    }


def scores_csv(result: AccuracyResult) -> bytes:
    """The scores table as CSV (the engine's column names, for analysts)."""
    return _csv(result.scores)
