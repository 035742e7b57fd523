"""Every e-mail is recorded, delivered by a task with retries, in the recipient's language, and
listed on the recipient's page."""

import re
import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from applications import selectors as application_selectors
from notifications import services, tasks
from notifications.models import LanguagePreference, Notification
from portal.errors import RetryLater
from tests.conftest import make_user
from tests.consents import CONSENTS
from tests.factories import MembershipFactory, OrganizationFactory
from tests.mailbox import deliver_queued

pytestmark = pytest.mark.django_db


@pytest.fixture
def organization(applicant):
    organization = OrganizationFactory(legal_name="광주 AI 주식회사")
    MembershipFactory(organization=organization, user=applicant, role="owner")
    return organization


@pytest.fixture
def english_member(organization):
    user = make_user("english@example.kr")
    MembershipFactory(organization=organization, user=user)
    LanguagePreference.objects.create(user=user, language="en")
    return user


def invite(organization, inviter, email="researcher@example.kr") -> list[Notification]:
    from applications.models import Invitation

    invitation = Invitation.objects.create(organization=organization, email=email, invited_by=inviter)
    return services.notify(
        kind=Notification.Kind.INVITATION,
        template="invitation",
        context={"invitation": invitation},
        recipients=[email],
        organization=organization,
        link=reverse("invitation_accept", args=[invitation.token]),
        key=f"test-invitation:{invitation.pk}",
    )


def receipt(application) -> list[Notification]:
    from applications.emails import send_submission_receipt

    send_submission_receipt(application)
    return list(Notification.objects.filter(kind="submission_receipt").order_by("recipient"))


@pytest.fixture
def application(organization):
    from tests.factories import ApplicationFactory

    return ApplicationFactory(organization=organization, status="submitted", submitted_at=timezone.now())


def test_each_member_gets_the_email_in_their_own_language(application, applicant, english_member):
    korean, english = sorted(receipt(application), key=lambda n: n.language != "ko")

    assert (korean.recipient, korean.language) == (applicant.email, "ko")
    assert (english.recipient, english.language) == (english_member.email, "en")
    assert english.subject.startswith("[National AI Data Center] Application received:")
    assert korean.subject != english.subject and "접수" in korean.subject
    assert reverse("application_detail", args=[application.pk]) in english.body
    assert english.link == reverse("application_detail", args=[application.pk])
    assert english.organization == application.organization and english.user == english_member


def test_an_address_without_an_account_gets_the_senders_language(organization, applicant):
    from django.utils import translation

    with translation.override("en"):
        [notification] = invite(organization, applicant)

    assert notification.language == "en" and notification.user is None
    assert notification.subject.startswith("[National AI Data Center] Invitation to an organisation")


def test_the_same_event_is_recorded_once(organization, applicant):
    from applications.models import Invitation

    first = invite(organization, applicant)
    again = services.notify(
        kind=Notification.Kind.INVITATION,
        template="invitation",
        context={"invitation": Invitation.objects.get()},
        recipients=["researcher@example.kr"],
        key=f"test-invitation:{Invitation.objects.get().pk}",
    )

    assert len(first) == 1 and again == []
    assert Notification.objects.count() == 1


def test_delivery_sends_once_however_often_the_task_runs(application, applicant):
    [notification] = receipt(application)

    for _ in range(3):
        assert tasks.deliver_notification.apply(args=[notification.pk]).get() == "sent"

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [applicant.email] and message.subject == notification.subject
    assert message.extra_headers["Message-ID"].startswith(f"<notification-{notification.pk}@")
    notification.refresh_from_db()
    assert (notification.state, notification.attempts) == ("sent", 1)
    assert notification.sent_at is not None


class FailingBackend:
    """A mail server that answers with ``error`` (a real exception of smtplib)."""

    error: Exception = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise self.error


def failing_mailer(settings, error):
    FailingBackend.error = error
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FailingBackend"}}


