"""Every page of the demo, read in French, shows values as a French reader writes them.

A Python value that reaches a page unformatted reads "None", "True", "2026-10-27" or
"3.75": the walk reads the text of every page (not the input values, the attributes,
the URLs or the scripts) and names each such word with its page.
"""

import re
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from tests.test_writes_through_actions import app_urls, demo  # noqa: F401

PYTHON_WORDS = re.compile(r"\b(None|True|False)\b")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
DOTTED_DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")
# Text that is code or data, not prose: never read.
SKIP = {"script", "style", "code", "pre", "textarea", "template"}


def _is_coordinate(attrs: dict) -> bool:
    """A chart's point position (pygal's tooltip data), never shown."""
    return (attrs.get("class") or "").split()[:1] in (["x"], ["y"])


class PageText(HTMLParser):
    """The text a reader sees, without the content of SKIP elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIP or (tag == "desc" and _is_coordinate(dict(attrs))):
            self.skipping.append(tag)

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def unformatted(html: str) -> list[str]:
    reader = PageText()
    reader.feed(html)
    text = " ".join(reader.parts)
    found = []
    for pattern in (PYTHON_WORDS, ISO_DATE, DOTTED_DECIMAL):
        for match in pattern.finditer(text):
            found.append(text[max(0, match.start() - 40) : match.end() + 20].strip())
    return found


def test_the_scanner_sees_what_a_reader_sees():
    page = (
        '<p title="2026-01-05">Fermée le 6 déc., None</p><input value="3.75">'
        '<a href="/x?week=2026-01-05">3,75 h</a><script>var a = 1.5;</script><p>du 2026-10-27</p>'
        "<p>3.75 h</p>"
    )
    found = unformatted(page)
    assert len(found) == 3
    assert "None" in found[0] and "2026-10-27" in found[1] and "3.75" in found[2]


def _draft_from_wip(user) -> int:
    """A draft made from a French client's WIP, so that its generated lines are read too;
    then an hour and a quarter today, so that the week, the entries and the WIP show 1,25."""
    from facturier.invoicing import actions as invoicing
    from facturier.work import actions as work
    from facturier.work.models import Entry

    unbilled = Entry.objects.filter(
        firm=user.firm, state=Entry.State.UNBILLED, billable=True, client__language="fr"
    )
    entry = unbilled.order_by("pk").first()
    ids = list(unbilled.filter(client=entry.client).values_list("pk", flat=True))
    draft = invoicing.draft_from_wip(by=user, client=entry.client, entries=ids, grouping="entry")
    today = timezone.localdate()
    row = {"client": entry.client_id, "work_code": entry.work_code.code, "day": today}
    work.record_entries([{**row, "hours": "1.25"}], by=user)
    return draft.pk


@pytest.mark.django_db
def test_every_page_in_french_shows_formatted_values(client, demo):  # noqa: F811
    drafted = _draft_from_wip(demo["alice"])
    urls = [*app_urls(), f"/billing/invoices/{drafted}/", f"/billing/invoices/{drafted}/edit/"]
    problems = []
    for username in ("alice", "carol"):
        client.force_login(demo[username])
        for url in urls:
            if url.startswith("/api/") or "999999" in url:
                continue
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            problems += [f"{url}: {what}" for what in unformatted(response.content.decode())]
        client.logout()
    assert sorted(set(problems)) == [], "\n".join(sorted(set(problems)))
