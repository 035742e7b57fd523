"""The operator's staff roles, as Django groups created by a data migration.

Reviewers decide applications in the admin; Operators manage calls, offerings, capacity and
watch the dashboards. Neither needs to be a superuser.
"""

REVIEWERS = "Reviewers"
OPERATORS = "Operators"
STAFF_GROUPS = (REVIEWERS, OPERATORS)

# What each role may do in the admin, as "app_label.codename". Deciding never needs a superuser.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    REVIEWERS: (
        "applications.view_organization",
        "applications.view_membership",
        "applications.view_call",
        "applications.view_calloffering",
        "applications.view_application",
        "applications.view_applicationitem",
        "applications.view_priorityclaim",
        "applications.view_applicationtransition",
        "allocations.view_offering",
    ),
    OPERATORS: (
        "applications.view_organization",
        "applications.view_membership",
        "applications.add_call",
        "applications.change_call",
        "applications.delete_call",
        "applications.view_call",
        "applications.add_calloffering",
        "applications.change_calloffering",
        "applications.delete_calloffering",
        "applications.view_calloffering",
        "applications.view_application",
        "applications.view_applicationitem",
        "applications.view_priorityclaim",
        "applications.view_applicationtransition",
        "allocations.add_offering",
        "allocations.change_offering",
        "allocations.delete_offering",
        "allocations.view_offering",
    ),
}


def sync_role_permissions(apps) -> None:
    """Give each staff group exactly the permissions listed above (for data migrations).

    Permissions are normally created after all migrations ran; they are created here first so
    that a fresh database gets its roles in the same `migrate`.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [tuple(code.split(".", 1)) for code in codes]
        permissions = [
            Permission.objects.get(content_type__app_label=app, codename=codename) for app, codename in wanted
        ]
        group.permissions.set(permissions)
