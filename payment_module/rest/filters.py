"""Query parameters of GET /v2/invoices: `filters[status]`, `filters[operator_id]`,
`filters[between_date]` and the page. Anything wrong → 400 naming the parameter."""
from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet
from rest_framework.pagination import PageNumberPagination

from core.error_codes import CoreErrorCode
from core.errors import DomainError
from invoice.constants import DocumentStatus
from payment_module.rest.serializers import parse_date
from payment_module.error_codes import BillingErrorCode

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


def apply_filters(queryset: QuerySet, params) -> QuerySet:
    for name in params:
        if name.startswith("filters") and name not in FILTERS:
            raise DomainError(CoreErrorCode.INVALID,
                              f"unknown filter {name!r}: use {', '.join(FILTERS)}", name)
    if STATUS in params:
        statuses = [value.lower() for value in _values(params, STATUS)]
        unknown = [value for value in statuses if value not in DocumentStatus.values]
        if unknown:
            raise DomainError(CoreErrorCode.INVALID, f"{STATUS} must be among {', '.join(DocumentStatus.values)}, "
                                                     f"got {unknown[0]!r}", STATUS)
        queryset = queryset.filter(status__in=statuses)
    if OPERATOR in params:
        operators = []
        for value in _values(params, OPERATOR):
            try:
                operators.append(uuid.UUID(value))
            except ValueError:
                raise DomainError(CoreErrorCode.INVALID, f"{OPERATOR} must be a UUID, got {value!r}", OPERATOR) from None
        queryset = queryset.filter(operator_id__in=operators)
    if BETWEEN in params:
        raw = params.getlist(BETWEEN)
        parts = raw[0].split(",") if len(raw) == 1 else []
        if len(parts) != 2:
            raise DomainError(CoreErrorCode.INVALID_DATE,
                              f"{BETWEEN} must be two dates dd/mm/YYYY,dd/mm/YYYY, got {','.join(raw)!r}", BETWEEN)
        try:
            start, end = (parse_date(part) for part in parts)
        except ValueError as exc:
            raise DomainError(CoreErrorCode.INVALID_DATE, f"{BETWEEN}: {exc}", BETWEEN) from None
        if end < start:
            raise DomainError(BillingErrorCode.INVALID_PERIOD,
                              f"{BETWEEN}: {end:%d/%m/%Y} is before {start:%d/%m/%Y}", BETWEEN)
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
