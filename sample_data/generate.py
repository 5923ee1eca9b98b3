"""Generate the synthetic sample data set of a three-site NHS acute trust.

The trust is modelled on Worcestershire Acute Hospitals NHS Trust (ODS code RWP):

* ``Worcestershire Royal`` - type 1 emergency department (ED), open 24 hours;
* ``Alexandra`` - type 1 ED, open 24 hours;
* ``Kidderminster`` - nurse-led minor injuries unit (MIU, type 3), open 08:00-21:59,
  with no admissions, no ambulance arrivals and no beds.

Every number written here is SYNTHETIC: it comes from the random model below with a
fixed seed, not from patient records. Magnitudes, seasonality, day-of-week and holiday
patterns, the COVID-19 collapse and recovery, conversion to admission, length of stay,
bed occupancy and four-hour performance are calibrated to public NHS England figures
for the trust, so that the workbench's forecasts and capacity views look plausible.

Outputs (all in this folder):

``activity_daily.csv``   daily attendances, ambulance arrivals, admissions, occupied
                         beds and four-hour breaches, 2019-04-01 to 2025-10-31;
``activity_hourly.csv``  hourly attendances, 2023-11-01 00:00 to 2025-10-31 23:00,
                         summing exactly to the daily figures;
``sites.csv``            the three sites;
``bed_base.csv``         general & acute core and escalation beds by period;
``spells.csv``           inpatient spells behind the occupied-bed census (extract);
``rota.csv``             ED staff on shift by weekday and hour.

Run ``python sample_data/generate.py`` (from anywhere). The run is deterministic
(``numpy.random.default_rng(20251031)``) and takes a few seconds; it ends by printing
a summary that checks the realism targets.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

# The script is run as a file, not as a module: put the repository root on the path so
# the project's own calendar and schema are used (one definition of bank holidays).
_REPO_ROOT = Path(__file__).resolve().parent.parent
if str(_REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(_REPO_ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from forecasting.calendar import bank_holidays  # noqa: E402
from forecasting.schema import (  # noqa: E402
    ADMISSIONS,
    AMBULANCE_ARRIVALS,
    ATTENDANCES,
    BREACHES_4H,
    OCCUPIED_BEDS,
)

OUT_DIR = Path(__file__).resolve().parent
SEED = 20251031

# --- periods
BURN_IN_START = pd.Timestamp("2018-10-01")  # spells start here so the census is steady by START
START = pd.Timestamp("2019-04-01")          # first day written to activity_daily.csv
END = pd.Timestamp("2025-10-31")            # last day of every output (the extract date)
HOURLY_START = pd.Timestamp("2023-11-01")   # two years of hourly arrivals
EXTRACT_FROM = pd.Timestamp("2024-11-01")   # spells.csv covers the census from this day
BED_BASE_END = pd.Timestamp("2026-12-31")   # bed plan runs past the data, for forecasts

WRH, ALEX, KTC = "Worcestershire Royal", "Alexandra", "Kidderminster"
TYPE1_SITES = (WRH, ALEX)
AGE_BANDS = ("0-17", "18-64", "65-79", "80+")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

#: Attendances grow about 2 % a year (England's long-run A&E trend before and after COVID).
GROWTH_PER_YEAR = 0.02
#: Day-to-day latent noise: AR(1) on the log level; weather, outbreaks and local events
#: last a few days, so consecutive days are correlated. Part of it is shared across
#: sites (the same weather and the same county).
AR_PHI, AR_SD, AR_SHARED = 0.5, 0.04, 0.6
#: Longest stay simulated. The burn-in is 182 days, so with this cap the census on
#: 2019-04-01 already contains every spell it would contain in a never-ending simulation.
MAX_LOS_DAYS = 180


@dataclass(frozen=True)
class _Site:
    """What differs between the three departments."""

    name: str
    ods_code: str
    department_type: int
    description: str
    base_per_day: float            # mean attendances a day at START, before any effect
    weekday: tuple                 # Monday..Sunday multipliers, mean 1
    monthly: tuple                 # Jan..Dec seasonal multipliers (normalised to mean 1)
    nb_shape: float                # gamma-Poisson shape: smaller means more overdispersion
    covid_depth: float             # 1 = type 1 COVID curve, > 1 deeper (minors stayed away)
    conversion_factor: float = 1.0  # admission conversion relative to the trust's
    age_mix: tuple = ()             # share of emergency admissions by AGE_BANDS
    breach_offset: float = 0.0      # logit shift of the four-hour breach probability


_SITES = {
    WRH: _Site(
        WRH, "RWP50", 1,
        "Worcestershire Royal Hospital, Worcester: consultant-led 24-hour emergency "
        "department with the trust's children's ED and paediatric inpatients",
        base_per_day=203.0,
        weekday=(1.12, 1.02, 1.00, 0.99, 1.00, 0.94, 0.93),
        monthly=(0.97, 0.95, 0.99, 1.00, 1.04, 1.05, 1.04, 1.00, 1.00, 1.00, 0.98, 0.98),
        nb_shape=250.0, covid_depth=1.0, conversion_factor=1.03,
        age_mix=(0.11, 0.37, 0.25, 0.27), breach_offset=0.05,
    ),
    ALEX: _Site(
        ALEX, "RWP01", 1,
        "Alexandra Hospital, Redditch: consultant-led 24-hour emergency department "
        "(adults; children seen and transferred when they need admission)",
        base_per_day=135.0,
        weekday=(1.12, 1.02, 1.00, 0.99, 1.00, 0.94, 0.93),
        monthly=(0.97, 0.95, 0.99, 1.00, 1.04, 1.05, 1.04, 1.00, 1.00, 1.00, 0.98, 0.98),
        nb_shape=200.0, covid_depth=1.0, conversion_factor=0.955,
        age_mix=(0.03, 0.41, 0.27, 0.29), breach_offset=-0.05,
    ),
    KTC: _Site(
        KTC, "RWP31", 3,
        "Kidderminster Hospital and Treatment Centre: nurse-led minor injuries unit, "
        "open 08:00-21:59, no admitting beds and no ambulance arrivals",
        base_per_day=175.0,
        weekday=(1.02, 0.98, 0.97, 0.97, 0.96, 1.05, 1.05),
        monthly=(0.90, 0.92, 0.98, 1.03, 1.08, 1.13, 1.14, 1.08, 1.00, 0.96, 0.92, 0.86),
        nb_shape=150.0, covid_depth=1.27,
    ),
}
SITE_ORDER = (WRH, ALEX, KTC)

#: COVID-19 multiplier on type 1 attendances: (date, level) knots, linear between,
#: 1 outside. Lockdown from 23 March 2020, recovery over summer 2020, the second and
#: third waves (November 2020, January 2021), back to normal by July 2021.
_COVID_KNOTS = (
    ("2020-03-09", 1.00), ("2020-03-16", 0.93), ("2020-03-23", 0.68), ("2020-04-04", 0.47),
    ("2020-04-20", 0.50), ("2020-05-15", 0.64), ("2020-06-15", 0.77), ("2020-08-01", 0.86),
    ("2020-09-15", 0.90), ("2020-10-20", 0.85), ("2020-11-12", 0.71), ("2020-12-05", 0.80),
    ("2020-12-20", 0.80), ("2021-01-12", 0.68), ("2021-02-05", 0.71), ("2021-03-10", 0.80),
    ("2021-04-20", 0.90), ("2021-06-01", 0.96), ("2021-07-05", 1.00),
)

# --- admissions: conversion of type 1 attendances, 28 % in summer to 32 % at New Year
_CONV_SUMMER, _CONV_WINTER_EXTRA, _CONV_NOISE_SD = 0.28, 0.04, 0.03
#: In the pandemic the minors stayed away but the sick still came, so conversion rose.
_CONV_COVID_UPLIFT = 0.5

# --- ambulance share of type 1 attendances
_AMB_BASE, _AMB_WINTER, _AMB_WEEKEND, _AMB_NOISE_SD = 0.285, 0.02, 0.015, 0.04

# --- length of stay: lognormal by age band (median in days, sigma of the log)
_LOS_MEDIAN = {"0-17": 0.6, "18-64": 2.65, "65-79": 4.7, "80+": 6.75}
_LOS_SIGMA = {"0-17": 0.9, "18-64": 1.22, "65-79": 1.22, "80+": 1.17}
_LOS_WINTER = 0.05           # stays about 5 % longer in winter (flu, norovirus, frailty)
_LOS_TREND_PER_YEAR = -0.015 # same-day emergency care slowly shortens stays
#: Discharges fall at weekends: this share of Saturday and Sunday discharges of
#: patients who stayed at least one night wait until Monday.
_WEEKEND_DEFERRAL = {5: 0.25, 6: 0.15}

# --- four-hour breaches: logit of the breach probability
_BREACH_LOGIT_AT_92 = -0.95       # 28 % breaches at 92 % occupancy of core beds
_BREACH_OCC_SLOPE = 4.5           # per unit of occupancy / core beds
_BREACH_WINTER = 0.20
_BREACH_CROWDING = 1.2            # per unit of log(attendances / expected)
_BREACH_NOISE_SD = 0.12
_MIU_BREACH_P = 0.002

# --- hourly arrival profiles (share of the day's arrivals by hour, before normalising)
_T1_HOURLY = np.array([
    2.6, 2.1, 1.8, 1.6, 1.5, 1.45, 1.6, 2.2, 3.6, 5.2, 6.3, 6.6,
    6.5, 6.2, 5.9, 5.7, 5.5, 5.5, 5.8, 5.9, 5.5, 4.8, 4.0, 3.3,
])
_MIU_HOURLY = np.array([
    0, 0, 0, 0, 0, 0, 0, 0, 5.5, 7.6, 9.0, 9.3,
    8.5, 7.7, 7.2, 7.0, 7.1, 7.6, 8.0, 7.2, 5.3, 3.2, 0, 0,
], dtype=float)


# ---------------------------------------------------------------------------------------
# calendar and expected levels
# ---------------------------------------------------------------------------------------
def _years_since_start(dates: pd.DatetimeIndex) -> np.ndarray:
    """Years (fractional) from START; negative in the burn-in."""
    return ((dates - START).days / 365.25).to_numpy()


def _seasonal(dates: pd.DatetimeIndex, monthly) -> np.ndarray:
    """Smooth seasonal multiplier from twelve mid-month values.

    Interpolating between mid-month points avoids a step on the first of each month,
    which a forecasting model would otherwise learn as a spurious effect.
    """
    values = np.asarray(monthly, dtype=float)
    values = values / values.mean()
    mid_month = (np.arange(12) + 0.5) * 365.25 / 12
    doy = dates.day_of_year.to_numpy() - 1.0
    return np.interp(doy, mid_month, values, period=365.25)


def _winter_weight(dates: pd.DatetimeIndex, peak_doy: float = 1.0) -> np.ndarray:
    """0 in midsummer, 1 at the winter peak; narrow, so its mean over the year is 3/8."""
    doy = dates.day_of_year.to_numpy()
    return ((1 + np.cos(2 * np.pi * (doy - peak_doy) / 365.25)) / 2) ** 2


def _holiday_flags(dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Bank holiday, day after one, Christmas, Boxing Day and post-Christmas surge flags."""
    hols = pd.DatetimeIndex(
        bank_holidays(dates[0] - pd.Timedelta(days=1), dates[-1], "GB-ENG")["date"]
    )
    month, day = dates.month, dates.day
    is_bh = dates.isin(hols)
    return pd.DataFrame(
        {
            "bank_holiday": is_bh,
            "after_holiday": dates.isin(hols + pd.Timedelta(days=1)) & ~is_bh,
            "christmas": (month == 12) & (day == 25),
            "boxing_day": (month == 12) & (day == 26),
            # the backlog after the Christmas shutdown of GP practices
            "festive_surge": ((month == 12) & (day >= 27) & (day <= 29))
            | ((month == 1) & (day == 2)),
        },
        index=dates,
    )


