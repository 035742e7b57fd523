"""The load test's users (locust). bench/load.py prepares the data, starts gunicorn and runs
these in three phases against it; not meant to be run by hand.

- ``MinimalUser``: a trivial Django view as fast as the server answers (the stack's ceiling).
- ``ApplicantUser`` and ``ReviewerUser``: the mix of fifty people, with locust's conventional
  think time of 1 to 5 s between steps. An applicant browses the open calls, opens one, starts an
  application, opens the draft form, saves a draft (requested resources and a business
  registration certificate PDF, posted as the browser posts the rendered form), views the status
  page the portal redirects to, submits and views the status again. A reviewer opens the queue,
  the queue filtered to one call's submitted applications, and one decision page from it.
- ``SubmitPathUser``: only the applicant's writes (start, save the draft, submit) with no pause,
  as fast as the server answers: the submit path's throughput.

Each applicant journey takes the next unused (applicant, call) pair of the plan, so that every
application it starts is new (one application per organisation and call); an applicant is
logged in by the session bench/load.py made for it.
"""

import html
import itertools
import json
import os
import random
import re
import sys
from http.cookiejar import Cookie
from pathlib import Path

from locust import FastHttpUser, between, constant, task
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.applicant_draft import DRAFT_STEPS, draft_values, step_url, step_values
from bench.browser_form import Form, Upload, encode_multipart, encode_urlencoded, forms_in, submission

PLAN = json.loads(Path(os.environ["BENCH_LOAD_PLAN"]).read_text())
FIRST, LAST = (int(n) for n in os.environ["BENCH_LOAD_IDENTITIES"].split(":"))
CERTIFICATE = Upload("business-certificate.pdf", Path(PLAN["certificate"]).read_bytes(), "application/pdf")
DRAFT_FORMS = {step: Form(**form) for step, form in PLAN["draft_forms"].items()}
QUEUE = "/admin/applications/application/"


def _pairs():
    # Call-major: fifty users at once work for fifty different organisations.
    for call in PLAN["calls"]:
        for identity in PLAN["identities"][FIRST:LAST]:
            yield identity, call


PAIRS = _pairs()
REVIEWERS = itertools.cycle(PLAN["reviewers"])


def _cookie(name: str, value: str, host: str) -> Cookie:
    return Cookie(0, name, value, None, False, host, False, False, "/", True, False, None, False, None, None, {})


class PortalUser(FastHttpUser):
    abstract = True

    def log_in(self, session_key: str, csrf_secret: str | None = None) -> None:
        """Become the person of ``session_key``: a fresh browser with only their session cookie."""
        host = re.sub(r"^https?://|:\d+$", "", self.host)
        jar = self.client.cookiejar
        jar.clear()
        jar.set_cookie(_cookie("sessionid", session_key, host))
        if csrf_secret:
            jar.set_cookie(_cookie("csrftoken", csrf_secret, host))

    def next_pair(self) -> tuple[dict, dict]:
        try:
            return next(PAIRS)
        except StopIteration:
            self.environment.events.request.fire(
                request_type="PLAN", name="applicant pool exhausted", response_time=0, response_length=0,
                exception=RuntimeError("no unused (applicant, call) pair left"), context={},
            )  # fmt: skip
            raise StopUser() from None

    def page(self, path: str, name: str, *, must_not_contain: str = "") -> str:
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return ""
            text = response.text
            if must_not_contain and must_not_contain in text:
                response.failure(f"the page still shows {must_not_contain}")
                return ""
            return text

    def send(self, path: str, name: str, body: bytes, content_type: str, *, redirect_to: str) -> str:
        """POST as the browser does; the portal must answer with a redirect matching ``redirect_to``."""
        headers = {"Content-Type": content_type, "Origin": self.host, "Referer": self.host + path}
        with self.client.post(
            path, data=body, headers=headers, name=name, allow_redirects=False, catch_response=True
        ) as response:
            location = response.headers.get("Location", "") if response.headers else ""
            if response.status_code != 302 or not re.fullmatch(redirect_to, location):
                response.failure(f"HTTP {response.status_code}, redirect to {location!r}")
                return ""
            return location


def _form(page: str, action_suffix: str = "", enctype: str = "") -> Form | None:
    for form in forms_in(page):
        if form.method == "post" and form.action.endswith(action_suffix) and (not enctype or form.enctype == enctype):
            return form
    return None


