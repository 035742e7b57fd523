"""The kept rank on PostgreSQL: under concurrent submissions, claim reviews, withdrawals and
decisions in one call (threads with connections of their own), the ranks end right and nobody
deadlocks; and the queue's page reads a bounded part of a 10,000-application call, not all of it.

The races: this test's own connection holds the call's row (the lock the services and the rank
triggers take) until every thread is waiting for a lock, then lets go, so that all of them
meet. A service that locked an application before its call could hold a row that another's
recomputation must rewrite while waiting for the call: PostgreSQL would abort one of the two
with ``deadlock detected``. SQLite lets one writer in at a time: nothing to race there.
"""

import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from allocations.services import decisions
from applications import services
from applications.models import Application, Call, Organization, PriorityClaim
from tests.allocations.conftest import make_call, submitted_application
from tests.applications.conftest import complete
from tests.applications.test_application_rank import assert_ranks_kept
from tests.factories import OrganizationFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="SQLite serialises writers: two transactions never hold rows at once",
    ),
]

ROUNDS = 3
MEETING_TIMEOUT = 20
THREAD_TIMEOUT = 60
T0 = timezone.now() - timedelta(days=1)


def waiting_for_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def run_together(call: Call, operations: list) -> list[BaseException]:
    """Run ``operations`` in threads of their own while this connection holds the call's row;
    let go once all of them wait for a lock (or after MEETING_TIMEOUT). Returns their errors."""
    errors: list[BaseException] = []

    def run(operation):
        try:
            operation()
        except BaseException as error:  # reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(operation,)) for operation in operations]
    with transaction.atomic():
        Call.objects.select_for_update(no_key=True).filter(pk=call.pk).exists()
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + MEETING_TIMEOUT
        while waiting_for_locks() < len(operations) and time.monotonic() < deadline:
            time.sleep(0.05)
    for thread in threads:
        thread.join(THREAD_TIMEOUT)
        assert not thread.is_alive(), "a thread is still waiting for a lock"
    return errors


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_changes_in_one_call_end_in_the_right_ranks_without_deadlock(
    round_, gpu_pool, applicant, reviewer, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    call = make_call(gpu_pool, deadline=timezone.now() + timedelta(days=7), opens_at=T0 - timedelta(days=7))
    field = []
    for hour, score in enumerate([30, 0, 30, 10, 0, 20, 10, 0]):
        application = submitted_application(call, (gpu_pool, 1), submitted_at=T0 + timedelta(hours=hour))
        Application.objects.filter(pk=application.pk).update(priority_score=score)
        field.append(application)
    claims = [
        PriorityClaim.objects.create(application=application, kind=PriorityClaim.Kind.GWANGJU_LOCATED)
        for application in (field[1], field[4], field[7])
    ]
    drafts = []
    for _ in range(3):
        organization = OrganizationFactory()
        organization.memberships.create(user=applicant, role="owner")
        draft = services.application_start(actor=applicant, call=call, organization=organization)
        drafts.append(complete(draft, gpu_pool, 1))
    field[3].organization.memberships.create(user=applicant, role="owner")
    verified = PriorityClaim.Verification.VERIFIED

    operations = [
        *[lambda draft=draft: services.application_submit(actor=applicant, application=draft) for draft in drafts],
        *[lambda claim=claim: services.claim_review(actor=reviewer, claim=claim, verdict=verified) for claim in claims],
        lambda: services.application_withdraw(actor=applicant, application=field[3]),
        lambda: decisions.application_approve(actor=reviewer, application=field[0]),
        lambda: decisions.application_waitlist(actor=reviewer, application=field[2]),
        lambda: decisions.applications_approve(actor=reviewer, applications=[field[6], field[5]]),
    ]
    errors = run_together(call, operations)

    assert errors == []
    assert Application.objects.filter(call=call, status=Application.Status.SUBMITTED).count() == 3 + 3
    assert_ranks_kept(call)


def test_the_queue_page_reads_a_bounded_part_of_a_call_of_10000(client, reviewer, gpu_pool):
    """EXPLAIN (ANALYZE, BUFFERS) of the page's query, at 10,000 applications in one call: no
    plan node reads more applications than the page shows (the old per-row count read the whole
    call ahead of each row), and the buffers it touches are far fewer than the applications."""
    call = make_call(gpu_pool)
    size = 10_000
    organizations = Organization.objects.bulk_create(
        Organization(
            legal_name=f"기관 {n}",
            org_type="sme",
            registration_number=f"{6_000_000_000 + n}",
            region="gwangju",
            address="광주",
            industry="energy",
            employees=10,
        )
        for n in range(size)
    )
    now = timezone.now()
    Application.objects.bulk_create(
        Application(
            organization=organization,
            call=call,
            status=Application.Status.SUBMITTED,
            submitted_at=now - timedelta(minutes=n),
            priority_score=(n % 7) * 10,
        )
        for n, organization in enumerate(organizations)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    client.force_login(reviewer)
    queue = reverse("admin:applications_application_changelist")

    for params in ({}, {"o": "1"}, {"o": "-1"}):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(queue, params)
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == 100
        (page_query,) = [q["sql"] for q in captured if "LIMIT 100" in q["sql"] and '"rank"' in q["sql"]]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + page_query)
            result = cursor.fetchone()[0]
        plan = (json.loads(result) if isinstance(result, str) else result)[0]
        top = plan["Plan"]

        def nodes(node):
            yield node
            for child in node.get("Plans", []):
                yield from nodes(child)

        read = [
            node["Actual Rows"] * node["Actual Loops"]
            for node in nodes(top)
            if node.get("Relation Name") == "applications_application"
        ]
        assert read and max(read) <= 100, (params, read)
        assert any(node.get("Index Name") == "application_queue_rank" for node in nodes(top)), params
        buffers = top["Shared Hit Blocks"] + top["Shared Read Blocks"]
        assert buffers < size / 2, (params, buffers)
