"""The profile pages of API tokens, and the schema and its readers."""

import re

import pytest

from api.models import Token

pytestmark = pytest.mark.django_db


def test_a_new_token_is_shown_once_and_listed_by_its_prefix(client, applicant):
    client.force_login(applicant)

    created = client.post("/accounts/api-tokens/", {"name": "분기 신청", "scopes": ["read", "write"], "lifetime": "90"})
    listed = client.get("/accounts/api-tokens/")

    token = re.search(r'id="new-token">(naidc_[^<]+)<', created.content.decode()).group(1)
    row = Token.objects.get(user=applicant)
    assert row.scopes == {"read", "write"} and row.name == "분기 신청"
    assert token.startswith(f"naidc_{row.prefix}_")
    assert token not in listed.content.decode()
    assert f"naidc_{row.prefix}_…" in listed.content.decode()
    assert "API 토큰" in listed.content.decode()


def test_the_staff_scope_is_offered_to_staff_with_a_second_factor_only(client, applicant, reviewer):
    client.force_login(applicant)
    assert 'value="staff"' not in client.get("/accounts/api-tokens/").content.decode()

    forged = client.post("/accounts/api-tokens/", {"name": "x", "scopes": ["staff"], "lifetime": "30"})

    assert forged.status_code == 200 and not Token.objects.exists()
    client.force_login(reviewer)
    assert 'value="staff"' in client.get("/accounts/api-tokens/").content.decode()


def test_the_page_refuses_a_staff_token_for_longer_than_30_days(client, reviewer):
    client.force_login(reviewer)

    refused = client.post("/accounts/api-tokens/", {"name": "x", "scopes": ["read", "staff"], "lifetime": "90"})

    assert refused.status_code == 200 and not Token.objects.exists()
    assert "30" in refused.context["form"].errors["lifetime"][0]
    client.post("/accounts/api-tokens/", {"name": "x", "scopes": ["read", "staff"], "lifetime": "30"})
    assert Token.objects.get().scopes == {"read", "staff"}


def test_revoking_from_the_page(client, applicant, other_org_applicant, token_for):
    token_for(applicant)
    row = Token.objects.get(user=applicant)
    client.force_login(other_org_applicant)
    assert client.post(f"/accounts/api-tokens/{row.pk}/revoke/").status_code == 404

    client.force_login(applicant)
    response = client.post(f"/accounts/api-tokens/{row.pk}/revoke/")

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None


def test_the_navigation_links_to_the_tokens(client, applicant):
    client.force_login(applicant)

    assert 'href="/accounts/api-tokens/"' in client.get("/").content.decode()


def test_the_schema_is_openapi_3_1_with_the_bearer_scheme(client):
    response = client.get("/api/schema/?format=json")

    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    assert schema["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    assert "/api/v1/applications/{id}/submit/" in schema["paths"]


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_docs_load_their_scripts_from_this_site_and_allow_inline_styles_there_only(client, path):
    response = client.get(path)

    html = response.content.decode()
    assert response.status_code == 200
    assert not re.search(r'(src|href)="https?://', html)  # no CDN, no web fonts
    assert "<script>" not in html  # no inline script: Swagger UI's start-up is served as a file
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" in policy.split("style-src")[1].split(";")[0]
    assert "'unsafe-inline'" not in client.get("/").headers["Content-Security-Policy"]


def test_swagger_uis_start_up_script_is_served_as_a_file(client):
    response = client.get("/api/docs/?script=")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()
