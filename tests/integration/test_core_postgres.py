"""core on the real PostgreSQL: the optimistic lock holds under concurrency (select_for_update +
version), and history records who won."""
from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from core.error_codes import CoreErrorCode
from core.errors import DomainError
from core.models import Organization
from core.services.organizations import organization_update
from tests.helpers.fixtures import make_organization, make_user

pytestmark = pytest.mark.integration


def test_runs_on_postgresql(db):
    # given / when / then
    assert connection.vendor == "postgresql"


def _race(organization: Organization, contenders: list[tuple[object, dict]]) -> list:
    """Run organization_update from one thread per contender, all sending version 1, released
    together by a barrier. Returns each outcome: the updated Organization or the DomainError."""
    barrier = threading.Barrier(len(contenders))
    outcomes: list = [None] * len(contenders)

    def contend(index: int, actor, changes: dict) -> None:
        try:
            stale_copy = Organization.objects.get(pk=organization.pk)  # what the client read: version 1
            barrier.wait(timeout=10)
            outcomes[index] = organization_update(actor=actor, organization=stale_copy, version=1, changes=changes)
        except DomainError as exc:
            outcomes[index] = exc
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=contend, args=(i, actor, changes)) for i, (actor, changes) in
               enumerate(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a contender is still blocked"
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_parallel_updates_with_the_same_version_one_wins(db):
    # given one organisation and two admins who both read version 1
    assert connection.vendor == "postgresql"
    organization = make_organization("org-race", "Org Race")
    first, second = make_user(organization, username="first@molink.test"), make_user(organization,
                                                                                    username="second@molink.test")

    # when they save at the same time
    outcomes = _race(organization, [(first, {"city": "Paris"}), (second, {"city": "Lyon"})])

    # then exactly one wins, the other is STALE_VERSION on `version`
    winners = [o for o in outcomes if isinstance(o, Organization)]
    losers = [o for o in outcomes if isinstance(o, DomainError)]
    assert (len(winners), len(losers)) == (1, 1), outcomes
    assert (losers[0].field, losers[0].code) == ("version", CoreErrorCode.STALE_VERSION)
    assert "you sent version 1, current is 2" in losers[0].message

    # and the row and its history hold the winner's change only, with the winner as actor
    winner_actor = first if outcomes[0] is winners[0] else second
    organization.refresh_from_db()
    assert (organization.version, organization.city, organization.user_updated_id) == (
        2, winners[0].city, winner_actor.id
    )
    history = list(Organization.history.filter(id=organization.pk).order_by("history_date"))
    assert [(h.history_type, h.version, h.city, h.history_user_id, h.history_change_reason) for h in history] == [
        ("+", 1, "", None, None),
        ("~", 2, winners[0].city, winner_actor.id, "organization_update"),
    ]


@pytest.mark.django_db(transaction=True)
def test_many_parallel_updates_with_the_same_version_one_wins(db):
    # given five contenders
    organization = make_organization("org-race5", "Org Race 5")
    actors = [make_user(organization, username=f"c{n}@molink.test") for n in range(5)]

    # when
    outcomes = _race(organization, [(actor, {"phone": f"0{n}"}) for n, actor in enumerate(actors)])

    # then
    assert sum(isinstance(o, Organization) for o in outcomes) == 1, outcomes
    assert all(o.code == CoreErrorCode.STALE_VERSION for o in outcomes if not isinstance(o, Organization))
    assert Organization.history.filter(id=organization.pk, history_type="~").count() == 1
    organization.refresh_from_db()
    assert organization.version == 2