def _calendar_multiplier(site: _Site, dates: pd.DatetimeIndex, flags: pd.DataFrame) -> np.ndarray:
    """Day-of-week and holiday multiplier on expected attendances."""
    weekday = np.asarray(site.weekday)
    mult = weekday[dates.day_of_week]
    bh = flags["bank_holiday"].to_numpy()
    xmas = flags["christmas"].to_numpy()
    boxing = flags["boxing_day"].to_numpy()
    if site.department_type == 1:
        # A bank holiday looks like a Sunday, a little busier (GP surgeries shut);
        # Christmas Day is quiet and Boxing Day an ordinary day for its weekday.
        mult = np.where(bh & ~boxing, weekday[6] * 1.05, mult)
        mult = np.where(xmas, 0.73, mult)
        after, surge = 1.10, 1.12
    else:
        # The MIU is busy-ish at weekends and bank holidays; almost nobody comes on
        # Christmas Day (it runs a skeleton service).
        mult = np.where(bh & ~boxing, weekday[6], mult)
        mult = np.where(xmas, 0.12, mult)
        after, surge = 1.05, 1.05
    # The day after a holiday and the 27-29 Dec / 2 Jan backlog: take the larger uplift
    # rather than stacking them on 27 December.
    post = np.maximum(
        np.where(flags["after_holiday"].to_numpy() & ~boxing, after, 1.0),
        np.where(flags["festive_surge"].to_numpy(), surge, 1.0),
    )
    return mult * post


