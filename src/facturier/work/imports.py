"""Importing time and expense entries from a CSV file: a dry run that lists each
refused row and why, then all or nothing.

Columns (header names in English or French, any order): staff / collaborateur
(username), client (id or exact name), work_code / code, date (DD/MM/YYYY or
YYYY-MM-DD), hours / heures (1.5, 1,5 or 1:30) or amount / montant, vat_rate / tva,
description / libellé, billable / facturable (oui, non, yes, no, vrai, faux, true,
false, 1, 0; empty: as the work code says), mission (its name or id; empty: the
client's engagement says). A column or a value it does not know is
refused with its line, never read as a default. The file is read twice, row by row, and written in
batches inside one transaction: memory stays flat whatever its size.
"""

import csv
import datetime
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from facturier.clients.models import Client
from facturier.core import charsets, clock, reading
from facturier.core.actions import action
from facturier.core.errors import Invalid
from facturier.firms.models import User

from . import rates as rate_rules
from . import wip_totals
from .actions.entry_rows import Batch, Refusals, work_codes_by_key
from .events import entries_saved
from .models import Entry

REQUIRED = ("client", "work_code", "date")
# Each column's names, English and French, as reading.plain() writes them.
COLUMN_NAMES = {
    "staff": ("staff", "collaborateur", "intervenant", "utilisateur", "salarie"),
    "client": ("client", "client_id", "dossier"),
    "work_code": ("work_code", "code", "code_de_travail", "code_travail", "prestation"),
    "date": ("date", "day", "jour"),
    "hours": ("hours", "heures", "duree", "temps"),
    "amount": ("amount", "montant"),
    "vat_rate": ("vat_rate", "vat", "tva", "taux_de_tva", "taux_tva"),
    "description": ("description", "libelle", "commentaire"),
    "billable": ("billable", "facturable"),
    "mission": ("mission", "mission_id"),
}
ROW_FIELD_COLUMNS = {"day": "date"}  # an entry's field: the column it comes from
COLUMNS_BY_NAME = {name: column for column, names in COLUMN_NAMES.items() for name in names}
MAX_LISTED = 200  # refused rows listed; the count says how many in all
MAX_BYTES = 64 * 2**20
BATCH = 5000


@dataclass
class ImportReport:
    rows: int = 0
    refused: list[tuple[int, str, str]] = field(default_factory=list)  # line, field, why
    refused_count: int = 0
    written: int = 0
    headers: dict[str, str] = field(default_factory=dict)  # column: its name in the file

    @property
    def ok(self) -> bool:
        return self.refused_count == 0 and self.rows > 0

    def column(self, key: str) -> str:
        """A refused field named as the file names its column ("Date", "Facturable"),
        not by the entry's field: the person reads their own header back."""
        name = ROW_FIELD_COLUMNS.get(key, key)
        return self.headers.get(name, name)


def _text(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise Invalid(
            {"file": [_("The file is larger than 64 MB.")]}, codes={"file": ["too_large"]}
        )
    text = charsets.uploaded_text(data)
    if "\x00" in text:
        raise Invalid({"file": [_("The file is not text.")]}, codes={"file": ["not_text"]})
    return text


def _columns(header: list[str]) -> list[str]:
    """Each header's column, or Invalid naming the ones not known or missing."""
    columns = [COLUMNS_BY_NAME.get(reading.plain(name), "") for name in header]
    unknown = [name for name, column in zip(header, columns, strict=True) if name and not column]
    if unknown:
        raise Invalid(
            {
                "file": [
                    _("Unknown columns: %(columns)s (known: %(known)s).")
                    % {"columns": ", ".join(unknown), "known": ", ".join(COLUMN_NAMES)}
                ]
            },
            codes={"file": ["unknown_column"]},
        )
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise Invalid(
            {"file": [_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)}]},
            codes={"file": ["missing_column"]},
        )
    return columns


