import pytest
from django.contrib.auth.models import Group

from accounts.roles import ROLE_PERMISSIONS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS))
def test_after_migrating_each_staff_group_has_exactly_its_listed_permissions(role):
    granted = {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=role).permissions.values_list("content_type__app_label", "codename")
    }

    assert granted == set(ROLE_PERMISSIONS[role])
