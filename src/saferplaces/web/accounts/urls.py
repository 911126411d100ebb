from __future__ import annotations

from django.conf import settings
from django.urls import path

from . import views
from .oidc import oidc_urlpatterns

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="sign_in"),
    path("sign-out/", views.SignOutView.as_view(), name="sign_out"),
]
urlpatterns += oidc_urlpatterns(settings.SAFERPLACES_OIDC_ENABLED)
