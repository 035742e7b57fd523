"""An evaluator reads nothing unassigned (IDOR): guessing the id of another evaluator's
assignment, of an application withdrawn from them (declined, conflicted, reassigned), of one whose
organisation they have a conflict with, or of a stage still being prepared, answers 404 on every
evaluator URL (pages, downloads, posts) and writes nothing; the applicant's own pages stay the
members'."""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from evaluation.models import Assignment, ConflictDeclaration, Score, Stage
from tests.applications.conftest import MINIMAL_PDF
from tests.evaluation_site.conftest import assign, make_evaluator, make_panel
from tests.security.patterns import writes_besides_the_access_log

pytestmark = pytest.mark.django_db


def urls(assignment: Assignment, claim_pk: int) -> list[tuple[str, str, dict]]:
    criterion = getattr(assignment.stage.criteria.first(), "pk", 0)
    return [
        ("GET", reverse("evaluation_assignment", args=[assignment.pk]), {}),
        (
            "POST",
            reverse("evaluation_assignment", args=[assignment.pk]),
            {f"score_{criterion}": "99", f"reason_{criterion}": "x", "submit": ""},
        ),
        ("GET", reverse("evaluation_certificate", args=[assignment.pk]), {}),
        ("GET", reverse("evaluation_evidence", args=[assignment.pk, claim_pk]), {}),
        ("POST", reverse("evaluation_conflict", args=[assignment.pk]), {"kind": "recusal", "reason": "x"}),
        ("POST", reverse("evaluation_decline", args=[assignment.pk]), {"reason": "x"}),
        ("GET", reverse("application_detail", args=[assignment.application_id]), {}),
        ("GET", reverse("objection_file", args=[assignment.application_id]), {}),
    ]


@pytest.fixture
def idor(settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from applications.models import PriorityClaim

    settings.MEDIA_ROOT = tmp_path / "media"
    panel = make_panel(applications=3, evaluators=2)
    for application in panel.applications:
        application.business_certificate = SimpleUploadedFile("c.pdf", MINIMAL_PDF, content_type="application/pdf")
        application.save(update_fields=["business_certificate"])
        PriorityClaim.objects.create(
            application=application,
            kind=PriorityClaim.Kind.GWANGJU_LOCATED,
            evidence=SimpleUploadedFile("e.pdf", MINIMAL_PDF, content_type="application/pdf"),
        )
    return panel


def forbidden(idor):
    """(evaluator, assignment that evaluator must not reach, claim id) for each kind of IDOR."""
    me, other = idor.evaluators
    first, second, third = idor.applications
    cases = {"another evaluator's assignment": idor.assignment(other, first)}
    declined = idor.assignment(me, first)
    Assignment.objects.filter(pk=declined.pk).update(state=Assignment.State.DECLINED)
    cases["declined"] = declined
    conflicted = idor.assignment(me, second)
    ConflictDeclaration.objects.create(
        evaluator=me,
        organization=second.organization,
        kind=ConflictDeclaration.Kind.EXCLUSION,
        source=ConflictDeclaration.Source.AUTOMATIC,
        reason="같은 이메일 도메인",
    )
    cases["conflict with the organisation (still assigned)"] = conflicted
    preparing = Stage.objects.create(
        call=idor.call, order=2, name="발표평가", deadline=idor.stage.deadline, state=Stage.State.PREPARING
    )
    cases["stage being prepared"] = assign(preparing, third, me)
    reassigned = idor.assignment(me, third)
    Assignment.objects.filter(pk=reassigned.pk).update(state=Assignment.State.REASSIGNED)
    cases["reassigned"] = reassigned
    return me, cases


def test_an_evaluator_reaches_no_assignment_but_their_own_open_ones(idor):
    me, cases = forbidden(idor)
    client = Client()
    client.force_login(me.user)
    answers = {}
    for case, assignment in cases.items():
        claim_pk = assignment.application.claims.get().pk
        for method, url, data in urls(assignment, claim_pk):
            with transaction.atomic():
                before = writes_besides_the_access_log()
                response = client.get(url) if method == "GET" else client.post(url, data)
                wrote = writes_besides_the_access_log() != before
                transaction.set_rollback(True)
            if response.status_code != 404 or wrote:
                answers[f"{case}: {method} {url}"] = (response.status_code, wrote)

    assert answers == {}
    assert not Score.objects.exists()


def test_the_evaluators_own_assignment_opens_so_the_refusals_above_are_not_vacuous(idor):
    me = idor.evaluators[0]
    mine = idor.assignment(me, idor.applications[0])
    client = Client()
    client.force_login(me.user)

    assert client.get(reverse("evaluation_assignment", args=[mine.pk])).status_code == 200
    assert client.get(reverse("evaluation_certificate", args=[mine.pk])).status_code == 200
    claim = mine.application.claims.get()
    assert client.get(reverse("evaluation_evidence", args=[mine.pk, claim.pk])).status_code == 200
    other_claim = idor.applications[1].claims.get()
    assert client.get(reverse("evaluation_evidence", args=[mine.pk, other_claim.pk])).status_code == 404


def test_an_inactive_evaluator_reaches_nothing(idor):
    me = idor.evaluators[0]
    type(me).objects.filter(pk=me.pk).update(is_active=False)
    client = Client()
    client.force_login(me.user)

    assert client.get(reverse("evaluation_assignments")).status_code == 404
    assert (
        client.get(reverse("evaluation_assignment", args=[idor.assignment(me, idor.applications[0]).pk])).status_code
        == 404
    )


def test_a_new_evaluator_assigned_nothing_sees_an_empty_list(idor):
    newcomer = make_evaluator("newcomer@kaist.ac.kr")
    client = Client()
    client.force_login(newcomer.user)

    page = client.get(reverse("evaluation_assignments"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "/evaluation/assignments/" not in page


def test_an_evaluator_who_joins_the_applicant_organisation_loses_the_assignment(idor):
    """A conflict that arises after the assignment (the evaluator becomes a member of the
    applicant organisation) closes the application to them before anyone records it."""
    from applications.models import Membership
    from evaluation.services.scoring import lock_own_assignment
    from portal.errors import NotAllowed

    me = idor.evaluators[0]
    mine = idor.assignment(me, idor.applications[0])
    client = Client()
    client.force_login(me.user)
    assert client.get(reverse("evaluation_assignment", args=[mine.pk])).status_code == 200

    Membership.objects.create(organization=mine.application.organization, user=me.user, role=Membership.Role.MEMBER)

    assert client.get(reverse("evaluation_assignment", args=[mine.pk])).status_code == 404
    assert client.get(reverse("evaluation_certificate", args=[mine.pk])).status_code == 404
    with transaction.atomic(), pytest.raises(NotAllowed):
        lock_own_assignment(me.user, mine.pk)
