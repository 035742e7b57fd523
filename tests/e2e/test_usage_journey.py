"""Usage in a real browser: an applicant opens their award from the application page and sees
the chart of what they used against what was granted, with the usage rate and the budget left;
an operator signs in with the authenticator app's code, goes from the dashboard to the usage page
and finds the idle allocation at the top of the idle list. The usage is collected through the
portal's own ingestion (tests/dashboard/usage_world.py). A screenshot of each step is saved under
ci-artifacts/e2e/; any JavaScript error, console error or failed request fails the test."""

import pytest

from tests.conftest import PASSWORD, totp_code, totp_secret
from tests.dashboard.usage_world import build_usage_world
from tests.e2e.test_journey import Browser

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_an_applicant_sees_their_usage_and_an_operator_the_idle_list(
    live_server, browser, screenshots, applicant, other_org_applicant, operator
):
    usage = build_usage_world(applicant, other_org_applicant)
    errors: list[str] = []

    # --- The applicant: from the application page to the allocation's usage ---------------------
    mine = Browser(browser, live_server.url, errors, "applicant")
    application_id = usage.busy.application_item.application_id
    mine.log_in(applicant.email, PASSWORD, f"/applications/{application_id}/")
    page = mine.page
    assert page.url.endswith(f"/applications/{application_id}/")
    with page.expect_navigation():
        page.locator(f"a[href='/allocations/{usage.busy.pk}/']").click()
    chart = page.locator("svg#usage-chart")
    assert chart.is_visible()
    assert "A100 GPU" in chart.locator("title").text_content()  # the chart's name for screen readers
    assert chart.locator("path.series-used-area").count() == 1
    summary = page.locator("#usage-summary").inner_text()
    assert "75%" in summary  # 3 of the 4 GPUs busy on the days collected
    assert "4,320" in summary  # GPU-hours left of the 8,640-hour budget
    assert page.locator("#usage-months tbody tr").count() >= 3
    screenshots(page, "applicant-sees-the-usage-chart")
    mine.context.close()

    # --- The operator: from the dashboard to the idle list ---------------------------------------
    ops = Browser(browser, live_server.url, errors, "operator")
    ops.log_in(operator.email, PASSWORD, "/ops/")
    ops.enter_code(totp_code(totp_secret(operator)))
    page = ops.page
    assert page.url.endswith("/ops/")
    assert page.locator("svg path.series-used").count() == 2  # a used line on the GPU and storage charts
    with page.expect_navigation():
        page.locator("a[href='/ops/usage/']").click()
    first = page.locator("#idle tbody tr").first
    assert "유휴 기관" in first.inner_text()  # 2 GPUs granted, none used: the most idle
    assert "A100 GPU" in first.inner_text()
    assert page.locator("#usage-call").is_visible()
    screenshots(page, "operator-sees-the-idle-list")
    ops.context.close()

    assert errors == []
