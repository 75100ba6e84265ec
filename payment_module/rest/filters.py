"""Query parameters of GET /v2/invoices: `filters[status]`, `filters[operator_id]`,
`filters[between_date]` and the page; of GET /v2/me/invoices: `filters[status]` (invoice
statuses), `filters[organization_id]`, `filters[between_date]` (issue date), `filters[overdue]`.
Anything wrong → 400 naming the parameter."""
from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet
from rest_framework.pagination import PageNumberPagination

from core.error_codes import CoreErrorCode
from core.errors import DomainError
from invoice.constants import ISSUED_STATUSES, DocumentStatus, InvoiceStatus
from payment_module.error_codes import BillingErrorCode
from payment_module.rest.serializers import parse_date

STATUS = "filters[status]"
OPERATOR = "filters[operator_id]"
BETWEEN = "filters[between_date]"
FILTERS = (STATUS, OPERATOR, BETWEEN)


def _values(params, name: str) -> list[str]:
    """Every value of `name`, repeated or comma-separated; none may be empty."""
    values = [part.strip() for raw in params.getlist(name) for part in raw.split(",")]
    if any(not value for value in values):
        raise DomainError(CoreErrorCode.INVALID, f"{name} has an empty value", name)
    return values


def _refuse_unknown(params, known: tuple[str, ...]) -> None:
    for name in params:
        if name.startswith("filters") and name not in known:
            raise DomainError(CoreErrorCode.INVALID, f"unknown filter {name!r}: use {', '.join(known)}", name)


def _uuids(params, name: str) -> list[uuid.UUID]:
    found = []
    for value in _values(params, name):
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            raise DomainError(CoreErrorCode.INVALID, f"{name} must be a UUID, got {value!r}", name) from None
    return found


def _between(params, name: str):
    raw = params.getlist(name)
    parts = raw[0].split(",") if len(raw) == 1 else []
    if len(parts) != 2:
        raise DomainError(CoreErrorCode.INVALID_DATE,
                          f"{name} must be two dates dd/mm/YYYY,dd/mm/YYYY, got {','.join(raw)!r}", name)
    try:
        start, end = (parse_date(part) for part in parts)
    except ValueError as exc:
        raise DomainError(CoreErrorCode.INVALID_DATE, f"{name}: {exc}", name) from None
    if end < start:
        raise DomainError(BillingErrorCode.INVALID_PERIOD, f"{name}: {end:%d/%m/%Y} is before {start:%d/%m/%Y}", name)
    return start, end


ORGANIZATION = "filters[organization_id]"
OVERDUE = "filters[overdue]"
CUSTOMER_FILTERS = (STATUS, ORGANIZATION, BETWEEN, OVERDUE)
# Invoice statuses a customer may filter on, by name (drafts and deleted ones are never theirs).
CUSTOMER_STATUSES = {InvoiceStatus(value).label: value for value in sorted(ISSUED_STATUSES)}


def apply_customer_filters(queryset: QuerySet, params) -> QuerySet:
    """GET /v2/me/invoices: status names (validated, paid, …), organisation ids, issue dates
    between two days (both inclusive), overdue true/false. Repeated or comma-separated values OR."""
    from invoice.selectors import overdue_q

    _refuse_unknown(params, CUSTOMER_FILTERS)
    if STATUS in params:
        names = [value.lower() for value in _values(params, STATUS)]
        unknown = [name for name in names if name not in CUSTOMER_STATUSES]
        if unknown:
            raise DomainError(CoreErrorCode.INVALID, f"{STATUS} must be among {', '.join(CUSTOMER_STATUSES)}, "
                                                     f"got {unknown[0]!r}", STATUS)
        queryset = queryset.filter(status__in=[CUSTOMER_STATUSES[name] for name in names])
    if ORGANIZATION in params:
        queryset = queryset.filter(organization_id__in=_uuids(params, ORGANIZATION))
    if BETWEEN in params:
        start, end = _between(params, BETWEEN)
        queryset = queryset.filter(date_invoice__gte=start, date_invoice__lte=end)
    if OVERDUE in params:
        value = params.get(OVERDUE, "").strip().lower()
        if value not in ("true", "false"):
            raise DomainError(CoreErrorCode.INVALID, f"{OVERDUE} must be true or false, got {value!r}", OVERDUE)
        queryset = queryset.filter(overdue_q()) if value == "true" else queryset.exclude(overdue_q())
    return queryset


def apply_filters(queryset: QuerySet, params) -> QuerySet:
    _refuse_unknown(params, FILTERS)
    if STATUS in params:
        statuses = [value.lower() for value in _values(params, STATUS)]
        unknown = [value for value in statuses if value not in DocumentStatus.values]
        if unknown:
            raise DomainError(CoreErrorCode.INVALID, f"{STATUS} must be among {', '.join(DocumentStatus.values)}, "
                                                     f"got {unknown[0]!r}", STATUS)
        queryset = queryset.filter(status__in=statuses)
    if OPERATOR in params:
        queryset = queryset.filter(operator_id__in=_uuids(params, OPERATOR))
    if BETWEEN in params:
        start, end = _between(params, BETWEEN)
        # Documents whose period overlaps [start, end] (both ends inclusive).
        queryset = queryset.filter(Q(start_date__lte=end) & Q(end_date__gte=start))
    return queryset


class DocumentPagination(PageNumberPagination):
    """`page` (from 1) and `page_size` (1..200, default 50) → {count, next, previous, results}."""

    page_size = 50
    max_page_size = 200
    page_query_param = "page"
    page_size_query_param = "page_size"

    def _positive(self, request, name: str, maximum: int | None = None) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        try:
            value = int(raw)
        except ValueError:
            raise DomainError(CoreErrorCode.INVALID, f"{name} must be a whole number, got {raw!r}", name) from None
        if value < 1 or (maximum is not None and value > maximum):
            bounds = f"between 1 and {maximum}" if maximum else "at least 1"
            raise DomainError(CoreErrorCode.OUT_OF_RANGE, f"{name} must be {bounds}, got {value}", name)
        return value

    def paginate_queryset(self, queryset, request, view=None):
        self._positive(request, self.page_size_query_param, self.max_page_size)
        page = self._positive(request, self.page_query_param)
        if page is not None and page > 1:
            count = queryset.count()
            pages = max(1, -(-count // self.get_page_size(request)))
            if page > pages:
                raise DomainError(CoreErrorCode.OUT_OF_RANGE, f"page {page} is past the last page ({pages})", "page")
        return super().paginate_queryset(queryset, request, view)
