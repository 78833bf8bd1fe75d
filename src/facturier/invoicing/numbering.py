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


# One statement: the UPDATE takes the row lock (held until the transaction ends) and
# RETURNING hands back the number it reserved (PostgreSQL, and SQLite >= 3.35).
TAKE = (
    "UPDATE {table} SET next_number = next_number + 1 WHERE firm_id = %s "
    "RETURNING next_number - 1, prefix, padding_char, padding_length"
)


def take_next_number(firm: Firm, *, issue_date: datetime.date) -> str:
    """Reserve and return the firm's next number; call inside the finalizing transaction."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("take_next_number must run inside the finalizing transaction")
    with connection.cursor() as cursor:
        cursor.execute(TAKE.format(table=InvoiceSequence._meta.db_table), [firm.pk])
        row = cursor.fetchone()
    if row is None:  # a firm made without its sequence: make it, then take again
        InvoiceSequence.objects.get_or_create(firm=firm)
        return take_next_number(firm, issue_date=issue_date)
    number, prefix, padding_char, padding_length = row
    sequence = InvoiceSequence(
        prefix=prefix, padding_char=padding_char, padding_length=padding_length
    )
    return sequence.format(number, year=issue_date.year)
