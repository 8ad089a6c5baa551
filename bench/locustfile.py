"""Load test of the platform's pages and API: 50 people at once (issue 16, item 9).

Run by `bench/load.py`, which starts gunicorn, PostgreSQL's database and a Celery worker on 127.0.0.1 and writes
the plan this file reads (BENCH_PLAN: the demo cluster's accounts and the months that can be written). Alone,
against a server with the demo freshly loaded:

    .venv/bin/locust -f bench/locustfile.py --headless -u 50 -r 5 -t 2m --host http://127.0.0.1:18431

Who is simulated (weights 10 / 18 / 12 / 3: `-u 50` gives 12 / 21 / 14 / 3 people):
- office staff: the data-collection pages, submissions, completeness, KPI dashboards, alerts, incentives,
  roadmap, governance and portfolio overviews;
- council members: their home, the KPI overview and detail pages, the value chain, incentives and awards, the
  roadmap and its phases, decisions, now and then the month's PDF report;
- enterprise accountants: open their enterprise's monthly form for the open month, type for a few seconds,
  save it as a draft (a real POST with the CSRF token and values that pass the hard rules), look at their own
  KPI page and incentives;
- ERP integrations: an API token, then bulk posts of a month's figures (`POST /api/v1/data-values/`, about 150
  rows for each integration's share of the firms) and reads of `kpi-values` and `data-values`.

Each person logs in once (`on_start`), from an address of their own, and fetches the site's CSS and scripts
once, as a browser's first visit does. The production settings run unchanged: the client plays the TLS proxy in
front of gunicorn (X-Forwarded-Proto: https, X-Forwarded-For with the person's address, as that proxy sends
them; TRUSTED_PROXIES=1), and sends the secure cookies back over the proxy's plain-HTTP hop (ProxyHopPolicy).

A failure is any answer other than 2xx/3xx, a redirect to the log-in page, a form shown again (with errors, or
read-only when it should be editable), or a bulk post with a rejected row.
"""

from __future__ import annotations

import html
import http.cookiejar
import itertools
import json
import os
import random
import re
import time
from collections import defaultdict
from html.parser import HTMLParser

import gevent
from gevent.lock import Semaphore
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

PASSWORD = os.environ.get("BENCH_PASSWORD", "demo12345")

# The demo as `load_demo` builds it (bench/load.py writes the same from the database it loaded: BENCH_PLAN).
DEMO_PLAN: dict = {
    "office": ["office", "n.rahimova", "s.ismoilov"],
    "council": [
        "council",
        "a.jorayev",
        "f.sodiqov",
        "g.sharipova",
        "j.usmonov",
        "o.salimov",
        "q.nurmatov",
        "z.mirzayeva",
    ],
    # One account per enterprise whose open month it may still edit (draft, returned or not started).
    "accountants": [
        {"username": "f.sodiqov", "taxpayer_id": "305187264"},
        {"username": "enterprise", "taxpayer_id": "311402567"},
        {"username": "q.nurmatov", "taxpayer_id": "311402981"},
        {"username": "o.qayumov", "taxpayer_id": "311410238"},
        {"username": "a.polatov", "taxpayer_id": "304556120"},
        {"username": "a.jorayev", "taxpayer_id": "304557318"},
        {"username": "g.sharipova", "taxpayer_id": "304559388"},
        {"username": "u.hakimov", "taxpayer_id": "306771392"},
        {"username": "b.tojiyev", "taxpayer_id": "306772015"},
        {"username": "l.normurodov", "taxpayer_id": "306772558"},
        {"username": "n.sobirova", "taxpayer_id": "308115233"},
        {"username": "j.usmonov", "taxpayer_id": "309220418"},
        {"username": "t.aliyev", "taxpayer_id": "307330926"},
    ],
    # The integrations log in as the office (it may write every firm's figures); their posts leave out the
    # accountants' firms, so that no saved form turns stale under an accountant.
    "erp": ["office", "n.rahimova", "s.ismoilov"],
    "erp_slices": 3,
}