def _rows(text: str, headers: dict[str, str]) -> Iterator[tuple[int, dict]]:
    dialect = reading.csv_dialect(text)
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    names = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = _columns(names)
    headers.update((column, name) for column, name in zip(reader.fieldnames, names, strict=True))
    for row in reader:
        extra = row.pop(None, None) or []  # values past the header's columns
        values = {k: (v or "").strip() for k, v in row.items() if k}
        if extra and (why := reading.extra_values([*row.values(), *extra], len(names))):
            values[reading.EXTRA_VALUES] = why
        yield reader.line_num, values


class _Lookups:
    def __init__(self, by, today: datetime.date) -> None:
        firm_id = by.firm_id
        self.clients: dict[str, Client] = {}
        for client in Client.objects.filter(firm_id=firm_id).only("pk", "name", "firm_id"):
            self.clients[str(client.pk)] = client
            self.clients.setdefault(client.name.strip().lower(), client)
        self.staff = dict(User.objects.filter(firm_id=firm_id).values_list("username", "pk"))
        self.staff_ids = set(self.staff.values())
        self.batch = Batch(
            by=by,
            codes=work_codes_by_key(firm_id),
            clients=self.clients,
            staff_ids=self.staff_ids,
            today=today,
        )

    def row(self, raw: dict, by) -> dict:
        client = raw.get("client", "")
        key = client if client.isdigit() else client.lower()
        username = raw.get("staff", "")
        return {
            "staff": self.staff.get(username, -1) if username else by.pk,
            "client": str(self.clients[key].pk) if key in self.clients else "",
            "work_code": raw.get("work_code", ""),
            "day": raw.get("date", ""),
            "hours": raw.get("hours", ""),
            "amount": raw.get("amount", ""),
            "vat_rate": raw.get("vat_rate", "") or "0",
            "description": raw.get("description", ""),
            "billable": raw.get("billable", ""),
            "mission": raw.get("mission", ""),
        }


def _checked(by, text: str, lookups: _Lookups, report: ImportReport) -> Iterator[dict]:
    for line, raw in _rows(text, report.headers):
        if not any(raw.values()):
            continue
        report.rows += 1
        if reading.EXTRA_VALUES in raw:  # refused, not dropped
            report.refused_count += 1
            if len(report.refused) < MAX_LISTED:
                report.refused.append((line, "", raw[reading.EXTRA_VALUES]))
            continue
        refusals = Refusals()
        row = lookups.row(raw, by)
        checked = lookups.batch.check(line, row, refusals)
        if refusals.errors:
            report.refused_count += 1
            if len(report.refused) < MAX_LISTED:
                for key, messages in refusals.errors.items():
                    column = report.column(key.rsplit(".", 1)[-1])
                    report.refused.append((line, column, messages[0]))
            continue
        yield {**checked, "line": line, "mission": row["mission"]}


def dry_run(by, data: bytes) -> ImportReport:
    """Check every row; write nothing."""
    report = ImportReport()
    lookups = _Lookups(by, timezone.localdate())
    for _row in _checked(by, _text(data), lookups, report):
        pass
    return report


class _Refused(Exception):
    """Raised inside the import's transaction to roll back what was written."""


def import_entries(by, data: bytes, *, now: datetime.datetime | None = None) -> ImportReport:
    """Write every row, or none if one is refused (the report says which and why).

    One pass: rows are written in batches as they are checked; a refused row stops the
    writing, the rest are still checked (to list them all), and the transaction is
    rolled back."""
    report = ImportReport()
    try:
        _import(data, report, by=by, now=now)
    except _Refused:
        report.written = 0
    return report


COLUMNS = (
    "firm_id",
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
    "receipt_type",
    "state",
    "created_by_id",
    "created_at",
)


def _writer():
    """Rows straight to the table: each row was checked already, and the ORM's per-field
    preparation would cost most of the import's time. PostgreSQL takes them by COPY
    (one stream, not one statement per row); SQLite by executemany. Values are adapted
    for the database by its own operations."""
    ops = connection.ops
    table = ops.quote_name(Entry._meta.db_table)
    columns = ", ".join(ops.quote_name(c) for c in COLUMNS)
    if connection.vendor == "postgresql":

        def write(rows):
            with connection.cursor() as cursor:
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)

        return write
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"

    def write(rows):
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)

    return write


