"""The named cast of users, and isolation between tests."""

import fcntl
import time

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import translation

from accounts.roles import OPERATORS, REVIEWERS
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery-staple"

# CI runs the whole suite on PostgreSQL and Redis (production's pair), then again on SQLite and the
# file-system broker (the laptop's `make run`) only the tests marked ``sqlite``: those whose outcome
# depends on the database engine or the broker. The rest (pages, forms, permissions, e-mails, rules
# without a database) runs the same Python on either engine. These paths are marked whole; a single
# test elsewhere takes ``@pytest.mark.sqlite``. A new trigger, raw SQL, ``connection.vendor`` branch,
# lock or transaction race, or task through the broker puts its tests here.
SQLITE_PASS = {
    # The ledger's and the usage changes' triggers (SQLite's own versions in the migrations), the
    # lock order of decisions and changes under SQLite's IMMEDIATE transactions.
    "tests/allocations/": "triggers, locks",
    "tests/pool/": "the ledger's triggers, the phase edit race",
    "tests/dashboard/test_capacity.py": "the ledger read back",
    "tests/api/staff/test_allocation_changes.py": "the changes feed's triggers",
    "tests/dashboard/test_usage_pages.py": "the usage changes' trigger rows",
    "tests/dashboard/test_data_version.py": "the data version across transactions",
    "tests/test_data_version.py": "the data version across transactions",
    # The application rank and merit ranking triggers, the paginator's engine branch.
    "tests/applications/test_application_rank.py": "the rank trigger",
    "tests/applications/test_application_rank_races.py": "the rank trigger under concurrent writers",
    "tests/applications/test_review_queue.py": "the paginator's PostgreSQL-only estimate",
    "tests/evaluation/test_ranking.py": "the merit ranking trigger",
    "tests/evaluation_site/test_scoring_races.py": "concurrent writers",
    "tests/reclaim/test_reclaim_race.py": "concurrent writers",
    "tests/aftercare/test_change_request_races.py": "concurrent writers",
    # Usage ingestion has a SQLite statement of its own (metering.services._ingest_sqlite).
    "tests/metering/test_usage_ingest.py": "the SQLite upsert",
    "tests/metering/test_usage_collect.py": "the SQLite upsert",
    # The outbox's engine branch, and real workers on the file-system broker.
    "tests/outbox/": "the outbox's engine branch",
    "tests/integration/test_celery_worker.py": "a worker on the file-system broker",
    "tests/integration/test_outbox.py": "the outbox relayed to a worker",
    "tests/integration/test_email_worker.py": "e-mail delivered by a worker",
    "tests/integration/test_provisioning_worker.py": "provisioning by a worker",
    # Migrations, the roles they sync, foreign keys and cascades (SQLite's PRAGMA foreign_keys).
    "tests/accounts/test_roles.py": "migrate and the roles",
    "tests/test_deletes.py": "foreign keys and cascades",
    # The demo `make run` seeds, and the flush after the package's seeding.
    "tests/demo/": "the demo of make run",
    "tests/test_ci_services.py": "CI runs on the backends it promises",
}


# First, so that pytest-xdist's own hook, which writes the ``xdist_group`` marks into the test ids
# ("…@group"), sees the marks added here whatever the plugins' order. (Grouping needs pytest < 9.2:
# requirements-dev.txt says why.)
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    from tests.processes import ROOT

    for prefix in SQLITE_PASS:
        if not (ROOT / prefix).exists():
            raise pytest.UsageError(f"tests/conftest.py's SQLITE_PASS names {prefix}, which does not exist")
    for item in items:
        path = item.path.relative_to(ROOT).as_posix()
        if any(path == prefix or (prefix.endswith("/") and path.startswith(prefix)) for prefix in SQLITE_PASS):
            item.add_marker(pytest.mark.sqlite)
        # Under pytest-xdist (--dist loadgroup) the tests sharing a module- or package-scoped
        # fixture of the suite's own (a clamd, a seeded demo, a production-like subprocess) run on
        # one worker, so that the fixture is set up once, not once per worker.
        shared = [
            path if definition.scope == "module" else definition.baseid
            for name in item.fixturenames
            for definition in item._fixtureinfo.name2fixturedefs.get(name, ())
            if definition.scope in ("module", "package") and definition.baseid.startswith("tests")
        ]
        if shared:
            item.add_marker(pytest.mark.xdist_group(shared[0]))


