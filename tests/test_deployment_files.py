"""The files a deployer uses, read as they are (no Docker engine runs here): the image leaves out what must not ship,
.env.example names every variable compose reads, compose does not override .env, web listens only for the proxy,
and production refuses the placeholders (issue 16, item 5)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name.strip()] = value.strip()
    return values


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_image_leaves_out_the_virtualenv_databases_secrets_and_history():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", ".git", ".env", "node_modules", "db.sqlite3*", "*.sqlite3"} <= ignored


def test_env_example_names_every_variable_compose_reads():
    lines = (ROOT / "docker-compose.yml").read_text().splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    read = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", text))
    assert {"POSTGRES_PASSWORD", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"} <= read
    documented = set(env_example())
    # DATABASE_URL is documented commented out (compose builds it from POSTGRES_PASSWORD); the others are set.
    assert read - documented <= {"DATABASE_URL"}
    assert "DATABASE_URL=" in (ROOT / ".env.example").read_text()


def test_compose_never_overrides_what_env_sets_and_web_listens_only_for_the_proxy():
    stack = compose()
    for name, service in stack["services"].items():
        for variable, value in (service.get("environment") or {}).items():
            if variable in env_example() or variable == "DATABASE_URL":
                # A value compose gives is only a default: .env's wins (${VAR:-default}).
                assert str(value).startswith(f"${{{variable}:"), (name, variable, value)
    assert stack["services"]["web"]["ports"] == ["127.0.0.1:8000:8000"]
    assert all("ports" not in s for n, s in stack["services"].items() if n != "web")
    assert "${POSTGRES_PASSWORD:?" in stack["services"]["db"]["environment"]["POSTGRES_PASSWORD"]


def production_check(**overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "REDIS_URL", "SITE_URL"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "cluster_platform.settings.production",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
            "SECRET_KEY": "a" * 20 + "-random-enough-for-this-check-0123456789abcdef",
            "ALLOWED_HOSTS": "cluster.bukhara.uz",
            "SITE_URL": "https://cluster.bukhara.uz",
            **overrides,
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_the_placeholder_secret_and_a_site_address_e_mails_cannot_use():
    assert production_check().returncode == 0, production_check().stderr
    placeholder = production_check(SECRET_KEY=env_example()["SECRET_KEY"])
    assert placeholder.returncode != 0 and "SECRET_KEY" in placeholder.stderr
    for address in ("http://127.0.0.1:8000", "https://localhost", "http://cluster.bukhara.uz",
                    env_example()["SITE_URL"]):  # fmt: skip
        refused = production_check(SITE_URL=address)
        assert refused.returncode != 0 and "SITE_URL" in refused.stderr, address
