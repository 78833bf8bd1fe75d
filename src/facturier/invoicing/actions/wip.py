"""From work in progress to a draft invoice, and what the lifecycle does to its entries.

A draft from WIP holds its entries (they leave the WIP tab); deleting the draft gives
them back; finalizing marks them billed with what the invoice charged for each;
a credit note that says so returns them to WIP. The entries' recorded hours and value
never change: the write-up or write-down is kept on the link (InvoiceEntry).
"""

import datetime
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from facturier.clients.models import Client
from facturier.clients.permissions import visible_clients
from facturier.core import clock, reading
from facturier.core.actions import action
from facturier.core.errors import Invalid, NotFound
from facturier.core.formatting import Formatter
from facturier.firms.models import User
from facturier.work import actions as work
from facturier.work.models import Entry, EntryKind

from .. import permissions
from ..lifecycle import Action
from ..models import Invoice, InvoiceEntry
from .audit import record_event, require
from .deductions import attach_deposits, deposits_that_fit, deposits_to_deduct
from .invoices import create_draft

CENT = Decimal("0.01")
TYPES = ("work", "interim", "final", "fixed")
GROUPINGS = ("work_code", "entry")


def _money(value, field: str) -> Decimal:
    """An amount as typed (1 200,50 or 1200.50), zero or more, in cents."""
    amount = reading.decimal(value)
    if amount is not None and amount < 0:
        raise Invalid({field: [_("An amount cannot be negative.")]}, codes={field: ["negative"]})
    if amount is None or amount > Decimal("9999999999.99"):
        example = Formatter(get_language() or "en", "EUR").amount(Decimal("1200"))  # cents
        raise Invalid(
            {field: [_("Enter an amount such as %(example)s.") % {"example": example}]},
            codes={field: ["invalid"]},
        )
    if amount != amount.quantize(CENT):
        raise Invalid(
            {field: [_("Use at most 2 decimal places.")]}, codes={field: ["decimal_places"]}
        )
    return amount


