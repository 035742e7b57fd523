"""The operator's staff roles, as Django groups with the permissions listed here.

Reviewers decide applications in the admin; Operators manage calls, offerings, capacity and
watch the dashboards. Neither needs to be a superuser. The groups and their permissions are
synced after every ``migrate`` (and every test database flush), as Django creates permissions:
``sync_roles`` runs on ``post_migrate`` and refuses a codename that no model has.
"""

from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.core.exceptions import ImproperlyConfigured

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
        "applications.view_prioritypolicychange",
        "pool.view_offering",
        "pool.view_capacityphase",
        "pool.view_capacitychange",
        "allocations.view_allocation",
        "allocations.view_allocationtransition",
        # After the award: reviewers decide change requests (with decide_application) and see reports.
        "aftercare.view_changerequest",
        "aftercare.view_changerequesttransition",
        "aftercare.view_report",
        # What the allocations used (usage metering): the evidence of a reclaim.
        "metering.view_usagerecord",
        # Reclaim: reviewers work the queue and decide (with decide_application); they read the policies.
        "reclaim.view_reclaimcase",
        "reclaim.view_reclaimcasetransition",
        "reclaim.view_reclaimoffer",
        "reclaim.view_reclaimpolicy",
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
        "applications.view_prioritypolicychange",
        "pool.add_offering",
        "pool.change_offering",
        "pool.delete_offering",
        "pool.view_offering",
        "pool.add_capacityphase",
        "pool.change_capacityphase",
        "pool.delete_capacityphase",
        "pool.view_capacityphase",
        "pool.view_capacitychange",
        "allocations.view_allocation",
        "allocations.change_allocation",
        "allocations.view_allocationtransition",
        "metering.view_usagerecord",
        "dashboard.view_dashboard",
        # Operators watch the e-mail log (queueing a failed e-mail again is a change).
        "notifications.view_notification",
        "notifications.change_notification",
        # What waits for the broker (normally nothing): an outage shows here.
        "outbox.view_outboxmessage",
        # After the award: operators follow requests, reports and the survey's answers (view-only).
        "aftercare.view_changerequest",
        "aftercare.view_changerequesttransition",
        "aftercare.view_report",
        "aftercare.view_surveyinvitation",
        "aftercare.view_surveyresponse",
        # The personal-data access log: read in the admin and exported for an audit (never edited).
        "accesslog.view_accessrecord",
        # Reclaim: operators set each call's policy, and follow the cases and what was reclaimed.
        "reclaim.add_reclaimpolicy",
        "reclaim.change_reclaimpolicy",
        "reclaim.view_reclaimpolicy",
        "reclaim.view_reclaimpolicychange",
        "reclaim.view_reclaimcase",
        "reclaim.view_reclaimcasetransition",
        "reclaim.view_reclaimoffer",
    ),
}


def sync_roles(sender: AppConfig, using: str = "default", apps: Apps = global_apps, **kwargs: Any) -> None:
    """``post_migrate``: give each staff group exactly the permissions listed above.

    Runs once per ``migrate`` or ``flush``, for the last app with models, when Django has
    created the permissions of every app (its own ``post_migrate`` handler runs before this
    one; ``apps`` is the migration state after ``migrate``, the app registry after ``flush``). Raises
    ``ImproperlyConfigured`` for a listed codename that no model has: a renamed or removed model
    must not silently take a right away from a role.
    """
    # Django sends post_migrate once per installed app with models, in INSTALLED_APPS order.
    with_models = [config for config in global_apps.get_app_configs() if config.models_module is not None]
    if sender.label != with_models[-1].label:
        return
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    existing = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.using(using).values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    unknown = sorted(code for codes in ROLE_PERMISSIONS.values() for code in codes if code not in existing)
    if unknown:
        raise ImproperlyConfigured(f"accounts.roles lists permissions that no model has: {', '.join(unknown)}")
    for name, codes in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set([existing[code] for code in codes])
