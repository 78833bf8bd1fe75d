from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementsConfig(AppConfig):
    name = "facturier.engagements"
    verbose_name = _("Engagements")

    def ready(self) -> None:
        from . import events  # noqa: F401  (declares its audit names)
