"""When reports are asked for and due, and when their reminders go out: pure functions of dates.

The beat jobs call these with the day in Asia/Seoul; a job that did not run on the day (the
beat was down) still does the work within a grace period, and never twice (rows record it).
"""

from dataclasses import dataclass
from datetime import date, timedelta

# A service period shorter than this gets only the final report.
PROGRESS_REPORT_MIN_DAYS = 60
# The progress report is asked for at the midpoint and due three weeks later.
PROGRESS_REPORT_DUE_AFTER = timedelta(days=21)
# The final report is asked for the day after the service ends and due within 30 days after the end.
FINAL_REPORT_DUE_AFTER_END = timedelta(days=30)
# The reminder goes out a week before the due date; the overdue notice the day after it.
REMINDER_BEFORE_DUE = timedelta(days=7)
# A stage the beat missed on its day is still sent within this many days, never later.
GRACE = timedelta(days=14)
# Surveys: awards that ended (or pilots whose call ended) within this many days are invited,
# so that switching the feature on does not invite every award since the portal began.
SURVEY_INVITE_WITHIN = timedelta(days=30)
SURVEY_REMINDER_AFTER = timedelta(days=7)
# A request to extend an allocation reaches at most a year past its current end.
MAX_EXTENSION = timedelta(days=365)


def midpoint(start: date, end: date) -> date:
    return start + (end - start) // 2


def progress_report_due(start: date, end: date, today: date) -> tuple[date, date] | None:
    """(requested on, due on) of the progress report of an award running from ``start`` to
    ``end``, if it is to be asked for ``today``; None when not (yet, or at all)."""
    if (end - start).days + 1 < PROGRESS_REPORT_MIN_DAYS:
        return None
    middle = midpoint(start, end)
    if not middle <= today <= end:
        return None
    # Asked late (the beat was down): still give a week.
    return today, max(middle + PROGRESS_REPORT_DUE_AFTER, today + REMINDER_BEFORE_DUE)


def final_report_due(end: date, today: date) -> tuple[date, date] | None:
    """(requested on, due on) of the final report of an award that ended on ``end``, if it is
    to be asked for ``today``: from the day after the end until the report's own due date."""
    due = end + FINAL_REPORT_DUE_AFTER_END
    if not end < today <= due:
        return None
    return today, max(due, today + REMINDER_BEFORE_DUE)


@dataclass(frozen=True)
class Stage:
    name: str  # aftercare.models.ReminderStage
    first_day: date
    last_day: date

    def is_due(self, today: date) -> bool:
        return self.first_day <= today <= self.last_day


def report_reminder_stages(requested_on: date, due_on: date) -> list[Stage]:
    """The e-mails about a requested report: the request itself, a reminder a week before the
    due date (unless asked for less than a week before it), and one overdue notice."""
    stages = [Stage("requested", requested_on, due_on)]
    reminder = due_on - REMINDER_BEFORE_DUE
    if reminder > requested_on:
        stages.append(Stage("due_soon", reminder, due_on))
    overdue = due_on + timedelta(days=1)
    stages.append(Stage("overdue", overdue, overdue + GRACE))
    return stages


def survey_reminder_due(invited_on: date, today: date) -> bool:
    first = invited_on + SURVEY_REMINDER_AFTER
    return first <= today <= first + GRACE
