"""The structured creditor reference (ISO 11649, "RF") a client quotes when paying an
invoice by transfer: derived from the invoice's number, so the same number always gives
the same reference, and a bank line that quotes it names the invoice.

A reference is RF, two check digits (ISO 7064 mod 97-10) and up to 21 letters and
digits: the number's own letters and digits, upper-cased; a longer number is
represented by a digest of it.
"""

import hashlib
import re

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

BODY_LENGTH = 21
ALPHANUMERIC = re.compile(r"[^A-Z0-9]")
# Where a reference may start in a text written without spaces: RF and its check digits.
START = re.compile(r"RF\d{2}")
BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def payment_reference(number: str) -> str:
    """The RF reference of an invoice number, in its electronic form (no spaces)."""
    body = ALPHANUMERIC.sub("", number.upper())
    if not body or len(body) > BODY_LENGTH:
        body = _digest(number)
    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body


def _digest(number: str) -> str:
    value = int.from_bytes(hashlib.sha256(number.encode()).digest(), "big")
    letters = []
    for _ in range(BODY_LENGTH):
        value, rest = divmod(value, 36)
        letters.append(BASE36[rest])
    return "".join(letters)


def printed(reference: str) -> str:
    """The reference as printed for people to copy: groups of four ("RF18 5390 0754 7034")."""
    return iso11649.format(reference)


def references_in(text: str) -> set[str]:
    """Every valid RF reference a text may hold, however spaced or cased: spaces are
    dropped, so a reference's end is found by its check digits (each prefix of what
    follows "RF" and two digits that checks is a candidate)."""
    compact = re.sub(r"\s+", "", text.upper())
    found = set()
    for start in START.finditer(compact):
        tail = re.match(r"[A-Z0-9]{5,25}", compact[start.start() :])
        if tail is None:
            continue
        candidate = tail[0]
        for end in range(5, len(candidate) + 1):
            if iso11649.is_valid(candidate[:end]):
                found.add(candidate[:end])
    return found
