"""The accessibility audit of a page: axe-core (vendored in tests/e2e/vendor/axe-core/, no CDN, no
network) run inside Chromium on the page as the user sees it.

The portal's Content-Security-Policy (``script-src 'self'``) refuses an injected script, so an
audited page must come from a context opened with ``bypass_csp=True`` (``audit_context``); the
policy itself is checked by the other journeys, whose contexts keep it.

``assert_no_serious_violations(page, name)`` runs the WCAG 2.0/2.1 A and AA rules (KWCAG 2.2 is
aligned with WCAG 2.1 AA) and axe's best practices, and fails on any violation whose impact is
serious or critical, with a report naming each rule, why it fails and where (CSS selector and
the offending HTML)."""

from pathlib import Path

AXE_DIR = Path(__file__).parent / "vendor" / "axe-core"
AXE_VERSION = "4.14.1"
# WCAG 2.0 and 2.1, levels A and AA (what KWCAG 2.2 asks), and axe's best practices (landmarks,
# heading order, empty table headers...): a best practice fails the audit only when serious too.
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice")
FAILING_IMPACTS = ("serious", "critical")
NODES_SHOWN = 5


def audit_context(browser, **options):
    """A browser context that accepts the injected axe-core script (see the module's docstring):
    Korean, Seoul's time zone, 1280×900 unless ``options`` say otherwise."""
    settings = {"locale": "ko-KR", "timezone_id": "Asia/Seoul", "viewport": {"width": 1280, "height": 900}}
    return browser.new_context(bypass_csp=True, **(settings | options))


def axe_violations(page, tags=TAGS) -> list[dict]:
    """axe-core's violations on ``page`` as it stands (every impact), for the rules of ``tags``."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=(AXE_DIR / "axe.min.js").read_text(encoding="utf-8"))
    version = page.evaluate("() => window.axe.version")
    assert version == AXE_VERSION, f"axe-core {version} was injected, {AXE_VERSION} expected"
    results = page.evaluate(
        """(tags) => window.axe.run(document, {
             runOnly: {type: 'tag', values: tags},
             resultTypes: ['violations'],
           })""",
        list(tags),
    )
    return results["violations"]


def serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in FAILING_IMPACTS]


def report(name: str, url: str, violations: list[dict]) -> str:
    """Readable lines: per rule its impact, the help text and its link, and up to NODES_SHOWN of
    the elements that fail with axe's summary of why."""
    lines = [f"{name} ({url}): {len(violations)} rule(s) violated"]
    for violation in violations:
        nodes = violation["nodes"]
        lines.append(
            f"  [{violation['impact']}] {violation['id']}: {violation['help']} "
            f"({len(nodes)} element(s)) {violation['helpUrl']}"
        )
        for node in nodes[:NODES_SHOWN]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    - {' '.join(map(str, node['target']))}: {node['html'][:160]}")
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(nodes) > NODES_SHOWN:
            lines.append(f"    ... and {len(nodes) - NODES_SHOWN} more")
    return "\n".join(lines)


def serious_violations_report(page, name: str) -> str:
    """The report of ``page``'s serious and critical violations, or "" if it has none."""
    failing = serious(axe_violations(page))
    return report(name, page.url, failing) if failing else ""


def assert_no_serious_violations(page, name: str) -> None:
    found = serious_violations_report(page, name)
    assert not found, "axe-core found serious or critical accessibility violations:\n" + found
