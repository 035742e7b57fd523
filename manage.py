#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # Management commands on a checkout are development unless told otherwise; production
    # (docker-compose.yml, the Dockerfile) always sets DEBUG=0, and the web server (wsgi/asgi)
    # has no such default.
    os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
