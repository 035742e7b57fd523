"""Seeding the demo: every call's story told through the services, in the order it happened.

A past call (the 2021 pilot and call, the small call in service, the large call in service) is
opened at seeding, as an operator would create it; its organisations register and apply, the
reviewer decides, the worker provisions, the beat and the organisations follow up, each step at
its moment (``demo.timeline``). The timestamps the steps wrote are then moved to their moments,
and the call gets its own dates, as an operator's edit in the admin would give them. The open
call's round is told the same way, at the moments its applications came in since it opened.

Idempotent: each call is found again by its title and told once; a later run resets the demo
accounts and, once the open call's round has closed, opens the next round with its own queue.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from accounts.models import User
from aftercare.models import ChangeRequest, Report, SurveyResponse
from aftercare.selectors import overdue_reports
from applications.models import Application, Call, Organization
from demo import aftercare, calls, decisions, evaluation, pool, usage
from demo.accounts import APPLICANT, EVALUATOR, OPERATOR, REVIEWER, demo_user, seed_demo_accounts
from demo.applying import IN_SERVICE_SAMPLE_AWARDS, ApplicationSpec, apply, in_service_applications, sample_applications
from demo.calls import CallSpec, at
from demo.organisations import DEMO_ORGANIZATION, OrganizationSpec, sample_organizations
from demo.timeline import Timeline
from metering.models import UsageRecord, UsageSource
from pool.models import Offering
from reclaim.models import ReclaimCase

SEED = 2021
# The demo's people joined when the portal opened, before the pilot's call: the reviewer decided
# the 2021 calls, and the demo applicant registered 데모 AI 주식회사 later on.
PORTAL_OPENED = at(date(2021, 1, 4), 9)
# The worker provisions an approval's allocations a moment after the decision.
WORKER_DELAY = timedelta(minutes=2)


class DemoDataError(Exception):
    """The database holds demo data this version cannot carry on from."""


@dataclass(frozen=True)
class Summary:
    offerings: int
    calls: int
    organizations: int
    applications: int
    phases: int
    approved: int
    waitlisted: int
    reports: int
    overdue_reports: int
    survey_responses: int
    change_requests: int
    evaluation: str
    usage_days: int
    usage_records: int
    reclaim_candidates: int

    def lines(self) -> list[str]:
        return [
            f"Demo data: {self.offerings} offerings, {self.calls} calls, {self.organizations} organisations, "
            f"{self.applications} applications, {self.phases} capacity phases; "
            f"decided: {self.approved} approved, {self.waitlisted} wait-listed",
            f"After the award: {self.reports} reports ({self.overdue_reports} overdue), "
            f"{self.survey_responses} survey responses, {self.change_requests} change requests awaiting a decision",
            f"Usage: {self.usage_records} records over {self.usage_days} days (the modelled cloud's), "
            f"{self.reclaim_candidates} reclaim candidates awaiting an answer",
            self.evaluation,
        ]


def seed_demo() -> Summary:
    """Seed the demo accounts, the catalogue and pool, and the five calls' stories; return what
    the demo holds once everything is seeded."""
    now = timezone.now()
    rng = random.Random(SEED)
    organizations = sample_organizations(rng)
    specs = calls.call_specs(now)
    applications = sample_applications(rng, organizations, specs)
    _refuse_earlier_demo_data(organizations)

    timeline = Timeline()
    with timeline.at(PORTAL_OPENED):
        seed_demo_accounts()
    timeline.backdate()
    offerings = pool.seed_offerings()
    pool.seed_pool(operator=demo_user(OPERATOR), offerings=offerings)

    story = _Story(now=now, timeline=timeline, offerings=offerings, reviewer=demo_user(REVIEWER))
    applicant = demo_user(APPLICANT)

    def planned(key: str) -> list[ApplicationSpec]:
        return [application for application in applications if application.call == key]

    story.past_call(specs["pilot"], planned("pilot"))
    historic = story.past_call(specs["historic"], planned("historic"))
    in_service = in_service_applications(specs["in_service"], _selected_in(historic, organizations))

    def changes_asked_for(call: Call) -> None:
        aftercare.request_changes(
            call=call,
            timeline=timeline,
            now=now,
            demo=_organization(DEMO_ORGANIZATION),
            sample=_organization(in_service[1].organization),
            applicant=applicant,
        )

    story.past_call(specs["in_service"], in_service, applicant=applicant, then=changes_asked_for)
    story.past_call(specs["current"], planned("current"))
    # What the allocations in service have used so far, collected night by night, and the large
    # call's idle allocations marked as reclaim candidates (demo.usage).
    usage.seed_usage(timeline=timeline, now=now, today=timezone.localdate(now))
    story.open_round(specs["open"], planned("open"))
    evaluated = evaluation.seed_evaluated_call(
        now=now,
        timeline=timeline,
        offerings=offerings,
        organizations=organizations,
        operator=demo_user(OPERATOR),
        reviewer=demo_user(REVIEWER),
        evaluator=demo_user(EVALUATOR),
    )
    return _summary(specs, organizations, offerings, evaluation.summary(evaluated))


@dataclass
class _Story:
    now: datetime
    timeline: Timeline
    offerings: dict[str, Offering]
    reviewer: User

    def past_call(
        self,
        spec: CallSpec,
        applications: list[ApplicationSpec],
        *,
        applicant: User | None = None,
        then: Callable[[Call], None] | None = None,
    ) -> Call:
        """The past call of ``spec``, told once: applied to, decided, provisioned and followed up
        (and ``then`` what else happened), backdated, then given its own dates."""
        call = Call.objects.filter(title=spec.title).first()
        if call is not None:
            if calls.is_past_call_still_open(call):
                raise DemoDataError(
                    f"Seeding the demo stopped half-way through «{spec.title}»: recreate the database "
                    "(delete var/db.sqlite3, or drop the PostgreSQL database) and run migrate and seed_demo again."
                )
            return call
        call = calls.open_past_call(spec, self.offerings, self.now)
        self._apply(call, applications, applicant)
        self.timeline.backdate()  # the ranking reads the submission times
        with self.timeline.at(spec.reviewed_at):
            decisions.decide(call=call, reviewer=self.reviewer)
        provisioned_at = spec.reviewed_at + WORKER_DELAY
        with self.timeline.at(provisioned_at):
            decisions.provision(call=call)
        aftercare.follow_up(call=call, timeline=self.timeline, since=provisioned_at, until=self.now)
        if then is not None:
            then(call)
        self.timeline.backdate()
        calls.close_past_call(call, spec)
        return call

    def open_round(self, spec: CallSpec, applications: list[ApplicationSpec]) -> Call:
        """The open call's round that is open now; when none is, a new round, applied to since it
        opened yesterday. Its queue awaits the reviewer."""
        call = calls.open_round(self.now)
        if call is None:
            call = calls.create_call(spec, self.offerings, opens_at=spec.opens_at, deadline=spec.deadline)
            self._apply(call, applications, None)
            self.timeline.backdate()
        return call

    def _apply(self, call: Call, applications: list[ApplicationSpec], applicant: User | None) -> None:
        for application in sorted(applications, key=lambda application: application.created_at):
            owner = applicant if application.organization == DEMO_ORGANIZATION else None
            apply(application, call=call, offerings=self.offerings, timeline=self.timeline, owner=owner)


def _organization(spec: OrganizationSpec) -> Organization:
    return Organization.objects.get(registration_number=spec.registration_number)


def _selected_in(call: Call, organizations: list[OrganizationSpec]) -> list[OrganizationSpec]:
    """The first sample organisations that ``call`` selected (by registration order)."""
    by_number = {spec.registration_number: spec for spec in organizations}
    selected = Organization.objects.filter(
        applications__call=call, applications__status=Application.Status.APPROVED
    ).order_by("pk")
    return [by_number[organization.registration_number] for organization in selected[:IN_SERVICE_SAMPLE_AWARDS]]


def _refuse_earlier_demo_data(organizations: list[OrganizationSpec]) -> None:
    """Demo data of an earlier version wrote its sample organisations without members: no service
    can act for them, so the stories cannot go on from there."""
    numbers = [spec.registration_number for spec in organizations]
    if Organization.objects.filter(registration_number__in=numbers, memberships__isnull=True).exists():
        raise DemoDataError(
            "This database holds demo data of an earlier version (sample organisations without members): "
            "recreate it (delete var/db.sqlite3, or drop the PostgreSQL database) and run migrate and seed_demo."
        )


def _summary(
    specs: dict[str, CallSpec], organizations: list[OrganizationSpec], offerings: dict[str, Offering], evaluated: str
) -> Summary:
    demo_calls = Call.objects.filter(title__in=[spec.title for spec in specs.values()])
    applications = Application.objects.filter(call__in=demo_calls)
    numbers = [spec.registration_number for spec in [*organizations, DEMO_ORGANIZATION]]
    modelled = UsageRecord.objects.filter(source=UsageSource.MODELLED).order_by()
    return Summary(
        offerings=len(offerings),
        calls=demo_calls.count(),
        organizations=Organization.objects.filter(registration_number__in=numbers).count(),
        applications=applications.count(),
        phases=pool.pool_phases(offerings),
        approved=applications.filter(status=Application.Status.APPROVED).count(),
        waitlisted=applications.filter(status=Application.Status.WAITLISTED).count(),
        reports=Report.objects.filter(application__in=applications).count(),
        overdue_reports=overdue_reports().filter(application__in=applications).count(),
        survey_responses=SurveyResponse.objects.filter(application__in=applications).count(),
        change_requests=ChangeRequest.objects.filter(
            status=ChangeRequest.Status.SUBMITTED, allocation__application_item__application__in=applications
        ).count(),
        evaluation=evaluated,
        usage_days=modelled.values("day").distinct().count(),
        usage_records=modelled.count(),
        reclaim_candidates=ReclaimCase.objects.filter(call__in=demo_calls, state=ReclaimCase.State.CANDIDATE).count(),
    )
