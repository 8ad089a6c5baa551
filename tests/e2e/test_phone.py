"""At 390 px, in Uzbek, the key pages fit the screen (issue 13, item 5, first step): the site's menu folds behind
one button, wide tables scroll inside themselves, nothing pushes the page sideways."""

import pytest

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_key_pages_fit_a_phone(phone, live_server, key_pages):
    base = live_server.url
    firms, month, item, alert = key_pages.firms, key_pages.month, key_pages.item, key_pages.alert

    log_in(phone, base, "accountant")
    assert fits(phone)
    assert not phone.is_visible("#site-menu a[href='/data/']")  # folded behind the menu button
    phone.click(".menu-toggle")
    assert phone.is_visible("#site-menu a[href='/data/']")
    for url in ("/", f"/data/report/{firms[0].pk}/{month:%Y-%m}/", "/data/kpis/enterprise/"):
        phone.goto(base + url)
        assert fits(phone), url
        if "/report/" in url:
            # Each figure as label, unit, last month and input, one under another.
            row = phone.locator("table.entry tr[id^=row-]").first
            cells = ("td >> nth=0", "td.unit", "td.previous", "td.value input")
            tops = [row.locator(cell).bounding_box()["y"] for cell in cells]
            assert tops == sorted(tops) and len(set(tops)) == 4, tops
    phone.click(".menu-toggle")
    phone.click("form[action$='/accounts/logout/'] button")

    log_in(phone, base, "office")
    for url in ("/", "/data/kpis/", "/data/kpis/DEFECT/?period=2025-03", f"/data/alerts/{alert.pk}/",
                f"/governance/action-items/{item.pk}/", "/data/submissions/"):  # fmt: skip
        phone.goto(base + url)
        assert phone.title, url
        assert fits(phone), url
