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
def _clear_cache():
    # Failed-login counters live in the cache; one test's lockout must not leak into another.
    cache.clear()
    yield
    cache.clear()


def make_user(email: str, *, is_staff: bool = False, group: str | None = None, **extra):
    user = UserFactory(email=email, is_staff=is_staff, password=PASSWORD, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if group:
        if not Group.objects.filter(name=group).exists():
            # A transactional test's flush empties what the data migrations made (the staff
            # groups); the permissions come back with flush's post-migrate signal.
            from django.apps import apps

            from accounts.roles import sync_role_permissions

            sync_role_permissions(apps)
        user.groups.add(Group.objects.get(name=group))
    return user


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
    from allocations.models import Offering
    from tests.allocations.conftest import make_pool

    return make_pool(100, name="Storage", kind=Offering.Kind.STORAGE, unit=Offering.Unit.TB)
