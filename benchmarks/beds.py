"""Time the analytic bed-occupancy path against the patient-level Monte Carlo (3 sites x 90 days).

Run: python benchmarks/beds.py [--repeat 5] [--paths 2000] [--markdown benchmarks/beds.md]
Target (issue 4): the analytic path >= 50x faster than the simulation.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from forecasting.capacity.beds import (  # noqa: E402
    DEFAULT_QUANTILES, bed_occupancy, census_from_spells, simulate_occupancy,
)
from forecasting.capacity.los import LengthOfStay, read_spells  # noqa: E402
from forecasting.io import load_sample  # noqa: E402

EXTRACT = pd.Timestamp("2025-10-31")


def inputs(horizon: int = 90):
    """Sample stays and census for the two acute sites plus a third built as a copy of the first
    (the sample has admissions and spells at two sites only), and a 90-day admissions forecast."""
    spells = read_spells(ROOT / "sample_data" / "spells.csv")
    third = spells[spells["site"] == "Alexandra"].assign(site="Alexandra (copy)")
    spells = pd.concat([spells, third], ignore_index=True)
    los = {s: LengthOfStay.from_spells(spells, site=s, as_of=EXTRACT, window_start="2024-11-01")
           for s in sorted(spells["site"].unique())}
    census = census_from_spells(spells, EXTRACT)
    daily = load_sample("daily")
    parts = []
    dates = pd.date_range(EXTRACT + pd.Timedelta(days=1), periods=horizon)
    for s in los:
        src = s.replace(" (copy)", "")
        a = daily[(daily["metric"] == "admissions") & (daily["site"] == src)].tail(56)
        mu = a.groupby(a["date"].dt.day_of_week)["value"].mean().reindex(dates.day_of_week).to_numpy()
        f = pd.DataFrame({"site": s, "metric": "admissions", "date": dates, "model": "bench", "mean": mu})
        for q in DEFAULT_QUANTILES:
            f[f"p{q * 100:g}"] = mu + stats.norm.ppf(q) * 1.3 * np.sqrt(mu)
        parts.append(f)
    return pd.concat(parts, ignore_index=True), los, census


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main(argv=None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--paths", type=int, default=2000)
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args(argv)
    fc, los, census = inputs()
    analytic = timed(lambda: bed_occupancy(fc, los, census=census), args.repeat)
    sim = timed(lambda: simulate_occupancy(fc, los, census=census, n_paths=args.paths, seed=0),
                max(1, args.repeat // 2))
    a = bed_occupancy(fc, los, census=census)
    m = simulate_occupancy(fc, los, census=census, n_paths=args.paths, seed=1)
    rel = float((a["mean"] / m["mean"] - 1).abs().max())
    gap = float(np.maximum((a["p10"] - m["p10"]).abs(), (a["p90"] - m["p90"]).abs()).max())
    ratio = statistics.median(sim) / statistics.median(analytic)
    lines = [
        "# Bed occupancy benchmark",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, pandas {pd.__version__}; "
        f"3 sites x 90 days with the census at {EXTRACT.date()}, "
        f"Monte Carlo with {args.paths} paths. Median of {args.repeat} (analytic) / "
        f"{max(1, args.repeat // 2)} (simulation) runs.",
        "",
        "| path | median s | min s | target |",
        "|---|---|---|---|",
        f"| analytic (moment-matched M_t/G/inf) | {statistics.median(analytic):.4f} "
        f"| {min(analytic):.4f} | |",
        f"| patient-level Monte Carlo | {statistics.median(sim):.3f} | {min(sim):.3f} | |",
        f"| speed ratio | {ratio:.0f}x | | >= 50x |",
        "",
        f"Agreement (same run, other seed): largest relative gap in mean {rel:.2%} (target < 1 %); "
        f"largest P10/P90 gap {gap:.2f} beds (target 2; simulation noise with {args.paths} paths "
        "is about 0.8 beds per quantile).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    return text


if __name__ == "__main__":
    main()
