"""The files the sample applicants attach: a one-page PDF per certificate or piece of evidence.

Submitting needs the business registration certificate and evidence for every priority claim
(``applications.services.submission_problems``), so the demo attaches real, valid PDFs that
open in a viewer and pass the upload check (``applications.uploads.validate_evidence_file``).
They say, in ASCII (the standard PDF fonts have no Hangul), that they are sample documents.
"""

from django.core.files.base import ContentFile


def sample_pdf(filename: str, *lines: str) -> ContentFile:
    """A one-page PDF with ``lines`` of text, uploaded as ``filename``."""
    return ContentFile(_pdf(["SAMPLE DOCUMENT - demo data of the AI data center portal", *lines]), name=filename)


def _escaped(text: str) -> bytes:
    ascii_text = text.encode("ascii", "replace").decode("ascii")
    return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("ascii")


def _pdf(lines: list[str]) -> bytes:
    text = b"BT /F1 12 Tf 16 TL 56 780 Td " + b" ".join(b"(" + _escaped(line) + b") Tj T*" for line in lines) + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%b\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    document = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(document))
        document += b"%d 0 obj\n%b\nendobj\n" % (number, body)
    xref = len(document)
    document += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    document += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    document += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(document)
