"""Company, VAT and bank identifiers, checked with their check digits.

python-stdnum knows the SIREN (Luhn), the French VAT key and every EU country's VAT
number; schwifty knows IBANs and BICs. A value is normalised (spaces and dots out,
upper case) before it is checked and stored, so "732 829 320" and "732829320" are
one SIREN. Each check raises a ValidationError with a stable code, so the forms, the
API and the actions refuse the same values with the same words.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret
from stdnum.util import get_cc_module

EU_VAT_PREFIXES = frozenset(cc.upper() for cc in eu_vat.MEMBER_STATES) | {"EL", "XI"}


def compact(value: str) -> str:
    return "".join(ch for ch in (value or "") if ch not in " .-\u00a0").upper()


def clean_company_id(value: str, country: str) -> str:
    """A French SIREN (9 digits, Luhn) or SIRET (14 digits); elsewhere free text."""
    value = (value or "").strip()
    if not value or (country or "FR").upper() != "FR":
        return value
    number = compact(value)
    if len(number) == 14 and fr_siret.is_valid(number):
        return number
    if not (len(number) == 9 and number.isdigit()):
        raise ValidationError(
            _("A SIREN has 9 digits (or give the 14-digit SIRET)."), code="invalid_siren"
        )
    if not fr_siren.is_valid(number):
        raise ValidationError(
            _("%(value)s is not a valid SIREN: its check digit is wrong.") % {"value": value},
            code="invalid_siren",
        )
    return number


def siren_of(company_id: str) -> str:
    """The SIREN inside a SIREN or SIRET, or "" when there is none."""
    number = compact(company_id)
    if len(number) in (9, 14) and number.isdigit():
        return number[:9]
    return ""


def clean_vat_number(value: str, country: str, company_id: str = "") -> str:
    """An EU VAT number with its country prefix and check digits; a French one must
    carry the SIREN it is made from. Other countries' numbers are checked when
    python-stdnum knows them, else kept as typed."""
    value = (value or "").strip()
    if not value:
        return value
    number = compact(value)
    prefix = number[:2]
    if prefix in EU_VAT_PREFIXES:
        if not eu_vat.is_valid(number):
            raise ValidationError(
                _("%(value)s is not a valid VAT number: its check digits are wrong.")
                % {"value": value},
                code="invalid_vat",
            )
        siren = siren_of(company_id)
        if prefix == "FR" and siren and number[4:] != siren:
            raise ValidationError(
                _("A French VAT number ends with the company's SIREN (%(siren)s).")
                % {"siren": siren},
                code="vat_siren_mismatch",
            )
        return number
    if (country or "").upper() in EU_VAT_PREFIXES:
        raise ValidationError(
            _("Start the VAT number with its country code, e.g. FR or DE."), code="invalid_vat"
        )
    module = _vat_module((country or "").lower())
    if module is not None:
        try:
            module.validate(number)
            return number
        except StdnumError:
            raise ValidationError(
                _("%(value)s is not a valid VAT number.") % {"value": value}, code="invalid_vat"
            ) from None
    return value


def _vat_module(cc: str):
    if len(cc) != 2:
        return None
    try:
        return get_cc_module(cc, "vat")
    except Exception:  # noqa: BLE001 - no module for that country: nothing to check
        return None


def clean_iban(value: str) -> str:
    if not (value or "").strip():
        return ""
    try:
        return IBAN(value).compact
    except SchwiftyException:
        raise ValidationError(
            _("%(value)s is not a valid IBAN.") % {"value": value}, code="invalid_iban"
        ) from None


def iban_for_reading(value: str | None) -> str:
    """An IBAN in groups of four characters, as a bank statement prints it ("FR76 3000
    6000 0112 3456 7890 189"); anything that is not an IBAN as it is."""
    if not value:
        return ""
    try:
        return IBAN(value).formatted
    except SchwiftyException:
        return value


def clean_bic(value: str) -> str:
    if not (value or "").strip():
        return ""
    try:
        return str(BIC(value))
    except SchwiftyException:
        raise ValidationError(
            _("%(value)s is not a valid BIC.") % {"value": value}, code="invalid_bic"
        ) from None


def check_party(instance, *, company_field: str, exclude=None) -> None:
    """Normalise and check a firm's or a client's identifiers in place (a model's
    clean()); every wrong one is reported at once, under its own field."""
    exclude = set(exclude or ())
    errors: dict[str, list[ValidationError]] = {}
    country = getattr(instance, "country", "") or "FR"
    checks = [
        (company_field, lambda v: clean_company_id(v, country)),
        ("vat_number", lambda v: clean_vat_number(v, country, getattr(instance, company_field))),
        ("iban", clean_iban),
        ("bic", clean_bic),
    ]
    for field, check in checks:
        if field in exclude or not hasattr(instance, field):
            continue
        try:
            setattr(instance, field, check(getattr(instance, field)))
        except ValidationError as exc:
            errors.setdefault(field, []).append(exc)
    if errors:
        raise ValidationError(errors)


def creditor_id_is_valid(value: str) -> bool:
    """A SEPA creditor identifier (ICS in France): country, two check digits, a
    three-character business code the check leaves out, then the national identifier.
    The check digits are ISO 7064 MOD 97-10 over the national identifier followed by
    the country and "00", letters counted A=10 ... Z=35 (as an IBAN's)."""
    value = compact(value)
    if not (8 <= len(value) <= 35 and value.isalnum() and value.isascii()):
        return False
    country, check, national = value[:2], value[2:4], value[7:]
    if not (country.isalpha() and check.isdigit()):
        return False
    digits = "".join(str(int(ch, 36)) for ch in national + country + "00")
    return 98 - int(digits) % 97 == int(check)


def clean_creditor_id(value: str) -> str:
    if not (value or "").strip():
        return ""
    if not creditor_id_is_valid(value):
        raise ValidationError(
            _("%(value)s is not a valid SEPA creditor identifier.") % {"value": value},
            code="invalid_creditor_id",
        )
    return compact(value)
