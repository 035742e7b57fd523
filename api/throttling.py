"""Rate limits per token (per session user, per address for anonymous callers), counted in the
shared cache: Redis, and the database's table while Redis is down (portal/cache.py), as the
site's login limits are. Rates are ``settings.API_RATE_LIMITS`` (read at each request)."""

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.authentication import token_of


class PerCallerThrottle(SimpleRateThrottle):
    scope = "caller"

    def get_rate(self) -> str | None:
        return None  # read per request in allow_request

    def allow_request(self, request: Request, view) -> bool:
        token = token_of(request)
        if token is not None:
            self.rate = settings.API_RATE_LIMITS["token"]
        elif request.user and request.user.is_authenticated:
            self.rate = settings.API_RATE_LIMITS["session"]
        else:
            self.rate = settings.API_RATE_LIMITS["anonymous"]
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view) -> str:
        token = token_of(request)
        if token is not None:
            ident = f"token:{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return f"api:throttle:{ident}"
