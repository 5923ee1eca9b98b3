"""Time loading and validating a large daily activity file (20 sites x 10 years x 4 metrics).

Run: python benchmarks/load.py [--repeat 5] [--markdown benchmarks/load.md]
Target (issue 2): load + validate ~300k rows in <= 3 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import io
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from forecasting.io import read_activity  # noqa: E402


def make_file(fmt: str, n_sites: int = 20, years: int = 10, seed: int = 0) -> bytes:
    """A realistic daily file in long form (CSV with UK dates, XLSX or Parquet)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2015-11-01", periods=365 * years + 2, freq="D")
    metrics = ["attendances", "admissions", "ambulance_arrivals", "breaches_4h"]
    frames = []
    for s in range(n_sites):
        for m, scale in zip(metrics, (300, 90, 95, 80)):
            frames.append(pd.DataFrame({"site": f"Site {s + 1:02d}", "metric": m, "date": dates,
                                        "value": rng.poisson(scale, len(dates))}))
    df = pd.concat(frames, ignore_index=True)
    if fmt == "parquet":
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        return buf.getvalue()
    if fmt == "csv-wide":
        wide = df.pivot_table(index=["date", "site"], columns="metric", values="value").reset_index()
        wide["date"] = wide["date"].dt.strftime("%d/%m/%Y")
        return wide.to_csv(index=False).encode()
    df["date"] = df["date"].dt.strftime("%d/%m/%Y")
    return df.to_csv(index=False).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--markdown", type=Path, default=None)
    args = parser.parse_args()
    lines = [
        "# Loading benchmark",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, pandas {pd.__version__}; "
        f"median of {args.repeat} runs of `read_activity` (parse + validate) per format.",
        "",
        "| file | rows (long) | size MB | median s | min s | target |",
        "|---|---|---|---|---|---|",
    ]
    for fmt in ("csv", "csv-wide", "parquet"):
        data = make_file(fmt)
        times, result = [], None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = read_activity(data, today="2026-01-01")
            times.append(time.perf_counter() - t0)
        assert result is not None and result.report.ok, str(result.report)
        lines.append(f"| {fmt} | {len(result.frame):,} | {len(data) / 1e6:.1f} | "
                     f"{statistics.median(times):.2f} | {min(times):.2f} | <= 3 s |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(text)


if __name__ == "__main__":
    main()