def _day_number(dates: pd.DatetimeIndex) -> np.ndarray:
    """Days since 1970-01-01 as integers."""
    return dates.to_numpy().astype("datetime64[D]").astype(np.int64)


def _covid_multiplier(dates: pd.DatetimeIndex, depth: float) -> np.ndarray:
    """COVID-19 level multiplier: 1 outside 2020-03-09..2021-07-05."""
    # compare whole days, whatever datetime unit pandas chose for each index
    knot_days = _day_number(pd.DatetimeIndex([d for d, _ in _COVID_KNOTS]))
    knot_vals = np.array([v for _, v in _COVID_KNOTS])
    level = np.interp(_day_number(dates), knot_days, knot_vals, left=1.0, right=1.0)
    return np.clip(1.0 - depth * (1.0 - level), 0.05, 1.0)


def _latent_noise(rng: np.random.Generator, n_days: int, n_sites: int) -> np.ndarray:
    """AR(1) log-level noise per site, partly shared between sites.

    Returns an array (n_days, n_sites) with stationary sd AR_SD / sqrt(1 - AR_PHI**2).
    """
    shared = rng.standard_normal(n_days)[:, None]
    own = rng.standard_normal((n_days, n_sites))
    innov = AR_SD * (np.sqrt(AR_SHARED) * shared + np.sqrt(1 - AR_SHARED) * own)
    out = np.empty_like(innov)
    out[0] = innov[0] / np.sqrt(1 - AR_PHI**2)  # start in the stationary distribution
    for t in range(1, n_days):
        out[t] = AR_PHI * out[t - 1] + innov[t]
    return out


def _gamma_poisson(rng: np.random.Generator, mean: np.ndarray, shape: float) -> np.ndarray:
    """Negative binomial counts with the given mean: var = mean + mean**2 / shape."""
    return rng.poisson(rng.gamma(shape, mean / shape)).astype(np.int64)


# ---------------------------------------------------------------------------------------
# daily activity
# ---------------------------------------------------------------------------------------
def _simulate_attendances(rng, dates, flags):
    """Daily attendances per site and their expected value (no latent noise).

    Returns
    -------
    counts, expected : dict of str -> ndarray
    """
    latent = _latent_noise(rng, len(dates), len(SITE_ORDER))
    growth = np.exp(np.log1p(GROWTH_PER_YEAR) * _years_since_start(dates))
    counts, expected = {}, {}
    for j, name in enumerate(SITE_ORDER):
        site = _SITES[name]
        mu = (
            site.base_per_day
            * growth
            * _seasonal(dates, site.monthly)
            * _calendar_multiplier(site, dates, flags)
            * _covid_multiplier(dates, site.covid_depth)
        )
        expected[name] = mu
        counts[name] = _gamma_poisson(rng, mu * np.exp(latent[:, j]), site.nb_shape)
    return counts, expected


def _conversion_probability(rng, site: _Site, dates) -> np.ndarray:
    """Daily probability that a type 1 attendance is admitted."""
    p = _CONV_SUMMER + _CONV_WINTER_EXTRA * _winter_weight(dates)
    covid = _covid_multiplier(dates, 1.0)
    p = p * (1 + _CONV_COVID_UPLIFT * (1 - covid)) * site.conversion_factor
    return np.clip(p * np.exp(rng.normal(0, _CONV_NOISE_SD, len(dates))), 0.01, 0.95)


def _ambulance_probability(rng, dates) -> np.ndarray:
    """Daily share of type 1 attendances arriving by ambulance (higher in winter, at
    weekends and in the pandemic, when walk-in minors stayed away)."""
    p = (
        _AMB_BASE
        + _AMB_WINTER * _winter_weight(dates)
        + _AMB_WEEKEND * (dates.day_of_week >= 5)
        + 0.15 * (1 - _covid_multiplier(dates, 1.0))
    )
    return np.clip(p * np.exp(rng.normal(0, _AMB_NOISE_SD, len(dates))), 0.01, 0.95)


