"""The hourly sync of service periods is the backend's: one that keeps its quotas in the portal's
database (the modelled cloud) has nothing to open or close."""

import pytest

from allocations.services.provisioning import allocations_sync_service_periods
from allocations.tasks import sync_service_periods


@pytest.mark.django_db
def test_the_modelled_cloud_has_nothing_to_sync(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert allocations_sync_service_periods() == 0
    assert sync_service_periods.apply().get() == 0
