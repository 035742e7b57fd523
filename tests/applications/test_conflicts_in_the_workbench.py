"""A reviewer who may not decide an organisation's applications (a member of it, or a declared
conflict of interest) is told so wherever the workbench would offer the decision: no "Decide"
link in the queues, the bulk confirmation and the fill-by-priority preview name what will be
refused and why before anything is applied. One rule (``decision_refusals``), asked once per page.
"""

from datetime import date, timedelta

import pytest
from django.contrib.messages import ERROR, SUCCESS, get_messages
from django.urls import reverse
from django.utils import timezone

from aftercare import services as aftercare_services
from allocations.models import Allocation
from applications import services
from applications.models import Application
from tests.aftercare.conftest import grant
from tests.allocations.conftest import make_call, submitted_application
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:applications_application_changelist")
T0 = timezone.now() - timedelta(days=1)
CONFLICT = "You declared a conflict of interest with this organisation."
MEMBER = "You are a member of the applicant organisation and cannot decide its application."


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def three(gpu_pool):
    """Three submitted applications of one call, in rank order: 4, 3 and 3 GPUs of 10; the call
    selects 2."""
    call = make_call(gpu_pool, selection_target=2)
    applications = []
    for n, (size, score) in enumerate([(4, 50), (3, 40), (3, 30)]):
        application = submitted_application(call, (gpu_pool, size), submitted_at=T0 + timedelta(minutes=n))
        Application.objects.filter(pk=application.pk).update(priority_score=score)
        applications.append(application)
    return applications


def decide_url(application) -> str:
    return reverse("admin:applications_application_decide", args=[application.pk])


def status_of(application) -> str:
    application.refresh_from_db(fields=["status"])
    return application.status


def test_the_queue_offers_no_decide_link_on_a_conflicted_or_own_organisation(client, reviewer, three):
    conflicted, own, free_to_decide = three
    services.conflict_declare(actor=reviewer, organization=conflicted.organization, note="former employer")
    MembershipFactory(organization=own.organization, user=reviewer)
    client.force_login(reviewer)

    page = client.get(QUEUE).content.decode()

    assert decide_url(free_to_decide) in page
    assert decide_url(conflicted) not in page
    assert decide_url(own) not in page
    assert f'title="{CONFLICT}"' in page
    assert f'title="{MEMBER}"' in page


def test_the_queue_asks_who_may_decide_once_for_the_page(client, reviewer, gpu_pool, django_assert_max_num_queries):
    call = make_call(gpu_pool)
    applications = [submitted_application(call, (gpu_pool, 1)) for _ in range(30)]
    for application in applications[::3]:
        services.conflict_declare(actor=reviewer, organization=application.organization)
    client.force_login(reviewer)
    client.get(QUEUE)  # the session and the permissions, warmed

    with django_assert_max_num_queries(15) as captured:
        page = client.get(QUEUE).content.decode()

    asked = [query["sql"] for query in captured.captured_queries if "applications_conflictofinterest" in query["sql"]]
    assert len(asked) == 1
    assert page.count('class="decision-refused"') == 10


def test_the_change_request_queue_offers_no_decide_link_on_a_conflicted_organisation(client, reviewer, gpu_pool):
    call = make_call(gpu_pool)
    requests = []
    for _ in range(2):
        application, (allocation,) = grant(call, (gpu_pool, 1))
        member = MembershipFactory(organization=application.organization).user
        requests.append(
            aftercare_services.change_request_submit(
                actor=member, allocation=allocation, kind="extension", ends_on=date(2031, 4, 30), justification="연장"
            )
        )
    conflicted, other = requests
    services.conflict_declare(actor=reviewer, organization=conflicted.organization)
    client.force_login(reviewer)

    page = client.get(reverse("admin:aftercare_changerequest_changelist")).content.decode()

    assert reverse("admin:aftercare_changerequest_decide", args=[other.pk]) in page
    assert reverse("admin:aftercare_changerequest_decide", args=[conflicted.pk]) not in page
    assert f'title="{CONFLICT}"' in page


def test_the_bulk_confirmation_names_what_will_be_refused_and_why(client, reviewer, three):
    conflicted, own, free_to_decide = three
    services.conflict_declare(actor=reviewer, organization=conflicted.organization)
    MembershipFactory(organization=own.organization, user=reviewer)
    client.force_login(reviewer)
    selected = [application.pk for application in three]

    confirmation = client.post(QUEUE, {"action": "approve_selected", "_selected_action": selected})

    assert confirmation.status_code == 200
    assert [(application.pk, reason) for application, reason in confirmation.context["refused"]] == [
        (conflicted.pk, CONFLICT),
        (own.pk, MEMBER),
    ]
    page = confirmation.content.decode()
    assert 'id="will-be-refused"' in page
    assert f"{conflicted}: {CONFLICT}" in page
    assert [status_of(application) for application in three] == ["submitted"] * 3

    client.post(QUEUE, {"action": "approve_selected", "_selected_action": selected, "confirm": "yes"})

    assert [status_of(application) for application in three] == ["submitted", "submitted", "approved"]


def test_the_bulk_confirmation_warns_of_nothing_when_nothing_will_be_refused(client, reviewer, three):
    client.force_login(reviewer)

    confirmation = client.post(QUEUE, {"action": "reject_selected", "_selected_action": [three[0].pk]})

    assert confirmation.context["refused"] == []
    assert 'id="will-be-refused"' not in confirmation.content.decode()


def test_the_fill_preview_lists_a_conflicted_organisation_as_refused_not_approved(client, reviewer, three):
    conflicted, second, third = three
    services.conflict_declare(actor=reviewer, organization=conflicted.organization)
    client.force_login(reviewer)
    url = reverse("admin:applications_call_fill_by_priority", args=[conflicted.call_id])

    preview = client.get(url)

    assert [application.pk for application in preview.context["approve"]] == [second.pk]
    assert [(application.pk, application.rank, reason) for application, reason in preview.context["refused"]] == [
        (conflicted.pk, 1, CONFLICT)
    ]
    # The refused one keeps its place: its capacity and its selection are not handed down the ranking.
    assert [(offering.name, free) for offering, free in preview.context["remaining"]] == [("A100 GPU", 3)]
    assert preview.context["selection_left"] == 1
    page = preview.content.decode()
    assert 'id="refused"' in page and CONFLICT in page
    assert not Allocation.objects.exists()


def test_filling_by_priority_approves_what_the_preview_said_and_reports_the_refusal(client, reviewer, three):
    conflicted, second, third = three
    services.conflict_declare(actor=reviewer, organization=conflicted.organization)
    client.force_login(reviewer)

    url = reverse("admin:applications_call_fill_by_priority", args=[conflicted.call_id])
    plan = client.get(url).context["plan_digest"]

    response = client.post(url, {"plan": plan})

    assert [status_of(application) for application in three] == ["submitted", "approved", "submitted"]
    shown = [(message.level, str(message)) for message in get_messages(response.wsgi_request)]
    assert sorted(level for level, _text in shown) == [SUCCESS, ERROR]
    assert any(level == ERROR and CONFLICT in text for level, text in shown)


def test_a_refusal_is_asked_in_one_query_whatever_the_number(reviewer, three, django_assert_num_queries):
    services.conflict_declare(actor=reviewer, organization=three[0].organization)
    reviewer.has_perm("applications.decide_application")  # the permissions, cached on the user

    with django_assert_num_queries(1):
        refusals = services.decision_refusals(reviewer, three)

    assert {pk: str(error) for pk, error in refusals.items()} == {three[0].pk: CONFLICT}
