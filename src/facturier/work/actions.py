"""Every change of work state: work codes, rates, entries; and what invoicing asks of
entries (reserve them for a draft, release them, mark them billed).

Entries come in as rows (a form's one, the API's thousand, a CSV's hundred thousand),
checked all before any is written: a batch is all or nothing, each refused row named
with its field and why.
"""

import csv
import datetime
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.clients.models import Client
from facturier.core import clock
from facturier.core.actions import action
from facturier.core.errors import Frozen, Invalid, NotFound
from facturier.core.validators import validate_text
from facturier.firms import audit
from facturier.firms.actions import require_settings_right
from facturier.firms.models import User

from . import ledger
from . import rates as rate_rules
from .models import BILLED_LOCKED, Entry, Kind, StaffRate, WorkCode
from .permissions import may_record_for

MAX_HOURS = Decimal(24)
LARGEST = Decimal("9999999999.99")
HMM = re.compile(r"^(\d{1,2}):([0-5]\d)$")
RECEIPT_TYPES = {
    b"%PDF-": "application/pdf",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}
MAX_RECEIPT = 5 * 2**20
NO_SUCH_ENTRY = gettext_lazy("No such entry.")


def parse_hours(value) -> Decimal | None:
    """1.5, 1,5 or 1:30 -> Decimal('1.50'); None if it is none of those."""
    text = str(value if value is not None else "").strip()
    if match := HMM.match(text):
        return (Decimal(match[1]) + Decimal(match[2]) / 60).quantize(Decimal("0.01"))
    try:
        hours = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    if not hours.is_finite():
        return None
    return hours


def _amount(value) -> Decimal | None:
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def receipt_type(data: bytes) -> str | None:
    """The receipt's type from its first bytes, not its name."""
    for magic, content_type in RECEIPT_TYPES.items():
        if data.startswith(magic):
            return content_type
    return None


# -- Work codes and rates ---------------------------------------------------------------


@action
def save_work_code(by, *, fields: Mapping[str, Any], pk: int | None = None) -> WorkCode:
    require_settings_right(by)
    code = WorkCode(firm_id=by.firm_id) if pk is None else _own_code(by, pk)
    before = audit.values(code, ["code", "name", "kind", "billable", "default_rate"])
    for name in ("code", "name", "kind", "billable", "default_rate", "surcharge_percent"):
        if name in fields:
            setattr(code, name, fields[name])
    code.code = str(code.code or "").strip().upper()
    _check_model(code, exclude=["firm"])
    if WorkCode.objects.filter(firm_id=by.firm_id, code=code.code).exclude(pk=code.pk).exists():
        raise Invalid(
            {"code": [_("The code %(code)s exists already.") % {"code": code.code}]},
            codes={"code": ["duplicate"]},
        )
    code.save()
    audit.record(
        "work_code.saved",
        code,
        by=by,
        firm_id=by.firm_id,
        details=audit.changes(before, audit.values(code, before)),
    )
    return code


def _check_model(instance, exclude=None) -> None:
    from django.core.exceptions import ValidationError

    try:
        instance.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as exc:
        raise Invalid(
            {f: [str(m) for m in ms] for f, ms in exc.message_dict.items()},
            codes={f: ["invalid"] for f in exc.message_dict},
        ) from None


def _own_code(by, pk) -> WorkCode:
    code = WorkCode.objects.filter(firm_id=by.firm_id, pk=pk).first()
    if code is None:
        raise NotFound(gettext_lazy("No such work code."))
    return code


