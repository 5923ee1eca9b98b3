"""Command line: `python -m forecasting run ...` builds every output of the board pack without the browser."""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

__all__ = ["EXIT_BAD_INPUT", "InputError", "build_parser", "main"]

#: Exit status for input that cannot be used (the validation report is printed on stderr).
EXIT_BAD_INPUT = 2
_PACK_FILES = ("forecast.csv", "board_pack.xlsx", "board_pack.pdf", "board_pack.pptx")
_CHART_GLOB = "charts/[0-9][0-9]_*.png"  # the pack's chart names; other files in charts/ are the user's
_SAMPLE_SPELLS_WINDOW = "2024-11-01"  # the sample extract holds every spell in hospital from this day
_OUTPUTS = """outputs written to --out:
  forecast.csv          the forecast contract with generated_at, data_through, scenario and version
  board_pack.xlsx       forecast, model selection, backtest scores, headline figures, beds, workforce,
                        scenario comparison and parameters, and a notes sheet
  board_pack.pdf        A4 landscape board pack: cover, summaries, SPC, forecasts, beds, workforce,
                        scenarios and methods
  board_pack.pptx       16:9 deck: title, summary, one chart per slide
  charts/NN_name.png    every chart of the pack as a PNG (150 dpi across A4)

--out must be a folder (created if missing). What is replaced: once the pack is built, and just
before it is written, forecast.csv, board_pack.xlsx, board_pack.pdf, board_pack.pptx and every
charts/NN_*.png (two digits, underscore: a chart of an earlier run) are deleted, so charts of sites
or sections not in this run do not linger. Nothing else in the folder is touched or deleted. If the
run stops on bad input, the earlier outputs are left as they were.

exit status: 0 done; 2 input that cannot be used (the validation report is printed on stderr), or an
--out that is a file or cannot be written to.
example: python -m forecasting run --data sample --horizon 90 --out board_pack/"""


