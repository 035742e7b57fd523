"""The panel sheet's rows, rendered in Python: a sheet of 1,000 applications has some 40,000
cells (each evaluator's score per criterion), which Django's template engine renders in seconds.
Each row is one string, every value escaped (``escape``) and every number localized once; the
labels are translated once per page."""

from decimal import Decimal

from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from applications.models import Application
from evaluation.panel import PanelRow, PanelSheet


def _number(value: Decimal | int | None) -> str:
    return "—" if value is None else escape(number_format(value))


def panel_rows_html(sheet: PanelSheet, *, request=None, decisions: bool = False) -> SafeString:
    """The ``<tr>`` of each row of ``sheet``; with ``decisions``, the committee's decision form
    (posted to the stage's decision URL, with the request's CSRF token)."""
    words: dict[str, str] = {
        "number": escape(gettext("Application number")),
        "weighted": escape(gettext("weighted score")),
        "left_out": escape(gettext("(left out)")),
        "outlier": escape(gettext("(outlier)")),
        "passed": escape(gettext("Passed")),
        "not_passed": escape(gettext("Not passed")),
        "provisional": escape(gettext("(provisional)")),
        "free_now": escape(gettext("free now")),
        "granted": escape(gettext("granted")),
        "yes": escape(gettext("yes")),
        "no": escape(gettext("no")),
        "decision": escape(gettext("Committee decision")),
        "approve": escape(gettext("Approve")),
        "waitlist": escape(gettext("Wait-list")),
        "reject": escape(gettext("Reject")),
        "reason": escape(gettext("reason")),
        "record": escape(gettext("Record")),
    }
    statuses: dict[str, str] = {status: escape(str(label)) for status, label in Application.Status.choices}
    head = "".join(f'<th scope="col">{escape(c.name)} ({c.weight})</th>' for c in sheet.criteria)
    scores_head = f'<thead><tr><th scope="col"></th>{head}<th scope="col">{words["weighted"]}</th></tr></thead>'
    action = escape(reverse("admin:evaluation_stage_decide", args=[sheet.stage.pk])) if decisions else ""
    csrf = escape(get_token(request)) if decisions and request is not None else ""
    reserved = escape(sheet.reserved_group)
    # Every value in the rows went through ``escape`` above and below: the joined rows are safe.
    return SafeString("".join(_row(row, words, statuses, scores_head, action, csrf, reserved) for row in sheet.rows))


def _scores(row: PanelRow, words: dict[str, str], scores_head: str) -> str:
    if not row.evaluators:
        return "—"
    lines = []
    for column in row.evaluators:
        classes = " ".join(name for name, on in (("dropped", column.dropped), ("outlier", column.outlier)) if on)
        state = "" if column.submitted else f" <small>({escape(column.state)})</small>"
        cells = "".join(f"<td>{_number(value)}</td>" for value in column.values)
        marks = (f" <small>{words['left_out']}</small>" if column.dropped else "") + (
            f" <small>{words['outlier']}</small>" if column.outlier else ""
        )
        lines.append(
            f'<tr class="{classes}"><th scope="row">{escape(column.label)}{state}</th>{cells}'
            f"<td>{_number(column.weighted)}{marks}</td></tr>"
        )
    return f'<table class="panel-scores">{scores_head}<tbody>{"".join(lines)}</tbody></table>'


def _row(
    row: PanelRow,
    words: dict[str, str],
    statuses: dict[str, str],
    scores_head: str,
    action: str,
    csrf: str,
    reserved: str,
) -> str:
    application = row.application
    pk = application.pk
    star = f' <span class="reserved-group" title="{reserved}">★</span>' if row.in_reserved_group else ""
    if row.passed is None:
        passed = "—"
    else:
        passed = words["passed"] if row.passed else words["not_passed"]
        if row.provisional:
            passed += f" <small>{words['provisional']}</small>"
    requested = "<br>".join(
        f"{escape(line.offering)} {_number(line.quantity)} {escape(line.unit)} "
        f"<small>({words['free_now']} {_number(line.free_now)})</small>"
        for line in row.requested
    )
    fits = words["granted"] if row.fits_in_order is None else words["yes" if row.fits_in_order else "no"]
    decision = ""
    if action:
        if application.is_decidable:
            decision = (
                f'<td><form method="post" action="{action}" class="committee-decision">'
                f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
                f'<input type="hidden" name="application" value="{pk}">'
                f'<label class="visually-hidden" for="decision-{pk}">{words["decision"]}</label>'
                f'<select name="decision" id="decision-{pk}"><option value="approve">{words["approve"]}</option>'
                f'<option value="waitlist">{words["waitlist"]}</option>'
                f'<option value="reject">{words["reject"]}</option>'
                f'</select> <label class="visually-hidden" for="reason-{pk}">{words["reason"]}</label>'
                f'<input type="text" name="reason" id="reason-{pk}" maxlength="2000" placeholder="{words["reason"]}"> '
                f'<button type="submit" class="button">{words["record"]}</button></form></td>'
            )
        else:
            decision = f"<td>{statuses.get(application.status, '')}</td>"
    return (
        f"<tr><td>{row.position}</td>"
        f"<td>{escape(application.organization.legal_name)}{star}<br>"
        f"<small>{words['number']} {pk} · {statuses.get(application.status, '')}</small></td>"
        f"<td>{_scores(row, words, scores_head)}</td>"
        f"<td>{_number(row.merit)}</td><td>{_number(row.spread)}</td><td>{_number(row.bonus)}</td>"
        f"<td><strong>{_number(row.final)}</strong></td><td>{passed}</td><td>{requested}</td><td>{fits}</td>"
        f"{decision}</tr>"
    )