@action
def import_work_codes(by, data: bytes) -> list[WorkCode]:
    """CSV `Code,Type,Name,Rate,Surcharge` (Type B billable, NB not): all or nothing.
    A code that exists is updated."""
    require_settings_right(by)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n")))
    errors: dict[str, list[str]] = {}
    rows = []
    try:
        for number, row in enumerate(reader, start=1):
            if number == 1 and row and row[0].strip().lower() == "code":
                continue
            if not any(cell.strip() for cell in row):
                continue
            cells = [cell.strip() for cell in row] + [""] * 5
            code, kind, name, rate, surcharge = cells[:5]
            problems = []
            if not code or len(code) > 20:
                problems.append(_("a code of 1 to 20 characters"))
            if kind.upper() not in ("B", "NB"):
                problems.append(_("Type B (billable) or NB (not billable)"))
            if not name:
                problems.append(_("a name"))
            rate_value = _amount(rate) if rate else None
            if rate and (rate_value is None or rate_value < 0 or rate_value > LARGEST):
                problems.append(_("a rate such as 120.00"))
            surcharge_value = _amount(surcharge or "0")
            if surcharge_value is None or not 0 <= surcharge_value <= 1000:
                problems.append(_("a surcharge between 0 and 1000"))
            if problems:
                errors[f"line {number}"] = [_("Needs %(what)s.") % {"what": ", ".join(problems)}]
                continue
            rows.append(
                (code.upper(), kind.upper() == "B", name[:200], rate_value, surcharge_value)
            )
    except csv.Error as exc:
        errors["file"] = [str(exc)]
    if errors or not rows:
        raise Invalid(
            errors or {"file": [_("The file has no work code.")]},
            codes={key: ["invalid"] for key in errors} or {"file": ["empty"]},
        )
    saved = []
    existing = {c.code: c for c in WorkCode.objects.filter(firm_id=by.firm_id)}
    for code, billable, name, rate, surcharge in rows:
        work_code = existing.get(code) or WorkCode(firm_id=by.firm_id, code=code)
        work_code.name, work_code.billable = name, billable
        work_code.default_rate, work_code.surcharge_percent = rate, surcharge
        work_code.save()
        saved.append(work_code)
    audit.record(
        "work_codes.imported", saved[0], by=by, firm_id=by.firm_id, details={"count": len(saved)}
    )
    return saved


@action
def set_rate(
    by,
    *,
    staff: User | int,
    rate,
    effective_from: datetime.date,
    work_code: WorkCode | int | None = None,
    today: datetime.date | None = None,
) -> StaffRate:
    """Add a rate from a day on, or change a future or active one; historical rates stay."""
    require_settings_right(by)
    today = today or timezone.localdate()
    staff_id = staff.pk if isinstance(staff, User) else staff
    if not User.objects.filter(pk=staff_id, firm_id=by.firm_id).exists():
        raise NotFound(gettext_lazy("No such staff member."))
    code_id = work_code.pk if isinstance(work_code, WorkCode) else work_code
    if code_id is not None:
        _own_code(by, code_id)
    value = _amount(rate)
    if value is None or value < 0 or value > LARGEST:
        raise Invalid({"rate": [_("Enter a rate such as 120.00.")]}, codes={"rate": ["invalid"]})
    same = (
        StaffRate.objects.select_for_update(of=("self",))
        .filter(staff_id=staff_id, work_code_id=code_id)
        .order_by("effective_from")
    )
    existing = same.filter(effective_from=effective_from).first()
    if existing is not None:
        successor = (
            same.filter(effective_from__gt=effective_from)
            .order_by("effective_from")
            .values_list("effective_from", flat=True)
            .first()
        )
        if rate_rules.rate_state(existing, successor, today) == "historical":
            raise Invalid(
                {"effective_from": [_("A historical rate cannot be changed.")]},
                codes={"effective_from": ["historical"]},
            )
        existing.rate = value
        existing.save(update_fields=["rate"])
        row = existing
    else:
        row = StaffRate.objects.create(
            firm_id=by.firm_id,
            staff_id=staff_id,
            work_code_id=code_id,
            rate=value,
            effective_from=effective_from,
        )
    audit.record(
        "rate.saved",
        row,
        by=by,
        firm_id=by.firm_id,
        details={"rate": value, "from": effective_from, "work_code": code_id},
    )
    return row


# -- Entries ----------------------------------------------------------------------------


def _codes(firm_id: int) -> dict[str, WorkCode]:
    codes = {}
    for code in WorkCode.objects.filter(firm_id=firm_id):
        codes[code.code] = code
        codes[str(code.pk)] = code
    return codes


