"""The committed SDL (schema/schema.graphql) is the schema the code builds: API changes are
reviewed in the diff. Printed exactly as `manage.py graphql_schema` writes a .graphql file."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from graphql import print_schema

from schema.schema import schema


def test_committed_sdl_matches_the_schema():
    # given the file `make schema` writes (graphene_django's graphql_schema command:
    # print_schema(schema.graphql_schema), utf-8, no trailing newline added)
    committed = Path(settings.GRAPHENE["SCHEMA_OUTPUT"]).read_text(encoding="utf-8")

    # when
    printed = print_schema(schema.graphql_schema)

    # then
    assert printed == committed, (
        "schema/schema.graphql is out of date with the GraphQL schema: run `make schema` and commit the result"
    )


def test_sdl_output_is_the_committed_file():
    # given / when / then: `make schema` writes where this test reads
    assert Path(settings.GRAPHENE["SCHEMA_OUTPUT"]) == Path(settings.BASE_DIR) / "schema" / "schema.graphql"
    assert settings.GRAPHENE["SCHEMA"] == "schema.schema.schema"
