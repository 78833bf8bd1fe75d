from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkConfig(AppConfig):
    name = "facturier.work"
    verbose_name = _("Time and expenses")

    def ready(self) -> None:
        from facturier.outbox import kinds

        from . import events  # noqa: F401  (declares its audit names)
        from .actions import refresh_stale_wip

        # The WIP tab's rows are aged as of a day: built again when the day turns.
        kinds.register_periodic("wip", 3600, refresh_stale_wip)
