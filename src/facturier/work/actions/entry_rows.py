"""A row of input checked as an entry's fields, or refused field by field under
`entries.<index>.<field>`, against what one batch looks up once."""

import dataclasses
import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from facturier.clients.models import Client
from facturier.core import reading
from facturier.core.validators import validate_text
from facturier.firms.models import User

from ..models import EntryKind, WorkCode
from ..permissions import may_record_for
from .common import LARGEST, parse_amount
from .hours import MAX_HOURS, parse_hours

EARLIEST = datetime.date(2000, 1, 1)
DESCRIPTION_LENGTH = 2000  # as the API and the pages say


@dataclasses.dataclass
class Batch:
    """What every row of one batch is checked against, looked up once."""

    by: User
    codes: dict[str, WorkCode]
    clients: dict[str, Client]
    staff_ids: set[int]
    today: datetime.date
    # The right is the same for every row of one staff member: asked once per batch.
    allowed: dict[int, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, by, *, client_keys: Iterable[str], today: datetime.date) -> "Batch":
        """The firm's work codes, staff and the clients the rows name, looked up once."""
        ids = [key for key in client_keys if key.isdigit() and len(key) < 19]
        return cls(
            by=by,
            codes=work_codes_by_key(by.firm_id),
            clients={
                str(client.pk): client
                for client in Client.objects.filter(firm_id=by.firm_id, pk__in=ids)
            },
            staff_ids=set(User.objects.filter(firm_id=by.firm_id).values_list("pk", flat=True)),
            today=today,
        )

    def check(self, index: int, row: Mapping[str, Any], refusals: "Refusals") -> dict | None:
        """One row as an Entry's fields, or None with its refusals recorded."""
        refuse = refusals.of_row(f"entries.{index}")
        staff_id = self._staff(row, refuse)
        if staff_id is None:
            return None
        client = self.clients.get(str(row.get("client", "")).strip())
        if client is None:
            refuse("client", _("No such client."), "not_found")
        code = self._code(row)
        if code is None:
            refuse("work_code", _("No such work code."), "not_found")
        day = self._day(row.get("day"), refuse)
        billable = _billable(row.get("billable"), refuse)
        description = str(row.get("description") or "")
        if len(description) > DESCRIPTION_LENGTH:  # refused, never cut without a word
            refuse(
                "description",
                _("At most %(count)d characters (this one has %(length)d).")
                % {"count": DESCRIPTION_LENGTH, "length": len(description)},
                "max_length",
            )
        try:
            validate_text(description)
        except ValidationError:
            refuse("description", _("The text holds a character that cannot be stored."))
        if code is None or client is None or day is None or billable is None:
            return None
        measured = _measure(code, row, refuse)
        if measured is None:
            return None
        return {
            "staff_id": staff_id,
            "client": client,
            "work_code": code,
            "kind": code.kind,
            "day": day,
            "description": description,
            "billable": billable and code.billable,
            **measured,
        }

    def _staff(self, row: Mapping[str, Any], refuse: "_RowRefusals") -> int | None:
        """The staff member the row is for, if this user may record for them."""
        try:
            staff_id = int(row.get("staff") or self.by.pk)
        except (TypeError, ValueError):
            staff_id = None
        if staff_id not in self.staff_ids:
            refuse("staff", _("No such staff member."), "not_found")
            return None
        if staff_id not in self.allowed:
            self.allowed[staff_id] = may_record_for(self.by, staff_id)
        refusal = self.allowed[staff_id]
        if refusal is not None:
            refuse("staff", str(refusal.message), "not_allowed")
            return None
        return staff_id

    def _code(self, row: Mapping[str, Any]) -> WorkCode | None:
        """The work code by its code (any case) or its id."""
        text = str(row.get("work_code", "")).strip()
        return self.codes.get(text.upper()) or self.codes.get(text)

    def _day(self, value, refuse: "_RowRefusals") -> datetime.date | None:
        day = reading.day(value)
        if day is None:
            refuse("day", _("Enter a date as DD/MM/YYYY or YYYY-MM-DD."))
            return None
        if not EARLIEST <= day <= self.today + datetime.timedelta(days=366):
            refuse("day", _("The date is out of range."), "out_of_range")
            return None
        return day


@dataclasses.dataclass
class Refusals:
    """Each refused field's message and code, keyed `<row prefix>.<field>`."""

    errors: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    codes: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    def of_row(self, prefix: str) -> "_RowRefusals":
        return _RowRefusals(self, prefix)


@dataclasses.dataclass
class _RowRefusals:
    refusals: Refusals
    prefix: str

    def __call__(self, field: str, message: str, code: str = "invalid") -> None:
        self.refusals.errors[f"{self.prefix}.{field}"] = [message]
        self.refusals.codes[f"{self.prefix}.{field}"] = [code]


def work_codes_by_key(firm_id: int) -> dict[str, WorkCode]:
    """The firm's work codes by code and by id."""
    codes = {}
    for code in WorkCode.objects.filter(firm_id=firm_id):
        codes[code.code] = code
        codes[str(code.pk)] = code
    return codes


def _billable(value, refuse: "_RowRefusals") -> bool | None:
    """Yes when not said (the work code decides); a word we do not know is refused, never
    read as no."""
    if value is None or value == "":
        return True
    said = reading.yes_no(value)
    if said is None:
        refuse("billable", _("Write yes or no (oui, non, true, false, 1, 0)."))
    return said


def _cents(value: Decimal | None, largest: Decimal) -> bool:
    """A positive amount to the hundredth, at most `largest`."""
    return value is not None and 0 < value <= largest and value == value.quantize(Decimal("0.01"))


def _measure(code: WorkCode, row: Mapping[str, Any], refuse: "_RowRefusals") -> dict | None:
    """Time's hours, or an expense's amount and VAT rate."""
    if code.kind == EntryKind.TIME:
        hours = parse_hours(row.get("hours"))
        if not _cents(hours, MAX_HOURS):
            refuse("hours", _("Enter hours such as 1.5 or 1:30 (at most 24)."))
            return None
        return {"hours": hours}
    amount = parse_amount(row.get("amount", ""))
    if not _cents(amount, LARGEST):
        refuse("amount", _("Enter an amount such as 42.50."))
        return None
    vat = parse_amount(row.get("vat_rate", "0") or "0")
    if vat is None or not 0 <= vat <= 100:
        refuse("vat_rate", _("A VAT rate between 0 and 100."))
        return None
    return {"expense": amount, "vat_rate": vat}
