"""URL converters shared by the interfaces."""


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
