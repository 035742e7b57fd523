"""Reviewers decide extension and supplement requests in the admin, like applications: a queue,
a decision page with the capacity preview, bulk actions with a confirmation."""

from datetime import date

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from aftercare import services
from aftercare.models import ChangeRequest
from allocations import ledger
from allocations.models import Allocation
from applications.models import Application, ApplicationItem
from pool import capacity
from tests.aftercare.conftest import GRANTED, grant
from tests.allocations.conftest import SERVICE_END, SERVICE_START, make_call
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:aftercare_changerequest_changelist")


def decide_url(request: ChangeRequest) -> str:
    return reverse("admin:aftercare_changerequest_decide", args=[request.pk])


@pytest.fixture
def extension(applicant, allocation) -> ChangeRequest:
    return services.change_request_submit(
        actor=applicant, allocation=allocation, kind="extension", ends_on=date(2031, 4, 30), justification="연장"
    )


def test_the_queue_lists_requests_awaiting_a_decision_with_a_decide_link(client, reviewer, extension):
    client.force_login(reviewer)

    response = client.get(QUEUE)

    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [extension.pk]
    assert decide_url(extension) in response.content.decode()


def test_the_decision_page_previews_the_capacity_then_approves(client, reviewer, extension, gpu_pool):
    grant(make_call(gpu_pool), (gpu_pool, 5, date(2031, 4, 1), date(2031, 4, 30)))  # 5 free in April
    client.force_login(reviewer)

    page = client.get(decide_url(extension))
    impact = page.context["impact"]
    assert (impact.need.starts_on, impact.need.ends_on, impact.need.units, impact.free, impact.after, impact.fits) == (
        date(2031, 4, 1),
        date(2031, 4, 30),
        GRANTED,
        5,
        1,
        True,
    )
    response = client.post(decide_url(extension), {"decision": "approve", "ends_on": "", "reason": ""})

    assert response.status_code == 302 and response["Location"].startswith(QUEUE)
    extension.refresh_from_db()
    assert extension.status == "approved"
    assert Allocation.objects.get(pk=extension.allocation_id).ends_on == date(2031, 4, 30)


