"""Redis stops while the portal runs, and comes back.

The portal as production runs it (gunicorn, a Celery worker, beat) on the test's PostgreSQL and
a Redis server of the test's own, which holds the broker (database 0) and the cache (database 1)
as one server, the harder case. With Redis stopped, every page and action answers within 2 s and
without a 5xx: an applicant logs in and submits, a reviewer logs in with a second factor and
decides (one, then four in bulk), an operator opens the dashboard. Nothing is lost: once Redis is
back, every grant is provisioned and every e-mail delivered, exactly once, within 60 s.
"""

import time
from collections import Counter

import pytest
from django.db import connection
from django.urls import reverse

from accounts.roles import OPERATORS, REVIEWERS
from allocations.models import Allocation
from applications import services as application_services
from applications.models import Application, Membership
from notifications.models import Notification
from outbox.models import OutboxMessage
from tests.allocations.conftest import make_call, make_pool, submitted_application
from tests.applications.conftest import complete
from tests.conftest import PASSWORD, make_user, totp_code, totp_secret
from tests.factories import OrganizationFactory
from tests.integration.conftest import current_database_url
from tests.integration.portal_processes import PortalProcesses, Visitor, metrics, production_like, wait_until
from tests.integration.test_email_worker import smtp_env
from tests.redis_server import RedisServer
from tests.smtp import MailServer

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the outage is tried on production's PostgreSQL"),
]

ANSWER_WITHIN = 2.0  # seconds, every page and action while Redis is down
DELIVERED_WITHIN = 60.0  # seconds after Redis is back
OUTAGE_SECONDS = 45.0

QUEUE = reverse("admin:applications_application_changelist")


def decide_url(application: Application) -> str:
    return reverse("admin:applications_application_decide", args=[application.pk])


@pytest.fixture
def world(tmp_path, settings):
    """A call with room for everything, five submitted applications (one decided on its own,
    four in bulk), an applicant's complete draft, and the staff who work on them."""
    settings.MEDIA_ROOT = tmp_path / "media"
    pool = make_pool(100)
    call = make_call(pool, max_per_application=8)
    submitted = [submitted_application(call, (pool, 2)) for _ in range(5)]
    for number, application in enumerate(submitted):
        member = make_user(f"member{number}@example.kr")
        Membership.objects.create(organization=application.organization, user=member, role="owner")
    # Those who log in get the hash the portal's processes check (production's PBKDF2, not the
    # suite's fast MD5).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    applicant = make_user("applicant@example.kr")
    organization = OrganizationFactory(legal_name="광주 AI 주식회사")
    Membership.objects.create(organization=organization, user=applicant, role="owner")
    draft = application_services.application_start(actor=applicant, call=call, organization=organization)
    complete(draft, pool, 4)
    reviewer = make_user("reviewer@operator.kr", is_staff=True, group=REVIEWERS)
    operator = make_user("operator@operator.kr", is_staff=True, group=OPERATORS)
    return {
        "submitted": submitted,
        "draft": draft,
        "applicant": applicant,
        "reviewer": reviewer,
        "operator": operator,
        "media": settings.MEDIA_ROOT,
    }


def log_in(visitor: Visitor, user, answers: list) -> None:
    login = reverse("account_login")
    answers.append(("GET login", visitor.get(login)))
    answer = visitor.post(login, {"login": user.email, "password": PASSWORD})
    answers.append((f"POST login {user.email}", answer))
    assert answer.status == 302, answer.body[:2000]
    if user.is_staff:
        assert answer.location.endswith(reverse("mfa_authenticate")), answer.location
        answer = visitor.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret(user))})
        answers.append((f"POST second factor {user.email}", answer))
        assert answer.status == 302, answer.body[:2000]


