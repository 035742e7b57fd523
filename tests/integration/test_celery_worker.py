import pytest

from portal.celery import ping

pytestmark = pytest.mark.integration


def test_a_real_worker_runs_a_task_sent_through_the_configured_broker(celery_worker_queue):
    assert ping.app.conf.task_always_eager is False

    result = ping.apply_async(queue=celery_worker_queue)

    answer = result.get(timeout=60)
    assert answer["pong"].startswith(f"{celery_worker_queue}-")  # answered by the worker started for this test
    assert result.successful()
