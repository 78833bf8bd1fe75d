from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementsConfig(AppConfig):
    name = "facturier.engagements"
    verbose_name = _("Engagements")

    def ready(self) -> None:
        from facturier.core.events import subscribe
        from facturier.outbox import kinds
        from facturier.work.events import EntriesSaved

        from . import events  # noqa: F401  (declares its audit names)
        from .actions import ALERT_PASS_SECONDS, check_all_budgets
        from .entry_missions import on_entries_saved

        subscribe(EntriesSaved, on_entries_saved)
        # Budgets crossed without an entry saved (or a check lost after a commit).
        kinds.register_periodic("budget alerts", ALERT_PASS_SECONDS, check_all_budgets)
