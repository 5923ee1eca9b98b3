"""Rolling-origin accuracy of every model and `auto`, on the sample and on NHS England monthly returns.

Run: python benchmarks/forecast_accuracy.py [--origins 52] [--step 7] [--markdown benchmarks/forecast_accuracy.md]

Part 1 (sample): 3 sites x attendances and admissions, daily, 28-day horizon, weekly origins over
the last year, COVID-19 period excluded from fitting. Part 2 (NHS England): every provider with 36
months of type 1 attendances in ../shared/data/nhse, fitted on the first 24 months, scored on the
next 12. Part 3: wall time of `auto` against Prophet alone for one 5-year daily series (28 days),
measured in the same run, as a ratio.

Targets (issue 3): auto at least as accurate as Prophet on pinball loss for every series; auto's
MASE at least 25 % below seasonal naive; 80 % intervals covering 76-84 %; auto <= 2x Prophet's time.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forecasting import backtest, forecast, load_sample  # noqa: E402
from forecasting.calendar import COVID_EXCLUSION  # noqa: E402
from forecasting.metrics import evaluate  # noqa: E402
from forecasting.models import REGISTRY  # noqa: E402

NHSE = ROOT.parent / "shared" / "data" / "nhse" / "ae_attendances_monthly_2016_2019.csv"


def _models(frequency: str) -> list[str]:
    names = [n for n, c in REGISTRY.items() if frequency in c.frequencies and n != "recent_level"]
    return names + ["auto"]


def _run(history, horizon, models, *, origins, step, exclude=()) -> tuple[pd.DataFrame, dict]:
    """Backtest each model on its own so its seconds per forecast call can be reported."""
    parts, seconds = [], {}
    for name in models:
        t0 = time.perf_counter()
        bt = backtest(history, horizon, models=[name], n_origins=origins, step=step, exclude=exclude)
        elapsed = time.perf_counter() - t0
        calls = bt.groupby(["site", "metric", "cutoff"]).ngroups if not bt.empty else 0
        seconds[name] = elapsed / max(calls, 1)
        parts.append(bt)
        print(f"  {name}: {elapsed:.1f} s for {calls} forecasts", flush=True)
    return pd.concat(parts, ignore_index=True), seconds


def _table(scores: pd.DataFrame, seconds: dict, keys: list[str]) -> list[str]:
    lines = ["| " + " | ".join(keys + ["model", "MASE", "pinball", "80% cover", "95% cover",
                                        "s / forecast"]) + " |",
             "|" + "---|" * (len(keys) + 6)]
    for _, r in scores.iterrows():
        lines.append("| " + " | ".join([str(r[k]) for k in keys] + [
            r["model"], f"{r['MASE']:.3f}", f"{r['pinball']:.2f}", f"{r['coverage_80']:.1%}",
            f"{r['coverage_95']:.1%}", f"{seconds.get(r['model'], float('nan')):.2f}"]) + " |")
    return lines


def _verdicts(scores: pd.DataFrame, keys: list[str]) -> tuple[list[str], pd.DataFrame]:
    rows = []
    for key, g in scores.groupby(keys):
        g = g.set_index("model")
        if "auto" not in g.index:
            continue
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        row["auto_pinball"] = g.loc["auto", "pinball"]
        row["prophet_pinball"] = g.loc["prophet", "pinball"] if "prophet" in g.index else float("nan")
        row["mase_gain"] = 1 - g.loc["auto", "MASE"] / g.loc["seasonal_naive", "MASE"]
        row["cover80"] = g.loc["auto", "coverage_80"]
        rows.append(row)
    v = pd.DataFrame(rows)
    lines = [
        f"- auto pinball <= Prophet pinball: {(v.auto_pinball <= v.prophet_pinball + 1e-12).sum()} of "
        f"{v.prophet_pinball.notna().sum()} series",
        f"- auto MASE at least 25 % below seasonal naive: {(v.mase_gain >= 0.25).sum()} of {len(v)} series "
        f"(median gain {v.mase_gain.median():.1%}, range {v.mase_gain.min():.1%} to {v.mase_gain.max():.1%})",
        f"- auto 80 % coverage within 76-84 %: {v.cover80.between(0.76, 0.84).sum()} of {len(v)} series "
        f"(median {v.cover80.median():.1%}, range {v.cover80.min():.1%} to {v.cover80.max():.1%})",
    ]
    return lines, v


def sample_part(args) -> list[str]:
    d = load_sample("daily")
    hist = d[d.metric.isin(["attendances", "admissions"])]
    print("Sample, daily, 28-day horizon", flush=True)
    bt, seconds = _run(hist, 28, _models("daily"), origins=args.origins, step=args.step,
                       exclude=COVID_EXCLUSION)
    scores = evaluate(bt)
    verdict, _ = _verdicts(scores, ["site", "metric"])
    overall = evaluate(bt.assign(site="all", metric="all"))
    return (["## 1. Sample data: 5 daily series, 28-day horizon",
             "",
             f"{args.origins} origins {args.step} days apart (the last year), COVID-19 period "
             "(23/03/2020-30/06/2021) excluded from fitting.", ""]
            + verdict + ["", "### All series together", ""]
            + _table(overall, seconds, []) + ["", "### Per series", ""]
            + _table(scores, seconds, ["site", "metric"]))


def nhse_part(args) -> list[str]:
    if not NHSE.exists():
        return ["## 2. NHS England monthly returns", "", f"Skipped: {NHSE} not found."]
    ae = pd.read_csv(NHSE, parse_dates=["period"])
    t1 = ae[ae["type"].astype(str) == "1"]
    months = t1.groupby("org_code")["period"].nunique()
    orgs = months[months == 36].index
    if args.max_providers:
        orgs = orgs[: args.max_providers]
    hist = pd.DataFrame({"site": t1.org_code, "metric": "attendances_type1", "date": t1.period,
                         "value": t1.attendances})
    hist = hist[hist.site.isin(orgs)]
    print(f"NHS England monthly, {len(orgs)} providers", flush=True)
    bt, seconds = _run(hist, 12, _models("monthly"), origins=1, step=12)
    scores = evaluate(bt)
    verdict, _ = _verdicts(scores, ["site", "metric"])
    overall = evaluate(bt.assign(site="all", metric="all"))
    return (["## 2. NHS England monthly returns: type 1 attendances", "",
             f"{len(orgs)} providers with all 36 months (April 2016 to March 2019): fitted on 24 "
             "months, scored on the next 12 (one origin).", ""]
            + verdict + ["", "### All providers together", ""] + _table(overall, seconds, []))


def timing_part(args) -> list[str]:
    d = load_sample("daily")
    y = d[(d.site == "Worcestershire Royal") & (d.metric == "attendances")]
    y = y[y.date > y.date.max() - pd.Timedelta(days=5 * 365)]
    times = {"auto": [], "prophet": []}
    for _ in range(args.repeat):
        for name in ("prophet", "auto"):
            t0 = time.perf_counter()
            forecast(y, 28, model=name, calibrate=False, n_jobs=1)
            times[name].append(time.perf_counter() - t0)
    auto, prophet = statistics.median(times["auto"]), statistics.median(times["prophet"])
    return ["## 3. Speed: auto against Prophet alone", "",
            f"One 5-year daily series (Worcestershire Royal attendances), 28-day horizon, one process, "
            f"median of {args.repeat} alternating runs: auto {auto:.2f} s, Prophet {prophet:.2f} s, "
            f"ratio **{auto / prophet:.2f}x** (target <= 2x)."]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origins", type=int, default=52)
    parser.add_argument("--step", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-providers", type=int, default=0, help="0 = all")
    parser.add_argument("--markdown", type=Path, default=None)
    parser.add_argument("--parts", default="1,2,3")
    args = parser.parse_args()
    t0 = time.perf_counter()
    lines = ["# Forecast accuracy benchmark", "",
             f"Machine: {platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores, "
             f"Python {platform.python_version()}. Models: {', '.join(_models('daily'))}.", ""]
    parts = {"1": sample_part, "2": nhse_part, "3": timing_part}
    for key in args.parts.split(","):
        lines += parts[key](args) + [""]
    lines.append(f"Total benchmark time: {time.perf_counter() - t0:.0f} s.")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(text)


if __name__ == "__main__":
    main()