def test_a_transient_failure_is_counted_and_the_next_attempt_sends_once(application, settings):
    [notification] = receipt(application)
    failing_mailer(settings, smtplib.SMTPServerDisconnected("Connection unexpectedly closed"))

    # The service decides to try again later; the task re-queues itself with that countdown.
    with pytest.raises(RetryLater) as later:
        services.notification_deliver(notification_id=notification.pk)
    assert later.value.countdown == 2

    notification.refresh_from_db()
    assert (notification.state, notification.attempts) == ("queued", 1)
    assert "SMTPServerDisconnected" in notification.last_error
    assert not services.is_permanent(smtplib.SMTPServerDisconnected("x"))
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

    assert tasks.deliver_notification.apply(args=[notification.pk]).get() == "sent"

    notification.refresh_from_db()
    assert (notification.state, notification.attempts, notification.last_error) == ("sent", 2, "")
    assert len(mail.outbox) == 1


def test_the_task_retries_a_transient_failure_until_the_last_attempt(application, settings):
    [notification] = receipt(application)
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    failing_mailer(settings, smtplib.SMTPResponseException(421, b"Try again later"))

    # Run in this process, the task's retries follow one another at once (a worker waits 2, 4… s).
    assert tasks.deliver_notification.apply(args=[notification.pk]).get() == "failed"

    notification.refresh_from_db()
    assert (notification.state, notification.attempts) == ("failed", 3)
    assert "gave up after 3 attempts" in notification.last_error and "421" in notification.last_error


def test_after_the_last_attempt_the_email_is_marked_failed(application, settings):
    [notification] = receipt(application)
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    failing_mailer(settings, ConnectionRefusedError(111, "Connection refused"))

    tasks.deliver_notification.apply(args=[notification.pk])
    tasks.deliver_notification.apply(args=[notification.pk])

    notification.refresh_from_db()
    assert (notification.state, notification.attempts) == ("failed", 2)
    assert "2 attempts" in notification.last_error


def test_a_permanent_refusal_fails_at_once(application, settings):
    [notification] = receipt(application)
    failing_mailer(settings, smtplib.SMTPRecipientsRefused({notification.recipient: (550, b"No such user")}))

    assert tasks.deliver_notification.apply(args=[notification.pk]).get() == "failed"

    notification.refresh_from_db()
    assert (notification.state, notification.attempts) == ("failed", 1)


def test_an_operator_queues_a_failed_email_again(client, application, settings, operator):
    [notification] = receipt(application)
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    failing_mailer(settings, ConnectionRefusedError(111, "Connection refused"))
    tasks.deliver_notification.apply(args=[notification.pk])
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    client.force_login(operator)

    response = client.post(
        reverse("admin:notifications_notification_changelist"),
        {"action": "retry", "_selected_action": [notification.pk]},
    )

    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.state == "queued"
    assert [m.to for m in deliver_queued()] == [[notification.recipient]]


def test_account_emails_carry_secret_links_and_lose_their_body_once_sent(client, applicant):
    client.post(reverse("account_reset_password"), {"email": applicant.email})
    notification = Notification.objects.get()
    assert notification.kind == "account" and notification.secret and "/password/reset/key/" in notification.body
    assert notification.user == applicant

    [message] = deliver_queued()

    assert "/password/reset/key/" in message.body
    notification.refresh_from_db()
    assert notification.state == "sent" and notification.body == ""


def test_account_emails_go_out_in_the_recipients_saved_language_whatever_the_page_showed(client, applicant):
    LanguagePreference.objects.create(user=applicant, language="en")

    # Asked for from a page in Korean (the default): the e-mail still follows the saved choice.
    client.post(reverse("account_reset_password"), {"email": applicant.email}, HTTP_ACCEPT_LANGUAGE="ko")

    notification = Notification.objects.get()
    assert notification.language == "en"
    assert not re.search(r"[\uac00-\ud7a3]", notification.subject + notification.body)


def test_the_sweeper_redrives_emails_whose_message_was_lost(
    application, settings, published_tasks, django_capture_on_commit_callbacks
):
    [notification] = receipt(application)
    settings.NOTIFICATION_STUCK_AFTER_SECONDS = 600

    assert tasks.sweep_queued_notifications() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=11)), django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_queued_notifications() == 1

    assert published_tasks == [("notifications.deliver", [notification.pk])]


