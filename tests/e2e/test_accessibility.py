"""axe-core (package.json) on the key pages, in Uzbek, as the office, an enterprise's accountant and a council
member, at desktop and phone width: no serious or critical violation of WCAG 2.1 A and AA. Also the keyboard's
first stop, the skip link, and menus that wait for their button."""

import os
import pathlib

import pytest

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

AXE = pathlib.Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE} is missing: `make install` runs npm ci")
        pytest.skip("axe-core is not installed (npm ci)")
    return AXE.read_text()


def violations(page, source) -> list[str]:
    page.add_script_tag(content=source)
    found = page.evaluate("rules => axe.run(document, {runOnly: rules})", RULES)["violations"]
    return [
        f"{v['impact']} {v['id']}: {v['nodes'][0]['target']} {v['nodes'][0].get('failureSummary', '')[:160]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def walk(page, base, source, urls) -> dict[str, list[str]]:
    found = {}
    for url in urls:
        page.goto(base + url)
        page.wait_for_load_state("networkidle")
        problems = violations(page, source)
        if problems:
            found[url] = problems
    return found


@pytest.mark.parametrize("width", [1280, 390])
def test_the_key_pages_have_no_serious_accessibility_violation(browser, live_server, key_pages, axe_source, width):
    base = live_server.url
    context = browser.new_context(locale="uz-UZ", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    found = walk(page, base, axe_source, ["/accounts/login/"])
    firm, month = key_pages.firms[0], key_pages.month
    log_in(page, base, "accountant")
    found |= walk(page, base, axe_source, ["/", f"/data/report/{firm.pk}/{month:%Y-%m}/", "/data/kpis/enterprise/"])
    context.clear_cookies()
    log_in(page, base, "office")
    found |= walk(
        page,
        base,
        axe_source,
        [
            "/",
            "/data/submissions/",
            "/data/kpis/",
            "/data/kpis/DEFECT/?period=2025-03",
            "/data/alerts/",
            f"/data/alerts/{key_pages.alert.pk}/",
            f"/governance/action-items/{key_pages.item.pk}/",
            "/data/kpis/data-quality/",
            "/data/completeness/",
            "/notifications/",
        ],
    )
    context.clear_cookies()
    from roadmap import services as roadmap

    cluster = key_pages.firms[0].cluster
    roadmap.roadmap_setup(cluster=cluster)
    roadmap.gates_evaluate_due()
    log_in(page, base, "council")
    council_pages = ["/", "/data/kpis/", "/roadmap/", "/roadmap/phases/1/", "/incentives/", "/incentives/reviews/"]
    found |= {f"council {url}": v for url, v in walk(page, base, axe_source, council_pages).items()}
    context.close()
    assert found == {}


def test_the_keyboard_first_reaches_the_skip_link_and_menus_wait_for_their_button(page, live_server, key_pages):
    base = live_server.url
    log_in(page, base, "office")
    page.goto(f"{base}/data/kpis/DEFECT/?period=2025-03")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("element => element === document.activeElement") and skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # Choosing another language changes nothing until the choice is confirmed.
    before = page.evaluate("document.documentElement.lang")
    page.select_option("#language-form select", "ru")
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.lang") == before != "ru"
    page.click("#language-form button[type=submit]")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "ru"