# ---------------------------------------------------------------------------------------
# spells and the midnight census
# ---------------------------------------------------------------------------------------
def _simulate_spells(rng, site: _Site, dates, admissions: np.ndarray) -> pd.DataFrame:
    """One row per emergency admission: day index of admission and discharge, age band.

    Stays are lognormal by age band, floored to whole days (a same-day discharge is
    0 days), a little longer in winter, and some weekend discharges slip to Monday.
    """
    adm_idx = np.repeat(np.arange(len(dates)), admissions)
    n = len(adm_idx)
    age = rng.choice(len(AGE_BANDS), size=n, p=np.asarray(site.age_mix))
    log_median = np.log([_LOS_MEDIAN[a] for a in AGE_BANDS])[age]
    sigma = np.array([_LOS_SIGMA[a] for a in AGE_BANDS])[age]
    adm_dates = dates[adm_idx]
    scale = (
        (1 + _LOS_WINTER * _winter_weight(adm_dates, peak_doy=15.0))
        * np.exp(_LOS_TREND_PER_YEAR * _years_since_start(adm_dates))
    )
    los = np.floor(np.exp(log_median + sigma * rng.standard_normal(n)) * scale)
    los = np.minimum(los, MAX_LOS_DAYS).astype(np.int64)

    disc_idx = adm_idx + los
    disc_weekday = (dates[0].day_of_week + disc_idx) % 7
    u = rng.random(n)
    for weekday, share in _WEEKEND_DEFERRAL.items():
        wait = (disc_weekday == weekday) & (los >= 1) & (u < share)
        disc_idx = np.where(wait, disc_idx + (7 - weekday), disc_idx)
    disc_idx = np.minimum(disc_idx, adm_idx + MAX_LOS_DAYS)
    return pd.DataFrame({"site": site.name, "adm": adm_idx, "disc": disc_idx, "age": age})


def _midnight_census(spells: pd.DataFrame, n_days: int) -> np.ndarray:
    """Patients in a bed at midnight at the end of each day: admitted on or before the
    day and discharged after it (so same-day discharges never count)."""
    delta = np.zeros(n_days + MAX_LOS_DAYS + 2, dtype=np.int64)
    np.add.at(delta, spells["adm"].to_numpy(), 1)
    np.add.at(delta, spells["disc"].to_numpy(), -1)
    return np.cumsum(delta)[:n_days]


# ---------------------------------------------------------------------------------------
# bed base
# ---------------------------------------------------------------------------------------
def _bed_base() -> pd.DataFrame:
    """G&A core and escalation beds by period (contiguous, date_to inclusive)."""
    rows = [
        (WRH, "2019-04-01", "2021-10-31", 516, 30,
         "Baseline G&A bed base"),
        (WRH, "2021-11-01", "2024-12-01", 516, 34,
         "Escalation capacity increased by 4 (winter escalation area made permanent)"),
        (WRH, "2024-12-02", "2026-12-31", 540, 34,
         "New 24-bed ward opened (core +24)"),
        (ALEX, "2019-04-01", "2022-03-31", 352, 20,
         "Baseline G&A bed base"),
        (ALEX, "2022-04-01", "2022-09-30", 324, 20,
         "28-bed ward closed for refurbishment (core -28)"),
        (ALEX, "2022-10-01", "2026-12-31", 352, 20,
         "Refurbished 28-bed ward reopened (core +28)"),
    ]
    return pd.DataFrame(
        rows, columns=["site", "date_from", "date_to", "core_beds", "escalation_beds", "note"]
    )


def _daily_beds(bed_base: pd.DataFrame, site: str, dates) -> tuple[np.ndarray, np.ndarray]:
    """Core and escalation beds in force on each date."""
    core = np.zeros(len(dates), dtype=np.int64)
    esc = np.zeros(len(dates), dtype=np.int64)
    for row in bed_base[bed_base["site"] == site].itertuples():
        mask = (dates >= pd.Timestamp(row.date_from)) & (dates <= pd.Timestamp(row.date_to))
        core[mask], esc[mask] = row.core_beds, row.escalation_beds
    return core, esc


# ---------------------------------------------------------------------------------------
# breaches
# ---------------------------------------------------------------------------------------
def _breaches(rng, site: _Site, dates, attendances, expected, occupied, core) -> np.ndarray:
    """Patients over four hours: binomial of attendances.

    At a type 1 ED the chance of a breach rises with yesterday's midnight occupancy of
    core beds (exit block: admitted patients wait in the ED for a bed), with winter and
    with an unusually busy day.
    """
    n = len(dates)
    if site.department_type != 1:
        p = _MIU_BREACH_P * np.exp(rng.normal(0, 0.3, n))
        return rng.binomial(attendances, np.clip(p, 0, 1))
    occ = np.concatenate([[occupied[0]], occupied[:-1]]) / core
    crowding = np.log(np.maximum(attendances, 1) / expected)
    logit = (
        _BREACH_LOGIT_AT_92
        + site.breach_offset
        + _BREACH_OCC_SLOPE * (occ - 0.92)
        + _BREACH_WINTER * _winter_weight(dates)
        + _BREACH_CROWDING * crowding
        + rng.normal(0, _BREACH_NOISE_SD, n)
    )
    return rng.binomial(attendances, 1 / (1 + np.exp(-logit)))


# ---------------------------------------------------------------------------------------
# hourly split
# ---------------------------------------------------------------------------------------
def _hourly_profiles(site: _Site) -> np.ndarray:
    """Hour-of-day share of arrivals, one row per weekday (0 = Monday) plus row 7 for
    bank holidays (a Sunday pattern)."""
    base = _T1_HOURLY if site.department_type == 1 else _MIU_HOURLY
    prof = np.tile(base, (8, 1)).astype(float)
    hours = np.arange(24)
    morning = (hours >= 8) & (hours <= 13)
    if site.department_type == 1:
        prof[0, morning] *= 1.12           # Monday: people who waited over the weekend
        for wd in (5, 6, 7):
            prof[wd, (hours >= 7) & (hours <= 10)] *= 0.80  # weekend mornings start later
            prof[wd, (hours >= 11) & (hours <= 17)] *= 1.05
        for wd in (5, 6):
            prof[wd, hours <= 3] *= 1.20   # Friday and Saturday nights out
    else:
        prof[0, morning] *= 1.06
        for wd in (5, 6, 7):
            prof[wd, (hours >= 8) & (hours <= 9)] *= 0.80
            prof[wd, (hours >= 11) & (hours <= 16)] *= 1.06
    return prof / prof.sum(axis=1, keepdims=True)


