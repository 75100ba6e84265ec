"""What openIMIS front ends read around login, from settings: the languages the deployed front end
has translations for, the language a user sees, and the modules' front-end configurations.

The settings are checked when the app starts (core.apps): a wrong value stops the start-up with a
message naming the variable, never a 500 at the first request. They are cheap to read, so each
call reads them again (tests may override them).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Language:
    code: str
    name: str


@dataclass(frozen=True)
class ModuleConfiguration:
    module: str
    config: str  # a JSON object as text: the front end JSON.parse()s it
    controls: tuple[dict, ...]


def languages() -> tuple[Language, ...]:
    """FRONTEND_LANGUAGES (`code:Name,…`) in their order; at least one."""
    found = []
    for item in settings.FRONTEND_LANGUAGES:
        code, sep, name = item.partition(":")
        code, name = code.strip(), name.strip()
        if not sep or not code or not name:
            raise ImproperlyConfigured(f"FRONTEND_LANGUAGES: expected code:Name pairs, got {item!r}")
        found.append(Language(code, name))
    if not found:
        raise ImproperlyConfigured("FRONTEND_LANGUAGES: list at least one code:Name pair")
    return tuple(found)


def language_codes() -> list[str]:
    return [language.code for language in languages()]


def default_language() -> str:
    """FRONTEND_DEFAULT_LANGUAGE, else the first of FRONTEND_LANGUAGES."""
    code = settings.FRONTEND_DEFAULT_LANGUAGE or languages()[0].code
    if code not in language_codes():
        raise ImproperlyConfigured(
            f"FRONTEND_DEFAULT_LANGUAGE {code!r} is not one of FRONTEND_LANGUAGES ({', '.join(language_codes())})")
    return code


def language_of(user) -> str:
    """The user's chosen language while the front end still has it, else the default: a user never
    gets a language whose labels the front end cannot load."""
    return user.language if user.language in language_codes() else default_language()


def module_configurations() -> tuple[ModuleConfiguration, ...]:
    raw = settings.FRONTEND_MODULE_CONFIGURATIONS
    if not raw:
        return ()
    try:
        items = json.loads(raw)
        if not isinstance(items, list):
            raise TypeError("not a list")
        return tuple(
            ModuleConfiguration(
                module=str(item["module"]),
                config=json.dumps(item.get("config") or {}),
                controls=tuple({"field": str(c["field"]), "usage": int(c["usage"])} for c in item.get("controls") or ()),
            )
            for item in items
        )
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ImproperlyConfigured(
            'FRONTEND_MODULE_CONFIGURATIONS: expected a JSON list of {"module", "config", "controls": '
            f'[{{"field", "usage"}}]}}, got {raw[:80]!r} ({exc})') from None
