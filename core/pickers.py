"""Pickable types for generic references (`subject`, `thirdparty`, `line`).

Apps register what may be picked, per role, in `AppConfig.ready()`. The registry answers the
`pickerOptions` query, checks a submitted (type, id) pair, and summarises the picked object as
JSON for `InvoiceGQLType.subject`. Every lookup is tenant-scoped through core.tenancy.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q, QuerySet

from core.error_codes import CoreErrorCode
from core.errors import DomainError, NotFound
from core.tenancy import scope

SUBJECT = "subject"
THIRDPARTY = "thirdparty"
LINE = "line"
ROLES = (SUBJECT, THIRDPARTY, LINE)


@dataclass(frozen=True)
class PickerType:
    code: str  # the `type` clients send, e.g. "operator"
    model_label: str  # "app_label.ModelName"
    roles: frozenset[str]
    code_of: Callable[[Model], str]
    label_of: Callable[[Model], str]
    search_fields: tuple[str, ...]
    summary_of: Callable[[Model], dict] | None = None
    order_by: tuple[str, ...] = field(default=("pk",))

    @property
    def model(self) -> type[Model]:
        return apps.get_model(self.model_label)

    def summary(self, obj: Model) -> dict:
        base = {"id": str(obj.pk), "type": self.code, "code": self.code_of(obj), "label": self.label_of(obj)}
        if self.summary_of is not None:
            base.update(self.summary_of(obj))
        return base

    def queryset(self, organization) -> QuerySet:
        qs = scope(self.model._default_manager.all(), organization)
        if any(f.name == "is_deleted" for f in self.model._meta.fields):
            qs = qs.filter(is_deleted=False)
        return qs


_TYPES: dict[str, PickerType] = {}


def register(picker: PickerType) -> PickerType:
    _TYPES[picker.code] = picker
    return picker


def picker_types(role: str | None = None) -> list[PickerType]:
    return [p for p in _TYPES.values() if role is None or role in p.roles]


def get_type(code: str | None, role: str, field_name: str) -> PickerType:
    picker = _TYPES.get(str(code or "").strip().lower()) or _by_content_type_name(code)
    if picker is None or role not in picker.roles:
        allowed = ", ".join(sorted(p.code for p in picker_types(role)))
        raise DomainError(
            CoreErrorCode.UNKNOWN_PICKER_TYPE, f"unknown {role} type {code!r}; expected one of: {allowed}", field_name
        )
    return picker


def _by_content_type_name(code) -> PickerType | None:
    """Accept a model label ("core.organization"), a model name, or a ContentType id."""
    if code in (None, ""):
        return None
    needle = str(code).strip().lower()
    if needle.isdigit():
        try:
            model = ContentType.objects.get_for_id(int(needle)).model_class()
        except ContentType.DoesNotExist:
            return None
        return type_for_model(model) if model is not None else None
    for picker in _TYPES.values():
        if picker.model_label.lower() == needle or picker.model_label.split(".")[1].lower() == needle:
            return picker
    return None


def type_for_model(model: type[Model]) -> PickerType | None:
    label = model._meta.label
    return next((p for p in _TYPES.values() if p.model_label == label), None)


def resolve(organization, role: str, type_code: str | None, object_id, *, type_field: str, id_field: str):
    """Check a generic reference and return (ContentType, object). Another organisation's or an
    unknown id is NOT_FOUND; an unknown type is UNKNOWN_PICKER_TYPE."""
    picker = get_type(type_code, role, type_field)
    try:
        key = uuid.UUID(str(object_id))
    except (TypeError, ValueError):
        raise NotFound(picker.code, object_id, id_field) from None
    obj = picker.queryset(organization).filter(pk=key).first()
    if obj is None:
        raise NotFound(picker.code, object_id, id_field)
    return ContentType.objects.get_for_model(picker.model), obj


MAX_OPTIONS = 100


def options(organization, role: str, type_code: str, search: str | None, first: int = 20) -> list[dict]:
    picker = get_type(type_code, role, "type")
    qs = picker.queryset(organization)
    if search:
        condition = Q()
        for name in picker.search_fields:
            condition |= Q(**{f"{name}__icontains": search.strip()})
        qs = qs.filter(condition)
    if first is None:
        first = 20
    if not 1 <= first <= MAX_OPTIONS:
        raise DomainError(CoreErrorCode.INVALID, f"first must be between 1 and {MAX_OPTIONS}, got {first}", "first")
    return [
        {"id": str(obj.pk), "type": picker.code, "code": picker.code_of(obj), "label": picker.label_of(obj)}
        for obj in qs.order_by(*picker.order_by)[:first]
    ]


def summarize(obj: Model | None) -> dict | None:
    if obj is None:
        return None
    picker = type_for_model(type(obj))
    if picker is None:
        return {"id": str(obj.pk), "type": obj._meta.model_name, "code": "", "label": str(obj)}
    return picker.summary(obj)


def register_core_pickers(roles: Iterable[str] = (SUBJECT, THIRDPARTY)) -> None:
    register(PickerType(
        code="organization", model_label="core.Organization", roles=frozenset(roles),
        code_of=lambda o: o.code, label_of=lambda o: o.name, search_fields=("code", "name", "siren"),
        summary_of=lambda o: {"siren": o.siren, "vatNumber": o.vat_number}, order_by=("name",),
    ))
    register(PickerType(
        code="user", model_label="core.User", roles=frozenset(roles),
        code_of=lambda u: u.username, label_of=lambda u: (u.get_full_name() or u.username),
        search_fields=("username", "first_name", "last_name", "email"), order_by=("username",),
    ))
