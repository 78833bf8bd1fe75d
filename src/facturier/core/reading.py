"""Values as a French or English user types them: yes/no words, dates, decimal numbers.

Each reader returns None for what it does not know, so that the caller refuses the value
(naming where it was) instead of guessing a default.
"""

import csv
import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.utils.translation import ngettext

YES = frozenset({"1", "yes", "y", "true", "on", "oui", "o", "vrai", "x"})
NO = frozenset({"0", "no", "n", "false", "off", "non", "faux"})
# Spaces people and spreadsheets put between thousands (1 234,50).
THOUSANDS = re.compile(r"[\s\u00a0\u202f']")
DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def plain(text: str) -> str:
    """Lower case, without accents, spaces or hyphens as underscores: "Taux de TVA" and
    "taux_de_tva" read alike, and so do "Libellé" and "libelle"."""
    folded = unicodedata.normalize("NFKD", str(text).strip().lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[\s\-]+", "_", folded)


# Letters NFKD leaves whole, as a French or English reader files them.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o"})


def sort_key(text: str) -> str:
    """Text as a person files it in a list: without case or accents ("Électricité
    Martin" between "Dupont" and "Fabre", not after "Zola"), ligatures spelt out,
    spaces collapsed. Lists order names by it (clients' sort_name)."""
    folded = unicodedata.normalize("NFKD", str(text).translate(_LIGATURES))
    folded = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    return " ".join(folded.split())


def yes_no(value) -> bool | None:
    """True for oui/yes/vrai/true/1..., False for non/no/faux/false/0..., else None."""
    if isinstance(value, bool):
        return value
    word = plain(value if value is not None else "")
    if word in YES:
        return True
    if word in NO:
        return False
    return None


def day(value) -> datetime.date | None:
    """2026-10-27, or day first as the French write it: 27/10/2026, 27.10.2026, 27-10-2026."""
    if isinstance(value, datetime.date):
        return value
    text = str(value if value is not None else "").strip()
    try:
        if match := DAY_FIRST.match(text):
            return datetime.date(int(match[3]), int(match[2]), int(match[1]))
        return datetime.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def decimal(value) -> Decimal | None:
    """1234.5, 1234,5, 1 234,50 or 1,234.50 -> Decimal; None if it is not a finite number."""
    text = THOUSANDS.sub("", str(value if value is not None else ""))
    if "," in text and "." in text:
        # Both: the last one is the decimal mark, the other groups thousands.
        mark = "," if text.rfind(",") > text.rfind(".") else "."
        text = text.replace("." if mark == "," else ",", "")
    try:
        number = Decimal(text.replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def csv_dialect(text: str) -> type[csv.Dialect]:
    """The dialect of an uploaded CSV, its separator read from the header line alone
    (";", "," or a tab, whichever it holds most). csv.Sniffer reads the first 4 KB
    and wants every line alike: a 10,000-character cell or one row with a column too
    many made it fall back to ",", and a ";" file was refused as one unknown column
    named "Nom;SIREN;TVA;…"."""
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    separator = max(";,\t", key=header.count)

    class Dialect(csv.excel):
        delimiter = separator if header.count(separator) else ","

    return Dialect


# The key of a CSV row's values past its header's columns, for the imports to refuse.
EXTRA_VALUES = "extra_values"


def extra_values(values: list, columns: int) -> str:
    """Why a CSV row with values past its header's `columns` is refused ("" when those
    are empty, as spreadsheets pad rows): most often a separator in an unquoted value."""
    extra = [value for value in values[columns:] if value and value.strip()]
    if not extra:
        return ""
    count = len(values) - columns
    return ngettext(
        "%(count)d value more than the header's %(columns)d columns: put a value that "
        "holds the separator between quotes.",
        "%(count)d values more than the header's %(columns)d columns: put a value that "
        "holds the separator between quotes.",
        count,
    ) % {"count": count, "columns": columns}
