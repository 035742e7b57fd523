"""Settings of the web processes that the load test and the scale-out check start: the portal's
own production settings (DEBUG=0, every middleware, the manifest static storage, the database
session store), plus one trivial view (bench/load_urls.py) that gives the stack's ceiling.

    DJANGO_SETTINGS_MODULE=bench.load_settings gunicorn portal.wsgi:application
"""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.load_urls"

# The benchmarks' clients speak plain HTTP to 127.0.0.1, where production's HTTPS-only settings
# would redirect every request to https:// and keep the browser from sending back the session
# and CSRF cookies. These, and nothing else, are turned off here; the cookies then keep Django's
# names, as portal/settings.py names them on plain HTTP (a browser refuses a __Host- cookie
# without Secure).
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = False
SESSION_COOKIE_NAME, CSRF_COOKIE_NAME, LANGUAGE_COOKIE_NAME = "sessionid", "csrftoken", "django_language"
SECURE_HSTS_SECONDS = 0
