"""Speed a user feels: the first automatic forecast, then reruns from cache when the view changes.

Run: python benchmarks/app_latency.py [--repeat 3] [--markdown benchmarks/app_latency.md]

Targets (issue 3): the first `auto` forecast of every sample series (3 sites x attendances and
admissions, 90-day horizon) in <= 15 s on 2 cores; changing the site, the view or the horizon
within what was fitted reruns the page from cache in <= 0.5 s. Measured twice: the engine call
alone, and the Forecast page under streamlit.testing.v1.AppTest (a fresh process each repeat, so
the cache starts cold; the page fits every series and the trust total at the longest horizon).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Every run: a fresh AppTest of the app on the bundled sample, and timed(label, action), which
# performs the action, reruns the page and records the seconds under the label.
_PREAMBLE = r'''
import json, sys, time
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=600).run()
times = {}
def timed(label, action):
    t0 = time.perf_counter(); action().run(); times[label] = time.perf_counter() - t0
    assert not at.exception, at.exception
'''

_PAGE_RUN = _PREAMBLE + r'''
timed("first page run (cold cache)", lambda: at.switch_page("app_pages/forecast.py"))
timed("change site", lambda: at.selectbox(key="fc_site").set_value("Alexandra"))
timed("change metric", lambda: at.selectbox(key="fc_metric").set_value("admissions"))
timed("change horizon 90 -> 180 days", lambda: at.slider(key="fc_horizon").set_value(180))
timed("weekly view", lambda: at.radio(key="fc_view").set_value("weekly"))
timed("monthly view", lambda: at.radio(key="fc_view").set_value("monthly"))
timed("plain rerun", lambda: at)
print(json.dumps(times))
'''

# Beds, Workforce and Scenarios after the Forecast page has fitted (the usual path through the app):
# their outlooks are new computations on the cached forecast, then reruns from their own cache.
_CAPACITY_RUN = _PREAMBLE + r'''
at.switch_page("app_pages/forecast.py").run()
timed("Beds: first run (forecast cached)", lambda: at.switch_page("app_pages/beds.py"))
timed("Beds: change site", lambda: at.radio(key="beds_site").set_value("Alexandra"))
timed("Beds: horizon 90 -> 180 days (new outlook)", lambda: at.slider(key="beds_horizon").set_value(180))
timed("Beds: back to 90 days (cached)", lambda: at.slider(key="beds_horizon").set_value(90))
timed("Workforce: first run", lambda: at.switch_page("app_pages/workforce.py"))
timed("Workforce: change site", lambda: at.radio(key="staff_site").set_value("Kidderminster"))
timed("Workforce: P80 -> P90 (new outlook)", lambda: at.radio(key="staff_quantile").set_value(0.9))
timed("Scenarios: first run (baseline only)", lambda: at.switch_page("app_pages/scenarios.py"))
at.text_input(key="scn_name").set_value("SDEC 10 %")
at.number_input(key="scn_avoided").set_value(10.0)
timed("Scenarios: save one and compare", lambda: at.button[0].click())
print(json.dumps(times))
'''

# The Accuracy page from a fresh process: its backtest (13 origins x the fast models x the sites
# and trust total of one metric) runs on first sight of each metric, then reruns come from cache.
_ACCURACY_RUN = _PREAMBLE + r'''
timed("Accuracy: first run (cold cache, A&E attendances)", lambda: at.switch_page("app_pages/accuracy.py"))
timed("Accuracy: change site (cached)", lambda: at.selectbox(key="acc_site").set_value("Alexandra"))
timed("Accuracy: another metric (new backtest)", lambda: at.selectbox(key="acc_metric").set_value("admissions"))
print(json.dumps(times))
'''


def engine_first_forecast() -> float:
    """Seconds for forecast(auto) of the 5 sample series, 90 days, in a fresh process."""
    code = (
        "import time; t0=time.perf_counter();"
        "from forecasting import forecast, load_sample;"
        "from forecasting.calendar import COVID_EXCLUSION;"
        "d=load_sample(); h=d[d.metric.isin(['attendances','admissions'])];"
        "t1=time.perf_counter(); forecast(h, 90, exclude=COVID_EXCLUSION);"
        "print(time.perf_counter()-t1)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def page_latency(script: str = _PAGE_RUN) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", script, str(ROOT / "app.py")], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _rows(runs: list[dict[str, float]]) -> list[str]:
    """A markdown table of each step's median and worst seconds over the runs."""
    lines = ["| step | median s | worst s |", "|---|---|---|"]
    for key in runs[0]:
        vals = [r[key] for r in runs]
        lines.append(f"| {key} | {statistics.median(vals):.2f} | {max(vals):.2f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--markdown", type=Path, default=None)
    parser.add_argument("--parts", default="forecast,capacity,accuracy")
    args = parser.parse_args()
    parts = args.parts.split(",")
    if parts == ["accuracy"]:  # a quick look at one page
        print("\n".join(_rows([page_latency(_ACCURACY_RUN) for _ in range(args.repeat)])))
        return
    engine = [engine_first_forecast() for _ in range(args.repeat)]
    pages = [page_latency() for _ in range(args.repeat)]
    lines = ["# App latency benchmark", "",
             f"Machine: {platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores, "
             f"Python {platform.python_version()}; median (and worst) of {args.repeat} fresh processes.", "",
             "| step | median s | worst s | target |", "|---|---|---|---|",
             f"| engine: first auto forecast, 5 sample series, 90 days | {statistics.median(engine):.2f} | "
             f"{max(engine):.2f} | <= 15 s |"]
    for key in pages[0]:
        vals = [p[key] for p in pages]
        target = "<= 15 s" if key.startswith("first") else "<= 0.5 s"
        lines.append(f"| Forecast page: {key} | {statistics.median(vals):.2f} | {max(vals):.2f} | {target} |")
    capacity = [page_latency(_CAPACITY_RUN) for _ in range(args.repeat)]
    lines += ["", "Capacity pages, in the same kind of fresh process, after the Forecast page has fitted:", ""]
    lines += _rows(capacity)
    lines += ["", "Accuracy page, in a fresh process of its own (the slow models, Prophet and MSTL, "
              "only when asked for):", ""]
    lines += _rows([page_latency(_ACCURACY_RUN) for _ in range(args.repeat)])
    lines += ["", "The page's first run fits all 17 series (the sample's 12 site series, "
              "beds and breaches included, and 5 trust totals) at the longest horizon offered (548 days), so later "
              "horizon, site, metric and view changes are slices of the cached result."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(text)


if __name__ == "__main__":
    main()
