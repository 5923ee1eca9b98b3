"""Shared fixtures: paths and small builders for activity files."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TODAY = "2025-11-29"


@pytest.fixture
def root() -> Path:
    return ROOT


def problems(report, code):
    """The problems of one kind in a report."""
    return [p for p in report.problems if p.code == code]


def to_xlsx(frame: pd.DataFrame, title_rows: list[str] = ()) -> bytes:
    """An Excel workbook with optional title lines above the table."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        frame.to_excel(xl, index=False, startrow=len(title_rows))
        ws = xl.sheets["Sheet1"]
        for i, line in enumerate(title_rows, start=1):
            ws.cell(row=i, column=1, value=line)
    return buf.getvalue()
