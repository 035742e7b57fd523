"""Conflict grounds as a pure rule (evaluation/conflicts.py), and the reserved share in filling a
call by priority (allocations' fill plan walks the applications the share selects first)."""

import pytest

from allocations.services.filling import fill_by_priority_plan
from applications.models import Application, PriorityClaim
from applications.services import claim_review
from evaluation import conflicts
from evaluation.conflicts import EvaluatorFacts, OrganizationFacts
from tests.evaluation.conftest import evaluated_call

ORGANIZATION = OrganizationFacts(
    key=1,
    legal_name="주식회사 광주에이아이",
    registration_number="1234567890",
    website="https://www.gwangju-ai.co.kr/",
    member_ids=frozenset({7}),
    member_domains=frozenset({"gwangju-ai.co.kr", "gmail.com"}),
)


@pytest.mark.parametrize(
    ("evaluator", "expected"),
    [
        (EvaluatorFacts(1, 7, "naver.com"), [conflicts.MEMBER]),
        (EvaluatorFacts(1, 8, "gwangju-ai.co.kr"), [conflicts.EMAIL_DOMAIN]),
        (EvaluatorFacts(1, 8, "lab.gwangju-ai.co.kr"), [conflicts.EMAIL_DOMAIN]),
        (EvaluatorFacts(1, 8, "gmail.com"), []),  # a public mail service says nothing
        (EvaluatorFacts(1, 8, "univ.ac.kr", affiliation="(주) 광주 에이아이"), [conflicts.AFFILIATION]),
        (EvaluatorFacts(1, 8, "univ.ac.kr", affiliation_registration_number="1234567890"), [conflicts.AFFILIATION]),
        (EvaluatorFacts(1, 8, "univ.ac.kr", affiliation="광주과학기술원"), []),
        (EvaluatorFacts(1, 7, "gwangju-ai.co.kr"), [conflicts.MEMBER, conflicts.EMAIL_DOMAIN]),
    ],
)
def test_the_grounds_of_a_conflict(evaluator, expected):
    assert conflicts.grounds(evaluator, ORGANIZATION) == expected


def test_a_recorded_conflict_is_a_ground():
    recorded = OrganizationFacts(2, "다른 기관", "2222222222", recorded=frozenset({5}))

    assert conflicts.grounds(EvaluatorFacts(5, 9, "univ.ac.kr"), recorded) == [conflicts.RECORDED]


def test_names_compare_without_company_forms_spaces_or_case():
    assert conflicts.normalised_name("주식회사 Deep Mind") == conflicts.normalised_name("deepmind(주)")
    assert conflicts.website_domain("www.example.kr/path") == "example.kr"
    assert conflicts.email_domain("Someone@Example.KR") == "example.kr"


@pytest.mark.django_db
def test_filling_by_priority_keeps_the_reserved_share_for_the_gwangju_group(gpu_pool, operator, reviewer):
    call = evaluated_call(gpu_pool, operator, applications=8, reserved=("gwangju_located", 50), selection_target=4)
    applications = list(Application.objects.filter(call=call).order_by("submitted_at"))
    for application in applications[5:]:  # the last three ranked are in the group
        claim = PriorityClaim.objects.create(application=application, kind=PriorityClaim.Kind.GWANGJU_LOCATED)
        claim_review(actor=reviewer, claim=claim, verdict="verified")
    # Their verified claims give them 30 points each: without merit they would rank first, so
    # give the others a merit that ranks them first (final = merit + bonus).
    for application in applications[:5]:
        Application.objects.filter(pk=application.pk).update(merit_score=90, merit_stage=1)
    for application in applications[5:]:
        Application.objects.filter(pk=application.pk).update(merit_score=10, merit_stage=1)

    plan = fill_by_priority_plan(actor=reviewer, call=call)

    chosen = [application.pk for application in plan.approve]
    group = {application.pk for application in applications[5:]}
    assert len(chosen) == 4
    assert len(group.intersection(chosen)) == 2  # half of four
    assert [pk for pk in chosen if pk not in group] == [applications[0].pk, applications[1].pk]
