"""The committed OpenAPI schema (api/openapi.yaml) is the code's: regenerating it changes nothing,
and it validates without a warning. After changing an endpoint: `make api-schema`."""

import pytest

from tests.processes import ROOT, portal_env, run_manage

pytestmark = pytest.mark.integration

# As production serves it: PostgreSQL's integer ranges (a model's PositiveIntegerField has another
# maximum on SQLite). Generating the schema connects to no database; this URL names no server.
SCHEMA_DATABASE_URL = "postgres://schema@127.0.0.1:1/schema"


def test_the_committed_schema_is_what_the_code_generates(tmp_path):
    generated = tmp_path / "openapi.yaml"

    result = run_manage(
        "spectacular", "--validate", "--fail-on-warn", "--lang", "en", "--file", str(generated),
        env=portal_env({"DEBUG": "1", "DATABASE_URL": SCHEMA_DATABASE_URL}),
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    committed = (ROOT / "api" / "openapi.yaml").read_text()
    assert generated.read_text() == committed, "the API changed: run `make api-schema` and commit api/openapi.yaml"
