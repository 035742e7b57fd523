"""Evidence and certificate uploads: refused by what the bytes are, not by what the name says,
stored under generated names, and served only as attachments by views that check who asks."""

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from applications import services
from applications.models import PriorityClaim
from applications.uploads import MAX_UPLOAD_BYTES, validate_evidence_file
from tests.applications.conftest import MINIMAL_PDF, edit_form_data, png_bytes, post_draft

pytestmark = pytest.mark.django_db

HTML_PAGE = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
PNG_POLYGLOT = b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>"
SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
WINDOWS_EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def pdf_of_size(size: int) -> bytes:
    """A PDF header, padding and a trailer: exactly ``size`` bytes, valid by the upload rules."""
    head, tail = b"%PDF-1.4\n", b"\n%%EOF\n"
    return head + b"0" * (size - len(head) - len(tail)) + tail


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="JPEG")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def draft(applicant, open_call, organization, media_root):
    return services.application_start(actor=applicant, call=open_call, organization=organization)


@pytest.fixture
def owner_client(client, applicant):
    client.force_login(applicant)
    return client


def post_certificate(client, application, file):
    return post_draft(client, application, edit_form_data(application.call, certificate=file))


def post_evidence(client, application, file, kind=PriorityClaim.Kind.GWANGJU_LOCATED):
    """Tick the claim on its step, then attach the evidence on the documents step."""
    data = edit_form_data(application.call, claims={kind: {"details": "광주 본사", "evidence": file}})
    return post_draft(client, application, data)


def evidence_errors(response, kind):
    return response.context["form"].errors.as_data()[f"evidence_{kind}"]


REFUSED = [
    pytest.param("certificate.pdf", pdf_of_size(MAX_UPLOAD_BYTES + 1), "too_large", id="over-10-MB"),
    pytest.param("certificate.pdf", b"", "empty", id="zero-bytes"),
    pytest.param("certificate.pdf", HTML_PAGE, "content", id="html-renamed-pdf"),
    pytest.param("scan.png", PNG_POLYGLOT, "content", id="html-behind-png-signature"),
    pytest.param("drawing.svg", SVG_WITH_SCRIPT, "extension", id="svg-with-script"),
    pytest.param("evil.html.pdf", HTML_PAGE, "content", id="double-extension"),
    pytest.param("setup.exe", WINDOWS_EXECUTABLE, "extension", id="exe"),
]

ACCEPTED = [
    pytest.param("our-business-certificate.pdf", MINIMAL_PDF, ".pdf", id="pdf"),
    pytest.param("our-business-certificate.png", png_bytes(), ".png", id="png"),
    pytest.param("our-business-certificate.jpg", jpeg_bytes(), ".jpg", id="jpeg"),
]


# --- Through the edit view ------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "code"), REFUSED)
def test_a_refused_certificate_is_reported_on_the_form_and_not_stored(
    owner_client, draft, media_root, name, content, code
):
    response = post_certificate(owner_client, draft, upload(name, content))

    assert response.status_code == 200
    form = response.context["form"]
    assert [error.code for error in form.errors.as_data()["business_certificate"]] == [code]
    assert escape(form.errors["business_certificate"][0]) in response.content.decode()
    draft.refresh_from_db()
    assert not draft.business_certificate
    assert draft.project_title == "제조 결함 탐지 모델 학습"  # the rest of the draft is kept
    assert stored_files(media_root) == []


@pytest.mark.parametrize(("name", "content", "code"), REFUSED)
def test_refused_claim_evidence_is_reported_on_the_form_and_not_stored(
    owner_client, draft, media_root, name, content, code
):
    response = post_evidence(owner_client, draft, upload(name, content))

    assert response.status_code == 200
    errors = evidence_errors(response, PriorityClaim.Kind.GWANGJU_LOCATED)
    assert [error.code for error in errors] == [code]
    assert escape(errors[0].messages[0]) in response.content.decode()
    # The claim ticked on its step is kept; the refused file is not.
    assert not PriorityClaim.objects.get(application=draft).evidence
    assert stored_files(media_root) == []


