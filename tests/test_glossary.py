"""The catalogue follows locale/GLOSSARY.md: no msgstr uses a variant the glossary's "not" column
forbids (예비 선정 for wait-listed, 심사자 for reviewer, 석 for a seat, 아이디 저장 for "Remember me", …)."""

import re

import polib

from tests.processes import ROOT

GLOSSARY = ROOT / "locale" / "GLOSSARY.md"
CATALOGUE = ROOT / "locale" / "ko" / "LC_MESSAGES" / "django.po"


def forbidden_variants() -> dict[str, str]:
    """Each forbidden variant of the glossary's table, with the Korean term it stands for."""
    rows = [line for line in GLOSSARY.read_text().splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    korean, forbidden = header.index("한국어"), header.index("not")
    variants = {}
    for row in rows[2:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        for variant in re.findall(r"`([^`]+)`", cells[forbidden]):
            variants[variant] = cells[korean]
    return variants


def uses(text: str, variant: str) -> bool:
    """The variant starts a word of the text: "10 석" uses 석, "분석" does not."""
    return re.search(r"(?<![가-힣A-Za-z0-9])" + re.escape(variant), text) is not None


def test_the_glossary_lists_forbidden_variants_of_the_settled_terms():
    variants = forbidden_variants()

    for variant in ("예비 선정", "심사자", "심사위원", "석", "아이디 저장", "스토리지", "기한 지난", "우선 지원 항목"):
        assert variant in variants


def test_the_word_match_flags_a_variant_only_where_a_word_starts():
    assert uses("최대 10 석", "석")
    assert uses("신청이 예비 선정되었습니다", "예비 선정")
    assert not uses("학습·추론·분석", "석")
    assert not uses("심사 담당자", "심사자")


def test_no_msgstr_of_the_catalogue_uses_a_forbidden_variant():
    variants = forbidden_variants()
    found = []
    for entry in polib.pofile(str(CATALOGUE)):
        texts = [entry.msgstr, *entry.msgstr_plural.values()]
        for variant, term in variants.items():
            if any(uses(text, variant) for text in texts):
                found.append(f"{entry.msgid!r}: {variant!r} (glossary: {term})")

    assert found == [], "msgstr against locale/GLOSSARY.md:\n  " + "\n  ".join(found)