def _split_hourly(rng, site: _Site, dates, daily: np.ndarray, bank_holiday: np.ndarray):
    """Multinomial split of each day's count over the hours: sums are exact."""
    prof = _hourly_profiles(site)
    row = np.where(bank_holiday, 7, dates.day_of_week)
    return rng.multinomial(daily, prof[row])


# ---------------------------------------------------------------------------------------
# rota
# ---------------------------------------------------------------------------------------
def _smooth_circular(x: np.ndarray) -> np.ndarray:
    """Centred 3-hour mean around the clock (23:00 neighbours 00:00)."""
    return (np.roll(x, 1) + x + np.roll(x, -1)) / 3


def _rota(hourly_mean: dict[str, np.ndarray]) -> pd.DataFrame:
    """ED staff on shift by weekday and hour, planned on the average arrival profile.

    The rota is planned once for 'a weekday' and once for 'a weekend day', which is
    how real rotas are built: so the Monday peak is under-covered, late-evening cover is
    thin (a shift ends at 22:00 before the demand has gone) and weekend daytime carries
    one doctor fewer.
    """
    rows = []
    hours = np.arange(24)
    for name in SITE_ORDER:
        site = _SITES[name]
        arr = hourly_mean[name]                       # (7, 24) mean arrivals per hour
        # Shifts overlap, so staff follow a smoothed curve (3-hour centred mean), not
        # every hourly wobble.
        weekday_plan = _smooth_circular(arr[1:4].mean(axis=0))  # planned on Tue-Thu
        weekend_plan = _smooth_circular(arr[5:7].mean(axis=0))
        for wd in range(7):
            plan = weekday_plan if wd < 5 else weekend_plan
            if site.department_type == 1:
                clin = np.maximum(2, np.round(plan / 2.25))
                nurse = np.maximum(3, np.round(plan / 1.8))
                clin[(hours >= 21) & (hours <= 23)] -= 1   # the twilight shift ends at 21:00
                if wd >= 5:
                    clin[(hours >= 9) & (hours <= 17)] -= 1
                    nurse[(hours >= 9) & (hours <= 17)] -= 1
                clin, nurse = np.maximum(clin, 2), np.maximum(nurse, 3)
            else:
                open_ = (hours >= 8) & (hours <= 21)
                nurse = np.where(open_, np.maximum(2, np.round(plan / 2.5)), 0)
                # a GP sessional doctor in the core weekday hours only
                clin = np.where((hours >= 10) & (hours <= 17) & (wd < 5), 1, 0)
            for h in hours:
                rows.append((name, WEEKDAYS[wd], int(h), int(clin[h]), int(nurse[h])))
    return pd.DataFrame(rows, columns=["site", "weekday", "hour", "clinicians", "nurses"])


# ---------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------
def _long(site: str, metric: str, dates, values) -> pd.DataFrame:
    """One series in the long activity layout (site, metric, date, value)."""
    return pd.DataFrame({"site": site, "metric": metric, "date": dates,
                         "value": np.asarray(values, dtype=np.int64)})


def _write(df: pd.DataFrame, name: str) -> Path:
    """Write a frame as UTF-8 CSV with Unix line endings (stable across platforms)."""
    path = OUT_DIR / name
    df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def _sites_table() -> pd.DataFrame:
    """The sites.csv table."""
    return pd.DataFrame(
        [(s.name, s.ods_code, f"type {s.department_type}", s.description)
         for s in (_SITES[n] for n in SITE_ORDER)],
        columns=["site", "ods_site_code", "department_type", "description"],
    )


# ---------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------
def _simulate_daily(rng, dates, flags, bed_base):
    """All daily series from BURN_IN_START, and the simulated spells.

    Returns
    -------
    series : dict of (site, metric) -> ndarray
    expected : dict of site -> ndarray of expected attendances (no latent noise)
    spells : DataFrame of every simulated spell (both type 1 sites)
    """
    attendances, expected = _simulate_attendances(rng, dates, flags)
    series, spells_parts = {}, []
    for name in SITE_ORDER:
        site = _SITES[name]
        att = attendances[name]
        series[(name, ATTENDANCES)] = att
        if site.department_type != 1:
            series[(name, BREACHES_4H)] = _breaches(rng, site, dates, att, expected[name],
                                                    None, None)
            continue
        adm = rng.binomial(att, _conversion_probability(rng, site, dates))
        amb = rng.binomial(att, _ambulance_probability(rng, dates))
        spells = _simulate_spells(rng, site, dates, adm)
        occupied = _midnight_census(spells, len(dates))
        core, _ = _daily_beds(bed_base, name, dates)
        core = np.where(core > 0, core, core[dates >= START][0])  # burn-in: first base
        series[(name, ADMISSIONS)] = adm
        series[(name, AMBULANCE_ARRIVALS)] = amb
        series[(name, OCCUPIED_BEDS)] = occupied
        series[(name, BREACHES_4H)] = _breaches(rng, site, dates, att, expected[name],
                                                occupied, core)
        spells_parts.append(spells)
    return series, expected, pd.concat(spells_parts, ignore_index=True)


def _daily_table(series, dates) -> pd.DataFrame:
    """activity_daily.csv: the series from START in the long layout."""
    keep = dates >= START
    out_dates = dates[keep].strftime("%Y-%m-%d")
    parts = [_long(name, metric, out_dates, values[keep])
             for (name, metric), values in series.items()]
    return (pd.concat(parts, ignore_index=True)
            .sort_values(["site", "metric", "date"], ignore_index=True))


