"""Accessibility and small screens, in Chromium against a live server (KWCAG 2.2 / WCAG 2.1 AA).

- Every page an applicant, a visitor, a reviewer and an operator meet passes axe-core's WCAG 2.0/2.1
  A+AA rules and best practices with no serious or critical violation (tests/e2e/axe.py). PAGES is
  the list: a new page gets a row.
- The applicant's journey works with the keyboard alone (Tab, Shift+Tab, Enter, Space and typing
  into fields): log in, open a call, open the draft, save it; the focus is visibly indicated on
  the navigation bar (the focused link's pixels change, with an outline of 3:1 contrast at least).
- At 360×740 (a phone), the applicant's pages do not scroll sideways and every button, navigation
  link and form control is at least 44×44 CSS px (WCAG 2.5.5; links inside a sentence excepted).
  A full-page screenshot of each is saved under ci-artifacts/e2e/mobile_pages_at_360_px/.
"""

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from aftercare.models import ChangeKind
from aftercare.services import change_request_submit
from applications.models import Application, CallOffering, Membership
from tests.conftest import PASSWORD, totp_code, totp_secret
from tests.dashboard.usage_world import UsageWorld, build_usage_world
from tests.e2e.axe import AXE_DIR, AXE_VERSION, audit_context, axe_violations, report, serious
from tests.factories import ApplicationFactory, ApplicationItemFactory, CallFactory, MembershipFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ANONYMOUS, APPLICANT, REVIEWER, OPERATOR = "anonymous", "applicant", "reviewer", "operator"
MOBILE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
TARGET = 44  # CSS px, WCAG 2.5.5 (AAA), what the issue asks of every tap target
MAX_TABS = 80


@dataclass
class World:
    """What the pages show: the usage world's awards (tests/dashboard/usage_world.py), a second open
    call with the applicant's draft on it, a request to extend the award awaiting a decision, and
    another organisation's submitted application for the reviewer to decide."""

    usage: UsageWorld
    applicant: object
    reviewer: object
    operator: object
    award: Application
    draft: Application
    submitted: Application
    call: object

    @property
    def organization(self):
        return self.award.organization


def build_world(applicant, reviewer, operator, other_org_applicant) -> World:
    usage = build_usage_world(applicant, other_org_applicant)
    award = usage.busy.application_item.application
    call = CallFactory(title="2027년 국가 AI 데이터센터 GPU 지원 공고", deadline=timezone.now() + timedelta(days=14))
    CallOffering.objects.create(call=call, offering=usage.gpu, max_per_application=8)
    CallOffering.objects.create(call=call, offering=usage.storage, max_per_application=100)
    draft = ApplicationFactory(organization=award.organization, call=call, project_title="의료 영상 판독 보조 모델")
    ApplicationItemFactory(application=draft, offering=usage.gpu, quantity=2)
    change_request_submit(
        actor=applicant,
        allocation=usage.busy,
        kind=ChangeKind.EXTENSION,
        justification="학습 일정이 한 달 늦어졌습니다.",
        ends_on=usage.busy.ends_on + timedelta(days=30),
    )
    submitted = ApplicationFactory(call=call, status=Application.Status.SUBMITTED, submitted_at=timezone.now())
    ApplicationItemFactory(application=submitted, offering=usage.gpu, quantity=4)
    MembershipFactory(organization=submitted.organization, role=Membership.Role.OWNER)
    return World(usage, applicant, reviewer, operator, award, draft, submitted, call)


@pytest.fixture
def world(applicant, reviewer, operator, other_org_applicant) -> World:
    return build_world(applicant, reviewer, operator, other_org_applicant)


# The application form's steps (applications/urls.py: application_step), then its review page.
STEPS = ("organisation", "project", "resources", "priority", "documents")


@dataclass(frozen=True)
class Page:
    name: str
    role: str
    path: Callable[[World], str]
    status: int = 200


