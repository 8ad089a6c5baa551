"""`export_cluster` and `import_cluster`: one cluster's rows to one file and back (README, "Backups").

The demo is loaded once for the module (with the history the platform writes), beside a second cluster that shares a
person with it; both are exported, then the database is flushed as a fresh `migrate` leaves it (the flush re-runs the
post_migrate handlers: content types, permissions, the KPI catalogue), and each test restores into that.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from core.management import cluster_backup


@dataclass(frozen=True)
class Exported:
    path: Path  # the demo cluster's file (gzip)
    other_path: Path  # the other cluster's (plain JSON)
    cluster_id: int
    other_cluster_id: int


def _read(path: Path) -> dict:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as source:
        return json.load(source)


def _export(cluster_id: int, path: Path) -> None:
    call_command("export_cluster", str(cluster_id), output=str(path), stdout=StringIO())


def _import(path: Path) -> str:
    out = StringIO()
    call_command("import_cluster", str(path), stdout=out)
    return out.getvalue()


def _row_counts() -> dict[str, int]:
    return {model._meta.label_lower: model._base_manager.count() for model in apps.get_models()}


@pytest.fixture(scope="module")
def exported(django_db_setup, django_db_blocker, tmp_path_factory) -> Exported:
    from axes.models import AccessAttempt
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from demo.governance import load_demo
    from governance.auth import api_token_issue
    from tests.governance.factories import ClusterFactory, ClusterRoleFactory, EnterpriseFactory

    directory = tmp_path_factory.mktemp("cluster-export")
    with django_db_blocker.unblock():
        from kpi.catalogue import kpi_catalogue_sync
        from kpi.models import DataElement, Kpi

        if not Kpi.objects.exists():  # a transactional test before this one on the worker flushed it (conftest.py)
            kpi_catalogue_sync(DataElement, Kpi)
        cluster = load_demo().cluster
        other = ClusterFactory(name="Farg'ona to'qimachilik klasteri", region="Fergana")
        EnterpriseFactory(cluster=other, taxpayer_id="399000001")
        ClusterRoleFactory(cluster=other, role="office", user__username="other_office")
        people = get_user_model().objects
        ClusterRoleFactory(cluster=other, role="viewer", user=people.get(username="council"))  # of both clusters
        office = people.get(username="office")
        office.groups.add(Group.objects.create(name="Klaster ofisi"))
        # What the installation keeps to itself: an API token, a failed log-in.
        api_token_issue(user=office)
        AccessAttempt.objects.create(
            username="office", ip_address="192.0.2.10", user_agent="test", failures_since_start=1,
            attempt_time=timezone.now(), get_data="", post_data="", http_accept="*/*", path_info="/accounts/login/",
        )  # fmt: skip
        result = Exported(
            path=directory / "demo.json.gz",
            other_path=directory / "other.json",
            cluster_id=cluster.pk,
            other_cluster_id=other.pk,
        )
        _export(result.cluster_id, result.path)
        _export(result.other_cluster_id, result.other_path)
        # As a fresh installation: empty, then what `migrate` writes after it runs (content types, permissions, the
        # KPI catalogue; the flush alone leaves the catalogue out).
        call_command("flush", interactive=False, verbosity=0)
        call_command("migrate", verbosity=0)
    return result


@pytest.mark.django_db
def test_a_restored_cluster_exports_row_for_row_what_was_exported(exported, tmp_path):
    from django.contrib.auth import get_user_model

    from demo.governance import DEMO_PASSWORD
    from kpi.models import DataElement, Kpi

    catalogue = (DataElement.objects.count(), Kpi.objects.count())
    output = _import(exported.path)
    again = tmp_path / "again.json"
    _export(exported.cluster_id, again)

    first, second = _read(exported.path), _read(again)
    assert first.pop("exported_at") and second.pop("exported_at")
    first_rows, second_rows = first.pop("objects"), second.pop("objects")
    assert first == second  # format, version, cluster, counts per model
    assert len(first_rows) == len(second_rows) == sum(first["counts"].values())
    for before, after in zip(first_rows, second_rows, strict=True):
        if before != after:  # the first row that differs, not a diff of 38 000
            assert before == after
    # The demo's history is in it: values the platform wrote, a returned submission, a correction, awards.
    models = {row["model"] for row in first_rows}
    assert {"kpi.datavaluechange", "kpi.correction", "incentives.award", "roadmap.gatedecision"} <= models
    assert any(r["model"] == "kpi.submission" and r["fields"]["status"] == "returned" for r in first_rows)
    assert any(r["model"] == "kpi.datavaluechange" and r["fields"]["changed_by"] is None for r in first_rows)
    # The catalogue that migrate wrote was matched, not doubled; people log in with the password they had.
    assert (DataElement.objects.count(), Kpi.objects.count()) == catalogue
    assert "matched" in output
    office = get_user_model().objects.get(username="office")
    assert office.check_password(DEMO_PASSWORD)
    assert list(office.groups.values_list("name", flat=True)) == ["Klaster ofisi"]
    # The other cluster restores beside it: the person of both clusters is matched, not doubled.
    _import(exported.other_path)
    council = get_user_model().objects.get(username="council")
    assert set(council.cluster_roles.values_list("cluster_id", flat=True)) == {
        exported.cluster_id,
        exported.other_cluster_id,
    }


@pytest.mark.django_db
def test_an_import_where_the_cluster_or_its_rows_exist_is_refused_and_writes_nothing(exported, tmp_path):
    # The small cluster's file: the rules are the same for every file.
    _import(exported.other_path)
    before = _row_counts()
    with pytest.raises(CommandError, match="already exists here"):
        _import(exported.other_path)
    assert _row_counts() == before
    # Another cluster number and name, but rows of the file that exist here: refused all the same.
    document = _read(exported.other_path)
    for row in document["objects"]:
        if row["model"] == "governance.cluster":
            row["pk"], row["fields"]["name"] = 999_999, "Another name"
    renamed = tmp_path / "renamed.json"
    renamed.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(CommandError, match="Rows of the file already exist here"):
        _import(renamed)
    assert _row_counts() == before


def test_the_export_of_one_cluster_holds_no_row_of_another(exported):
    mine, theirs = _read(exported.path), _read(exported.other_path)
    assert mine["cluster"]["id"] == exported.cluster_id and theirs["cluster"]["id"] == exported.other_cluster_id
    shared = set(cluster_backup.SHARED)
    for document, cluster_id in ((mine, exported.cluster_id), (theirs, exported.other_cluster_id)):
        clusters = [r["pk"] for r in document["objects"] if r["model"] == "governance.cluster"]
        assert clusters == [cluster_id]
        with_cluster = [r for r in document["objects"] if "cluster" in r["fields"]]
        assert {r["fields"]["cluster"] for r in with_cluster} == {cluster_id}
        # What the installation keeps to itself is never written.
        assert not {r["model"] for r in document["objects"]} & set(cluster_backup.EXCLUDED)
    with_cluster = {r["model"] for r in mine["objects"] if "cluster" in r["fields"]}
    assert {"kpi.datavalue", "governance.enterprise", "incentives.award", "roadmap.phase"} <= with_cluster

    def own_rows(document: dict) -> set[tuple[str, object]]:
        return {(r["model"], r["pk"]) for r in document["objects"] if r["model"] not in shared}

    assert own_rows(theirs) and not own_rows(mine) & own_rows(theirs)
    usernames = {r["fields"]["username"] for r in mine["objects"] if r["model"] == "auth.user"}
    assert "office" in usernames and "other_office" not in usernames
    # A person of both clusters is in both files (matched by username when both are restored).
    assert "council" in {r["fields"]["username"] for r in theirs["objects"] if r["model"] == "auth.user"}


@pytest.mark.django_db
def test_a_file_of_an_unknown_format_version_is_refused(exported, tmp_path):
    from governance.models import Cluster

    document = _read(exported.path)
    document["version"] = 99
    future = tmp_path / "future.json"
    future.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(CommandError, match="format version 99"):
        _import(future)
    not_an_export = tmp_path / "other.json"
    not_an_export.write_text(json.dumps({"objects": []}), encoding="utf-8")
    with pytest.raises(CommandError, match="not a cluster export"):
        _import(not_an_export)
    assert not Cluster.objects.exists()


def test_a_model_that_belongs_to_no_cluster_and_is_not_listed_stops_the_commands(monkeypatch):
    monkeypatch.delitem(cluster_backup.EXCLUDED, "sessions.session")
    with pytest.raises(CommandError, match="sessions.session"):
        cluster_backup.backup_plan()