def _hourly_table(rng, series, dates, flags):
    """activity_hourly.csv, and the mean arrivals by weekday and hour over the last
    twelve months (what the rota is planned on)."""
    hmask = dates >= HOURLY_START
    hdates = dates[hmask]
    stamps = (np.repeat(hdates.to_numpy(), 24)
              + np.tile(np.arange(24), len(hdates)) * np.timedelta64(1, "h"))
    stamps = pd.DatetimeIndex(stamps).strftime("%Y-%m-%d %H:%M")
    last_year = hdates > END - pd.DateOffset(years=1)
    weekday = hdates.day_of_week[last_year]
    parts, hourly_mean = [], {}
    for name in SITE_ORDER:
        counts = _split_hourly(rng, _SITES[name], hdates, series[(name, ATTENDANCES)][hmask],
                               flags["bank_holiday"].to_numpy()[hmask])
        parts.append(_long(name, ATTENDANCES, stamps, counts.ravel()))
        recent = counts[last_year]
        hourly_mean[name] = np.vstack([recent[weekday == wd].mean(axis=0) for wd in range(7)])
    hourly = (pd.concat(parts, ignore_index=True)
              .sort_values(["site", "metric", "date"], ignore_index=True))
    return hourly, hourly_mean


def _spells_table(rng, spells: pd.DataFrame, dates) -> pd.DataFrame:
    """spells.csv: number every spell in admission order, as a PAS would, then keep
    those admitted from EXTRACT_FROM or still in hospital on that day; blank the
    discharge date of patients still in at END (censored)."""
    spells = spells.assign(tie=rng.random(len(spells)))  # random order within a day
    spells = spells.sort_values(["adm", "tie"], ignore_index=True)
    spell_id = np.array([f"SP{i:07d}" for i in range(1, len(spells) + 1)])
    first = dates.get_loc(EXTRACT_FROM)
    keep = ((spells["adm"] >= first) | (spells["disc"] >= first)).to_numpy()
    ext = spells[keep]
    disc = pd.DatetimeIndex(dates[0] + pd.to_timedelta(ext["disc"].to_numpy(), "D"))
    censored = (ext["disc"] >= len(dates)).to_numpy()
    return pd.DataFrame({
        "spell_id": spell_id[keep],
        "site": ext["site"].to_numpy(),
        "admission_date": dates[ext["adm"].to_numpy()].strftime("%Y-%m-%d"),
        "discharge_date": np.where(censored, "", disc.strftime("%Y-%m-%d")),
        "age_band": np.asarray(AGE_BANDS)[ext["age"].to_numpy()],
    })


def generate() -> dict:
    """Simulate everything, write the CSV files and return what the summary checks."""
    rng = np.random.default_rng(SEED)
    dates = pd.date_range(BURN_IN_START, END, freq="D")
    flags = _holiday_flags(dates)
    bed_base = _bed_base()

    series, expected, spells = _simulate_daily(rng, dates, flags, bed_base)
    daily = _daily_table(series, dates)
    hourly, hourly_mean = _hourly_table(rng, series, dates, flags)
    spells_out = _spells_table(rng, spells, dates)
    rota = _rota(hourly_mean)

    paths = [
        _write(daily, "activity_daily.csv"),
        _write(hourly, "activity_hourly.csv"),
        _write(_sites_table(), "sites.csv"),
        _write(bed_base, "bed_base.csv"),
        _write(spells_out, "spells.csv"),
        _write(rota, "rota.csv"),
    ]
    return dict(dates=dates, expected=expected, series=series, spells=spells, flags=flags,
                paths=paths, bed_base=bed_base, daily=daily, hourly=hourly,
                spells_out=spells_out, rota=rota, hourly_mean=hourly_mean)


# ---------------------------------------------------------------------------------------
# summary of the realism targets
# ---------------------------------------------------------------------------------------
def _fy(dates: pd.DatetimeIndex) -> np.ndarray:
    """Financial year label, e.g. '2019/20' for April 2019 to March 2020."""
    start = np.where(dates.month >= 4, dates.year, dates.year - 1)
    return np.array([f"{y}/{str(y + 1)[-2:]}" for y in start])


def _ratio_to_same_weekday(ratio: pd.Series, mask: np.ndarray, ordinary: pd.Series) -> float:
    """Mean of ratio on the masked days over the ordinary ratio of the same weekday."""
    days = ratio.index[mask]
    return float((ratio[mask].to_numpy() / ordinary.reindex(days.day_of_week).to_numpy()).mean())


def _print_attendances(att: pd.DataFrame, fy: np.ndarray) -> None:
    """Annual attendances by site and financial year."""
    annual = att.groupby(fy).sum()
    annual["days"] = pd.Series(fy).value_counts().sort_index().to_numpy()
    annual["WRH share of type 1"] = (annual[WRH] / annual["Type 1"]).round(3)
    print("\nAttendances by financial year (2025/26 is April-October only):")
    print(annual.to_string())


def _print_calendar_effects(att: pd.DataFrame, flags: pd.DataFrame, normal: np.ndarray) -> None:
    """Day-of-week, holiday and seasonal ratios measured from the counts."""
    d = att.index
    print("\nDay-of-week ratio to the weekly mean (ordinary days outside COVID):")
    dow, ratios = {}, {}
    for col in ("Type 1", KTC):
        # divide by a 28-day centred mean first, to take out the trend and the seasons
        ratios[col] = att[col] / att[col].rolling(28, center=True, min_periods=14).mean()
        r = ratios[col][normal].groupby(d[normal].day_of_week).mean()
        dow[col] = (r / r.mean()).round(3).to_numpy()
    print(pd.DataFrame(dow, index=WEEKDAYS).T.to_string())

    ratio = ratios["Type 1"]
    ordinary = ratio[normal].groupby(d[normal].day_of_week).mean()
    fl = flags.loc[d]
    other_bh = (fl["bank_holiday"] & ~fl["christmas"] & ~fl["boxing_day"]).to_numpy()
    after = (fl["after_holiday"] & ~fl["festive_surge"]).to_numpy()
    print("\nType 1 holiday effects (ratio to a 28-day mean, over an ordinary day):")
    print(f"  bank holiday / ordinary Sunday       {ratio[other_bh].mean() / ordinary[6]:.3f}")
    print(f"  day after a holiday / same weekday   "
          f"{_ratio_to_same_weekday(ratio, after, ordinary):.3f}")
    for label, col in (("Christmas Day", "christmas"), ("Boxing Day", "boxing_day"),
                       ("27-29 Dec and 2 Jan", "festive_surge")):
        print(f"  {label:<19} / same weekday   "
              f"{_ratio_to_same_weekday(ratio, fl[col].to_numpy(), ordinary):.3f}")
    print(f"  MIU Christmas Day / 28-day mean      "
          f"{ratios[KTC][fl['christmas'].to_numpy()].mean():.3f}")

    print("\nSeasonality (monthly mean per day / annual mean, FY2022/23-2024/25):")
    mask = (d >= pd.Timestamp("2022-04-01")) & (d <= pd.Timestamp("2025-03-31"))
    seas = att.loc[mask, ["Type 1", KTC]].groupby(d[mask].month).mean()
    print((seas / seas.mean()).round(3).T.to_string())


