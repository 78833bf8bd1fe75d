from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The worker bills the periods come due once an hour (a period is due on its billing day).
BILLING_PASS_SECONDS = 3600


class EngagementsConfig(AppConfig):
    name = "facturier.engagements"
    verbose_name = _("Engagements")

    def ready(self) -> None:
        from facturier.core.events import subscribe
        from facturier.firms.events import FirmCreated
        from facturier.outbox import kinds
        from facturier.work.events import EntriesSaved

        from . import events  # noqa: F401  (declares its audit names)
        from .actions import ALERT_PASS_SECONDS, bill_engagements_due, check_all_budgets
        from .entry_missions import on_entries_saved
        from .letter_outbox import ENGAGEMENT_LETTERS

        kinds.register(ENGAGEMENT_LETTERS)
        kinds.register_periodic("engagements", BILLING_PASS_SECONDS, bill_engagements_due)
        subscribe(FirmCreated, seed_new_firm)
        subscribe(EntriesSaved, on_entries_saved)
        # Budgets crossed without an entry saved (or a check lost after a commit).
        kinds.register_periodic("budget alerts", ALERT_PASS_SECONDS, check_all_budgets)


def seed_new_firm(event) -> None:
    """A new firm starts with the default letter templates."""
    from .actions import seed_letter_templates

    seed_letter_templates(event.firm_id)
