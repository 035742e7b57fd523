"""The named cast of users, and isolation between tests."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.cache import cache

from accounts.roles import OPERATORS, REVIEWERS
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery-staple"


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
    computed by allauth's own TOTP functions."""
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

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
