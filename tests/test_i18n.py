"""The French catalogue is complete, and the compiled one says the same."""

import gettext
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parents[1] / "src/facturier/locale/fr/LC_MESSAGES"


def catalogue():
    with open(LOCALE / "django.po", "rb") as handle:
        return read_po(handle, locale="fr")


def test_every_message_has_a_french_translation():
    missing = [
        m.id
        for m in catalogue()
        if m.id and (m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string))
    ]
    assert missing == []


def test_compiled_catalogue_matches_the_sources():
    with open(LOCALE / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in catalogue():
        if not message.id or isinstance(message.id, tuple):
            continue
        if message.context:
            assert compiled.pgettext(message.context, message.id) == message.string
        else:
            assert compiled.gettext(message.id) == message.string