def _plan() -> dict:
    path = os.environ.get("BENCH_PLAN")
    if not path:
        return DEMO_PLAN
    with open(path, encoding="utf-8") as file:
        return {**DEMO_PLAN, **json.load(file)}


PLAN = _plan()


def _seconds(variable: str, default: str) -> tuple[float, float]:
    """A pause in seconds drawn between two bounds, "low,high", from an environment variable."""
    low, high = (float(x) for x in os.environ.get(variable, default).split(","))
    return low, high


THINK = _seconds("BENCH_THINK", "1,5")  # between a person's clicks
TYPING = _seconds("BENCH_TYPING", "4,10")  # an accountant typing the month's figures before saving
ERP_PAUSE = _seconds("BENCH_ERP_PAUSE", "2,6")  # between an integration's calls

# Accounts are handed out in turn, each role's list on its own; the office's accounts are shared by the office
# staff and the integrations, with one turn for both: log-ins are limited to 5 a minute per account
# (LOGIN_RATE_ACCOUNT), and 50 people log in within the first seconds.
_turns: dict[str, itertools.count] = defaultdict(itertools.count)
_addresses = itertools.count(1)


def _next(kind: str, accounts: list):
    return accounts[next(_turns[kind]) % len(accounts)]


# Two people on one enterprise's form (more accountants than forms) take turns, as colleagues would: a form saved
# over a colleague's newer save is refused as stale, which this test counts as a failure.
_form_locks: dict[str, Semaphore] = defaultdict(Semaphore)

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STATIC = re.compile(r'(?:href|src)="(/static/[^"]+)"')
KPI_LINK = re.compile(r'href="/data/kpis/([A-Za-z0-9_-]+)/"')
NOT_KPIS = {"value-chain", "data-quality", "recompute", "enterprise", "reports"}
EVALUATION_LINK = re.compile(r'href="/incentives/evaluations/(\d+)/"')
ENTERPRISE_LINK = re.compile(r'href="/data/kpis/enterprise/(\d+)/"')
REPORT_LINK = re.compile(r'href="/data/report/(\d+)/(\d{4}-\d{2})/"')
PDF_LINK = re.compile(r'href="/data/kpis/reports/(\d{4}-\d{2})\.pdf"')
PREVIOUS = re.compile(r'<tr id="row-(\w+)">.*?<td class="muted previous"[^>]*>(.*?)</td>', re.S)


def _number(text: str) -> int | None:
    """A whole number as the form shows it ("1\u00a0234" in Uzbek), or None."""
    text = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
    try:
        return int(float(text))
    except ValueError:
        return None


