"""England (and other) bank holidays, the festive window and exclusion windows for fitting."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import holidays as _holidays
import pandas as pd

__all__ = [
    "DEFAULT_HOLIDAYS",
    "COVID_EXCLUSION",
    "bank_holidays",
    "festive_window",
    "calendar_features",
    "exclusion_mask",
]

#: England bank holidays: the default everywhere, because Wales, Scotland and Northern Ireland differ.
DEFAULT_HOLIDAYS = "GB-ENG"

#: The COVID-19 collapse and recovery that the sample's forecasts leave out of fitting by default.
COVID_EXCLUSION: tuple[tuple[str, str], ...] = (("2020-03-23", "2021-06-30"),)


def _split_code(code: str) -> tuple[str, str | None]:
    """'GB-ENG' -> ('GB', 'ENG'); 'US' -> ('US', None)."""
    country, _, subdiv = code.strip().upper().partition("-")
    return country, (subdiv or None)


def bank_holidays(start, end, holidays: str | pd.DataFrame = DEFAULT_HOLIDAYS) -> pd.DataFrame:
    """Public holidays between two dates inclusive.

    Parameters
    ----------
    start, end : date-like
        First and last day to cover.
    holidays : str or DataFrame
        A country or country-subdivision code understood by the ``holidays`` package
        (``"GB-ENG"`` for England, ``"US"``), or a frame with a ``date`` column and an
        optional ``name`` column for a trust's own list.

    Returns
    -------
    DataFrame
        Columns ``date`` (datetime, midnight) and ``name``, sorted by date.
    """
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if isinstance(holidays, pd.DataFrame):
        if "date" not in holidays.columns:
            raise ValueError("A holiday table needs a 'date' column (one row per holiday).")
        out = pd.DataFrame({"date": pd.to_datetime(holidays["date"]).dt.normalize()})
        out["name"] = holidays["name"].astype(str).to_numpy() if "name" in holidays else "Holiday"
    else:
        country, subdiv = _split_code(holidays)
        try:
            cal = _holidays.country_holidays(
                country, subdiv=subdiv, years=range(start.year, end.year + 1)
            )
        except NotImplementedError as exc:  # the holidays package's word for an unknown code
            raise ValueError(
                f"Unknown holiday calendar {holidays!r}: use a code such as 'GB-ENG' (England), "
                "'GB-WLS', 'GB-SCT' or 'US', or upload a table of dates."
            ) from exc
        out = pd.DataFrame(
            {"date": pd.to_datetime(list(cal.keys())), "name": [str(v) for v in cal.values()]}
        )
    out = out[(out["date"] >= start) & (out["date"] <= end)]
    return out.sort_values("date", ignore_index=True)


def festive_window(dates: pd.Series | pd.DatetimeIndex) -> pd.Series:
    """True for 24 December to 1 January, the week whose demand pattern is unlike any other."""
    d = pd.DatetimeIndex(dates)
    mask = ((d.month == 12) & (d.day >= 24)) | ((d.month == 1) & (d.day == 1))
    return pd.Series(mask, index=getattr(dates, "index", None))


def calendar_features(
    dates: Sequence | pd.DatetimeIndex, holidays: str | pd.DataFrame = DEFAULT_HOLIDAYS
) -> pd.DataFrame:
    """Day-level calendar flags: bank holiday, the day before and after one, festive window.

    Returns a frame indexed by the (normalised) dates with boolean columns ``bank_holiday``,
    ``day_before_holiday``, ``day_after_holiday`` and ``festive``.
    """
    idx = pd.DatetimeIndex(pd.to_datetime(dates)).normalize()
    if len(idx) == 0:
        return pd.DataFrame(
            columns=["bank_holiday", "day_before_holiday", "day_after_holiday", "festive"],
            dtype=bool,
        )
    hol = pd.DatetimeIndex(bank_holidays(idx.min() - pd.Timedelta(days=1),
                                         idx.max() + pd.Timedelta(days=1), holidays)["date"])
    return pd.DataFrame(
        {
            "bank_holiday": idx.isin(hol),
            "day_before_holiday": idx.isin(hol - pd.Timedelta(days=1)),
            "day_after_holiday": idx.isin(hol + pd.Timedelta(days=1)),
            "festive": festive_window(idx).to_numpy(),
        },
        index=idx,
    )


def exclusion_mask(dates, exclude: Iterable[tuple] = (), *, period: str | None = None) -> pd.Series:
    """True where a date falls inside any (start, end) range to leave out of fitting (inclusive).

    With ``period`` 'weekly' or 'monthly' each date stands for the week or month it starts,
    and the period is left out when any of its days is: March 2020's total holds nine days
    of the first lockdown, so it is as unlike a normal March as April is.
    """
    d = pd.Series(pd.to_datetime(dates))
    last = {"weekly": d + pd.Timedelta(days=7) - pd.Timedelta(microseconds=1),
            "monthly": d + pd.offsets.MonthBegin(1) - pd.Timedelta(microseconds=1)}.get(period, d)
    mask = pd.Series(False, index=d.index)
    for start, end in exclude:
        s, e = pd.Timestamp(start), pd.Timestamp(end)
        if e < s:
            raise ValueError(f"Exclusion window {start} to {end} ends before it starts.")
        # an end given as a plain date covers that whole day
        if e == e.normalize():
            e = e + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
        mask |= (last >= s) & (d <= e)
    return mask
