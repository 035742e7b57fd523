"""The version the dashboards cache their figures under moves after every committed change they
show, and only then."""

import pytest
from django.db import transaction

from allocations.services.decisions import application_reject
from portal import data_version
from tests.allocations.conftest import make_call, submitted_application

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_version_moves_after_the_commit_of_a_change():
    before = data_version.current()
    with transaction.atomic():
        data_version.changed()
        assert data_version.current() == before  # a page computed now is cached under the old one

    assert data_version.current() != before


def test_a_rolled_back_change_leaves_the_version_as_it_was():
    before = data_version.current()
    with transaction.atomic():
        data_version.changed()
        transaction.set_rollback(True)

    assert data_version.current() == before


def test_a_decision_moves_it(reviewer, gpu_pool):
    application = submitted_application(make_call(gpu_pool), (gpu_pool, 1))
    before = data_version.current()

    application_reject(actor=reviewer, application=application, reason="out of scope")

    assert data_version.current() != before
