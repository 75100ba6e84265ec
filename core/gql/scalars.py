"""Scalars for filter arguments as openIMIS clients write them."""
from decimal import Decimal, InvalidOperation

import django_filters
import graphene
from django import forms
from graphene_django.forms.converter import convert_form_field
from graphql.language import FloatValueNode, IntValueNode, StringValueNode


class DecimalLiteral(graphene.Scalar):
    """A decimal filter value: a bare number (`amountTotal_Lte: 100.5`) or a string ("100.50").
    The literal's text is parsed as Decimal, so no binary float ever touches an amount."""

    @staticmethod
    def serialize(value):
        return str(value)

    @staticmethod
    def parse_value(value):
        if isinstance(value, float):
            value = repr(value)
        try:
            return Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise ValueError(f"not a decimal number: {value!r}") from None

    @classmethod
    def parse_literal(cls, node, _variables=None):
        if isinstance(node, (IntValueNode, FloatValueNode, StringValueNode)):
            return cls.parse_value(node.value)
        raise ValueError("expected a number or a numeric string")


class DecimalLiteralFormField(forms.DecimalField):
    pass


@convert_form_field.register(DecimalLiteralFormField)
def _convert_decimal_literal(field):
    return DecimalLiteral(required=field.required, description=field.help_text)


class DecimalLiteralFilter(django_filters.NumberFilter):
    field_class = DecimalLiteralFormField
