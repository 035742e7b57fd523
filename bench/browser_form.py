"""What a browser posts from an HTML form: its controls in document order with their values
(hidden inputs, the selected option, a textarea's text without its first newline, only checked
boxes, an empty part for an unchosen file, the clicked button's name), encoded as the browser
encodes them. The load test posts exactly this, so it exercises the portal's forms the way
people do. Standard library only: the load client imports it too.
"""

import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode


@dataclass
class Form:
    action: str
    method: str
    enctype: str
    # ("field", name, value) or ("file", name, ""), in document order.
    controls: list[tuple[str, str, str]] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def field_names(self) -> list[str]:
        return [name for _kind, name, _value in self.controls]


@dataclass
class Upload:
    filename: str
    content: bytes
    content_type: str


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None
        self._in_template = 0  # a <template>'s controls are inert: a browser sends none of them

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: (value if value is not None else "") for name, value in attrs}
        if tag == "template":
            self._in_template += 1
            return
        if self._in_template:
            return
        if tag == "form":
            self._form = Form(
                a.get("action", ""),
                a.get("method", "get").lower(),
                a.get("enctype", "application/x-www-form-urlencoded").lower(),
            )
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or "disabled" in a:
            return
        name = a.get("name", "")
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image"):
                form.buttons.append((name, a.get("value", "")))
            elif kind in ("button", "reset") or not name:
                return
            elif kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.controls.append(("field", name, a.get("value", "on")))
            elif kind == "file":
                form.controls.append(("file", name, ""))
            else:
                form.controls.append(("field", name, a.get("value", "")))
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            form.buttons.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select = {"name": name, "first": None, "selected": None}
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "text": "", "selected": "selected" in a}
        elif tag == "textarea" and name:
            self._textarea = {"name": name, "text": ""}

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea["text"] += data
        elif self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self._in_template = max(self._in_template - 1, 0)
            return
        if self._in_template:
            return
        if tag == "option" and self._option is not None:
            self._close_option()
        elif tag == "select" and self._select is not None:
            self._close_option()
            chosen = self._select["selected"] if self._select["selected"] is not None else self._select["first"]
            if chosen is not None and self._form is not None:
                self._form.controls.append(("field", self._select["name"], chosen))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea["text"]
            if text.startswith("\r\n"):
                text = text[2:]
            elif text.startswith("\n"):
                text = text[1:]
            if self._form is not None:
                self._form.controls.append(("field", self._textarea["name"], text))
            self._textarea = None
        elif tag == "form":
            self._form = None

    def _close_option(self) -> None:
        option, self._option = self._option, None
        if option is None or self._select is None:
            return
        value = option["value"] if option["value"] is not None else option["text"].strip()
        if self._select["first"] is None:
            self._select["first"] = value
        if option["selected"]:
            self._select["selected"] = value


def forms_in(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def submission(
    form: Form,
    *,
    button: str | None = None,
    button_value: str | None = None,
    values: dict[str, str] | None = None,
    files: dict | None = None,
) -> list[tuple[str, str | Upload]]:
    """The (name, value) pairs a browser sends when a person has typed ``values``, chosen
    ``files`` ({name: Upload}) and clicked the submit button named ``button`` (the one with
    ``button_value`` where several share the name)."""
    values, files = dict(values or {}), dict(files or {})
    parts: list[tuple[str, str | Upload]] = []
    for kind, name, value in form.controls:
        if kind == "file":
            parts.append((name, files.pop(name, Upload("", b"", "application/octet-stream"))))
        else:
            parts.append((name, values.pop(name, value)))
    parts.extend(values.items())  # boxes the person ticked
    if button is not None:
        clicked = [(name, value) for name, value in form.buttons if name == button and button_value in (None, value)]
        parts.extend(clicked[:1])
    return parts


def encode_multipart(parts: list[tuple[str, str | Upload]]) -> tuple[bytes, str]:
    boundary = f"----BenchFormBoundary{secrets.token_hex(8)}"
    body = bytearray()
    for name, value in parts:
        body += f"--{boundary}\r\n".encode()
        if isinstance(value, Upload):
            body += (
                f'Content-Disposition: form-data; name="{name}"; filename="{value.filename}"\r\n'
                f"Content-Type: {value.content_type}\r\n\r\n"
            ).encode()
            body += value.content
        else:
            body += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            body += value.encode()
        body += b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), f"multipart/form-data; boundary={boundary}"


def encode_urlencoded(parts: list[tuple[str, str]]) -> tuple[bytes, str]:
    return urlencode(parts).encode(), "application/x-www-form-urlencoded"


def certificate_pdf(size: int = 100_000) -> bytes:
    """A PDF of about ``size`` bytes (a scanned one-page certificate is 100 KB to a few MB) that
    the portal's content check accepts: the signature in front, ``%%EOF`` at the end."""
    header = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    pages = b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    trailer = b"\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    padding = max(0, size - len(header) - len(pages) - len(trailer) - 40)
    stream = f"3 0 obj << /Length {padding} >> stream\n".encode() + secrets.token_bytes(padding)
    return header + pages + stream + trailer
