"""Outcome grouping, the no-suspect-identified rate and time to outcome (METHODS §6)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saferplaces.stats.outcomes import (
    group_outcomes,
    no_suspect_rate,
    outcome_group_counts,
    time_to_outcome,
)
from saferplaces.stats.rates import wilson_interval
from saferplaces.taxonomy import outcomes

NSI = "Investigation complete; no suspect identified"
OPEN = "Under investigation"
CHARGED = "Suspect charged"


def test_grouping_accepts_old_and_new_labels() -> None:
    labels = [NSI, "No further action", CHARGED, "Offender imprisoned", OPEN, "", None, "Made up"]
    assert group_outcomes(labels) == (
        "no_suspect",
        "no_suspect",
        "charged_court",
        "charged_court",
        "open",
        "no_outcome",
        "no_outcome",
        "unknown",
    )
    # Every label in the taxonomy maps to its group.
    table = outcomes()
    assert group_outcomes(list(table)) == tuple(o.group for o in table.values())


def test_group_counts_in_display_order() -> None:
    counts = outcome_group_counts([NSI, NSI, CHARGED, "Local resolution", None])
    assert list(counts)[:5] == [
        "charged_court",
        "out_of_court",
        "evidential_closure",
        "no_suspect",
        "open",
    ]
    assert counts["no_suspect"] == 2 and counts["out_of_court"] == 1
    assert counts["no_outcome"] == 1 and counts["evidential_closure"] == 0


def _sample() -> tuple[list[str], list[str], list[str]]:
    # 2024-01..2024-06; extract 2024-06; lag 3 keeps 2024-01..2024-03.
    labels, months, types = [], [], []
    for m, (nsi, charged, open_) in {
        "2024-01": (10, 5, 1),
        "2024-02": (8, 6, 2),
        "2024-03": (9, 4, 3),
        "2024-04": (3, 1, 12),
        "2024-05": (1, 0, 15),
        "2024-06": (0, 0, 20),
    }.items():
        for lab, k in ((NSI, nsi), (CHARGED, charged), (OPEN, open_)):
            labels += [lab] * k
            months += [m] * k
            types += ["Burglary"] * k
    labels += [""] * 7
    months += ["2024-02"] * 7
    types += ["Anti-social behaviour"] * 7
    return labels, months, types


def test_nsi_rate_all_crimes_with_lag() -> None:
    labels, months, types = _sample()
    r = no_suspect_rate(labels, months, crime_types=types)
    assert (r.numerator, r.denominator) == (27, 48)  # Jan-Mar: 27 NSI of 27+15+6
    assert r.excluded_recent == 52 and r.excluded_asb == 7
    ci = wilson_interval(27, 48)
    assert (r.value, r.lower, r.upper) == (ci.value, ci.lower, ci.upper)
    assert r.extract_month == "2024-06"
    assert "2024-04 to 2024-06" in r.caveat and "still under investigation" in r.caveat
    assert "including those still under investigation" in r.caveat
    assert r.show_percentage and r.display.startswith("56% (95% CI")


def test_nsi_rate_final_outcomes_only() -> None:
    labels, months, types = _sample()
    r = no_suspect_rate(labels, months, crime_types=types, denominator="final")
    assert (r.numerator, r.denominator, r.excluded_not_final) == (27, 42, 6)
    assert "only crimes with a final outcome" in r.caveat


def test_nsi_explicit_extract_month_and_no_lag() -> None:
    labels, months, types = _sample()
    r = no_suspect_rate(labels, months, crime_types=types, extract_month="2024-09")
    assert r.excluded_recent == 0 and r.denominator == 100
    r0 = no_suspect_rate(labels, None, crime_types=types, lag_months=0)
    assert r0.denominator == 100 and "No lag applied" in r0.caveat


def test_small_denominator_shows_counts() -> None:
    r = no_suspect_rate([NSI] * 7 + [CHARGED] * 8, lag_months=0)
    assert not r.show_percentage
    assert r.display == "7 of 15 crimes"
    assert "shown as counts" in r.caveat
    assert no_suspect_rate([NSI] * 7 + [CHARGED] * 13, lag_months=0).show_percentage


def test_blank_and_unrecognised_outcomes_are_reported() -> None:
    r = no_suspect_rate([NSI, NSI, None, "", "Brand new label"], lag_months=0)
    assert r.excluded_no_outcome == 2 and r.unrecognised == 1
    assert r.denominator == 3


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from([NSI, CHARGED, OPEN, "Unable to prosecute suspect"]), min_size=1))
def test_final_denominator_never_larger(labels: list[str]) -> None:
    a = no_suspect_rate(labels, lag_months=0)
    assert 0 <= a.lower <= a.value <= a.upper <= 1
    if any(lab != OPEN for lab in labels):
        b = no_suspect_rate(labels, lag_months=0, denominator="final")
        assert b.denominator <= a.denominator and b.numerator == a.numerator


def test_nsi_failures() -> None:
    with pytest.raises(ValueError, match="crime_months is needed"):
        no_suspect_rate([NSI])
    with pytest.raises(ValueError, match="no crimes are left"):
        no_suspect_rate([NSI], ["2024-06"])  # the only crime is too recent
    with pytest.raises(ValueError, match="crime_months has 1 rows but outcome_labels has 2"):
        no_suspect_rate([NSI, NSI], ["2024-01"])
    with pytest.raises(ValueError, match=r"crime_months\[0\] = '24-01' is not a month"):
        no_suspect_rate([NSI], ["24-01"])
    with pytest.raises(ValueError, match="denominator must be"):
        no_suspect_rate([NSI], lag_months=0, denominator="some")  # type: ignore[arg-type]


# ---------------------------------------------------------------- time to outcome


def test_time_to_outcome_quartiles() -> None:
    crimes = ["2024-01", "2024-01", "2024-02", "2024-03", "2023-12", "2024-01"]
    outcomes_ = ["2024-01", "2024-03", "2024-05", "2024-09", "2024-12", None]
    t = time_to_outcome(crimes, outcomes_)
    # Gaps: 0, 2, 3, 6, 12 months.
    assert (t.n, t.n_missing, t.median, t.q1, t.q3) == (5, 1, 3.0, 2.0, 6.0)
    assert (t.minimum, t.maximum) == (0, 12)
    assert "1 crimes without an outcome month" in t.caveat


def test_time_to_outcome_accepts_datetime64() -> None:
    c = np.array(["2024-01", "2024-02"], dtype="datetime64[M]")
    o = np.array(["2024-04", "NaT"], dtype="datetime64[M]")
    t = time_to_outcome(c, o)
    assert (t.n, t.median, t.n_missing) == (1, 3.0, 1)


def test_time_to_outcome_failures() -> None:
    with pytest.raises(ValueError, match="outcome month before crime month at row 1"):
        time_to_outcome(["2024-01", "2024-05"], ["2024-02", "2024-04"])
    with pytest.raises(ValueError, match="no crime has an outcome month"):
        time_to_outcome(["2024-01"], [None])
    with pytest.raises(ValueError, match="crime_months has 2 rows but outcome_months has 1"):
        time_to_outcome(["2024-01", "2024-02"], ["2024-03"])
    with pytest.raises(ValueError, match="not a month"):
        time_to_outcome(["2024-13"], ["2024-01"])