@pytest.mark.parametrize(("name", "content", "extension"), ACCEPTED)
def test_an_accepted_certificate_is_stored_under_a_generated_name(
    owner_client, draft, media_root, name, content, extension
):
    response = post_certificate(owner_client, draft, upload(name, content))

    assert response.status_code == 302
    draft.refresh_from_db()
    stored = draft.business_certificate.name
    assert re.fullmatch(rf"certificates/[0-9a-f]{{32}}\{extension}", stored)
    assert "our-business-certificate" not in stored
    assert (media_root / stored).read_bytes() == content
    assert stored_files(media_root) == [media_root / stored]


@pytest.mark.parametrize(("name", "content", "extension"), ACCEPTED)
def test_accepted_claim_evidence_is_stored_under_a_generated_name(
    owner_client, draft, media_root, name, content, extension
):
    response = post_evidence(owner_client, draft, upload(name, content))

    assert response.status_code == 302
    claim = PriorityClaim.objects.get(application=draft, kind=PriorityClaim.Kind.GWANGJU_LOCATED)
    stored = claim.evidence.name
    assert re.fullmatch(rf"evidence/[0-9a-f]{{32}}\{extension}", stored)
    assert "our-business-certificate" not in stored
    assert (media_root / stored).read_bytes() == content


def test_a_refused_replacement_keeps_the_certificate_already_attached(owner_client, draft, media_root):
    post_certificate(owner_client, draft, upload("first.pdf", MINIMAL_PDF))
    draft.refresh_from_db()
    attached = draft.business_certificate.name

    response = post_certificate(owner_client, draft, upload("second.pdf", HTML_PAGE))

    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.business_certificate.name == attached
    assert stored_files(media_root) == [media_root / attached]


# --- Downloads -----------------------------------------------------------------------------------


