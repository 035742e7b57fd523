import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from accounts.roles import OPERATORS, REVIEWERS, ROLE_PERMISSIONS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS))
def test_after_migrating_each_staff_group_has_exactly_its_listed_permissions(role):
    granted = {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=role).permissions.values_list("content_type__app_label", "codename")
    }

    assert granted == set(ROLE_PERMISSIONS[role])


def test_every_migrate_gives_the_groups_back_their_exact_permissions():
    # An operator removed a right by hand, and someone deleted the Reviewers group.
    Group.objects.get(name=OPERATORS).permissions.clear()
    Group.objects.filter(name=REVIEWERS).delete()

    call_command("migrate", verbosity=0)

    for role, codes in ROLE_PERMISSIONS.items():
        granted = {
            f"{app}.{codename}"
            for app, codename in Group.objects.get(name=role).permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert granted == set(codes)


def test_a_listed_permission_that_no_model_has_stops_the_migration(monkeypatch):
    monkeypatch.setitem(ROLE_PERMISSIONS, OPERATORS, (*ROLE_PERMISSIONS[OPERATORS], "pool.change_no_such_model"))

    with pytest.raises(ImproperlyConfigured, match="pool.change_no_such_model"):
        call_command("migrate", verbosity=0)
