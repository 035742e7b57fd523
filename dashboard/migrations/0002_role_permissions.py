from django.db import migrations


def grant(apps, schema_editor):
    from accounts.roles import sync_role_permissions

    sync_role_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_dashboard_permission"),
        ("allocations", "0004_role_permissions"),
        ("applications", "0005_role_permissions"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
