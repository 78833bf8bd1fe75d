"""Object ids from the outside: URL converters shared by the interfaces, and row_id."""

MAX_ID = 2**63 - 1  # the databases' 64-bit keys


def row_id(value) -> int | None:
    """`value` as an object id, or None if it cannot be one: not an integer, not
    positive, or larger than a key the database could hold (it would refuse it)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


class IdConverter:
    """An object id in a URL: ASCII digits that fit the databases' 64-bit keys.

    Django's `int` converter takes any length, and a 20-digit id then overflows
    SQLite's INTEGER deep in a query; here it simply does not match (404).
    """

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))
