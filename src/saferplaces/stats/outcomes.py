"""Investigation outcomes: grouping police.uk labels, the "no suspect identified" rate, and
time from crime to outcome.

Method (METHODS §6): police.uk "Last outcome category" labels (2014 and earlier labels too)
are grouped with :func:`saferplaces.taxonomy.outcomes`. The no-suspect-identified (NSI) rate is
count("Investigation complete; no suspect identified") ÷ a stated denominator — all crimes, or
only crimes with a final outcome — with anti-social behaviour excluded (it has no outcome) and
recent months excluded by a lag rule because their cases are still open. The last outcome is a
snapshot that changes as cases progress. Below 20 crimes we show counts, not percentages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from saferplaces.stats._verdict import BoolArray, z_for
from saferplaces.stats.rates import wilson_interval
from saferplaces.taxonomy import OUTCOME_GROUP_LABELS, categories, outcomes

__all__ = [
    "DISPLAY_MIN_DENOMINATOR",
    "NoSuspectRate",
    "TimeToOutcome",
    "group_outcomes",
    "no_suspect_rate",
    "outcome_group_counts",
    "time_to_outcome",
]

#: Below this many crimes a rate is shown as "n of N", not a percentage (METHODS §6.2 rule 5).
DISPLAY_MIN_DENOMINATOR = 20

Denominator = Literal["all", "final"]
Month = str | np.datetime64 | None

_MONTH = re.compile(r"^(\d{4})-(\d{2})")


def _label(x: object) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return ""
    return str(x).strip()


def _is_asb(crime_type: str | None) -> bool:
    lab = _label(crime_type)
    cat = categories().get(lab)
    return (cat is not None and cat.kind == "asb") or lab == "anti-social-behaviour"


def group_outcomes(labels: Sequence[str | None]) -> tuple[str, ...]:
    """Outcome group for each ``Last outcome category`` label.

    Method: the analysts' grouping in METHODS §6.2 rule 3 via :func:`saferplaces.taxonomy.outcomes`
    (charged_court, out_of_court, evidential_closure, no_suspect, open). Old (pre-2014) labels are
    recognised; a blank label gives ``"no_outcome"`` (ASB rows), an unrecognised one ``"unknown"``.
    """
    table = outcomes()
    out: list[str] = []
    for x in labels:
        lab = _label(x)
        if not lab:
            out.append("no_outcome")
        else:
            o = table.get(lab)
            out.append(o.group if o else "unknown")
    return tuple(out)


def outcome_group_counts(labels: Sequence[str | None]) -> dict[str, int]:
    """Counts per outcome group, in a fixed display order (zero groups included).

    Method: grouping as :func:`group_outcomes` (METHODS §6.2 rule 3).
    """
    order = [*OUTCOME_GROUP_LABELS, "no_outcome"]
    counts = dict.fromkeys(order, 0)
    for g in group_outcomes(labels):
        counts[g] = counts.get(g, 0) + 1
    return counts


# --------------------------------------------------------------------------------------------
# Months


def _month_index(
    values: Sequence[Month] | NDArray[np.datetime64], name: str
) -> tuple[NDArray[np.int64], BoolArray]:
    """Months as integers (year × 12 + month − 1) and a mask of present values."""
    arr = np.asarray(values)
    if np.issubdtype(arr.dtype, np.datetime64):
        m = arr.astype("datetime64[M]")
        valid = ~np.isnat(m)
        idx = np.where(valid, m.astype(np.int64), 0) + 1970 * 12
        return idx.astype(np.int64), valid
    idx = np.zeros(len(arr), dtype=np.int64)
    valid = np.zeros(len(arr), dtype=bool)
    for i, v in enumerate(values):
        s = _label(v)
        if not s:
            continue
        mt = _MONTH.match(s)
        if not mt or not 1 <= int(mt.group(2)) <= 12:
            raise ValueError(f"{name}[{i}] = {s!r} is not a month in YYYY-MM form")
        idx[i] = int(mt.group(1)) * 12 + int(mt.group(2)) - 1
        valid[i] = True
    return idx, valid


def _month_str(i: int) -> str:
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


# --------------------------------------------------------------------------------------------
# No suspect identified


@dataclass(frozen=True)
class NoSuspectRate:
    """The no-suspect-identified rate with its denominator rule, exclusions and caveat.

    ``value``, ``lower`` and ``upper`` are proportions (0–1). ``display`` is what to show:
    a percentage with its interval, or "n of N crimes" when N < 20.
    """

    numerator: int
    denominator: int
    value: float
    lower: float
    upper: float
    confidence: float
    denominator_rule: Denominator
    lag_months: int
    extract_month: str | None
    excluded_recent: int
    excluded_asb: int
    excluded_no_outcome: int
    excluded_not_final: int
    unrecognised: int
    show_percentage: bool
    display: str
    caveat: str


def no_suspect_rate(
    outcome_labels: Sequence[str | None],
    crime_months: Sequence[Month] | NDArray[np.datetime64] | None = None,
    *,
    extract_month: str | None = None,
    lag_months: int = 3,
    denominator: Denominator = "all",
    crime_types: Sequence[str | None] | None = None,
    confidence: float = 0.95,
) -> NoSuspectRate:
    """Share of crimes closed "Investigation complete; no suspect identified", Wilson interval.

    Method: METHODS §6.2 (SaferPlaces spec; no official police.uk formula exists): numerator =
    crimes whose last outcome is in the no-suspect group; denominator = ``"all"`` crimes with an
    outcome (including those still under investigation) or ``"final"`` (only crimes with a final
    outcome). Anti-social behaviour is excluded (pass ``crime_types``); crimes recorded in the
    ``lag_months`` months up to ``extract_month`` (default: the latest crime month) are excluded
    because many are still open. Interval: Wilson score (PHE/OHID).
    """
    labels = [_label(x) for x in outcome_labels]
    n = len(labels)
    if denominator not in ("all", "final"):
        raise ValueError(f"denominator must be 'all' or 'final' (got {denominator!r})")
    if lag_months < 0:
        raise ValueError(f"lag_months must not be negative (got {lag_months})")
    z_for(confidence)
    keep = np.ones(n, dtype=bool)

    excluded_asb = 0
    if crime_types is not None:
        if len(crime_types) != n:
            raise ValueError(f"crime_types has {len(crime_types)} rows but outcome_labels has {n}")
        asb = np.array([_is_asb(t) for t in crime_types], dtype=bool)
        excluded_asb = int(asb.sum())
        keep &= ~asb

    excluded_recent = 0
    extract: str | None = None
    recent_span = ""
    if crime_months is not None:
        months, valid = _month_index(crime_months, "crime_months")
        if len(months) != n:
            raise ValueError(f"crime_months has {len(months)} rows but outcome_labels has {n}")
        if not valid[keep].all():
            i = int(np.flatnonzero(keep & ~valid)[0])
            raise ValueError(f"crime_months[{i}] is missing; every crime needs its month")
        if extract_month is not None:
            ext_idx, ok = _month_index([extract_month], "extract_month")
            if not ok[0]:
                raise ValueError("extract_month is empty")
            ext = int(ext_idx[0])
        elif keep.any():
            ext = int(months[keep].max())
        else:
            ext = 0
        extract = _month_str(ext)
        if lag_months > 0:
            recent = keep & (ext - months < lag_months)
            excluded_recent = int(recent.sum())
            keep &= ~recent
            recent_span = f"{_month_str(ext - lag_months + 1)} to {extract}"
    elif lag_months > 0:
        raise ValueError(
            "crime_months is needed to apply the lag rule; pass lag_months=0 to use every crime "
            "regardless of age (recent months will overstate open cases)"
        )

    table = outcomes()
    blank = np.array([not lab for lab in labels], dtype=bool)
    excluded_no_outcome = int((keep & blank).sum())
    keep &= ~blank
    known = [table.get(lab) for lab in labels]
    unrecognised = int(sum(1 for k, o in zip(keep, known, strict=True) if k and o is None))
    is_final = np.array([o is not None and o.final for o in known], dtype=bool)
    is_nsi = np.array([o is not None and o.group == "no_suspect" for o in known], dtype=bool)
    excluded_not_final = 0
    if denominator == "final":
        excluded_not_final = int((keep & ~is_final).sum())
        keep &= is_final
    num, den = int((keep & is_nsi).sum()), int(keep.sum())
    if den == 0:
        raise ValueError(
            "no crimes are left to form a rate after the exclusions "
            f"(ASB {excluded_asb}, recent {excluded_recent}, no outcome {excluded_no_outcome}, "
            f"not final {excluded_not_final}); widen the period or reduce lag_months"
        )
    ci = wilson_interval(num, den, confidence)
    show_pct = den >= DISPLAY_MIN_DENOMINATOR
    if show_pct:
        level = f"{100 * confidence:g}%"
        display = (
            f"{100 * ci.value:.0f}% ({level} CI {100 * ci.lower:.0f}% to {100 * ci.upper:.0f}%) "
            f"of {den:,} crimes"
        )
    else:
        display = f"{num} of {den} crimes"

    parts = []
    if extract:
        parts.append(
            f"Outcomes are a snapshot as of {extract}; a crime's last outcome can still change."
        )
    else:
        parts.append("Outcomes are a snapshot; a crime's last outcome can still change.")
    if lag_months > 0:
        parts.append(
            f"Crimes recorded in the {lag_months} most recent months ({recent_span}) are excluded "
            f"because many are still under investigation ({excluded_recent} crimes)."
        )
    else:
        parts.append("No lag applied: recent months include many open cases and bias the rate.")
    if denominator == "all":
        parts.append(
            "Denominator: all crimes with an outcome, including those still under investigation."
        )
    else:
        parts.append(
            "Denominator: only crimes with a final outcome (excludes under investigation, status "
            "update unavailable, awaiting court outcome and sent to Crown Court)."
        )
    if excluded_asb:
        parts.append(f"Anti-social behaviour has no outcomes: {excluded_asb} incidents excluded.")
    elif crime_types is None:
        parts.append(
            "Anti-social behaviour has no outcomes; without crime types its rows are excluded "
            "by their blank outcome."
        )
    if excluded_no_outcome:
        parts.append(f"{excluded_no_outcome} crimes with a blank outcome are excluded.")
    if unrecognised:
        parts.append(f"{unrecognised} crimes have an outcome label SaferPlaces does not recognise.")
    if not show_pct:
        parts.append(f"Fewer than {DISPLAY_MIN_DENOMINATOR} crimes: shown as counts.")
    return NoSuspectRate(
        numerator=num,
        denominator=den,
        value=ci.value,
        lower=ci.lower,
        upper=ci.upper,
        confidence=float(confidence),
        denominator_rule=denominator,
        lag_months=int(lag_months),
        extract_month=extract,
        excluded_recent=excluded_recent,
        excluded_asb=excluded_asb,
        excluded_no_outcome=excluded_no_outcome,
        excluded_not_final=excluded_not_final,
        unrecognised=unrecognised,
        show_percentage=show_pct,
        display=display,
        caveat=" ".join(parts),
    )


# --------------------------------------------------------------------------------------------
# Time to outcome


@dataclass(frozen=True)
class TimeToOutcome:
    """Months from the crime's month to its outcome's month: median and quartiles."""

    n: int
    n_missing: int
    median: float
    q1: float
    q3: float
    minimum: int
    maximum: int
    caveat: str


def time_to_outcome(
    crime_months: Sequence[Month] | NDArray[np.datetime64],
    outcome_months: Sequence[Month] | NDArray[np.datetime64],
) -> TimeToOutcome:
    """Median and quartiles of whole months between crime month and outcome month.

    Method: descriptive summary (median, 25th and 75th percentiles, linear interpolation as in
    numpy/R type 7) of outcome-month − crime-month from the police.uk outcomes files. Crimes
    without an outcome month are counted in ``n_missing`` and left out — so the summary covers
    closed cases only and understates the time for recent months (right-censoring).
    """
    cm, cv = _month_index(crime_months, "crime_months")
    om, ov = _month_index(outcome_months, "outcome_months")
    if len(cm) != len(om):
        raise ValueError(f"crime_months has {len(cm)} rows but outcome_months has {len(om)}")
    if not cv.all():
        i = int(np.flatnonzero(~cv)[0])
        raise ValueError(f"crime_months[{i}] is missing; every crime needs its month")
    d = (om - cm)[ov]
    if (d < 0).any():
        i = int(np.flatnonzero(ov)[np.flatnonzero(d < 0)[0]])
        raise ValueError(
            f"outcome month before crime month at row {i} "
            f"({_month_str(int(om[i]))} < {_month_str(int(cm[i]))})"
        )
    if len(d) == 0:
        raise ValueError("no crime has an outcome month: time to outcome is undefined")
    q1, med, q3 = np.percentile(d, [25, 50, 75])
    missing = int((~ov).sum())
    caveat = (
        "Months between the month a crime was recorded and the month of its latest outcome, for "
        "crimes that have one. Open cases are left out, so recent periods look faster than they "
        "are."
    )
    if missing:
        caveat += f" {missing} crimes without an outcome month are not included."
    return TimeToOutcome(
        n=len(d),
        n_missing=missing,
        median=float(med),
        q1=float(q1),
        q3=float(q3),
        minimum=int(d.min()),
        maximum=int(d.max()),
        caveat=caveat,
    )
