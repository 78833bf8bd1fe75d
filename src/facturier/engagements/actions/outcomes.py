"""What a run tells: the invoices it made, the periods, and the failures it keeps for
the billing-run page (RunFailure) until their engagement bills."""

from dataclasses import dataclass, field

from facturier.core import clock
from facturier.core.errors import DomainError
from facturier.invoicing.models import Invoice, InvoiceStatus

from ..models import Engagement, RunFailure


@dataclass
class RunResult:
    invoices: list = field(default_factory=list)
    periods: int = 0
    skipped: int = 0  # periods another run billed first
    failures: list[tuple[Engagement, str]] = field(default_factory=list)


def kept_failure(engagement: Engagement) -> RunFailure | None:
    """The engagement's failure kept from an earlier run, read with the engagement."""
    if Engagement.run_failure.is_cached(engagement):
        return getattr(engagement, "run_failure", None)
    return RunFailure.objects.filter(engagement=engagement).select_related("invoice").first()


def kept_draft(engagement: Engagement) -> Invoice | None:
    """The draft a refused finalization left, still a draft: finalized again by a run."""
    failure = kept_failure(engagement)
    if failure is None or failure.invoice is None:
        return None
    return failure.invoice if failure.invoice.status == InvoiceStatus.DRAFT else None


def fail(engagement, exc: DomainError, *, now, result: RunResult, invoice=None) -> None:
    reason = reason_of(exc)
    result.failures.append((engagement, reason))
    # "Since" on the page: when the failure began, not its latest attempt.
    RunFailure.objects.update_or_create(
        engagement=engagement,
        defaults={"reason": reason, "code": code_of(exc), "invoice": invoice},
        create_defaults={
            "reason": reason,
            "code": code_of(exc),
            "invoice": invoice,
            "failed_at": clock.now(now),
        },
    )


def reason_of(exc: DomainError) -> str:
    """The refusal's own words: for a form's refusal, what each field says."""
    details = [message for messages in getattr(exc, "errors", {}).values() for message in messages]
    return " ".join(details) if details else exc.message


def code_of(exc: DomainError) -> str:
    codes = getattr(exc, "codes", None) or {}
    for field_codes in codes.values():
        if field_codes:
            return str(field_codes[0])
    return getattr(exc, "code", "") or type(exc).__name__
