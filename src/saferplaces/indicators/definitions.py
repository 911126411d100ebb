"""Indicator definitions: a partnership defines its indicators once, in YAML, and SaferPlaces
evaluates them every month. Validation errors name the file, the indicator and the key.

See ``docs/indicators.md`` for every key, and ``indicators/defaults.yaml`` for the default set
that works on police.uk data alone.
"""

from __future__ import annotations

import contextlib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import ConfigError
from ..taxonomy import OUTCOME_GROUP_LABELS, categories

Period = Literal["month", "quarter", "rolling-12-months", "financial-year"]
Polarity = Literal["lower-is-better", "higher-is-better", "neutral"]
MeasureKind = Literal["count", "rate", "proportion", "harm", "outcome_rate"]
POLICE_UK = "police.uk"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Objective(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    police_and_crime_plan: str | None = Field(
        None, description="The Police and Crime Plan objective this CSP objective serves."
    )
    description: str = ""


class Measure(_Strict):
    kind: MeasureKind
    per: float = Field(1000.0, gt=0, description="Multiplier of a rate: per 1,000 by default.")
    denominator: str | None = Field(
        None,
        description="Rate denominator: 'residents', 'households' or a stored denominator name.",
    )

    @model_validator(mode="after")
    def _denominator_for_rates(self) -> Measure:
        if self.kind == "rate" and not self.denominator:
            raise ValueError("a rate needs a denominator (e.g. residents or households)")
        if self.kind != "rate" and self.denominator:
            raise ValueError(f"a {self.kind} takes no denominator (only a rate does)")
        return self


class Source(_Strict):
    dataset: str = Field(
        POLICE_UK, description="'police.uk' (the base mart) or 'partner:<dataset name>'."
    )
    field: Literal["crimes", "asb_incidents"] | str = "crimes"
    categories: list[str] = Field(default_factory=list, description="Category slugs; all if empty.")
    outcome_groups: list[str] = Field(
        default_factory=list, description="Outcome groups counted in the numerator (proportions)."
    )
    # Partner datasets only:
    measure: str = Field("rows", description="Partner data: 'rows' or a measure column to sum.")
    where: dict[str, Any] = Field(
        default_factory=dict, description="Partner data: only rows whose columns equal these."
    )
    numerator_where: dict[str, Any] = Field(
        default_factory=dict, description="Partner proportions: rows counted in the numerator."
    )
    denominator_measure: str | None = Field(
        None, description="Partner proportions: the column summed as the denominator."
    )

    @field_validator("dataset")
    @classmethod
    def _dataset_form(cls, value: str) -> str:
        if value != POLICE_UK and not value.startswith("partner:"):
            raise ValueError("dataset must be 'police.uk' or 'partner:<dataset name>'")
        return value

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: list[str]) -> list[str]:
        known = {c.slug for c in categories().values()}
        for slug in value:
            if slug not in known:
                raise ValueError(f"unknown category '{slug}' (known: {', '.join(sorted(known))})")
        return value

    @field_validator("outcome_groups")
    @classmethod
    def _known_groups(cls, value: list[str]) -> list[str]:
        for g in value:
            if g not in OUTCOME_GROUP_LABELS:
                raise ValueError(
                    f"unknown outcome group '{g}' (known: {', '.join(OUTCOME_GROUP_LABELS)})"
                )
        return value


class AbsoluteTarget(_Strict):
    kind: Literal["absolute"]
    value: float


class PercentChangeTarget(_Strict):
    kind: Literal["percent-change"]
    value: float = Field(description="e.g. -5 for a 5% reduction on the comparison period")


class SignificantReductionTarget(_Strict):
    kind: Literal["significant-reduction"]


Target = Annotated[
    AbsoluteTarget | PercentChangeTarget | SignificantReductionTarget, Field(discriminator="kind")
]


class Benchmark(_Strict):
    value: float
    label: str = Field(description="Where the benchmark comes from, e.g. 'SafeLives'.")


class Indicator(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    description: str
    objective: str
    police_and_crime_plan_objective: str | None = None
    theme: str
    type: Literal["leading", "lagging"]
    measure: Measure
    source: Source = Field(default_factory=lambda: Source.model_validate({}))
    period: Period = "rolling-12-months"
    polarity: Polarity = "lower-is-better"
    target: Target | None = None
    owner: str = ""
    caveats: list[str] = Field(default_factory=list)
    lag_months: int = Field(
        0, ge=0, le=24, description="Leave out the latest N months (outcomes still open)."
    )
    activity_driven: bool = Field(
        False, description="Counts reflect police activity as much as offending (drugs, weapons)."
    )
    benchmark: Benchmark | None = Field(
        None, description="A published reference level to compare with (not a target)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Indicator:
        k = self.measure.kind
        partner = self.source.dataset != POLICE_UK
        if partner and k in ("harm", "outcome_rate"):
            raise ValueError(f"a {k} is for police.uk crimes, not partner data")
        if partner and k == "proportion":
            if not (self.source.numerator_where or self.source.denominator_measure):
                raise ValueError(
                    "a partner proportion needs source.numerator_where or "
                    "source.denominator_measure"
                )
        elif k in ("proportion", "outcome_rate") and not self.source.outcome_groups:
            raise ValueError(f"a {k} needs source.outcome_groups for its numerator")
        if k == "harm" and self.source.field != "crimes":
            raise ValueError("a harm-weighted count weights crimes: source.field must be 'crimes'")
        if self.target is not None and self.target.kind == "absolute" and k == "harm":
            raise ValueError("an absolute target on a harm index is not supported")
        return self


class IndicatorSet(_Strict):
    version: int = 1
    objectives: list[Objective]
    indicators: list[Indicator]

    @model_validator(mode="after")
    def _references(self) -> IndicatorSet:
        ids = [o.id for o in self.objectives]
        seen: set[str] = set()
        for ind in self.indicators:
            if ind.id in seen:
                raise ValueError(f"indicator id '{ind.id}' is used twice")
            seen.add(ind.id)
            if ind.objective not in ids:
                raise ValueError(
                    f"indicator '{ind.id}': objective '{ind.objective}' is not defined "
                    f"(defined: {', '.join(ids)})"
                )
        return self

    def objective(self, oid: str) -> Objective:
        return next(o for o in self.objectives if o.id == oid)


def _format(path: str, exc: ValidationError, data: Any) -> str:
    lines = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = ".".join(str(p) for p in loc)
        # Name the indicator by its id, not its index, where we can.
        if len(loc) >= 2 and loc[0] == "indicators" and isinstance(loc[1], int):
            with contextlib.suppress(KeyError, IndexError, TypeError):
                where = f"indicator '{data['indicators'][loc[1]]['id']}': " + ".".join(
                    str(p) for p in loc[2:] if not str(p).endswith("Target")
                )
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (see docs/indicators.md)"
        lines.append(f"{path}: {where}: {msg}")
    return "\n".join(lines)


def parse_indicator_set(text: str, path: str = "indicators.yaml") -> IndicatorSet:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with 'objectives' and 'indicators'")
    try:
        return IndicatorSet.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format(path, exc, data)) from None


def load_indicator_set(path: str | Path) -> IndicatorSet:
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: no such indicator file")
    return parse_indicator_set(p.read_text("utf-8"), str(p))


def default_indicator_set() -> IndicatorSet:
    """The default indicators: police.uk data alone, under the example CSP's objectives."""
    text = resources.files("saferplaces.indicators").joinpath("defaults.yaml").read_text("utf-8")
    return parse_indicator_set(text, "defaults.yaml")
