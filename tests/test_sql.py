"""SQL source: a SQLite file and a real PostgreSQL server; the password never shows anywhere."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

from conftest import problems
from forecasting import schema as S
from forecasting import sql
from forecasting.io import read_activity

PG_ENV = "UEC_TEST_POSTGRES_URL"
SECRET = "Pa55:w/rd@x%y"  # every character that needs URL-encoding
SECRET_URL = sa.engine.URL.create("postgresql+psycopg", username="reader", password=SECRET,
                                  host="127.0.0.1", port=1, database="warehouse")

ROWS = [  # date, site, attendances, admissions
    ("2024-03-01", "Alexandra Hospital", 180, 40),
    ("2024-03-02", "Alexandra Hospital", 175, 38),
    ("2024-03-03", "Alexandra Hospital", 190, 45),
    ("2024-03-01", "Worcestershire Royal Hospital", 260, 70),
    ("2024-03-02", "Worcestershire Royal Hospital", 255, 66),
    ("2024-03-03", "Worcestershire Royal Hospital", 270, 72),
]
WIDE = "SELECT activity_date, hospital, attendances, admissions FROM ed_daily"


def _assert_no_secret(err: Exception, *secrets):
    texts = [str(err), repr(err), str(err.report), err.report.to_frame().to_string(),
             err.report.summary(), repr(err.report)]
    cause = err.__cause__ or err.__context__
    if cause is not None and err.__suppress_context__ is False:
        texts.append(repr(cause))
    for secret in secrets:
        for text in texts:
            assert secret not in text
        from urllib.parse import quote, quote_plus
        for text in texts:
            assert quote(secret, safe="") not in text and quote_plus(secret) not in text


# --------------------------------------------------------------------------- SQLite file
@pytest.fixture
def sqlite_url(tmp_path):
    path = tmp_path / "warehouse.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE ed_daily (activity_date TEXT, hospital TEXT, attendances INTEGER, "
                "admissions INTEGER)")
    con.executemany("INSERT INTO ed_daily VALUES (?, ?, ?, ?)", ROWS)
    con.execute("CREATE TABLE ed_long (day TEXT, site TEXT, metric TEXT, value REAL)")
    con.executemany("INSERT INTO ed_long VALUES (?, ?, ?, ?)",
                    [("01/03/2024", "Alex", "attendances", 10), ("02/03/2024", "Alex", "attendances", -1),
                     ("03/03/2024", "", "attendances", 12), ("04/03/2099", "Alex", "attendances", 9)])
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def test_sqlite_wide_query_matches_the_same_rows_from_a_file(sqlite_url):
    result = sql.read_sql_activity(sqlite_url, WIDE, today="2025-01-01")
    assert result.report.ok, str(result.report)
    frame = result.frame
    assert list(frame.columns) == list(S.ACTIVITY_COLUMNS)
    assert len(frame) == 12 and set(frame["metric"]) == {S.ATTENDANCES, S.ADMISSIONS}
    got = frame.set_index(["site", "metric", "date"])["value"]
    assert got[("Alexandra Hospital", S.ATTENDANCES, pd.Timestamp("2024-03-03"))] == 190
    assert got[("Worcestershire Royal Hospital", S.ADMISSIONS, pd.Timestamp("2024-03-02"))] == 66
    csv = pd.DataFrame(ROWS, columns=["activity_date", "hospital", "attendances", "admissions"])
    from_file = read_activity(csv.to_csv(index=False).encode(), today="2025-01-01")
    pd.testing.assert_frame_equal(frame, from_file.frame)
    assert result.report.rows_read == 6 == result.report.rows_kept
    assert result.report.source.startswith("SQL query on sqlite:///")


def test_sqlite_bound_parameters_and_mapping(sqlite_url):
    query = ("SELECT activity_date AS arrival_day, hospital AS hosp, attendances FROM ed_daily "
             "WHERE hospital = :site AND activity_date >= :since")
    result = sql.read_sql_activity(sqlite_url, query, params={"site": "Alexandra Hospital",
                                                              "since": "2024-03-02"},
                                   mapping={"date": "arrival_day", "site": "hosp"}, today="2025-01-01")
    assert result.report.ok
    assert list(result.frame["value"]) == [175, 190]
    assert set(result.frame["site"]) == {"Alexandra Hospital"}
    # a parameter is a value, never SQL: an injection attempt matches no row
    evil = sql.read_sql_activity(sqlite_url, query, params={"site": "x' OR '1'='1", "since": ""})
    assert problems(evil.report, "empty_query") and evil.frame.empty


def test_sqlite_bad_rows_are_reported_like_a_file(sqlite_url):
    result = sql.read_sql_activity(sqlite_url, "SELECT day AS date, site, metric, value FROM ed_long",
                                   today="2025-01-01", name="warehouse extract")
    report = result.report
    assert report.source == "warehouse extract"
    assert problems(report, "negative")[0].rows == (3,)  # result row 2 = spreadsheet row 3
    assert problems(report, "blank_site")[0].rows == (4,)
    assert problems(report, "future_date")[0].rows == (5,)
    assert list(result.frame["value"]) == [10]


def test_sqlite_engine_and_connection_are_accepted(sqlite_url):
    engine = sa.create_engine(sqlite_url)
    try:
        a = sql.read_sql_activity(engine, WIDE, today="2025-01-01")
        with engine.connect() as conn:
            b = sql.read_sql_activity(conn, WIDE, today="2025-01-01")
        pd.testing.assert_frame_equal(a.frame, b.frame)
    finally:
        engine.dispose()


def test_sqlite_query_cannot_change_the_database(sqlite_url):
    with pytest.raises(sql.SQLSourceError):
        # the DELETE runs in a transaction that is rolled back (it returns no rows, so it fails)
        sql.read_sql_activity(sqlite_url, "DELETE FROM ed_daily")
    assert len(sql.read_sql_table(sqlite_url, "SELECT * FROM ed_daily")) == 6


def test_query_errors_are_clear(sqlite_url):
    with pytest.raises(sql.SQLSourceError) as err:
        sql.read_sql_activity(sqlite_url, "SELECT * FROM no_such_table")
    assert "no such table" in str(err.value) and problems(err.value.report, "query_failed")
    assert isinstance(err.value, S.DataValidationError)
    with pytest.raises(sql.SQLSourceError, match="query_failed|parameter|value"):
        sql.read_sql_activity(sqlite_url, "SELECT * FROM ed_daily WHERE hospital = :site")
    with pytest.raises(ValueError, match="query must be SQL text"):
        sql.read_sql_activity(sqlite_url, "  ")


# --------------------------------------------------------------------------- URLs and credentials
def test_url_from_environment_parts_and_mapping():
    env = {"UEC_SQL_DRIVER": "postgresql+psycopg", "UEC_SQL_HOST": "warehouse", "UEC_SQL_PORT": "5433",
           "UEC_SQL_DATABASE": "uec", "UEC_SQL_USER": "reader", "UEC_SQL_PASSWORD": SECRET}
    url = sql.sql_url(env=env)
    assert (url.host, url.port, url.database, url.username, url.password) == (
        "warehouse", 5433, "uec", "reader", SECRET)
    assert SECRET not in repr(url) and SECRET not in str(url)
    assert sql.masked_url(url) == "postgresql+psycopg://reader:***@warehouse:5433/uec"
    whole = sql.sql_url(env={sql.URL_ENV: url.render_as_string(hide_password=False)})
    assert whole.password == SECRET
    assert sql.sql_url({"drivername": "sqlite", "database": "/tmp/x.db"}).database == "/tmp/x.db"
    assert sql.sql_url({"url": "sqlite:///x.db"}).database == "x.db"


def test_missing_or_bad_urls_never_echo_the_password(monkeypatch):
    for var in [sql.URL_ENV, "UEC_SQL_DRIVER", "UEC_SQL_HOST", "UEC_SQL_PASSWORD"]:
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(sql.SQLSourceError, match=sql.URL_ENV) as err:
        sql.read_sql_activity(None, "SELECT 1")
    assert problems(err.value.report, "no_url")
    with pytest.raises(sql.SQLSourceError) as err:
        sql.sql_url("postgresql+psycopg://reader:Sup3r@secret@host/db")  # unescaped @
    _assert_no_secret(err.value, "Sup3r@secret", "Sup3r", "secret@host")
    with pytest.raises(sql.SQLSourceError) as err:
        sql.sql_url("not a url with password=hunter2")
    _assert_no_secret(err.value, "hunter2")
    with pytest.raises(sql.SQLSourceError, match="port"):
        sql.sql_url(env={"UEC_SQL_DRIVER": "postgresql", "UEC_SQL_PORT": "five"})
    with pytest.raises(sql.SQLSourceError) as err:
        sql.read_sql_activity("nosuchdialect://u:hunter2@h/db", "SELECT 1")
    _assert_no_secret(err.value, "hunter2")


def test_connection_refused_message_hides_the_password():
    with pytest.raises(sql.SQLSourceError) as err:
        sql.read_sql_activity(SECRET_URL, "SELECT 1")
    assert problems(err.value.report, "connect_failed")
    assert "reader:***@127.0.0.1:1/warehouse" in str(err.value)
    assert err.value.__suppress_context__  # the driver's exception (and its traceback) is not chained
    _assert_no_secret(err.value, SECRET)


def test_scrub_hides_password_fields():
    assert "hunter2" not in sql._scrub("connect failed: host=x password=hunter2 user=y", None)
    assert "hunter2" not in sql._scrub("dsn 'password=hunter2'", None)
    assert sql._scrub("p%40ss and p@ss", "p@ss") == "*** and ***"


# --------------------------------------------------------------------------- PostgreSQL server
def _pg_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} is not set: .ci/run must start PostgreSQL so these tests run in CI.")
        pytest.skip(f"no PostgreSQL server: set {PG_ENV}=postgresql+psycopg://user:password@host:port/db "
                    "to run these tests (.ci/run starts one)")
    return url


@pytest.fixture(scope="module")
def pg_table():
    url = _pg_url()
    table = f"ed_daily_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {table} (activity_date date, hospital text, "
                             "attendances integer, admissions numeric(8, 0), arrived timestamptz)"))
        conn.execute(sa.text(f"INSERT INTO {table} VALUES (:d, :s, :a, :m, :t)"),
                     [{"d": dt.date.fromisoformat(d), "s": s, "a": a, "m": m,
                       "t": dt.datetime.fromisoformat(d + "T00:00:00+00:00")} for d, s, a, m in ROWS])
    yield url, table
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
    engine.dispose()


def test_postgres_wide_query_with_parameters(pg_table):
    url, table = pg_table
    query = (f"SELECT activity_date, hospital, attendances, admissions FROM {table} "
             "WHERE activity_date >= :since ORDER BY hospital, activity_date")
    result = sql.read_sql_activity(url, query, params={"since": dt.date(2024, 3, 2)}, today="2025-01-01")
    assert result.report.ok, str(result.report)
    frame = result.frame
    assert len(frame) == 8
    got = frame.set_index(["site", "metric", "date"])["value"]
    assert got[("Worcestershire Royal Hospital", S.ATTENDANCES, pd.Timestamp("2024-03-03"))] == 270
    assert got[("Alexandra Hospital", S.ADMISSIONS, pd.Timestamp("2024-03-02"))] == 38  # numeric -> float
    assert frame["date"].dtype == "datetime64[ns]"
    password = sa.make_url(url).password
    assert password and password not in result.report.source and password not in str(result.report)
    assert "***" in result.report.source


def test_postgres_same_rows_as_sqlite(pg_table, sqlite_url):
    url, table = pg_table
    pg = sql.read_sql_activity(url, f"SELECT activity_date, hospital, attendances, admissions FROM {table}",
                               today="2025-01-01")
    lite = sql.read_sql_activity(sqlite_url, WIDE, today="2025-01-01")
    pd.testing.assert_frame_equal(pg.frame, lite.frame)


def test_postgres_timestamptz_and_long_query(pg_table):
    url, table = pg_table
    query = (f"SELECT arrived AS date, hospital AS site, 'attendances' AS metric, attendances AS value "
             f"FROM {table} WHERE hospital = :site")
    result = sql.read_sql_activity(url, query, params={"site": "Alexandra Hospital"}, today="2025-01-01")
    assert result.report.ok, str(result.report)
    # timestamptz arrives with its time zone and is read in UK local time (early March is GMT)
    assert list(result.frame["date"]) == list(pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-03"]))


def test_postgres_wrong_password_and_bad_query(pg_table):
    url, table = pg_table
    right = sa.make_url(url)
    wrong = right.set(password="Wr0ng-" + SECRET)
    with pytest.raises(sql.SQLSourceError) as err:
        sql.read_sql_activity(wrong, f"SELECT * FROM {table}")
    assert problems(err.value.report, "connect_failed")
    assert "password authentication failed" in str(err.value)
    _assert_no_secret(err.value, "Wr0ng-" + SECRET, right.password)
    with pytest.raises(sql.SQLSourceError) as err:
        sql.read_sql_activity(url, "SELECT * FROM no_such_table_here")
    assert problems(err.value.report, "query_failed") and "no_such_table_here" in str(err.value)
    _assert_no_secret(err.value, right.password)


def test_postgres_from_environment(pg_table, monkeypatch):
    url, table = pg_table
    monkeypatch.setenv(sql.URL_ENV, url)
    result = sql.read_sql_activity(None, f"SELECT activity_date, hospital, attendances FROM {table}",
                                   today="2025-01-01")
    assert result.report.ok and len(result.frame) == 6
    assert sa.make_url(url).password not in repr(sql.sql_url())


# --------------------------------------------------------------------------- record-level rows from SQL
def test_sqlite_record_level_query_drops_identifiers(tmp_path):
    path = tmp_path / "ecds.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE ecds (nhs_number TEXT, patient_name TEXT, arrival TEXT, departure TEXT, "
                "site TEXT, admitted TEXT)")
    con.executemany("INSERT INTO ecds VALUES (?, ?, ?, ?, ?, ?)", [
        ("9434765919", "Jane Smith", "2024-03-01 08:00", "2024-03-01 13:00", "WRH", "Y"),
        ("9434765920", "John Brown", "2024-03-01 09:00", "2024-03-01 08:00", "WRH", "N"),
        ("9434765921", "Amy Green", "2024-03-02 10:00", "2024-03-02 11:00", "WRH", "N"),
    ])
    con.commit()
    con.close()
    url = f"sqlite:///{path}"
    result = sql.read_sql_ed_records(url, "SELECT * FROM ecds WHERE site = :site", params={"site": "WRH"},
                                     today="2025-01-01")
    assert list(result.frame["row"]) == [2, 4]
    assert problems(result.report, "departure_before_arrival")[0].rows == (3,)
    dropped = problems(result.report, "identifiers_dropped")
    assert dropped and "'nhs_number'" in dropped[0].message
    text = result.frame.to_csv() + str(result.report)
    assert "9434765919" not in text and "Jane Smith" not in text
    empty = sql.read_sql_ed_records(url, "SELECT * FROM ecds WHERE site = 'none'")
    assert problems(empty.report, "empty_query") and "arrival" in empty.frame.columns
    wide = sql.read_sql_activity(url, "SELECT nhs_number, arrival AS date, site, 1 AS attendances FROM ecds",
                                 today="2025-01-01")
    assert "nhs_number" not in set(wide.frame["metric"])  # an identifier never becomes a metric
    assert problems(wide.report, "identifiers_dropped")


def test_postgres_record_level_query(pg_table):
    url, table = pg_table
    query = (f"SELECT hospital AS site, arrived AS arrival, arrived + interval '5 hours' AS departure, "
             f"'Ambulance' AS arrival_mode, admissions > 40 AS admitted FROM {table}")
    result = sql.read_sql_ed_records(url, query, today="2025-01-01")
    assert result.report.rows_kept == 6, str(result.report)
    assert (result.frame["minutes_in_department"] == 300).all()
    assert list(result.frame["admitted"]) == [False, False, True, True, True, True]
