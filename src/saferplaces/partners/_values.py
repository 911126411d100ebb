"""Typing and validating one column of text values against its definition.

Each distinct value is parsed once (a column of 100,000 dates holds a few hundred distinct
dates), then the results are spread back over the rows with Arrow's ``take``: validation
costs one Python call per *distinct* value, not per cell.

Accepted formats (UK conventions; day before month):

* integer: ``12``, ``+12``, ``1,234``, ``12.0``; number: also ``1.5``, ``1e3``.
* boolean: yes/no, y/n, true/false, t/f, 1/0 (any case).
* date: ``2023-01-31``, ``31/01/2023``, ``31-01-2023``, ``31.01.2023``, ``2023/01/31``,
  ``31 Jan 2023``, ``31-January-2023``; a time after the date is ignored.
* datetime: a date as above, then ``HH:MM`` or ``HH:MM:SS`` (fractions ignored); a date alone
  is refused (it has no time).
* month: ``2023-01``, ``01/2023``, ``Jan 2023``, ``January-2023``, ``202301``, or any date.
* quarter: ``2023-Q1``, ``2023Q1``, ``2023 Q1``, ``Q1 2023``, or a financial-year quarter
  ``2023/24 Q1`` (April–June 2023, stored as 2023-Q2).

Text is stored as text, never interpreted as HTML or formulas: renderers escape it and
exports neutralise formulas (:mod:`saferplaces.publish.exports`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from .definitions import GEOGRAPHY_PATTERNS, Column, _fold

__all__ = ["ParseContext", "Parsed", "arrow_type", "parse_column"]

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m} | {
    m.lower(): i for i, m in enumerate(calendar.month_name) if m
}
_MONTHS["sept"] = 9

_INT = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.0+)?$")
_NUM = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?$")
_TRUE = {"true", "yes", "y", "t", "1"}
_FALSE = {"false", "no", "n", "f", "0"}
_DATE_PATTERNS = [
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?=$|[ T])"), "ymd"),
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?=$|[ T])"), "ymd"),
    (re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?=$|[ T])"), "dmy"),
    (re.compile(r"^(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ -](\d{4})(?=$|[ T])"), "dMy"),
]
_TIME = re.compile(r"[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$")
_MONTH_ONLY = [
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "ym"),
    (re.compile(r"^(\d{4})(\d{2})$"), "ym"),
    (re.compile(r"^(\d{1,2})/(\d{4})$"), "my"),
    (re.compile(r"^([A-Za-z]{3,9})\.?[ -](\d{4})$"), "My"),
]
_QUARTER = [
    (re.compile(r"^(\d{4})[ -]?q([1-4])$", re.I), "yq"),
    (re.compile(r"^q([1-4])[ -]?(\d{4})$", re.I), "qy"),
    (re.compile(r"^(\d{4})/(\d{2}) ?q([1-4])$", re.I), "fy"),
]


def arrow_type(col_type: str) -> pa.DataType:
    """How a column type is stored in the lake."""
    return {
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "datetime": pa.timestamp("s"),
    }.get(col_type, pa.string())


@dataclass(frozen=True)
class ParseContext:
    """What a value is checked against beyond its type."""

    earliest: dt.date
    latest: dt.date  # dates after this (normally tomorrow) are out of range
    date_column: str | None = None
    resolution: str | None = None  # the file's date resolution, for the date column
    geography_kind: str | None = None  # set when the column is the geography code column
    non_negative: bool = False  # measure (count) columns


@dataclass
class Parsed:
    values: pa.Array
    bad: NDArray[np.bool_]  # per row
    rules: list[str | None]  # per distinct value: rule broken (or None)
    messages: list[str | None]
    codes: NDArray[np.int32]  # per row: index of its distinct value


Result = tuple[Any, str | None, str | None]  # value, rule, message


def _date_of(text: str) -> dt.date | None:
    for rx, order in _DATE_PATTERNS:
        m = rx.match(text)
        if not m:
            continue
        a, b, c = m.groups()
        try:
            if order == "ymd":
                return dt.date(int(a), int(b), int(c))
            if order == "dmy":
                return dt.date(int(c), int(b), int(a))
            month = _MONTHS.get(b.lower())
            return dt.date(int(c), month, int(a)) if month else None
        except ValueError:
            return None
    return None


def _month_of(text: str) -> tuple[int, int] | None:
    for rx, order in _MONTH_ONLY:
        m = rx.match(text)
        if not m:
            continue
        a, b = m.groups()
        if order == "ym":
            y, mo = int(a), int(b)
        elif order == "my":
            y, mo = int(b), int(a)
        else:
            found = _MONTHS.get(a.lower())
            if not found:
                return None
            y, mo = int(b), found
        return (y, mo) if 1 <= mo <= 12 else None
    d = _date_of(text)
    return (d.year, d.month) if d else None


def _range_error(d: dt.date, ctx: ParseContext) -> str | None:
    if d < ctx.earliest:
        return f"before {ctx.earliest.isoformat()}, the earliest date this dataset accepts"
    if d > ctx.latest:
        return "in the future"
    return None


def _parser(col: Column, ctx: ParseContext) -> Callable[[str], Result]:
    t = col.type
    is_date_col = ctx.date_column == col.name
    coarse = is_date_col and ctx.resolution == "month" and t in ("date", "datetime")

    def num(text: str, integer: bool) -> Result:
        rx = _INT if integer else _NUM
        if not rx.match(text) or text in {"", "+", "-", "."}:
            return None, "type", f"not {'a whole number' if integer else 'a number'}"
        v: float = float(text.replace(",", ""))
        if not math.isfinite(v):
            return None, "type", "not a finite number"
        if ctx.non_negative and v < 0:
            return None, "range", "a count cannot be negative"
        if col.min is not None and v < col.min:
            return None, "range", f"below the minimum {col.min:g}"
        if col.max is not None and v > col.max:
            return None, "range", f"above the maximum {col.max:g}"
        return (int(v) if integer else v), None, None

    def as_date(text: str) -> Result:
        d = _date_of(text)
        if d is None:
            return None, "type", "not a date (use e.g. 2023-01-31 or 31/01/2023)"
        err = _range_error(d, ctx)
        return (None, "range", f"date {err}") if err else (d, None, None)

    def as_month_value(text: str) -> Result:
        ym = _month_of(text)
        if ym is None:
            return None, "type", "not a month (use e.g. 2023-01)"
        first = dt.date(ym[0], ym[1], 1)
        last = dt.date(ym[0], ym[1], calendar.monthrange(*ym)[1])
        if last < ctx.earliest or first > ctx.latest:
            err = _range_error(first if first > ctx.latest else last, ctx)
            return None, "range", f"month {err}"
        return first, None, None

    def as_datetime(text: str) -> Result:
        d = _date_of(text)
        tm = _TIME.search(text)
        if d is None or tm is None:
            return None, "type", "not a date and time (use e.g. 2023-01-31 22:15)"
        hh, mm, ss = int(tm.group(1)), int(tm.group(2)), int(tm.group(3) or 0)
        if hh > 23 or mm > 59 or ss > 59:
            return None, "type", "not a valid time of day"
        err = _range_error(d, ctx)
        if err:
            return None, "range", f"date {err}"
        return dt.datetime(d.year, d.month, d.day, hh, mm, ss), None, None

    def as_month(text: str) -> Result:
        v, rule, msg = as_month_value(text)
        return (v.strftime("%Y-%m") if v else None), rule, msg

    def as_quarter(text: str) -> Result:
        for rx, order in _QUARTER:
            m = rx.match(text)
            if not m:
                continue
            g = m.groups()
            if order == "yq":
                y, q = int(g[0]), int(g[1])
            elif order == "qy":
                y, q = int(g[1]), int(g[0])
            else:  # financial year: Q1 = April-June of the first year
                start, end2, fq = int(g[0]), int(g[1]), int(g[2])
                if (start + 1) % 100 != end2:
                    return None, "type", f"'{text}' is not a financial year (e.g. 2023/24)"
                y, q = (start, fq + 1) if fq < 4 else (start + 1, 1)
            first = dt.date(y, 3 * q - 2, 1)
            if first > ctx.latest or dt.date(y, 3 * q, 28) < ctx.earliest:
                return None, "range", "quarter out of range"
            return f"{y}-Q{q}", None, None
        return None, "type", "not a quarter (use e.g. 2023-Q1)"

    def as_bool(text: str) -> Result:
        f = text.casefold()
        if f in _TRUE:
            return True, None, None
        if f in _FALSE:
            return False, None, None
        return None, "type", "not yes/no"

    allowed = {_fold(v): v for v in col.values or []}

    def as_category(text: str) -> Result:
        v = allowed.get(_fold(text))
        if v is None:
            shown = ", ".join(col.values or [])
            return None, "category", f"not one of the allowed values ({shown})"
        return v, None, None

    pattern = re.compile(col.pattern) if col.pattern else None
    geo = re.compile(GEOGRAPHY_PATTERNS[ctx.geography_kind]) if ctx.geography_kind else None

    def as_code(text: str) -> Result:
        if geo is not None:
            text = re.sub(r"\s+", " ", text.upper())
            if not geo.fullmatch(text):
                return None, "pattern", f"not a valid {ctx.geography_kind.replace('_', ' ')} code"  # type: ignore[union-attr]
        if pattern is not None and not pattern.fullmatch(text):
            return None, "pattern", f"does not match the pattern {col.pattern}"
        return text, None, None

    def as_string(text: str) -> Result:
        if len(text) > col.max_length:
            return None, "length", f"longer than {col.max_length} characters"
        return text, None, None

    if coarse:
        return as_month_value
    table: dict[str, Callable[[str], Result]] = {
        "integer": lambda s: num(s, True),
        "number": lambda s: num(s, False),
        "boolean": as_bool,
        "date": as_date,
        "datetime": as_datetime,
        "month": as_month,
        "quarter": as_quarter,
        "category": as_category,
        "code": as_code,
        "string": as_string,
    }
    return table[t]


def parse_column(raw: pa.Array, col: Column, ctx: ParseContext) -> Parsed:
    """Type ``raw`` (text) per ``col``. Blank → null (an error if the column is required)."""
    trimmed = pc.utf8_trim_whitespace(raw.cast(pa.string()))
    enc = trimmed.dictionary_encode()
    distinct: list[str] = enc.dictionary.to_pylist()
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    parse = _parser(col, ctx)
    values: list[Any] = []
    rules: list[str | None] = []
    messages: list[str | None] = []
    for text in distinct:
        if text == "":
            values.append(None)
            rules.append("required" if col.required else None)
            messages.append("a value is required" if col.required else None)
            continue
        v, rule, msg = parse(text)
        values.append(v)
        rules.append(rule)
        messages.append(msg)
    typ = arrow_type(col.type)
    if ctx.date_column == col.name and ctx.resolution == "month" and col.type == "datetime":
        values = [dt.datetime(v.year, v.month, v.day) if v else None for v in values]
    typed = pa.array(values, type=typ).take(pa.array(codes))
    bad_distinct = np.array([r is not None for r in rules], dtype=bool)
    bad = bad_distinct[codes] if len(codes) else np.zeros(0, dtype=bool)
    return Parsed(typed, bad, rules, messages, codes)
