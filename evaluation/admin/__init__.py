"""The evaluation in the admin, a module per page: evaluators' invitations (``evaluators``) and
the applicants' objections (``objections``)."""

from evaluation.admin import evaluators, objections

__all__ = ["evaluators", "objections"]
