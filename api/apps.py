from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The REST API (``/api/``): the top layer above every domain app, below the project package.
    It holds no rule: each endpoint parses, calls a service or selector of the app below, and
    serializes (docs/api/README.md, docs/adr/0010-api.md)."""

    name = "api"
    verbose_name = _("API")