def test_the_certificate_downloads_as_an_attachment_that_browsers_must_not_sniff(owner_client, draft):
    post_certificate(owner_client, draft, upload("our-business-certificate.pdf", MINIMAL_PDF))

    response = owner_client.get(reverse("application_certificate", args=[draft.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert 'filename="our-business-certificate.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == MINIMAL_PDF


def test_claim_evidence_downloads_as_an_attachment_that_browsers_must_not_sniff(owner_client, draft):
    post_evidence(owner_client, draft, upload("our-lease.png", png_bytes()))
    claim = PriorityClaim.objects.get(application=draft)

    response = owner_client.get(reverse("claim_evidence", args=[claim.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert 'filename="our-lease.png"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == png_bytes()


def test_downloading_a_certificate_that_was_never_attached_is_not_found(owner_client, draft):
    response = owner_client.get(reverse("application_certificate", args=[draft.pk]))

    assert response.status_code == 404


def test_claim_evidence_that_was_never_attached_is_not_found(owner_client, draft):
    post_evidence(owner_client, draft, "")
    claim = PriorityClaim.objects.get(application=draft)

    response = owner_client.get(reverse("claim_evidence", args=[claim.pk]))

    assert response.status_code == 404


def test_a_valid_image_carrying_html_is_stored_inert_and_downloaded_only_as_an_image_attachment(
    owner_client, reviewer, draft, media_root
):
    # Pillow accepts a PNG with anything after its end; what matters is that browsers never
    # render the tail as a page: generated name, attachment, declared type, no sniffing, sandbox.
    carrier = upload("../../../templates/base.html.png", png_bytes() + HTML_PAGE)

    response = post_certificate(owner_client, draft, carrier)

    assert response.status_code == 302
    draft.refresh_from_db()
    stored = draft.business_certificate.name
    assert re.fullmatch(r"certificates/[0-9a-f]{32}\.png", stored)
    assert stored_files(media_root) == [media_root / stored]
    staff_client = Client()
    staff_client.force_login(reviewer)
    for downloader in (owner_client, staff_client):
        download = downloader.get(reverse("application_certificate", args=[draft.pk]))
        assert download["Content-Type"] == "image/png"
        assert download["Content-Disposition"].startswith("attachment")
        assert download["X-Content-Type-Options"] == "nosniff"
        assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_uploaded_files_have_no_public_media_url(owner_client, draft):
    post_certificate(owner_client, draft, upload("our-business-certificate.pdf", MINIMAL_PDF))
    post_evidence(owner_client, draft, upload("our-lease.pdf", MINIMAL_PDF))
    draft.refresh_from_db()
    stored = [draft.business_certificate.name, PriorityClaim.objects.get(application=draft).evidence.name]

    for name in stored:
        assert owner_client.get(f"/media/{name}").status_code == 404
        assert owner_client.get(f"/{name}").status_code == 404


# --- validate_evidence_file ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        *REFUSED,
        pytest.param("scan.jpg", png_bytes(), "content", id="png-named-jpg"),
        pytest.param("photo.png", jpeg_bytes(), "content", id="jpeg-named-png"),
        pytest.param("scan.png", png_bytes()[:24], "content", id="truncated-png"),
        pytest.param(
            "photo.jpeg", b"\xff\xd8\xff<html><script>alert(1)</script></html>", "content", id="html-behind-jpeg"
        ),
        pytest.param("certificate.pdf", MINIMAL_PDF.replace(b"%%EOF", b""), "content", id="pdf-without-trailer"),
        pytest.param("page.html", HTML_PAGE, "extension", id="html"),
        pytest.param("certificate", MINIMAL_PDF, "extension", id="no-extension"),
        pytest.param("certificate.pdf.exe", MINIMAL_PDF, "extension", id="pdf-then-exe"),
    ],
)
def test_validate_evidence_file_refuses(name, content, code):
    with pytest.raises(ValidationError) as refused:
        validate_evidence_file(upload(name, content))

    assert refused.value.code == code


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("certificate.pdf", MINIMAL_PDF, id="pdf"),
        pytest.param("CERTIFICATE.PDF", MINIMAL_PDF, id="upper-case-extension"),
        pytest.param("scan.png", png_bytes(), id="png"),
        pytest.param("photo.jpg", jpeg_bytes(), id="jpg"),
        pytest.param("photo.jpeg", jpeg_bytes(), id="jpeg"),
        pytest.param("certificate.pdf", pdf_of_size(MAX_UPLOAD_BYTES), id="exactly-10-MB"),
    ],
)
def test_validate_evidence_file_accepts(name, content):
    assert validate_evidence_file(upload(name, content)) is None


def test_validate_evidence_file_leaves_the_file_readable_from_the_start():
    file = upload("scan.png", png_bytes())

    validate_evidence_file(file)

    assert file.read() == png_bytes()


SIGNATURE_BY_EXTENSION = {
    ".pdf": b"%PDF-",
    ".png": b"\x89PNG\r\n\x1a\n",
    ".jpg": b"\xff\xd8\xff",
    ".jpeg": b"\xff\xd8\xff",
}


# A name a browser can send: Django's upload handling keeps only the last path component, so a
# name that is all path ("/", "a/", "..") never reaches the validator.
file_stems = st.text(min_size=1, max_size=40).filter(lambda s: "/" not in s and "\\" not in s and s not in {".", ".."})


@settings(max_examples=200, deadline=None)
@given(
    stem=file_stems,
    extension=st.sampled_from([*SIGNATURE_BY_EXTENSION, ".svg", ".html", ".gif", ".pdf.html", ""]),
    head=st.sampled_from([b"", *SIGNATURE_BY_EXTENSION.values(), b"<svg", b"<html>", b"GIF89a"]),
    body=st.binary(max_size=512),
)
def test_validate_evidence_file_accepts_only_what_the_extension_promises(stem, extension, head, body):
    name, content = stem + extension, head + body
    try:
        validate_evidence_file(upload(name, content))
    except ValidationError as refused:
        assert refused.code in {"empty", "extension", "content"}
    else:
        assert content.startswith(SIGNATURE_BY_EXTENSION[extension.lower()])
