"""Celery tasks of reclaim: thin wrappers over idempotent services (see services.py)."""

from celery import shared_task

from reclaim import services


@shared_task(name="reclaim.daily", ignore_result=False)
def reclaim_daily() -> dict[str, int]:
    return services.reclaim_daily()


@shared_task(name=services.OFFER_RECLAIMED_CAPACITY, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def offer_reclaimed_capacity(case_id: int) -> int:
    return len(services.reclaim_offer(case_id=case_id))
