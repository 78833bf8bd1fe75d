"""Which invoice a credit of a bank file most likely pays: the invoice whose payment
reference (ISO 11649, printed on it) its text quotes, then the invoice whose number it
gives, then the one invoice owing its exact amount. Reads only."""

import re
from collections import defaultdict

from facturier.invoicing.lifecycle import InvoiceStatus
from facturier.invoicing.models import DocumentKind, Invoice
from facturier.invoicing.payment_reference import references_in

from .models import StatementLine

# Invoice numbers in a transfer's text: runs of letters, digits and - _ / . holding a digit.
TOKENS = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_/.]*")


def open_invoices(firm_id: int):
    return _issued_invoices(firm_id).filter(balance__gt=0)


def _issued_invoices(firm_id: int):
    return Invoice.objects.filter(
        firm_id=firm_id,
        kind=DocumentKind.INVOICE,
        status__in=[InvoiceStatus.FINALIZED, InvoiceStatus.CLOSED],
    )


def propose(firm_id: int, lines) -> list[tuple[Invoice | None, str]]:
    """For each line, the invoice it most likely pays and why: the payment reference the
    client was asked to quote first, whatever the amount or the payer's name; then an
    invoice number found in its text (either even for an invoice paid or closed already:
    the proposal shows its status, and the line is not recorded on it unless someone
    chooses to); then the exact amount owed (and the payer's name, when several invoices
    owe that amount). An invoice is proposed once per statement."""
    texts = [f"{line.label} {line.reference}" for line in lines]
    used: set[int] = set()
    proposals: list[tuple[Invoice | None, str]] = [(None, "")] * len(lines)
    _propose_by_reference(firm_id, lines, texts, proposals, used)
    by_number = _owed_by_number(firm_id, texts)
    for index, (line, text) in enumerate(zip(lines, texts, strict=True)):
        if proposals[index][0] is not None:
            continue
        for token in TOKENS.findall(text):
            invoice = by_number.get(token.strip("./-_"))
            if invoice is not None and invoice.currency == line.currency and invoice.pk not in used:
                proposals[index] = (invoice, StatementLine.Match.NUMBER)
                used.add(invoice.pk)
                break
    by_amount = _owed_by_amount(firm_id, {line.amount for line in lines})
    for index, line in enumerate(lines):
        if proposals[index][0] is not None:
            continue
        chosen = _by_amount_and_payer(line, by_amount, used)
        if chosen is not None:
            proposals[index] = (chosen, StatementLine.Match.AMOUNT)
            used.add(chosen.pk)
    return proposals


def _propose_by_reference(firm_id: int, lines, texts: list[str], proposals, used) -> None:
    """Fill in the proposals of the lines quoting an issued invoice's payment reference."""
    found = [references_in(text) for text in texts]
    by_reference = _issued_by_reference(firm_id, sorted(set().union(*found)))
    for index, (line, references) in enumerate(zip(lines, found, strict=True)):
        for reference in sorted(references):
            invoice = by_reference.get(reference)
            if invoice is not None and invoice.currency == line.currency and invoice.pk not in used:
                proposals[index] = (invoice, StatementLine.Match.REFERENCE)
                used.add(invoice.pk)
                break


def _issued_by_reference(firm_id: int, references: list[str]) -> dict[str, Invoice]:
    """The issued invoices with one of the references, by reference (read in batches:
    a bank file of thousands of lines stays within the database's parameter limit). A
    reference two invoices share (numbers that differ only by punctuation or case)
    names neither: the other clues decide."""
    found: dict[str, Invoice] = {}
    shared: set[str] = set()
    for start in range(0, len(references), 5000):
        batch = references[start : start + 5000]
        for invoice in _issued_invoices(firm_id).filter(payment_reference__in=batch):
            if invoice.payment_reference in found:
                shared.add(invoice.payment_reference)
            found[invoice.payment_reference] = invoice
    return {reference: i for reference, i in found.items() if reference not in shared}


def _owed_by_number(firm_id: int, texts: list[str]) -> dict[str, Invoice]:
    """The issued invoices whose number appears in the texts, by number."""
    tokens = {token.strip("./-_") for text in texts for token in TOKENS.findall(text)}
    tokens = {token for token in tokens if any(c.isdigit() for c in token)}
    return {
        invoice.number: invoice
        for invoice in _issued_invoices(firm_id).filter(number__in=list(tokens)[:20000])
    }


def _owed_by_amount(firm_id: int, amounts: set) -> dict[tuple, list[Invoice]]:
    """The open invoices owing one of the amounts, by (balance, currency), oldest due
    first."""
    by_amount: dict[tuple, list[Invoice]] = defaultdict(list)
    for invoice in (
        open_invoices(firm_id)
        .filter(balance__in=list(amounts))
        .select_related("client")
        .order_by("due_date", "pk")
    ):
        by_amount[(invoice.balance, invoice.currency)].append(invoice)
    return by_amount


def _by_amount_and_payer(line, by_amount: dict[tuple, list[Invoice]], used: set[int]):
    """The one invoice not yet proposed that owes the line's amount, or among several,
    the first whose client the payer's name or the text names."""
    candidates = [i for i in by_amount.get((line.amount, line.currency), []) if i.pk not in used]
    payer = f"{line.debtor_name} {line.label}".casefold()
    named = [i for i in candidates if i.client.name.casefold() in payer]
    return named[0] if named else candidates[0] if len(candidates) == 1 else None
