from enum import Enum


class BillingErrorCode(Enum):
    NO_ORDERS = "no_orders"
    NO_TARIFF = "no_tariff"
    INVALID_PERIOD = "invalid_period"
    PERIOD_NOT_ENDED = "period_not_ended"
    PERIOD_TOO_LONG = "period_too_long"
    OPERATOR_INACTIVE = "operator_inactive"
    OVERLAPPING_TARIFF = "overlapping_tariff"
