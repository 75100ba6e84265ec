"""What openIMIS fe-core asks around login, answered as it sends it: `moduleConfigurations` before
login, `languages` in the app bar, `getCsrfToken` after login (with `Authorization: JWT undefined`,
since fe-core reads a token its login mutation never selects), `GET /api/core/users/current_user/`
with a language the front end can load, and `changeUserLanguage`."""
from __future__ import annotations

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from core import frontend
from core.models import MutationLog, User
from tests.helpers.graphql import (
    assert_mutation_errors,
    assert_mutation_ok,
    data,
    error_codes,
    post,
)

# The exact texts fe-core 1.11 and the assembly send.
MODULE_CONFIGURATIONS = "{ moduleConfigurations { module, config, controls{ field, usage } } }"
LANGUAGES = "{ languages { name code } }"
CSRF = "mutation {\n      getCsrfToken {\n        csrfToken\n      }\n    }"
LOGIN = ("mutation authenticate($username: String!, $password: String!) {\n"
         "  tokenAuth(username: $username, password: $password) { refreshExpiresIn } }")
FE_HEADERS = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest", "HTTP_X_CSRFTOKEN": "null"}


def change_language(code: str, client_mutation_id: str = "cm-lang") -> str:
    return (f'mutation {{ changeUserLanguage(input: {{ clientMutationId: "{client_mutation_id}" '
            f'clientMutationLabel: "Change User Language" languageId: "{code}" }}) '
            "{ clientMutationId internalId errors { field code message } } }")


def fe_post(client: Client, query: str, variables: dict | None = None, **extra) -> dict:
    body = {"query": query, **({"variables": variables} if variables is not None else {})}
    response = client.post("/api/graphql", json.dumps(body), content_type="application/json", **{**FE_HEADERS, **extra})
    assert response.status_code == 200, response.content
    return response.json()


def logged_in_client(user) -> Client:
    client = Client()
    result = fe_post(client, LOGIN, {"username": user.username, "password": "pw-12345678"})
    assert data(result)["tokenAuth"]["refreshExpiresIn"]
    assert "JWT" in client.cookies
    return client


@pytest.fixture
def fe_user(user_a):
    user_a.set_password("pw-12345678")
    user_a.save()
    return user_a


def current_user(client: Client) -> dict:
    response = client.get("/api/core/users/current_user/", **FE_HEADERS)
    assert response.status_code == 200, response.content
    return response.json()


# --- Before login ---------------------------------------------------------------------------------


def test_module_configurations_answer_anonymously_with_an_empty_list_by_default(db):
    # given nobody logged in / when the assembly boots
    result = fe_post(Client(), MODULE_CONFIGURATIONS)

    # then: every module runs on its defaults
    assert data(result) == {"moduleConfigurations": []}


def test_module_configurations_come_from_the_setting(db, settings):
    # given a deployment that hides a field of the invoice module
    settings.FRONTEND_MODULE_CONFIGURATIONS = json.dumps([
        {"module": "fe-core", "config": {"journalDrawer.pageSize": 10}},
        {"module": "fe-invoice", "controls": [{"field": "invoice.codeExt", "usage": 1}]},
    ])

    # when
    result = data(fe_post(Client(), MODULE_CONFIGURATIONS))

    # then: config is JSON text (the assembly JSON.parse()s it), controls as fe-core reads them
    assert result["moduleConfigurations"] == [
        {"module": "fe-core", "config": '{"journalDrawer.pageSize": 10}', "controls": []},
        {"module": "fe-invoice", "config": "{}", "controls": [{"field": "invoice.codeExt", "usage": 1}]},
    ]
    assert data(post('{ moduleConfigurations(layer: "be") { module } }')) == {"moduleConfigurations": []}


@pytest.mark.parametrize("raw", ["{", '{"module": "x"}', '[{"config": {}}]', '[{"module": "m", "controls": [{"field": "f"}]}]'])
def test_a_malformed_module_configuration_setting_is_refused_by_name(settings, raw):
    settings.FRONTEND_MODULE_CONFIGURATIONS = raw
    with pytest.raises(ImproperlyConfigured, match="FRONTEND_MODULE_CONFIGURATIONS"):
        frontend.module_configurations()


def test_languages_are_the_ones_the_front_end_has_translations_for(db, settings):
    # given the default: openIMIS fe-core / fe-invoice ship English only
    assert data(fe_post(Client(), LANGUAGES)) == {"languages": [{"name": "English", "code": "en"}]}

    # given a deployment that ships a French pack
    settings.FRONTEND_LANGUAGES = ["en:English", "fr:Français"]
    assert data(fe_post(Client(), LANGUAGES))["languages"] == [
        {"name": "English", "code": "en"}, {"name": "Français", "code": "fr"}]


