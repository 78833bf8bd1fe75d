from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# How often the worker asks the platform what happened to the flows it sent.
STATUS_PASS_SECONDS = 20


class EinvoicingConfig(AppConfig):
    name = "facturier.einvoicing"
    verbose_name = _("E-invoicing")

    def ready(self) -> None:
        from facturier.invoicing.signals import invoice_finalized
        from facturier.outbox import kinds

        from .actions import collect_statuses, transmit_on_finalize
        from .deliveries import FLOWS

        kinds.register(FLOWS)
        kinds.register_periodic("e-invoicing statuses", STATUS_PASS_SECONDS, collect_statuses)
        invoice_finalized.connect(transmit_on_finalize, dispatch_uid="einvoicing-transmit")
