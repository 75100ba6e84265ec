from enum import Enum


class BillingErrorCode(Enum):
    NO_ORDERS = "no_orders"
    NO_TARIFF = "no_tariff"
    INVALID_PERIOD = "invalid_period"
    PERIOD_NOT_ENDED = "period_not_ended"
    PERIOD_TOO_LONG = "period_too_long"
    OPERATOR_INACTIVE = "operator_inactive"
    OVERLAPPING_TARIFF = "overlapping_tariff"


class OperatorUserErrorCode(Enum):
    INVITATION_INVALID = "invitation_invalid"
    INVITATION_EXPIRED = "invitation_expired"
    INVITATION_LOGIN_REQUIRED = "invitation_login_required"
    ALREADY_INVITED = "already_invited"
    OPERATOR_INACTIVE = "operator_inactive"
