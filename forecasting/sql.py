"""A SQL warehouse as an activity source: SQLAlchemy URL + query -> the validated contract frame."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine

from . import schema as S
from .io import LoadResult, read_activity
from .records import RECORD_COLUMNS, is_identifier, read_ed_records
from .schema import DataValidationError, ValidationReport

__all__ = ["URL_ENV", "SQLSourceError", "sql_url", "masked_url", "read_sql_table", "read_sql_activity",
           "read_sql_ed_records"]

#: Environment variable holding the whole SQLAlchemy URL (e.g. ``postgresql+psycopg://user:pw@host/db``).
URL_ENV = "UEC_SQL_URL"
# Parts, when the URL is not given whole (a password kept apart from the rest is easier to rotate).
_PART_ENV = {"drivername": "UEC_SQL_DRIVER", "host": "UEC_SQL_HOST", "port": "UEC_SQL_PORT",
             "database": "UEC_SQL_DATABASE", "username": "UEC_SQL_USER", "password": "UEC_SQL_PASSWORD"}
_CONNECT_TIMEOUT = 10  # seconds: a wrong host should fail fast, not hang the page


class SQLSourceError(DataValidationError):
    """The database could not be reached or the query failed; the message never holds a password."""


def _error(source: str, code: str, message: str, action: str) -> SQLSourceError:
    report = ValidationReport(source=source)
    report.add(S.ERROR, code, message, action)
    return SQLSourceError(report)


def sql_url(url=None, *, env: Mapping[str, str] | None = None) -> URL:
    """The database URL from an argument, a settings mapping, or environment variables.

    Parameters
    ----------
    url : str, sqlalchemy URL or mapping, optional
        A URL (``postgresql+psycopg://user:password@host:5432/warehouse``), or a mapping of its
        parts (``drivername``, ``host``, ``port``, ``database``, ``username``, ``password``,
        ``query``; e.g. a Streamlit secrets section), or ``{"url": ...}``. When None, the
        environment is read: :data:`URL_ENV`, else ``UEC_SQL_DRIVER``, ``UEC_SQL_HOST``,
        ``UEC_SQL_PORT``, ``UEC_SQL_DATABASE``, ``UEC_SQL_USER`` and ``UEC_SQL_PASSWORD``.
    env : mapping, optional
        Environment to read instead of ``os.environ`` (for tests).

    Returns
    -------
    sqlalchemy.URL
        Its ``repr`` and ``str`` hide the password (``***``).

    Raises
    ------
    SQLSourceError
        No URL anywhere, or one that cannot be parsed (the message shows no password).
    """
    if isinstance(url, URL):
        return url
    if isinstance(url, Mapping):
        if "url" in url:
            return sql_url(url["url"])
        parts = {k: url[k] for k in ("drivername", "host", "port", "database", "username", "password",
                                     "query") if url.get(k) not in (None, "")}
        return _url_from_parts(parts, "the connection settings")
    if url is None:
        env = os.environ if env is None else env
        if env.get(URL_ENV):
            return sql_url(env[URL_ENV])
        parts = {k: env[v] for k, v in _PART_ENV.items() if env.get(v)}
        if not parts:
            raise _error("SQL source", "no_url",
                         f"No database given: pass a SQLAlchemy URL, or set {URL_ENV} (or "
                         "UEC_SQL_DRIVER, UEC_SQL_HOST, UEC_SQL_DATABASE, UEC_SQL_USER and "
                         "UEC_SQL_PASSWORD) in the environment.",
                         "Ask the warehouse team for a read-only account and set the variables.")
        return _url_from_parts(parts, "the UEC_SQL_* environment variables")
    text = str(url)
    action = ("Write it as dialect+driver://user:password@host:port/database, e.g. "
              "postgresql+psycopg://reader:...@warehouse:5432/uec, with any @ : / % in the "
              "password written as %40 %3A %2F %25.")
    try:
        parsed = sa.make_url(text)
    except Exception:  # noqa: BLE001 - any parse failure gets the same masked message
        raise _error("SQL source", "bad_url",
                     f"The database address {_scrub(text, _password_in(text))!r} is not a valid "
                     "SQLAlchemy URL.", action) from None
    if parsed.host and "@" in parsed.host:
        # an unescaped @ in the password splits it: part of it would show as the host
        raise _error("SQL source", "bad_url",
                     f"The database address for {parsed.drivername} has more than one '@'; the "
                     "password must be URL-encoded.", action)
    return parsed


def _url_from_parts(parts: dict, where: str) -> URL:
    if "drivername" not in parts:
        raise _error("SQL source", "bad_url", f"No database driver in {where}.",
                     "Give the driver, e.g. postgresql+psycopg, mssql+pyodbc or sqlite.")
    if "port" in parts:
        try:
            parts["port"] = int(parts["port"])
        except (TypeError, ValueError):
            raise _error("SQL source", "bad_url", f"The port in {where} is not a number.",
                         "Give the port as digits, e.g. 5432.") from None
    return URL.create(**parts)


def masked_url(url) -> str:
    """The URL as text with the password replaced by ``***`` (safe to show, log or cache)."""
    if isinstance(url, (Engine, Connection)):
        url = url.engine.url
    return sql_url(url).render_as_string(hide_password=True)


def _password_in(text: str) -> str | None:
    m = re.match(r"^[^:/]+://[^:@/]*:([^@]*)@", text)
    return m.group(1) if m else None


def _scrub(text: str, password: str | None) -> str:
    """Text with any copy of the password (plain or URL-encoded) replaced by ***."""
    out = str(text)
    if password:
        from urllib.parse import quote, quote_plus
        for form in {password, quote(password, safe=""), quote_plus(password)}:
            if form:
                out = out.replace(form, "***")
    # the driver may echo a connection string: hide any password=... field whatever it is
    return re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", out, flags=re.IGNORECASE)


def _driver_message(exc: Exception) -> str:
    """The database's own words for a failure, without SQLAlchemy's statement dump."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return " ".join(text.split())[:500]


def read_sql_table(url_or_engine, query: str, *, params: Mapping | None = None) -> pd.DataFrame:
    """Run one query and return its rows as a frame (column names as the database gives them).

    The query runs inside a transaction that is rolled back, so it cannot change the warehouse.

    Parameters
    ----------
    url_or_engine : str, URL, mapping, Engine, Connection or None
        Where to connect (see :func:`sql_url`; None reads the environment).
    query : str
        SQL text; values go in as bound parameters (``:name``), never pasted into the text.
    params : mapping, optional
        Values for the bound parameters.

    Raises
    ------
    SQLSourceError
        The connection or the query failed; the message names the database with its password
        masked and gives the database's reason.
    """
    if not isinstance(query, str) or not query.strip():
        raise ValueError("query must be SQL text, e.g. 'SELECT date, site, attendances FROM ...'.")
    own_engine = not isinstance(url_or_engine, (Engine, Connection))
    if own_engine:
        url = sql_url(url_or_engine)
        password = url.password
        shown = url.render_as_string(hide_password=True)
        connect_args = {"connect_timeout": _CONNECT_TIMEOUT} if url.get_backend_name() == "postgresql" else {}
        try:
            engine = sa.create_engine(url, connect_args=connect_args, poolclass=sa.pool.NullPool)
        except Exception as exc:  # noqa: BLE001 - missing drivers and bad options alike
            raise _error(shown, "bad_driver",
                         f"Cannot use the database {shown}: {_scrub(_driver_message(exc), password)}.",
                         "Check the dialect+driver part of the URL and that its Python driver is "
                         "installed (postgresql+psycopg is in requirements.txt).") from None
        bind = engine
    else:
        bind = url_or_engine
        url = bind.engine.url
        password, shown = url.password, url.render_as_string(hide_password=True)
    try:
        try:
            conn = bind.connect() if isinstance(bind, Engine) else bind
        except Exception as exc:  # noqa: BLE001 - every driver raises its own types
            raise _error(shown, "connect_failed",
                         f"Could not connect to {shown}: {_scrub(_driver_message(exc), password)}",
                         "Check the host, port, database name, user name and password (and that "
                         "the server accepts connections from this machine).") from None
        try:
            result = conn.execute(sa.text(query), dict(params or {}))
            columns = list(result.keys())
            rows = result.fetchall()
        except Exception as exc:  # noqa: BLE001
            raise _error(shown, "query_failed",
                         f"The query failed on {shown}: {_scrub(_driver_message(exc), password)}",
                         "Check the table and column names and that every :parameter has a value; "
                         "try the query in the warehouse's own tool first.") from None
        finally:
            if isinstance(bind, Engine):  # our own connection: read-only by construction
                conn.rollback()
                conn.close()
    finally:
        if own_engine:
            engine.dispose()
    return pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns)


