"""Forms of the analyst tools. Files are checked in :mod:`.uploads`, not here."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django import forms

LEVEL_RE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
LEVEL_HELP = "lowercase letters, digits, '-' or '_', starting with a letter (e.g. ward, beat_2024)"


class GovukForm(forms.Form):
    """Widgets with GOV.UK Frontend's classes, and hints and errors tied to their inputs."""

    CLASSES: ClassVar[dict[type[forms.Widget], str]] = {
        forms.Textarea: "govuk-textarea",
        forms.Select: "govuk-select",
        forms.CheckboxInput: "govuk-checkboxes__input",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["class"] = self.CLASSES.get(type(field.widget), "govuk-input")
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}-hint"

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            attrs = self.fields[name].widget.attrs
            attrs["class"] += f" {attrs['class']}--error"
            attrs["aria-describedby"] = f"{attrs.get('aria-describedby', '')} id_{name}-error"
            attrs["aria-describedby"] = attrs["aria-describedby"].strip()


def _level(value: str) -> str:
    value = value.strip()
    if not LEVEL_RE.match(value):
        raise forms.ValidationError(f"Enter an area level name: {LEVEL_HELP}")
    return value


class PublishForm(GovukForm):
    levels = forms.CharField(
        label="Area levels",
        initial="force,lad",
        max_length=200,
        help_text="Comma-separated: force, lad (districts), msoa, lsoa, or a stored level.",
    )
    note = forms.CharField(
        label="Note for readers",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What this edition is, or what it corrects and why (shown on the edition).",
    )
    corrects = forms.TypedChoiceField(
        label="Corrects edition",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="Only for a correction of an earlier edition.",
    )

    def __init__(self, *args: Any, editions: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = [("", "None: a new edition")]
        choices += [(str(n), f"Edition {n}") for n in sorted(editions, reverse=True)]
        self.fields["corrects"].choices = choices

    def clean_levels(self) -> list[str]:
        levels = [_level(x) for x in str(self.cleaned_data["levels"]).split(",") if x.strip()]
        if not levels:
            raise forms.ValidationError("Enter at least one area level, e.g. force,lad")
        return list(dict.fromkeys(levels))

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if data.get("corrects") is not None and not str(data.get("note", "")).strip():
            self.add_error("note", "A correction needs a note saying what it corrects and why")
        return data


class AreaImportForm(GovukForm):
    level = forms.CharField(label="Area level", max_length=40, help_text=LEVEL_HELP)
    code_field = forms.CharField(
        label="Field holding each area's code", required=False, max_length=100
    )
    name_field = forms.CharField(
        label="Field holding each area's name", required=False, max_length=100
    )
    parent_field = forms.CharField(
        label="Field holding each area's parent code (optional)", required=False, max_length=100
    )
    vintage = forms.CharField(label="Boundary vintage, e.g. 2022", required=False, max_length=20)
    merge = forms.BooleanField(
        label="Keep the level's other areas (add or replace only these codes)", required=False
    )

    def clean_level(self) -> str:
        return _level(str(self.cleaned_data["level"]))


class PeerGroupForm(GovukForm):
    name = forms.CharField(
        label="Name",
        max_length=80,
        help_text="Letters, digits, spaces, '.', '_' or '-', e.g. msg-2024.",
    )
    level = forms.CharField(label="Level of the members", max_length=40, help_text=LEVEL_HELP)
    members = forms.CharField(
        label="Member area codes",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One code per line (or separated by commas), at least two.",
    )
    description = forms.CharField(label="Description", required=False, max_length=500)
    source = forms.CharField(
        label="Source",
        required=False,
        max_length=200,
        help_text="Where the group comes from, e.g. iQuanta MSG list, March 2024.",
    )

    def clean_level(self) -> str:
        return _level(str(self.cleaned_data["level"]))

    def clean_members(self) -> list[str]:
        text = str(self.cleaned_data["members"])
        return [m for m in re.split(r"[\s,;]+", text) if m]
