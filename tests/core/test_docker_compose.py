"""docker/compose.yaml and docker/Dockerfile stay consistent with the code: the services of the
production shape exist, builds use the Dockerfile, every `manage.py <command>` they run exists,
`celery -A config` finds config/celery.py, and every `${VAR}` is documented in .env.example.
No Docker daemon needed; pytest-django has set Django up for get_commands()."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE_FILE = DOCKER / "compose.yaml"
DOCKERFILE = DOCKER / "Dockerfile"
ENV_EXAMPLE = DOCKER / ".env.example"

REQUIRED_SERVICES = {"web", "worker", "dlq-monitor", "postgres", "rabbitmq", "minio"}
# Every Dockerfile instruction (https://docs.docker.com/reference/dockerfile/).
DOCKERFILE_INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
    "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
}
MANAGE_PY = re.compile(r"manage\.py\s+([A-Za-z_][\w-]*)")
# ${VAR}, ${VAR:-default}, ${VAR:?message}, ... but not the escaped $${VAR}.
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _command_text(command) -> str:
    if command is None:
        return ""
    if isinstance(command, str):
        return command
    return " ".join(str(part) for part in command)


def _app_services(services: dict) -> dict:
    """Services that run this project's image (they have a build: section)."""
    return {name: spec for name, spec in services.items() if "build" in spec}


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(KEYWORD, arguments) of each instruction, with continuation lines joined and comments dropped."""
    instructions = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comment lines inside a continuation are ignored by Docker
        pending += (" " if pending else "") + stripped
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        keyword, _, arguments = pending.partition(" ")
        instructions.append((keyword, arguments.strip()))
        pending = ""
    assert not pending, f"{DOCKERFILE}: the last instruction ends with a line continuation"
    return instructions


def test_production_services_exist(services):
    missing = REQUIRED_SERVICES - set(services)
    assert not missing, f"docker/compose.yaml lacks services: {sorted(missing)}"


def test_app_services_are_built_from_docker_dockerfile(services):
    app = _app_services(services)
    assert {"web", "worker", "dlq-monitor"} <= set(app), "web, worker and dlq-monitor must build the project image"
    for name, spec in app.items():
        build = spec["build"]
        if isinstance(build, str):
            context, dockerfile = build, "Dockerfile"
        else:
            context, dockerfile = build.get("context", "."), build.get("dockerfile", "Dockerfile")
        context_dir = (COMPOSE_FILE.parent / context).resolve()
        path = (context_dir / dockerfile).resolve()
        assert context_dir == ROOT, f"{name}: build context must be the repository root, got {context_dir}"
        assert path == DOCKERFILE.resolve(), f"{name}: build uses {path}, expected docker/Dockerfile"
        assert path.is_file(), f"{name}: {path} does not exist"


def test_manage_py_commands_exist(services):
    commands = get_commands()
    used = {}
    for name, spec in _app_services(services).items():
        for command in MANAGE_PY.findall(_command_text(spec.get("command"))):
            used.setdefault(command, []).append(name)
    cmd = next((args for keyword, args in _dockerfile_instructions() if keyword.upper() == "CMD"), "")
    for command in MANAGE_PY.findall(cmd):
        used.setdefault(command, []).append("Dockerfile CMD")
    assert {"migrate", "dlq_monitor"} <= set(used), f"expected commands not found in compose: {used}"
    unknown = {command: where for command, where in used.items() if command not in commands}
    assert not unknown, f"management commands used by docker/ but not defined in the project: {unknown}"


def test_celery_app_module_exists(services):
    celery_apps = set()
    for spec in _app_services(services).values():
        argv = shlex.split(_command_text(spec.get("command")))
        if argv and argv[0] == "celery":
            app = argv[argv.index("-A") + 1] if "-A" in argv else argv[argv.index("--app") + 1]
            celery_apps.add(app)
    assert celery_apps == {"config"}, f"celery services should use `-A config`, got {celery_apps}"
    assert (ROOT / "config" / "celery.py").is_file()
    from config.celery import app

    assert app.main == "molink"


def test_worker_consumes_the_generation_queue(services):
    argv = shlex.split(_command_text(services["worker"]["command"]))
    queues = argv[argv.index("-Q") + 1].split(",")
    assert "invoice_documents" in queues and "celery" in queues


def test_dockerfile_parses():
    instructions = _dockerfile_instructions()
    assert instructions, "docker/Dockerfile is empty"
    keywords = [keyword.upper() for keyword, _ in instructions]
    first = next(keyword for keyword in keywords if keyword != "ARG")
    assert first == "FROM", f"the first instruction (after ARGs) must be FROM, got {first}"
    unknown = [keyword for keyword in keywords if keyword not in DOCKERFILE_INSTRUCTIONS]
    assert not unknown, f"unknown Dockerfile instructions: {unknown}"
    for keyword, arguments in instructions:
        assert arguments, f"{keyword} without arguments"
    assert "USER" in keywords, "the image must not run as root"
    assert "HEALTHCHECK" in keywords and "/health" in dict(instructions)["HEALTHCHECK"]


def test_compose_interpolations_are_documented(compose):
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    used = set(INTERPOLATION.findall(text))
    assert "SECRET_KEY" in used
    example = ENV_EXAMPLE.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\s*#?\s*([A-Za-z_][A-Za-z0-9_]*)=", example, re.MULTILINE))
    missing = sorted(used - documented)
    assert not missing, f"variables used in docker/compose.yaml but not documented in docker/.env.example: {missing}"


def test_secret_key_is_required(services):
    value = services["web"]["environment"]["SECRET_KEY"]
    assert value.startswith("${SECRET_KEY:?"), "SECRET_KEY must have no default in compose.yaml"
    assert str(services["web"]["environment"]["DEBUG"]) == "0"
