"""The app's URLs with the OIDC routes, as settings.py adds them when OIDC is configured (the
test settings leave it off, so test_oidc.py points ROOT_URLCONF here)."""

from saferplaces.web.accounts.oidc import oidc_urlpatterns
from saferplaces.web.urls import urlpatterns as _app

urlpatterns = [*_app, *oidc_urlpatterns(True)]
