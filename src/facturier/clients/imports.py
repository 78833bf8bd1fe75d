"""Importing clients from a CSV file: a dry run that lists each refused row and why,
then all or nothing.

Columns (header names in English or French, any order, "," or ";"): name / nom,
company_id / siren / siret, vat_number / tva, address / adresse, address_line2 /
complement, postal_code / code_postal, city / ville, country / pays (its code, or its
name in French or English), language / langue, currency / devise, payment_terms_days /
delai_de_paiement, einvoice_address / adresse_electronique, contact / nom_du_contact,
email / courriel, phone / telephone.
A row is checked as the forms and the API check a client (its SIREN, VAT number...);
a second client with the SIREN or the VAT number of an earlier row, or of a client the
firm has already, is refused.
"""

import csv
import functools
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from babel import Locale
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from facturier.core import charsets, reading
from facturier.core.actions import action
from facturier.core.errors import Invalid, NotAllowed
from facturier.core.identifiers import compact, siren_of
from facturier.firms.models import User

from . import actions, permissions
from .models import Client, Contact

COLUMN_NAMES = {
    "name": ("name", "nom", "raison_sociale", "client", "denomination"),
    "company_id": ("company_id", "siren", "siret", "siren_siret", "identifiant"),
    "vat_number": ("vat_number", "vat", "tva", "numero_de_tva", "n_tva", "tva_intracommunautaire"),
    "address_line1": ("address", "address_line1", "adresse"),
    "address_line2": ("address_line2", "complement", "complement_d_adresse"),
    "postal_code": ("postal_code", "code_postal", "cp"),
    "city": ("city", "ville"),
    "country": ("country", "pays"),
    "language": ("language", "langue"),
    "currency": ("currency", "devise"),
    "payment_terms_days": ("payment_terms_days", "payment_terms", "delai_de_paiement"),
    "einvoice_address": ("einvoice_address", "adresse_electronique"),
    "contact_name": ("contact", "contact_name", "nom_du_contact"),
    "contact_email": ("email", "contact_email", "e_mail", "courriel"),
    "contact_phone": ("phone", "telephone"),
}
COLUMNS_BY_NAME = {name: column for column, names in COLUMN_NAMES.items() for name in names}
# Each column as a refusal names it, in the reader's language: a header a person may
# type (each reads, through reading.plain, as one of the names above).
COLUMN_LABELS = {
    "name": pgettext_lazy("import column", "Name"),
    "company_id": pgettext_lazy("import column", "SIREN"),
    "vat_number": pgettext_lazy("import column", "VAT"),
    "address_line1": pgettext_lazy("import column", "Address"),
    "address_line2": pgettext_lazy("import column", "Address line2"),
    "postal_code": pgettext_lazy("import column", "Postal code"),
    "city": pgettext_lazy("import column", "City"),
    "country": pgettext_lazy("import column", "Country"),
    "language": pgettext_lazy("import column", "Language"),
    "currency": pgettext_lazy("import column", "Currency"),
    "payment_terms_days": pgettext_lazy("import column", "Payment terms"),
    "einvoice_address": pgettext_lazy("import column", "Einvoice address"),
    "contact_name": pgettext_lazy("import column", "Contact"),
    "contact_email": pgettext_lazy("import column", "Email"),
    "contact_phone": pgettext_lazy("import column", "Phone"),
}
LANGUAGE_WORDS = {"francais": "fr", "french": "fr", "anglais": "en", "english": "en"}
CONTACT_COLUMNS = {"contact_name": "name", "contact_email": "email", "contact_phone": "phone"}
MAX_LISTED = 200
MAX_BYTES = 16 * 2**20


@dataclass
class ImportReport:
    rows: int = 0
    refused: list[tuple[int, str, str]] = field(default_factory=list)  # line, column, why
    refused_count: int = 0
    written: int = 0
    headers: dict[str, str] = field(default_factory=dict)  # column: its name in the file

    @property
    def listed(self) -> list[tuple[int, str, str]]:
        """The refused rows as a person reads them: each column by its name in the file
        ("Pays", not "country"); the API keeps the stable names of `refused`."""
        return [(line, self._named(column), why) for line, column, why in self.refused]

    def _named(self, column: str) -> str:
        """A column by its name in the file, else as the import names it (a column the
        file lacks, such as the country it defaults); none for values past the header."""
        if column in self.headers:
            return self.headers[column]
        return str(COLUMN_LABELS[column]) if column in COLUMN_LABELS else ""

    @property
    def ok(self) -> bool:
        return self.refused_count == 0 and self.rows > 0


def _file_error(message: str, code: str) -> Invalid:
    return Invalid({"file": [message]}, codes={"file": [code]})


def _rows(data: bytes, headers: dict[str, str]) -> Iterator[tuple[int, dict[str, str]]]:
    if len(data) > MAX_BYTES:
        raise _file_error(_("The file is larger than 16 MB."), "too_large")
    text = charsets.uploaded_text(data)
    if "\x00" in text:
        raise _file_error(_("The file is not text."), "not_text")
    dialect = reading.csv_dialect(text)
    reader = csv.reader(io.StringIO(text), dialect=dialect)
    header = [name.strip() for name in next(reader, [])]
    if not any(header):
        raise _file_error(_("The file is empty."), "empty")
    columns = [COLUMNS_BY_NAME.get(reading.plain(name), "") for name in header]
    unknown = [name for name, column in zip(header, columns, strict=True) if name and not column]
    if unknown:
        known = ", ".join(str(label) for label in COLUMN_LABELS.values())
        raise _file_error(
            _("Unknown columns: %(columns)s (known: %(known)s).")
            % {"columns": ", ".join(unknown), "known": known},
            "unknown_column",
        )
    if "name" not in columns:
        missing = _("Missing columns: %(columns)s.") % {"columns": COLUMN_LABELS["name"]}
        raise _file_error(missing, "missing_column")
    for name, column in zip(header, columns, strict=True):
        if column:
            headers.setdefault(column, name)
    for values in reader:
        row = {c: (v or "").strip() for c, v in zip(columns, values, strict=False) if c}
        # Values past the header's last column: refused (by _check), not dropped.
        if why := reading.extra_values(values, len(columns)):
            row[reading.EXTRA_VALUES] = why
        yield reader.line_num, row