def _check_row(
    index, row, *, by, codes, clients, staff_ids, today, errors, codes_out, allowed=None
) -> dict | None:
    """One row as an Entry's fields, or its errors under `entries.<index>.<field>`."""
    prefix = f"entries.{index}"
    found: dict[str, Any] = {}

    def refuse(field, message, code="invalid"):
        errors[f"{prefix}.{field}"] = [message]
        codes_out[f"{prefix}.{field}"] = [code]

    staff_id = row.get("staff") or by.pk
    try:
        staff_id = int(staff_id)
    except (TypeError, ValueError):
        refuse("staff", _("No such staff member."), "not_found")
        return None
    if staff_id not in staff_ids:
        refuse("staff", _("No such staff member."), "not_found")
        return None
    # The right is the same for every row of one staff member: asked once per batch.
    if allowed is None or staff_id not in allowed:
        refusal = may_record_for(by, staff_id)
        if allowed is not None:
            allowed[staff_id] = refusal
    else:
        refusal = allowed[staff_id]
    if refusal is not None:
        refuse("staff", str(refusal.message), "not_allowed")
        return None
    client = clients.get(str(row.get("client", "")).strip())
    if client is None:
        refuse("client", _("No such client."), "not_found")
    code = codes.get(str(row.get("work_code", "")).strip().upper()) or codes.get(
        str(row.get("work_code", "")).strip()
    )
    if code is None:
        refuse("work_code", _("No such work code."), "not_found")
    day = row.get("day")
    if not isinstance(day, datetime.date):
        try:
            day = datetime.date.fromisoformat(str(day).strip())
        except ValueError:
            refuse("day", _("Enter a date as YYYY-MM-DD."))
            day = None
    if day is not None and not (
        datetime.date(2000, 1, 1) <= day <= today + datetime.timedelta(days=366)
    ):
        refuse("day", _("The date is out of range."), "out_of_range")
        day = None
    description = str(row.get("description") or "")[:2000]
    try:
        validate_text(description)
    except ValidationError:
        refuse("description", _("The text holds a character that cannot be stored."))
    billable = row.get("billable", True)
    billable = (
        billable
        if isinstance(billable, bool)
        else str(billable).lower() in ("1", "true", "yes", "b", "on")
    )
    if code is None or client is None or day is None:
        return None
    found.update(
        staff_id=staff_id,
        client=client,
        work_code=code,
        kind=code.kind,
        day=day,
        description=description,
        billable=billable and code.billable,
    )
    if code.kind == Kind.TIME:
        hours = parse_hours(row.get("hours"))
        if (
            hours is None
            or hours <= 0
            or hours > MAX_HOURS
            or hours != hours.quantize(Decimal("0.01"))
        ):
            refuse("hours", _("Enter hours such as 1.5 or 1:30 (at most 24)."))
            return None
        found["hours"] = hours
    else:
        amount = _amount(row.get("amount", ""))
        if (
            amount is None
            or amount <= 0
            or amount > LARGEST
            or amount != amount.quantize(Decimal("0.01"))
        ):
            refuse("amount", _("Enter an amount such as 42.50."))
            return None
        vat = _amount(row.get("vat_rate", "0") or "0")
        if vat is None or not 0 <= vat <= 100:
            refuse("vat_rate", _("A VAT rate between 0 and 100."))
            return None
        found["expense"], found["vat_rate"] = amount, vat
    return found