def bill_target(value: Decimal, *, amount=None, percent=None) -> Decimal:
    """What a bill of entries worth `value` charges: `amount` as typed, or `value` written
    up or down by `percent` (-10: ten percent less), or `value` itself."""
    if percent in (None, ""):
        return value if amount in (None, "") else _money(amount, "amount")
    if amount not in (None, ""):
        raise Invalid(
            {"percent": [_("Give an amount or a percentage, not both.")]},
            codes={"percent": ["conflict"]},
        )
    rate = reading.decimal(percent)
    if rate is None or not Decimal(-100) <= rate <= Decimal(1000):
        raise Invalid(
            {"percent": [_("Enter a percentage between -100 and 1000, such as -10.")]},
            codes={"percent": ["invalid"]},
        )
    return (value * (100 + rate) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def realization_percent(value: Decimal, billed: Decimal) -> Decimal | None:
    """Billed ÷ standard value, in percent to the tenth (None without value)."""
    if not value:
        return None
    return (billed * 100 / value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def pro_rata(values: Mapping[int, Decimal], target: Decimal) -> dict[int, Decimal]:
    """Spread `target` over the entries in proportion to their values, to the cent; the
    cents left by rounding go to the largest values first, so the sum is exact."""
    total = sum(values.values(), Decimal(0))
    if not values:
        return {}
    if total == 0:
        share = {pk: Decimal(0) for pk in values}
        first = max(values, key=lambda pk: pk)
        share[first] = target
        return share
    share = {
        pk: (value * target / total).quantize(CENT, rounding=ROUND_HALF_UP)
        for pk, value in values.items()
    }
    rest = target - sum(share.values(), Decimal(0))
    step = CENT if rest > 0 else -CENT
    for pk in sorted(values, key=lambda pk: (-values[pk], pk)):
        if rest == 0:
            break
        if share[pk] + step >= 0:
            share[pk] += step
            rest -= step
    return share


@action
def draft_from_wip(
    *,
    by: User,
    client: Client | int,
    entries: Sequence[int] = (),
    bill: str = "work",
    amount=None,
    percent=None,
    billed: Mapping[int, Any] | None = None,
    reason: str = "",
    grouping: str = "work_code",
    vat_rate=None,
    cutoff: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Invoice:
    """A draft billing entries of one client. `bill`: "work" bills the entries (at their
    WIP value unless `amount` is typed); "interim" bills work to date on account (the
    selected entries' value, or `amount`) and leaves them in WIP; "final" bills the
    entries and deducts the client's interim invoices not deducted yet; "fixed" bills
    the agreed `amount`, entries optional.
    A different amount is spread pro rata over the entries, or by hand (`billed`: entry
    id -> amount), which must add up to the amount to the cent. `grouping`: one line
    per work code or per entry. `cutoff`: entries after it are flagged by the page; the
    action bills what it is given. `percent`: see bill_target().
    """
    found = _client(by, client)
    _check_choices(bill=bill, grouping=grouping, entries=entries, amount=amount)
    rows = work.lock_unbilled(found.firm_id, entries, found.pk) if entries else []
    if bill == "interim":
        return _interim(by, found, rows, amount=amount, vat_rate=vat_rate, cutoff=cutoff, now=now)
    _refuse_unbillable(rows)
    value = sum((entry.amount for entry in rows), Decimal(0))
    target = bill_target(value, amount=amount, percent=percent)
    shares = _shares(rows, target, billed, currency=found.currency)
    _check_reason(reason, differs=target != value and bool(rows))
    vat = found.firm.default_vat_rate if vat_rate in (None, "") else vat_rate
    lines = _lines(rows, shares, grouping=grouping, vat_rate=vat, client=found)
    if bill == "fixed" and not rows:
        lines = [_line(_("Fixed fee"), target, vat)]
    interims = _interims(found) if bill == "final" else []
    lines += _deductions(interims, target, found)
    invoice = create_draft(by=by, client=found, lines=lines, now=now)
    Invoice.objects.filter(pk=invoice.pk).update(wip_bill=bill)
    _deduct(invoice, interims, final=bill == "final")
    _hold_entries(invoice, rows, shares, reason)
    record_event(
        invoice,
        Action.FROM_WIP,
        by=by,
        at=clock.now(now),
        details={
            "from_wip": len(rows),
            "wip_value": str(value),
            "billed": str(target),
            "adjustment": str(target - value),
            "reason": reason.strip(),
            "cutoff": cutoff.isoformat() if cutoff else None,
        },
    )
    return invoice


def _deduct(invoice: Invoice, interims: list[Invoice], *, final: bool) -> None:
    """A final invoice deducts the interims (as lines) and the deposits paid (as a paid
    amount, see deposits.py)."""
    Invoice.objects.filter(pk__in=[i.pk for i in interims]).update(deducted_by=invoice)
    if final:
        paid = deposits_to_deduct(invoice.client_id)
        attach_deposits(invoice, deposits_that_fit(paid, invoice))


def _client(by, client: Client | int) -> Client:
    """The client, if the user sees it and may draft its invoices."""
    client_id = client.pk if isinstance(client, Client) else client
    found = visible_clients(by).filter(pk=client_id).select_related("firm").first()
    if found is None:
        raise NotFound(_("No such client."))
    require(permissions.create_refusal(by, found.pk))
    return found


def _refuse_unbillable(rows: list[Entry]) -> None:
    unbillable = [entry.pk for entry in rows if not entry.billable]
    if unbillable:
        raise Invalid(
            {"entries": [_("Entry %(id)d is not billable.") % {"id": unbillable[0]}]},
            codes={"entries": ["not_billable"]},
        )


def _reader(currency: str) -> Formatter:
    """Amounts in a message to the user, in the language the user reads."""
    return Formatter(get_language() or "en", currency)


def _shares(rows: list[Entry], target: Decimal, billed, *, currency: str) -> dict[int, Decimal]:
    """What each entry bills of the target: as typed (`billed`), else pro rata."""
    values = {entry.pk: entry.amount for entry in rows}
    return _by_hand(values, target, billed, currency) if billed else pro_rata(values, target)


def _check_choices(*, bill: str, grouping: str, entries: Sequence[int], amount) -> None:
    """Refuse an unknown kind of bill or grouping, or a bill missing what it needs."""
    errors: dict[str, list[str]] = {}
    codes: dict[str, list[str]] = {}
    if bill not in TYPES:
        errors["bill"], codes["bill"] = [_("Choose work or fixed fee.")], ["invalid_choice"]
    if grouping not in GROUPINGS:
        errors["grouping"], codes["grouping"] = [_("Choose a grouping.")], ["invalid_choice"]
    if bill in ("work", "interim", "final") and not entries:
        errors["entries"], codes["entries"] = [_("Select at least one entry.")], ["required"]
    if bill == "fixed" and amount in (None, ""):
        errors["amount"], codes["amount"] = [_("Enter the agreed amount.")], ["required"]
    if errors:
        raise Invalid(errors, codes=codes)


def _by_hand(
    values: Mapping[int, Decimal], target: Decimal, billed: Mapping[int, Any], currency: str
) -> dict[int, Decimal]:
    """Each entry's amount as typed (entry id or its text -> amount), adding up to the
    target to the cent."""
    shares = {}
    for pk in values:
        raw = billed.get(pk, billed.get(str(pk)))
        shares[pk] = _money(raw if raw not in (None, "") else "0", f"billed.{pk}")
    difference = sum(shares.values(), Decimal(0)) - target
    if difference:
        raise Invalid(
            {
                "billed": [
                    _("The amounts add up to %(sum)s, not %(target)s: %(diff)s to allocate.")
                    % {
                        "sum": _reader(currency).money(target + difference),
                        "target": _reader(currency).money(target),
                        "diff": _reader(currency).money(-difference),
                    }
                ]
            },
            codes={"billed": ["unbalanced"]},
        )
    return shares


def _check_reason(reason: str, *, differs: bool) -> None:
    """A reason of at most 200 characters, required when the amount differs from WIP."""
    if reason and len(reason) > 200:
        raise Invalid({"reason": [_("At most 200 characters.")]}, codes={"reason": ["max_length"]})
    if differs and not reason.strip():
        raise Invalid(
            {"reason": [_("Say why the amount differs from the work in progress.")]},
            codes={"reason": ["required"]},
        )


def _deductions(interims: list[Invoice], target: Decimal, client: Client) -> list[dict]:
    """A line taking off each interim invoice, unless together they exceed the bill."""
    deducted = sum((interim.total_net for interim in interims), Decimal(0))
    if deducted > target:
        raise Invalid(
            {
                "amount": [
                    _(
                        "The interim invoices (%(deducted)s) exceed what this invoice bills: "
                        "issue a credit note instead."
                    )
                    % {"deducted": _reader(client.currency).money(deducted)}
                ]
            },
            codes={"amount": ["interims_exceed"]},
        )
    fmt = Formatter(client.language, client.currency)
    return [_deduction(interim, client.language, fmt) for interim in interims]


def _hold_entries(invoice: Invoice, rows: list[Entry], shares, reason: str) -> None:
    """Link the entries to the draft, each with what it bills, and take them out of WIP."""
    InvoiceEntry.objects.bulk_create(
        [
            InvoiceEntry(
                invoice=invoice,
                entry_id=entry.pk,
                value=entry.amount,
                amount=shares[entry.pk],
                reason=reason.strip() if shares[entry.pk] != entry.amount else "",
            )
            for entry in rows
        ],
        batch_size=2000,
    )
    work.set_state([entry.pk for entry in rows], Entry.State.DRAFTED)


def _interims(client: Client) -> list[Invoice]:
    """The client's issued interim invoices that no final invoice deducts yet."""
    from ..lifecycle import InvoiceStatus

    return list(
        Invoice.objects.select_for_update(of=("self",))
        .filter(
            client=client,
            wip_bill="interim",
            status__in=[InvoiceStatus.FINALIZED, InvoiceStatus.CLOSED],
            deducted_by__isnull=True,
        )
        .order_by("issue_date", "pk")
    )


def _deduction(interim: Invoice, language: str, fmt: Formatter) -> dict:
    """A line taking an interim invoice off: a negative quantity of a positive price
    (EN 16931 refuses negative prices, not negative quantities)."""
    from django.utils import translation

    line = interim.lines.order_by("position").first()
    with translation.override(language):
        description = _("Less interim invoice %(number)s of %(date)s") % {
            "number": interim.number,
            "date": fmt.date(interim.issue_date),
        }
    return {
        "description": description,
        "quantity": "-1",
        "unit_price": str(interim.total_net),
        "vat_rate": str(line.vat_rate if line else 0),
    }


def _interim(by, client: Client, rows, *, amount, vat_rate, cutoff, now) -> Invoice:
    """Work to date billed on account: the entries stay in WIP for the final invoice."""
    from django.utils import translation

    value = sum((entry.amount for entry in rows), Decimal(0))
    target = value if amount in (None, "") else _money(amount, "amount")
    if target <= 0:
        raise Invalid(
            {"amount": [_("An interim invoice bills more than zero.")]},
            codes={"amount": ["not_positive"]},
        )
    vat = client.firm.default_vat_rate if vat_rate in (None, "") else vat_rate
    day = cutoff or max((entry.day for entry in rows), default=None)
    fmt = Formatter(client.language, client.currency)
    with translation.override(client.language):
        description = _("Interim invoice: work to %(day)s") % {"day": fmt.date(day)}
    invoice = create_draft(by=by, client=client, lines=[_line(description, target, vat)], now=now)
    Invoice.objects.filter(pk=invoice.pk).update(wip_bill="interim")
    invoice.wip_bill = "interim"
    record_event(
        invoice,
        Action.FROM_WIP,
        by=by,
        at=clock.now(now),
        details={"interim": True, "wip_value": str(value), "billed": str(target)},
    )
    return invoice


def _line(description: str, amount: Decimal, vat_rate, quantity: Decimal = Decimal(1)) -> dict:
    return {
        "description": description,
        "quantity": str(quantity),
        "unit_price": str(amount),
        "vat_rate": str(vat_rate),
    }


def _lines(rows: list[Entry], shares, *, grouping: str, vat_rate, client: Client) -> list[dict]:
    """The draft's lines, their texts in the client's language (numbers and dates too)."""
    from django.utils import translation

    lines = []
    fmt, language = Formatter(client.language, client.currency), client.language
    with translation.override(language):
        if grouping == "entry":
            for entry in sorted(rows, key=lambda e: (e.day, e.pk)):
                what = entry.description or entry.work_code.name
                if entry.kind == EntryKind.TIME:
                    what = _("%(day)s — %(what)s (%(hours)s h)") % {
                        "day": fmt.date(entry.day),
                        "what": what,
                        "hours": fmt.number(entry.hours),
                    }
                rate = entry.vat_rate if entry.kind == EntryKind.EXPENSE else vat_rate
                lines.append(_line(what, shares[entry.pk], rate))
            return lines
        groups: dict[tuple, list[Entry]] = defaultdict(list)
        for entry in rows:
            rate = entry.vat_rate if entry.kind == EntryKind.EXPENSE else vat_rate
            groups[entry.work_code.code, entry.kind, Decimal(rate)].append(entry)
        for (_code, kind, rate), group in sorted(groups.items(), key=lambda item: item[0][:2]):
            total = sum((shares[entry.pk] for entry in group), Decimal(0))
            lines.append(_line(_group_text(kind, group, fmt), total, rate))
    return lines


def _group_text(kind, group: list[Entry], fmt: Formatter) -> str:
    """A work code's line: its hours and the days they were worked ("le 7 décembre
    2026" for one day, not "du 7 décembre 2026 au 7 décembre 2026"), or how many
    expenses (one expense is not "1 expenses"). In the active language."""
    name = group[0].work_code.name
    if kind != EntryKind.TIME:
        count = len(group)
        text = ngettext("%(name)s: %(count)d expense", "%(name)s: %(count)d expenses", count)
        return text % {"name": name, "count": count}
    hours = fmt.number(sum((entry.hours for entry in group), Decimal(0)))
    first = min(entry.day for entry in group)
    last = max(entry.day for entry in group)
    if first == last:
        return _("%(name)s: %(hours)s h, on %(day)s") % {
            "name": name,
            "hours": hours,
            "day": fmt.date(first),
        }
    return _("%(name)s: %(hours)s h, %(first)s to %(last)s") % {
        "name": name,
        "hours": hours,
        "first": fmt.date(first),
        "last": fmt.date(last),
    }


def wip_lines(
    rows: list[Entry], target: Decimal, *, vat_rate, client: Client
) -> tuple[list[dict], dict[int, Decimal]]:
    """For a draft another action makes (an engagement's period): the lines billing the
    entries for `target` (spread pro rata over them, one line per work code) and what
    each entry bills. The entries come locked from `work.lock_unbilled`."""
    _refuse_unbillable(rows)
    shares = pro_rata({entry.pk: entry.amount for entry in rows}, target)
    return _lines(rows, shares, grouping="work_code", vat_rate=vat_rate, client=client), shares


def hold_on_draft(
    invoice: Invoice,
    rows: list[Entry],
    shares: Mapping[int, Decimal],
    *,
    by: User,
    reason: str,
    now: datetime.datetime | None = None,
) -> None:
    """The entries `wip_lines` billed, taken into `invoice` as `draft_from_wip` does:
    linked with their WIP value and what the draft charges (the difference is the
    write-down, with its reason), out of WIP, on the invoice's history."""
    if not rows:
        return
    value = sum((entry.amount for entry in rows), Decimal(0))
    target = sum(shares.values(), Decimal(0))
    Invoice.objects.filter(pk=invoice.pk).update(wip_bill="work")
    _hold_entries(invoice, rows, shares, reason)
    record_event(
        invoice,
        Action.FROM_WIP,
        by=by,
        at=clock.now(now),
        details={
            "from_wip": len(rows),
            "wip_value": str(value),
            "billed": str(target),
            "adjustment": str(target - value),
            "reason": reason.strip() if target != value else "",
            "cutoff": None,
        },
    )
