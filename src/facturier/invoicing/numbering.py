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

# PostgreSQL: whatever takes or changes a series' numbers first waits its turn in one
# queue, a lock of the transaction keyed by the firm and series (released with the
# row's, at its end), then takes the row's lock. Waiting on the row alone, every waiter
# was woken when its holder committed: each re-read the row, one won, the others waited
# again on the winner. Under load, with the processes busier than the cores, those
# wake-ups took the CPU the holder needed to finish, and the number was held longer.
# The lock manager's queue wakes the next waiter only. Always the turn, then the row:
# two transactions never hold them in opposite orders.
TURN = "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))"

# The number taken in turn, in one statement: the turn is a one-row subquery whose key
# is the statement's parameter (not a row's value), so only this series' turn is ever
# taken, and always before the row is locked (a series not made yet has no row, and
# may not be waited for in the queue: get_or_create then takes it again).
TAKE_IN_TURN = (
    "UPDATE {table} SET next_number = next_number + 1 "
    f"FROM ({TURN}) AS turn "
    "WHERE firm_id = %s AND series = %s "
    "RETURNING next_number - 1, prefix, padding_char, padding_length"
)


def _turn_key(firm_id: int, series: str) -> str:
    return f"{InvoiceSequence._meta.db_table}:{firm_id}:{series}"


def wait_for_turn(firm_id: int, series: str) -> None:
    """Wait for the series' turn (PostgreSQL; SQLite's writers are serialized already):
    for what changes a series' numbering under its row's lock, in the order
    finalizations take them."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(TURN, [_turn_key(firm_id, series)])


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
                TAKE_IN_TURN.format(table=table), [_turn_key(firm.pk, series), firm.pk, series]
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