@action
def record_entries(
    rows: Sequence[Mapping[str, Any]], *, by, now: datetime.datetime | None = None, limit=None
) -> list[Entry]:
    """Record time and expense entries, all or none. Each row: staff (id, default the
    user), client (id), work_code (code or id), day, hours (time: 1.5 or 1:30) or
    amount and vat_rate (expense), description, billable; receipt bytes for one."""
    now = clock.now(now)
    today = timezone.localdate(now)
    if not rows:
        raise Invalid({"entries": [_("No entry to record.")]}, codes={"entries": ["required"]})
    if limit is not None and len(rows) > limit:
        raise Invalid(
            {"entries": [_("At most %(count)d entries at a time.") % {"count": limit}]},
            codes={"entries": ["too_many"]},
        )
    codes = _codes(by.firm_id)
    client_keys = {str(row.get("client", "")).strip() for row in rows}
    clients = {
        str(client.pk): client
        for client in Client.objects.filter(
            firm_id=by.firm_id, pk__in=[k for k in client_keys if k.isdigit() and len(k) < 19]
        )
    }
    staff_ids = set(User.objects.filter(firm_id=by.firm_id).values_list("pk", flat=True))
    errors: dict[str, list[str]] = {}
    codes_out: dict[str, list[str]] = {}
    allowed: dict = {}
    checked = [
        _check_row(
            index,
            row,
            by=by,
            codes=codes,
            clients=clients,
            staff_ids=staff_ids,
            today=today,
            errors=errors,
            codes_out=codes_out,
            allowed=allowed,
        )
        for index, row in enumerate(rows)
    ]
    if errors:
        raise Invalid(errors, codes=codes_out)
    book = rate_rules.RateBook({row["staff_id"] for row in checked})
    entries = []
    for row, raw in zip(checked, rows, strict=True):
        entry = _priced(row, book, firm_id=by.firm_id, created_by=by, created_at=now)
        receipt = raw.get("receipt")
        if receipt:
            _attach_receipt(entry, receipt)
        entries.append(entry)
    Entry.objects.bulk_create(entries, batch_size=2000)
    ledger.entries_entered(entries)
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
    if entry.kind != Kind.EXPENSE:
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


def _lock_entry(by, entry: Entry | int) -> Entry:
    from .permissions import visible_entries

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


ON_A_DRAFT = gettext_lazy("This entry is on a draft invoice: remove it from the draft first.")


@action
def update_entry(by, entry: Entry | int, *, fields: Mapping[str, Any]) -> Entry:
    """Change an entry that no invoice holds; its value follows the rate of its day."""
    entry = _lock_entry(by, entry)
    row = {
        "staff": entry.staff_id,
        "client": entry.client_id,
        "work_code": entry.work_code_id,
        "day": entry.day,
        "hours": entry.hours,
        "amount": None,
        "description": entry.description,
        "billable": entry.billable,
        **fields,
    }
    if entry.kind == Kind.EXPENSE and "amount" not in fields:
        surcharge = Decimal(1) + Decimal(entry.work_code.surcharge_percent or 0) / 100
        row["amount"] = (entry.amount / surcharge).quantize(Decimal("0.01"))
        row.setdefault("vat_rate", entry.vat_rate)
    (new,) = _replace_from(by, row)
    ledger.entries_left([entry])
    before = audit.values(entry, ["day", "hours", "amount", "client_id", "work_code_id"])
    for name in (
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
    ):
        setattr(entry, name, getattr(new, name))
    entry.save()
    ledger.entries_entered([entry])
    audit.record(
        "entry.changed",
        entry,
        by=by,
        firm_id=entry.firm_id,
        details=audit.changes(before, audit.values(entry, before)),
    )
    return entry


def _replace_from(by, row) -> list[Entry]:
    """The entry `row` would make, checked as a new one, without writing it."""
    codes = _codes(by.firm_id)
    clients = (
        {str(c.pk): c for c in Client.objects.filter(firm_id=by.firm_id, pk=row["client"])}
        if str(row["client"]).isdigit() and len(str(row["client"])) < 19
        else {}
    )
    staff_ids = set(User.objects.filter(firm_id=by.firm_id).values_list("pk", flat=True))
    errors: dict = {}
    codes_out: dict = {}
    checked = _check_row(
        0,
        row,
        by=by,
        codes=codes,
        clients=clients,
        staff_ids=staff_ids,
        today=timezone.localdate(),
        errors=errors,
        codes_out=codes_out,
    )
    if errors:
        raise Invalid(
            {k.removeprefix("entries.0."): v for k, v in errors.items()},
            codes={k.removeprefix("entries.0."): v for k, v in codes_out.items()},
        )
    return [_priced(checked, rate_rules.RateBook({checked["staff_id"]}))]


