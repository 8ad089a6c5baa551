"""Migrations import no live code of the project (a later change of it would change what an old migration does),
and the catalogue they no longer write is written after every migrate."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROJECT = {p.name for p in ROOT.iterdir() if (p / "apps.py").exists() or (p / "settings").is_dir()}


def project_imports(path: pathlib.Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            names = ["." * node.level + (node.module or "")]
        found += [n for n in names if n.split(".")[0] in PROJECT or n.startswith(".")]
    return found


def test_the_project_apps_are_found():
    assert {"kpi", "governance", "portfolio", "cluster_platform"} <= PROJECT


@pytest.mark.parametrize(
    "path", sorted(ROOT.glob("*/migrations/0*.py")), ids=lambda p: f"{p.parent.parent.name}/{p.name}"
)
def test_a_migration_imports_no_live_code(path):
    assert project_imports(path) == []


@pytest.mark.django_db
def test_the_catalogue_is_written_after_every_migrate():
    from django.core.management import call_command

    from kpi.models import DataElement, Kpi

    Kpi.objects.filter(code="EXPGR").update(name="renamed by hand")
    DataElement.objects.filter(code="export_revenue").update(position=999)
    call_command("migrate", verbosity=0)  # nothing to apply: post_migrate runs all the same
    assert Kpi.objects.get(code="EXPGR").name != "renamed by hand"
    assert DataElement.objects.get(code="export_revenue").position != 999
    assert Kpi.objects.filter(source="platform").exists() and Kpi.objects.filter(code="DEFECT").exists()
