"""The GraphQL documents the openIMIS front end (fe-invoice 1.10.0 on fe-core 1.11.0) sends for
the invoice list page and the invoice card page, as recorded by the browser suite (tests/e2e) and
written down in docs/openimis-fe-compat.md §4: the same text, arguments inlined as the front end
inlines them. Used by the cost-limit tests and by bench/graphql_list.py (`--fe`)."""
from __future__ import annotations

PAGE_INFO = "pageInfo { hasNextPage, hasPreviousPage, startCursor, endCursor }"

INVOICE_FIELDS = (
    "id,isDeleted,jsonExt,dateCreated,dateUpdated,dateValidFrom,dateValidTo,replacementUuid,thirdpartyType,"
    "thirdpartyTypeName,thirdpartyId,thirdparty,codeTp,code,codeExt,dateDue,datePayed,amountDiscount,amountNet,"
    "amountTotal,taxAnalysis,status,currencyTpCode,currencyCode,note,terms,paymentReference,subjectType,"
    "subjectTypeName,subjectId,subject,dateInvoice"
)


def invoice_list(first: int = 10) -> str:
    """The list page (`/front/invoices`) as it first loads."""
    return (f'{{ invoice(isDeleted: false,first: {first},orderBy: ["code"]) {{ totalCount {PAGE_INFO} '
            f"edges {{ node {{ {INVOICE_FIELDS} }} }} }} }}")


TAB_FIELDS = {  # (argument naming the invoice, default order, the row's fields)
    "invoiceLineItem": ("invoice_Id: \"{id}\"", "code", "id,code,description,ledgerAccount,quantity,unitPrice,"
                        "discount,deduction,amountTotal,amountNet,taxAnalysis"),
    "paymentInvoice": ("subjectIds: [\"{id}\"]", "codeExt", "id,reconciliationStatus,codeExt,codeTp,codeReceipt,"
                       "label,fees,amountReceived,datePayment,paymentOrigin,payerRef"),
    "invoiceEvent": ("invoice_Id: \"{id}\"", "eventType", "eventType,message"),
}


def invoice_card(invoice_id: str) -> list[tuple[str, str]]:
    """(name, document) of the four requests the card page (`/front/invoices/invoice/<uuid>`)
    sends: the invoice, then its Line Items, Payments and Events tabs."""
    card = f'{{ invoice(id: "{invoice_id}") {{ {PAGE_INFO} edges {{ node {{ {INVOICE_FIELDS} }} }} }} }}'
    tabs = [(name, f'{{ {name}({argument.format(id=invoice_id)},isDeleted: false,first: 10,orderBy: ["{order}"]) '
                   f"{{ totalCount {PAGE_INFO} edges {{ node {{ {fields} }} }} }} }}")
            for name, (argument, order, fields) in TAB_FIELDS.items()]
    return [("invoice", card), *tabs]
