"""Every column header says what its column holds, to a screen reader at least (axe's
empty-table-header rule): an actions or checkbox column names itself visually hidden."""

import re
from pathlib import Path

import facturier

TEMPLATES = Path(facturier.__file__).parent / "templates"
EMPTY_HEADER = re.compile(r"<th(\s[^>]*)?>\s*</th>")


def test_no_template_has_an_empty_table_header():
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if EMPTY_HEADER.search(line)
    ]
    assert found == [], f"empty <th> (axe empty-table-header): {found}"
