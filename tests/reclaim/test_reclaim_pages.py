"""The reclaim pages: the organisation's case page (the answer form until the due date), the
reviewer's queue (most idle units first) and decision page (usage bars, the answer, reduce /
end / keep), the summary of what was reclaimed and where it went with its CSV, the policy's
admin, and the sections on the application's and the call's pages."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse

from allocations.models import Allocation
from reclaim import services
from reclaim.models import ReclaimCase, ReclaimPolicy
from tests.aftercare.conftest import grant
from tests.reclaim.conftest import TODAY, days_before, record_usage

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:reclaim_reclaimcase_changelist")
SUMMARY = reverse("admin:reclaim_reclaimcase_reclaimed")


def decide_url(case: ReclaimCase) -> str:
    return reverse("admin:reclaim_reclaimcase_decide", args=[case.pk])


def test_a_member_reads_the_case_with_its_usage_and_answers_it(client, applicant, case):
    client.force_login(applicant)
    url = reverse("reclaim_case", args=[case.pk])

    page = client.get(url)
    assert page.status_code == 200
    bars = page.context["chart"].bars  # every day of service up to the last collected
    assert (len(bars), bars[0].used, bars[-1].day, bars[-1].height) == (63, None, TODAY - timedelta(days=1), 8)
    assert "<svg" in page.content.decode()
    response = client.post(url, {"kind": "exemption", "answer": "장비 이전 중"})

    assert response.status_code == 302 and response["Location"] == url
    case.refresh_from_db()
    assert (case.state, case.answer_kind, case.answer) == (ReclaimCase.State.ANSWERED, "exemption", "장비 이전 중")
    assert client.get(url).context["form"] is None  # then read-only


def test_another_organisation_never_sees_the_case(client, other_org_applicant, case):
    client.force_login(other_org_applicant)
    url = reverse("reclaim_case", args=[case.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"kind": "plan", "answer": "가로채기"}).status_code == 404
    case.refresh_from_db()
    assert case.state == ReclaimCase.State.CANDIDATE


def test_the_queue_ranks_open_cases_by_idle_units(client, reviewer, case, call, gpu_pool):
    _application, [small] = grant(call, (gpu_pool, 2))
    record_usage(small, dict.fromkeys(days_before(TODAY, 60), 0))
    [second] = services.reclaim_candidates_mark(today=TODAY)
    client.force_login(reviewer)

    response = client.get(QUEUE)

    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [case.pk, second.pk]  # 7 idle, then 2
    assert decide_url(case) in response.content.decode()


def test_the_decision_page_shows_the_usage_and_the_answer_and_reduces(client, reviewer, applicant, case, waitlist):
    services.reclaim_case_answer(actor=applicant, case=case, kind="plan", answer="다음 달 대규모 학습")
    client.force_login(reviewer)

    page = client.get(decide_url(case))
    assert page.status_code == 200
    body = page.content.decode()
    assert "다음 달 대규모 학습" in body and "<svg" in body
    assert page.context["form"].initial["units"] == 1
    response = client.post(decide_url(case), {"decision": "reduce", "units": "3", "reason": "계획 감안 3개 유지"})

    assert response.status_code == 302 and response["Location"].startswith(QUEUE)
    assert Allocation.objects.get(pk=case.allocation_id).quantity == 3
    again = client.post(decide_url(case), {"decision": "end", "reason": "종료"})
    assert again.status_code == 200  # refused, shown again with the reason
    assert any("이미 결정된 건입니다" in str(message) for message in again.context["messages"])


def test_a_decision_without_a_reason_changes_nothing(client, reviewer, case):
    client.force_login(reviewer)
    response = client.post(decide_url(case), {"decision": "end", "reason": ""})
    assert response.status_code == 200
    assert Allocation.objects.get(pk=case.allocation_id).state == Allocation.State.ACTIVE


def test_the_summary_says_what_was_reclaimed_and_where_it_went_with_a_csv(client, operator, reviewer, case, waitlist):
    services.reclaim_case_reduce(actor=reviewer, case=case, units=3, reason="감축")
    services.reclaim_offer(case_id=case.pk)
    client.force_login(operator)

    page = client.get(SUMMARY)
    [row] = page.context["rows"]
    assert (row.units, row.offered_units, [offer.application for offer in row.offers]) == (5, 6, [waitlist[1]])
    csv_url = page.context["csv_url"]
    assert csv_url.startswith(reverse("dashboard_export", args=["reclaimed"]))
    rows = list(csv.reader(io.StringIO(client.get(csv_url).content.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][3] == "5" and rows[1][5] == waitlist[1].organization.legal_name


def test_operators_set_a_policy_in_the_admin_and_it_is_kept_with_its_author(client, operator, gpu_pool):
    from tests.allocations.conftest import make_call

    call = make_call(gpu_pool)
    client.force_login(operator)
    data = {
        "call": call.pk,
        "enabled": "on",
        "threshold_percent": "25",
        "window_days": "30",
        "grace_days": "14",
        "idle_days": "",
        "answer_days": "10",
        "automatic": "never",
    }
    response = client.post(reverse("admin:reclaim_reclaimpolicy_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    policy = ReclaimPolicy.objects.get(call=call)
    assert (policy.threshold_percent, policy.idle_days, policy.answer_days) == (25, None, 10)
    assert call.reclaim_policy_changes.get().actor == operator
    refused = client.post(reverse("admin:reclaim_reclaimpolicy_change", args=[policy.pk]), {**data, "window_days": "0"})
    assert refused.status_code == 200
    policy.refresh_from_db()
    assert policy.window_days == 30


def test_the_application_and_call_pages_show_the_case_and_the_policy(client, applicant, case, award, call):
    client.force_login(applicant)
    application_page = client.get(reverse("application_detail", args=[award.pk])).content.decode()
    assert reverse("reclaim_case", args=[case.pk]) in application_page
    call_page = client.get(reverse("call_detail", args=[call.pk])).content.decode()
    assert 'id="reclaim-policy"' in call_page
    ReclaimPolicy.objects.filter(call=call).update(enabled=False)
    assert 'id="reclaim-policy"' not in client.get(reverse("call_detail", args=[call.pk])).content.decode()


def test_the_queue_takes_the_same_queries_for_more_cases(client, reviewer, case, call):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.allocations.conftest import make_pool

    def queries() -> int:
        with CaptureQueriesContext(connection) as counted:
            assert client.get(QUEUE).status_code == 200
        return len(counted.captured_queries)

    client.force_login(reviewer)
    one = queries()
    cpu = make_pool(1000, name="CPU")
    for _ in range(5):
        _application, [allocation] = grant(call, (cpu, 1))
        record_usage(allocation, dict.fromkeys(days_before(TODAY, 60), 0))
    assert len(services.reclaim_candidates_mark(today=TODAY)) == 5
    assert queries() == one
