"""Sections that the apps built on applications add to the applicant's application page, and to
a call's public page.

The page (``views.application_detail``) shows the application; what follows an award (change
requests, reports, the survey: ``aftercare``) lives in apps above this one, which this app never
imports. Each such app registers a ``Section`` from its ``AppConfig.ready()``: a template and a
read that gives the template its figures, or None when the section has nothing to show.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from applications.models import Application, Call


@dataclass(frozen=True)
class Section:
    template: str  # rendered with the page's context and ``section`` (what ``read`` returned)
    read: Callable[[Application, bool], Any]  # (application, the viewer may act on it) -> figures or None


_sections: list[Section] = []


def register_section(section: Section) -> None:
    if section not in _sections:
        _sections.append(section)


def sections_of(application: Application, *, can_act: bool) -> list[tuple[str, Any]]:
    """The sections to show on ``application``'s page: (template, figures), in registration order."""
    shown = []
    for section in _sections:
        figures = section.read(application, can_act)
        if figures is not None:
            shown.append((section.template, figures))
    return shown


@dataclass(frozen=True)
class CallSection:
    template: str  # rendered with the call page's context and ``section`` (what ``read`` returned)
    read: Callable[[Call], Any]  # call -> figures, or None when there is nothing to show


_call_sections: list[CallSection] = []


def register_call_section(section: CallSection) -> None:
    if section not in _call_sections:
        _call_sections.append(section)


def call_sections_of(call: Call) -> list[tuple[str, Any]]:
    """The sections to show on ``call``'s public page: (template, figures), in registration order."""
    shown = []
    for section in _call_sections:
        figures = section.read(call)
        if figures is not None:
            shown.append((section.template, figures))
    return shown