class FormFields(HTMLParser):
    """The inputs of the monthly form (#monthly-form): name → value, and which are disabled."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.values: dict[str, str] = {}
        self.disabled: set[str] = set()
        self.buttons: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.inside = attributes.get("id") == "monthly-form"
        elif self.inside and tag == "input" and attributes.get("name"):
            self.values[attributes["name"]] = attributes.get("value") or ""
            if "disabled" in attributes:
                self.disabled.add(attributes["name"])
        elif self.inside and tag == "button" and attributes.get("name") == "action":
            self.buttons.add(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


class ProxyHopPolicy(http.cookiejar.DefaultCookiePolicy):
    """Secure cookies go back over plain HTTP: the browser sent them to the TLS proxy, which this client plays."""

    def return_ok_secure(self, cookie, request):
        return True


class Person(FastHttpUser):
    """Someone in a browser: logs in once, then clicks through pages with a pause between clicks."""

    abstract = True
    wait_time = between(*THINK)
    accounts_kind = ""

    def on_start(self):
        number = next(_addresses)
        self.address = f"10.{16 + number // 65536}.{number // 256 % 256}.{number % 256}"
        self.client.cookiejar.set_policy(ProxyHopPolicy())
        self.username = self.account()
        self.log_in()

    def account(self) -> str:
        return _next(self.accounts_kind, PLAN[self.accounts_kind])

    # --- the proxy's headers on every request -------------------------------------------------------------

    def headers(self, extra: dict | None = None) -> dict:
        return {"X-Forwarded-Proto": "https", "X-Forwarded-For": self.address, **(extra or {})}

    def post_headers(self, referer_path: str) -> dict:
        origin = "https://" + self.host.split("://", 1)[1].rstrip("/")
        return self.headers({"Origin": origin, "Referer": origin + referer_path})

    # --- requests --------------------------------------------------------------------------------------

    def page(self, path: str, name: str, *, expect_redirect: bool = False) -> str:
        """GET a page; a failure unless 200 (or any 3xx but to the log-in page, where `expect_redirect`)."""
        with self.client.get(
            path, name=name, headers=self.headers(), allow_redirects=False, catch_response=True
        ) as response:
            status = response.status_code
            location = response.headers.get("Location") or ""
            if status == 200 or (300 <= status < 400 and expect_redirect and "/accounts/login/" not in location):
                response.success()
                return response.text or ""
            response.failure(f"{status} {location}".strip())
            return ""

    def log_in(self) -> None:
        page = self.page("/accounts/login/", "/accounts/login/")
        token = CSRF_INPUT.search(page)
        if not token:
            raise RuntimeError("no CSRF token on the log-in page")
        with self.client.post(
            "/accounts/login/",
            data={"csrfmiddlewaretoken": token.group(1), "username": self.username, "password": PASSWORD},
            name="/accounts/login/ (POST)",
            headers=self.post_headers("/accounts/login/"),
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302 and "/accounts/login/" not in (response.headers.get("Location") or ""):
                response.success()
            else:
                response.failure(f"log-in of {self.username} refused: {response.status_code}")
                raise RuntimeError(f"log-in of {self.username} refused")
        home = self.page("/", "/")
        for asset in dict.fromkeys(STATIC.findall(home)):  # a first visit: nothing cached yet
            self.page(html.unescape(asset), "/static/[asset]")

    def fail(self, name: str, message: str) -> None:
        """A failure that is no answer's (a form found read-only): counted under `name` like the others."""
        self.environment.events.request.fire(
            request_type="CHECK",
            name=name,
            start_time=time.time(),
            response_time=0,
            response_length=0,
            response=None,
            context={},
            exception=AssertionError(message),
        )

    def kpi_codes(self, overview: str) -> list[str]:
        return [code for code in dict.fromkeys(KPI_LINK.findall(overview)) if code not in NOT_KPIS]


