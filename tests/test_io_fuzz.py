"""Fuzzing the CSV loader: any input either loads into a valid contract frame or raises DataValidationError."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TODAY
from forecasting.io import load_activity
from forecasting.schema import DataValidationError

HEADERS = ["date", "site", "metric", "value", "attendances", "admissions", "Date", "SITE", "x", ""]
CELLS = st.one_of(
    st.sampled_from(["2024-01-01", "31/01/2024", "13/13/2024", "2024-02-30", "1/2/24", "TOTAL",
                     "2024-01-01 25:00", "45321", "-1", "0", "1,234", "1.5", "nan", "inf", "",
                     "WRH", "attendances", "\"", ",", "£", "=SUM(A1)", "2100-01-01"]),
    st.text(max_size=12),
    st.integers(-10, 10_000).map(str),
)


def _check_contract(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == ["site", "metric", "date", "value"]
    assert frame["date"].dtype == "datetime64[ns]"
    assert not frame.isna().any().any()
    assert (frame["value"] >= 0).all()
    assert not frame.duplicated(["site", "metric", "date"]).any()


def _load(data: bytes) -> None:
    try:
        frame = load_activity(data, today=TODAY)
    except DataValidationError as err:
        assert err.report.errors  # a refusal always says why
        return
    _check_contract(frame)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes(data):
    _load(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=st.lists(st.sampled_from(HEADERS), min_size=1, max_size=5),
       rows=st.lists(st.lists(CELLS, min_size=0, max_size=6), max_size=8),
       sep=st.sampled_from([",", ";", "\t"]))
def test_garbled_tables(header, rows, sep):
    text = sep.join(header) + "\n" + "\n".join(sep.join(r) for r in rows)
    _load(text.encode("utf-8"))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text(text):
    _load(text.encode("utf-8", errors="surrogatepass") if text else b"")
