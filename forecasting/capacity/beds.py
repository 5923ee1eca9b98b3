"""Bed occupancy from admissions and length of stay (M_t/G/infinity), against the bed base."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
from scipy import stats

from forecasting.capacity.los import LengthOfStay, read_spells
from forecasting.io import parse_dates
from forecasting.schema import ValidationReport

__all__ = ["APPROXIMATION", "DEFAULT_QUANTILES", "BedBaseError", "OpelBands", "bed_occupancy",
           "bed_base_by_date", "check_bed_base_periods", "read_bed_base", "census_from_counts", "census_from_spells", "combine_sites",
           "compare_with_bed_base", "days_at_risk", "simulate_occupancy"]

DEFAULT_QUANTILES = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975)
APPROXIMATION = "normal, moment-matched (admissions forecast variance + binomial departures)"
_QCOL = re.compile(r"^p(\d+(?:\.\d+)?)$")


class BedBaseError(ValueError):
    """A bed base that cannot be used, with the offending rows named."""


def _qname(q: float) -> str:
    return f"p{q * 100:g}"


@dataclasses.dataclass(frozen=True, kw_only=True)
class OpelBands:
    """OPEL-style bands on expected occupancy as a share of core beds.

    Parameters
    ----------
    thresholds : tuple of float
        Rising shares of core beds; band 1 below the first, band n+1 at or above the last.
    """

    thresholds: tuple = (0.85, 0.92, 1.0)

    def __post_init__(self):
        t = tuple(float(x) for x in self.thresholds)
        if not t or any(not 0 < x <= 2 for x in t) or any(b <= a for a, b in zip(t, t[1:])):
            raise ValueError("OPEL thresholds must be rising shares of core beds between 0 and 2, "
                             f"e.g. (0.85, 0.92, 1.0); got {self.thresholds}.")
        object.__setattr__(self, "thresholds", t)

    def band(self, share) -> np.ndarray:
        return np.searchsorted(np.asarray(self.thresholds), np.asarray(share, float), side="right") + 1


# ---------------------------------------------------------------- inputs
def _admission_moments(admissions: pd.DataFrame) -> dict:
    """Per site: (dates, mean, variance) of daily admissions from actuals or a forecast."""
    frame = admissions
    if "metric" in frame.columns:
        frame = frame[frame["metric"] == "admissions"]
    if frame.empty:
        raise ValueError("No admissions rows: pass daily admissions (metric 'admissions') as "
                         "actuals (value) or a forecast (mean and p-columns).")
    if "mean" in frame.columns:
        qcols = {float(m.group(1)) / 100: c for c in frame.columns if (m := _QCOL.match(str(c)))}
        pairs = [(qcols[q], qcols[1 - q], q) for q in qcols if q < 0.5 and 1 - q in qcols]
        if pairs:
            # The forecast's spread as a standard deviation: average of the normal-equivalent
            # sd over each central interval it gives (robust to a slightly skewed fan).
            sds = [(frame[hi] - frame[lo]).to_numpy(float) / (2 * stats.norm.ppf(1 - q))
                   for lo, hi, q in pairs]
            var = np.mean(sds, axis=0) ** 2
        else:  # a bare mean: the least spread a count can have is Poisson
            var = frame["mean"].to_numpy(float)
        frame = frame.assign(_mean=frame["mean"].to_numpy(float), _var=var)
    elif "value" in frame.columns:
        frame = frame.assign(_mean=frame["value"].to_numpy(float), _var=0.0)  # known admissions
    else:
        raise ValueError("Admissions need a 'value' column (actuals) or 'mean' (forecast).")
    if (frame["_mean"] < 0).any() or frame["_mean"].isna().any():
        raise ValueError("Admissions must be 0 or more with no gaps.")
    out = {}
    for site, part in frame.groupby("site", sort=True):
        part = part.sort_values("date")
        dates = pd.DatetimeIndex(part["date"])
        if len(dates) > 1 and not (np.diff(dates.values) == np.timedelta64(1, "D")).all():
            raise ValueError(f"Admissions for {site} must be daily with no missing or repeated days.")
        out[site] = (dates, part["_mean"].to_numpy(float), np.maximum(part["_var"].to_numpy(float), 0))
    return out


def _los_for(length_of_stay, site) -> LengthOfStay:
    if isinstance(length_of_stay, LengthOfStay):
        return length_of_stay
    try:
        return length_of_stay[site]
    except KeyError:
        raise KeyError(f"No length of stay given for site {site!r}; add it to the dict.") from None


def _census_elapsed(census, site, start, los: LengthOfStay) -> np.ndarray:
    """Days each current inpatient has been in at the census (midnight before ``start``)."""
    if census is None:
        return np.zeros(0, dtype=int)
    part = census[census["site"] == site]
    adm = pd.to_datetime(part["admission_date"]).dt.normalize()
    elapsed = ((start - pd.Timedelta(days=1)) - adm).dt.days.to_numpy()
    if (elapsed < 0).any():
        raise ValueError(f"Census patients at {site} admitted on or after {start.date()} cannot be in "
                         "the census taken the midnight before; check the census date.")
    # Past the end of the curve S is 0; treat such long stayers as at its last supported day so
    # they still leave gradually rather than vanishing or dividing by zero.
    last = int(np.nonzero(los.survival > 0)[0][-1]) if (los.survival > 0).any() else 0
    return np.minimum(elapsed, last)


def _census_probs(elapsed: np.ndarray, los: LengthOfStay, horizon: int) -> np.ndarray:
    """P(still in at the end of day j of the horizon) per census patient: S(e+1+j) / S(e)."""
    s = np.concatenate([los.survival, np.zeros(horizon + 2)])
    idx = elapsed[:, None] + 1 + np.arange(horizon)[None, :]
    return s[idx] / s[elapsed][:, None]


# ---------------------------------------------------------------- analytic path
def _from_start(dates, mu, var_a, start):
    """The first day of the horizon, and the admission days (with their moments) from it on."""
    first = dates[0] if start is None else pd.Timestamp(start)
    keep = dates >= first
    return first, dates[keep], mu[keep], var_a[keep]


def bed_occupancy(admissions: pd.DataFrame, length_of_stay, *, census: pd.DataFrame | None = None,
                  quantiles=DEFAULT_QUANTILES, start=None, bed_base: pd.DataFrame | None = None,
                  scenario: str = "baseline") -> pd.DataFrame:
    """Expected occupied beds (midnight census) with quantiles, per site and day.

    Occupied at the end of day t = census patients still in (each with probability
    S(e + t) / S(e) given e days already in) + admissions on days s <= t still in (each with
    probability S(t - s)): the time-varying infinite-server queue M_t/G/infinity.

    Uncertainty is by moment matching, not sample paths: variance = sum over admission days of
    [Var(A_s) S^2 + E(A_s) S (1 - S)] + sum over census patients of p (1 - p), with Var(A_s) from
    the forecast's quantiles (normal-equivalent), 0 for actuals, Poisson for a bare mean. Days'
    admissions are taken as independent. Quantiles use a normal approximation (column
    ``approximation``; also ``frame.attrs['approximation']``).

    Parameters
    ----------
    admissions : DataFrame
        Daily admissions: forecast contract (site, date, mean, p-columns) or actuals (site,
        metric='admissions', date, value).
    length_of_stay : LengthOfStay or dict of site -> LengthOfStay
    census : DataFrame, optional
        Current inpatients at the midnight before ``start``: columns site, admission_date.
    quantiles : sequence of float
    start : date-like, optional
        First day of the horizon (defaults to each site's first admissions date); earlier
        admissions rows are ignored.
    bed_base : DataFrame, optional
        Bed base as in ``sample_data/bed_base.csv``; adds ``available`` (core) and ``escalation``.
    scenario : str

    Returns
    -------
    DataFrame
        The capacity contract: site, date, resource='beds', scenario, mean, p-columns, sd,
        approximation (plus available, escalation with a bed base).
    """
    qs = sorted(float(q) for q in quantiles)
    if any(not 0 < q < 1 for q in qs):
        raise ValueError("Quantiles must be between 0 and 1.")
    z = stats.norm.ppf(qs)
    parts = []
    for site, (dates, mu, var_a) in _admission_moments(admissions).items():
        los = _los_for(length_of_stay, site)
        first, dates, mu, var_a = _from_start(dates, mu, var_a, start)
        h = len(dates)
        s = np.concatenate([los.survival, np.zeros(max(0, h - len(los.survival)))])[:h]
        mean = np.convolve(mu, s)[:h]
        var = np.convolve(var_a, s ** 2)[:h] + np.convolve(mu, s * (1 - s))[:h]
        elapsed = _census_elapsed(census, site, first, los)
        if len(elapsed):
            p = _census_probs(elapsed, los, h)
            mean = mean + p.sum(axis=0)
            var = var + (p * (1 - p)).sum(axis=0)
        sd = np.sqrt(var)
        part = pd.DataFrame({"site": site, "date": dates, "resource": "beds", "scenario": scenario,
                             "mean": mean})
        for q, zq in zip(qs, z):
            part[_qname(q)] = np.maximum(mean + zq * sd, 0.0)
        part["sd"] = sd
        part["approximation"] = APPROXIMATION
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    if bed_base is not None:
        base = bed_base_by_date(bed_base, out[["site", "date"]])
        out = out.merge(base, on=["site", "date"], how="left").rename(
            columns={"core_beds": "available", "escalation_beds": "escalation"})
    out.attrs["approximation"] = APPROXIMATION
    return out


# ---------------------------------------------------------------- bed base
_BED_BASE_COLUMNS = ("site", "date_from", "date_to", "core_beds", "escalation_beds")


def _bed_base_dates(values: pd.Series, rows: np.ndarray, column: str, report: ValidationReport) -> pd.Series:
    """One date column, read as the rest of the workbench reads dates (ISO or UK day-first)."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = values.where(values.notna(), "")
    out = parse_dates(values, rows, column, report)
    missing = out.isna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(values) and missing.any():  # already dates: NaT is a blank
        report.add("error", "blank_date", "Date is blank.", "Fill in the date or delete the row.",
                   column=column, rows=rows[missing])
    return out.dt.normalize()


def read_bed_base(bed_base_frame: pd.DataFrame) -> pd.DataFrame:
    """The bed base with dates read day-first (``01/04/2019`` is 1 April) or ISO, and beds as numbers.

    Row numbers in messages are spreadsheet rows: the ``_row`` column when the reader kept one,
    else the header is row 1. Raises :class:`BedBaseError` naming the column and rows of every
    problem (unreadable or blank dates, date_to before date_from, missing or negative beds).
    """
    b = bed_base_frame.copy()
    need = set(_BED_BASE_COLUMNS)
    if need - set(b.columns):
        raise BedBaseError(f"The bed base is missing column(s) {sorted(need - set(b.columns))}.")
    b = b.reset_index(drop=True)
    rows = (pd.to_numeric(b["_row"]).to_numpy() if "_row" in b.columns else np.arange(len(b)) + 2).astype(int)
    report = ValidationReport()
    for col in ("date_from", "date_to"):
        b[col] = _bed_base_dates(b[col], rows, col, report)
    for col in ("core_beds", "escalation_beds"):
        b[col] = pd.to_numeric(b[col], errors="coerce")
    problems = [f"column '{p.column}', {p.where(5)}: {p.message} {p.action}" for p in report.errors]
    for mask, text in [
        (b["date_to"] < b["date_from"], "date_to is before date_from"),
        (b["core_beds"].isna() | (b["core_beds"] < 0), "core_beds missing or negative"),
        (b["escalation_beds"].isna() | (b["escalation_beds"] < 0), "escalation_beds missing or negative"),
        # 300.7 beds would be cut to 300 without a word: a bed is whole
        ((b["core_beds"] % 1 != 0) | (b["escalation_beds"] % 1 != 0),
         "beds must be whole numbers (e.g. 300, not 300.7)"),
    ]:
        m = mask.to_numpy()
        if m.any():
            problems.append(f"rows {', '.join(map(str, rows[m][:5]))}: {text}")
    if problems:
        raise BedBaseError("The bed base has problems: " + "; ".join(p.rstrip(".") for p in problems) + ".")
    return b


def check_bed_base_periods(bed_base_frame: pd.DataFrame) -> None:
    """Each site's rows must cover its own dates, first date_from to last date_to, once each.

    Sites are checked apart, so one site's rows may start later than another's; a gap or an
    overlap between a site's rows raises :class:`BedBaseError` naming the site, dates and rows.
    """
    b = read_bed_base(bed_base_frame)
    rows = (pd.to_numeric(b["_row"]).to_numpy() if "_row" in b.columns else np.arange(len(b)) + 2).astype(int)
    b = b.assign(sheet_row=rows)
    problems = []
    for site, part in b.groupby("site", sort=False):
        part = part.sort_values(["date_from", "date_to"], kind="stable")
        reach, reach_row = None, None  # the latest date covered so far, and the row covering it
        for r in part.itertuples(index=False):
            if reach is not None and r.date_from <= reach:
                problems.append(f"rows {reach_row} and {r.sheet_row} for {site} overlap from {r.date_from.date()} "
                                f"to {min(reach, r.date_to).date()}; each date needs exactly one row")
            elif reach is not None and r.date_from > reach + pd.Timedelta(days=1):
                problems.append(f"no bed base for {site} from {(reach + pd.Timedelta(days=1)).date()} to "
                                f"{(r.date_from - pd.Timedelta(days=1)).date()} (between rows {reach_row} and "
                                f"{r.sheet_row}); add a row covering those dates")
            if reach is None or r.date_to > reach:
                reach, reach_row = r.date_to, r.sheet_row
    if problems:
        raise BedBaseError("The bed base has problems: " + "; ".join(problems[:5]) + ".")


def bed_base_by_date(bed_base_frame: pd.DataFrame, dates) -> pd.DataFrame:
    """Core and escalation beds per site and date from dated bed-base rows.

    Parameters
    ----------
    bed_base_frame : DataFrame
        site, date_from, date_to (inclusive; ISO or UK day-first text, or dates), core_beds,
        escalation_beds.
    dates : DataFrame with site and date, or a sequence of dates (then every site)
    """
    b = read_bed_base(bed_base_frame)
    if isinstance(dates, pd.DataFrame):
        want = dates[["site", "date"]].drop_duplicates()
    else:
        d = pd.DatetimeIndex(pd.to_datetime(list(dates)))
        want = pd.MultiIndex.from_product([b["site"].unique(), d],
                                          names=["site", "date"]).to_frame(index=False)
    out = []
    for site, part in want.groupby("site", sort=False):
        rowsb = b[b["site"] == site]
        d = pd.DatetimeIndex(part["date"]).to_numpy()
        hits = ((d[:, None] >= rowsb["date_from"].to_numpy()[None, :])
                & (d[:, None] <= rowsb["date_to"].to_numpy()[None, :]))
        if (hits.sum(axis=1) > 1).any():
            raise BedBaseError(f"Bed base rows for {site} overlap; each date needs exactly one row.")
        if not hits.any(axis=1).all():
            gap = pd.DatetimeIndex(d[~hits.any(axis=1)])
            raise BedBaseError(f"No bed base for {site} from {gap.min().date()} to {gap.max().date()}; "
                               "add a row covering those dates.")
        j = hits.argmax(axis=1)
        out.append(pd.DataFrame({"site": site, "date": d,
                                 "core_beds": rowsb["core_beds"].to_numpy()[j],
                                 "escalation_beds": rowsb["escalation_beds"].to_numpy()[j]}))
    return pd.concat(out, ignore_index=True)


def _prob_over(mean, sd, level) -> np.ndarray:
    """P(occupied beds > level) for integer occupancy under the normal approximation."""
    cut = np.floor(level) + 0.5  # continuity correction: > level means >= floor(level) + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        p = stats.norm.sf((cut - mean) / sd)
    return np.where(sd > 0, p, (mean > level).astype(float))


def compare_with_bed_base(occupancy: pd.DataFrame, bed_base: pd.DataFrame | None = None, *,
                          thresholds=OpelBands(), also=()) -> pd.DataFrame:
    """Beds required, shortfall and risk of exceeding shares of core beds, per site and day.

    Parameters
    ----------
    occupancy : DataFrame
        From :func:`bed_occupancy` (needs mean, sd, p50, p90; available/escalation if no bed base).
    bed_base : DataFrame, optional
        Dated bed base; if None, ``occupancy`` must already carry ``available``.
    thresholds : OpelBands or tuple of float
        Shares of core beds: beds required at each share below 1 (mean / share), the probability
        of exceeding each share, and the OPEL-style band.
    also : sequence of float
        More shares (e.g. a scenario's planning ceiling) for the beds-required and probability
        columns only; they do not change the bands.

    Returns
    -------
    DataFrame
        site, date, mean, p50, p90, core_beds, escalation_beds, beds_required_<pct>,
        shortfall_p50, shortfall_p90 (vs core), shortfall_p90_with_escalation, p_over_<pct>,
        opel_band.
    """
    bands = thresholds if isinstance(thresholds, OpelBands) else OpelBands(thresholds=tuple(thresholds))
    occ = occupancy.copy()
    if bed_base is not None:
        occ = occ.drop(columns=[c for c in ("available", "escalation") if c in occ.columns]).merge(
            bed_base_by_date(bed_base, occ[["site", "date"]]), on=["site", "date"], how="left")
    elif "available" in occ.columns:
        occ = occ.rename(columns={"available": "core_beds", "escalation": "escalation_beds"})
    else:
        raise BedBaseError("Give a bed base (core and escalation beds by date) to compare against.")
    if "escalation_beds" not in occ.columns:
        occ["escalation_beds"] = 0.0
    mean, sd, core = occ["mean"].to_numpy(float), occ["sd"].to_numpy(float), occ["core_beds"].to_numpy(float)
    out = occ[["site", "date", "mean", "p50", "p90", "core_beds", "escalation_beds"]].copy()
    levels = tuple(sorted(set(bands.thresholds) | {float(t) for t in also}))
    for t in levels:
        if t < 1:
            out[f"beds_required_{t * 100:g}"] = mean / t
    out["shortfall_p50"] = np.maximum(occ["p50"] - core, 0.0)
    out["shortfall_p90"] = np.maximum(occ["p90"] - core, 0.0)
    out["shortfall_p90_with_escalation"] = np.maximum(occ["p90"] - core - occ["escalation_beds"], 0.0)
    for t in levels:
        out[f"p_over_{t * 100:g}"] = _prob_over(mean, sd, t * core)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(core > 0, mean / core, np.inf)
    out["occupancy_share"] = share
    out["opel_band"] = bands.band(share)
    out.attrs["thresholds"] = levels
    out.attrs["bands"] = bands.thresholds
    return out


def days_at_risk(comparison: pd.DataFrame) -> pd.DataFrame:
    """Days per site and month over each threshold.

    ``days_over_<pct>`` counts days whose expected occupancy exceeds the share of core beds;
    ``expected_days_over_<pct>`` sums the daily probabilities (the expected number of such days).
    """
    thresholds = comparison.attrs.get("thresholds") or tuple(
        float(c.removeprefix("p_over_")) / 100 for c in comparison.columns if c.startswith("p_over_"))
    c = comparison.assign(month=pd.DatetimeIndex(comparison["date"]).to_period("M"))
    agg = {"days": ("date", "size")}
    for t in thresholds:
        name = f"{t * 100:g}"
        c[f"_over_{name}"] = c["occupancy_share"] > t
        agg[f"days_over_{name}"] = (f"_over_{name}", "sum")
        agg[f"expected_days_over_{name}"] = (f"p_over_{name}", "sum")
    return c.groupby(["site", "month"], sort=True).agg(**agg).reset_index()


def census_from_spells(spells, on_date) -> pd.DataFrame:
    """Inpatients at the midnight census of ``on_date``: admission_date <= on_date < discharge_date."""
    frame = read_spells(spells)
    d = pd.Timestamp(on_date).normalize()
    inside = (frame["admission_date"] <= d) & ((frame["discharge_date"] > d) | frame["discharge_date"].isna())
    return frame.loc[inside].reset_index(drop=True)


def census_from_counts(counts: dict, length_of_stay, on_date) -> pd.DataFrame:
    """A census of ``counts[site]`` inpatients when only the number in each bed is known.

    Without admission dates, each patient's days already in hospital are spread as in a
    steady state: in an infinite-server queue with stays S, the share of current patients
    who have been in for e days is S(e) / sum S. Patients are placed at evenly spaced points of
    that distribution (deterministic, so the same counts always give the same forecast).

    Parameters
    ----------
    counts : dict of site -> int
        Patients in a bed at the midnight census of ``on_date``.
    length_of_stay : LengthOfStay or dict of site -> LengthOfStay
    on_date : date-like
        The census date (the day before the forecast starts).

    Returns
    -------
    DataFrame
        ``site, admission_date``: one row per patient, as :func:`census_from_spells` gives.
    """
    day = pd.Timestamp(on_date).normalize()
    rows = []
    for site, n in counts.items():
        if n is None or not np.isfinite(n) or n < 0 or n != int(n):
            raise ValueError(f"The number of inpatients at {site} must be a whole number 0 or more, "
                             f"not {n!r}.")
        n = int(n)
        if n == 0:
            continue
        s = _los_for(length_of_stay, site).survival
        weights = np.cumsum(s) / s.sum()
        elapsed = np.searchsorted(weights, (np.arange(n) + 0.5) / n)
        rows.append(pd.DataFrame({"site": site, "admission_date": day - pd.to_timedelta(elapsed, unit="D")}))
    if not rows:
        return pd.DataFrame({"site": pd.Series(dtype=str), "admission_date": pd.Series(dtype="datetime64[ns]")})
    return pd.concat(rows, ignore_index=True)


def combine_sites(occupancy: pd.DataFrame, name: str) -> pd.DataFrame:
    """Occupied beds summed over sites (e.g. the trust total) from :func:`bed_occupancy` output.

    Means, core and escalation beds add up; variances add as if sites were independent (the
    same moment matching as each site), so the quantiles are re-read from a normal with the
    summed mean and variance.
    """
    qcols = [c for c in occupancy.columns if _QCOL.match(str(c))]
    sums = {"mean": ("mean", "sum"), "var": ("_var", "sum")}
    for col in ("available", "escalation", "core_beds", "escalation_beds"):
        if col in occupancy.columns:
            sums[col] = (col, "sum")
    keys = [c for c in ("date", "resource", "scenario") if c in occupancy.columns]
    out = (occupancy.assign(_var=occupancy["sd"] ** 2).groupby(keys, sort=True).agg(**sums)
           .reset_index())
    out["sd"] = np.sqrt(out.pop("var"))
    for col in qcols:
        q = float(_QCOL.match(col).group(1)) / 100
        out[col] = np.maximum(out["mean"] + stats.norm.ppf(q) * out["sd"], 0.0)
    out.insert(0, "site", name)
    out["approximation"] = APPROXIMATION + "; sites added as independent"
    return out[[c for c in occupancy.columns if c in out.columns]]


# ---------------------------------------------------------------- Monte Carlo check
def _draw_admissions(rng, mu, var, n_paths) -> np.ndarray:
    """Integer daily admissions with the given mean and variance (per day, independent)."""
    out = np.empty((n_paths, len(mu)), dtype=np.int64)
    for i, (m, v) in enumerate(zip(mu, var)):
        if v > m * (1 + 1e-9) and m > 0:  # over-dispersed: negative binomial with these moments
            n = m * m / (v - m)
            out[:, i] = rng.negative_binomial(n, n / (n + m), size=n_paths)
        elif v > 0:
            out[:, i] = np.maximum(np.rint(rng.normal(m, np.sqrt(v), size=n_paths)), 0)
        else:  # known count (actuals); a fractional mean is split between its neighbours
            lo = np.floor(m)
            out[:, i] = lo + (rng.random(n_paths) < m - lo)
    return out


def simulate_occupancy(admissions: pd.DataFrame, length_of_stay, *, census: pd.DataFrame | None = None,
                       n_paths: int = 2000, seed: int = 0, quantiles=DEFAULT_QUANTILES,
                       start=None, scenario: str = "baseline") -> pd.DataFrame:
    """Patient-level Monte Carlo of occupied beds, to check :func:`bed_occupancy`.

    Each path draws daily admissions (negative binomial or rounded normal matching the forecast's
    mean and variance), a whole-day stay for every admitted patient from the length-of-stay
    distribution, and for census patients a stay conditional on the days already spent.

    Returns
    -------
    DataFrame
        site, date, resource, scenario, mean, p-columns (empirical), sd, approximation='monte carlo'.
    """
    rng = np.random.default_rng(seed)
    qs = sorted(float(q) for q in quantiles)
    parts = []
    for site, (dates, mu, var_a) in _admission_moments(admissions).items():
        los = _los_for(length_of_stay, site)
        first, dates, mu, var_a = _from_start(dates, mu, var_a, start)
        h = len(dates)
        pmf = los.pmf
        stays = np.arange(len(pmf))  # last entry is the tail beyond max_days: long enough for us
        counts = _draw_admissions(rng, mu, var_a, n_paths)
        # One row per patient: its path and admission day; in the census at the end of days
        # [day, day + stay), recorded as +1/-1 in a difference array.
        path = np.repeat(np.repeat(np.arange(n_paths), h), counts.ravel())
        day = np.repeat(np.tile(np.arange(h), n_paths), counts.ravel())
        stay = rng.choice(stays, size=len(day), p=pmf / pmf.sum())
        diff = np.zeros((n_paths, h + 1))
        width = h + 1
        diff += np.bincount(path * width + day, minlength=n_paths * width).reshape(n_paths, width)
        diff -= np.bincount(path * width + np.minimum(day + stay, h),
                            minlength=n_paths * width).reshape(n_paths, width)
        occ = np.cumsum(diff, axis=1)[:, :h]
        elapsed = _census_elapsed(census, site, first, los)
        if len(elapsed):
            s_full = np.concatenate([[1.0], los.survival, [0.0]])  # s_full[k + 1] = S(k)
            tail = np.zeros((n_paths, h + 1))
            for e, n in zip(*np.unique(elapsed, return_counts=True)):
                # Stay given > e days: P(L = k | L > e) for k > e, drawn as r = L - e - 1, the
                # number of horizon days whose midnight census still holds the patient.
                cond = np.clip(-np.diff(s_full)[e + 1:], 0, None)
                if cond.sum() <= 0:
                    continue
                remaining = rng.choice(len(cond), size=(n_paths, n), p=cond / cond.sum())
                rows = np.repeat(np.arange(n_paths), n)
                tail += np.bincount(rows * (h + 1) + np.minimum(remaining.ravel(), h),
                                    minlength=n_paths * (h + 1)).reshape(n_paths, h + 1)
            # Patients with r remaining days are in on days 0..r-1: count those with r > j.
            still_in = tail[:, ::-1].cumsum(axis=1)[:, ::-1]
            occ += still_in[:, 1:]
        part = pd.DataFrame({"site": site, "date": dates, "resource": "beds", "scenario": scenario,
                             "mean": occ.mean(axis=0)})
        for q, v in zip(qs, np.quantile(occ, qs, axis=0)):
            part[_qname(q)] = v
        part["sd"] = occ.std(axis=0)
        part["approximation"] = "monte carlo"
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
