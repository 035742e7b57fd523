from decimal import Decimal

import pytest
from django.urls import reverse

from evaluation.models import Assignment, Evaluator, Score
from evaluation.services.scoring import ScoreInput, assignment_submit, scores_save
from tests.evaluation_site.conftest import full_scores, make_evaluator, make_panel

pytestmark = pytest.mark.django_db


def evaluator_urls(assignment: Assignment) -> list[str]:
    claim_pk = 1
    return [
        reverse("evaluation_assignments"),
        reverse("evaluation_assignment", args=[assignment.pk]),
        reverse("evaluation_certificate", args=[assignment.pk]),
        reverse("evaluation_evidence", args=[assignment.pk, claim_pk]),
        reverse("evaluation_conflict", args=[assignment.pk]),
        reverse("evaluation_decline", args=[assignment.pk]),
    ]


def test_every_evaluator_page_waits_for_the_pledge_checked_on_each_request(client, panel):
    evaluator = panel.evaluators[0]
    Evaluator.objects.filter(pk=evaluator.pk).update(pledge_accepted_at=None)
    client.force_login(evaluator.user)

    for url in evaluator_urls(panel.assignment(evaluator, panel.applications[0])):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302 and response["Location"] == reverse("evaluation_pledge"), url

    page = client.get(reverse("evaluation_pledge"))
    assert page.status_code == 200 and "보안서약" in page.content.decode()
    assert client.post(reverse("evaluation_pledge"), {}).status_code == 200  # the box not ticked
    assert client.post(reverse("evaluation_pledge"), {"accept": "on"})["Location"] == reverse("evaluation_assignments")
    evaluator.refresh_from_db()
    assert evaluator.has_accepted_pledge
    assert client.get(reverse("evaluation_assignments")).status_code == 200


def test_an_evaluator_without_a_second_factor_is_sent_to_set_one_up(client, panel):
    newcomer = make_evaluator("newcomer@kaist.ac.kr", second_factor=False)
    client.force_login(newcomer.user)

    for url in (reverse("evaluation_assignments"), reverse("evaluation_pledge")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("mfa_index")


def test_the_last_second_factor_of_an_evaluator_cannot_be_removed(panel):
    from allauth.mfa.models import Authenticator

    from accounts.second_factor import MFAAdapter

    authenticator = Authenticator.objects.get(user=panel.evaluators[0].user, type=Authenticator.Type.TOTP)
    assert MFAAdapter().can_delete_authenticator(authenticator) is False


def test_a_user_who_is_no_evaluator_finds_no_evaluator_page(client, panel, applicant, reviewer):
    assignment = panel.assignment(panel.evaluators[0], panel.applications[0])
    for user in (applicant, reviewer):
        client.force_login(user)
        for url in (reverse("evaluation_assignments"), reverse("evaluation_assignment", args=[assignment.pk])):
            assert client.get(url).status_code == 404


def test_the_scoring_page_saves_a_draft_then_submits_and_is_read_only(client, panel):
    evaluator = panel.evaluators[0]
    assignment = panel.assignment(evaluator, panel.applications[0])
    url = reverse("evaluation_assignment", args=[assignment.pk])
    client.force_login(evaluator.user)
    criteria = list(panel.stage.criteria.all())

    draft = {f"score_{criteria[0].pk}": "77.5", f"reason_{criteria[0].pk}": "독창적입니다."}
    assert client.post(url, {**draft, "save": ""})["Location"] == url
    assert Score.objects.get(assignment=assignment).value == Decimal("77.5")

    incomplete = client.post(url, {**draft, "submit": ""})
    assert incomplete.status_code == 200
    errors = incomplete.context["form"].errors
    assert f"score_{criteria[1].pk}" in errors and f"reason_{criteria[1].pk}" in errors
    assert f"score_{criteria[0].pk}" not in errors
    out_of_scale = client.post(url, {f"score_{criteria[1].pk}": "101", f"reason_{criteria[1].pk}": "x", "save": ""})
    assert out_of_scale.status_code == 200 and f"score_{criteria[1].pk}" in out_of_scale.context["form"].errors

    complete = {}
    for criterion in criteria:
        complete |= {f"score_{criterion.pk}": "80", f"reason_{criterion.pk}": f"{criterion.name} 근거"}
    assert client.post(url, {**complete, "submit": ""})["Location"] == reverse("evaluation_assignments")
    assignment.refresh_from_db()
    assert assignment.is_submitted

    page = client.get(url).content.decode()
    assert "기술성 근거" in page and 'name="submit"' not in page and "<textarea" not in page
    assert client.post(url, {**complete, "save": ""})["Location"] == url  # refused with a message
    assert set(Score.objects.filter(assignment=assignment).values_list("value", flat=True)) == {Decimal(80)}


def test_the_scoring_page_never_shows_another_evaluators_scores(client, panel):
    mine, theirs = panel.evaluators[0], panel.evaluators[1]
    application = panel.applications[0]
    assignment_submit(
        actor=theirs.user,
        assignment=panel.assignment(theirs, application),
        scores={c.pk: ScoreInput(Decimal(13), "다른 위원의 비밀 의견") for c in panel.stage.criteria.all()},
    )
    scores_save(
        actor=mine.user, assignment=panel.assignment(mine, application), scores=full_scores(panel.stage, 90, "내 의견")
    )
    client.force_login(mine.user)

    page = client.get(reverse("evaluation_assignment", args=[panel.assignment(mine, application).pk])).content.decode()
    listing = client.get(reverse("evaluation_assignments")).content.decode()

    assert "내 의견" in page
    for shown in (page, listing):
        assert "다른 위원의 비밀 의견" not in shown and theirs.user.email not in shown and theirs.name not in shown


@pytest.mark.parametrize("applications", [2, 30])
def test_the_list_and_the_scoring_page_take_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, applications
):
    panel = make_panel(applications=applications, evaluators=1)
    evaluator = panel.evaluators[0]
    for application in panel.applications[: applications // 2]:
        scores_save(
            actor=evaluator.user, assignment=panel.assignment(evaluator, application), scores=full_scores(panel.stage)
        )
    client.force_login(evaluator.user)
    assignment = panel.assignment(evaluator, panel.applications[0])

    with django_assert_max_num_queries(10):
        listing = client.get(reverse("evaluation_assignments"))
    with django_assert_max_num_queries(10):
        page = client.get(reverse("evaluation_assignment", args=[assignment.pk]))

    assert listing.status_code == page.status_code == 200
    assert listing.content.decode().count('href="/evaluation/assignments/') == applications