@action
def delete_entry(by, entry: Entry | int) -> None:
    entry = _lock_entry(by, entry)
    audit.record("entry.deleted", entry, by=by, firm_id=entry.firm_id, details={"day": entry.day})
    ledger.entries_left([entry])
    entry.delete()


# -- What invoicing asks -----------------------------------------------------------------


def lock_unbilled(firm_id: int, ids: Iterable[int], client_id: int) -> list[Entry]:
    """The entries, locked, if each is unbilled, billable work of the client; else refused."""
    ids = sorted(set(ids))
    rows = list(
        Entry.objects.select_for_update()
        .filter(firm_id=firm_id, pk__in=ids)
        .select_related("work_code")
        .order_by("pk")
    )
    problems = []
    if len(rows) != len(ids):
        problems.append(_("Some entries do not exist."))
    for entry in rows:
        if entry.client_id != client_id:
            problems.append(_("Entry %(id)d is another client's.") % {"id": entry.pk})
        elif entry.state != Entry.State.UNBILLED:
            problems.append(_("Entry %(id)d is on an invoice already.") % {"id": entry.pk})
    if problems:
        raise Invalid({"entries": problems}, codes={"entries": ["not_billable"]})
    return rows


def set_state(
    entry_ids: Iterable[int], state: str, *, amounts: Mapping[int, Decimal] | None = None
) -> None:
    """Move entries along WIP: drafted (on a draft), billed (with what was charged), or
    back to unbilled. Called by the invoicing actions, in their transaction; the WIP
    months follow."""
    ids = list(entry_ids)
    if not ids:
        return
    entries = list(Entry.objects.filter(pk__in=ids).only(*ledger.FIELDS, "pk"))
    leaving = [e for e in entries if ledger.in_wip(e.state, e.billable)]
    for entry in entries:
        entry.state = state
    # One UPDATE for the state, one per distinct billed amount (a pro-rata split has few):
    # not a CASE per row, which costs seconds at thousands of entries.
    Entry.objects.filter(pk__in=ids).update(state=state, billed_amount=None)
    by_amount: dict[Decimal, list[int]] = defaultdict(list)
    for pk, amount in (amounts or {}).items():
        by_amount[amount].append(pk)
    for amount, pks in by_amount.items():
        Entry.objects.filter(pk__in=pks).update(billed_amount=amount)
    if not ledger.in_wip(state, True):
        ledger.left(ledger.row_of(entry) for entry in leaving)
    else:
        ledger.entries_entered([e for e in entries if e.billable and e not in leaving])


def spread(total: Decimal, days: Sequence[datetime.date]) -> list[tuple[datetime.date, Decimal]]:
    """`total` hours evenly over `days`, to the hundredth; the last day takes what
    rounding leaves, so the parts add up to the total."""
    if not days:
        return []
    share = (total / len(days)).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    parts = [share] * len(days)
    parts[-1] = total - share * (len(days) - 1)
    return list(zip(days, parts, strict=True))


def workdays(start: datetime.date, end: datetime.date, weekdays: set[int]) -> list[datetime.date]:
    """The days from start to end (at most a year) falling on `weekdays` (0 = Monday)."""
    days, day = [], start
    while day <= end and len(days) < 366:
        if day.weekday() in weekdays:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


@action
def refresh_wip_today(firm_id: int, day: datetime.date | None = None) -> int:
    """Age the firm's WIP as of `day` (today): the WIP tab then reads it ready."""
    return ledger.refresh_today(firm_id, day or timezone.localdate())


def refresh_stale_wip() -> int:
    """The worker's pass: every firm with work whose WIP is not aged as of today."""
    from .models import WipAsOf

    today = timezone.localdate()
    current = set(WipAsOf.objects.filter(day=today).values_list("firm_id", flat=True))
    done = 0
    for firm_id in Entry.objects.values_list("firm_id", flat=True).distinct().order_by():
        if firm_id not in current:
            refresh_wip_today(firm_id, today)
            done += 1
    return done
