"""Gapless invoice numbers.

A number is taken inside the finalizing transaction with a row lock on the
firm's sequence (its UPDATE; on PostgreSQL after a queue of the series' own, see
TAKE_IN_TURN; SQLite's IMMEDIATE transactions serialize writers). If that transaction
rolls back, so does the counter: no number is ever lost or given twice.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from facturier.core.errors import DomainError
from facturier.firms.models import Firm

from .models import MAX_NUMBER, DocumentKind, InvoiceSequence, Series

# What a new series starts from: credit notes are told apart from invoices at a glance.
SERIES_DEFAULTS = {Series.INVOICES: {}, Series.CREDIT_NOTES: {"prefix": "AV-"}}


class NumberingExhausted(DomainError):
    code = "numbering_exhausted"
    status = 409
    default_message = _(
        "The invoice numbering has reached its largest number: set a new prefix in Settings."
    )


def series_for(firm: Firm, kind: str) -> Series:
    """The series a document of this kind is numbered in, as the firm chose."""
    if kind == DocumentKind.CREDIT_NOTE and firm.credit_notes_own_series:
        return Series.CREDIT_NOTES
    return Series.INVOICES


def sequence_for(firm: Firm, series: str = Series.INVOICES) -> InvoiceSequence:
    """The firm's numbering as stored, or the defaults it starts with (nothing written)."""
    return InvoiceSequence.objects.filter(firm=firm, series=series).first() or InvoiceSequence(
        firm=firm, series=series, **SERIES_DEFAULTS[Series(series)]
    )


# One statement: the UPDATE takes the row lock (held until the transaction ends) and
# RETURNING hands back the number it reserved (PostgreSQL, and SQLite >= 3.35).
TAKE = (
    "UPDATE {table} SET next_number = next_number + 1 WHERE firm_id = %s AND series = %s "
    "RETURNING next_number - 1, prefix, padding_char, padding_length"
)

# PostgreSQL: the finalizations of one series wait their turn in one queue, a lock of
# the transaction keyed by the series (released with the row's, at its end), taken by
# the UPDATE itself before it reaches the row. Waiting on the row, every waiter was
# woken when its holder committed: each re-read the row, one won, the others waited
# again on the winner. Under load, with the processes busier than the cores, those
# wake-ups took the CPU the holder needed to finish, and the number was held longer.
# The lock manager's queue wakes the next waiter only. The lock's key is the
# statement's parameter, not a value of a row: whatever the plan, only this series'
# lock is taken.
TAKE_IN_TURN = (
    "UPDATE {table} SET next_number = next_number + 1 "
    "FROM (SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))) AS turn "
    "WHERE firm_id = %s AND series = %s "
    "RETURNING next_number - 1, prefix, padding_char, padding_length"
)


def reserve_next_number(firm: Firm, series: str = Series.INVOICES) -> tuple[int, InvoiceSequence]:
    """Reserve the series' next number; returns it with the sequence that formats it.

    Call inside the finalizing transaction, as late as possible: the sequence's row
    stays locked until the commit.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("reserve_next_number must run inside the finalizing transaction")
    table = InvoiceSequence._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                TAKE_IN_TURN.format(table=table), [f"{table}:{firm.pk}:{series}", firm.pk, series]
            )
        else:  # SQLite: a writing transaction has the whole database to itself
            cursor.execute(TAKE.format(table=table), [firm.pk, series])
        row = cursor.fetchone()
    if row is None:  # a series not used yet: make it, then take again
        InvoiceSequence.objects.get_or_create(
            firm=firm, series=series, defaults=SERIES_DEFAULTS[Series(series)]
        )
        return reserve_next_number(firm, series)
    number, prefix, padding_char, padding_length = row
    if number > MAX_NUMBER:
        raise NumberingExhausted()
    sequence = InvoiceSequence(
        prefix=prefix, padding_char=padding_char, padding_length=padding_length
    )
    return number, sequence
