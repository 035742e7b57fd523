from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accesslog.models import AccessRecord


def access_records_between(start: date, end: date) -> QuerySet[AccessRecord]:
    """The records of the days ``start`` to ``end`` (both included, in the portal's time zone),
    oldest first, as an audit reads them."""
    since = timezone.make_aware(datetime.combine(start, time.min))
    until = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    return AccessRecord.objects.filter(at__gte=since, at__lt=until).select_related("content_type").order_by("at", "pk")