def _step_form(page: str) -> Form | None:
    """The form of a step of the application form: the one with the "next" button."""
    for form in forms_in(page):
        if ("go", "next") in form.buttons:
            return form
    return None


class MinimalUser(PortalUser):
    wait_time = constant(0)

    @task
    def minimal(self) -> None:
        self.client.get("/bench/minimal/", name="minimal view")


class ApplicantUser(PortalUser):
    weight = 4
    wait_time = between(1, 5)

    @task
    def apply_and_submit(self) -> None:
        identity, call = self.next_pair()
        self.log_in(identity["session"])
        if not self.page("/calls/", "browse calls"):
            return
        self.wait()
        call_page = self.page(f"/calls/{call['id']}/", "open a call")
        apply = _form(call_page, "/apply/")
        if apply is None:
            return
        self.wait()
        edit_url = self.send(
            apply.action, "start an application", *encode_urlencoded(submission(apply)),
            redirect_to=r"/applications/\d+/edit/",
        )  # fmt: skip
        if not edit_url:
            return
        values = draft_values(call)
        for step in DRAFT_STEPS:
            url = step_url(edit_url, step)
            form = _step_form(self.page(url, f"open the draft form ({step})"))
            if form is None:
                return
            self.wait()
            files = {"business_certificate": CERTIFICATE} if step == "documents" else {}
            parts = submission(
                form, button="go", button_value="next", values=step_values(form.field_names(), values), files=files
            )
            if not self.send(
                url, f"save a draft ({step})", *encode_multipart(parts), redirect_to=r"/applications/\d+/edit/[a-z]+/"
            ):
                return
        review_url = step_url(edit_url, "review")
        submit = _form(self.page(review_url, "review"), "/submit/")
        if submit is None:
            return
        self.wait()
        status_url = re.sub(r"edit/$", "", edit_url)
        self.send(submit.action, "submit", *encode_urlencoded(submission(submit)), redirect_to=re.escape(status_url))
        # Submitted: the status page no longer offers to submit.
        self.page(status_url, "view status", must_not_contain=f'action="{submit.action}"')


class ReviewerUser(PortalUser):
    fixed_count = 10
    wait_time = between(1, 5)

    def on_start(self) -> None:
        self.session_key = next(REVIEWERS)

    @task
    def review(self) -> None:
        self.log_in(self.session_key)
        if not self.page(QUEUE, "queue (reviewer)"):
            return
        self.wait()
        call = random.choice(PLAN["calls"])
        queue = self.page(f"{QUEUE}?call__id__exact={call['id']}&status__exact=submitted", "queue filtered (reviewer)")
        links = re.findall(r'href="(/admin/applications/application/\d+/decide/[^"]*)"', queue)
        if links:
            self.wait()
            self.page(html.unescape(random.choice(links)), "decision page (reviewer)")


class SubmitPathUser(PortalUser):
    wait_time = constant(0)

    @task
    def write(self) -> None:
        identity, call = self.next_pair()
        secret = PLAN["csrf_secret"]
        self.log_in(identity["session"], csrf_secret=secret)
        apply = [("csrfmiddlewaretoken", secret), ("organization", str(identity["organization"]))]
        edit_url = self.send(
            f"/calls/{call['id']}/apply/", "start an application", *encode_urlencoded(apply),
            redirect_to=r"/applications/\d+/edit/",
        )  # fmt: skip
        if not edit_url:
            return
        values = {**draft_values(call), "csrfmiddlewaretoken": secret}
        for step in DRAFT_STEPS:
            form = DRAFT_FORMS[step]
            files = {"business_certificate": CERTIFICATE} if step == "documents" else {}
            parts = submission(
                form, button="go", button_value="next", values=step_values(form.field_names(), values), files=files
            )
            url = step_url(edit_url, step)
            if not self.send(
                url, f"save a draft ({step})", *encode_multipart(parts), redirect_to=r"/applications/\d+/edit/[a-z]+/"
            ):
                return
        status_url = re.sub(r"edit/$", "", edit_url)
        submit = [("csrfmiddlewaretoken", secret)]
        self.send(f"{status_url}submit/", "submit", *encode_urlencoded(submit), redirect_to=re.escape(status_url))
