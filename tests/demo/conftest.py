from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from allocations.models import Allocation


@pytest.fixture(scope="package")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo seeded once for the package's read-only checks (its five calls are told through
    the services: seconds), with what ``seed_demo`` printed; each test still runs in its own
    rolled-back transaction, and the rows go at the end. The sample documents go to a temporary
    folder."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("demo-media")):
        try:
            out = StringIO()
            call_command("seed_demo", force=True, stdout=out)
            yield out.getvalue()
        finally:  # also when seeding fails: the rows must not leak into other packages' tests
            # Marked failed first: SQLite's flush deletes table by table (see tests/conftest.py).
            Allocation.objects.update(state=Allocation.State.FAILED)
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def seed_again(seeded, settings):
    """Run ``seed_demo`` once more (inside the test's transaction) and return what it printed."""

    def seed() -> str:
        settings.DEBUG = True
        out = StringIO()
        call_command("seed_demo", stdout=out)
        return out.getvalue()

    return seed
