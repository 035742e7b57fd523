"""A business registration number already registered: the applicant asks to join that organisation
instead of meeting a dead end; its owners approve or decline; the applicant never learns who the
members are."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.models import JoinRequest, Membership
from tests.conftest import make_user
from tests.factories import MembershipFactory
from tests.mailbox import deliver_queued

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(db):
    return make_user("newcomer@example.kr")


def organization_data(organization, **changes) -> dict:
    return {
        "legal_name": "새 기관",
        "org_type": organization.org_type,
        "registration_number": organization.registration_number_display,
        "region": organization.region,
        "address": organization.address,
        "industry": organization.industry,
        "employees": "5",
        "website": "",
        **changes,
    }


def test_registering_a_taken_number_offers_to_ask_to_join_instead_of_a_dead_end(client, organization, newcomer):
    client.force_login(newcomer)

    response = client.post(reverse("organization_create"), organization_data(organization), HTTP_ACCEPT_LANGUAGE="ko")
    page = response.content.decode()

    assert response.status_code == 200
    assert "이 사업자등록번호로 이미 등록된 기관이 있습니다." in page
    assert "(을)를" not in page and "이(가)" not in page
    assert f"{reverse('join_request_create')}?number={organization.registration_number}" in page
    assert "운영 기관에 문의" in page
    # Nothing about who is in it.
    assert organization.legal_name not in page
    for membership in organization.memberships.all():
        assert membership.user.email not in page


def test_the_owner_is_asked_by_email_and_approves(client, organization, applicant, newcomer):
    client.force_login(newcomer)
    response = client.post(
        reverse("join_request_create"),
        {"registration_number": organization.registration_number_display, "message": "연구팀 김철수입니다"},
    )
    assert response.status_code == 302
    [to_owner] = deliver_queued()
    assert to_owner.to == [applicant.email]
    assert "newcomer@example.kr" in to_owner.body and "연구팀 김철수입니다" in to_owner.body
    path = re.search(r"https?://[^/\s]+(/organisations/\d+/)", to_owner.body).group(1)

    client.force_login(applicant)
    page = client.get(path).content.decode()
    join_request = JoinRequest.objects.get()
    assert "newcomer@example.kr" in page
    approved = client.post(reverse("join_request_answer", args=[join_request.pk, "approve"]))

    assert approved.status_code == 302
    assert Membership.objects.get(organization=organization, user=newcomer).role == Membership.Role.MEMBER
    [to_newcomer] = deliver_queued()
    assert to_newcomer.to == ["newcomer@example.kr"]
    assert organization.legal_name in to_newcomer.body


def test_a_declined_requester_learns_neither_the_members_nor_the_name(organization, applicant, newcomer):
    MembershipFactory(organization=organization, user=make_user("colleague@example.kr"))
    join_request = services.join_request_create(actor=newcomer, registration_number=organization.registration_number)
    deliver_queued()

    services.join_request_decline(actor=applicant, join_request=join_request)
    [to_newcomer] = deliver_queued()

    assert not Membership.objects.filter(user=newcomer).exists()
    for secret in (organization.legal_name, applicant.email, "colleague@example.kr"):
        assert secret not in to_newcomer.body and secret not in to_newcomer.subject


def test_only_an_owner_answers(client, organization, newcomer):
    member = make_user("member@example.kr")
    MembershipFactory(organization=organization, user=member, role=Membership.Role.MEMBER)
    join_request = services.join_request_create(actor=newcomer, registration_number=organization.registration_number)

    for someone in (member, newcomer):
        client.force_login(someone)
        assert client.post(reverse("join_request_answer", args=[join_request.pk, "approve"])).status_code == 404
    with pytest.raises(services.NotAllowed):
        services.join_request_approve(actor=member, join_request=join_request)
    assert not Membership.objects.filter(user=newcomer).exists()


def test_asking_twice_sends_one_request_and_an_answered_one_is_not_answered_again(organization, applicant, newcomer):
    first = services.join_request_create(actor=newcomer, registration_number=organization.registration_number)
    again = services.join_request_create(actor=newcomer, registration_number=organization.registration_number)
    assert again.pk == first.pk
    assert len(deliver_queued()) == 1

    services.join_request_approve(actor=applicant, join_request=first)
    with pytest.raises(services.ApplicationError):
        services.join_request_decline(actor=applicant, join_request=first)
    with pytest.raises(services.ApplicationError):
        services.join_request_create(actor=newcomer, registration_number=organization.registration_number)


def test_a_person_has_a_few_requests_waiting_at_most(newcomer):
    from tests.factories import OrganizationFactory

    organizations = [OrganizationFactory() for _ in range(services.JOIN_REQUESTS_PENDING_PER_USER + 1)]
    for organization in organizations[:-1]:
        services.join_request_create(actor=newcomer, registration_number=organization.registration_number)

    with pytest.raises(services.ApplicationError):
        services.join_request_create(actor=newcomer, registration_number=organizations[-1].registration_number)
    assert JoinRequest.objects.filter(user=newcomer).count() == services.JOIN_REQUESTS_PENDING_PER_USER


def test_the_message_to_the_owners_carries_no_link(client, organization, newcomer):
    client.force_login(newcomer)

    response = client.post(
        reverse("join_request_create"),
        {"registration_number": organization.registration_number, "message": "확인: https://evil.example/login"},
        HTTP_ACCEPT_LANGUAGE="ko",
    )

    assert response.status_code == 200 and "링크를 넣을 수 없습니다" in response.content.decode()
    assert not JoinRequest.objects.exists()


@pytest.mark.parametrize(
    ("message", "link"),
    [
        ("확인: https://evil.example/login", True),
        ("www.naver.com 에서 확인해 주세요", True),
        ("evil.example.com/login 에서 확인", True),  # mail programs link a bare domain
        ("bit.ly/3xYz", True),
        ("자세한 내용은 portal-login.kr 참고", True),
        ("ftp://files.example", True),
        ("kim@company.co.kr 로 연락 주세요", False),  # an address says who one is
        ("first.last@example.com", False),
        ("Node.js와 PyTorch로 모델을 학습합니다", False),
        ("ver.2 모델, 3.5 GPU", False),
        ("광주 AI 기업 연구소장입니다", False),
    ],
)
def test_what_counts_as_a_link_in_a_message(message, link):
    assert services.message_has_link(message) is link


def test_the_service_refuses_a_link_the_form_would_have_caught(organization, newcomer):
    with pytest.raises(services.ApplicationError, match="링크를 넣을 수 없습니다"):
        services.join_request_create(
            actor=newcomer, registration_number=organization.registration_number, message="bit.ly/3xYz 확인"
        )
    assert not JoinRequest.objects.exists()
    assert deliver_queued() == []


def test_a_declined_requester_asks_the_same_organisation_again_only_after_a_week(organization, applicant, newcomer):
    first = services.join_request_create(actor=newcomer, registration_number=organization.registration_number)
    declined = services.join_request_decline(actor=applicant, join_request=first)
    deliver_queued()
    seoul = ZoneInfo("Asia/Seoul")
    from_day = timezone.localdate(declined.decided_at) + services.JOIN_REQUEST_RETRY_AFTER

    with pytest.raises(services.ApplicationError, match="부터 다시 요청할 수 있습니다"):
        services.join_request_create(actor=newcomer, registration_number=organization.registration_number)
    # Counted in days, as the message says: the evening before the day it names is still too early.
    with time_machine.travel(datetime.combine(from_day - timedelta(days=1), time(23, 59), tzinfo=seoul)):
        with pytest.raises(services.ApplicationError):
            services.join_request_create(actor=newcomer, registration_number=organization.registration_number)
    assert deliver_queued() == []  # the owners are not e-mailed again

    with time_machine.travel(datetime.combine(from_day, time(0, 1), tzinfo=seoul)):
        again = services.join_request_create(actor=newcomer, registration_number=organization.registration_number)
    assert again.pk != first.pk and again.is_pending
    assert len(deliver_queued()) == 1


def test_the_page_says_when_a_declined_requester_may_ask_again(client, organization, applicant, newcomer):
    first = services.join_request_create(actor=newcomer, registration_number=organization.registration_number)
    services.join_request_decline(actor=applicant, join_request=first)
    client.force_login(newcomer)

    response = client.post(
        reverse("join_request_create"),
        {"registration_number": organization.registration_number_display, "message": "다시 요청합니다."},
        HTTP_ACCEPT_LANGUAGE="ko",
    )

    again = timezone.localdate() + services.JOIN_REQUEST_RETRY_AFTER
    assert response.status_code == 200
    page = response.content.decode()
    assert f"이 기관에서 지난 가입 요청을 거절했습니다. {again.year}년 {again.month}월 {again.day}일(" in page
    assert JoinRequest.objects.filter(user=newcomer).count() == 1
