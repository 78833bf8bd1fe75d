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


def test_every_message_of_the_code_and_templates_is_in_the_catalogue(tmp_path):
    """What the code says, extracted as `makemessages` does (xgettext over the Python
    and the templates), is all in the catalogue: a message added without its French, or
    an entry lost in a merge, fails here rather than on a French page."""
    import os
    import shutil

    from django.core.management import call_command
    from django.test import override_settings

    source = LOCALE.parents[2]
    copy = tmp_path / "facturier"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("static", "__pycache__"))
    here = os.getcwd()
    os.chdir(copy)
    try:
        with override_settings(LOCALE_PATHS=[copy / "locale"]):
            call_command("makemessages", locale=["fr"], no_location=True, verbosity=0)
    finally:
        os.chdir(here)
    with open(copy / "locale/fr/LC_MESSAGES/django.po", "rb") as handle:
        extracted = read_po(handle, locale="fr")
    known = {(m.context, m.id) for m in catalogue() if m.id}
    missing = [m.id for m in extracted if m.id and (m.context, m.id) not in known]
    assert missing == []
