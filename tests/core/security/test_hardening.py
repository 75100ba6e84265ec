import json
import os
import subprocess
import sys
from pathlib import Path

from django.test import Client

from core.gql.mutations import masked
from core.models import MutationLog
from tests.helpers.graphql import post

REPO = Path(__file__).resolve().parents[3]


def test_sensitive_inputs_are_masked_in_the_mutation_log():
    # when
    logged = masked({"name": "x", "password": "p", "refreshToken": "t", "nested": [{"apiSecret": "s"}]})
    # then
    assert logged == {"name": "x", "password": "***", "refreshToken": "***", "nested": [{"apiSecret": "***"}]}


def test_mutation_log_json_content_goes_through_the_mask(user_a, org_a):
    # when
    post('mutation { updateOrganization(input: {id: "%s", version: 1, name: "Org A2", clientMutationId: "m"}) '
         '{ errors { code } } }' % org_a.pk, user=user_a)
    # then
    content = json.loads(MutationLog.objects.get(client_mutation_id="m").json_content)
    assert content["name"] == "Org A2"


def test_deep_queries_are_refused(user_a, settings):
    # given: deeper than GRAPHQL_MAX_DEPTH (15) levels
    query = "{ invoice { edges { node { " + "relatedInvoice { " * 14 + "id" + " }" * 14 + " } } } }"
    # when
    response = Client().post("/graphql", json.dumps({"query": query}), content_type="application/json",
                             HTTP_AUTHORIZATION="Bearer x")
    # then
    assert response.status_code == 400
    assert "exceeds maximum operation depth" in response.json()["errors"][0]["message"]


def test_security_headers_are_sent(db):
    response = Client().get("/health")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_metrics_are_refused_to_remote_clients_without_the_token(db, settings):
    settings.DEBUG = False
    settings.METRICS_TOKEN = "s3cret"
    client = Client(REMOTE_ADDR="10.0.0.9")
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200


def test_deploy_checklist_is_clean_with_production_settings(tmp_path):
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "k" * 30 + "-Zq8#mP2vL!x9Rt4wYb7&Hn3Jc6@Fd5Gs1",
           "ALLOWED_HOSTS": "example.com", "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
           "CELERY_BROKER_URL": ""}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