class OfficeStaff(Person):
    """The cluster office: the months, submissions and completeness, the dashboards, incentives and roadmap."""

    weight = 10
    accounts_kind = "office"

    def on_start(self):
        super().on_start()
        overview = self.page("/data/kpis/", "/data/kpis/")
        self.codes = self.kpi_codes(overview) or ["DEFECT"]
        quality = self.page("/data/kpis/data-quality/", "/data/kpis/data-quality/")
        self.enterprises = list(dict.fromkeys(ENTERPRISE_LINK.findall(quality))) or []
        evaluations = self.page("/incentives/evaluations/", "/incentives/evaluations/")
        self.evaluations = list(dict.fromkeys(EVALUATION_LINK.findall(evaluations)))

    @task(3)
    def home(self):
        self.page("/", "/")

    @task(3)
    def data_collection(self):
        self.page("/data/", "/data/")
        self.page("/data/submissions/", "/data/submissions/")

    @task(2)
    def completeness(self):
        self.page("/data/completeness/", "/data/completeness/")

    @task(4)
    def dashboards(self):
        self.page("/data/kpis/", "/data/kpis/")
        self.page(f"/data/kpis/{random.choice(self.codes)}/", "/data/kpis/[code]/")

    @task(2)
    def value_chain_and_quality(self):
        self.page("/data/kpis/value-chain/", "/data/kpis/value-chain/")
        self.page("/data/kpis/data-quality/", "/data/kpis/data-quality/")

    @task(2)
    def enterprise_page(self):
        if self.enterprises:
            self.page(f"/data/kpis/enterprise/{random.choice(self.enterprises)}/", "/data/kpis/enterprise/[id]/")

    @task(1)
    def alerts(self):
        self.page("/data/alerts/", "/data/alerts/")

    @task(2)
    def incentives(self):
        self.page("/incentives/", "/incentives/")
        self.page("/incentives/evaluations/", "/incentives/evaluations/")
        if self.evaluations:
            self.page(f"/incentives/evaluations/{random.choice(self.evaluations)}/", "/incentives/evaluations/[id]/")

    @task(1)
    def awards_and_reviews(self):
        self.page("/incentives/awards/", "/incentives/awards/")
        self.page("/incentives/reviews/", "/incentives/reviews/")

    @task(2)
    def roadmap(self):
        self.page("/roadmap/", "/roadmap/")
        self.page(f"/roadmap/phases/{random.randint(1, 3)}/", "/roadmap/phases/[n]/")

    @task(1)
    def governance_and_portfolio(self):
        self.page("/governance/", "/governance/")
        self.page("/portfolio/", "/portfolio/")


class CouncilMember(Person):
    """A council member: the cluster overview, KPI dashboards, incentives, the roadmap and decisions."""

    weight = 18
    accounts_kind = "council"

    def on_start(self):
        super().on_start()
        overview = self.page("/data/kpis/", "/data/kpis/")
        self.codes = self.kpi_codes(overview) or ["DEFECT"]
        reports = self.page("/data/kpis/reports/", "/data/kpis/reports/")
        self.pdfs = list(dict.fromkeys(PDF_LINK.findall(reports)))[:3]

    @task(3)
    def home(self):
        self.page("/", "/")

    @task(4)
    def kpi_overview(self):
        self.page("/data/kpis/", "/data/kpis/")

    @task(5)
    def kpi_detail(self):
        self.page(f"/data/kpis/{random.choice(self.codes)}/", "/data/kpis/[code]/")

    @task(2)
    def value_chain(self):
        self.page("/data/kpis/value-chain/", "/data/kpis/value-chain/")

    @task(2)
    def incentives(self):
        self.page("/incentives/", "/incentives/")
        self.page("/incentives/awards/", "/incentives/awards/")

    @task(3)
    def roadmap(self):
        self.page("/roadmap/", "/roadmap/")
        self.page(f"/roadmap/phases/{random.randint(1, 3)}/", "/roadmap/phases/[n]/")

    @task(1)
    def decisions(self):
        self.page("/governance/decisions/", "/governance/decisions/")

    @task(1)
    def monthly_report(self):
        if self.pdfs:
            self.page(f"/data/kpis/reports/{random.choice(self.pdfs)}.pdf", "/data/kpis/reports/[month].pdf")


