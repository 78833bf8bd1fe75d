"""Tables and lists read right to a screen reader: every column header says what its
column holds (axe's empty-table-header rule; an actions or checkbox column names itself
visually hidden), and no description list carries a role."""

import re
from pathlib import Path

import facturier

TEMPLATES = Path(facturier.__file__).parent / "templates"
EMPTY_HEADER = re.compile(r"<th(\s[^>]*)?>\s*</th>")
# A role on a <dl> hides its <dt>/<dd> pairs from it (axe: aria-allowed-role, dlitem).
DL_WITH_ROLE = re.compile(r"<dl\s[^>]*\brole=")


def test_no_template_has_an_empty_table_header():
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if EMPTY_HEADER.search(line)
    ]
    assert found == [], f"empty <th> (axe empty-table-header): {found}"


def test_no_description_list_carries_a_role():
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if DL_WITH_ROLE.search(line)
    ]
    assert found == [], f"<dl role=...> (axe dlitem): wrap it in a <div role=...>: {found}"
