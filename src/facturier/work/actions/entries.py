"""Time and expense entries: recorded, changed while no invoice holds them, deleted.

Entries come in as rows (a form's one, the API's thousand, a CSV's hundred thousand),
checked all before any is written: a batch is all or nothing, each refused row named
with its field and why.
"""

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.core import clock
from facturier.core.actions import action
from facturier.core.errors import Frozen, Invalid, NotFound
from facturier.firms import audit
from facturier.firms.models import User

from .. import rates as rate_rules
from .. import wip_totals
from ..events import KEEP, AuditName, entries_saved
from ..models import BILLED_LOCKED, Entry, EntryKind
from ..permissions import may_record_for, visible_entries
from .entry_rows import Batch, Refusals

RECEIPT_TYPES = {
    b"%PDF-": "application/pdf",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}
MAX_RECEIPT = 5 * 2**20
NO_SUCH_ENTRY = gettext_lazy("No such entry.")
ON_A_DRAFT = gettext_lazy("This entry is on a draft invoice: remove it from the draft first.")
# What an update copies from the entry the changed row makes.
CHANGED_FIELDS = (
    "staff_id",
    "client_id",
    "work_code_id",
    "kind",
    "day",
    "hours",
    "rate",
    "amount",
    "vat_rate",
    "description",
    "billable",
)


def receipt_type(data: bytes) -> str | None:
    """The receipt's type from its first bytes, not its name."""
    for magic, content_type in RECEIPT_TYPES.items():
        if data.startswith(magic):
            return content_type
    return None


@action
def record_entries(
    rows: Sequence[Mapping[str, Any]], *, by: User, now: datetime.datetime | None = None, limit=None
) -> list[Entry]:
    """Record time and expense entries, all or none. Each row: staff (id, default the
    user), client (id), work_code (code or id), day, hours (time: 1.5 or 1:30) or
    amount and vat_rate (expense), description, billable, mission (id or name; empty:
    the client's engagement says); receipt bytes for one."""
    now = clock.now(now)
    if not rows:
        raise Invalid({"entries": [_("No entry to record.")]}, codes={"entries": ["required"]})
    if limit is not None and len(rows) > limit:
        raise Invalid(
            {"entries": [_("At most %(count)d entries at a time.") % {"count": limit}]},
            codes={"entries": ["too_many"]},
        )
    batch = Batch.of(
        by,
        client_keys={str(row.get("client", "")).strip() for row in rows},
        today=timezone.localdate(now),
    )
    refusals = Refusals()
    checked = [batch.check(index, row, refusals) for index, row in enumerate(rows)]
    if refusals.errors:
        raise Invalid(refusals.errors, codes=refusals.codes)
    book = rate_rules.RateBook({row["staff_id"] for row in checked})
    entries = []
    for row, raw in zip(checked, rows, strict=True):
        entry = _priced(row, book, firm_id=by.firm_id, created_by=by, created_at=now)
        receipt = raw.get("receipt")
        if receipt:
            _attach_receipt(entry, receipt)
        entries.append(entry)
    Entry.objects.bulk_create(entries, batch_size=2000)
    wip_totals.entries_entered(entries)
    entries_saved(entries, missions=[row.get("mission") for row in rows], by=by)
    return entries


def _priced(checked: dict, book: rate_rules.RateBook, **fields) -> Entry:
    """An Entry from a checked row, at the rate in force on its day."""
    expense = checked.pop("expense", None)
    rate, amount = book.priced(
        checked["staff_id"],
        checked["work_code"],
        checked["day"],
        hours=checked.get("hours"),
        amount=expense,
    )
    return Entry(rate=rate, amount=amount, **checked, **fields)


def _attach_receipt(entry: Entry, data: bytes) -> None:
    if entry.kind != EntryKind.EXPENSE:
        raise Invalid(
            {"receipt": [_("Only an expense has a receipt.")]}, codes={"receipt": ["invalid"]}
        )
    if len(data) > MAX_RECEIPT:
        raise Invalid(
            {"receipt": [_("A receipt is at most 5 MB.")]}, codes={"receipt": ["too_large"]}
        )
    content_type = receipt_type(data)
    if content_type is None:
        raise Invalid(
            {"receipt": [_("A receipt is a PDF, JPEG or PNG file.")]},
            codes={"receipt": ["invalid_type"]},
        )
    entry.receipt, entry.receipt_type = data, content_type