class InputError(Exception):
    """An input file that cannot be used; ``report`` is the text to print (what is wrong, what to do)."""

    def __init__(self, message: str, report: str = ""):
        super().__init__(message)
        self.report = report


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (``run`` is the only command)."""
    parser = argparse.ArgumentParser(
        prog="python -m forecasting",
        description="UEC Demand & Capacity Workbench from the command line: the same forecasts, bed and "
                    "staffing outlooks and board pack as the app, e.g. for a nightly scheduled refresh.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run", help="forecast, plan beds and staff, and write the CSV, XLSX, PNG charts, PDF and PPTX",
        description=textwrap.fill("Forecast attendances and admissions per site and for the trust, work out "
                                  "occupied beds and ED staffing against the bed base and rota, compare "
                                  "scenarios, and write every output of the board pack.", 78),
        epilog=_OUTPUTS, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("--data", required=True, metavar="sample|PATH",
                     help="activity data: 'sample' for the bundled synthetic three-site sample (its bed base, "
                          "spells, rota and hourly arrivals are then used unless given), or a CSV/XLSX/Parquet "
                          "file, long (site, metric, date, value) or wide (date, site, attendances, admissions)")
    run.add_argument("--hourly", metavar="PATH",
                     help="hourly arrivals (site, metric, date-time, value) for the hour-of-week profile of the "
                          "staffing view (default: the data itself when hourly, the bundled sample with --data "
                          "sample)")
    run.add_argument("--beds", metavar="PATH",
                     help="dated bed base: site, date_from, date_to, core_beds, escalation_beds (needs --spells)")
    run.add_argument("--spells", metavar="PATH",
                     help="inpatient spells extract: site, admission_date, discharge_date (blank = still in); "
                          "gives the length of stay and the patients in a bed now")
    run.add_argument("--spells-from", metavar="DATE",
                     help="first day the spells extract fully covers (left truncation); spells admitted "
                          "earlier are in it only if still in hospital then")
    run.add_argument("--rota", metavar="PATH",
                     help="ED rota: site, weekday, hour, clinicians, nurses")
    run.add_argument("--scenario", metavar="FILE", action="append", default=[],
                     help="scenario JSON saved from the Scenarios page, compared with the baseline; repeat for "
                          "up to four")
    run.add_argument("--horizon", type=int, default=90, metavar="N",
                     help="days ahead to forecast and plan beds for, 7 to 548 (default 90)")
    run.add_argument("--out", required=True, metavar="DIR", type=Path,
                     help="folder to write the outputs to (created if missing); the pack's own files from an "
                          "earlier run are replaced, nothing else in it is touched (see below)")
    run.add_argument("--trust", metavar="NAME",
                     help="trust name for the cover and titles (default: 'Sample acute trust (synthetic)' for the "
                          "sample, else 'Acute NHS trust')")
    run.add_argument("--include-covid", action="store_true",
                     help="fit the models on the COVID-19 period too (by default 23 Mar 2020 to 30 Jun 2021 is "
                          "left out)")
    run.add_argument("--jobs", type=int, metavar="N",
                     help="worker processes for the model fits (default: all cores)")
    run.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


# --------------------------------------------------------------------------- reading inputs
def _report_text(report) -> str:
    table = report.to_frame()
    lines = [report.summary()]
    if not table.empty:
        lines.append(table.to_string(index=False, max_colwidth=90))
    return "\n".join(lines)


def _unreadable(what: str, option: str, path, exc: Exception) -> InputError:
    """The error for an input file the system could not open or decode (never a traceback)."""
    if isinstance(exc, UnicodeDecodeError):
        why = "its text is not in a known encoding"
        todo = "save it again as CSV UTF-8 (or as .xlsx)"
    else:
        why = getattr(exc, "strerror", None) or str(exc)
        todo = "check the path, that it is a file and not a folder, and that it is not open elsewhere"
    return InputError(f"{what} {path} (given with {option}) cannot be read: {why}. Fix: {todo}, then run "
                      "again.")


def _activity(path: str, what: str, option: str) -> tuple[pd.DataFrame, list[str]]:
    from .io import read_activity

    try:
        result = read_activity(Path(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise _unreadable(what, option, path, exc) from None
    if result.report.errors or result.frame.empty:
        raise InputError(f"{what} {path} (given with {option}) cannot be used: fix the problems below and run "
                         "again.", _report_text(result.report))
    return result.frame, [f"{w.message} {w.action}".strip() for w in result.report.warnings]


def _table(path, what: str, option: str) -> pd.DataFrame:
    """A CSV/XLSX/Parquet input as text cells; InputError naming the file and option if it cannot be read."""
    from .io import read_table

    try:
        frame, report, _ = read_table(Path(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise _unreadable(what, option, path, exc) from None
    if report.errors:
        raise InputError(f"{what} {path} (given with {option}) cannot be read: fix the problems below and run "
                         "again.", _report_text(report))
    return frame


def _bed_base(path) -> pd.DataFrame:
    # read as the app reads it: UK day-first or ISO dates, each site over its own periods
    from .capacity.beds import BedBaseError, check_bed_base_periods, read_bed_base

    frame = _table(path, "The bed base", "--beds")
    try:
        out = read_bed_base(frame)
        check_bed_base_periods(out)
        for col in ("core_beds", "escalation_beds"):
            out[col] = out[col].astype(int)
    except (BedBaseError, KeyError, ValueError) as exc:
        raise InputError(f"The bed base {path} (given with --beds) cannot be used: {exc}") from None
    return out


def _inputs(args) -> dict:
    """Every input of the run, read and checked; InputError on the first that cannot be used."""
    from .capacity.los import SpellsError, read_spells
    from .capacity.workforce import RotaError, read_rota
    from .io import SAMPLE_DIR, load_sample
    from .scenarios import ScenarioError, load_scenario

    sample = args.data.strip().lower() == "sample"
    if sample:
        activity, caveats = load_sample("daily"), []
    else:
        activity, caveats = _activity(args.data, "The data file", "--data")
    hourly = None
    if args.hourly:
        hourly, more = _activity(args.hourly, "The hourly file", "--hourly")
        caveats += more
    elif sample:
        hourly = load_sample("hourly")
    beds_path = args.beds or (SAMPLE_DIR / "bed_base.csv" if sample else None)
    spells_path = args.spells or (SAMPLE_DIR / "spells.csv" if sample else None)
    rota_path = args.rota or (SAMPLE_DIR / "rota.csv" if sample else None)
    if args.beds and not spells_path:
        raise InputError("--beds needs --spells too: the spells give the length of stay and the patients in "
                         "a bed now.")
    bed_base = _bed_base(Path(beds_path)) if beds_path else None
    spells = rota = None
    if spells_path:
        try:
            spells = read_spells(_table(spells_path, "The spells extract", "--spells"))
        except SpellsError as exc:
            raise InputError(f"The spells extract {spells_path} (given with --spells) cannot be used: {exc}") from None
    if rota_path:
        try:
            rota = read_rota(_table(rota_path, "The rota", "--rota"))
        except RotaError as exc:
            raise InputError(f"The rota {rota_path} (given with --rota) cannot be used: {exc}") from None
    scenarios = []
    for path in args.scenario:
        try:
            scenarios.append(load_scenario(path))
        except ScenarioError as exc:
            raise InputError(f"The scenario file cannot be used: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise _unreadable("The scenario file", "--scenario", path, exc) from None
    if len(scenarios) > 4:
        raise InputError("Give at most four --scenario files: each is compared with the baseline.")
    window = args.spells_from or (_SAMPLE_SPELLS_WINDOW if sample and not args.spells else None)
    return {
        "activity": activity, "hourly": hourly, "bed_base": bed_base, "spells": spells, "rota": rota,
        "scenarios": scenarios, "spells_window_start": window, "caveats": caveats, "synthetic": sample,
        "source": "bundled synthetic sample" if sample else Path(args.data).name,
        "trust": args.trust or ("Sample acute trust (synthetic)" if sample else "Acute NHS trust"),
    }


# --------------------------------------------------------------------------- run
def _run(args, say) -> list[Path]:
    from . import boardpack
    from .calendar import COVID_EXCLUSION
    from .export import forecast_csv

    if not 7 <= args.horizon <= 548:
        raise InputError(f"--horizon must be 7 to 548 days, not {args.horizon}.")
    _check_out(args.out)
    say("Reading and checking the inputs...")
    inputs = _inputs(args)
    try:
        data = boardpack.run_pipeline(
            inputs.pop("activity"), horizon=args.horizon, exclude=() if args.include_covid else COVID_EXCLUSION,
            n_jobs=args.jobs, progress=say, **inputs)
    except boardpack.BoardPackError as exc:  # e.g. monthly data, or no attendances or admissions
        raise InputError(str(exc)) from None
    for note in data.notes:
        say(note)
    pack = boardpack.build_pack(data, progress=say)
    out: Path = args.out
    files = {
        out / "forecast.csv": forecast_csv(data.forecast, generated_at=data.generated_at,
                                           data_through=data.data_through, scenario="baseline"),
        out / "board_pack.xlsx": pack.xlsx,
        out / "board_pack.pdf": pack.pdf,
        out / "board_pack.pptx": pack.pptx,
        **{out / "charts" / f"{name}.png": png for name, png in pack.pngs.items()},
    }
    _check_out(out)  # again: the folder may have changed during the run
    try:
        (out / "charts").mkdir(parents=True, exist_ok=True)
        stale = [p for p in _earlier_outputs(out) if p not in files]
        for path in stale:
            path.unlink()
        if stale:
            say(f"Removed {len(stale)} file(s) of an earlier run that this run does not write: "
                + ", ".join(str(p.relative_to(out)) for p in stale))
        for path, content in files.items():
            path.write_bytes(content)
    except OSError as exc:
        where = getattr(exc, "filename", None) or out
        raise InputError(f"Could not write the outputs to the --out folder {out}: {where}: "
                         f"{exc.strerror or exc}. Check the folder can be written to (and that no output "
                         "is open in another program), then run again.") from None
    return list(files)


def _earlier_outputs(out: Path) -> list[Path]:
    """Files in ``out`` that a run of the pack writes (and so replaces); never anything else."""
    named = [out / name for name in _PACK_FILES]
    charts = sorted(out.glob(_CHART_GLOB))
    return [p for p in named + charts if p.is_file()]


def _check_out(out: Path) -> None:
    """--out must be a folder, or not exist yet (it is created after the run)."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file, but --out must be a folder: give the path of a folder "
                         "(it is created if missing), e.g. --out board_pack/.")
    parent = next((p for p in out.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise InputError(f"--out {out} cannot be created: {parent} is a file, not a folder. Give the path "
                         "of a folder.")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 done, 2 bad input)."""
    args = build_parser().parse_args(argv)
    started = time.perf_counter()

    def say(message: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    try:
        written = _run(args, say)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if exc.report:
            print(exc.report, file=sys.stderr)
        return EXIT_BAD_INPUT
    say(f"Done: {len(written)} files in {args.out}")
    for path in written:
        print(path)
    return 0
