"""Object ids from the outside: URL converters shared by the interfaces, and row_id."""

MAX_ID = 2**63 - 1  # the databases' 64-bit keys


def row_id(value) -> int | None:
    """`value` as an object id, or None if it cannot be one: the one parser of ids from
    outside (URLs, forms, queries, API bodies) and inside (an instance or its pk).

    Takes a model instance (its pk), an int, or a string of ASCII digits; refuses
    bools, floats, signs, spaces and other scripts' digits (int() takes " 2", "+2"
    and "²"), zero, and what a 64-bit key cannot hold (the database would refuse it).
    """
    if hasattr(value, "_meta"):
        value = value.pk
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_ID else None


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