def test_through_a_redis_outage_every_answer_is_quick_and_nothing_is_lost(world, tmp_path):
    redis = RedisServer(tmp_path)
    redis.start()
    mail = MailServer()
    mail.__enter__()
    portal = PortalProcesses(
        tmp_path,
        production_like(
            tmp_path,
            DATABASE_URL=current_database_url(),
            CELERY_BROKER_URL=redis.url(0),
            CACHE_URL=redis.url(1),
            MEDIA_ROOT=str(world["media"]),
            **smtp_env(mail.port),
        ),
    )
    try:
        portal.start_web()
        portal.start_worker()
        portal.start_beat()
        portal.wait_for_log("worker", "ready.")
        assert Visitor(portal.url).get("/readyz").status == 200

        redis.stop()
        stopped_at = time.monotonic()
        answers: list = []

        applicant = Visitor(portal.url)
        answers.append(
            (
                "POST login, wrong password",
                applicant.post(reverse("account_login"), {"login": world["applicant"].email, "password": "wrong"}),
            )
        )
        log_in(applicant, world["applicant"], answers)
        draft = world["draft"]
        answers.append(("POST submit", applicant.post(reverse("application_submit", args=[draft.pk]), {})))
        answers.append(("GET status page", applicant.get(reverse("application_detail", args=[draft.pk]))))

        reviewer = Visitor(portal.url)
        log_in(reviewer, world["reviewer"], answers)
        single, *bulk = world["submitted"]
        answers.append(("GET decision page", reviewer.get(decide_url(single))))
        answers.append(
            ("POST approve one", reviewer.post(decide_url(single), {"decision": "approve", "reason": "심사 결과"}))
        )
        selected = {"action": "approve_selected", "_selected_action": [a.pk for a in bulk]}
        answers.append(("POST bulk, confirmation", reviewer.post(QUEUE, selected)))
        answers.append(("POST bulk approve four", reviewer.post(QUEUE, {**selected, "confirm": "yes"})))
        answers.append(("GET queue", reviewer.get(QUEUE)))

        operator = Visitor(portal.url)
        log_in(operator, world["operator"], answers)
        answers.append(("GET dashboard", operator.get(reverse("dashboard"))))
        answers.append(("GET public statistics", Visitor(portal.url).get(reverse("public_statistics"))))
        readiness = Visitor(portal.url).get("/readyz")
        answers.append(("GET /readyz", readiness))
        scrape = Visitor(portal.url).get("/metrics")
        answers.append(("GET /metrics", scrape))

        for what, answer in answers:
            print(f"during the outage: {what}: {answer.status} in {answer.seconds:.2f} s")
        slow_or_failed = [
            f"{what}: {answer.status} in {answer.seconds:.2f} s"
            for what, answer in answers
            if answer.status >= 500 or answer.seconds >= ANSWER_WITHIN
        ]
        assert slow_or_failed == [], "\n".join(slow_or_failed)
        assert '"failing": ["broker", "cache"]' in readiness.body

        # Everything was decided and recorded; the work waits in the outbox, known at once.
        approved = Application.objects.filter(pk__in=[a.pk for a in world["submitted"]], status="approved")
        assert approved.count() == 5
        draft.refresh_from_db()
        assert draft.status == Application.Status.SUBMITTED
        waiting = OutboxMessage.objects.all()
        assert waiting.count() >= 3
        assert all(message.attempts >= 1 or message.last_error == "" for message in waiting)
        assert Notification.objects.filter(state=Notification.State.QUEUED).count() >= 6
        # What an operator's Prometheus reads meanwhile: the broker down, the backlog up.
        during = metrics(scrape.body)
        assert during["portal_broker_up"] == 0
        assert during["portal_outbox_messages"] == waiting.count()
        assert during["portal_emails_queued"] >= 6
        assert during["portal_allocations_waiting{state=pending}"] == 5

        # Long enough for every process to have backed off as far as it goes (Celery's own
        # waits grow to 30 s) before Redis returns.
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped_at)))
        redis.start()
        allocations = Allocation.objects.filter(application_item__application__in=approved)

        def all_done() -> bool:
            return (
                allocations.count() == 5
                and not allocations.exclude(state=Allocation.State.ACTIVE).exists()
                and not Notification.objects.exclude(state=Notification.State.SENT).exists()
                and not OutboxMessage.objects.exists()
            )

        took = wait_until(all_done, "provisioned and delivered", DELIVERED_WITHIN)
        print(f"everything provisioned and delivered {took:.1f} s after Redis came back")
        time.sleep(3)  # a duplicate delivery would arrive by now

        notifications = Counter(Notification.objects.values_list("recipient", flat=True))
        received = Counter(recipient for message in mail.received for recipient in message.recipients)
        assert received == notifications  # each e-mail exactly once
        for allocation in allocations:
            assert allocation.transitions.filter(to_state=Allocation.State.ACTIVE).count() == 1
        assert Visitor(portal.url).get("/readyz").status == 200
        after = metrics(Visitor(portal.url).get("/metrics").body)
        assert after["portal_broker_up"] == 1
        assert after["portal_outbox_messages"] == 0
        assert after["portal_emails_queued"] == 0
        assert after["portal_allocations_waiting{state=pending}"] == 0
        assert after["portal_allocations_waiting{state=provisioning}"] == 0
    finally:
        portal.stop()
        mail.__exit__(None, None, None)
        redis.stop()
    assert connection.vendor == "postgresql"