def read_sql_activity(url_or_engine, query: str, *, params: Mapping | None = None,
                      mapping: dict[str, str | None] | None = None, default_site: str | None = None,
                      metric_names: dict[str, str] | None = None, today=None,
                      name: str | None = None) -> LoadResult:
    """Run a query on a SQL warehouse and load its rows like an uploaded activity file.

    Parameters
    ----------
    url_or_engine : str, URL, mapping, Engine, Connection or None
        Where to connect (see :func:`sql_url`; None reads :data:`URL_ENV` and friends from the
        environment). The password is never shown, logged, cached or returned.
    query : str
        SQL text with ``:name`` bound parameters, returning a long table (``date, site, metric,
        value``) or a wide one (``date, site, attendances, admissions, ...``).
    params : mapping, optional
        Values for the bound parameters (e.g. ``{"since": date(2023, 4, 1)}``).
    mapping : dict, optional
        Which result column plays each role, as ``columns`` in :func:`forecasting.io.read_activity`
        (e.g. ``{"date": "activity_day", "site": "hospital"}``).
    default_site, metric_names, today
        As in :func:`forecasting.io.read_activity`.
    name : str, optional
        Name for the source in messages (default: the masked URL).

    Returns
    -------
    LoadResult
        The same as :func:`forecasting.io.read_activity`: usable rows in the contract and a
        report of every problem. Row numbers count the result rows as a spreadsheet would (the
        first result row is row 2).

    Raises
    ------
    SQLSourceError
        The database could not be reached or the query failed (a subclass of
        :class:`~forecasting.schema.DataValidationError`; ``err.report`` holds the message).
    """
    loaded = _query_as_parquet(url_or_engine, query, params, name)
    if isinstance(loaded, ValidationReport):
        return LoadResult(_empty_frame(("site", "metric", "date", "value"),
                                       {"date": "datetime64[ns]", "value": "float64"}), loaded)
    data, label, dropped = loaded
    result = read_activity(data, columns=mapping, default_site=default_site,
                           metric_names=metric_names, today=today, name=label)
    _note_dropped(result.report, dropped)
    return result


