from datetime import date, timedelta

import factory
from django.utils import timezone

from accounts.models import User
from applications.business_number import check_digit
from applications.models import Application, ApplicationItem, Call, CallOffering, Membership, Organization
from pool.models import Offering


def business_number(n: int) -> str:
    """A valid registration number derived from ``n`` (distinct for distinct n < 10**9, but for the
    few whose parts had to be moved into the ranges real numbers use: a tax-office code of 101 or
    more, a kind code and a serial that are not all zeros)."""
    digits = f"{n % 10**9:09d}"
    office, kind, serial = int(digits[:3]), digits[3:5], digits[5:]
    office = office if office >= 101 else office + 899
    first_nine = f"{office:03d}{kind if kind != '00' else '99'}{serial if serial != '0000' else '9999'}"
    return first_nine + str(check_digit(first_nine))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.kr")
    password = factory.django.Password("correct-horse-battery-staple")


class OfferingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offering
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"A100 GPU pool {n}")
    kind = Offering.Kind.GPU
    unit = Offering.Unit.GPU


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    legal_name = factory.Sequence(lambda n: f"주식회사 에이아이 {n}")
    org_type = Organization.Type.SME
    registration_number = factory.Sequence(lambda n: business_number(220810000 + n))
    region = "gwangju"
    address = "광주광역시 북구 첨단과기로 123"
    industry = "healthcare"
    employees = 25


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MEMBER


class CallFactory(factory.django.DjangoModelFactory):
    """An open call: opened yesterday, closing in two weeks, service through next year's first half."""

    class Meta:
        model = Call

    title = factory.Sequence(lambda n: f"국가 AI 데이터센터 자원 지원 공고 {n}")
    description = "GPU, storage and AI services for AI companies."
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    service_starts_on = factory.LazyFunction(lambda: date(timezone.now().year + 1, 1, 1))
    service_ends_on = factory.LazyFunction(lambda: date(timezone.now().year + 1, 6, 30))
    selection_target = 100


class CallOfferingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallOffering

    call = factory.SubFactory(CallFactory)
    offering = factory.SubFactory(OfferingFactory)
    max_per_application = 8


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A draft with its text filled in (no items, claims or certificate)."""

    class Meta:
        model = Application

    organization = factory.SubFactory(OrganizationFactory)
    call = factory.SubFactory(CallFactory)
    purpose = Application.Purpose.TRAINING
    project_title = "제조 결함 탐지 모델 학습"
    summary = "Summary"
    plan = "Plan"
    expected_outcome = "Outcome"
    industry_domain = "automotive"


class ApplicationItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApplicationItem

    application = factory.SubFactory(ApplicationFactory)
    offering = factory.SubFactory(OfferingFactory)
    quantity = 2
    starts_on = factory.LazyAttribute(lambda o: o.application.call.service_starts_on)
    ends_on = factory.LazyAttribute(lambda o: o.application.call.service_ends_on)
