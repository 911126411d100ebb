from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class SignInForm(AuthenticationForm):
    """Django's sign-in form with GOV.UK field attributes and wording."""

    error_messages: ClassVar[dict[str, str]] = {
        "invalid_login": "Enter a correct email address and password.",
        "inactive": "This account has been deactivated. Ask your administrator.",
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        username.label = "Email address"
        username.widget = forms.EmailInput(
            attrs={
                "class": "govuk-input",
                "autocomplete": "username",
                "spellcheck": "false",
                "autocapitalize": "none",
            }
        )
        self.fields["password"].widget = forms.PasswordInput(
            attrs={
                "class": "govuk-input govuk-password-input__input govuk-js-password-input-input",
                "autocomplete": "current-password",
                "spellcheck": "false",
                "autocapitalize": "none",
            }
        )

    def clean_username(self) -> str:
        return str(self.cleaned_data.get("username", "")).strip().lower()
