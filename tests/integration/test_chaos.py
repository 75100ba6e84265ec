"""The chaos drill, CI size: 40 document requests while a worker is SIGKILLed, RabbitMQ is
stopped and started, and 20 % of S3 calls fail. Nothing may be lost, duplicated or corrupted."""
import pytest
from django.db import connection

from tests.helpers.chaos import rabbitmq_usable, run_drill

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_chaos_drill_loses_nothing(org_a, user_a, settings, tmp_path):
    # given
    assert connection.vendor == "postgresql"
    restarts = 1 if rabbitmq_usable() else 0
    if not restarts:
        pytest.skip("rabbitmqctl is not usable here: cannot restart RabbitMQ")
    # when
    figures = run_drill(organization=org_a, actor=user_a, requests=40, kills=1, rabbit_restarts=restarts,
                        fault_rate=0.2, seed=7, log_dir=tmp_path, timeout=180)
    # then
    print("\n" + figures.report())
    assert figures.kills == 1 and figures.rabbit_restarts == 1
    assert figures.s3_faults > 0
    assert figures.stuck_pending == 0
    assert figures.created + figures.failed == 40
    assert all(figures.failure_reasons), figures.failure_reasons
    assert figures.duplicate_objects == 0 and figures.orphan_objects == 0
    assert figures.checksum_mismatches == 0
    assert figures.numbers_gap_free