def _print_covid(att: pd.DataFrame) -> None:
    """COVID-19 dip against the same month before the pandemic."""
    d = att.index
    monthly = att.groupby([d.year, d.month]).mean()
    print("\nCOVID-19: attendances vs the same month before COVID (2019, or 2020 for Jan-Feb),"
          " grown 2 %/yr:")
    rows = []
    for y, m in [(2020, 4), (2020, 8), (2020, 11), (2021, 1), (2021, 7), (2021, 9)]:
        base_year = 2019 if m >= 4 else 2020
        base = monthly.loc[(base_year, m)] * (1 + GROWTH_PER_YEAR) ** (y - base_year)
        now = monthly.loc[(y, m)]
        rows.append((f"{y}-{m:02d}", round(now["Type 1"] / base["Type 1"], 3),
                     round(now[KTC] / base[KTC], 3)))
    print(pd.DataFrame(rows, columns=["month", "type 1", "MIU"]).to_string(index=False))


def _print_admissions(frame: pd.DataFrame, att: pd.DataFrame, non_covid: np.ndarray) -> None:
    """Conversion to admission and the ambulance share."""
    d = att.index
    adm = frame[f"{WRH}|{ADMISSIONS}"] + frame[f"{ALEX}|{ADMISSIONS}"]
    amb = frame[f"{WRH}|{AMBULANCE_ARRIVALS}"] + frame[f"{ALEX}|{AMBULANCE_ARRIVALS}"]
    t1 = att["Type 1"]
    conv, amb_share = adm / t1, amb / t1
    april_2020 = (d.year == 2020) & (d.month == 4)
    print("\nConversion (admissions / type 1 attendances):")
    print(f"  overall outside COVID {adm[non_covid].sum() / t1[non_covid].sum():.3f}; "
          f"Jul {conv[non_covid & (d.month == 7)].mean():.3f}; "
          f"Dec-Jan {conv[non_covid & d.month.isin([12, 1])].mean():.3f}; "
          f"April 2020 {conv[april_2020].mean():.3f}")
    print(f"Ambulance share: overall {amb.sum() / t1.sum():.3f}; "
          f"weekday {amb_share[d.day_of_week < 5].mean():.3f}, "
          f"weekend {amb_share[d.day_of_week >= 5].mean():.3f}; "
          f"Dec-Jan {amb_share[d.month.isin([12, 1])].mean():.3f}, "
          f"Jul {amb_share[d.month == 7].mean():.3f}")


def _print_beds(res: dict, frame: pd.DataFrame, fy: np.ndarray, non_covid: np.ndarray) -> None:
    """Length of stay, occupancy against core beds and four-hour breaches."""
    d, spells = frame.index, res["spells"]
    los = spells["disc"] - spells["adm"]
    print("\nLength of stay of all simulated spells (whole days, same-day = 0):")
    print(f"  mean {los.mean():.2f}, median {los.median():.0f}, same-day share "
          f"{(los == 0).mean():.3f}, 95th pct {los.quantile(0.95):.0f}, max {los.max()}")
    age = spells["age"].map(dict(enumerate(AGE_BANDS)))
    print(los.groupby(age).agg(["mean", "median", "size"]).round(2).to_string())

    print("\nOccupied beds vs core beds (midnight census) by financial year:")
    rows = []
    for name in TYPE1_SITES:
        core, esc = _daily_beds(res["bed_base"], name, d)
        occ = frame[f"{name}|{OCCUPIED_BEDS}"].to_numpy()
        for label in np.unique(fy):
            m = fy == label
            r = occ[m] / core[m]
            rows.append((name, label, round(r.mean(), 3), round(r.max(), 3),
                         round((r > 1).mean(), 3), round((occ[m] > core[m] + esc[m]).mean(), 3)))
    print(pd.DataFrame(rows, columns=["site", "FY", "mean occ/core", "max occ/core",
                                      "share of days > core", "share > core+escalation"])
          .to_string(index=False))
    occ = sum(frame[f"{n}|{OCCUPIED_BEDS}"] for n in TYPE1_SITES)
    core = sum(_daily_beds(res["bed_base"], n, d)[0] for n in TYPE1_SITES)
    tr = occ / core
    print(f"  trust mean occ/core outside COVID {tr[non_covid].mean():.3f}, "
          f"Dec-Feb {tr[non_covid & d.month.isin([12, 1, 2])].mean():.3f}, "
          f"Jun-Aug {tr[non_covid & d.month.isin([6, 7, 8])].mean():.3f}, "
          f"April 2020 {tr[(d.year == 2020) & (d.month == 4)].mean():.3f}")

    print("\nFour-hour breaches as a share of attendances by financial year:")
    breaches = pd.DataFrame({n: frame[f"{n}|{BREACHES_4H}"] for n in SITE_ORDER}).groupby(fy)
    attended = pd.DataFrame({n: frame[f"{n}|{ATTENDANCES}"] for n in SITE_ORDER}).groupby(fy)
    print((breaches.sum() / attended.sum()).round(4).to_string())