@pytest.fixture(autouse=True)
def _one_test_with_many_connections_at_a_time(request):
    """A test marked ``many_connections(n)`` opens up to ``n`` database connections at once (a
    thread each, e.g. 64 approvals racing). PostgreSQL serves ``max_connections`` (100 by default, 3
    kept for superusers) to everyone: two such tests on two xdist workers at once, beside the
    others' servers and Celery workers, ran out ("sorry, too many clients already"). They take
    turns through an exclusive lock on a file all the workers (and any other run of the suite here)
    share, and, holding it, wait (at most two minutes) until the server has ``n`` connections free
    and a few to spare: the other workers use between 5 and 40 meanwhile (a gunicorn, a Celery worker)."""
    marker = request.node.get_closest_marker("many_connections")
    if marker is None:
        yield
        return
    from tests.processes import ROOT

    lock_path = ROOT / "var" / "many-connections.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _wait_for_free_connections(request, needed=marker.args[0] if marker.args else 64)
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _wait_for_free_connections(request, *, needed: int, spare: int = 5, timeout: float = 120) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    query = """
        SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
               - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')
    """
    deadline = time.monotonic() + timeout
    with request.getfixturevalue("django_db_blocker").unblock():
        while True:
            with connection.cursor() as cursor:
                cursor.execute(query)
                free = cursor.fetchone()[0]
            if free >= needed + spare or time.monotonic() > deadline:
                return
            time.sleep(0.5)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Production hashing costs ~0.5 s per password by design; tests need speed, not secrecy.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _release_capacity_before_flush(request):
    """After a transactional test, Django's test runner empties the tables with ``flush``. On
    SQLite that is one DELETE per table in no fixed order: deleting the capacity phases before
    the allocations that hold capacity would lower the ledger's capacity under them, and the
    ledger's CHECK refuses (PostgreSQL truncates without row triggers); and deleting an allocation
    that counts in the dashboard's usage changes (held, expired or revoked) has the usage trigger
    write rows for its span, which may reference an offering already deleted. So every
    allocation is marked failed first (no capacity held, no span counted): this fixture's
    teardown runs before the flush."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    from django.db import connection

    if connection.vendor == "sqlite":
        from allocations.models import Allocation

        Allocation.objects.update(state=Allocation.State.FAILED)


@pytest.fixture(autouse=True)
def _broker_not_paused():
    # A test that made the broker unreachable leaves the outbox's pause behind it (this process
    # stops trying the broker for a few seconds); the next test starts with a broker to try.
    from outbox import services as outbox

    outbox._broker_paused_until = 0.0
    yield
    outbox._broker_paused_until = 0.0


@pytest.fixture(autouse=True)
def _cache_not_skipping_redis():
    # A test that made Redis unreachable leaves this process skipping it for a few seconds.
    from portal import cache as portal_cache

    portal_cache._unreachable_until.clear()
    yield
    portal_cache._unreachable_until.clear()


@pytest.fixture(autouse=True)
def _default_language():
    # LocaleMiddleware activates a request's language and leaves it active in the thread: a test
    # that sent Accept-Language: en would otherwise leave English to the next test on the same
    # worker (the order under xdist is not the file order). Each test starts in the default.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clear_cache():
    # Failed-login counters live in the cache; one test's lockout must not leak into another.
    cache.clear()
    yield
    cache.clear()


def make_user(email: str, *, is_staff: bool = False, group: str | None = None, second_factor=None, **extra):
    """A user with a verified address and ``PASSWORD``; staff (and superusers) have enrolled an
    authenticator app as the portal asks of them (``second_factor=False``: not yet)."""
    user = UserFactory(email=email, is_staff=is_staff, password=PASSWORD, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if group:
        # The staff groups exist after every migrate and every flush (accounts.roles.sync_roles).
        user.groups.add(Group.objects.get(name=group))
    if second_factor if second_factor is not None else (user.is_staff or user.is_superuser):
        enrol_authenticator_app(user)
    return user


def enrol_authenticator_app(user) -> str:
    """Give ``user`` an authenticator app (TOTP) with a random secret and its recovery codes, as
    allauth's set-up page does; the secret, from which ``totp_code`` computes the current code."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def totp_code(secret: str, *, at: float | None = None) -> str:
    """The code an authenticator app holding ``secret`` shows now (or at the Unix time ``at``),
    computed by allauth's own TOTP functions. Now, in the last 3 s of its period, it waits for the
    next code, as a person would: allauth accepts only the current period's code, and a code
    typed at 29.9 s and checked at 30.1 s was refused (logins failed now and then on a loaded CI)."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    if at is None:
        left = app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD
        if left < 3:
            time.sleep(left + 0.05)
    counter = int(time.time() if at is None else at) // app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def totp_secret(user) -> str:
    """The secret of ``user``'s authenticator app."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt

    return decrypt(Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"])


@pytest.fixture
def applicant(db):
    return make_user("applicant@example.kr")


@pytest.fixture
def other_org_applicant(db):
    return make_user("other@example.kr")


@pytest.fixture
def reviewer(db):
    return make_user("reviewer@operator.kr", is_staff=True, group=REVIEWERS)


@pytest.fixture
def operator(db):
    return make_user("operator@operator.kr", is_staff=True, group=OPERATORS)


@pytest.fixture
def superuser(db):
    return make_user("root@operator.kr", is_staff=True, is_superuser=True)


@pytest.fixture
def gpu_pool(db):
    """A GPU offering with 10 units from 2030 on (see tests/allocations/conftest.py)."""
    from tests.allocations.conftest import make_pool

    return make_pool(10)


@pytest.fixture
def storage_pool(db):
    from pool.models import Offering
    from tests.allocations.conftest import make_pool

    return make_pool(100, name="Storage", kind=Offering.Kind.STORAGE, unit=Offering.Unit.TB)


@pytest.fixture
def faulty_cloud(settings):
    """The modelled cloud with faults (tests/provisioners.py) as the provisioner: set its knobs
    on the class the fixture returns (``faulty_cloud.transient_failures = 1``)."""
    from tests.provisioners import FaultyCloud

    settings.PROVISIONER_BACKEND = "tests.provisioners.FaultyCloud"
    FaultyCloud.reset()
    yield FaultyCloud
    FaultyCloud.reset()


@pytest.fixture
def published_tasks(monkeypatch):
    """The tasks the outbox hands to the broker, as (task name, args), instead of publishing them:
    what a worker would run next."""
    from outbox import services as outbox

    published: list[tuple[str, list]] = []
    monkeypatch.setattr(outbox, "_publish", lambda message: published.append((message.task, list(message.args))))
    return published