@action
def attach_receipt(entry: Entry | int, *, by: User, data: bytes) -> Entry:
    """Attach (or replace) the receipt of an expense no invoice holds yet."""
    entry = _lock_entry(by, entry)
    replaced = entry.receipt is not None
    _attach_receipt(entry, bytes(data))
    entry.save(update_fields=["receipt", "receipt_type"])
    audit.record(
        AuditName.RECEIPT_ATTACHED,
        entry,
        by=by,
        firm_id=entry.firm_id,
        details={"type": entry.receipt_type, "bytes": len(data), "replaced": replaced},
    )
    return entry


def _lock_entry(by, entry: Entry | int) -> Entry:
    pk = entry.pk if isinstance(entry, Entry) else entry
    try:
        found = (
            visible_entries(by)
            .select_for_update(of=("self",))
            .select_related("work_code")
            .get(pk=pk)
        )
    except (Entry.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(NO_SUCH_ENTRY) from None
    refusal = may_record_for(by, found.staff_id)
    if refusal is not None:
        raise refusal
    if found.state != Entry.State.UNBILLED:
        raise Frozen(BILLED_LOCKED if found.state == Entry.State.BILLED else ON_A_DRAFT)
    return found


@action
def update_entry(entry: Entry | int, *, by: User, fields: Mapping[str, Any]) -> Entry:
    """Change an entry that no invoice holds; its value follows the rate of its day."""
    entry = _lock_entry(by, entry)
    row = {**_as_row(entry), **fields}
    if entry.kind == EntryKind.EXPENSE and "amount" not in fields:
        row["amount"] = _before_surcharge(entry)
        row.setdefault("vat_rate", entry.vat_rate)
    new = _replace_from(by, row)
    wip_totals.entries_left([entry])
    before = audit.values(entry, ["day", "hours", "amount", "client_id", "work_code_id"])
    for name in CHANGED_FIELDS:
        setattr(entry, name, getattr(new, name))
    entry.save()
    wip_totals.entries_entered([entry])
    entries_saved([entry], missions=[fields.get("mission", KEEP)], by=by, new=False)
    audit.record(
        AuditName.ENTRY_CHANGED,
        entry,
        by=by,
        firm_id=entry.firm_id,
        details=audit.changes(before, audit.values(entry, before)),
    )
    return entry


def _as_row(entry: Entry) -> dict[str, Any]:
    """The entry as a row to record, but for an expense's amount."""
    return {
        "staff": entry.staff_id,
        "client": entry.client_id,
        "work_code": entry.work_code_id,
        "day": entry.day,
        "hours": entry.hours,
        "amount": None,
        "description": entry.description,
        "billable": entry.billable,
    }


def _before_surcharge(entry: Entry) -> Decimal:
    """The expense's amount as entered, before its work code's surcharge."""
    surcharge = Decimal(1) + Decimal(entry.work_code.surcharge_percent or 0) / 100
    return (entry.amount / surcharge).quantize(Decimal("0.01"))


def _replace_from(by, row) -> Entry:
    """The entry `row` would make, checked as a new one, without writing it."""
    batch = Batch.of(by, client_keys={str(row["client"])}, today=timezone.localdate())
    refusals = Refusals()
    checked = batch.check(0, row, refusals)
    if refusals.errors:
        raise Invalid(
            {k.removeprefix("entries.0."): v for k, v in refusals.errors.items()},
            codes={k.removeprefix("entries.0."): v for k, v in refusals.codes.items()},
        )
    return _priced(checked, rate_rules.RateBook({checked["staff_id"]}))


@action
def delete_entry(entry: Entry | int, *, by: User) -> None:
    entry = _lock_entry(by, entry)
    audit.record(
        AuditName.ENTRY_DELETED, entry, by=by, firm_id=entry.firm_id, details={"day": entry.day}
    )
    wip_totals.entries_left([entry])
    entry.delete()
