"""The dashboard's cached sections are keyed by ``portal.data_version.current()``: every change to
what they show moves it after its commit, in whatever order concurrent changes commit."""

import re
import threading
from datetime import date

import pytest
from django.db import connection, transaction
from django.urls import reverse

from aftercare.models import SurveyInvitation
from aftercare.services import survey_respond
from allocations.services.decisions import application_reject
from applications.models import Membership
from pool.services import capacity_phases_set
from portal import data_version
from tests.allocations.conftest import make_call, make_pool, submitted_application
from tests.conftest import make_user
from tests.dashboard.conftest import day

DASHBOARD = reverse("dashboard")
# Longer than any step of the choreography below needs; a thread still waiting after it fails the test.
WAIT_SECONDS = 30


def rejected_on_page(client, call) -> int:
    """The "rejected" figure of the call's status table, as the (possibly cached) page shows it."""
    page = client.get(DASHBOARD, {"call": call.pk}).content.decode()
    [figure] = re.findall(r'status-rejected">[^<]*</span></th><td class="text-end">([\d,]+)</td>', page)
    return int(figure.replace(",", ""))


@pytest.mark.django_db(transaction=True)
def test_a_decision_committing_after_a_later_one_shows_once_it_commits(client, operator, published_tasks):
    """Decision A takes its history id and waits uncommitted; decision B (a later id) commits; the
    page is rendered and cached; then A commits. The highest history id did not move with A's
    commit, the data version does: the page shows both rejections at once."""
    gpu = make_pool(10)
    call = make_call(gpu)
    first, second = submitted_application(call, (gpu, 1)), submitted_application(call, (gpu, 1))
    client.force_login(operator)
    assert rejected_on_page(client, call) == 0

    first_in_flight, first_may_commit = threading.Event(), threading.Event()
    outcome: list = []

    def decide_first() -> None:  # decision A, in a thread and connection of its own
        try:
            with transaction.atomic():
                application_reject(actor=None, application=first, reason="예산 소진 (A)")
                first_in_flight.set()  # its history row is written, its transaction open
                assert first_may_commit.wait(WAIT_SECONDS)
            outcome.append("committed")
        except Exception as error:
            outcome.append(error)
        finally:
            first_in_flight.set()
            connection.close()

    thread = threading.Thread(target=decide_first, daemon=True)
    thread.start()
    try:
        assert first_in_flight.wait(WAIT_SECONDS)
        if connection.vendor == "sqlite":
            # SQLite serialises writers: decision B cannot commit while A holds the write lock
            # (it would wait for A), so only the in-flight part runs here: the page is rendered
            # and cached while A is uncommitted. B is decided after A below.
            assert rejected_on_page(client, call) == 0
        else:
            application_reject(actor=None, application=second, reason="예산 소진 (B)")
            assert rejected_on_page(client, call) == 1  # B's, cached while A is in flight
            assert rejected_on_page(client, call) == 1  # served from the cache
    finally:
        first_may_commit.set()
        thread.join(WAIT_SECONDS)
    assert not thread.is_alive() and outcome == ["committed"], outcome

    if connection.vendor == "sqlite":
        assert rejected_on_page(client, call) == 1  # A's commit moved the version
        application_reject(actor=None, application=second, reason="예산 소진 (B)")
    assert rejected_on_page(client, call) == 2


def survey_section(client, call) -> str:
    page = client.get(DASHBOARD, {"call": call.pk}).content.decode()
    return page[page.index('class="survey-summary"') :].split("</section>", 1)[0]


def test_a_capacity_phase_edit_moves_the_version_and_the_page_follows(
    client, operator, world, django_capture_on_commit_callbacks
):
    client.force_login(operator)
    params = {"call": world.call.pk, "start": day(0), "end": day(21)}
    assert "12,345" not in client.get(DASHBOARD, params).content.decode()
    before = data_version.current()

    with django_capture_on_commit_callbacks(execute=True):  # the test's transaction never commits
        capacity_phases_set(
            actor=operator,
            offering=world.offering,
            phases=[(date(2030, 1, 1), 10, False, ""), (day(10), 12_345, True, "증설")],
        )

    assert data_version.current() != before
    assert "12,345" in client.get(DASHBOARD, params).content.decode()  # the runs from day 10


def test_a_survey_answer_moves_the_version_and_the_page_follows(
    client, operator, world, django_capture_on_commit_callbacks
):
    application = world.applications["A"]
    invitation = SurveyInvitation.objects.create(
        application=application, organization=application.organization, call=world.call, occasion="service_ended"
    )
    member = make_user("member-a@example.kr")
    Membership.objects.create(organization=application.organization, user=member)
    client.force_login(operator)
    assert "0 / 1" in survey_section(client, world.call)  # answered / invited
    before = data_version.current()

    with django_capture_on_commit_callbacks(execute=True):
        survey_respond(actor=member, invitation=invitation, ratings={"rating_compute": 4}, comments="")

    assert data_version.current() != before
    assert "1 / 1" in survey_section(client, world.call)