class EnterpriseAccountant(Person):
    """An enterprise's accountant: opens the open month's form, types, saves the draft, looks at the results."""

    weight = 12
    accounts_kind = "accountants"

    def account(self) -> str:
        self.assignment = _next("accountants", PLAN["accountants"])
        return self.assignment["username"]

    def on_start(self):
        super().on_start()
        months = self.page("/data/", "/data/")
        links = REPORT_LINK.findall(months)
        wanted = self.assignment.get("month")
        chosen = [link for link in links if link[1] == wanted] if wanted else sorted(links, key=lambda x: x[1])[-1:]
        if not chosen:
            raise RuntimeError(f"{self.username}: no monthly form on /data/")
        enterprise_pk, month = chosen[0]
        self.form_path = f"/data/report/{enterprise_pk}/{month}/"
        self.lock = _form_locks[self.form_path]
        self.nudge = 0

    @task(6)
    def fill_in_and_save(self):
        with self.lock:
            page = self.page(self.form_path, "/data/report/[id]/[month]/")
            if not page:
                return
            fields = FormFields()
            fields.feed(page)
            if "save" not in fields.buttons or fields.disabled:
                self.fail("/data/report/[id]/[month]/ (save)", f"{self.username}: {self.form_path} is read-only")
                return
            data = self.filled_in(fields, page)
            gevent.sleep(random.uniform(*TYPING))  # typing the figures
            with self.client.post(
                self.form_path,
                data=data,
                name="/data/report/[id]/[month]/ (save)",
                headers=self.post_headers(self.form_path),
                allow_redirects=False,
                catch_response=True,
            ) as response:
                if response.status_code == 302 and response.headers.get("Location", "").endswith(self.form_path):
                    response.success()
                else:
                    text = response.text or ""
                    why = "errors" if 'class="errorlist' in text or 'id="error-summary"' in text else "not saved"
                    if 'id="changes-meanwhile"' in text:
                        why = "stale (changed meanwhile)"
                    response.failure(f"{response.status_code}: form shown again, {why}")
                    return
            self.page(self.form_path, "/data/report/[id]/[month]/")  # the browser follows the redirect

    def filled_in(self, fields: FormFields, page: str) -> dict:
        """The form as the browser sends it: every input; empty figures typed from last month's column, and one
        figure changed each time (a real write: employees trained, which no cross-element rule involves)."""
        data = dict(fields.values)
        previous = {code: html.unescape(text).strip() for code, text in PREVIOUS.findall(page)}
        for code, text in previous.items():
            if not data.get(f"v_{code}") and text not in ("", "—"):
                data[f"v_{code}"] = text
        self.nudge = 1 - self.nudge
        trained = _number(data.get("v_employees_trained", ""))
        if trained is not None:
            data["v_employees_trained"] = str(max(0, trained + (1 if self.nudge else -1)))
        data["action"] = "save"
        return data

    @task(2)
    def own_results(self):
        self.page("/data/kpis/enterprise/", "/data/kpis/enterprise/", expect_redirect=True)

    @task(1)
    def home_and_incentives(self):
        self.page("/", "/")
        self.page("/incentives/mine/", "/incentives/mine/")


