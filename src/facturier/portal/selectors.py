"""What a signed-in contact reads: every query is scoped to the contact's client, so an
id of another client reads as one that does not exist."""

import datetime
from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.utils import timezone

from facturier.clients.models import Client, Contact
from facturier.engagements.letter_models import EngagementLetter, LetterStatus
from facturier.invoicing.lifecycle import InvoiceStatus
from facturier.invoicing.models import DocumentKind, Invoice
from facturier.receivables.direct_debits import Mandate, SepaSettings
from facturier.receivables.models import Payment
from facturier.receivables.selectors import statement_of

from .acceptance import latest_acceptance
from .models import Acceptance, PortalAccess, PortalSession, hash_secret

ISSUED = (InvoiceStatus.FINALIZED, InvoiceStatus.CLOSED)


def session_for(raw: str, *, now: datetime.datetime | None = None) -> PortalSession | None:
    """The open session a portal cookie names, with its contact and client; None when
    unknown, expired, revoked or the client archived."""
    if not raw:
        return None
    now = now or timezone.now()
    session = (
        PortalSession.objects.select_related("access__contact__client__firm")
        .filter(
            digest=hash_secret(raw),
            expires_at__gt=now,
            access__revoked_at__isnull=True,
            access__contact__client__archived_at__isnull=True,
        )
        .first()
    )
    return session


def documents(*, client: Client) -> QuerySet[Invoice]:
    """The client's issued invoices and credit notes, newest first."""
    return (
        Invoice.objects.filter(client_id=client.pk, firm_id=client.firm_id, status__in=ISSUED)
        .only(
            "pk",
            "kind",
            "number",
            "status",
            "issue_date",
            "due_date",
            "currency",
            "total_gross",
            "balance",
            "credit_left",
            "client_id",
            "firm_id",
        )
        .order_by("-issue_date", "-pk")
    )


def document(*, client: Client, pk: int) -> Invoice | None:
    return (
        Invoice.objects.filter(client_id=client.pk, firm_id=client.firm_id, status__in=ISSUED)
        .filter(pk=pk)
        .first()
    )


def open_invoices(*, client: Client) -> QuerySet[Invoice]:
    """The client's invoices that still owe something, oldest due first."""
    return (
        documents(client=client)
        .filter(kind=DocumentKind.INVOICE, balance__gt=0)
        .order_by("due_date", "pk")
    )


def credit_notes_left(*, client: Client) -> QuerySet[Invoice]:
    """The client's credit notes with credit left to use."""
    return documents(client=client).filter(kind=DocumentKind.CREDIT_NOTE, credit_left__gt=0)


def owed_totals(*, client: Client) -> dict[str, Decimal]:
    """Currency -> what the client owes: open balances less the credit left."""
    totals: dict[str, Decimal] = {}
    for field, rows, sign in (
        ("balance", open_invoices(client=client), 1),
        ("credit_left", credit_notes_left(client=client), -1),
    ):
        for row in rows.order_by().values("currency").annotate(total=Sum(field)):
            totals[row["currency"]] = totals.get(row["currency"], Decimal(0)) + sign * row["total"]
    return totals


def payments(*, client: Client) -> QuerySet[Payment]:
    return Payment.objects.filter(client_id=client.pk, firm_id=client.firm_id).order_by(
        "-received_on", "-pk"
    )


def statement(*, client: Client, start: datetime.date, end: datetime.date, currency: str):
    own = Invoice.objects.filter(client_id=client.pk, firm_id=client.firm_id)
    return statement_of(
        client, currency, start, end, invoices=own, payments=payments(client=client)
    )


def currencies(*, client: Client) -> list[str]:
    issued = documents(client=client).order_by()  # DISTINCT over the currency alone
    used = set(issued.values_list("currency", flat=True).distinct())
    return sorted(used | {client.currency})


def mandates(*, client: Client) -> QuerySet[Mandate]:
    return Mandate.objects.filter(client_id=client.pk, firm_id=client.firm_id).order_by("-pk")


def mandate(*, client: Client, pk: int) -> Mandate | None:
    return mandates(client=client).filter(pk=pk).select_related("client__firm").first()


def letters(*, client: Client) -> QuerySet[EngagementLetter]:
    """The engagement letters sent to the client (drafts are the firm's own)."""
    return (
        EngagementLetter.objects.filter(engagement__client_id=client.pk, firm_id=client.firm_id)
        .exclude(status=LetterStatus.DRAFT)
        .select_related("engagement")
        .order_by("-sent_at", "-pk")
    )


def letter(*, client: Client, pk: int) -> EngagementLetter | None:
    return letters(client=client).filter(pk=pk).first()


def sepa_of(firm_id: int) -> SepaSettings | None:
    return SepaSettings.objects.filter(firm_id=firm_id).first()


def names_its_creditor(sepa: SepaSettings | None) -> bool:
    """Whether the firm's mandates name it by its SEPA creditor identifier (ICS): none
    can be signed before (accept_mandate refuses it)."""
    return bool(sepa and sepa.creditor_id)


def acceptance_of(target) -> Acceptance | None:
    return latest_acceptance(target)


def accesses(*, clients: QuerySet[Client]) -> QuerySet[PortalAccess]:
    """Portal accesses of the clients given (the ones a member may see)."""
    return (
        PortalAccess.objects.filter(contact__client__in=clients)
        .select_related("contact__client", "invited_by")
        .order_by("contact__client__name", "contact__name", "pk")
    )


def access_by_contact(*, client: Client) -> dict[int, PortalAccess]:
    contacts = Contact.objects.filter(client_id=client.pk).values("pk")
    return {a.contact_id: a for a in PortalAccess.objects.filter(contact_id__in=contacts)}


def paid_total(*, client: Client) -> dict[str, Decimal]:
    rows = payments(client=client).values("currency").annotate(total=Sum("amount"))
    return {row["currency"]: row["total"] for row in rows}


def transfer_qr_svg(invoice: Invoice) -> bytes | None:
    """The EPC QR code of a transfer paying what the invoice still owes (its balance,
    not its total), or None when it is not paid by a SEPA transfer."""
    from facturier.invoicing.documents.epc import epc_svg

    owed_now = owed_now_snapshot(invoice)
    return epc_svg(owed_now) if owed_now else None


def owed_now_snapshot(invoice: Invoice) -> dict | None:
    """The invoice's snapshot asking for its balance: the balance already has the
    deposits and the payments taken off, so nothing is deducted from it again."""
    snapshot = invoice.snapshot or {}
    if not snapshot or invoice.is_credit_note or not invoice.balance or invoice.balance <= 0:
        return None
    totals = {**snapshot.get("totals", {}), "gross": str(invoice.balance)}
    return {**snapshot, "prepaid": None, "totals": totals}
