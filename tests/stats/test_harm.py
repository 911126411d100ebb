"""Harm weights: the packaged CCHI table, derived category weights, loaders and totals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saferplaces.errors import InputError
from saferplaces.stats.harm import (
    PROACTIVE_CATEGORIES,
    cchi_weights,
    crime_severity_score,
    css_example_weights,
    harm_total,
    harm_weighted_counts,
    load_css_weights,
    load_weights,
)
from saferplaces.taxonomy import categories

# ---------------------------------------------------------------- published medians


@pytest.mark.parametrize(
    ("key", "days"),
    # REFERENCE_VALUES.md lines 61-64: CCHI subgroup medians (days).
    [
        ("homicide", 5475),
        ("rape", 2555),
        ("robbery-of-personal-property", 365),
        ("robbery-of-business-property", 365),
        ("violence-with-injury", 365),
        ("violence-without-injury", 10),
        ("residential-burglary", 273.5),
        ("non-residential-burglary", 183.5),
        ("shoplifting", 1),
        ("arson", 185),
        ("criminal-damage", 2),
        ("public-order", 7.5),
        ("possession-of-weapons", 273.75),
    ],
)
def test_subgroup_medians_match_reference(key: str, days: float) -> None:
    assert cchi_weights("subgroup").weights[key] == days


def test_category_table_covers_every_current_police_uk_crime_category() -> None:
    w = cchi_weights()
    current = {c.slug for c in categories().values() if c.kind == "crime" and c.era == "current"}
    assert set(w.weights) == current
    assert "anti-social-behaviour" not in w.weights
    assert w.unit == "days"


def test_single_subgroup_categories_take_the_median() -> None:
    cat, sub = cchi_weights().weights, cchi_weights("subgroup").weights
    assert cat["robbery"] == sub["robbery-of-personal-property"] == 365
    assert cat["possession-of-weapons"] == sub["possession-of-weapons"]
    assert cat["shoplifting"] == sub["shoplifting"]
    assert cat["public-order"] == sub["public-order"]
    assert cat["other-crime"] == sub["misc-crimes-against-society"]


@pytest.mark.parametrize(
    ("category", "lo", "hi", "subgroups"),
    # METHODS.md §2.2: force-mix ranges published with the medians; the category weight is the
    # midpoint and must lie between its subgroup medians.
    [
        ("burglary", 191, 253, ["residential-burglary", "non-residential-burglary"]),
        ("violent-crime", 159, 235, ["violence-without-injury", "homicide"]),
        ("criminal-damage-arson", 4.9, 18.2, ["criminal-damage", "arson"]),
        ("drugs", 3.25, 3.96, ["possession-of-drugs", "trafficking-of-drugs"]),
    ],
)
def test_mixed_categories_use_midpoint_rule(
    category: str, lo: float, hi: float, subgroups: list[str]
) -> None:
    cat, sub = cchi_weights(), cchi_weights("subgroup").weights
    assert cat.weights[category] == pytest.approx((lo + hi) / 2)
    assert min(sub[s] for s in subgroups) <= cat.weights[category] <= max(sub[s] for s in subgroups)
    assert "midpoint" in cat.rules[category]


# ---------------------------------------------------------------- totals


def test_harm_total_and_modes() -> None:
    counts = {"Burglary": 10, "drugs": 4, "possession-of-weapons": 1, "Shoplifting": 3}
    allrec = harm_total(counts)
    assert allrec.total == pytest.approx(10 * 222 + 4 * 3.605 + 273.75 + 3)
    assert allrec.by_key["burglary"] == pytest.approx(2220)
    pure = harm_total(counts, mode="excluding_proactive")
    assert pure.total == pytest.approx(2223)
    assert pure.excluded == ("drugs", "possession-of-weapons")
    assert "Excludes proactively found crime" in pure.caveat
    assert "approximation" in pure.caveat
    no_shop = harm_total(
        counts, mode="excluding_proactive", proactive=(*PROACTIVE_CATEGORIES, "shoplifting")
    )
    assert no_shop.total == pytest.approx(2220)


def test_asb_has_no_weight() -> None:
    with pytest.raises(ValueError, match="not a notifiable crime"):
        harm_total({"Anti-social behaviour": 5, "burglary": 1})
    res = harm_total({"Anti-social behaviour": 5, "burglary": 1}, unknown="skip")
    assert res.skipped == ("anti-social-behaviour",) and res.total == 222


def test_vectorised_harm_matches_total() -> None:
    keys = ["burglary", "robbery", "drugs", "burglary"]
    counts = np.array([2, 1, 5, 3])
    per_row = harm_weighted_counts(keys, counts)
    np.testing.assert_allclose(per_row, [444, 365, 18.025, 666])
    assert per_row.sum() == pytest.approx(
        harm_total({"burglary": 5, "robbery": 1, "drugs": 5}).total
    )
    pure = harm_weighted_counts(keys, counts, mode="excluding_proactive")
    assert pure[2] == 0


@settings(max_examples=40, deadline=None)
@given(
    c=st.dictionaries(
        st.sampled_from(sorted(cchi_weights().weights)), st.integers(0, 1000), min_size=1
    ),
    k=st.integers(1, 20),
)
def test_harm_is_linear_in_counts(c: dict[str, int], k: int) -> None:
    a = harm_total(c).total
    b = harm_total({key: k * v for key, v in c.items()}).total
    assert b == pytest.approx(k * a)
    assert harm_total(c, mode="excluding_proactive").total <= a + 1e-9


# ---------------------------------------------------------------- CSS


def test_css_example_and_score() -> None:
    w = css_example_weights()
    assert w.weights["8N"] == 184 and w.weights["37.1"] == 722
    assert "example" in w.caveat.lower()
    s = crime_severity_score({"8N": 100, "5A": 2}, w, 1000)
    assert s.score == pytest.approx((100 * 184 + 2 * 1965) / 1000)
    with pytest.raises(ValueError, match="no ONS Crime Severity Score"):
        crime_severity_score({"99Z": 1}, w, 1000)
    with pytest.raises(ValueError, match="population"):
        crime_severity_score({"8N": 1}, w, 0)


def test_css_loader_validates_rows(tmp_path: Path) -> None:
    good = tmp_path / "css.csv"
    good.write_text("# ONS weights\nkey,label,weight\n8n,Assault with injury,184\n105A,X,3\n")
    w = load_css_weights(good)
    assert w.weights == {"8N": 184.0, "105A": 3.0}

    bad_code = tmp_path / "bad_code.csv"
    bad_code.write_text("key,weight\n8N,184\nburglary,5\n")
    with pytest.raises(InputError, match=r"bad_code\.csv, line 3: 'BURGLARY' is not a Home Office"):
        load_css_weights(bad_code)

    bad_weight = tmp_path / "bad_weight.csv"
    bad_weight.write_text("# comment\nkey,weight\n8N,lots\n")
    with pytest.raises(InputError, match=r"bad_weight\.csv, line 3: weight 'lots'"):
        load_css_weights(bad_weight)

    negative = tmp_path / "neg.csv"
    negative.write_text("key,weight\n8N,-1\n")
    with pytest.raises(InputError, match=r"line 2: .*finite number ≥ 0"):
        load_css_weights(negative)

    dup = tmp_path / "dup.csv"
    dup.write_text("key,weight\n8N,1\n8N,2\n")
    with pytest.raises(InputError, match=r"line 3: duplicate key '8N'"):
        load_css_weights(dup)

    nocol = tmp_path / "nocol.csv"
    nocol.write_text("code,w\n8N,1\n")
    with pytest.raises(InputError, match="missing column"):
        load_css_weights(nocol)

    with pytest.raises(InputError, match="cannot read"):
        load_css_weights(tmp_path / "absent.csv")


def test_generic_loader_accepts_labels(tmp_path: Path) -> None:
    f = tmp_path / "local.csv"
    f.write_text("key,weight,unit\nBurglary,250,days\nViolence and sexual offences,180,days\n")
    w = load_weights(f, scheme="local CCHI mix")
    assert w.weights == {"burglary": 250.0, "violent-crime": 180.0}
    assert harm_total({"Burglary": 2}, w).total == 500
    short = tmp_path / "short.csv"
    short.write_text("key,weight,unit\nBurglary,250\n")
    with pytest.raises(InputError, match=r"line 2: expected 3 fields, found 2"):
        load_weights(short)


def test_counts_validation() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        harm_total({"burglary": -1})
    with pytest.raises(ValueError, match="keys has 2 entries but counts has 1"):
        harm_weighted_counts(["burglary", "robbery"], [1])
    with pytest.raises(ValueError, match="mode"):
        harm_total({"burglary": 1}, mode="pure")  # type: ignore[arg-type]