class ErpIntegration(FastHttpUser):
    """An ERP or statistics system: an API token, then bulk posts of the open month's figures and reads."""

    weight = 3
    wait_time = between(*ERP_PAUSE)

    def on_start(self):
        number = next(_addresses)
        self.address = f"10.{16 + number // 65536}.{number // 256 % 256}.{number % 256}"
        username = _next("office", PLAN["erp"])
        with self.client.post(
            "/api/v1/auth/token/",
            json={"username": username, "password": PASSWORD},
            name="/api/v1/auth/token/",
            headers=self.headers(),
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"token of {username} refused: {response.status_code}")
                raise RuntimeError(f"token of {username} refused")
            self.token = response.json()["token"]
        self.cluster = self.api("/api/v1/clusters/", "/api/v1/clusters/")["results"][0]["id"]
        enterprises = self.api(f"/api/v1/enterprises/?cluster={self.cluster}", "/api/v1/enterprises/")
        active = sorted(e["taxpayer_id"] for e in enterprises["results"] if e["status"] == "active")
        skip = {a["taxpayer_id"] for a in PLAN["accountants"]}
        mine = [t for t in active if t not in skip]
        slices = max(1, int(PLAN.get("erp_slices", 3)))
        self.firms = set(mine[next(_turns["erp_slice"]) % slices :: slices])
        periods = self.api(f"/api/v1/periods/?cluster={self.cluster}&page_size=1000", "/api/v1/periods/")["results"]
        self.open_month = max(p["period"] for p in periods if p["status"] == "open")
        self.final_month = max(p["period"] for p in periods if p["status"] in ("closed", "locked"))
        # Last month's figures of these firms, posted again for the open month (as an ERP's month-end export).
        values = self.api(
            f"/api/v1/data-values/?cluster={self.cluster}&period={self.final_month}&page_size=1000",
            "/api/v1/data-values/",
        )
        self.rows = [
            {"enterprise": row["enterprise"], "data_element": row["data_element"], "value": row["value"]}
            for row in values["results"]
            if row["enterprise"] in self.firms and row["value"] is not None
        ]
        self.nudge = 0

    def headers(self, extra: dict | None = None) -> dict:
        return {"X-Forwarded-Proto": "https", "X-Forwarded-For": self.address, **(extra or {})}

    def api(self, path: str, name: str) -> dict:
        with self.client.get(
            path,
            name=name,
            headers=self.headers({"Authorization": f"Token {getattr(self, 'token', '')}"}),
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
                return {"results": []}
            return response.json()

    @task(3)
    def post_month(self):
        """The month's figures of this integration's firms, one of them changed each time (employees trained)."""
        self.nudge = 1 - self.nudge
        rows = []
        for row in self.rows:
            value = row["value"]
            if row["data_element"] == "employees_trained":
                value = int(float(value)) + self.nudge
            rows.append({**row, "period": self.open_month, "value": value})
        with self.client.post(
            "/api/v1/data-values/",
            json={"cluster": self.cluster, "dry_run": False, "atomic": False, "rows": rows},
            name="/api/v1/data-values/ (POST)",
            headers=self.headers({"Authorization": f"Token {self.token}"}),
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")
                return
            result = response.json()
            if result["rejected"] or result["conflicts"]:
                response.failure(f"{result['rejected']} rows rejected: {result['conflicts'][:2]}")

    @task(2)
    def read_kpi_values(self):
        self.api(
            f"/api/v1/kpi-values/?cluster={self.cluster}&period={self.final_month}&scope=cluster",
            "/api/v1/kpi-values/?scope=cluster",
        )
        self.api(
            f"/api/v1/kpi-values/?cluster={self.cluster}&period={self.final_month}&scope=enterprise&page_size=100",
            "/api/v1/kpi-values/?scope=enterprise",
        )

    @task(1)
    def read_data_values(self):
        self.api(
            f"/api/v1/data-values/?cluster={self.cluster}&period={self.open_month}&page_size=500",
            "/api/v1/data-values/",
        )


# Every request's start, name, time and outcome, written at the end to BENCH_REQUESTS (bench/load.py reads it to
# give the figures without the first seconds' log-ins as well).
_requests: list[tuple[float, str, str, float, int]] = []


@events.request.add_listener
def _record(request_type, name, response_time, exception, start_time=None, **_kwargs):
    _requests.append((start_time or 0.0, request_type, name, response_time, 0 if exception is None else 1))


@events.test_stop.add_listener
def _write_requests(environment, **_kwargs):
    path = os.environ.get("BENCH_REQUESTS")
    if path:
        with open(path, "w", encoding="utf-8") as file:
            file.write("start\ttype\tname\tms\tfailed\n")
            file.writelines(f"{s:.3f}\t{t}\t{n}\t{ms:.1f}\t{f}\n" for s, t, n, ms, f in _requests)


@events.test_start.add_listener
def _announce(environment, **_kwargs):
    accountants = PLAN["accountants"]
    print(
        f"plan: {len(PLAN['office'])} office, {len(PLAN['council'])} council, {len(accountants)} accountant accounts "
        f"(forms: {', '.join(a['taxpayer_id'] for a in accountants)}); think {THINK[0]:g}–{THINK[1]:g} s, "
        f"typing {TYPING[0]:g}–{TYPING[1]:g} s"
    )
