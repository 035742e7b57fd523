"""Korean is the default language: its catalogue is complete and compiled."""

import polib

from tests.processes import ROOT

CATALOGUE = ROOT / "locale" / "ko" / "LC_MESSAGES"


def test_the_korean_catalogue_has_no_untranslated_or_fuzzy_messages():
    catalogue = polib.pofile(str(CATALOGUE / "django.po"))

    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []


def test_the_compiled_catalogue_matches_the_source():
    source = {
        (entry.msgctxt, entry.msgid): entry.msgstr
        for entry in polib.pofile(str(CATALOGUE / "django.po")).translated_entries()
    }
    compiled = {
        (entry.msgctxt, entry.msgid): entry.msgstr
        for entry in polib.mofile(str(CATALOGUE / "django.mo"))
        if entry.msgid
    }

    assert compiled == source, "run `make messages` and commit locale/ko/LC_MESSAGES/django.mo"


def test_makemessages_finds_no_message_the_catalogue_lacks(settings, tmp_path, monkeypatch):
    """Every translatable string in the code and templates is in the Korean catalogue: running
    makemessages (into a copy of the catalogue) adds nothing.

    makemessages writes to the locale folder nearest to the files it reads, so it runs in a folder
    of links to the project's sources, beside the copy, never touching the real catalogue.
    """
    import shutil

    from django.core.management import call_command

    copy = tmp_path / "locale" / "ko" / "LC_MESSAGES"
    copy.mkdir(parents=True)
    shutil.copy(CATALOGUE / "django.po", copy / "django.po")
    sources = tmp_path / "sources"
    sources.mkdir()
    skipped = {"locale", "tests", "var", "bench", "static", "ci-artifacts", "node_modules"}
    for entry in ROOT.iterdir():
        if entry.is_dir() and not entry.name.startswith(".") and entry.name not in skipped:
            (sources / entry.name).symlink_to(entry)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(sources)

    call_command("makemessages", locale=["ko"], symlinks=True, no_obsolete=True, verbosity=0)

    def messages(path) -> set[tuple[str, str]]:
        return {(entry.msgctxt or "", entry.msgid) for entry in polib.pofile(str(path)) if not entry.obsolete}

    assert messages(copy / "django.po") - messages(CATALOGUE / "django.po") == set(), "run `make messages`"
