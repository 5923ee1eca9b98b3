"""Command line (`python -m forecasting run`): help, bad input, and the whole run on the sample."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from forecasting.cli import EXIT_BAD_INPUT, build_parser, main

ROOT = Path(__file__).resolve().parent.parent


def test_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    run = next(a for a in build_parser()._subparsers._group_actions[0].choices.values())
    options = [o for action in run._actions for o in action.option_strings if o.startswith("--")]
    assert {"--data", "--beds", "--spells", "--rota", "--scenario", "--horizon", "--out"} <= set(options)
    for option in options:
        assert option in text
    for action in run._actions:
        assert action.help, action.dest
    assert "board_pack.pdf" in text and "exit status" in text


def test_bad_dates_exit_2_with_the_validation_report(tmp_path, capsys):
    bad = tmp_path / "activity.csv"
    bad.write_text("date,site,attendances\n2025-13-45,A,10\nnot a date,A,12\n")
    code = main(["run", "--data", str(bad), "--out", str(tmp_path / "out"), "--quiet"])
    assert code == EXIT_BAD_INPUT == 2
    err = capsys.readouterr().err
    assert "cannot be used" in err and "Date could not be read" in err and "rows 2, 3" in err
    assert not (tmp_path / "out").exists()


def test_missing_scenario_file_and_bad_horizon_exit_2(tmp_path, capsys):
    assert main(["run", "--data", "sample", "--scenario", str(tmp_path / "nope.json"),
                 "--out", str(tmp_path), "--quiet"]) == 2
    assert "Scenario file not found" in capsys.readouterr().err
    assert main(["run", "--data", "sample", "--horizon", "3", "--out", str(tmp_path), "--quiet"]) == 2
    assert "--horizon must be 7 to 548" in capsys.readouterr().err


def test_beds_without_spells_exit_2(tmp_path, capsys):
    daily = tmp_path / "daily.csv"
    pd.DataFrame({"site": "A", "metric": "admissions", "date": pd.date_range("2025-01-01", periods=60),
                  "value": 10}).to_csv(daily, index=False)
    code = main(["run", "--data", str(daily), "--beds", str(ROOT / "sample_data" / "bed_base.csv"),
                 "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 2 and "--beds needs --spells" in capsys.readouterr().err


def test_missing_or_unreadable_input_files_exit_2_naming_the_file_and_option(tmp_path):
    """A wrong path to any input is a clear message with exit 2, never a traceback (--beds was read apart)."""
    spells = str(ROOT / "sample_data" / "spells.csv")
    missing = str(tmp_path / "no_such_beds.csv")
    latin1 = tmp_path / "beds_latin1.csv"
    latin1.write_bytes(b"\xff\xfe\x00site,date_from\n\xe9\x28\n")
    cases = [
        (["--beds", missing, "--spells", spells], ["no_such_beds.csv", "--beds", "could not be read"]),
        (["--beds", str(tmp_path), "--spells", spells], ["--beds", "Is a directory"]),
        (["--spells", missing], ["no_such_beds.csv", "--spells"]),
        (["--rota", missing], ["no_such_beds.csv", "--rota"]),
        (["--beds", str(latin1), "--spells", spells], ["beds_latin1.csv", "--beds"]),
    ]
    for extra, expected in cases:
        done = subprocess.run([sys.executable, "-m", "forecasting", "run", "--data", "sample", *extra,
                               "--out", str(tmp_path / "out"), "--quiet"],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == EXIT_BAD_INPUT, (extra, done.stderr)
        assert "Traceback" not in done.stderr and done.stderr.startswith("error: "), done.stderr
        for text in expected:
            assert text in done.stderr, (extra, done.stderr)
        assert not (tmp_path / "out").exists()


def test_an_os_error_while_reading_is_reported_not_raised(tmp_path, capsys, monkeypatch):
    import forecasting.io

    real = forecasting.io.read_table
    rota = tmp_path / "rota.csv"
    rota.write_text("site,weekday,hour,clinicians,nurses\n")

    def refuse(path, *args, **kwargs):  # e.g. a file locked by another program on a shared drive
        if path == rota:
            raise PermissionError(13, "Permission denied")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(forecasting.io, "read_table", refuse)
    code = main(["run", "--data", "sample", "--rota", str(rota), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "rota.csv (given with --rota) cannot be read: Permission denied" in err


def test_out_that_is_a_file_exit_2_and_the_file_is_kept(tmp_path, capsys):
    existing = tmp_path / "board_pack.pdf"
    existing.write_bytes(b"last month's pack")
    code = main(["run", "--data", "sample", "--out", str(existing), "--quiet"])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT and "Traceback" not in err
    assert f"--out {existing} is a file, but --out must be a folder" in err
    assert existing.read_bytes() == b"last month's pack"
    assert main(["run", "--data", "sample", "--out", str(existing / "pack"), "--quiet"]) == EXIT_BAD_INPUT
    assert "is a file, not a folder" in capsys.readouterr().err


def _daily_csv(path: Path, sites: int) -> Path:
    from forecasting.io import load_sample

    daily = load_sample("daily")
    keep = daily["site"].isin(sorted(daily["site"].unique())[:sites]) & daily["metric"].isin(
        ["attendances", "admissions"]) & (daily["date"] >= "2023-11-01")
    daily[keep].to_csv(path, index=False)
    return path


def test_a_second_run_replaces_the_packs_files_and_nothing_else(tmp_path, capsys):
    """A one-site run after a three-site run leaves no chart of the other sites behind (help: files replaced)."""
    out = tmp_path / "pack"
    assert main(["run", "--data", str(_daily_csv(tmp_path / "three.csv", 3)), "--horizon", "7",
                 "--out", str(out), "--quiet"]) == 0
    first = {Path(p) for p in capsys.readouterr().out.split()}
    (out / "my notes.txt").write_text("keep me")
    (out / "charts" / "trust_logo.png").write_bytes(b"\x89PNG logo")
    assert main(["run", "--data", str(_daily_csv(tmp_path / "one.csv", 1)), "--horizon", "7",
                 "--out", str(out)]) == 0
    captured = capsys.readouterr()
    second = {Path(p) for p in captured.out.split()}
    stale = {p for p in first - second if p.parent.name == "charts"}
    assert stale, "the three-site pack should have had charts of the other sites"
    assert "Removed" in captured.err and all(p.name in captured.err for p in stale)
    assert set((out / "charts").glob("*.png")) == {p for p in second if p.parent.name == "charts"} | {
        out / "charts" / "trust_logo.png"}
    assert (out / "my notes.txt").read_text() == "keep me"
    assert (out / "charts" / "trust_logo.png").read_bytes() == b"\x89PNG logo"
    assert pd.read_csv(out / "forecast.csv")["site"].nunique() == 1


def test_an_out_folder_that_cannot_be_written_is_exit_2_not_a_traceback(tmp_path, capsys):
    out = tmp_path / "pack"
    out.mkdir()
    (out / "charts").write_text("a file where the charts folder goes")
    code = main(["run", "--data", str(_daily_csv(tmp_path / "one.csv", 1)), "--horizon", "7",
                 "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT and "Traceback" not in err
    assert f"Could not write the outputs to the --out folder {out}" in err and "charts" in err
    assert (out / "charts").read_text() == "a file where the charts folder goes"


def test_monthly_data_exit_2_saying_what_to_give(tmp_path, capsys):
    monthly = tmp_path / "monthly.csv"
    pd.DataFrame({"site": "A", "metric": "attendances", "value": 3000,
                  "date": pd.date_range("2022-01-01", periods=36, freq="MS")}).to_csv(monthly, index=False)
    assert main(["run", "--data", str(monthly), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "needs daily or hourly data; this data is monthly" in capsys.readouterr().err


def test_run_on_the_sample_writes_every_output(tmp_path):
    """End to end in a child process, as a scheduler would run it (about 25-40 s on 2 cores)."""
    scenario = tmp_path / "sdec.json"
    scenario.write_text('{"name": "SDEC 10 %", "admissions_avoided_pct": 10.0}')
    out = tmp_path / "pack"
    done = subprocess.run([sys.executable, "-m", "forecasting", "run", "--data", "sample", "--horizon", "90",
                           "--scenario", str(scenario), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Forecasting 7 series 90 days ahead" in done.stderr and "Drawing 20 charts" in done.stderr
    written = [Path(line) for line in done.stdout.split()]
    assert all(p.is_file() and p.stat().st_size > 0 for p in written)
    assert {p.name for p in written} >= {"forecast.csv", "board_pack.xlsx", "board_pack.pdf", "board_pack.pptx"}

    fc = pd.read_csv(out / "forecast.csv")
    assert list(fc.columns[:5]) == ["site", "metric", "date", "model", "mean"]
    assert list(fc.columns[-4:]) == ["generated_at", "data_through", "scenario", "version"]
    assert (fc["data_through"] == "2025-10-31").all() and fc.groupby(["site", "metric"]).size().eq(90).all()

    pngs = sorted((out / "charts").glob("*.png"))
    assert len(pngs) == 20 and pngs[0].name == "01_spc_attendances.png"
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)

    from pypdf import PdfReader
    from pptx import Presentation
    from openpyxl import load_workbook

    pdf = PdfReader(out / "board_pack.pdf", strict=True)
    assert len(pdf.pages) >= 1 + 4 + 20 + 1 + 1
    assert "Summary: Trust total" in pdf.pages[1].extract_text()
    deck = Presentation(io.BytesIO((out / "board_pack.pptx").read_bytes()))
    assert len(deck.slides) == 2 + 20
    book = load_workbook(out / "board_pack.xlsx", read_only=True)
    assert {"Forecast", "Backtest scores", "Beds", "Workforce", "Scenario comparison", "Notes"} <= set(book.sheetnames)


def test_bed_base_with_uk_dates_is_read_day_first(tmp_path):
    from forecasting.cli import _bed_base
    path = tmp_path / "beds.csv"
    path.write_text("site,date_from,date_to,core_beds,escalation_beds\n"
                    "Alexandra,01/04/2019,30/11/2025,300,20\nAlexandra,01/12/2025,31/03/2027,320,20\n")
    beds = _bed_base(path)
    assert list(beds["date_from"]) == [pd.Timestamp("2019-04-01"), pd.Timestamp("2025-12-01")]
    assert list(beds["core_beds"]) == [300, 320]
