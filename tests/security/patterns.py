"""The project's URL patterns as the resolver sees them, and a count of the rows written to the
database, to prove that a refused request changed nothing."""

from dataclasses import dataclass

from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Pattern:
    key: str  # the namespaced URL name, or the route of an unnamed pattern
    route: str


def _join(prefix: str, route: str) -> str:
    # As django.urls.resolvers.URLResolver joins them, so that keys match ResolverMatch.route.
    return prefix + route.removeprefix("^") if prefix else route


def _walk(resolver: URLResolver, prefix: str, namespace: str):
    for entry in resolver.url_patterns:
        route = _join(prefix, str(entry.pattern))
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, route, inner)
        elif isinstance(entry, URLPattern):
            yield Pattern(key=f"{namespace}{entry.name}" if entry.name else route, route=route)


def project_url_patterns() -> list[Pattern]:
    """Every URL pattern of the project: the site, allauth, i18n and the admin with every
    ModelAdmin's own URLs."""
    return list(_walk(get_resolver(), "", ""))


def key_of(match) -> str:
    """The table key of a resolved URL (see ``Pattern.key``)."""
    return match.view_name if match.url_name else match.route


def database_writes() -> int:
    """Rows inserted, updated or deleted so far on this connection (in this transaction, on
    PostgreSQL), in any table: a request that wrote nothing leaves the figure as it was. Rows
    written and then rolled back count too; a refused request should not even try."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables")
        else:
            cursor.execute("SELECT total_changes()")
        return int(cursor.fetchone()[0])


def access_log_rows() -> int:
    from accesslog.models import AccessRecord

    return AccessRecord.objects.count()


def writes_besides_the_access_log() -> int:
    """``database_writes()`` less the rows of the personal-data access log: a page that shows staff
    an applicant's data records it, and that is not a change. The log is only ever added to, so
    its count grows by exactly the rows written to it."""
    return database_writes() - access_log_rows()
