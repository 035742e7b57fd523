"""The usage e-mails: 80 % and 100 % of a metered allocation's budget, less than 30 % in the last
30 days for a reserved one; each once, in the recipient's language (Korean by default)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from metering import tasks
from metering.emails import send_usage_notices
from metering.models import UsageNotice
from metering.services import usage_ingest
from notifications.models import Notification
from notifications.services import language_preference_set
from tests.conftest import make_user
from tests.metering.conftest import award, pool

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(db):
    korean = make_user("owner@example.kr")
    english = make_user("member@example.kr")
    language_preference_set(user=english, language="en")
    return [korean, english]


def usage_emails():
    return list(Notification.objects.filter(kind=Notification.Kind.USAGE).order_by("recipient"))


def test_a_metered_allocation_is_told_at_80_and_at_100_percent_each_once(members, today):
    metered = pool("A100 metered", metering="metered")
    start = today - timedelta(days=10)
    # 1 GPU for 10 days: a budget of 240 GPU-hours.
    allocation = award(metered, 1, start, start + timedelta(days=9), members=members)
    for n in range(7):
        usage_ingest(source="modelled", day=start + timedelta(days=n), records={allocation.pk: Decimal(24)})
    assert send_usage_notices(today) == 0  # 168 of 240: 70 %

    usage_ingest(source="modelled", day=start + timedelta(days=7), records={allocation.pk: Decimal(24)})
    assert send_usage_notices(today) == 1  # 192: 80 %
    assert send_usage_notices(today) == 0
    [korean, english] = sorted(usage_emails(), key=lambda e: e.language)[::-1]
    assert "사용 한도의 80%에 이르렀습니다" in korean.body
    assert "현재까지 실사용량: 192.0 GPU 시간 (80%)" in korean.body
    assert "서비스 기간 사용 한도: 240.0 GPU 시간" in korean.body
    assert "has used 80% of its budget" in english.body

    usage_ingest(source="modelled", day=start + timedelta(days=8), records={allocation.pk: Decimal(24)})
    usage_ingest(source="modelled", day=start + timedelta(days=9), records={allocation.pk: Decimal(24)})
    tasks.send_usage_notices.apply()
    tasks.send_usage_notices.apply()

    assert sorted(UsageNotice.objects.values_list("kind", flat=True)) == ["used_100", "used_80"]
    assert len(usage_emails()) == 4  # two members, two thresholds
    assert sum("has used all of its budget" in e.body for e in usage_emails()) == 1


def test_a_reserved_allocation_little_used_for_30_days_is_told_once(members, gpu, today):
    start = today - timedelta(days=40)
    allocation = award(gpu, 2, start, today + timedelta(days=40), members=members)
    busy = award(gpu, 2, start, today + timedelta(days=40), members=[make_user("busy@example.kr")])
    for n in range(40):
        day = start + timedelta(days=n)
        usage_ingest(source="modelled", day=day, records={allocation.pk: Decimal(10), busy.pk: Decimal(30)})

    assert send_usage_notices(today) == 1
    assert send_usage_notices(today) == 0

    [notice] = UsageNotice.objects.all()
    assert (notice.allocation_id, notice.kind) == (allocation.pk, "low_30_days")
    korean = next(e for e in usage_emails() if e.language == "ko")
    assert "최근 30일" in korean.subject
    assert "300.0 GPU 시간" in korean.body  # 30 days × 10
    assert "1,440.0 GPU 시간" in korean.body  # 30 days × 48


def test_no_low_use_e_mail_in_the_first_30_days_or_before_the_30_days_are_collected(members, gpu, today):
    young = award(gpu, 1, today - timedelta(days=20), today + timedelta(days=40), members=members)
    stale = award(gpu, 1, today - timedelta(days=60), today + timedelta(days=40), members=members)
    gap = award(gpu, 1, today - timedelta(days=60), today + timedelta(days=40), members=members)
    for n in range(1, 21):  # the last 20 days only: the ten before them are not collected
        usage_ingest(source="modelled", day=today - timedelta(days=n), records={young.pk: 0, gap.pk: 0})
    for n in range(3, 35):  # nothing collected for the stale one in the last two days
        usage_ingest(source="modelled", day=today - timedelta(days=n), records={stale.pk: 0})

    assert send_usage_notices(today) == 0
    assert not UsageNotice.objects.exists()
