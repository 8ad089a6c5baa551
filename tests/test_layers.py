"""The apps stand in layers (ARCHITECTURE.md), `core` at the bottom: each imports only the apps below it,
no app imports the project wiring, and nothing imports the demo. Read from the source (ast), so an import
inside a function counts too."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
LAYERS = ["core", "governance", "kpi", "portfolio", "incentives", "roadmap", "webhooks", "home", "demo"]


def imported_apps(path: pathlib.Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & {*LAYERS, "cluster_platform"}


def sources(app: str) -> list[pathlib.Path]:
    return sorted(p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_the_apps_below_it(app):
    allowed = set(LAYERS[: LAYERS.index(app) + 1])
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_apps(path) - allowed)
        for path in sources(app)
        if imported_apps(path) - allowed
    }
    assert wrong == {}


def test_the_project_wiring_imports_no_demo_code_but_its_app():
    wrong = [str(p.relative_to(ROOT)) for p in sources("cluster_platform") if "demo" in imported_apps(p)]
    assert wrong == []


def service_imports(path: pathlib.Path) -> set[str]:
    """The modules of the same package that `path` imports (`from .x import …`, `from . import x`), lazily or not."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found |= {alias.name for alias in node.names}
    return found


def test_the_kpi_services_import_each_other_without_a_circle():
    package = ROOT / "kpi" / "services"
    graph = {p.stem: service_imports(p) - {"__init__"} for p in package.glob("*.py") if p.stem != "__init__"}
    circles = []

    def visit(module: str, path: list[str]) -> None:
        for imported in sorted(graph.get(module, ())):
            if imported in path:
                circles.append(path[path.index(imported) :] + [imported])
            else:
                visit(imported, [*path, imported])

    for module in sorted(graph):
        visit(module, [module])
    assert circles == []
