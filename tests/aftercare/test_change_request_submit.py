"""Members ask to extend or supplement an active allocation; one request at a time."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError
from django.urls import reverse

from aftercare import services
from aftercare.models import ChangeRequest
from allocations.services import release
from applications.services import NotAllowed
from notifications.models import Notification
from tests.aftercare.conftest import GRANTED
from tests.allocations.conftest import SERVICE_END

pytestmark = pytest.mark.django_db


def ask(actor, allocation, **fields) -> ChangeRequest:
    fields = {"kind": "extension", "ends_on": date(2031, 4, 30), "justification": "학습 연장", **fields}
    return services.change_request_submit(actor=actor, allocation=allocation, **fields)


def test_a_member_asks_for_an_extension_and_the_members_are_told_it_was_received(applicant, colleague, allocation):
    request = ask(applicant, allocation)

    assert (request.kind, request.status, request.requested_ends_on, request.requested_units) == (
        "extension",
        "submitted",
        date(2031, 4, 30),
        None,
    )
    assert (request.current_ends_on, request.current_quantity) == (SERVICE_END, GRANTED)
    assert request.submitted_by == applicant and request.organization == allocation.organization
    received = Notification.objects.filter(kind=Notification.Kind.CHANGE_REQUEST_RECEIVED)
    assert sorted(received.values_list("recipient", flat=True)) == sorted([applicant.email, colleague.email])
    assert received.get(recipient=colleague.email).language == "en"


def test_a_supplement_asks_for_units_within_the_calls_maximum(applicant, allocation):
    with pytest.raises(services.AftercareError):
        ask(applicant, allocation, kind="supplement", units=9, ends_on=None)  # the call allows 8 per application
    with pytest.raises(services.AftercareError):
        ask(applicant, allocation, kind="supplement", units=0, ends_on=None)

    request = ask(applicant, allocation, kind="supplement", units=8, ends_on=date(2031, 9, 9))

    assert (request.requested_units, request.requested_ends_on) == (8, None)  # the date is not a supplement's


@pytest.mark.parametrize(
    "ends_on", [SERVICE_END, SERVICE_END - timedelta(days=1), SERVICE_END + timedelta(days=366), None]
)
def test_an_extension_ends_after_the_current_end_and_within_a_year(applicant, allocation, ends_on):
    with pytest.raises(services.AftercareError):
        ask(applicant, allocation, ends_on=ends_on)

    assert not ChangeRequest.objects.exists()


def test_a_request_needs_a_justification(applicant, allocation):
    with pytest.raises(services.AftercareError):
        ask(applicant, allocation, justification="   ")


def test_one_request_at_a_time_per_allocation(applicant, colleague, allocation):
    first = ask(applicant, allocation)
    with pytest.raises(services.AftercareError):
        ask(colleague, allocation, kind="supplement", units=1)

    services.change_request_withdraw(actor=colleague, change_request=first)
    second = ask(colleague, allocation, kind="supplement", units=1)

    assert second.status == "submitted"
    first.refresh_from_db()
    assert first.status == "withdrawn"


def test_the_database_holds_one_open_request_per_allocation(applicant, allocation):
    ask(applicant, allocation)

    with pytest.raises(IntegrityError):
        ChangeRequest.objects.create(
            allocation=allocation,
            organization=allocation.organization,
            kind="supplement",
            current_ends_on=allocation.ends_on,
            current_quantity=allocation.quantity,
            requested_units=1,
            justification="x",
        )


def test_outsiders_cannot_ask_and_only_active_allocations_change(other_org_applicant, applicant, allocation, operator):
    with pytest.raises(NotAllowed):
        ask(other_org_applicant, allocation)

    release.allocation_release(actor=operator, allocation=allocation, to_state="revoked", reason="x")
    with pytest.raises(services.AftercareError):
        ask(applicant, allocation)


def test_only_a_request_awaiting_a_decision_is_withdrawn(applicant, allocation, reviewer, other_org_applicant):
    request = ask(applicant, allocation)
    with pytest.raises(NotAllowed):
        services.change_request_withdraw(actor=other_org_applicant, change_request=request)
    services.change_request_reject(actor=reviewer, change_request=request, reason="no")

    with pytest.raises(services.AftercareError):
        services.change_request_withdraw(actor=applicant, change_request=request)


# --- The applicant's pages ----------------------------------------------------------------------


def test_the_application_page_offers_the_request_and_then_shows_it(client, applicant, award, allocation):
    client.force_login(applicant)
    page = client.get(reverse("application_detail", args=[award.pk])).content.decode()
    assert reverse("change_request_new", args=[allocation.pk]) in page

    response = client.post(
        reverse("change_request_new", args=[allocation.pk]),
        {"kind": "extension", "ends_on": "2031-04-30", "justification": "모델 학습 연장"},
    )

    assert response.status_code == 302 and response["Location"] == reverse("application_detail", args=[award.pk])
    page = client.get(reverse("application_detail", args=[award.pk])).content.decode()
    assert "2031년 3월 31일(월) → 2031년 4월 30일(수)" in page
    assert reverse("change_request_new", args=[allocation.pk]) not in page  # one at a time
    assert reverse("change_request_withdraw", args=[ChangeRequest.objects.get().pk]) in page


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "extension", "ends_on": "2031-03-01", "justification": "x"}, "ends_on"),
        ({"kind": "extension", "ends_on": "2099-01-01", "justification": "x"}, "ends_on"),
        ({"kind": "extension", "ends_on": "not a date", "justification": "x"}, "ends_on"),
        ({"kind": "extension", "justification": "x"}, "ends_on"),
        ({"kind": "supplement", "units": "99", "justification": "x"}, "units"),
        ({"kind": "supplement", "units": "99999999999999999999", "justification": "x"}, "units"),
        ({"kind": "supplement", "justification": "x"}, "units"),
        ({"kind": "supplement", "units": "1", "justification": ""}, "justification"),
        ({"kind": "teleport", "units": "1", "justification": "x"}, "kind"),
    ],
)
def test_bad_input_gets_a_message_next_to_the_field(client, applicant, allocation, data, field):
    client.force_login(applicant)

    response = client.post(reverse("change_request_new", args=[allocation.pk]), data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not ChangeRequest.objects.exists()


def test_outsiders_and_anonymous_visitors_do_not_reach_the_form(client, other_org_applicant, applicant, allocation):
    url = reverse("change_request_new", args=[allocation.pk])
    assert client.get(url)["Location"].startswith(reverse("account_login"))
    client.force_login(other_org_applicant)
    assert client.get(url).status_code == 404
    assert client.post(url, {"kind": "supplement", "units": "1", "justification": "x"}).status_code == 404
    request = ask(applicant, allocation)
    assert client.post(reverse("change_request_withdraw", args=[request.pk])).status_code == 404
    request.refresh_from_db()
    assert request.status == "submitted"


def test_the_applicant_withdraws_from_the_page(client, applicant, award, allocation):
    request = ask(applicant, allocation)
    client.force_login(applicant)

    response = client.post(reverse("change_request_withdraw", args=[request.pk]))

    assert response["Location"] == reverse("application_detail", args=[award.pk])
    request.refresh_from_db()
    assert request.status == "withdrawn"
