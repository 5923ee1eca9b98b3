"""Wall time and peak memory of the scheduled run: `python -m forecasting run` on the sample, every output.

Run: python benchmarks/pipeline.py [--repeat 3] [--markdown benchmarks/pipeline.md]

Target (issue 5): the sample (3 sites; attendances and admissions forecast for each site and the
trust; 90-day horizon; forecast CSV, XLSX, PNG charts, PDF and PPTX) in <= 60 s and <= 2 GiB on
2 cores. Each repeat is a fresh child process, as a scheduler would start it. Memory is measured
two ways: the peak resident set of the largest single process (getrusage of the children, which
covers the model-fitting workers too) and the peak of the whole process tree added up (sampled
from /proc every 0.1 s), which is what the machine must actually hold.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60
TARGET_MIB = 2048


def _tree_rss_mib(root: int) -> float:
    """Resident memory of a process and all its descendants, in MiB (Linux /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(rss.get(p, 0) for p in tree) / 2**20


def run_once(horizon: int = 90) -> dict:
    """One CLI run on the sample into a temporary folder: seconds, peak MiB and what it wrote."""
    with tempfile.TemporaryDirectory() as out:
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "forecasting", "run", "--data", "sample",
                                  "--horizon", str(horizon), "--out", out, "--quiet"],
                                 cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        tree_peak = 0.0
        while child.poll() is None:
            tree_peak = max(tree_peak, _tree_rss_mib(child.pid))
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        stdout, stderr = child.communicate()
        if child.returncode != 0:
            raise RuntimeError(f"The CLI failed ({child.returncode}):\n{stderr}")
        # ru_maxrss (KiB on Linux) is the largest single child process so far; a rerun in the same
        # benchmark can only report a new peak when it is higher, hence 'before'
        single_peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
        files = [Path(line) for line in stdout.split()]
        sizes = {p.name: p.stat().st_size for p in files}
    return {"seconds": seconds, "tree_mib": tree_peak, "single_mib": single_peak, "files": sizes}


def markdown(results: list[dict], horizon: int) -> str:
    secs = [r["seconds"] for r in results]
    tree = [r["tree_mib"] for r in results]
    single = [r["single_mib"] for r in results]
    files = results[-1]["files"]
    charts = sum(1 for n in files if n.endswith(".png"))
    pdf_mib = files.get("board_pack.pdf", 0) / 2**20
    pptx_mib = files.get("board_pack.pptx", 0) / 2**20
    lines = [
        "# Pipeline benchmark: `python -m forecasting run` on the sample",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"median (and worst) of {len(results)} fresh processes; load average {os.getloadavg()[0]:.1f} at the "
        "end (other work shared the cores). Run: `python benchmarks/pipeline.py`.",
        "",
        f"Sample: 3 sites; attendances (3 sites) and admissions (2 sites) plus the trust total of each, "
        f"forecast {horizon} days ahead by the automatic model choice (7 series); beds, workforce, "
        f"every output: forecast CSV, XLSX, {charts} PNG charts, PDF ({pdf_mib:.1f} MiB) and PPTX "
        f"({pptx_mib:.1f} MiB).",
        "",
        "| measure | median | worst | target |",
        "|---|---|---|---|",
        f"| wall time, s | {statistics.median(secs):.1f} | {max(secs):.1f} | <= {TARGET_SECONDS} s |",
        f"| peak memory, whole process tree, MiB | {statistics.median(tree):.0f} | {max(tree):.0f} | "
        f"<= {TARGET_MIB} MiB |",
        f"| peak memory, largest single process, MiB | {statistics.median(single):.0f} | {max(single):.0f} "
        f"| <= {TARGET_MIB} MiB |",
        "",
        "The tree figure adds up the CLI and its model-fitting worker processes, sampled every 0.1 s: "
        "pages the forked workers share with the parent are counted once per process, so it overstates "
        "the memory needed, and a short peak between samples can be missed. The single-process figure "
        "is the kernel's exact high-water mark of the largest process (the CLI itself: data, forecasts, "
        "outlooks, chart rendering by vl-convert and the PDF/PPTX in memory).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="fresh runs to time (default 3)")
    parser.add_argument("--horizon", type=int, default=90, help="days ahead (default 90)")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    results = []
    for i in range(args.repeat):
        r = run_once(args.horizon)
        print(f"run {i + 1}: {r['seconds']:.1f} s, tree {r['tree_mib']:.0f} MiB, "
              f"largest process {r['single_mib']:.0f} MiB", file=sys.stderr)
        results.append(r)
    text = markdown(results, args.horizon)
    print(text)
    if args.markdown:
        args.markdown.write_text(text)


if __name__ == "__main__":
    main()
