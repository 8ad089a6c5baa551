"""The API keeps its contract with those who integrate with it, checked as they would check it.

- The schema at /api/schema/ is the same whatever language the request asks for.
- A typed client generated from it by openapi-python-client builds, every module imports, and an ERP's day runs
  on it: a token, the enterprises, a month of figures posted and posted again (all unchanged), the KPI values,
  a recompute queued by the office, the alerts.
- Schemathesis, with every check on (schemathesis.toml), as office staff and as an enterprise representative:
  no server error, no answer outside the schema, no valid read refused, no invalid request accepted.

The client and Schemathesis talk to a real server (gunicorn, 127.0.0.1) over a database of its own with the demo
cluster: PostgreSQL when the suite runs on it, else a SQLite file. The server is started once for the module.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.xdist_group("api_contract")


# --- The schema in every language -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_does_not_change_with_the_language_of_the_request(client):
    answers = {
        language: client.get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE=language).content
        for language in ("uz", "ru", "en")
    }
    assert answers["uz"] == answers["ru"] == answers["en"]
    english = json.loads(answers["en"])
    # Asked for in Uzbek, the descriptions are translated; the names a generated client is built from are not.
    uzbek = json.loads(client.get("/api/schema/?format=json&lang=uz").content)
    assert sorted(uzbek["components"]["schemas"]) == sorted(english["components"]["schemas"])
    assert sorted(uzbek["paths"]) == sorted(english["paths"])
    enums = {name: body.get("enum") for name, body in english["components"]["schemas"].items() if "enum" in body}
    assert enums and enums == {
        name: body.get("enum") for name, body in uzbek["components"]["schemas"].items() if "enum" in body
    }
    assert "Tashkilot" not in answers["en"].decode() and "Kod" not in json.dumps(english["components"])


@pytest.mark.django_db
def test_every_operation_documents_its_errors_and_takes_json_only(client):
    schema = json.loads(client.get("/api/schema/?format=json").content)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            where = f"{method.upper()} {path}"
            if path != "/api/v1/auth/token/":
                assert {"401", "403"} <= codes, where
            if "{" in path:
                assert "404" in codes, where
            if method in ("post", "put", "patch"):
                assert "400" in codes, where
                body = operation.get("requestBody", {}).get("content", {"application/json": None})
                assert list(body) == ["application/json"], where
            for code, response in operation["responses"].items():
                if code.startswith(("4", "5")):
                    assert "application/json" in response["content"], (where, code)


# --- A server over the demo -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url(tmp: Path) -> tuple[str, object]:
    """A database of the server's own, and how to drop it."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        return f"sqlite:///{tmp / 'contract.sqlite3'}", lambda: None
    import psycopg2

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"cp_contract_{os.environ.get('CP_TEST_RUN', 'solo')}_{worker}"
    params = {
        "dbname": "postgres",
        "user": database["USER"],
        "password": database["PASSWORD"],
        "host": database["HOST"] or None,
        "port": database["PORT"] or None,
        **database.get("OPTIONS", {}),
    }

    def run(sql: str) -> None:
        connection = psycopg2.connect(**params)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql)
        connection.close()

    run(f'DROP DATABASE IF EXISTS "{name}"')
    run(f'CREATE DATABASE "{name}"')
    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return urllib.parse.urlunsplit(url._replace(path=f"/{name}")), lambda: run(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("contract")
    database_url, drop = _database_url(tmp)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="cluster_platform.settings.local",
        DATABASE_URL=database_url,
        DEBUG="false",
        REDIS_URL="",
        ALLOWED_HOSTS="127.0.0.1",
        PYTHONPATH=str(ROOT),
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "--noinput", "-v0"], ["load_demo"]):
        done = subprocess.run([*manage, *command], env=env, cwd=ROOT, timeout=600, capture_output=True, text=True)
        assert done.returncode == 0, f"{command}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
    port = _free_port()
    log = open(tmp / "gunicorn.log", "w")  # noqa: SIM115 - closed after the server stops
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "cluster_platform.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "2",
         "--timeout", "120"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/api/schema/", timeout=2).read()
                break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("gunicorn did not answer: " + (tmp / "gunicorn.log").read_text()[-2000:])
        yield base, tmp
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        drop()


