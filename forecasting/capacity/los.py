"""Length of stay as a whole-day survival curve: Kaplan-Meier from spells, fitted, or tabulated."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = ["DEFINITION", "GROUPS", "LengthOfStay", "SpellsError", "read_spells", "kaplan_meier", "stay_by_group"]

#: Spell columns a length of stay can be broken down by, when the extract has them.
GROUPS = ("age_band", "specialty", "ward")

#: Stated on every chart that uses a length of stay.
DEFINITION = ("Length of stay in whole days = discharge date - admission date; same-day discharges "
              "count as 0 days and are never in the midnight census (occupied on day d when "
              "admission_date <= d < discharge_date).")
DEFAULT_MAX_DAYS = 365


class SpellsError(ValueError):
    """A spells extract that cannot be used, with the offending rows named."""


def read_spells(path_or_frame, *, as_of=None) -> pd.DataFrame:
    """Read and check a spells extract.

    Parameters
    ----------
    path_or_frame : str, Path or DataFrame
        Columns ``site, admission_date, discharge_date`` (others kept); a blank discharge date
        means the patient was still in hospital at the extract date.
    as_of : date-like, optional
        The extract date; discharges after it are rejected.

    Returns
    -------
    DataFrame
        ``site`` as text, both dates as ``datetime64[ns]`` (discharge NaT when still in).
    """
    if isinstance(path_or_frame, (str, Path)):
        frame = pd.read_csv(path_or_frame, dtype=str, keep_default_na=False)
    else:
        frame = path_or_frame.copy()
    missing = {"site", "admission_date", "discharge_date"} - set(frame.columns)
    if missing:
        raise SpellsError(f"The spells extract is missing column(s) {sorted(missing)}; it needs "
                          "site, admission_date and discharge_date (blank if still in hospital).")
    problems = []
    rows = np.arange(len(frame)) + 2  # spreadsheet row numbers: header is row 1
    adm_raw = frame["admission_date"].replace("", None)
    adm = pd.to_datetime(adm_raw, errors="coerce", format="mixed").astype("datetime64[ns]")
    dis_raw = frame["discharge_date"].replace("", None)
    dis = pd.to_datetime(dis_raw, errors="coerce", format="mixed").astype("datetime64[ns]")

    def _report(mask, text):
        if mask.any():
            shown = ", ".join(str(r) for r in rows[np.asarray(mask)][:5])
            more = f" and {int(mask.sum()) - 5} more" if mask.sum() > 5 else ""
            problems.append(f"rows {shown}{more}: {text}")

    _report(adm.isna().to_numpy(), "admission date missing or not a date (use YYYY-MM-DD)")
    _report((dis.isna() & dis_raw.notna()).to_numpy(),
            "discharge date is not a date (use YYYY-MM-DD, or leave blank if still in hospital)")
    _report((dis < adm).to_numpy(), "discharge date is before admission date")
    _report(frame["site"].isna().to_numpy() | (frame["site"].astype(str).str.strip() == "").to_numpy(),
            "site is blank")
    if as_of is not None:
        _report((dis > pd.Timestamp(as_of)).to_numpy(),
                f"discharge date is after the extract date {pd.Timestamp(as_of).date()}")
    if problems:
        raise SpellsError("The spells extract has problems: " + "; ".join(problems) + ".")
    out = frame.assign(site=frame["site"].astype(str).str.strip(), admission_date=adm.dt.normalize(),
                       discharge_date=dis.dt.normalize())
    return out.reset_index(drop=True)


def kaplan_meier(durations, observed, *, entry=None, max_days: int = DEFAULT_MAX_DAYS) -> np.ndarray:
    """Kaplan-Meier survival S(k) = P(stay > k) for whole-day stays, k = 0..max_days.

    Parameters
    ----------
    durations : array of int
        Stay in days if discharged; days in hospital so far if censored.
    observed : array of bool
        True for a discharge, False for a censored stay (known to be longer than its duration:
        still in at the end of the extract date).
    entry : array of int, optional
        Left truncation: a spell is only seen because it lasted at least ``entry`` days (for example
        admitted before the extract window and still in on its first day). It joins the risk set at
        day ``entry``; without this, long stays admitted before the window are over-counted.
    max_days : int
        Last day of the curve; S is taken as 0 beyond it.
    """
    d = np.asarray(durations, dtype=np.int64)
    obs = np.asarray(observed, dtype=bool)
    ent = np.zeros_like(d) if entry is None else np.asarray(entry, dtype=np.int64)
    if len(d) == 0:
        raise SpellsError("No spells to estimate a length of stay from; check the site name and dates.")
    if (d < 0).any():
        raise SpellsError("A stay is negative (discharge before admission).")
    size = max(max_days, int(d.max())) + 2
    events = np.bincount(d[obs], minlength=size)[:size]
    # A censored stay of c days is known to be > c, so it stays in the risk set at day c (the usual
    # Kaplan-Meier tie rule: events before censorings) and leaves after it.
    leave = np.bincount(d, minlength=size)[:size]
    join = np.bincount(np.minimum(ent, size - 1), minlength=size)[:size]
    at_risk = np.cumsum(join) - np.concatenate([[0], np.cumsum(leave)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, events / np.maximum(at_risk, 1), 0.0)
    surv = np.cumprod(1.0 - hazard)
    return surv[: max_days + 1]


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class LengthOfStay:
    """A whole-day length-of-stay distribution as a survival curve.

    Parameters
    ----------
    survival : array
        S(k) = P(stay > k days) for k = 0..max_days; non-increasing in [0, 1]; taken as 0 beyond.
    source : str
        How it was obtained (shown with charts so numbers are traceable).
    definition : str
        The stay definition (midnight census, same-day discharges are 0 days).
    """

    survival: np.ndarray
    source: str = "table"
    definition: str = DEFINITION

    def __post_init__(self):
        s = np.asarray(self.survival, dtype=float)
        if s.ndim != 1 or len(s) < 1:
            raise ValueError("The survival curve must be a 1-D list of P(stay > k days), k = 0, 1, ...")
        if not np.isfinite(s).all() or (s < -1e-12).any() or (s > 1 + 1e-12).any():
            raise ValueError("Survival probabilities must be between 0 and 1.")
        if (np.diff(s) > 1e-12).any():
            raise ValueError("The survival curve must never rise: P(stay > k) falls as k grows.")
        s = np.clip(s, 0.0, 1.0)
        s.setflags(write=False)  # frozen means frozen: shared curves must not be edited in place
        object.__setattr__(self, "survival", s)

    @property
    def max_days(self) -> int:
        return len(self.survival) - 1

    @property
    def pmf(self) -> np.ndarray:
        """P(stay = k) for k = 0..max_days+1 (the last entry is the mass beyond max_days, if any)."""
        s = np.concatenate([[1.0], self.survival])
        return np.concatenate([-np.diff(s), [self.survival[-1]]])

    @property
    def mean(self) -> float:
        """Mean stay in days: sum of S(k) over k >= 0 (exact for whole-day stays)."""
        return float(self.survival.sum())

    def percentile(self, q: float) -> int:
        """Smallest whole number of days k with P(stay <= k) >= q."""
        if not 0 < q < 1:
            raise ValueError(f"Percentile must be between 0 and 1 (e.g. 0.9), not {q}.")
        cdf = 1.0 - self.survival
        hit = np.nonzero(cdf >= q - 1e-9)[0]
        return int(hit[0]) if len(hit) else self.max_days + 1

    def percentiles(self, qs=(0.1, 0.25, 0.5, 0.75, 0.9)) -> dict:
        return {q: self.percentile(q) for q in qs}

    def scaled(self, factor: float) -> "LengthOfStay":
        """Stays multiplied by ``factor`` (scenario use): S'(k) = S(k / factor), interpolated."""
        if factor <= 0:
            raise ValueError("A length-of-stay factor must be positive.")
        k = np.arange(self.max_days + 1)
        s = np.interp(k / factor, np.arange(-1, self.max_days + 1),
                      np.concatenate([[1.0], self.survival]), right=0.0)
        return LengthOfStay(survival=s, source=f"{self.source} x {factor:g}")

    @classmethod
    def from_table(cls, days, proportion, *, max_days: int | None = None) -> "LengthOfStay":
        """From an empirical table of whole-day stays and their proportions (normalised to 1)."""
        days = np.asarray(days)
        p = np.asarray(proportion, dtype=float)
        if days.shape != p.shape or len(days) == 0:
            raise ValueError("days and proportion must be lists of the same, non-zero length.")
        if (days < 0).any() or (np.round(days) != days).any():
            raise ValueError("Table days must be whole numbers of days, 0 or more.")
        if (p < 0).any() or p.sum() <= 0:
            raise ValueError("Table proportions must be 0 or more and not all zero.")
        top = int(days.max()) if max_days is None else max_days
        pmf = np.bincount(days.astype(int), weights=p / p.sum(), minlength=top + 1)[: top + 1]
        return cls(survival=np.clip(1.0 - np.cumsum(pmf), 0, 1), source="table")

    @classmethod
    def from_spells(cls, spells, *, site=None, as_of=None, window_start=None,
                    max_days: int = DEFAULT_MAX_DAYS) -> "LengthOfStay":
        """Kaplan-Meier from a spells extract.

        Parameters
        ----------
        spells : DataFrame or path
            As accepted by :func:`read_spells`.
        site : str, optional
            Only this site's spells (all sites pooled if None).
        as_of : date-like, optional
            Extract date: patients with no discharge date are censored here (known stay > as_of -
            admission). Defaults to the latest date in the extract.
        window_start : date-like, optional
            First day of the extract window when it also holds spells admitted earlier that were
            still in on that day (left truncation; see :func:`kaplan_meier`).
        """
        frame = read_spells(spells, as_of=as_of)
        if site is not None:
            frame = frame[frame["site"] == site]
            if frame.empty:
                raise SpellsError(f"No spells for site {site!r} in the extract.")
        if as_of is None:
            as_of = max(frame["admission_date"].max(), frame["discharge_date"].max())
        as_of = pd.Timestamp(as_of)
        observed = frame["discharge_date"].notna().to_numpy()
        end = frame["discharge_date"].fillna(as_of)
        durations = (end - frame["admission_date"]).dt.days.to_numpy()
        if (durations < 0).any():
            raise SpellsError(f"Some spells are admitted after the extract date {as_of.date()}.")
        entry = None
        if window_start is not None:
            entry = np.maximum(0, (pd.Timestamp(window_start) - frame["admission_date"]).dt.days.to_numpy())
        surv = kaplan_meier(durations, observed, entry=entry, max_days=max_days)
        label = f"Kaplan-Meier, {len(frame)} spells" + (f" at {site}" if site else "")
        return cls(survival=surv, source=label)

    @classmethod
    def from_summary(cls, mean: float, p90: float, *, family: str = "lognormal",
                     max_days: int = DEFAULT_MAX_DAYS) -> "LengthOfStay":
        """Fit a lognormal or gamma to a mean and 90th percentile of whole-day stays.

        The stay is a continuous X floored to whole days. X is fitted so that the whole-day stay
        has exactly the given mean (stays beyond ``max_days`` dropped) and P(stay <= p90) = 0.9,
        i.e. the 90th percentile of X is p90 + 1.
        """
        if not 0 < mean < p90:
            raise ValueError(f"Need 0 < mean < 90th percentile (got mean {mean}, p90 {p90}); "
                             "stays are right-skewed so the 90th percentile exceeds the mean.")
        k = np.arange(1, max_days + 2)
        q, z = p90 + 1.0, stats.norm.ppf(0.9)
        if family == "lognormal":
            def dist(s):  # median fixed by the 90th percentile; s is sigma
                return stats.lognorm(s, scale=q * np.exp(-z * s))
            lo, hi = 1e-4, 3.0
        elif family == "gamma":
            def dist(s):  # s is log shape; scale puts the 90th percentile at q
                a = np.exp(s)
                return stats.gamma(a, scale=q / stats.gamma.ppf(0.9, a))
            lo, hi = np.log(0.02), np.log(1e4)  # shape 0.02: mean ~1 % of p90
        else:
            raise ValueError(f"family must be 'lognormal' or 'gamma', not {family!r}.")

        def gap(s):
            return dist(s).sf(k).sum() - mean

        # With the 90th percentile pinned, the mean first falls then rises again as the tail gets
        # heavier (and the cut at max_days bites); take the lighter-tail branch, where it is monotone.
        turn = optimize.minimize_scalar(gap, bounds=(lo, hi), method="bounded").x
        lo, hi = (lo, turn) if family == "lognormal" else (turn, hi)
        if np.sign(gap(lo)) == np.sign(gap(hi)):
            other = "gamma" if family == "lognormal" else "lognormal"
            raise ValueError(f"A {family} cannot have mean {mean} and 90th percentile {p90} days "
                             f"together (lowest possible mean {gap(turn) + mean:.2f}); try "
                             f"family='{other}', or check the figures are whole-day stays.")
        s = optimize.brentq(gap, lo, hi, xtol=1e-12)
        return cls(survival=dist(s).sf(k), source=f"{family} fit to mean {mean:g}, p90 {p90:g}")