def _print_overdispersion(res: dict, keep: np.ndarray, non_covid: np.ndarray) -> None:
    """Variance of the counts around their expectation over its mean (1 = Poisson)."""
    print("\nOverdispersion: var(count - expected) / mean(expected), outside COVID:")
    for name in SITE_ORDER:
        y = res["series"][(name, ATTENDANCES)][keep][non_covid]
        mu = res["expected"][name][keep][non_covid]
        print(f"  {name:<22} {np.var(y - mu) / mu.mean():.2f}")


def _print_hourly(res: dict) -> None:
    """Hourly sums against the daily counts, and the hour-of-day profile."""
    hourly, daily = res["hourly"], res["daily"]
    hsum = hourly.assign(day=hourly["date"].str[:10]).groupby(["site", "day"])["value"].sum()
    dd = daily[(daily["metric"] == ATTENDANCES)
               & (daily["date"] >= HOURLY_START.strftime("%Y-%m-%d"))]
    dd = dd.set_index(["site", "date"])["value"]
    hsum.index.names = dd.index.names
    hour = hourly["date"].str[11:13].astype(int)
    closed = hourly.loc[(hourly["site"] == KTC) & ~hour.between(8, 21), "value"].sum()
    print(f"\nHourly: {len(hourly):,} rows; days whose hours do not sum to the daily count: "
          f"{int((hsum.reindex(dd.index) != dd).sum())}; "
          f"Kidderminster arrivals while closed: {closed}")
    shares = res["hourly_mean"][WRH]
    shares = shares / shares.sum(axis=1, keepdims=True)
    for wd in (0, 2, 6):
        print(f"  WRH % of the day by hour, {WEEKDAYS[wd]:<9}: "
              + " ".join(f"{shares[wd, h] * 100:.1f}" for h in range(24)))


def _print_extract(res: dict) -> None:
    """Rebuild the census from the written spells and compare with occupied_beds."""
    so, dates, series = res["spells_out"], res["dates"], res["series"]
    days = pd.date_range(EXTRACT_FROM, END, freq="D").to_numpy()
    admitted = pd.to_datetime(so["admission_date"]).to_numpy()
    still_in = (so["discharge_date"] == "").to_numpy()
    discharged = pd.to_datetime(so["discharge_date"].where(~still_in, "2262-01-01")).to_numpy()
    mismatches = 0
    for name in TYPE1_SITES:
        m = (so["site"] == name).to_numpy()
        census = (np.searchsorted(np.sort(admitted[m]), days, side="right")
                  - np.searchsorted(np.sort(discharged[m]), days, side="right"))
        mismatches += int((census != series[(name, OCCUPIED_BEDS)][dates >= EXTRACT_FROM]).sum())
    print(f"Spells extract: {len(so):,} spells, {int(still_in.sum())} still in hospital on "
          f"{END.date()}; census days that differ from occupied_beds: {mismatches}")


def _print_rota(res: dict) -> None:
    """Arrivals per staff-hour implied by the rota."""
    rota, hourly_mean = res["rota"], res["hourly_mean"]
    print("\nRota: mean arrivals (last 12 months) per clinician-hour and per nurse-hour:")
    for name in SITE_ORDER:
        r = rota[rota["site"] == name]
        clin = r["clinicians"].to_numpy().reshape(7, 24)
        nurse = r["nurses"].to_numpy().reshape(7, 24)
        arr = hourly_mean[name]
        if _SITES[name].department_type == 1:
            per = arr / clin
            clin_text = (f"per clinician-hour {arr.sum() / clin.sum():.2f} "
                         f"(hourly {per.min():.2f}-{per.max():.2f})")
        else:  # nurse-led: the doctor is a weekday GP session, not the main workforce
            clin_text = f"clinician-hours a week {int(clin.sum())}"
        staffed = nurse > 0
        per = arr[staffed] / nurse[staffed]
        print(f"  {name:<22} {clin_text}; per nurse-hour {arr.sum() / nurse.sum():.2f} "
              f"(hourly {per.min():.2f}-{per.max():.2f})")


def _print_files(paths: list[Path]) -> None:
    """Row counts and sizes of the written files."""
    print("\nFiles:")
    total = 0
    for p in paths:
        size = p.stat().st_size
        total += size
        with p.open(encoding="utf-8") as fh:
            n_rows = sum(1 for _ in fh) - 1
        print(f"  {p.name:<22} {n_rows:>8,} rows {size / 1e6:>7.2f} MB")
    print(f"  {'total':<22} {'':>13} {total / 1e6:>7.2f} MB")


def _summary(res: dict) -> None:
    """Print the figures the realism targets are judged on."""
    dates, series, flags = res["dates"], res["series"], res["flags"]
    keep = dates >= START
    d = dates[keep]
    frame = pd.DataFrame({f"{s}|{m}": v[keep] for (s, m), v in series.items()}, index=d)
    fy = _fy(d)
    att = pd.DataFrame({s: frame[f"{s}|{ATTENDANCES}"] for s in SITE_ORDER}, index=d)
    att["Type 1"] = att[WRH] + att[ALEX]
    att["All types"] = att["Type 1"] + att[KTC]
    non_covid = ((d < pd.Timestamp("2020-03-09")) | (d > pd.Timestamp("2021-07-05")))
    special = ["bank_holiday", "after_holiday", "festive_surge", "christmas", "boxing_day"]
    normal = ~flags.loc[d, special].any(axis=1).to_numpy()
    normal &= (d < pd.Timestamp("2020-03-01")) | (d > pd.Timestamp("2021-07-31"))

    pd.set_option("display.width", 140)
    print("\n=== Synthetic sample: realism summary ===")
    _print_attendances(att, fy)
    _print_calendar_effects(att, flags, normal)
    _print_covid(att)
    _print_admissions(frame, att, non_covid)
    _print_beds(res, frame, fy, non_covid)
    _print_overdispersion(res, keep, non_covid)
    _print_hourly(res)
    _print_extract(res)
    _print_rota(res)
    _print_files(res["paths"])


def main() -> None:
    """Generate the files and print the summary."""
    _summary(generate())


if __name__ == "__main__":
    main()
