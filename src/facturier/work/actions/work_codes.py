"""The firm's work codes: saved one at a time, or imported from a CSV file."""

import csv
import io
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

from facturier.core import reading
from facturier.core.actions import action
from facturier.core.errors import Invalid
from facturier.core.validators import has_control_characters
from facturier.firms import audit
from facturier.firms.actions import require_settings_right
from facturier.firms.models import User

from ..models import WorkCode
from .common import LARGEST, check_model, own_code, parse_amount


@action
def save_work_code(*, by: User, fields: Mapping[str, Any], pk: int | None = None) -> WorkCode:
    require_settings_right(by)
    code = WorkCode(firm_id=by.firm_id) if pk is None else own_code(by, pk)
    before = audit.values(code, ["code", "name", "kind", "billable", "default_rate"])
    for name in ("code", "name", "kind", "billable", "default_rate", "surcharge_percent"):
        if name in fields:
            setattr(code, name, fields[name])
    code.code = str(code.code or "").strip().upper()
    check_model(code, exclude=["firm"])
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


class _CodeRow(NamedTuple):
    code: str
    billable: bool
    name: str
    rate: Decimal | None
    surcharge: Decimal


@action
def import_work_codes(data: bytes, *, by: User) -> list[WorkCode]:
    """CSV `Code,Type,Name,Rate,Surcharge` (or `Code;Type;Nom;Taux;Majoration`; Type B
    billable, NB not, or a yes/no word in either language): all or nothing, every refused
    line named. A code that exists is updated."""
    require_settings_right(by)
    rows = _read_code_rows(data)
    saved = []
    existing = {c.code: c for c in WorkCode.objects.filter(firm_id=by.firm_id)}
    for row in rows:
        work_code = existing.get(row.code) or WorkCode(firm_id=by.firm_id, code=row.code)
        work_code.name, work_code.billable = row.name, row.billable
        work_code.default_rate, work_code.surcharge_percent = row.rate, row.surcharge
        check_model(work_code, exclude=["firm"])  # the model's own rules, as one by one
        work_code.save()
        saved.append(work_code)
    audit.record(
        "work_codes.imported", saved[0], by=by, firm_id=by.firm_id, details={"count": len(saved)}
    )
    return saved


def _read_code_rows(data: bytes) -> list[_CodeRow]:
    """Every work code of the file, or Invalid naming each refused line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect=dialect)
    errors: dict[str, list[str]] = {}
    rows = []
    try:
        for number, row in enumerate(reader, start=1):
            if number == 1 and row and reading.plain(row[0]) == "code":
                continue  # the header
            if not any(cell.strip() for cell in row):
                continue
            read = _code_row(row)
            if isinstance(read, _CodeRow):
                rows.append(read)
            else:
                errors[f"line {number}"] = [_("Needs %(what)s.") % {"what": ", ".join(read)}]
    except csv.Error as exc:
        errors["file"] = [str(exc)]
    if errors or not rows:
        raise Invalid(
            errors or {"file": [_("The file has no work code.")]},
            codes={key: ["invalid"] for key in errors} or {"file": ["empty"]},
        )
    return rows


def _code_row(row: list[str]) -> _CodeRow | list[str]:
    """One line's work code, or what it lacks."""
    cells = [cell.strip() for cell in row] + [""] * 5
    code, kind, name, rate, surcharge = cells[:5]
    problems = []
    if any(has_control_characters(cell) for cell in row):
        problems.append(_("no control characters"))
    if not code or len(code) > 20:
        problems.append(_("a code of 1 to 20 characters"))
    billable = _billable_type(kind)
    if billable is None:
        problems.append(_("Type B (billable) or NB (not billable)"))
    if not name or len(name) > 200:
        problems.append(_("a name of 1 to 200 characters"))
    rate_value = parse_amount(rate) if rate else None
    if rate and (rate_value is None or rate_value < 0 or rate_value > LARGEST):
        problems.append(_("a rate such as 120.00"))
    surcharge_value = parse_amount(surcharge or "0")
    if surcharge_value is None or not 0 <= surcharge_value <= 1000:
        problems.append(_("a surcharge between 0 and 1000"))
    if problems:
        return problems
    return _CodeRow(code.upper(), billable, name, rate_value, surcharge_value)


def _billable_type(kind: str) -> bool | None:
    """B or NB, "facturable" or "non facturable", or a yes/no word; None for anything else."""
    word = reading.plain(kind)
    known = {"b": True, "nb": False, "billable": True, "facturable": True}
    known |= {"not_billable": False, "non_billable": False, "non_facturable": False}
    return known[word] if word in known else reading.yes_no(kind)