@pytest.mark.parametrize("languages, default", [([], ""), (["en"], ""), (["en:English"], "fr")])
def test_wrong_language_settings_are_refused_by_name(settings, languages, default):
    settings.FRONTEND_LANGUAGES = languages
    settings.FRONTEND_DEFAULT_LANGUAGE = default
    with pytest.raises(ImproperlyConfigured, match="FRONTEND_"):
        frontend.default_language()


# --- Login as fe-core does it ---------------------------------------------------------------------


def test_csrf_token_after_login_with_the_headers_fe_core_sends(fe_user):
    # given a browser logged in by the JWT cookie
    client = logged_in_client(fe_user)

    # when fe-core asks for the token with the header it builds from an undefined token
    result = fe_post(client, CSRF, {}, HTTP_AUTHORIZATION="JWT undefined")

    # then: Django's token, and the csrftoken cookie that goes with it
    token = data(result)["getCsrfToken"]["csrfToken"]
    assert len(token) == 64
    assert client.cookies["csrftoken"].value

    # and later requests carrying X-CSRFToken with it (or "null") and X-Requested-With are served
    me = "{ me { user { username } } }"
    assert data(fe_post(client, me, HTTP_X_CSRFTOKEN=token))["me"]["user"]["username"] == fe_user.username
    assert data(fe_post(client, me))["me"]["user"]["username"] == fe_user.username


def test_current_user_language_defaults_to_one_the_front_end_ships(fe_user):
    # given a user who never chose (the organisation is French, the front end English-only)
    client = logged_in_client(fe_user)

    # when / then
    assert current_user(client)["i_user"]["language"] == "en"


def test_a_user_changes_language_among_the_offered_ones(fe_user, settings):
    # given a deployment with French translations
    settings.FRONTEND_LANGUAGES = ["en:English", "fr:Français"]
    client = logged_in_client(fe_user)

    # when
    result = fe_post(client, change_language("fr", "cm-fr"))

    # then
    payload = assert_mutation_ok(result, "changeUserLanguage")
    assert payload["internalId"] == str(fe_user.id)
    assert current_user(client)["i_user"]["language"] == "fr"
    assert User.objects.get(pk=fe_user.pk).history.first().history_change_reason == "user_change_language"
    assert MutationLog.objects.get(client_mutation_id="cm-fr").status == MutationLog.Status.SUCCESS

    # and when the deployment stops shipping French, the user falls back to the default
    settings.FRONTEND_LANGUAGES = ["en:English"]
    assert current_user(client)["i_user"]["language"] == "en"


def test_an_unoffered_language_is_refused_and_logged(fe_user):
    client = logged_in_client(fe_user)

    # when
    result = fe_post(client, change_language("fr", "cm-refused"))

    # then: a field error, the mutation log row the journal shows, nothing changed
    assert_mutation_errors(result, "changeUserLanguage", [("languageId", "INVALID")])
    log = MutationLog.objects.get(client_mutation_id="cm-refused")
    assert log.status == MutationLog.Status.ERROR
    assert log.error[0]["message"] == "language must be one of en, got 'fr'"
    assert User.objects.get(pk=fe_user.pk).language == ""


def test_change_language_needs_a_login(db):
    assert error_codes(post(change_language("en"))) == ["UNAUTHENTICATED"]


USER_QUERY = """
    query useUserQuery {
      user {
        healthFacility
        id
        username
        rights
        email
        lastName
        otherNames
        phone
        iUser { id uuid language { code name } }
        claimAdmin { id code uuid }
        officer { id uuid code dob address location { id uuid code name parent { id uuid code name } } }
      }
    }"""


def test_the_user_query_of_fe_core_answers_the_caller(fe_user):
    # given the home page of a logged-in browser (fe-core useUserQuery, without a location module)
    client = logged_in_client(fe_user)

    # when
    user = data(fe_post(client, USER_QUERY))["user"]

    # then: the same person and rights as current_user, nothing of openIMIS's health domain
    rest = current_user(client)
    assert user == {
        "healthFacility": None, "id": str(fe_user.pk), "username": fe_user.username, "rights": rest["i_user"]["rights"],
        "email": fe_user.email, "lastName": fe_user.last_name, "otherNames": fe_user.first_name, "phone": None,
        "iUser": {"id": str(fe_user.pk), "uuid": str(fe_user.pk), "language": {"code": "en", "name": "English"}},
        "claimAdmin": None, "officer": None,
    }
    assert 155101 in user["rights"]
    assert error_codes(post("{ user { id } }")) == ["UNAUTHENTICATED"]