def _token(base: str, username: str) -> str:
    request = urllib.request.Request(
        f"{base}/api/v1/auth/token/",
        data=json.dumps({"username": username, "password": "demo12345"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    return json.loads(urllib.request.urlopen(request, timeout=30).read())["token"]


# --- A generated client -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated_client(server):
    base, tmp = server
    schema = tmp / "schema.json"
    schema.write_bytes(urllib.request.urlopen(f"{base}/api/schema/?format=json", timeout=60).read())
    out = tmp / "client"
    # The generator formats what it writes with ruff, found on PATH (the virtualenv's).
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [str(BIN / "openapi-python-client"), "generate", "--path", str(schema), "--output-path", str(out),
         "--meta", "none"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    package = "cluster_platform_client"
    shutil.move(str(out), str(tmp / package))
    sys.path.insert(0, str(tmp))
    try:
        yield importlib.import_module(package)
    finally:
        sys.path.remove(str(tmp))
        for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
            del sys.modules[name]


def test_a_client_generated_from_the_schema_imports_every_module(generated_client):
    failed = {}
    modules = list(pkgutil.walk_packages(generated_client.__path__, f"{generated_client.__name__}."))
    for module in modules:
        try:
            importlib.import_module(module.name)
        except Exception as error:  # noqa: BLE001 - every failure is reported
            failed[module.name] = repr(error)
    assert len(modules) > 250 and not failed, failed


def test_an_integration_day_on_the_generated_client(server, generated_client):
    from demo.governance import DEMO_FARM_TAXPAYER_ID

    base, _ = server
    package = generated_client.__name__
    api = importlib.import_module(f"{package}.api.v1")
    models = importlib.import_module(f"{package}.models")
    token_api = importlib.import_module(f"{package}.api.v1.v1_auth_token_create")

    anonymous = generated_client.Client(base_url=base)
    token = token_api.sync(
        client=anonymous, body=models.CredentialsRequest(username="enterprise", password="demo12345")
    )
    assert isinstance(token, models.Token) and token.token
    erp = generated_client.AuthenticatedClient(base_url=base, token=token.token, prefix="Token")

    enterprises = _op(api, "v1_enterprises_list").sync(client=erp)
    assert isinstance(enterprises, models.PaginatedEnterpriseList)
    own = [e for e in enterprises.results if e.taxpayer_id == DEMO_FARM_TAXPAYER_ID]
    assert len(own) == 1
    cluster = own[0].cluster

    periods = _op(api, "v1_periods_list").sync(client=erp, cluster=cluster, status=models.V1PeriodsListStatus.OPEN)
    assert periods.results, "the demo keeps a month open for reporting"
    month = periods.results[0].period
    # The ERP sends the month as its books have it: here, last month's figures again, which pass the platform's
    # plausibility checks (a figure far from the enterprise's history is held back for a comment).
    year, number = map(int, month.split("-"))
    previous = f"{year - (number == 1)}-{(number - 2) % 12 + 1:02d}"
    history = _op(api, "v1_data_values_list").sync(
        client=erp, cluster=cluster, enterprise=DEMO_FARM_TAXPAYER_ID, period=previous, page_size=6
    )
    assert isinstance(history, models.PaginatedDataValueList) and len(history.results) == 6, history
    rows = [
        models.DataValueRowRequest(
            enterprise=DEMO_FARM_TAXPAYER_ID, period=month, data_element=row.data_element, value=row.value
        )
        for row in history.results
        if row.value is not None
    ]
    write = _op(api, "v1_data_values_create")
    first = write.sync(client=erp, body=models.DataValuesWriteRequest(cluster=cluster, rows=rows))
    assert isinstance(first, models.DataValuesResult), first
    assert first.created + first.updated + first.unchanged == len(rows) and not first.rejected
    again = write.sync(client=erp, body=models.DataValuesWriteRequest(cluster=cluster, rows=rows))
    assert isinstance(again, models.DataValuesResult), again
    assert (again.unchanged, again.created, again.updated) == (len(rows), 0, 0)

    values = _op(api, "v1_kpi_values_list").sync(client=erp, cluster=cluster, enterprise=DEMO_FARM_TAXPAYER_ID)
    assert isinstance(values, models.PaginatedKpiValueList) and values.results
    assert {v.enterprise for v in values.results} <= {DEMO_FARM_TAXPAYER_ID, None}

    office = generated_client.AuthenticatedClient(base_url=base, token=_token(base, "office"), prefix="Token")
    recompute = _op(api, "v1_kpi_values_recompute_create")
    refused = recompute.sync_detailed(client=erp, body=models.RecomputeRequest(cluster=cluster, period=month))
    assert refused.status_code == 403
    queued = recompute.sync_detailed(client=office, body=models.RecomputeRequest(cluster=cluster, period=month))
    assert queued.status_code == 202 and isinstance(queued.parsed, models.Recomputed), queued.content

    alerts = _op(api, "v1_alerts_list").sync(client=office, cluster=cluster)
    assert isinstance(alerts, models.PaginatedAlertList) and alerts.count > 0
    assert all(alert.kpi for alert in alerts.results)


def _op(api, name: str):
    return importlib.import_module(f"{api.__name__}.{name}")


# --- Schemathesis -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["office", "enterprise"])
def test_schemathesis_finds_nothing(server, username):
    base, tmp = server
    result = subprocess.run(
        [str(BIN / "schemathesis"), "run", f"{base}/api/schema/",
         "-H", f"Authorization: Token {_token(base, username)}",
         "--checks", "all", "--max-examples", os.environ.get("CP_SCHEMATHESIS_EXAMPLES", "3"), "--seed", "1",
         "--phases", "examples,coverage,fuzzing", "--workers", "1", "--no-color"],
        cwd=ROOT, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    report = result.stdout + result.stderr
    (tmp / f"schemathesis-{username}.log").write_text(report)
    assert result.returncode == 0, report[-20000:]