def test_emails_are_sent_after_the_commit_of_the_event(
    application, django_capture_on_commit_callbacks, published_tasks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        receipt(application)

    assert published_tasks == [] and len(callbacks) == 1
    callbacks[0]()
    assert published_tasks == [("notifications.deliver", [Notification.objects.get().pk])]


# --- The recipient's page ---------------------------------------------------------------------------


def test_the_page_lists_the_emails_sent_to_the_user_only(client, application, applicant, english_member, organization):
    receipt(application)
    invite(organization, applicant, email=applicant.email)
    make_user("researcher@example.kr")
    invite(organization, applicant, email="researcher@example.kr")
    deliver_queued()
    client.force_login(applicant)

    page = client.get(reverse("notification_list"))

    assert page.status_code == 200
    shown = list(page.context["page"].object_list)
    assert {n.recipient for n in shown} == {applicant.email}
    assert {n.kind for n in shown} == {"submission_receipt", "invitation"}
    text = page.content.decode()
    with translation.override("ko"):  # the page is Korean: the date with its weekday
        sent_on = date_format(timezone.localtime(shown[0].created_at), "DATETIME_FORMAT")
    assert re.fullmatch(r"\d{4}년 \d{1,2}월 \d{1,2}일\([월화수목금토일]\) \d{2}:\d{2}", sent_on), sent_on
    assert shown[0].subject in text and sent_on in text


def test_an_invitation_sent_before_the_account_existed_is_listed(client, organization, applicant):
    invite(organization, applicant, email="later@example.kr")
    later = make_user("later@example.kr")
    client.force_login(later)

    page = client.get(reverse("notification_list"))

    assert [n.kind for n in page.context["page"].object_list] == ["invitation"]


@pytest.mark.parametrize("size", [1, 60])
def test_the_page_takes_the_same_queries_whatever_the_number_of_emails(
    client, applicant, size, django_assert_max_num_queries
):
    Notification.objects.bulk_create(
        Notification(kind="decision", recipient=applicant.email, user=applicant, language="ko", subject=f"#{n}")
        for n in range(size)
    )
    client.force_login(applicant)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("notification_list"))

    assert response.status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client):
    assert client.get(reverse("notification_list"))["Location"].startswith(reverse("account_login"))


# --- The recipient's language ---------------------------------------------------------------------


def test_switching_the_sites_language_switches_the_emails(client, applicant):
    client.force_login(applicant)
    assert services.language_of(applicant) == "ko"

    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    applicant.refresh_from_db()
    assert LanguagePreference.objects.get(user=applicant).language == "en"
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert LanguagePreference.objects.get(user=applicant).language == "en"


def test_the_language_chosen_on_the_page_is_kept(client, applicant):
    client.force_login(applicant)

    response = client.post(reverse("notification_list"), {"language": "en"})

    assert response.status_code == 302
    assert LanguagePreference.objects.get(user=applicant).language == "en"
    assert client.post(reverse("notification_list"), {"language": "fr"}).status_code == 200  # refused, no change
    assert LanguagePreference.objects.get(user=applicant).language == "en"


def test_a_new_account_gets_emails_in_the_language_it_signed_up_in(client):
    client.post(
        reverse("account_signup"),
        {
            "email": "new@example.kr",
            "password1": "a-long-and-unusual-passphrase-42",
            "password2": "a-long-and-unusual-passphrase-42",
            **CONSENTS,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )

    notification = Notification.objects.get()
    assert LanguagePreference.objects.get(user__email="new@example.kr").language == "en"
    assert notification.language == "en" and notification.kind == "account"


def test_members_to_notify_skips_inactive_accounts(organization, applicant):
    gone = make_user("gone@example.kr", is_active=False)
    MembershipFactory(organization=organization, user=gone)

    assert [user.email for user in application_selectors.members_to_notify(organization)] == [applicant.email]


def test_a_secret_email_delivers_its_link_but_the_log_never_keeps_it(organization, applicant):
    from applications.models import Invitation

    invitation = Invitation.objects.create(organization=organization, email="x@example.kr", invited_by=applicant)
    path = reverse("invitation_accept", args=[invitation.token])
    [notification] = services.notify(
        kind=Notification.Kind.INVITATION,
        template="invitation",
        context={"invitation": invitation},
        recipients=["x@example.kr"],
        link=path,
        secret=True,
    )
    assert notification.secret and notification.link == ""

    [message] = deliver_queued()

    assert path in message.body
    notification.refresh_from_db()
    assert notification.state == Notification.State.SENT
    assert invitation.token not in notification.body + notification.link
