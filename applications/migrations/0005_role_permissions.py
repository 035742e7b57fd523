from django.db import migrations


def grant(apps, schema_editor):
    from accounts.roles import sync_role_permissions

    sync_role_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0004_priority_policy"),
        ("allocations", "0004_role_permissions"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
