"""Text for files whose character set is fixed by someone else (the FEC is ISO 8859-15):
what the set cannot hold is written with the nearest letters it has, never dropped."""

import codecs
import unicodedata

LATIN9 = "iso-8859-15"

# Typography that has no twin in Latin-9 and that NFKD leaves alone.
NEAREST = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u2022": "-",
        "\u0141": "L",
        "\u0142": "l",
        "\u0110": "D",
        "\u0111": "d",
        "\u0131": "i",
        "\u2122": "TM",
    }
)


def holds(value: str, charset: str = LATIN9) -> bool:
    try:
        value.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


def to_latin9(value: str) -> str:
    """`value` written with ISO 8859-15 characters only: itself when it can be, else each
    character it cannot hold replaced by its nearest letters (Łódź -> Lódz, ‘x’ -> 'x'),
    and '?' for what has no Latin reading (東京 -> ??)."""
    if value.isascii() or holds(value):
        return value
    return "".join(_nearest(char) for char in value)


def _nearest(char: str) -> str:
    if holds(char):
        return char
    mapped = char.translate(NEAREST)
    if mapped != char and holds(mapped):
        return mapped
    decomposed = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c) and holds(c))
    return kept or "?"


def _nearest_letters(error: UnicodeEncodeError) -> tuple[str, int]:
    return "".join(_nearest(char) for char in error.object[error.start : error.end]), error.end


# `text.encode(LATIN9, errors=NEAREST_LETTERS)`: to_latin9 and the encoding in one pass.
NEAREST_LETTERS = "facturier-nearest-letters"
codecs.register_error(NEAREST_LETTERS, _nearest_letters)


def uploaded_text(data: bytes) -> str:
    """A text file as French spreadsheets save it: UTF-8 (with or without its BOM), else
    Windows-1252; line ends made "\\n"."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")
