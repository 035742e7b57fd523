"""A call with ranked applications for the staff's endpoints (clients: tests/api/conftest.py)."""

import pytest
from django.utils import timezone

from tests.allocations.conftest import make_call, submitted_application


@pytest.fixture
def call(gpu_pool, storage_pool):
    return make_call(gpu_pool, storage_pool)


@pytest.fixture
def ranked(call, gpu_pool, storage_pool):
    """Three submitted applications, ranked in submission order (no claims): 4, 3 and 8 GPUs."""
    now = timezone.now()
    return [
        submitted_application(call, (gpu_pool, 4), (storage_pool, 10), submitted_at=now - timezone.timedelta(hours=3)),
        submitted_application(call, (gpu_pool, 3), submitted_at=now - timezone.timedelta(hours=2)),
        submitted_application(call, (gpu_pool, 8), submitted_at=now - timezone.timedelta(hours=1)),
    ]
