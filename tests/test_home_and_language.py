import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_first_visitor_reads_korean(client):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert response["Content-Language"] == "ko"
    page = response.content.decode()
    assert '<html lang="ko">' in page
    assert "국가 AI 데이터센터" in page


def test_the_home_page_says_what_the_portal_is_and_lists_open_calls(client):
    page = client.get(reverse("home")).content.decode()

    assert "GPU" in page
    assert 'id="open-calls"' in page


def test_the_language_switcher_remembers_english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302

    page = client.get(reverse("home"))

    assert page["Content-Language"] == "en"
    assert "National AI Data Center" in page.content.decode()


def test_pages_use_the_vendored_bootstrap_and_no_cdn(client):
    page = client.get(reverse("account_login")).content.decode()

    assert "/static/vendor/bootstrap/bootstrap.min.css" in page
    assert "cdn" not in page.lower()
    assert "https://" not in page


def test_login_page_is_in_the_sites_look(client):
    page = client.get(reverse("account_login")).content.decode()

    assert 'class="navbar' in page
    assert "form-control" in page
