"""The evaluation in the admin: operators configure, reviewers assign, read the panel sheet
(page, CSV, printable) and record the committee's decisions through the engine's services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from allocations.models import Allocation
from applications.models import Application, PriorityClaim
from applications.services import claim_review
from evaluation.models import Assignment, CallEvaluation, Criterion, Stage
from evaluation.services import assignment as assigning
from tests.allocations.conftest import make_call
from tests.evaluation.conftest import evaluated_call, open_stage, submit_sheet

pytestmark = pytest.mark.django_db


def rubric_post(prefix: str, rows: list[tuple[str, int]]) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, (name, weight) in enumerate(rows):
        data.update({f"{prefix}-{index}-name": name, f"{prefix}-{index}-weight": str(weight)})
        data[f"{prefix}-{index}-reason_required"] = "on"
    return data


def stage_post(call, rows) -> dict:
    deadline = timezone.localtime(timezone.now() + timedelta(days=7))
    return {
        "call": str(call.pk),
        "name": "서면평가",
        "deadline_0": deadline.strftime("%Y-%m-%d"),
        "deadline_1": deadline.strftime("%H:%M:%S"),
        "evaluators_per_application": "3",
        "scale": "100",
        "pass_threshold": "",
        "pass_top": "",
        **rubric_post("criteria", rows),
        "transitions-TOTAL_FORMS": "0",
        "transitions-INITIAL_FORMS": "0",
        "transitions-MIN_NUM_FORMS": "0",
        "transitions-MAX_NUM_FORMS": "0",
    }


def test_an_operator_sets_an_evaluated_policy_with_a_gwangju_share(client, operator, gpu_pool):
    call = make_call(gpu_pool)
    client.force_login(operator)

    response = client.post(
        "/admin/evaluation/callevaluation/add/",
        {
            "call": str(call.pk),
            "mode": "evaluated",
            "reserved_claim": "gwangju_located",
            "reserved_percent": "50",
            "objection_days": "7",
            "evaluation_changes-TOTAL_FORMS": "0",
            "evaluation_changes-INITIAL_FORMS": "0",
            "evaluation_changes-MIN_NUM_FORMS": "0",
            "evaluation_changes-MAX_NUM_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    policy = CallEvaluation.objects.get(call=call)
    assert (policy.mode, policy.reserved_claim, policy.reserved_percent) == ("evaluated", "gwangju_located", 50)
    assert call.evaluation_changes.count() == 1
    page = client.get(f"/calls/{call.pk}/").content.decode()
    assert "50%" in page


def test_a_rubric_off_100_is_refused_by_the_form_and_nothing_is_saved(client, operator, gpu_pool):
    call = evaluated_call(gpu_pool, operator)
    client.force_login(operator)

    refused = client.post("/admin/evaluation/stage/add/", stage_post(call, [("기술성", 30), ("사업성", 30)]))
    accepted = client.post("/admin/evaluation/stage/add/", stage_post(call, [("기술성", 60), ("사업성", 40)]))

    assert refused.status_code == 200 and "100" in refused.content.decode()
    assert accepted.status_code == 302
    stage = Stage.objects.get(call=call)
    assert list(Criterion.objects.filter(stage=stage).values_list("name", "weight")) == [("기술성", 60), ("사업성", 40)]


def test_a_reviewer_opens_assigns_and_reads_the_panel_sheet(client, operator, reviewer, gpu_pool, evaluators):
    call = evaluated_call(gpu_pool, operator, applications=3)
    stage = open_stage(call, operator, reviewer)
    client.force_login(reviewer)

    response = client.post(f"/admin/evaluation/stage/{stage.pk}/assign/")

    assert response.status_code == 302
    assert Assignment.objects.filter(stage=stage).count() == 9
    for assignment, value in zip(Assignment.objects.filter(stage=stage).order_by("pk"), range(60, 96, 4), strict=True):
        submit_sheet(assignment, [value] * 4)
    page = client.get(f"/admin/evaluation/stage/{stage.pk}/panel/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "위원 A" in text and "위원 C" in text
    assert all(assignment.evaluator.name not in text for assignment in Assignment.objects.filter(stage=stage))
    csv = client.get(f"/admin/evaluation/stage/{stage.pk}/panel.csv")
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 4 and "위원 A" in lines[0]
    printable = client.get(f"/admin/evaluation/stage/{stage.pk}/panel/print/")
    assert printable.status_code == 200 and "<form" not in printable.content.decode()


def test_the_panel_sheet_is_ranked_by_final_score_and_marks_the_reserved_group(
    client, operator, reviewer, gpu_pool, evaluators
):
    call = evaluated_call(gpu_pool, operator, applications=2, reserved=("gwangju_located", 50))
    stage = open_stage(call, operator, reviewer, evaluators_per_application=1)
    assigning.assignments_auto(actor=reviewer, stage=stage)
    first, second = Application.objects.filter(call=call).order_by("pk")
    claim = PriorityClaim.objects.create(application=second, kind=PriorityClaim.Kind.GWANGJU_LOCATED)
    claim_review(actor=reviewer, claim=claim, verdict="verified")  # +30 bonus
    submit_sheet(Assignment.objects.get(application=first), [90] * 4)
    submit_sheet(Assignment.objects.get(application=second), [70] * 4)  # 70 + 30 = 100

    from evaluation.panel import panel_sheet

    sheet = panel_sheet(stage)

    assert [row.application.pk for row in sheet.rows] == [second.pk, first.pk]
    assert [(row.merit, row.bonus, row.final) for row in sheet.rows][0] == (70, 30, 100)
    assert [row.in_reserved_group for row in sheet.rows] == [True, False]


@pytest.mark.parametrize("size", [3, 24])
def test_the_panel_sheet_takes_the_same_queries_whatever_its_length(
    client, operator, reviewer, gpu_pool, evaluators, django_assert_max_num_queries, size
):
    call = evaluated_call(gpu_pool, operator, applications=size)
    stage = open_stage(call, operator, reviewer)
    assigning.assignments_auto(actor=reviewer, stage=stage)
    for assignment in Assignment.objects.filter(stage=stage)[::2]:
        submit_sheet(assignment, [80, 70, 60, 90])
    client.force_login(reviewer)

    with django_assert_max_num_queries(22):
        assert client.get(f"/admin/evaluation/stage/{stage.pk}/panel/").status_code == 200


def test_the_committee_approves_from_the_panel_sheet_through_the_decision_service(
    client, operator, reviewer, gpu_pool, evaluators
):
    call = evaluated_call(gpu_pool, operator, applications=1)
    stage = open_stage(call, operator, reviewer, evaluators_per_application=1)
    assigning.assignments_auto(actor=reviewer, stage=stage)
    submit_sheet(Assignment.objects.get(stage=stage), [80] * 4)
    application = Application.objects.get(call=call)
    client.force_login(reviewer)

    response = client.post(
        f"/admin/evaluation/stage/{stage.pk}/panel/decide/",
        {"application": application.pk, "decision": "approve", "reason": "평가위원회 의결"},
    )

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    assert Allocation.objects.filter(application_item__application=application).exists()
    assert application.transitions.last().actor == reviewer


def test_an_operator_cannot_record_a_committee_decision(client, operator, reviewer, gpu_pool, evaluators):
    call = evaluated_call(gpu_pool, operator, applications=1)
    stage = open_stage(call, operator, reviewer, evaluators_per_application=1)
    client.force_login(operator)

    response = client.post(
        f"/admin/evaluation/stage/{stage.pk}/panel/decide/",
        {"application": Application.objects.get(call=call).pk, "decision": "approve"},
    )

    assert response.status_code == 403
