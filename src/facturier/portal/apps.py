from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The client's side: contacts' sign-in links, their documents, online acceptance."""

    name = "facturier.portal"
    verbose_name = _("Client portal")

    def ready(self) -> None:
        from . import (
            events,  # noqa: F401  (declares its audit names)
            history,  # noqa: F401  (registers its history lines)
        )
