from datetime import datetime, timedelta

import pytest
from django.apps import apps
from django.db import models
from django.utils import timezone

from applications.models import Application, ApplicationTransition
from demo.calls import SEOUL
from demo.timeline import HISTORY_TIMESTAMPS, NOT_HISTORY, Step, Timeline, backdate
from tests.factories import ApplicationFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

MOMENT = datetime(2021, 3, 15, 10, 0, tzinfo=SEOUL)


def test_what_a_step_wrote_moves_to_its_moment_in_the_order_it_was_written():
    timeline = Timeline()
    with timeline.at(MOMENT):
        first = OrganizationFactory()
        second = OrganizationFactory()
    before = [first.created_at, second.created_at]

    moved = timeline.backdate()

    first.refresh_from_db()
    second.refresh_from_db()
    assert moved == 2
    assert MOMENT <= first.created_at < second.created_at < MOMENT + timedelta(seconds=1)
    assert second.created_at - first.created_at == before[1] - before[0]


def test_each_step_goes_to_its_own_moment_and_what_no_step_wrote_stays():
    timeline = Timeline()
    outside = OrganizationFactory()
    with timeline.at(MOMENT):
        early = OrganizationFactory()
    with timeline.at(MOMENT - timedelta(days=30)):
        earlier = OrganizationFactory()
    written_outside = outside.created_at

    timeline.backdate()

    for organization in (outside, early, earlier):
        organization.refresh_from_db()
    assert outside.created_at == written_outside
    assert early.created_at.date() == MOMENT.date()
    assert earlier.created_at.date() == (MOMENT - timedelta(days=30)).date()


def test_it_changes_timestamps_and_nothing_else():
    timeline = Timeline()
    with timeline.at(MOMENT):
        application = ApplicationFactory(project_title="A project", priority_score=40, priority_pending=10)
        ApplicationTransition.objects.create(application=application, from_status="", to_status="draft")
    fields = ["status", "project_title", "priority_score", "priority_pending", "organization_id", "call_id"]
    before = Application.objects.values(*fields).get(pk=application.pk)

    timeline.backdate()

    assert Application.objects.values(*fields).get(pk=application.pk) == before
    application.refresh_from_db()
    transition = application.transitions.get()
    assert application.created_at.date() == application.updated_at.date() == transition.created_at.date()
    assert transition.created_at.astimezone(SEOUL).date() == MOMENT.date()


def test_a_told_history_is_in_the_past_and_its_steps_do_not_nest():
    timeline = Timeline()

    with pytest.raises(ValueError), timeline.at(timezone.now() + timedelta(days=1)):
        pass
    with pytest.raises(RuntimeError), timeline.at(MOMENT), timeline.at(MOMENT):
        pass


def test_nothing_told_nothing_moved():
    assert backdate([]) == 0
    now = timezone.now()
    assert backdate([Step(now, now, MOMENT)]) == 0


def test_every_timestamp_of_the_portal_is_either_history_or_named_as_not_history():
    """A new timestamp field must be placed: moved with its step, or said why no step writes it."""
    listed = {f"{model._meta.label}.{name}" for model, fields in HISTORY_TIMESTAMPS for name in fields}
    portal_apps = {
        "accounts",
        "outbox",
        "notifications",
        "pool",
        "applications",
        "allocations",
        "metering",
        "aftercare",
        "reclaim",
        "evaluation",
        "privacy",
    }
    timestamps = {
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model._meta.app_label in portal_apps
        for field in model._meta.get_fields()
        if isinstance(field, models.DateTimeField)
    }

    assert timestamps == listed | set(NOT_HISTORY)
    assert not listed & set(NOT_HISTORY)
