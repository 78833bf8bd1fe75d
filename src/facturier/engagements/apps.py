from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementsConfig(AppConfig):
    name = "facturier.engagements"
    verbose_name = _("Engagements")

    def ready(self) -> None:
        from facturier.core.events import subscribe
        from facturier.firms.events import FirmCreated
        from facturier.outbox import kinds

        from . import events  # noqa: F401  (declares its audit names)
        from .letter_outbox import ENGAGEMENT_LETTERS

        kinds.register(ENGAGEMENT_LETTERS)
        subscribe(FirmCreated, seed_new_firm)


def seed_new_firm(event) -> None:
    """A new firm starts with the default letter templates."""
    from .actions import seed_letter_templates

    seed_letter_templates(event.firm_id)
