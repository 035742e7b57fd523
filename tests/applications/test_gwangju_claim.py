"""The "located in Gwangju" priority claim: it stands when the organisation's address is in
광주광역시; an organisation registered elsewhere claims it for a branch or lab in 광주광역시 whose
address the details give (evidence is required at submission, as for every claim)."""

import pytest
from django.urls import reverse

from applications import services
from applications.forms import ClaimForm
from applications.models import PriorityClaim
from applications.regions import Region
from tests.applications.conftest import complete, pdf
from tests.factories import ApplicationFactory, MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

GWANGJU = PriorityClaim.Kind.GWANGJU_LOCATED


@pytest.fixture
def gyeonggi_draft(applicant, open_call):
    # Registered with the region 광주광역시 before the address was read properly.
    organization = OrganizationFactory(region=Region.GWANGJU, address="(12345) 경기도 광주시 오포읍 신현로 1")
    MembershipFactory(organization=organization, user=applicant, role="owner")
    return ApplicationFactory(organization=organization, call=open_call)


def save_claim(draft, applicant, details: str):
    return services.application_update_draft(
        actor=applicant,
        application=draft,
        fields={},
        items=[],
        claims=[services.ClaimInput(kind=GWANGJU, details=details, evidence=pdf())],
    )


def test_an_organisation_in_gyeonggi_gwangju_si_cannot_claim_gwangju(gyeonggi_draft, applicant):
    with pytest.raises(services.ClaimRefused) as refused:
        save_claim(gyeonggi_draft, applicant, "본사 소재지 광주")

    assert "광주광역시" in str(refused.value) or "Gwangju Metropolitan City" in str(refused.value)
    assert not gyeonggi_draft.claims.exists()


@pytest.mark.parametrize(
    "details",
    [
        "광주 연구소: 광주광역시 북구 첨단과기로 123",
        "지사 주소 (61011) 광주광역시 광산구 하남산단6번로 107",
        "Lab: 123 Cheomdangwagi-ro, Buk-gu, Gwangju 61011",
    ],
)
def test_it_may_claim_gwangju_for_a_branch_or_lab_whose_gwangju_address_it_gives(gyeonggi_draft, applicant, details):
    save_claim(gyeonggi_draft, applicant, details)

    assert gyeonggi_draft.claims.get().kind == GWANGJU


@pytest.mark.parametrize(
    "details",
    [
        "광주 지사 있음",
        "지사: 경기도 광주시 경안로 1",
        "Branch in Gwangju-si",
        # The usual English for 경기도 광주시: the province follows the city.
        "Branch: 45 Opo-ro, Opo-eup, Gwangju, Gyeonggi-do 12773",
        "Lab: 12 Gyeongan-ro, Gwangju, Gyeonggi-do",
        # The city's bare name is not an address, in English as in Korean.
        "Branch in Gwangju",
    ],
)
def test_a_branch_not_in_gwangju_metropolitan_city_does_not_count(gyeonggi_draft, applicant, details):
    with pytest.raises(services.ClaimRefused):
        save_claim(gyeonggi_draft, applicant, details)


def test_an_organisation_in_gwangju_claims_it_without_more(applicant, open_call):
    organization = OrganizationFactory(region=Region.GWANGJU, address="광주광역시 북구 첨단과기로 123")
    MembershipFactory(organization=organization, user=applicant, role="owner")
    draft = ApplicationFactory(organization=organization, call=open_call)

    save_claim(draft, applicant, "")

    assert draft.claims.get().kind == GWANGJU


def test_the_claim_form_shows_the_refusal_beside_the_details(gyeonggi_draft):
    form = ClaimForm(
        {f"claim-{GWANGJU}-claimed": "on", f"claim-{GWANGJU}-details": "본사 광주"},
        prefix=f"claim-{GWANGJU}",
        kind=GWANGJU,
        organization=gyeonggi_draft.organization,
    )

    assert not form.is_valid()
    assert list(form.errors) == ["details"]
    assert "첨단과기로" in form.errors["details"][0]


def test_a_claim_saved_before_the_rule_keeps_the_draft_from_being_submitted(gyeonggi_draft, open_call):
    draft = complete(gyeonggi_draft, open_call.call_offerings.all()[0].offering, 1)
    PriorityClaim.objects.create(application=draft, kind=GWANGJU, details="본사 광주", evidence="e/x.pdf")

    problems = services.submission_problems(draft)

    assert any("첨단과기로" in problem for problem in problems)


def test_the_reviewer_sees_the_address_and_the_region_it_names(client, reviewer, gyeonggi_draft):
    client.force_login(reviewer)

    page = client.get(
        reverse("admin:applications_application_decide", args=[gyeonggi_draft.pk]), HTTP_ACCEPT_LANGUAGE="ko"
    ).content.decode()

    assert "(12345) 경기도 광주시 오포읍 신현로 1" in page
    assert "주소상 시·도" in page and "경기도" in page
    assert "선택한 지역과 다릅니다" in page


def test_the_queue_says_where_the_address_disagrees_with_the_region(client, reviewer, gyeonggi_draft):
    from django.utils import timezone

    type(gyeonggi_draft).objects.filter(pk=gyeonggi_draft.pk).update(status="submitted", submitted_at=timezone.now())
    client.force_login(reviewer)

    page = client.get(reverse("admin:applications_application_changelist"), HTTP_ACCEPT_LANGUAGE="ko")

    assert "광주광역시 (주소: 경기도)" in page.content.decode()


def test_a_claim_saved_before_the_rule_does_not_stop_the_rest_of_the_draft_from_being_saved(gyeonggi_draft, applicant):
    PriorityClaim.objects.create(application=gyeonggi_draft, kind=GWANGJU, details="본사 광주", evidence="e/x.pdf")

    services.application_update_draft(
        actor=applicant,
        application=gyeonggi_draft,
        fields={"project_title": "결함 탐지"},
        items=[],
        claims=[
            services.ClaimInput(kind=GWANGJU, details="본사 광주"),
            services.ClaimInput(kind=PriorityClaim.Kind.CLUSTER_PARTICIPANT, details="AI 집적단지 사업 참여"),
        ],
    )

    gyeonggi_draft.refresh_from_db()
    assert gyeonggi_draft.project_title == "결함 탐지"
    assert set(gyeonggi_draft.claims.values_list("kind", flat=True)) == {
        GWANGJU,
        PriorityClaim.Kind.CLUSTER_PARTICIPANT,
    }
    # Changing the old claim's details is a new claim: refused unless it gives a Gwangju address.
    with pytest.raises(services.ClaimRefused):
        save_claim(gyeonggi_draft, applicant, "본사 광주 (이전 예정)")
