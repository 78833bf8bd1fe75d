from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# How often the worker asks the platform what happened to the flows it sent.
STATUS_PASS_SECONDS = 20
# How often it looks for e-reporting periods that ended without their report.
EREPORTING_PASS_SECONDS = 600


class EinvoicingConfig(AppConfig):
    name = "facturier.einvoicing"
    verbose_name = _("E-invoicing")

    def ready(self) -> None:
        from facturier.core.events import subscribe
        from facturier.invoicing.events import InvoiceFinalized
        from facturier.outbox import kinds
        from facturier.receivables.events import AllocationMade, AllocationRemoved, PaymentChanged

        from . import collected
        from . import events as _audit_names  # noqa: F401  (declares its audit names)
        from . import history as _history_lines  # noqa: F401  (registers its history lines)
        from .actions import collect_statuses, transmit_on_finalize
        from .ereporting import queue_due_reports
        from .ereporting_outbox import REPORTS
        from .platform_outbox import FLOWS

        kinds.register(FLOWS)
        kinds.register(REPORTS)
        kinds.register_periodic("e-reporting", EREPORTING_PASS_SECONDS, queue_due_reports)
        kinds.register_periodic("e-invoicing statuses", STATUS_PASS_SECONDS, collect_statuses)
        subscribe(InvoiceFinalized, transmit_on_finalize)
        subscribe(AllocationMade, collected.queue_on_allocation)
        subscribe(AllocationRemoved, collected.withdraw_on_removal)
        subscribe(PaymentChanged, collected.redate_on_change)