def test_a_request_that_does_not_fit_is_refused_on_the_page_and_nothing_changes(client, reviewer, extension, gpu_pool):
    grant(make_call(gpu_pool), (gpu_pool, 8, date(2031, 4, 1), date(2031, 4, 30)))
    client.force_login(reviewer)

    page = client.get(decide_url(extension))
    assert page.context["impact"].fits is False
    with translation.override("en"):
        response = client.post(decide_url(extension), {"decision": "approve"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    messages = [str(message) for message in response.context["messages"]]
    assert any("only 2 free on 1 April 2031" in message for message in messages), messages
    extension.refresh_from_db()
    assert extension.status == "submitted"
    assert Allocation.objects.get(pk=extension.allocation_id).ends_on == SERVICE_END


def test_the_preview_follows_a_partial_grant_entered(client, reviewer, extension, gpu_pool):
    grant(make_call(gpu_pool), (gpu_pool, 8, date(2031, 4, 16), date(2031, 4, 30)))  # full from 16 April
    client.force_login(reviewer)

    preview = client.post(decide_url(extension), {"decision": "preview", "ends_on": "2031-04-15"})
    assert preview.context["impact"].fits is True
    response = client.post(
        decide_url(extension), {"decision": "approve_partial", "ends_on": "2031-04-15", "reason": "16일부터 예약"}
    )

    assert response.status_code == 302
    extension.refresh_from_db()
    assert extension.granted_ends_on == date(2031, 4, 15)
    assert ledger.ledger_drift() == []


def test_a_rejection_from_the_page_needs_a_reason(client, reviewer, extension):
    client.force_login(reviewer)

    assert client.post(decide_url(extension), {"decision": "reject", "reason": ""}).status_code == 200
    extension.refresh_from_db()
    assert extension.status == "submitted"
    assert client.post(decide_url(extension), {"decision": "reject", "reason": "계획 불충분"}).status_code == 302
    extension.refresh_from_db()
    assert extension.status == "rejected"


def test_operators_see_the_requests_but_do_not_decide(client, operator, extension):
    client.force_login(operator)

    queue = client.get(QUEUE)
    assert queue.status_code == 200 and decide_url(extension) not in queue.content.decode()
    assert client.get(decide_url(extension)).status_code == 403
    assert client.post(decide_url(extension), {"decision": "approve"}).status_code == 403
    change = client.post(reverse("admin:aftercare_changerequest_change", args=[extension.pk]), {"status": "approved"})
    assert change.status_code == 403
    extension.refresh_from_db()
    assert extension.status == "submitted"


def test_bulk_rejection_asks_for_a_reason_first(client, reviewer, extension):
    client.force_login(reviewer)
    selected = {"action": "reject_selected", "_selected_action": [extension.pk]}

    confirm = client.post(QUEUE, selected)
    assert confirm.status_code == 200 and "confirm_action" in confirm.templates[0].name
    page = confirm.content.decode()
    assert extension.allocation.organization.legal_name in page
    assert f'name="_selected_action" value="{extension.pk}"' in page  # carried to the confirmation
    client.post(QUEUE, {**selected, "confirm": "yes", "reason": ""})
    extension.refresh_from_db()
    assert extension.status == "submitted"
    client.post(QUEUE, {**selected, "confirm": "yes", "reason": "예산 소진"})

    extension.refresh_from_db()
    assert extension.status == "rejected"


def test_bulk_approval_goes_on_past_a_request_that_does_not_fit(client, reviewer, call, gpu_pool, applicant):
    from applications.models import Membership

    requests = []
    for _ in range(3):
        application, [allocation] = grant(call, (gpu_pool, 2))
        Membership.objects.create(organization=application.organization, user=applicant)
        requests.append(
            services.change_request_submit(
                actor=applicant, allocation=allocation, kind="supplement", units=3, justification="더"
            )
        )
    # 10 GPUs, 6 held: the first supplement fits (9), the next two do not.
    client.force_login(reviewer)

    client.post(QUEUE, {"action": "approve_selected", "_selected_action": [r.pk for r in requests], "confirm": "yes"})

    statuses = sorted(ChangeRequest.objects.values_list("status", flat=True))
    assert statuses == ["approved", "submitted", "submitted"]
    assert capacity.availability(gpu_pool.pk, SERVICE_START, SERVICE_END).free == 1


def build_requests(size: int, gpu_pool) -> None:
    """``size`` organisations, each with an active allocation and an extension request."""
    call = make_call(gpu_pool)
    organizations = OrganizationFactory.create_batch(size)
    applications = Application.objects.bulk_create(
        Application(organization=o, call=call, status="approved", submitted_at=call.opens_at) for o in organizations
    )
    items = ApplicationItem.objects.bulk_create(
        ApplicationItem(application=a, offering=gpu_pool, quantity=1, starts_on=SERVICE_START, ends_on=SERVICE_END)
        for a in applications
    )
    with transaction.atomic():
        capacity.lock_ledger([(gpu_pool.pk, SERVICE_START, SERVICE_END)])
        allocations = Allocation.objects.bulk_create(
            Allocation(
                organization_id=item.application.organization_id,
                application_item=item,
                offering=gpu_pool,
                quantity=1,
                starts_on=SERVICE_START,
                ends_on=SERVICE_END,
                state="active",
            )
            for item in items
        )
    ChangeRequest.objects.bulk_create(
        ChangeRequest(
            allocation=allocation,
            organization_id=allocation.organization_id,
            kind="extension",
            current_ends_on=SERVICE_END,
            current_quantity=1,
            requested_ends_on=date(2031, 4, 30),
            justification="연장",
        )
        for allocation in allocations
    )


@pytest.mark.parametrize("size", [10, 300])
def test_a_queue_page_takes_the_same_queries_whatever_the_number_of_requests(
    client, reviewer, django_assert_max_num_queries, size
):
    from tests.allocations.conftest import make_pool

    build_requests(size, make_pool(1000))
    client.force_login(reviewer)

    with django_assert_max_num_queries(12):
        response = client.get(QUEUE, {"kind__exact": "extension"})

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == min(size, 100)


def test_the_queue_rows_are_the_html_the_admin_would_render(client, reviewer, extension):
    """The change requests' queue renders its rows as the applications' does (review.admin.rows):
    the same HTML as Django's cell-by-cell rendering."""
    import re

    from review.admin.change_requests import ChangeRequestAdmin

    def body(response) -> str:
        html = response.content.decode().partition("<tbody>")[2].partition("</tbody>")[0]
        return re.sub(r">\s+<", "><", html).strip()

    client.force_login(reviewer)
    ours = client.get(QUEUE)
    ChangeRequestAdmin.change_list_template = None  # Django's own rendering
    try:
        django = client.get(QUEUE)
    finally:
        del ChangeRequestAdmin.change_list_template

    assert body(ours) == body(django)
    assert body(ours).count("<tr>") == 1
