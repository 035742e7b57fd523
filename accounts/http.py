"""Who is asking: the types of the requests the portal's views receive.

A view behind ``login_required`` (or the admin's own check) receives an ``AuthenticatedRequest``:
its ``user`` is a portal user. Pages open to everyone see a ``Viewer``, who may be anonymous;
the selectors that scope reads to a user accept one and return nothing for an anonymous one.
"""

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from accounts.models import User

Viewer = User | AnonymousUser


class AuthenticatedRequest(HttpRequest):
    user: User
