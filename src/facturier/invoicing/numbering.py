"""Gapless invoice numbers.

A number is taken inside the finalizing transaction with a row lock on the
firm's sequence (SELECT ... FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE
transactions serialize writers). If that transaction rolls back, so does the
counter: no number is ever lost or given twice.
"""

import datetime

from django.db import transaction

from facturier.firms.models import Firm

from .models import InvoiceSequence


def sequence_for(firm: Firm) -> InvoiceSequence:
    sequence, _ = InvoiceSequence.objects.get_or_create(firm=firm)
    return sequence


def take_next_number(firm: Firm, *, issue_date: datetime.date) -> str:
    """Reserve and return the firm's next number; call inside the finalizing transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("take_next_number must run inside the finalizing transaction")
    InvoiceSequence.objects.get_or_create(firm=firm)
    sequence = InvoiceSequence.objects.select_for_update().get(firm=firm)
    number = sequence.next_number
    sequence.next_number = number + 1
    sequence.save(update_fields=["next_number"])
    return sequence.format(number, year=issue_date.year)
