"""Nothing the portal renders switches Django's escaping off: no ``|safe``, ``|safeseq`` or
``{% autoescape off %}`` in its HTML templates, no ``mark_safe``/``SafeString`` in its code (ruff's
S308 says the same in CI). HTML is built with ``format_html`` or in templates. Plain-text e-mails
(``templates/emails/*.txt``) turn escaping off on purpose: they are never read as HTML."""

import re
import tomllib
from pathlib import Path

import pytest

from tests.processes import ROOT

PROJECT_CODE = ["accounts", "allocations", "applications", "dashboard", "portal"]
TEMPLATE_RULES = {
    "|safe filter": re.compile(r"\|\s*safe(seq)?\b"),
    "autoescape off": re.compile(r"{%\s*autoescape\s+off\s*%}"),
}
CODE_RULES = {
    "mark_safe": re.compile(r"\bmark_safe\b"),
    "SafeString/SafeText": re.compile(r"\bSafe(String|Text|Data)\b"),
    "__html__": re.compile(r"\b__html__\b"),
    "allow_tags": re.compile(r"\ballow_tags\b"),
}
PLAIN_TEXT_EMAILS = ROOT / "templates" / "emails"


def findings(text: str, rules: dict[str, re.Pattern]) -> list[str]:
    return [
        f"line {number}: {name}"
        for number, line in enumerate(text.splitlines(), start=1)
        for name, rule in rules.items()
        if rule.search(line)
    ]


def template_files() -> list[Path]:
    folders = [ROOT / "templates", *(ROOT / app / "templates" for app in PROJECT_CODE)]
    return sorted(path for folder in folders if folder.is_dir() for path in folder.rglob("*") if path.is_file())


def code_files() -> list[Path]:
    return sorted(path for app in PROJECT_CODE for path in (ROOT / app).rglob("*.py"))


def test_there_are_templates_and_code_to_check():
    assert len(template_files()) > 20
    assert len(code_files()) > 20


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<p>{{ organization.legal_name|safe }}</p>", ["line 1: |safe filter"]),
        ("{{ names | safeseq | join:', ' }}", ["line 1: |safe filter"]),
        ("ok\n{% autoescape off %}{{ x }}{% endautoescape %}", ["line 2: autoescape off"]),
        ("{{ x|safe_for_humans }} {{ value|escape }}", []),
    ],
)
def test_the_template_check_finds_what_it_looks_for(text, expected):
    assert findings(text, TEMPLATE_RULES) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from django.utils.safestring import mark_safe", ["line 1: mark_safe"]),
        ("return SafeString(html)", ["line 1: SafeString/SafeText"]),
        ("return format_html('<a href=\"{}\">{}</a>', url, label)", []),
    ],
)
def test_the_code_check_finds_what_it_looks_for(text, expected):
    assert findings(text, CODE_RULES) == expected


def is_plain_text_email(path: Path, problem: str) -> bool:
    return problem.endswith("autoescape off") and path.parent == PLAIN_TEXT_EMAILS and path.suffix == ".txt"


def test_no_html_template_turns_escaping_off():
    found = {
        str(path.relative_to(ROOT)): problems
        for path in template_files()
        if (problems := [p for p in findings(path.read_text(), TEMPLATE_RULES) if not is_plain_text_email(path, p)])
    }

    assert found == {}


def test_no_project_code_marks_a_string_safe():
    found = {
        str(path.relative_to(ROOT)): problems
        for path in code_files()
        if (problems := findings(path.read_text(), CODE_RULES))
    }

    assert found == {}


def test_ruff_checks_for_mark_safe_in_ci():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())

    assert "S308" in config["tool"]["ruff"]["lint"]["select"]