PAGES = [
    Page("home", ANONYMOUS, lambda w: "/"),
    Page("calls", ANONYMOUS, lambda w: "/calls/"),
    Page("call", ANONYMOUS, lambda w: f"/calls/{w.call.pk}/"),
    Page("sign-up", ANONYMOUS, lambda w: "/accounts/signup/"),
    Page("login", ANONYMOUS, lambda w: "/accounts/login/"),
    Page("password-reset", ANONYMOUS, lambda w: "/accounts/password/reset/"),
    Page("statistics", ANONYMOUS, lambda w: "/statistics/"),
    Page("not-found", ANONYMOUS, lambda w: "/no-such-page/", status=404),
    Page("home-signed-in", APPLICANT, lambda w: "/"),
    Page("call-signed-in", APPLICANT, lambda w: f"/calls/{w.call.pk}/"),
    Page("applications", APPLICANT, lambda w: "/applications/"),
    Page("application-form", APPLICANT, lambda w: f"/applications/{w.draft.pk}/edit/"),  # to the first step
    *(
        Page(f"step-{step}", APPLICANT, lambda w, step=step: f"/applications/{w.draft.pk}/edit/{step}/")
        for step in STEPS
    ),
    # Each step with the submission's problems shown on its fields.
    *(
        Page(f"step-{step}-checked", APPLICANT, lambda w, step=step: f"/applications/{w.draft.pk}/edit/{step}/?check=1")
        for step in STEPS
    ),
    Page("review", APPLICANT, lambda w: f"/applications/{w.draft.pk}/edit/review/"),
    Page("status-draft", APPLICANT, lambda w: f"/applications/{w.draft.pk}/"),
    Page("status-approved", APPLICANT, lambda w: f"/applications/{w.award.pk}/"),
    Page("allocation-usage", APPLICANT, lambda w: f"/allocations/{w.usage.busy.pk}/"),
    Page("organisation", APPLICANT, lambda w: f"/organisations/{w.organization.pk}/"),
    Page("organisation-edit", APPLICANT, lambda w: f"/organisations/{w.organization.pk}/edit/"),
    Page("notifications", APPLICANT, lambda w: "/notifications/"),
    Page("privacy-policy", ANONYMOUS, lambda w: "/privacy/"),
    Page("my-consents", APPLICANT, lambda w: "/accounts/consents/"),
    Page("account-delete", APPLICANT, lambda w: "/accounts/delete/"),
    Page("forbidden-or-hidden", APPLICANT, lambda w: f"/applications/{w.submitted.pk}/", status=404),
    Page("admin-queue", REVIEWER, lambda w: "/admin/applications/application/"),
    Page("decision", REVIEWER, lambda w: f"/admin/applications/application/{w.submitted.pk}/decide/"),
    Page("operations", OPERATOR, lambda w: "/ops/"),
    Page("operations-usage", OPERATOR, lambda w: "/ops/usage/"),
]

# The applicant's pages checked on a phone (tap targets and sideways scrolling).
MOBILE_PAGES = [
    page
    for page in PAGES
    if page.role in (ANONYMOUS, APPLICANT) and page.name not in ("sign-up", "password-reset", "forbidden-or-hidden")
]


def log_in(context, base_url: str, world: World, role: str):
    """A page of ``context`` with ``role`` logged in through the login form (staff type their
    authenticator app's code after the password)."""
    page = context.new_page()
    if role == ANONYMOUS:
        return page
    user = {APPLICANT: world.applicant, REVIEWER: world.reviewer, OPERATOR: world.operator}[role]
    page.goto(base_url + "/accounts/login/")
    page.fill("#id_login", user.email)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("form[action*='/accounts/login/'] button[type=submit]").click()
    if user.is_staff:
        page.fill("#id_code", totp_code(totp_secret(user)))
        with page.expect_navigation():
            page.locator("form[action='/accounts/2fa/authenticate/'] button[type=submit]").click()
    assert page.locator("form[action='/accounts/logout/']").count() == 1, f"{role} is not logged in: {page.url}"
    return page


def visit(page, base_url: str, world: World, spec: Page) -> None:
    response = page.goto(base_url + spec.path(world))
    assert response is not None and response.status == spec.status, (spec.name, response and response.status)