def read_sql_ed_records(url_or_engine, query: str, *, params: Mapping | None = None,
                        columns: dict[str, str | None] | None = None, today=None, ambulance_modes=None,
                        name: str | None = None) -> LoadResult:
    """Run a query returning one row per ED attendance and read it like a record-level extract.

    Parameters are as :func:`read_sql_activity`; ``columns``, ``today`` and ``ambulance_modes`` as
    :func:`forecasting.records.read_ed_records`, which does the reading (so identifiers are
    dropped and bad rows listed exactly as for a file). Better still, leave identifiers out of
    the query.
    """
    loaded = _query_as_parquet(url_or_engine, query, params, name)
    if isinstance(loaded, ValidationReport):
        return LoadResult(_empty_frame(RECORD_COLUMNS, {"arrival": "datetime64[ns]",
                                                        "departure": "datetime64[ns]"}), loaded)
    data, label, dropped = loaded
    result = read_ed_records(data, columns=columns, today=today, ambulance_modes=ambulance_modes,
                             name=label)
    _note_dropped(result.report, dropped)
    return result


def _query_as_parquet(url_or_engine, query, params, name):
    """(Parquet bytes, source label, identifier columns dropped), or the report when no rows came."""
    if isinstance(url_or_engine, (Engine, Connection)):
        shown = url_or_engine.engine.url.render_as_string(hide_password=True)
    else:
        shown = masked_url(url_or_engine)
    table = read_sql_table(url_or_engine, query, params=params)
    label = name or f"SQL query on {shown}"
    if table.empty:
        report = ValidationReport(source=label)
        report.add(S.ERROR, "empty_query", "The query returned no rows.",
                   "Check the query's filters (dates, site names) and its parameters.")
        return report
    # Patient identifiers selected by the query go before anything else sees the rows.
    dropped = [c for c in table.columns if is_identifier(c)]
    table = table.drop(columns=dropped)
    # Hand the rows to the file loader as an in-memory Parquet table: one set of column detection,
    # parsing and validation for files and databases alike (nothing is written to disk).
    buffer = io.BytesIO()
    _for_parquet(table).to_parquet(buffer, index=False)
    return buffer.getvalue(), label, dropped


def _empty_frame(columns, dtypes: dict) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, object)) for c in columns})


def _note_dropped(report: ValidationReport, dropped: list) -> None:
    if dropped:
        report.add(S.INFO, "identifiers_dropped",
                   "Patient identifier columns returned by the query were dropped and not kept: "
                   + ", ".join(repr(str(c)) for c in dropped) + ".",
                   "Leave them out of the query (data minimisation).")


def _for_parquet(table: pd.DataFrame) -> pd.DataFrame:
    """Columns Parquet can hold: database decimals as floats, mixed objects as text."""
    out = table.copy()
    out.columns = [str(c) for c in out.columns]
    for col in out.columns:
        s = out[col]
        if s.dtype == object:
            kinds = {type(v).__name__ for v in s.dropna()}
            if kinds == {"Decimal"}:
                out[col] = s.astype("float64")
            elif kinds <= {"date"} and kinds:
                out[col] = pd.to_datetime(s)
            elif len(kinds) > 1:
                out[col] = s.map(lambda v: None if v is None else str(v))
    return out
