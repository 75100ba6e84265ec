from enum import Enum


class BillingErrorCode(Enum):
    NO_ORDERS = "no_orders"
    NO_TARIFF = "no_tariff"
    INVALID_PERIOD = "invalid_period"
    OPERATOR_INACTIVE = "operator_inactive"
    OVERLAPPING_TARIFF = "overlapping_tariff"