def test_the_vendored_axe_core_is_the_expected_version():
    source = (AXE_DIR / "axe.min.js").read_text(encoding="utf-8")
    assert source.startswith(f"/*! axe v{AXE_VERSION}")
    assert (AXE_DIR / "LICENSE").read_text(encoding="utf-8").startswith("Mozilla Public License, version 2.0")


def test_the_audit_finds_what_it_looks_for(live_server, browser):
    """The harness itself: a page with an unlabelled field and grey-on-white text fails."""
    context = audit_context(browser)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.evaluate(
        """() => {
             const main = document.querySelector('main');
             main.insertAdjacentHTML('beforeend',
               '<p style="color:#bbb;background:#fff">흐린 글자</p><input type="text" id="unlabelled">');
           }"""
    )
    rules = {v["id"] for v in serious(axe_violations(page))}
    assert {"color-contrast", "label"} <= rules
    context.close()


# aria-describedby / aria-labelledby naming an id that is not on the page (axe only flags it "for
# review"): a screen reader then reads no help, e.g. that a reason is required to reject.
DANGLING_REFERENCES = """() => {
  const dangling = [];
  for (const attribute of ['aria-describedby', 'aria-labelledby', 'aria-controls']) {
    for (const el of document.querySelectorAll(`[${attribute}]`)) {
      for (const id of el.getAttribute(attribute).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) dangling.push(`${el.tagName.toLowerCase()}#${el.id} ${attribute}=${id}`);
      }
    }
  }
  return dangling;
}"""


def test_every_page_passes_axe_core_without_serious_or_critical_violations(live_server, browser, world):
    failures: list[str] = []
    audited = []
    for role in (ANONYMOUS, APPLICANT, REVIEWER, OPERATOR):
        context = audit_context(browser)
        page = log_in(context, live_server.url, world, role)
        for spec in (p for p in PAGES if p.role == role):
            visit(page, live_server.url, world, spec)
            violations = axe_violations(page)
            minor = [v for v in violations if v not in serious(violations)]
            if minor:  # shown with -s, not failing
                print(report(f"{role}: {spec.name} (moderate/minor, not failing)", page.url, minor))
            if failing := serious(violations):
                failures.append(report(f"{role}: {spec.name}", page.url, failing))
            if dangling := page.evaluate(DANGLING_REFERENCES):
                failures.append(f"{role}: {spec.name} ({page.url}): references to no element: {dangling}")
            audited.append(spec.name)
        if role == APPLICANT:  # a failed submission: the review page with its error summary
            visit(
                page,
                live_server.url,
                world,
                Page("review", APPLICANT, lambda w: f"/applications/{w.draft.pk}/edit/review/"),
            )
            with page.expect_navigation():
                page.locator(f"form[action='/applications/{world.draft.pk}/submit/'] button[type=submit]").click()
            assert page.title().startswith("오류:"), page.title()
            if failing := serious(axe_violations(page)):
                failures.append(report("applicant: failed submission", page.url, failing))
        context.close()
    assert audited == [p.name for r in (ANONYMOUS, APPLICANT, REVIEWER, OPERATOR) for p in PAGES if p.role == r]
    assert not failures, "axe-core found serious or critical violations:\n" + "\n".join(failures)


# --- The keyboard alone ----------------------------------------------------------------------------

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  return {tag: el.tagName.toLowerCase(), text: (el.innerText || el.value || '').trim().slice(0, 60),
          href: el.getAttribute('href'), type: el.getAttribute('type'), id: el.id,
          inNavbar: !!el.closest('nav.navbar'),
          outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
          outlineColor: style.outlineColor, boxShadow: style.boxShadow,
          x: box.x, y: box.y, width: box.width, height: box.height};
}"""


def tab_to(page, matches: Callable[[dict], bool], *, stops: list[dict], limit: int = MAX_TABS) -> dict:
    """Press Tab until the focused element ``matches``; every stop is kept in ``stops``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        stops.append(focused)
        if matches(focused):
            return focused
    pytest.fail(f"not reached with {limit} Tabs; stops: {[(s['tag'], s['text'], s['href']) for s in stops[-limit:]]}")


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def rgb(css: str) -> tuple[int, int, int]:
    r, g, b = css[css.index("(") + 1 : css.index(")")].replace(",", " ").split()[:3]
    return int(float(r)), int(float(g)), int(float(b))


