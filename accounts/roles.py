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
        "applications.decide_application",
        "applications.view_conflictofinterest",
        "applications.add_conflictofinterest",
        "applications.view_priorityweight",
        "applications.view_claimreview",
        "applications.view_organization",
        "applications.view_membership",
        "applications.view_call",
        "applications.view_calloffering",
        "applications.view_application",
        "applications.view_applicationitem",
        "applications.view_priorityclaim",
        "applications.view_applicationtransition",
        "allocations.view_offering",
        "allocations.view_capacityphase",
        "allocations.view_allocation",
        "allocations.view_allocationtransition",
        # After the award: reviewers decide change requests (with decide_application) and see reports.
        "aftercare.view_changerequest",
        "aftercare.view_changerequesttransition",
        "aftercare.view_report",
    ),
    OPERATORS: (
        "applications.add_priorityweight",
        "applications.change_priorityweight",
        "applications.delete_priorityweight",
        "applications.view_priorityweight",
        "applications.view_claimreview",
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
        "allocations.add_capacityphase",
        "allocations.change_capacityphase",
        "allocations.delete_capacityphase",
        "allocations.view_capacityphase",
        "allocations.view_allocation",
        "allocations.change_allocation",
        "allocations.view_allocationtransition",
        "dashboard.view_dashboard",
        # Operators watch the e-mail log (queueing a failed e-mail again is a change).
        "notifications.view_notification",
        "notifications.change_notification",
        # After the award: operators follow requests, reports and the survey's answers (view-only).
        "aftercare.view_changerequest",
        "aftercare.view_changerequesttransition",
        "aftercare.view_report",
        "aftercare.view_surveyinvitation",
        "aftercare.view_surveyresponse",
    ),
}


def sync_role_permissions(apps) -> None:
    """Give each staff group the permissions listed above that exist so far (for data migrations).

    Permissions are normally created after all migrations ran; they are created here first so
    that a fresh database gets its roles in the same `migrate`.
    """
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    if apps is not global_apps:  # a migration's historical registry
        for app_config in apps.get_app_configs():
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = []
        for code in codes:
            app_label, codename = code.split(".", 1)
            # A model that a later migration creates has no permission yet; that migration
            # calls this again (tests/accounts/test_roles.py checks that none is missing).
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                permissions.append(permission)
        group.permissions.set(permissions)
