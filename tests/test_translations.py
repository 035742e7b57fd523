"""Korean is the default language: its catalogue is complete and compiled."""

import polib

from tests.processes import ROOT

CATALOGUE = ROOT / "locale" / "ko" / "LC_MESSAGES"


def test_the_korean_catalogue_has_no_untranslated_or_fuzzy_messages():
    catalogue = polib.pofile(str(CATALOGUE / "django.po"))

    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []


def test_the_compiled_catalogue_matches_the_source():
    source = {entry.msgid: entry.msgstr for entry in polib.pofile(str(CATALOGUE / "django.po")).translated_entries()}
    compiled = {entry.msgid: entry.msgstr for entry in polib.mofile(str(CATALOGUE / "django.mo")) if entry.msgid}

    assert compiled == source, "run `make messages` and commit locale/ko/LC_MESSAGES/django.mo"
