"""Progress and final reports: asked for at the right times, reminded once per stage, filed by
members, and overdue ones shown to reviewers in the queue of a later call."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from aftercare import services, tasks
from aftercare.models import Report
from allocations import tasks as allocation_tasks
from applications.models import Membership
from applications.services import NotAllowed
from notifications.models import Notification
from tests.aftercare.conftest import grant
from tests.allocations.conftest import SERVICE_END, SERVICE_START, make_call, submitted_application
from tests.applications.conftest import MINIMAL_PDF
from tests.factories import MembershipFactory
from tests.mailbox import deliver_queued

pytestmark = pytest.mark.django_db

REPORT_KINDS = (Notification.Kind.REPORT_REQUESTED, Notification.Kind.REPORT_REMINDER, Notification.Kind.REPORT_OVERDUE)
MIDPOINT = date(2031, 2, 14)  # 2031-01-01 + 89 days // 2


def run_beat_on(day: date) -> None:
    """What beat runs in a day, each job twice (a second run must do nothing)."""
    with time_machine.travel(day, tick=False):
        for _ in range(2):
            allocation_tasks.expire_allocations.apply()
            tasks.request_reports.apply()
            tasks.send_report_reminders.apply()


def test_report_emails_go_out_once_at_the_right_times(award, applicant):
    sent = []
    day = date(2031, 2, 1)
    while day <= date(2031, 5, 31):
        run_beat_on(day)
        with time_machine.travel(day, tick=False):
            sent += [(day, message.subject) for message in deliver_queued()]
        day += timedelta(days=1)

    kinds = list(
        Notification.objects.filter(kind__in=REPORT_KINDS)
        .order_by("created_at", "pk")
        .values_list("created_at__date", "kind", "recipient")
    )
    assert [(created, kind) for created, kind, _recipient in kinds] == [
        (MIDPOINT, "report_requested"),  # progress report, due 2031-03-07
        (date(2031, 2, 28), "report_reminder"),
        (date(2031, 3, 8), "report_overdue"),
        (date(2031, 4, 1), "report_requested"),  # final report the day after the end, due 2031-04-30
        (date(2031, 4, 23), "report_reminder"),
        (date(2031, 5, 1), "report_overdue"),
    ]
    assert {recipient for *_rest, recipient in kinds} == {applicant.email}
    # Each delivered on the day it was recorded, once.
    assert [day for day, _subject in sent] == [
        MIDPOINT,
        date(2031, 2, 28),
        date(2031, 3, 8),
        date(2031, 4, 1),
        date(2031, 4, 23),
        date(2031, 5, 1),
    ]
    progress, final = Report.objects.order_by("kind").get(kind="progress"), Report.objects.get(kind="final")
    assert (progress.requested_on, progress.due_on) == (MIDPOINT, date(2031, 3, 7))
    assert (progress.period_starts_on, progress.period_ends_on) == (SERVICE_START, SERVICE_END)
    assert (final.requested_on, final.due_on) == (date(2031, 4, 1), date(2031, 4, 30))


def test_a_filed_report_gets_no_more_reminders(award, applicant):
    run_beat_on(MIDPOINT)
    report = Report.objects.get()
    with time_machine.travel(MIDPOINT + timedelta(days=1), tick=False):
        services.report_submit(actor=applicant, report=report, work_done="학습 50%", outcomes="정확도 91%")

    for day in (date(2031, 2, 28), date(2031, 3, 8)):
        run_beat_on(day)

    assert list(Notification.objects.filter(kind__in=REPORT_KINDS).values_list("kind", flat=True)) == [
        "report_requested"
    ]


def test_a_short_service_gets_only_the_final_report(call, gpu_pool, applicant):
    grant(call, (gpu_pool, 1, SERVICE_START, SERVICE_START + timedelta(days=40)))
    for day in range(0, 45):
        run_beat_on(SERVICE_START + timedelta(days=day))

    assert list(Report.objects.values_list("kind", "due_on")) == [("final", SERVICE_START + timedelta(days=70))]


def test_a_report_the_beat_missed_is_asked_for_late_with_a_week_to_file_it(award):
    run_beat_on(date(2031, 3, 5))  # the beat was down from the midpoint until two days before the due date

    report = Report.objects.get()
    assert (report.requested_on, report.due_on) == (date(2031, 3, 5), date(2031, 3, 12))


def test_awards_long_ended_are_not_asked_for_reports(award):
    run_beat_on(SERVICE_END + timedelta(days=1))  # expires the allocation, asks for the final report
    Report.objects.all().delete()

    run_beat_on(SERVICE_END + timedelta(days=45))

    assert not Report.objects.exists()


# --- Filing ---------------------------------------------------------------------------------------


@pytest.fixture
def progress_report(award) -> Report:
    run_beat_on(MIDPOINT)
    return Report.objects.get()


def test_a_member_files_the_report_once(progress_report, applicant, other_org_applicant):
    with pytest.raises(NotAllowed):
        services.report_submit(actor=other_org_applicant, report=progress_report, work_done="x", outcomes="y")
    with pytest.raises(services.AftercareError):
        services.report_submit(actor=applicant, report=progress_report, work_done=" ", outcomes="y")

    services.report_submit(
        actor=applicant, report=progress_report, work_done="학습", outcomes="모델", publications="논문 1"
    )

    progress_report.refresh_from_db()
    assert progress_report.status == "submitted" and progress_report.submitted_by == applicant
    with pytest.raises(services.AftercareError):
        services.report_submit(actor=applicant, report=progress_report, work_done="again", outcomes="again")


def test_the_report_page_takes_the_report_with_an_attachment(client, progress_report, applicant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(applicant)
    url = reverse("report_detail", args=[progress_report.pk])
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "work_done": "GPU 4장으로 결함 탐지 모델 학습",
            "outcomes": "정확도 93%",
            "publications": "",
            "attachment": SimpleUploadedFile("results.pdf", MINIMAL_PDF, content_type="application/pdf"),
        },
    )

    assert response.status_code == 302
    progress_report.refresh_from_db()
    assert progress_report.status == "submitted"
    assert progress_report.attachment.name.startswith("reports/") and "results" not in progress_report.attachment.name
    page = client.get(url).content.decode()
    assert "정확도 93%" in page and reverse("report_attachment", args=[progress_report.pk]) in page
    download = client.get(reverse("report_attachment", args=[progress_report.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == MINIMAL_PDF


def test_the_report_page_refuses_bad_input_next_to_the_field(client, progress_report, applicant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(applicant)
    fake = SimpleUploadedFile("results.pdf", b"<html>not a pdf</html>", content_type="application/pdf")

    response = client.post(
        reverse("report_detail", args=[progress_report.pk]),
        {"work_done": "", "outcomes": "x" * 10_001, "attachment": fake},
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"work_done", "outcomes", "attachment"}
    progress_report.refresh_from_db()
    assert progress_report.status == "requested"


def test_outsiders_do_not_reach_a_report_and_reviewers_read_it(client, progress_report, other_org_applicant, reviewer):
    url = reverse("report_detail", args=[progress_report.pk])
    client.force_login(other_org_applicant)
    assert client.get(url).status_code == 404
    assert client.post(url, {"work_done": "x", "outcomes": "y"}).status_code == 404
    assert client.get(reverse("report_attachment", args=[progress_report.pk])).status_code == 404
    client.force_login(reviewer)
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"] is None  # staff read, members file
    progress_report.refresh_from_db()
    assert progress_report.status == "requested"


def test_the_application_page_lists_the_reports_and_flags_the_overdue_one(client, award, applicant):
    run_beat_on(MIDPOINT)

    with time_machine.travel(date(2031, 3, 8), tick=False):
        client.force_login(applicant)  # a session of that day
        page = client.get(reverse("application_detail", args=[award.pk])).content.decode()

    assert reverse("report_detail", args=[Report.objects.get().pk]) in page
    assert "report-overdue" in page


# --- Reviewers see overdue reports when the organisation applies again ---------------------------


def test_an_overdue_report_shows_in_the_queue_of_a_later_call(client, award, gpu_pool, reviewer):
    run_beat_on(MIDPOINT)  # the progress report is asked for, due 2031-03-07
    later_call = make_call(gpu_pool)
    again = submitted_application(later_call, (gpu_pool, 1))
    again.organization = award.organization
    again.save(update_fields=["organization"])
    newcomer = submitted_application(later_call, (gpu_pool, 1))
    queue = reverse("admin:applications_application_changelist")

    with time_machine.travel(date(2031, 3, 7), tick=False):  # due today: not overdue yet
        client.force_login(reviewer)
        rows = {row.pk: row.overdue_reports for row in client.get(queue).context["cl"].result_list}
    assert rows[again.pk] == 0
    with time_machine.travel(date(2031, 3, 8), tick=False):
        client.force_login(reviewer)
        response = client.get(queue)
        filtered = client.get(queue, {"overdue_reports": "yes"}).context["cl"].result_list
        decide_page = client.get(reverse("admin:applications_application_decide", args=[again.pk]))

    rows = {row.pk: row.overdue_reports for row in response.context["cl"].result_list}
    assert rows[again.pk] == 1
    assert rows[newcomer.pk] == 0
    assert rows[award.pk] == 0  # the report belongs to that call itself, not to an earlier one
    assert 'class="overdue-reports"' in response.content.decode()
    assert [row.pk for row in filtered] == [again.pk]
    assert [report.kind for report in decide_page.context["overdue_reports"]] == ["progress"]


def test_a_filed_report_no_longer_shows_as_overdue(client, award, applicant, gpu_pool, reviewer):
    run_beat_on(MIDPOINT)
    again = submitted_application(make_call(gpu_pool), (gpu_pool, 1))
    again.organization = award.organization
    again.save(update_fields=["organization"])
    with time_machine.travel(date(2031, 3, 20), tick=False):
        services.report_submit(actor=applicant, report=Report.objects.get(), work_done="늦었지만", outcomes="완료")
        client.force_login(reviewer)
        rows = client.get(reverse("admin:applications_application_changelist")).context["cl"].result_list

    assert {row.pk: row.overdue_reports for row in rows}[again.pk] == 0


def test_members_added_later_get_the_reminders(award, applicant):
    run_beat_on(MIDPOINT)
    from tests.conftest import make_user

    newcomer = make_user("new-member@example.kr")
    MembershipFactory(organization=award.organization, user=newcomer, role=Membership.Role.MEMBER)

    run_beat_on(date(2031, 2, 28))

    reminder = Notification.objects.filter(kind=Notification.Kind.REPORT_REMINDER)
    assert sorted(reminder.values_list("recipient", flat=True)) == sorted([applicant.email, newcomer.email])