def changed_share(before: bytes, after: bytes) -> float:
    """The share of pixels that changed clearly (by more than 64 of 255 in a channel)."""
    from PIL import Image, ImageChops

    first, second = Image.open(io.BytesIO(before)).convert("RGB"), Image.open(io.BytesIO(after)).convert("RGB")
    red, green, blue = ImageChops.difference(first, second).split()
    strongest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    clearly = strongest.point(lambda value: 255 if value > 64 else 0).histogram()[255]
    return clearly / (strongest.width * strongest.height)


def assert_focus_visible(page, focused: dict) -> None:
    """The focused navbar control has an outline of at least 2 px whose colour stands 3:1 against
    the bar, and a screenshot of it focused differs clearly from one of it unfocused."""
    name = focused["text"] or focused["href"]
    assert focused["outlineStyle"] not in ("none", "") and focused["outlineWidth"] >= 2, (name, focused)
    bar = page.evaluate("() => getComputedStyle(document.querySelector('nav.navbar')).backgroundColor")
    ratio = contrast(rgb(focused["outlineColor"]), rgb(bar))
    assert ratio >= 3, f"{name}: focus outline {focused['outlineColor']} on {bar}: {ratio:.2f}:1"
    clip = {
        "x": max(focused["x"] - 6, 0),
        "y": max(focused["y"] - 6, 0),
        "width": focused["width"] + 12,
        "height": focused["height"] + 12,
    }
    with_focus = page.screenshot(clip=clip)
    page.evaluate("() => document.activeElement.blur()")
    without = page.screenshot(clip=clip)
    page.evaluate(
        "(xy) => document.elementFromPoint(xy[0], xy[1]).closest('a,button').focus()",
        [
            focused["x"] + focused["width"] / 2,
            focused["y"] + focused["height"] / 2,
        ],
    )
    share = changed_share(with_focus, without)
    assert share >= 0.05, f"{name}: focusing it changes {share:.1%} of its pixels clearly"


def test_the_applicant_journey_with_the_keyboard_alone(live_server, browser, world, screenshots):
    context = audit_context(browser)
    page = context.new_page()
    page.goto(live_server.url + "/")
    stops: list[dict] = []

    # Every control of the navigation bar shows where the focus is.
    navbar = []
    focused = tab_to(page, lambda f: f["inNavbar"], stops=stops)  # after the skip link
    while focused["inNavbar"]:
        if focused["tag"] in ("a", "button"):
            assert_focus_visible(page, focused)
            navbar.append(focused["text"])
        focused = tab_to(page, lambda f: True, stops=stops)
    assert {"모집 공고", "로그인", "회원가입", "English"} <= set(navbar), navbar

    # Log in: the navbar's link, then typing into the fields and Enter.
    page.keyboard.press("Shift+Tab")
    while not (page.evaluate(FOCUSED) or {}).get("href", "") == "/accounts/login/":
        page.keyboard.press("Shift+Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, lambda f: f["id"] == "id_login", stops=stops)
    page.keyboard.type(world.applicant.email)
    tab_to(page, lambda f: f["id"] == "id_password", stops=stops)
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("form[action='/accounts/logout/']").count() == 1
    screenshots(page, "logged-in-by-keyboard")

    # Open the call from the navbar's calls list, then the organisation's draft on it.
    tab_to(page, lambda f: f["href"] == "/calls/", stops=stops)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, lambda f: f["href"] == f"/calls/{world.call.pk}/", stops=stops)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/calls/{world.call.pk}/")
    tab_to(page, lambda f: f["href"] == f"/applications/{world.draft.pk}/", stops=stops)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, lambda f: f["href"] == f"/applications/{world.draft.pk}/edit/", stops=stops)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/applications/{world.draft.pk}/edit/organisation/")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "다음", stops=stops)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/applications/{world.draft.pk}/edit/project/")

    # Change the project's title and save the draft with Space on the save button.
    tab_to(page, lambda f: f["id"] == "id_project_title", stops=stops)
    page.keyboard.press("Control+A")
    page.keyboard.type("키보드로 고친 과제명")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "임시 저장", stops=stops, limit=200)
    screenshots(page, "save-button-focused")
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert page.url.endswith(f"/applications/{world.draft.pk}/edit/project/")
    assert page.locator("[role=status]").filter(has_text="임시 저장").count() == 1
    world.draft.refresh_from_db()
    assert world.draft.project_title == "키보드로 고친 과제명"
    context.close()