def _client_fields(row: dict[str, str]) -> dict:
    fields = {k: v for k, v in row.items() if k in actions.FIELDS and v}
    fields["country"] = _country_code(fields.get("country", "FR"))
    if language := fields.get("language"):
        fields["language"] = LANGUAGE_WORDS.get(reading.plain(language), language.lower())
    return fields


@functools.cache
def _countries() -> dict[str, str]:
    """Countries by their names in French and English ("France", "Royaume-Uni",
    "Germany"), as reading.plain reads them, to their ISO 3166 codes."""
    names = {}
    for language in ("en", "fr"):
        for code, name in Locale.parse(language).territories.items():
            if len(code) == 2 and code.isalpha():
                names[reading.plain(name)] = code
    return names


def _country_code(value: str) -> str:
    """A country as a file writes it (a code, or its name in French or English) as its
    ISO 3166 code; anything else as it is, for the client's check to refuse."""
    if len(value) == 2 and value.isalpha():
        return value.upper()
    return _countries().get(reading.plain(value), value)


class _Seen:
    """SIRENs and VAT numbers of the firm's clients and of the file's earlier rows."""

    def __init__(self, firm_id: int) -> None:
        self.siren: dict[str, str] = {}
        self.vat: dict[str, str] = {}
        for name, company_id, vat in Client.objects.filter(firm_id=firm_id).values_list(
            "name", "company_id", "vat_number"
        ):
            self._add(name, company_id, vat)

    def _add(self, who: str, company_id: str, vat: str) -> None:
        if siren := siren_of(company_id):
            self.siren.setdefault(siren, who)
        if vat:
            self.vat.setdefault(compact(vat), who)

    def refusals(self, client: Client, line: int) -> dict[str, str]:
        found = {}
        siren = siren_of(client.company_id) if client.country == "FR" else ""
        if siren and siren in self.siren:
            found["company_id"] = _("Same SIREN as %(who)s.") % {"who": self.siren[siren]}
        vat = compact(client.vat_number)
        if vat and vat in self.vat:
            found["vat_number"] = _("Same VAT number as %(who)s.") % {"who": self.vat[vat]}
        if not found:
            self._add(_("line %(line)d") % {"line": line}, client.company_id, client.vat_number)
        return found


def _check(row: dict[str, str], firm_id: int) -> tuple[dict, list[dict], dict[str, str]]:
    """The row's client fields, its contacts and what is wrong, by column."""
    errors: dict[str, str] = {}
    if reading.EXTRA_VALUES in row:
        errors[reading.EXTRA_VALUES] = row.pop(reading.EXTRA_VALUES)
    fields = _client_fields(row)
    client = Client(firm_id=firm_id, **fields)
    try:
        client.full_clean(exclude=["firm", "owners"])
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in Invalid.from_django(exc).errors.items()})
    if "country" in errors and len(fields["country"]) > 2:
        errors["country"] = _("Unknown country “%(name)s”: write its code (FR) or its name.") % {
            "name": fields["country"]
        }
    contact = {CONTACT_COLUMNS[k]: v for k, v in row.items() if k in CONTACT_COLUMNS and v}
    if contact:
        contact.setdefault("name", contact.get("email", ""))
        contact["is_billing"] = True
        try:
            Contact(**contact).full_clean(exclude=["client"], validate_constraints=False)
        except ValidationError as exc:
            for key, messages in Invalid.from_django(exc).errors.items():
                errors[f"contact_{key}"] = messages[0]
    fields.update({k: getattr(client, k) for k in ("company_id", "vat_number")})
    return fields, [contact] if contact else [], errors


def _checked(by: User, data: bytes, report: ImportReport) -> list[tuple[dict, list[dict]]]:
    if not permissions.can_administer(by, by.firm_id):
        raise NotAllowed(actions.NEEDS_SETTINGS_RIGHT)
    seen = _Seen(by.firm_id)
    rows = []
    for line, row in _rows(data, report.headers):
        if not any(row.values()):
            continue
        report.rows += 1
        fields, contacts, errors = _check(row, by.firm_id)
        if not errors:
            errors = seen.refusals(Client(**fields), line)
        if errors:
            report.refused_count += 1
            report.refused.extend(
                (line, column, why)
                for column, why in errors.items()
                if len(report.refused) < MAX_LISTED
            )
            continue
        rows.append((fields, contacts))
    if report.rows == 0:
        raise _file_error(_("The file has no client under its header."), "no_rows")
    return rows


def dry_run(by: User, data: bytes) -> ImportReport:
    """Check every row; write nothing."""
    report = ImportReport()
    _checked(by, data, report)
    return report


@action
def import_clients(*, by: User, data: bytes) -> ImportReport:
    """Create a client per row, or none if one row is refused (the report says which)."""
    report = ImportReport()
    rows = _checked(by, data, report)
    if not report.ok:
        return report
    for fields, contacts in rows:
        actions.create_client(by=by, contacts=contacts, **fields)
        report.written += 1
    return report
