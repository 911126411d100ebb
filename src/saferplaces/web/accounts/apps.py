from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "saferplaces.web.accounts"
    label = "accounts"
    verbose_name = "Accounts and audit log"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from . import audit

        # Django connects its own update_last_login receiver; ours only adds the audit row.
        user_logged_in.connect(audit.on_signed_in, dispatch_uid="saferplaces-audit-sign-in")
        user_logged_out.connect(audit.on_signed_out, dispatch_uid="saferplaces-audit-sign-out")
        user_login_failed.connect(
            audit.on_sign_in_failed, dispatch_uid="saferplaces-audit-sign-in-failed"
        )
        user_locked_out.connect(audit.on_locked_out, dispatch_uid="saferplaces-audit-locked-out")
