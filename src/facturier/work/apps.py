from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkConfig(AppConfig):
    name = "facturier.work"
    verbose_name = _("Time and expenses")

    def ready(self) -> None:
        from facturier.clients.events import ClientsMerging
        from facturier.core.events import subscribe
        from facturier.outbox import kinds

        from . import (
            events,  # noqa: F401  (declares its audit names)
            wip_totals,
        )
        from .actions import refresh_stale_wip

        subscribe(ClientsMerging, wip_totals.on_clients_merging)
        # The WIP tab's rows are aged as of a day: built again when the day turns.
        kinds.register_periodic("wip", 3600, refresh_stale_wip)
