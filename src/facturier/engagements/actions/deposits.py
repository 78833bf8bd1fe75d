"""The deposit an engagement asks at signature (facture d'acompte): its invoice drafted
through invoicing's action, once per engagement, when the letter is signed or when a
user asks. The run's next invoice deducts it once paid (invoicing's rules and action)."""

import datetime
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from facturier.core import clock
from facturier.core.actions import action
from facturier.core.errors import Invalid
from facturier.core.formatting import Formatter
from facturier.firms import audit
from facturier.firms.models import User
from facturier.invoicing import actions as invoicing
from facturier.invoicing.models import Invoice

from ..events import AuditName
from ..models import Engagement
from ..selectors import deposit_fits, deposit_received


def first_year_fees(engagement: Engagement) -> Decimal:
    """The fixed fees of the engagement's missions for a year, as agreed."""
    return sum(
        (m.annual_fee or Decimal(0) for m in engagement.missions.all() if m.has_fixed_fee),
        Decimal(0),
    )


def asks_deposit(engagement: Engagement) -> bool:
    return engagement.deposit_amount is not None or engagement.deposit_percent is not None


def deposit_vat_rate(engagement: Engagement) -> Decimal | None:
    """The VAT rate of the fees a deposit pays in advance: that of the fixed-fee missions
    when they share one; None (the firm's default rate) when they differ."""
    rates = {m.vat_rate for m in engagement.missions.all() if m.has_fixed_fee}
    return rates.pop() if len(rates) == 1 else None


def deposit_value(engagement: Engagement) -> Decimal | None:
    """The deposit before VAT, as its invoice will have it (a percentage of the first
    year's fixed fees worked out); None when none is asked or it cannot be worked out."""
    if not asks_deposit(engagement):
        return None
    try:
        return invoicing.deposit_amount(
            amount=engagement.deposit_amount,
            percent=engagement.deposit_percent,
            fees=first_year_fees(engagement) or None,
        )
    except Invalid:
        return None


def _existing(engagement: Engagement) -> Invoice | None:
    """The engagement's deposit invoice, unless it was deleted as a draft."""
    if engagement.deposit_invoice_id is None:
        return None
    return Invoice.objects.filter(pk=engagement.deposit_invoice_id).first()


def draft_deposit_of(
    engagement: Engagement, *, by: User, now: datetime.datetime | None = None
) -> Invoice:
    """Inside an engagement's action (the engagement locked): its deposit invoice."""
    found = _existing(engagement)
    if found is not None:
        raise Invalid(
            {
                "deposit": [
                    _("The engagement's deposit invoice is %(number)s already.")
                    % {"number": found.number or f"#{found.pk}"}
                ]
            },
            codes={"deposit": ["deposit_exists"]},
        )
    if not asks_deposit(engagement):
        raise Invalid(
            {"deposit_amount": [_("The engagement asks for no deposit: set its amount first.")]},
            codes={"deposit_amount": ["no_deposit"]},
        )
    client = engagement.client
    with translation.override(client.language):
        text = _("Deposit on the fees of engagement %(reference)s") % {
            "reference": engagement.reference
        }
    invoice = invoicing.draft_deposit(
        by=by,
        client=client,
        amount=engagement.deposit_amount,
        percent=engagement.deposit_percent,
        fees=first_year_fees(engagement) or None,  # 0: no fixed fees
        vat_rate=deposit_vat_rate(engagement),
        description=text,
        payment_terms_days=engagement.payment_terms_days,  # as its other invoices
        now=now,
    )
    engagement.deposit_invoice = invoice
    engagement.save(update_fields=["deposit_invoice"])
    audit.record(
        AuditName.DEPOSIT_DRAFTED,
        engagement,
        by=by,
        firm_id=engagement.firm_id,
        details={"invoice": invoice.pk, "amount": str(invoice.total_net)},
    )
    return invoice


@action
def draft_engagement_deposit(
    engagement: Engagement | int, *, by: User, now: datetime.datetime | None = None
) -> Invoice:
    """The deposit invoice the engagement asks for, as a draft (once per engagement)."""
    from .engagements import lock_engagement

    return draft_deposit_of(lock_engagement(engagement, by), by=by, now=now)


def deduct_from(
    engagement: Engagement, invoice: Invoice, *, by: User, now: datetime.datetime | None = None
) -> Invoice | None:
    """Inside the run's savepoint for a day's draft (the engagement locked): the draft
    deducts the engagement's deposit invoice once it is received and no invoice deducts
    it yet, through invoicing's action (a paid amount at document level, the deposit
    named), so it goes with the draft or not at all. A deposit larger than this draft
    waits for a later invoice, as the history says: invoicing refuses to deduct more than
    an invoice's total. Returns the deposit deducted."""
    deposit = deposit_received(engagement, invoice.currency, lock=True)
    if deposit is None:
        return None  # none asked, not issued, not paid yet, or deducted already
    details = {"invoice": invoice.pk, "deposit": deposit.number}
    if not deposit_fits(deposit, invoice.total_gross):
        fmt = Formatter(translation.get_language() or "en", invoice.currency)
        reason = _(
            "The deposit invoice %(number)s (%(deposit)s) is larger than this invoice "
            "(%(total)s): a later invoice deducts it."
        ) % {
            "number": deposit.number,
            "deposit": fmt.money(deposit.total_gross),
            "total": fmt.money(invoice.total_gross),
        }
        _say(AuditName.DEPOSIT_WAITS, engagement, by=by, now=now, **details, reason=reason)
        return None
    invoicing.deduct_deposits(invoice, by=by, deposits=[deposit.pk], now=now)
    _say(
        AuditName.DEPOSIT_DEDUCTED,
        engagement,
        by=by,
        now=now,
        **details,
        amount=str(deposit.total_gross),
    )
    return deposit


def _say(name: str, engagement, *, by, now, **details) -> None:
    """The engagement's history line of what the run did with its deposit."""
    audit.record(
        name, engagement, by=by, firm_id=engagement.firm_id, at=clock.now(now), details=details
    )
