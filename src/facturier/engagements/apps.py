from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The worker bills the periods come due once an hour (a period is due on its billing day).
BILLING_PASS_SECONDS = 3600


class EngagementsConfig(AppConfig):
    name = "facturier.engagements"
    verbose_name = _("Engagements")

    def ready(self) -> None:
        from facturier.outbox import kinds

        from . import events  # noqa: F401  (declares its audit names)
        from .actions import bill_engagements_due

        kinds.register_periodic("engagements", BILLING_PASS_SECONDS, bill_engagements_due)
