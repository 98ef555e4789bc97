"""Lint-time stand-in for dbt's cross-database macro namespace (``{{ dbt.x(...) }}``).

Used only by sqlfluff's jinja templater (see ../.sqlfluff): each function renders
plausible SQL so the surrounding model can be parsed and linted without a
database connection. dbt itself never imports this module.
"""


def _sql(value):
    return str(value)


def date_trunc(datepart, date):
    return f"date_trunc('{datepart}', {_sql(date)})"


def dateadd(datepart, interval, from_date_or_timestamp):
    return f"date_add({_sql(from_date_or_timestamp)}, {_sql(interval)})"


def datediff(first_date, second_date, datepart):
    return f"date_diff('{datepart}', {_sql(first_date)}, {_sql(second_date)})"


def last_day(date, datepart):
    return f"last_day({_sql(date)})"


def position(substring_text, string_text):
    return f"strpos({_sql(string_text)}, {_sql(substring_text)})"


def concat(fields):
    return "concat(" + ", ".join(_sql(field) for field in fields) + ")"


def safe_cast(field, data_type):
    return f"try_cast({_sql(field)} as {data_type})"


def current_timestamp():
    return "now()"


def hash(field):
    return f"md5(cast({_sql(field)} as varchar))"


def generate_series(upper_bound):
    return f"select unnest(range(1, {int(upper_bound)} + 1)) as generated_number"
