"""Who may do what: anonymous callers get a top-level UNAUTHENTICATED error and leave no trace;
a VIEWER member reads everything of their organisation but every write is PERMISSION_DENIED
(payload error, logged) and writes nothing; an ACCOUNTANT may write."""
from __future__ import annotations

import pytest

from core.models import Membership, MutationLog
from tests.helpers.graphql import (
    assert_mutation_errors,
    assert_mutation_ok,
    data,
    error_codes,
    post,
)
from tests.invoice.gql.helpers import WRITE_MUTATIONS, mutation_document
from tests.invoice.helpers import nothing_written

QUERIES = {
    "invoice": "{ invoice { totalCount edges { node { id code } } } }",
    "invoiceLineItem": "{ invoiceLineItem { totalCount edges { node { id } } } }",
    "invoicePayment": "{ invoicePayment { totalCount edges { node { id } } } }",
    "invoiceEvent": "{ invoiceEvent { totalCount edges { node { id } } } }",
    "invoiceHistory": '{ invoiceHistory(id: "%(draft)s") { version } }',
}


@pytest.mark.parametrize("name", list(QUERIES))
def test_anonymous_queries_are_unauthenticated(world_a, name):
    # when
    result = post(QUERIES[name] % {"draft": world_a.draft.id})

    # then
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert result["data"] in (None, {name: None})


@pytest.mark.parametrize("name", list(WRITE_MUTATIONS))
def test_anonymous_mutations_are_unauthenticated_and_leave_no_trace(world_a, name):
    # when
    with nothing_written():
        result = post(mutation_document(name), {"input": {**WRITE_MUTATIONS[name](world_a), "clientMutationId": "anon"}})

    # then
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert result["data"] == {name: None}
    assert not MutationLog.objects.exists()


def test_a_bad_token_is_token_invalid(world_a):
    # when
    result = post(QUERIES["invoice"], token="not-a-jwt")

    # then
    assert error_codes(result) == ["TOKEN_INVALID"]


def test_a_viewer_reads_every_list_of_the_organisation(world_a, viewer_a):
    # when
    counts = {name: data(post(QUERIES[name], user=viewer_a))[name]["totalCount"]
              for name in ("invoice", "invoiceLineItem", "invoicePayment", "invoiceEvent")}
    history = data(post(QUERIES["invoiceHistory"] % {"draft": world_a.draft.id}, user=viewer_a))["invoiceHistory"]

    # then: 3 invoices of 2 lines; 1 payment; 3 creations + 2 validations + 1 payment + 1 message
    assert counts == {"invoice": 3, "invoiceLineItem": 6, "invoicePayment": 1, "invoiceEvent": 7}
    assert [version["version"] for version in history] == [1, 2, 3]


@pytest.mark.parametrize("name", list(WRITE_MUTATIONS))
def test_a_viewer_cannot_write(world_a, viewer_a, name):
    # when
    with nothing_written():
        result = post(mutation_document(name), {"input": {**WRITE_MUTATIONS[name](world_a), "clientMutationId": "v"}},
                      user=viewer_a)

    # then
    assert_mutation_errors(result, name, [(None, "PERMISSION_DENIED")])
    log = MutationLog.objects.get(client_mutation_id="v")
    assert (log.status, log.user, [error["code"] for error in log.error]) == (
        MutationLog.Status.ERROR, viewer_a, ["PERMISSION_DENIED"],
    )


@pytest.mark.parametrize("name", list(WRITE_MUTATIONS))
def test_an_accountant_can_write(world_a, member_of, org_a, name):
    # given
    accountant = member_of(org_a, Membership.Role.ACCOUNTANT)
    if name == "updateInvoiceEventMessage":  # only one's own messages
        accountant = world_a.message.user

    # when
    result = post(mutation_document(name), {"input": WRITE_MUTATIONS[name](world_a)}, user=accountant)

    # then
    assert_mutation_ok(result, name)
