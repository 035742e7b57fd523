import pytest
from django.core import mail

from allocations.services import decisions
from applications.models import Membership
from notifications.models import Notification
from tests.allocations.conftest import make_call, submitted_application
from tests.mailbox import deliver_queued

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(gpu_pool, storage_pool, applicant):
    application = submitted_application(make_call(gpu_pool, storage_pool), (gpu_pool, 4), (storage_pool, 20))
    Membership.objects.create(organization=application.organization, user=applicant, role="owner")
    return application


def decide_and_send(decide, django_capture_on_commit_callbacks, monkeypatch):
    """Run the decision, which records its e-mail in its own transaction; deliver it as a worker
    would. Returns the decision e-mails recorded."""
    with django_capture_on_commit_callbacks(execute=False):
        decide()
    sent = list(Notification.objects.filter(kind=Notification.Kind.DECISION))
    deliver_queued()
    return sent


def test_a_partial_approval_tells_the_quantities_and_the_reason(
    application, reviewer, applicant, django_capture_on_commit_callbacks, monkeypatch
):
    gpu_item, storage_item = application.items.order_by("pk")
    sent = decide_and_send(
        lambda: decisions.application_approve(
            actor=reviewer, application=application, grants={gpu_item.pk: 2, storage_item.pk: 20}, reason="GPU 부족"
        ),
        django_capture_on_commit_callbacks,
        monkeypatch,
    )

    assert len(sent) == 1
    (message,) = mail.outbox
    assert message.to == [applicant.email]
    assert "배정 2 GPU(신청 4 GPU)" in message.body and "배정 20 TB(신청 20 TB)" in message.body
    assert "GPU 부족" in message.body


def test_a_wait_listed_applicant_is_told_the_rank(
    application, reviewer, django_capture_on_commit_callbacks, monkeypatch
):
    decide_and_send(
        lambda: decisions.application_waitlist(actor=reviewer, application=application, reason="pool full"),
        django_capture_on_commit_callbacks,
        monkeypatch,
    )

    assert " 1" in mail.outbox[0].body  # rank 1 of its call


def test_a_rejected_applicant_is_told_the_reason(
    application, reviewer, django_capture_on_commit_callbacks, monkeypatch
):
    decide_and_send(
        lambda: decisions.application_reject(actor=reviewer, application=application, reason="out of scope"),
        django_capture_on_commit_callbacks,
        monkeypatch,
    )

    assert "out of scope" in mail.outbox[0].body
    assert mail.outbox[0].subject
