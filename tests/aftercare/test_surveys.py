"""The satisfaction survey: invited once when an award ends (or its pilot call ends), one response
per organisation and allocation, results summarised for the operator's dashboard."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import IntegrityError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from aftercare import selectors, services, tasks
from aftercare.models import SurveyInvitation, SurveyResponse
from allocations import tasks as allocation_tasks
from allocations.models import Allocation
from allocations.services import changes
from applications.models import Membership
from applications.services import NotAllowed
from notifications.models import Notification
from tests.aftercare.conftest import grant
from tests.allocations.conftest import SERVICE_END, make_call
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

ENDED = SERVICE_END + timedelta(days=1)
NONE_USED = {"rating_compute": None, "rating_dev_env": None, "rating_data_saas": None, "rating_support": None}


def run_beat_on(day: date) -> None:
    with time_machine.travel(day, tick=False):
        for _ in range(2):
            allocation_tasks.expire_allocations.apply()
            tasks.invite_to_surveys.apply()


def ratings(compute=None, dev_env=None, data_saas=None, support=None) -> dict:
    return {
        "rating_compute": compute,
        "rating_dev_env": dev_env,
        "rating_data_saas": data_saas,
        "rating_support": support,
    }


def test_members_are_invited_once_when_the_award_ends_and_reminded_once_a_week_later(award, applicant, colleague):
    day = SERVICE_END - timedelta(days=3)
    while day <= SERVICE_END + timedelta(days=40):
        run_beat_on(day)
        day += timedelta(days=1)

    invitation = SurveyInvitation.objects.get()
    assert (invitation.application, invitation.occasion) == (award, "service_ended")
    assert invitation.invited_at.date() == ENDED
    sent = Notification.objects.filter(kind__in=["survey_invitation", "survey_reminder"]).order_by("pk")
    assert list(sent.values_list("kind", "recipient", "created_at__date")) == [
        ("survey_invitation", applicant.email, ENDED),
        ("survey_invitation", colleague.email, ENDED),
        ("survey_reminder", applicant.email, ENDED + timedelta(days=7)),
        ("survey_reminder", colleague.email, ENDED + timedelta(days=7)),
    ]
    assert sent.get(kind="survey_invitation", recipient=colleague.email).language == "en"


def test_an_answered_survey_is_not_reminded(award, applicant):
    run_beat_on(ENDED)
    services.survey_respond(actor=applicant, invitation=SurveyInvitation.objects.get(), ratings=ratings(5, 5, 5, 5))

    run_beat_on(ENDED + timedelta(days=7))

    assert not Notification.objects.filter(kind="survey_reminder").exists()


def test_an_award_still_running_is_not_invited_but_a_pilot_is_at_the_end_of_its_call(gpu_pool, applicant):
    later = SERVICE_END + timedelta(days=20)
    grant(make_call(gpu_pool), (gpu_pool, 1, SERVICE_END - timedelta(days=30), later))  # runs past 31 March
    pilot, [pilot_allocation] = grant(make_call(gpu_pool, is_pilot=True), (gpu_pool, 1))
    # The pilot's allocation was extended past the end of its call; the pilot still ended.
    changes.allocation_change(actor=None, allocation=pilot_allocation, ends_on=later)

    run_beat_on(SERVICE_END - timedelta(days=1))
    assert not SurveyInvitation.objects.exists()
    run_beat_on(ENDED)

    assert list(SurveyInvitation.objects.values_list("application", "occasion")) == [(pilot.pk, "pilot_ended")]


def test_awards_that_ended_long_ago_are_not_invited(award):
    run_beat_on(ENDED)
    SurveyInvitation.objects.all().delete()

    run_beat_on(ENDED + timedelta(days=45))

    assert not SurveyInvitation.objects.exists()


# --- Answering ------------------------------------------------------------------------------------


@pytest.fixture
def invitation(award) -> SurveyInvitation:
    run_beat_on(ENDED)
    return SurveyInvitation.objects.get()


def test_one_survey_per_organisation_and_allocation(invitation, applicant, colleague, award):
    services.survey_respond(actor=applicant, invitation=invitation, ratings=ratings(4, 3, None, 5), comments="좋아요")

    with pytest.raises(services.AftercareError):
        services.survey_respond(actor=colleague, invitation=invitation, ratings=ratings(1, 1, 1, 1))
    run_beat_on(ENDED + timedelta(days=1))  # the beat invites nobody twice

    assert SurveyInvitation.objects.count() == 1
    response = SurveyResponse.objects.get()
    assert (response.organization, response.application, response.submitted_by) == (
        award.organization,
        award,
        applicant,
    )
    allocation = Allocation.objects.get(application_item__application=award)
    assert (
        SurveyResponse.objects.filter(
            organization=allocation.organization, application=allocation.application_item.application
        ).count()
        == 1
    )
    with pytest.raises(IntegrityError):
        SurveyInvitation.objects.create(
            application=award, organization=award.organization, call=award.call, occasion="service_ended"
        )


def test_the_database_holds_one_response_per_organisation_and_award(invitation, applicant, award):
    services.survey_respond(actor=applicant, invitation=invitation, ratings=ratings(4))

    with pytest.raises(IntegrityError):
        SurveyResponse.objects.create(
            invitation=invitation, organization=award.organization, application=award, call=award.call
        )


def test_ratings_go_from_1_to_5_and_outsiders_cannot_answer(invitation, applicant, other_org_applicant):
    with pytest.raises(NotAllowed):
        services.survey_respond(actor=other_org_applicant, invitation=invitation, ratings=ratings(5))
    with pytest.raises(services.AftercareError):
        services.survey_respond(actor=applicant, invitation=invitation, ratings=ratings(6))
    with pytest.raises(services.AftercareError):
        services.survey_respond(actor=applicant, invitation=invitation, ratings=NONE_USED, comments=" ")

    assert not SurveyResponse.objects.exists()


def test_the_survey_page_takes_the_answers_then_shows_them(client, invitation, applicant, award):
    client.force_login(applicant)
    url = reverse("survey_answer", args=[invitation.pk])
    assert url in client.get(reverse("application_detail", args=[award.pk])).content.decode()

    incomplete = client.post(url, {"rating_compute": "5", "comments": "x"})
    assert incomplete.status_code == 200 and "rating_support" in incomplete.context["form"].errors
    response = client.post(
        url,
        {
            "rating_compute": "5",
            "rating_dev_env": "4",
            "rating_data_saas": "0",  # did not use
            "rating_support": "3",
            "comments": "교육이 더 있었으면 합니다.",
        },
    )

    assert response.status_code == 302
    answer = SurveyResponse.objects.get()
    assert (answer.rating_compute, answer.rating_dev_env, answer.rating_data_saas, answer.rating_support) == (
        5,
        4,
        None,
        3,
    )
    page = client.get(url)
    assert page.context["form"] is None and "교육이 더 있었으면 합니다." in page.content.decode()
    assert client.post(url, {"rating_compute": "1"}).status_code == 302  # already answered: nothing changes
    assert SurveyResponse.objects.get().rating_compute == 5


@pytest.mark.parametrize("value", ["6", "-1", "abc", "99999999999999999999"])
def test_bad_ratings_get_a_message_next_to_the_field(client, invitation, applicant, value):
    client.force_login(applicant)

    response = client.post(
        reverse("survey_answer", args=[invitation.pk]),
        {"rating_compute": value, "rating_dev_env": "1", "rating_data_saas": "1", "rating_support": "1"},
    )

    assert response.status_code == 200 and "rating_compute" in response.context["form"].errors
    assert not SurveyResponse.objects.exists()


def test_outsiders_do_not_reach_the_survey(client, invitation, other_org_applicant):
    client.force_login(other_org_applicant)

    assert client.get(reverse("survey_answer", args=[invitation.pk])).status_code == 404


# --- The results, for operators ----------------------------------------------------------------------


@pytest.fixture
def answered(call, gpu_pool):
    """Four organisations of ``call`` invited, three answered; one answer in another call."""
    answers = [
        (ratings(5, 4, None, 3), "좋음"),
        (ratings(3, None, 2, 5), ""),
        (ratings(4, 2, None, 4), "GPU 대기 시간이 길었음"),
        None,
    ]
    for answer in answers:
        invite_and_answer(call, gpu_pool, answer)
    invite_and_answer(make_call(gpu_pool), gpu_pool, (ratings(1, 1, 1, 1), "다른 공고"))
    return call


def invite_and_answer(call, gpu_pool, answer) -> None:
    application, _allocations = grant(call, (gpu_pool, 1))
    invitation = SurveyInvitation.objects.create(
        application=application, organization=application.organization, call=call, occasion="service_ended"
    )
    if answer:
        member = make_user(f"member-{application.pk}@example.kr")
        Membership.objects.create(organization=application.organization, user=member)
        services.survey_respond(actor=member, invitation=invitation, ratings=answer[0], comments=answer[1])


def test_the_summary_matches_the_responses(answered, django_assert_num_queries):
    with django_assert_num_queries(1):
        summary = selectors.survey_summary(call=answered)

    assert (summary.invited, summary.responses, summary.with_comments) == (4, 3, 2)
    assert summary.response_rate == pytest.approx(0.75)
    by_field = {q.field: q for q in summary.questions}
    assert [q.field for q in summary.questions] == [
        "rating_compute",
        "rating_dev_env",
        "rating_data_saas",
        "rating_support",
    ]
    # compute: 5, 3, 4 -> 4.0; development environment: 4, 2 -> 3.0; data lake and SaaS: 2; support: 3, 5, 4 -> 4.0
    assert (by_field["rating_compute"].answers, by_field["rating_compute"].average) == (3, pytest.approx(4.0))
    assert (by_field["rating_dev_env"].answers, by_field["rating_dev_env"].average) == (2, pytest.approx(3.0))
    assert (by_field["rating_data_saas"].answers, by_field["rating_data_saas"].average) == (1, pytest.approx(2.0))
    assert (by_field["rating_support"].answers, by_field["rating_support"].average) == (3, pytest.approx(4.0))
    assert by_field["rating_compute"].distribution == (0, 0, 1, 1, 1)
    assert by_field["rating_dev_env"].distribution == (0, 1, 0, 1, 0)


def test_the_summary_of_all_calls_counts_every_response(answered):
    summary = selectors.survey_summary()

    assert (summary.invited, summary.responses) == (5, 4)
    compute = summary.questions[0]
    assert (compute.answers, compute.average) == (4, pytest.approx((5 + 3 + 4 + 1) / 4))


def test_the_summary_of_no_responses_has_no_averages(db):
    summary = selectors.survey_summary()

    assert (summary.invited, summary.responses, summary.response_rate) == (0, 0, None)
    assert all(q.average is None and q.answers == 0 for q in summary.questions)


def test_the_dashboard_partial_shows_the_figures_with_translated_headings(answered):
    summary = selectors.survey_summary(call=answered)

    with translation.override("en"):
        english = render_to_string("dashboard/_surveys.html", {"survey_summary": summary})
    korean = render_to_string("dashboard/_surveys.html", {"survey_summary": summary})

    assert "Compute resources (GPU, CPU, storage)" in english and "Average" in english
    for figure in ("4.00", "3.00", "2.00", "3 / 4", "75%"):
        assert figure in english, figure
        assert figure in korean, figure
    assert "Compute resources" not in korean


def test_operators_read_the_free_text_answers_in_the_admin_and_change_nothing(client, answered, operator, reviewer):
    url = reverse("admin:aftercare_surveyresponse_changelist")
    client.force_login(operator)

    page = client.get(url, {"comments": "yes"})

    assert page.status_code == 200
    text = page.content.decode()
    assert "GPU 대기 시간이 길었음" in text and "좋음" in text
    assert len(page.context["cl"].result_list) == 3
    response = SurveyResponse.objects.exclude(comments="").first()
    change = reverse("admin:aftercare_surveyresponse_change", args=[response.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {"comments": "edited"}).status_code == 403
    assert client.get(reverse("admin:aftercare_surveyresponse_add")).status_code == 403
    response.refresh_from_db()
    assert response.comments != "edited"
    client.force_login(reviewer)
    assert client.get(url).status_code == 403
