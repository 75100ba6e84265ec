import pytest

from tests.payment_module.bank_helpers import make_sample_invoices


@pytest.fixture
def sample_invoices(user_a, org_a):
    return make_sample_invoices(user_a, org_a)