# --- A phone: 360×740 ------------------------------------------------------------------------------

TARGETS = """(minimum) => {
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    return el.checkVisibility({visibilityProperty: true, opacityProperty: true}) && box.width > 1 && box.height > 1;
  };
  // A link inside a sentence (WCAG 2.5.5's "inline" exception): inline, in a block with other text.
  const inSentence = (el) => {
    if (getComputedStyle(el).display !== 'inline') return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display === 'inline') block = block.parentElement;
    return block && block.innerText.trim().length > el.innerText.trim().length;
  };
  // A checkbox or radio is tapped through its label too: their boxes together are the target.
  const box = (el) => {
    const boxes = [el.getBoundingClientRect()];
    if (el.labels && (el.type === 'checkbox' || el.type === 'radio')) {
      for (const label of el.labels) boxes.push(label.getBoundingClientRect());
      const wrapper = el.closest('.form-check');
      if (wrapper) boxes.push(wrapper.getBoundingClientRect());
    }
    const left = Math.min(...boxes.map(b => b.left)), right = Math.max(...boxes.map(b => b.right));
    const top = Math.min(...boxes.map(b => b.top)), bottom = Math.max(...boxes.map(b => b.bottom));
    return {width: right - left, height: bottom - top};
  };
  const small = [];
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
  for (const el of document.querySelectorAll(selector)) {
    if (!visible(el) || (el.tagName === 'A' && inSentence(el))) continue;
    const size = box(el);
    if (size.width < minimum - 0.5 || size.height < minimum - 0.5) {
      const name = (el.innerText || el.name || el.value || '').trim().slice(0, 40);
      const where = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '');
      small.push(`${where} "${name}" ${Math.round(size.width)}×${Math.round(size.height)}`);
    }
  }
  return small;
}"""


# Korean words split between two syllables across lines ("철/회") in table cells: lines break
# between words (word-break: keep-all in static/css/portal.css; narrow tables scroll instead).
BROKEN_WORDS = """() => {
  const hangul = /[\\uac00-\\ud7a3]/;
  const top = (node, index) => {
    const range = document.createRange();
    range.setStart(node, index);
    range.setEnd(node, index + 1);
    const rects = [...range.getClientRects()].filter(r => r.width > 0);
    return rects.length ? Math.round(rects[0].top) : null;
  };
  const broken = [];
  for (const cell of document.querySelectorAll('main th, main td')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i + 1 < node.data.length; i++) {
        if (!hangul.test(node.data[i]) || !hangul.test(node.data[i + 1])) continue;
        const [here, next] = [top(node, i), top(node, i + 1)];
        if (here !== null && next !== null && here !== next) {
          broken.push(`"${node.data.slice(Math.max(0, i - 4), i + 6).trim()}" after "${node.data[i]}"`);
        }
      }
    }
  }
  return broken;
}"""


# The rendered size of the SVG charts' labels: their font size scaled by the drawn width over the viewBox's.
CHART_TEXT = """() => [...document.querySelectorAll('svg.chart')].map(svg => {
  const label = svg.querySelector('text');
  if (!label) return 99;
  return parseFloat(getComputedStyle(label).fontSize) * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
})"""


