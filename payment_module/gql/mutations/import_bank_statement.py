import base64
import binascii

import graphene

from core.error_codes import CoreErrorCode
from core.errors import DomainError
from core.gql.mutations import BaseMutation
from payment_module.gql.inputs import CsvMappingInput
from payment_module.gql.types import BankStatementGQLType, BankStatementLineGQLType
from payment_module.services.bank_statements import CsvMapping, bank_statement_import

ENCODINGS = ("base64", "text")


def csv_mapping_of(data: dict | None) -> CsvMapping | None:
    """The wire mapping (GraphQL input or REST form) → CsvMapping; absent options keep the defaults."""
    if not data:
        return None
    options = {name: data[name] for name in ("delimiter", "decimal_comma", "date_format", "encoding", "currency")
               if data.get(name) is not None}
    columns = data.get("columns") or {}
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise DomainError(CoreErrorCode.INVALID, "columns must be an object of field → header name",
                          "csvMapping.columns")
    return CsvMapping(columns=dict(columns), **options)


class ImportBankStatementMutation(BaseMutation):
    """Import a bank statement (camt.053 XML or CSV): its credit lines are matched to invoices and
    paid (reconciled payments); every line is kept and reported. Re-importing lines already
    imported creates nothing (`created: false`, lines counted as duplicates)."""

    bank_statement = graphene.Field(BankStatementGQLType, description="null when the file brought nothing new")
    created = graphene.Boolean(required=True)
    lines = graphene.Int(required=True)
    matched = graphene.Int(required=True)
    unmatched = graphene.Int(required=True)
    ambiguous = graphene.Int(required=True)
    duplicate = graphene.Int(required=True)
    ignored = graphene.Int(required=True)
    unmatched_lines = graphene.List(graphene.NonNull(BankStatementLineGQLType), required=True,
                                    description="the unmatched and ambiguous lines, with their reasons")

    class Input:
        content = graphene.String(required=True, description="the file: base64 (default) or plain text")
        content_encoding = graphene.String(default_value="base64", description="base64 or text")
        format = graphene.String(description="camt053 or csv (default: inferred from fileName, else the content)")
        file_name = graphene.String()
        csv_mapping = graphene.Field(CsvMappingInput)

    class Meta:
        permissions = ("invoice.add_invoicepayment",)

    # A payload with errors has no report: 0 and false, not a GraphQL error (the fields are non-null).
    def resolve_created(self, info):
        return bool(self.created)

    def resolve_lines(self, info):
        return self.lines or 0

    def resolve_matched(self, info):
        return self.matched or 0

    def resolve_unmatched(self, info):
        return self.unmatched or 0

    def resolve_ambiguous(self, info):
        return self.ambiguous or 0

    def resolve_duplicate(self, info):
        return self.duplicate or 0

    def resolve_ignored(self, info):
        return self.ignored or 0

    def resolve_unmatched_lines(self, info):
        return self.unmatched_lines or []

    @classmethod
    def perform(cls, *, tenant, data):
        encoding = data.get("content_encoding") or "base64"
        if encoding not in ENCODINGS:
            raise DomainError(CoreErrorCode.INVALID, f"contentEncoding must be base64 or text, got {encoding!r}",
                              "contentEncoding")
        if encoding == "text":
            content = data["content"].encode()
        else:
            try:
                content = base64.b64decode(data["content"], validate=True)
            except (binascii.Error, ValueError):
                raise DomainError(CoreErrorCode.INVALID, "content is not base64 (send contentEncoding: \"text\" for "
                                                         "plain text)", "content") from None
        report = bank_statement_import(actor=tenant.user, organization=tenant.organization, content=content,
                                       fmt=data.get("format") or None, file_name=data.get("file_name") or "",
                                       csv_mapping=csv_mapping_of(data.get("csv_mapping")))
        return {"bank_statement": report.statement, "created": report.created, **report.counts,
                "unmatched_lines": report.unmatched_lines,
                "internal_id": report.statement.id if report.statement else None}