@action
def _import(data: bytes, report: ImportReport, *, by: User, now) -> None:
    now = clock.now(now)
    text = _text(data)
    lookups = _Lookups(by, timezone.localdate(now))
    book = rate_rules.RateBook(lookups.staff_ids)
    ops = connection.ops
    created = ops.adapt_datetimefield_value(now)
    write = _writer()
    last = Entry.objects.filter(firm_id=by.firm_id).order_by("-pk").values_list("pk", flat=True)
    after = last.first() or 0
    missions = _Missions()
    batch: list[tuple] = []
    months: list[tuple] = []
    arrivals = wip_totals.Arrivals(by.firm_id)
    for row in _checked(by, text, lookups, report):
        if report.refused_count:
            continue  # checking on, writing over
        missions.add(row["line"], row["mission"])
        code = row["work_code"]
        hours = row.get("hours")
        rate, value = book.priced(
            row["staff_id"], code, row["day"], hours=hours, amount=row.get("expense")
        )
        batch.append(
            (
                by.firm_id,
                row["staff_id"],
                row["client"].pk,
                code.pk,
                code.kind,
                ops.adapt_datefield_value(row["day"]),
                ops.adapt_decimalfield_value(hours, 7, 2),
                ops.adapt_decimalfield_value(rate, 12, 2),
                ops.adapt_decimalfield_value(value, 12, 2),
                ops.adapt_decimalfield_value(row.get("vat_rate"), 5, 2),
                row["description"],
                row["billable"],
                "",
                Entry.State.UNBILLED,
                by.pk,
                created,
            )
        )
        if row["billable"]:
            months.append((by.firm_id, row["client"].pk, row["day"], code.kind, hours, value, rate))
        if len(batch) >= BATCH:
            write(batch)
            report.written += len(batch)
            batch = []
            arrivals.add(months)
            months = []
    if report.refused_count or not report.rows:
        raise _Refused()
    write(batch)
    arrivals.add(months)
    arrivals.write()
    report.written += len(batch)
    _tie_missions(by, after=after, created=now, missions=missions, report=report)


class _Missions:
    """The mission each written row named, in order: only the rows that named one are
    kept (with their line), so a file that names none holds nothing per row."""

    def __init__(self) -> None:
        self.count = 0
        self.named: dict[int, tuple[int, str]] = {}  # row index: (line, mission)

    def add(self, line: int, mission: str) -> None:
        if mission:
            self.named[self.count] = (line, mission)
        self.count += 1

    def __iter__(self) -> Iterator[str]:
        named = self.named
        for index in range(self.count):
            yield named[index][1] if index in named else ""

    def line(self, index: int) -> int:
        return self.named[index][0]


class _Written:
    """The rows just written, read from the table one batch at a time each time they
    are gone through (never held all at once)."""

    def __init__(self, queryset) -> None:
        self.queryset = queryset

    def __iter__(self):
        return self.queryset.iterator(chunk_size=BATCH)


def _tie_missions(by, *, after: int, created, missions: _Missions, report) -> None:
    """Tell the apps above which mission each row named (a refusal names its line)."""
    written = (
        Entry.objects.filter(firm_id=by.firm_id, created_by=by, created_at=created, pk__gt=after)
        .only("pk", "firm_id", "client_id", "work_code_id", "day")
        .order_by("pk")
    )
    try:
        entries_saved(_Written(written), missions=missions, by=by)
    except Invalid as exc:
        for key, messages in exc.errors.items():
            index = int(key.split(".")[1]) if key.count(".") >= 2 else 0
            column = report.column("mission")
            report.refused.append((missions.line(index), column, str(messages[0])))
        report.refused_count += len(exc.errors)
        raise _Refused() from None