def test_the_applicant_pages_on_a_360_px_phone(live_server, browser, world, screenshots):
    problems: list[str] = []
    for role in (ANONYMOUS, APPLICANT):
        context = audit_context(browser, **MOBILE)
        page = log_in(context, live_server.url, world, role)
        for spec in (p for p in MOBILE_PAGES if p.role == role):
            visit(page, live_server.url, world, spec)
            width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            if width[0] > width[1]:
                problems.append(f"{spec.name}: scrolls sideways, {width[0]} px wide in a {width[1]} px window")
            problems.extend(f"{spec.name}: {small}" for small in page.evaluate(TARGETS, TARGET))
            problems.extend(f"{spec.name}: Korean word broken: {word}" for word in page.evaluate(BROKEN_WORDS))
            problems.extend(f"{spec.name}: chart text {size:.1f} px" for size in page.evaluate(CHART_TEXT) if size < 9)
            path = screenshots(page, f"{role}-{spec.name}")
            print(f"360 px screenshot: {path}")
        if role == ANONYMOUS:  # the opened menu: its links are tap targets too
            page.goto(live_server.url + "/")
            page.locator(".navbar-toggler").click()
            page.locator("#portal-nav.show").wait_for()
            page.wait_for_timeout(400)  # the collapse's transition
            problems.extend(f"menu: {small}" for small in page.evaluate(TARGETS, TARGET))
            screenshots(page, "anonymous-menu-open")
        context.close()
    assert not problems, "On a 360 px phone:\n" + "\n".join(problems)


def test_the_english_navbar_holds_on_one_line_at_1366_px(live_server, browser, world):
    """The operator has the most links (dashboard, administration); in English, on a 1366×768
    laptop, they all sit on the bar's one line."""
    context = audit_context(browser, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(live_server.url + "/")
    with page.expect_navigation():
        page.locator("button[name=language][value=en]").click()
    page = log_in(context, live_server.url, world, OPERATOR)
    assert page.locator("html").get_attribute("lang") == "en"
    tops = page.evaluate(
        """() => [...document.querySelectorAll('nav.navbar .navbar-brand, nav.navbar .navbar-nav > .nav-item')]
                 .map(el => [el.innerText.trim(), Math.round(el.getBoundingClientRect().top)])"""
    )
    assert "Administration" in [text for text, _ in tops]
    assert len({top for _, top in tops}) <= 2, tops  # the brand and the items may differ by their padding
    height = page.evaluate("() => document.querySelector('nav.navbar').getBoundingClientRect().height")
    assert height < 72, f"the navbar is {height} px tall: {tops}"
    context.close()


def test_the_deadline_countdown_moves_once_a_minute_and_can_be_paused(live_server, browser, world):
    """WCAG 2.2.2: the countdown on a call's page updates by the minute (no ticking seconds) and a
    toggle, reached and pressed with the keyboard, stops it."""
    context = audit_context(browser)
    page = context.new_page()
    page.clock.install()
    page.goto(f"{live_server.url}/calls/{world.call.pk}/")
    figure = page.locator("[data-countdown] > span")
    toggle = page.locator("[data-countdown] button.countdown-toggle")
    assert re.fullmatch(r"\d+일 \d\d:\d\d", figure.inner_text()), figure.inner_text()
    assert toggle.inner_text() == "자동 갱신 멈춤" and toggle.get_attribute("aria-pressed") == "false"
    shown = figure.inner_text()
    page.clock.run_for(30_000)
    assert figure.inner_text() == shown  # half a minute: nothing moved
    page.clock.run_for(61_000)
    assert figure.inner_text() != shown  # a minute later: one step down

    toggle.focus()
    page.keyboard.press("Space")
    assert toggle.get_attribute("aria-pressed") == "true"
    paused = figure.inner_text()
    page.clock.run_for(180_000)
    assert figure.inner_text() == paused
    page.keyboard.press("Space")
    assert toggle.get_attribute("aria-pressed") == "false"
    context.close()