def stay_by_group(spells, by: str, *, window_start=None, min_spells: int = 30) -> pd.DataFrame:
    """Length of stay per site and group (e.g. age band or specialty), by Kaplan-Meier.

    Parameters
    ----------
    spells : DataFrame or path
        As accepted by :func:`read_spells`, with a ``by`` column.
    by : str
        The grouping column, e.g. ``"age_band"``.
    window_start : date-like, optional
        Left truncation, as in :meth:`LengthOfStay.from_spells`.
    min_spells : int
        Groups with fewer spells are listed with their count but no figures (too few to say).

    Returns
    -------
    DataFrame
        ``site``, ``by`` value, ``spells``, ``still_in``, ``mean``, ``median``, ``p90`` (days).
    """
    frame = read_spells(spells)
    if by not in frame.columns:
        raise SpellsError(f"The spells extract has no {by!r} column to break the length of stay down by.")
    as_of = max(frame["admission_date"].max(), frame["discharge_date"].max())
    rows = []
    for (site, group), part in frame.groupby(["site", frame[by].astype(str).str.strip()], sort=True):
        row = {"site": site, by: group, "spells": len(part), "still_in": int(part["discharge_date"].isna().sum()),
               "mean": np.nan, "median": np.nan, "p90": np.nan}
        if len(part) >= min_spells:
            stay = LengthOfStay.from_spells(part, as_of=as_of, window_start=window_start)
            row.update(mean=round(stay.mean, 2), median=stay.percentile(0.5), p90=stay.percentile(0.9))
        rows.append(row)
    return pd.DataFrame(rows)
