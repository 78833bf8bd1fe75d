"""The checks the DGFiP's tool (Test Compta Demat) makes on a FEC, and the entries and
lettering rules of article A47 A-1 of the LPF, written again for our tests: `problems`
returns what is wrong with a file, one sentence each (empty: the file passes)."""

import datetime
import re
from collections import defaultdict
from decimal import Decimal

COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
REQUIRED = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "ValidDate",
)
NUMBER = re.compile(r"^[+-]?[0-9]+(,[0-9]+)?$")
FILENAME = re.compile(r"^(?P<siren>[0-9]{9})FEC(?P<end>[0-9]{8})\.txt$")


def decode(data: bytes) -> tuple[str, list[str]]:
    """The text of a file the law allows (ASCII or ISO 8859-15 here), or why not."""
    found = []
    if data.startswith(b"\xef\xbb\xbf"):
        found.append("a UTF-8 byte-order mark")
    if any(0x80 <= byte <= 0x9F for byte in data):
        found.append("control bytes 0x80-0x9F: not ISO 8859-15 text")
    if any(byte >= 0x80 for byte in data):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            found.append("UTF-8 text: the law allows ASCII, ISO 8859-15 or EBCDIC")
    return data.decode("iso-8859-15"), found


def _day(value: str) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        return None


def _amount(value: str) -> Decimal:
    return Decimal(value.replace(",", ".")) if value else Decimal(0)


def problems(data: bytes, *, filename: str, start: datetime.date, end: datetime.date):
    text, found = decode(data)
    named = FILENAME.match(filename)
    if not named or _day(named["end"]) != end:
        found.append(f"file name {filename!r}: SIRENFECYYYYMMDD.txt with the year's end")
    lines = re.split(r"\r\n|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        return [*found, "an empty file"]
    separator = "\t" if len(lines[0].split("\t")) >= 9 else "|"
    header = lines[0].split(separator)
    if [name.upper() for name in header] != [name.upper() for name in COLUMNS]:
        found.append(f"the header is not the 18 columns of the law: {header}")
        return found
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        values = line.split(separator)
        if len(values) != len(COLUMNS):
            found.append(f"line {number}: {len(values)} fields instead of 18")
            continue
        row = dict(zip(COLUMNS, values, strict=True))
        found.extend(f"line {number}: {p}" for p in _line_problems(row, start, end))
        rows.append((number, row))
    found.extend(_entry_problems(rows))
    found.extend(_lettering_problems(rows, end))
    return found


def _line_problems(row: dict, start, end):
    for name in REQUIRED:
        if not row[name].strip():
            yield f"{name} is empty"
    if not re.match(r"^[0-9]{3}", row["CompteNum"]):
        yield f"CompteNum {row['CompteNum']!r} does not start with three digits"
    for name in ("Debit", "Credit", "Montantdevise"):
        value = row[name]
        if "." in value:
            yield f"{name} {value!r}: a decimal comma is expected"
        elif value and not NUMBER.match(value):
            yield f"{name} {value!r} is not a number (no thousands separator)"
    for name in ("EcritureDate", "PieceDate", "ValidDate", "DateLet"):
        if row[name] and _day(row[name]) is None:
            yield f"{name} {row[name]!r} is not a YYYYMMDD date"
    day = _day(row["EcritureDate"])
    if day and not start <= day <= end:
        yield f"EcritureDate {row['EcritureDate']} outside the fiscal year"
    if not NUMBER.match(row["Debit"] or "0") or not NUMBER.match(row["Credit"] or "0"):
        return
    debit, credit = _amount(row["Debit"]), _amount(row["Credit"])
    if (debit == 0) == (credit == 0):
        yield f"debit {row['Debit']} and credit {row['Credit']}: exactly one is expected"
    if bool(row["Montantdevise"]) != bool(row["Idevise"]):
        yield "Montantdevise and Idevise go together"
    if row["Idevise"] and not re.match(r"^[A-Z]{3}$", row["Idevise"]):
        yield f"Idevise {row['Idevise']!r} is not an ISO 4217 code"


def _entry_problems(rows):
    entries: dict[str, list[dict]] = defaultdict(list)
    order: list[str] = []
    for _number, row in rows:
        if row["EcritureNum"] not in entries:
            order.append(row["EcritureNum"])
        elif order[-1] != row["EcritureNum"]:
            yield f"entry {row['EcritureNum']}: its lines are not together"
        entries[row["EcritureNum"]].append(row)
    per_journal: dict[str, list[str]] = defaultdict(list)
    for number in order:
        lines = entries[number]
        for name in ("JournalCode", "EcritureDate", "PieceRef", "PieceDate", "ValidDate"):
            if len({line[name] for line in lines}) != 1:
                yield f"entry {number}: several {name}"
        if len({line["EcritureLet"] for line in lines} - {""}) > 1:
            yield f"entry {number}: several letters"
        debit = sum(_amount(line["Debit"]) for line in lines)
        credit = sum(_amount(line["Credit"]) for line in lines)
        if debit != credit:
            yield f"entry {number} does not balance: {debit} debit, {credit} credit"
        per_journal[lines[0]["JournalCode"]].append(number)
    for journal, numbers in per_journal.items():
        expected = [f"{journal}{n:06d}" for n in range(1, len(numbers) + 1)]
        if numbers != expected:
            yield f"journal {journal}: entries not numbered on without a gap"
    valid = [_day(entries[number][0]["ValidDate"]) for number in order]
    if any(a and b and b < a for a, b in zip(valid, valid[1:], strict=False)):
        yield "validation dates go back in the file"


def _lettering_problems(rows, end):
    letters: dict[tuple, list[dict]] = defaultdict(list)
    for number, row in rows:
        if row["EcritureLet"]:
            letters[row["CompteNum"], row["CompAuxNum"], row["EcritureLet"]].append(row)
        elif row["DateLet"]:
            yield f"line {number}: a lettering date without a letter"
    for (account, aux, code), lines in letters.items():
        name = f"letter {code} of {account} {aux}".strip()
        if len(lines) < 2:
            yield f"{name}: one line alone"
        debit = sum(_amount(line["Debit"]) for line in lines)
        credit = sum(_amount(line["Credit"]) for line in lines)
        if debit != credit:
            yield f"{name} does not balance: {debit} debit, {credit} credit"
        signed = defaultdict(Decimal)
        for line in lines:
            if line["Idevise"]:
                side = 1 if _amount(line["Debit"]) else -1
                signed[line["Idevise"]] += side * _amount(line["Montantdevise"])
        if any(signed.values()):
            yield f"{name} does not balance in its currency: {dict(signed)}"
        dates = {line["DateLet"] for line in lines}
        if len(dates) != 1 or not _day(next(iter(dates))):
            yield f"{name}: lettering dates {sorted(dates)}"
            continue
        lettered = _day(next(iter(dates)))
        if lettered > end or any(lettered < _day(line["EcritureDate"]) for line in lines):
            yield f"{name}: lettered on {lettered}, before a line of it or after the year"
