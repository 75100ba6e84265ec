from enum import Enum


class BillingErrorCode(Enum):
    NO_ORDERS = "no_orders"
    NO_TARIFF = "no_tariff"
    INVALID_PERIOD = "invalid_period"
    PERIOD_NOT_ENDED = "period_not_ended"
    PERIOD_TOO_LONG = "period_too_long"
    OPERATOR_INACTIVE = "operator_inactive"
    OVERLAPPING_TARIFF = "overlapping_tariff"


class BankStatementErrorCode(Enum):
    UNSUPPORTED_FORMAT = "unsupported_format"
    EMPTY_FILE = "empty_file"
    FILE_TOO_LARGE = "file_too_large"
    MALFORMED_XML = "malformed_xml"
    SCHEMA_INVALID = "schema_invalid"
    UNSUPPORTED_MESSAGE = "unsupported_message"
    CSV_COLUMN_MISSING = "csv_column_missing"
    CSV_INVALID_VALUE = "csv_invalid_value"
    CSV_MAPPING_INVALID = "csv_mapping_invalid"
    NO_LINES = "no_lines"
    DUPLICATE_ENTRY_REFERENCE = "duplicate_entry_reference"


class OperatorUserErrorCode(Enum):
    INVITATION_INVALID = "invitation_invalid"
    INVITATION_EXPIRED = "invitation_expired"
    INVITATION_LOGIN_REQUIRED = "invitation_login_required"
    ALREADY_INVITED = "already_invited"
    OPERATOR_INACTIVE = "operator_inactive"
