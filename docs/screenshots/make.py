"""The role homes of the demo cluster, in Uzbek, at desktop (1280 px) and phone (390 px) width.

    rm -f /tmp/shots.sqlite3
    DATABASE_URL=sqlite:////tmp/shots.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/shots.sqlite3 .venv/bin/python manage.py load_demo
    DATABASE_URL=sqlite:////tmp/shots.sqlite3 .venv/bin/python manage.py runserver 127.0.0.1:8877 --noreload &
    .venv/bin/python docs/screenshots/make.py http://127.0.0.1:8877

Writes docs/screenshots/<role>-<desktop|phone>.png (Debian's Chromium, as the browser tests)."""

from __future__ import annotations

import pathlib
import sys

from playwright.sync_api import sync_playwright

HERE = pathlib.Path(__file__).resolve().parent
ROLES = {"office": "office", "council": "council", "wg": "working-group", "enterprise": "enterprise"}
WIDTHS = {"desktop": 1280, "phone": 390}


def main(base: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        for username, name in ROLES.items():
            for label, width in WIDTHS.items():
                context = browser.new_context(locale="uz-UZ", viewport={"width": width, "height": 900})
                page = context.new_page()
                page.goto(f"{base}/accounts/login/")
                page.fill("#id_username", username)
                page.fill("#id_password", "demo12345")
                page.click("main button[type=submit]")
                page.wait_for_url(f"{base}/")
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(HERE / f"{name}-{label}.png"), full_page=True)
                context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8877")
