from django.db import migrations


def grant(apps, schema_editor):
    from accounts.roles import sync_role_permissions

    sync_role_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("allocations", "0003_ledger_triggers"),
        ("applications", "0003_call_waitlist_auto_approve"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
