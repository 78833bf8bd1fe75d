"""Which exported direct debits a credit of a bank file settles. A bank books a
collection either one transaction per debit (its end-to-end id, "DD" and the debit's
id, given back) or as one entry for the whole batch (the payment information id or the
message id of the file sent, for the batch's total). Reads only."""

import re
from decimal import Decimal

from . import pain008
from .direct_debits import Debit, DebitBatch

# The end-to-end id the batch gives each debit (actions/direct_debits.py).
END_TO_END = re.compile(r"^DD(\d{1,18})$")


def debit_id(reference: str) -> int | None:
    found = END_TO_END.match(reference or "")
    return int(found[1]) if found else None


def _sent(firm_id: int):
    return Debit.objects.filter(firm_id=firm_id, status=Debit.Status.SENT)


def _by_end_to_end(firm_id: int, ids: set[int]) -> dict[int, Debit]:
    found: dict[int, Debit] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 5000):
        for debit in _sent(firm_id).filter(pk__in=ordered[start : start + 5000]):
            found[debit.pk] = debit
    return found


def _by_batch(firm_id: int, references: set[str]) -> dict[str, list[Debit]]:
    """The debits still sent to the bank of each batch named (by message id, or by the
    payment information id its file gave a group of debits)."""
    references = {r for r in references if debit_id(r) is None}
    if not references:
        return {}
    # The batches' ids first: DISTINCT over their rows would sort each file per debit.
    open_batches = _sent(firm_id).order_by().values_list("batch_id", flat=True).distinct()
    batches = DebitBatch.objects.filter(pk__in=list(open_batches))
    groups: dict[str, set[str]] = {}
    for batch in batches:
        informations = pain008.payment_informations(bytes(batch.xml))
        if batch.message_id in references:
            groups[batch.message_id] = {e for ids in informations.values() for e in ids}
        for ident, ids in informations.items():
            if ident in references:
                groups[ident] = set(ids)
    wanted = {debit_id(e) for ids in groups.values() for e in ids} - {None}
    debits = _by_end_to_end(firm_id, wanted)
    return {
        reference: sorted(
            (debits[debit_id(e)] for e in ids if debit_id(e) in debits), key=lambda d: d.pk
        )
        for reference, ids in groups.items()
    }


def settled_debits(firm_id: int, lines) -> list[list[Debit]]:
    """For each credit line, the debits it settles: the one its end-to-end id names for
    its exact amount, or every debit of the batch it names when it credits their total;
    none otherwise (the line is then left for a person, as any credit is)."""
    singles = {debit_id(line.reference) for line in lines} - {None}
    by_id = _by_end_to_end(firm_id, singles)
    by_batch = _by_batch(firm_id, {line.reference for line in lines if line.reference} - {""})
    out: list[list[Debit]] = []
    taken: set[int] = set()
    for line in lines:
        pk = debit_id(line.reference)
        debits = [by_id[pk]] if pk in by_id else by_batch.get(line.reference, [])
        debits = [d for d in debits if d.pk not in taken]
        total = sum((d.amount for d in debits), Decimal(0))
        if not debits or line.currency != "EUR" or total != line.amount:
            out.append([])
            continue
        taken.update(d.pk for d in debits)
        out.append(debits)
    return out
