"""The access matrix: for every API route and every page, what each role may do, on the demo data (issue 16).

Generated from the configuration, so that a new route cannot be missed:

- API: every resource of the project's router (`cluster_platform.api_urls.router.registry`) with the five standard
  actions (list, detail, create, update = PATCH, delete) whether the viewset offers them or not (then the answer is
  405, or 404 where it has no address for one row), its list filtered by enterprise A where it takes that filter,
  and each of its extra actions (`@action`, each HTTP method). The answers are in `API_MATRIX`; a route or action
  missing there fails `test_every_api_route_is_in_the_matrix`, which names it.
- Pages: every other pattern of the URL configuration outside the admin (the API's root, schema and token view
  included), each with its shape (list, detail, create, update, delete, export, action or page) and the answers to
  a GET and, where it takes one, a POST (empty unless the case gives a body), in `PAGE_MATRIX`; arguments come from
  `SAMPLES` of tests/test_every_page.py unless a case names its own. Downloads are found by name (a pattern or view
  named like one must be marked "export") and by answer (a page that answers with an attachment must be too).

Roles, in the order of every expectation string: anonymous, viewer, enterprise (enterprise A: the demo farm's
representative), enterprise_b (a representative of another farm of the same cluster), wg (a member of the quality
working group), council, office, other_office (the office of another cluster). The rows asked for belong to the demo
cluster; rows private to one enterprise are enterprise A's, so enterprise B's column shows that it cannot read or
change them. Writes send a valid body where one can be written (the office's 201 and 200 say it is), so a refusal
is a refusal, not a validation error.

Every request runs in a savepoint that is rolled back, on the demo loaded once per worker. Beyond the status, every
200 is searched for what its reader must not get:
- a viewer or enterprise B: enterprise A's contact details anywhere, A's name or taxpayer id on pages of figures,
  evaluations and requests and in exports (spreadsheets read cell by cell), ids of A's private rows and rows naming A
  in API lists (every page; and for enterprise A itself the same search must find them, or it proves nothing), and
  A among an alert's contributors;
- the other cluster's office: the demo cluster's name, enterprise A's name, taxpayer id or contacts, and API rows of
  the demo cluster;
- everyone but the office: the address a failed log-in came from (the office lifts locks on the people page).
A batch of A's figures posted by B is answered but must write nothing.
"""

from __future__ import annotations

import datetime
import io
import json
import logging
import re
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.db.models import Q
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests.site_walk import Demo, expect, load_walk_demo, site_patterns
from tests.test_every_page import (
    SAMPLES,
    gate_criterion,
    gate_decision,
    own_award,
    own_evaluation,
    own_review,
    roadmap_task,
)

ROLES = ("anonymous", "viewer", "enterprise", "enterprise_b", "wg", "council", "office", "other_office")
# Roles that read none of enterprise A's private rows (figures, submissions, contracts, evaluations, contact details):
# their answers are searched for them.
KEPT_FROM = ("viewer", "enterprise_b")


def codes(text: str) -> dict[str, int]:
    return expect(text, ROLES)


# --- Shared expectation strings (anonymous viewer entA entB wg council office other_office) --------------------

# API
READ = "401 200 200 200 200 200 200 200"  # a list: everyone signed in, each their own clusters' rows
ROW = "401 200 200 200 200 200 200 404"  # a row of the demo cluster: everyone in it, nobody outside
ROW_OF_A = "401 404 200 404 404 404 200 404"  # enterprise A's private row: A and the office
ROW_OF_A_AND_COUNCIL = "401 404 200 404 404 200 200 404"  # an incentive row of A: A, the council and the office
# Creating: the office. The others are refused before the body is read; the other office's body names a cluster it
# does not know ("object does not exist", the same answer as for an id that does not exist).
CREATE = "401 403 403 403 403 403 201 400"
OFFICE_CHANGES = "401 403 403 403 403 403 200 404"  # changing a row of the demo cluster (PATCH or an action)
OFFICE_DELETES = "401 403 403 403 403 403 204 404"
DELETE_CONFLICTS = "401 403 403 403 403 403 409 404"  # the office may, but other rows still refer to this one
NO_METHOD = "401 405 405 405 405 405 405 405"  # the resource does not take this method
NO_ROUTE = "404 404 404 404 404 404 404 404"  # the resource has no address for one row

# Pages
P_ALL = "302 200 200 200 200 200 200 200"  # a page of the current cluster: each person their own
P_ROW = "302 200 200 200 200 200 200 404"  # a row of the demo cluster
P_OFFICE = "302 403 403 403 403 403 200 200"  # the office's own pages (the other office: its own cluster's)
P_OFFICE_ROW = "302 403 403 403 403 403 200 404"  # the office changes a row of the demo cluster
P_OFFICE_ACTS = "302 403 403 403 403 403 302 404"  # …with a POST that redirects when done
P_POST_ONLY = "302 405 405 405 405 405 405 405"  # GET on an action that only takes POST
P_OFFICE_POST_ONLY = "302 403 403 403 403 403 405 404"  # …checked for the right to change the row first
P_FIGURES_OF_A = "302 403 200 403 403 403 200 404"  # enterprise A's figures: A and the office
P_FIGURES_OF_B = "302 403 403 200 403 403 200 404"  # enterprise B's: B and the office
P_FIGURES_OF_OTHER = "302 403 403 403 403 403 200 404"  # a third enterprise's: the office only
P_NOT_FOUND = "302 404 404 404 404 404 404 404"
P_PUBLIC = "200 200 200 200 200 200 200 200"


# --- The demo ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once per worker, inside a transaction rolled back at the end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            demo = load_walk_demo()
            add_matrix_rows(demo)
            yield demo
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def add_matrix_rows(demo: Demo) -> None:
    """Rows the demo does not have and the matrix asks for (before any private row of enterprise A is counted): A's
    incentive evaluation, award and review, an open service request of A, a draft rule."""
    own_review(demo)
    a_service_request(demo)
    a_draft_rule(demo)


def _client(demo: Demo, role: str) -> Client:
    client = Client(raise_request_exception=True, HTTP_ACCEPT_LANGUAGE="uz", SERVER_NAME="127.0.0.1")
    if role != "anonymous":
        client.force_login(demo.users[role])
    return client


# --- Rows the requests name -------------------------------------------------------------------------------------


def _first(queryset):
    return queryset.order_by("pk").first()


def a_submission(d: Demo, status: str | None = None):
    """Enterprise A's latest submission (of that status)."""
    from kpi.models import Submission

    rows = Submission.objects.filter(enterprise=d.own_enterprise)
    if status is not None:
        rows = rows.filter(status=status)
    return rows.order_by("-period__month").first()


def a_data_value(d: Demo):
    from kpi.models import DataValue

    return _first(DataValue.objects.filter(enterprise=d.own_enterprise))


def a_contract(d: Demo):
    """A contract of enterprise A to which enterprise B is no party."""
    from portfolio.models import CooperationContract

    b = d.enterprise_b
    return _first(
        CooperationContract.objects.filter(Q(supplier=d.own_enterprise) | Q(buyer=d.own_enterprise)).exclude(
            Q(supplier=b) | Q(buyer=b)
        )
    )


def a_service_request(d: Demo):
    """An open request of enterprise A (the demo's are done: one is asked for, once per worker)."""
    from portfolio.models import ServiceRequest
    from portfolio.services import service_request_create

    open_request = _first(ServiceRequest.objects.filter(enterprise=d.own_enterprise, status="requested"))
    return open_request or service_request_create(
        service=a_service(d), enterprise=d.own_enterprise, user=d.users["enterprise"], note="matrix"
    )


def a_service(d: Demo):
    from portfolio.models import Service

    return _first(Service.objects.filter(cluster=d.cluster, is_active=True))


def a_cluster_kpi(d: Demo):
    from kpi.models import ClusterKpi

    return _first(ClusterKpi.objects.filter(cluster=d.cluster))


def a_kpi_value(d: Demo):
    from kpi.models import KpiValue

    return _first(KpiValue.objects.filter(cluster=d.cluster))


def a_phase(d: Demo):
    return roadmap_task(d).phase


def a_gate_evaluation(d: Demo):
    from roadmap.models import GateEvaluation

    return _first(GateEvaluation.objects.filter(cluster=d.cluster))


def an_element(_d: Demo):
    from kpi.models import DataElement

    return DataElement.objects.get(code="total_output")


def a_draft_rule(d: Demo):
    """A draft version of the rule of the package the representative's evaluation used: the office edits it."""
    from incentives.models import RuleVersion

    package = own_evaluation(d).package
    return RuleVersion.objects.get_or_create(
        package=package, number=2, defaults={"effective_from": datetime.date(2026, 7, 1), "status": "draft"}
    )[0]


def a_partners(d: Demo) -> list[str]:
    """The other parties of enterprise A's contracts that enterprise B is no party to."""
    from portfolio.models import CooperationContract

    names = []
    for contract in CooperationContract.objects.filter(pk__in=private_rows_of_a(CooperationContract, d)):
        other = contract.buyer if contract.supplier_id == d.own_enterprise.pk else contract.supplier
        names += _html_forms(other.name)
    return names


def _html_forms(text: str) -> list[str]:
    return list(dict.fromkeys([text, text.replace("'", "&#x27;")]))


def an_adopted_council_decision(d: Demo):
    from governance.models import Decision

    return _first(
        Decision.objects.filter(meeting__body__cluster=d.cluster, meeting__body__kind="council", outcome="adopted")
    )


# The row each resource's detail, update, delete and extra actions name: a row of the demo cluster, enterprise A's
# where rows are private to one enterprise. A resource not named here takes the first row of the demo cluster.
API_ROWS: dict[str, Callable[[Demo], object]] = {
    "cluster": lambda d: d.cluster,
    "enterprise": lambda d: d.own_enterprise,
    "body": lambda d: d.body,
    "membership": lambda d: d.membership,
    "regulation": lambda d: d.draft_regulation,
    "meeting": lambda d: d.meeting,
    "decision": lambda d: d.decision,
    "actionitem": lambda d: d.action_item,
    "dataelement": an_element,
    "clusterkpi": a_cluster_kpi,
    "period": lambda d: d.own_submission.period,
    "submission": lambda d: a_submission(d, "draft"),
    "datavalue": a_data_value,
    "kpivalue": a_kpi_value,
    "alert": lambda d: d.alert,
    "project": lambda d: d.project,
    "milestone": lambda d: d.milestone,
    "cooperationcontract": a_contract,
    "service": a_service,
    "servicerequest": a_service_request,
    "incentivepackage": lambda d: own_evaluation(d).package,
    "evaluation": own_evaluation,
    "award": own_award,
    "conditionsreview": own_review,
    "phase": a_phase,
    "roadmaptask": roadmap_task,
    "gatecriterion": gate_criterion,
    "gateevaluation": a_gate_evaluation,
    "gatedecision": gate_decision,
}


def _row_of(basename: str, model, d: Demo):
    if basename in API_ROWS:
        return API_ROWS[basename](d)
    from core.scoping import rule_for

    assert model is not None, f"{basename}: name the row its detail asks for in API_ROWS"
    return _first(model._default_manager.filter(**{rule_for(model).cluster: d.cluster.pk}))


def _model_of(viewset):
    """The model a viewset serves (None when it names no queryset)."""
    return getattr(getattr(viewset, "queryset", None), "model", None)


# --- Bodies: valid for the roles that may act, where one can be written -----------------------------------------


def _open_month(d: Demo) -> str:
    """The month enterprise A is still reporting (its draft)."""
    return a_submission(d, "draft").period.key


CREATE_BODIES: dict[str, Callable[[Demo], dict]] = {
    "cluster": lambda d: {
        "name": "Matritsa klasteri",
        "sector": "textile",
        "region": "Bukhara",
        "start_date": "2026-01-01",
        "currency": "UZS",
        "time_zone": "Asia/Tashkent",
    },
    "enterprise": lambda d: {
        "cluster": d.cluster.pk,
        "name": "«Matritsa» MChJ",
        "taxpayer_id": "399999999",
        "kind": "supplier",
        "value_chain_link": "supply",
        "status": "active",
        "joined_on": "2026-01-01",
    },
    "body": lambda d: {
        "cluster": d.cluster.pk,
        "kind": "working_group",
        "name": "Matritsa ishchi guruhi",
        "area": "other",
        "established_on": "2026-01-01",
    },
    "membership": lambda d: {
        "body": d.body.pk,
        "person": d.users["viewer"].pk,
        "role": "member",
        "start_date": "2026-01-01",
    },
    "regulation": lambda d: {"cluster": d.cluster.pk, "kind": "other", "title": "Matritsa nizomi", "text": "."},
    "meeting": lambda d: {"body": d.body.pk, "title": "Matritsa yig'ilishi", "date": "2026-02-01"},
    # At the meeting where the sample decision was taken (it had its quorum).
    "decision": lambda d: {
        "meeting": d.decision.meeting_id,
        "number": "M-1",
        "title": "Matritsa qarori",
        "kind": "operational",
        "by_consensus": True,
    },
    "actionitem": lambda d: {
        "cluster": d.cluster.pk,
        "title": "Matritsa topshirig'i",
        "owner_group": d.body.pk,
        "deadline": "2026-03-01",
    },
    "project": lambda d: {
        "cluster": d.cluster.pk,
        "title": "Matritsa loyihasi",
        "category": "other",
        "lead_group": d.body.pk,
        "budget": "100",
        "expected_effect": "50",
        "months_to_first_result": 3,
    },
    "milestone": lambda d: {"project": d.project.pk, "title": "Matritsa bosqichi", "due_on": "2026-06-01"},
    "cooperationcontract": lambda d: {
        "cluster": d.cluster.pk,
        "supplier": d.own_enterprise.pk,
        "buyer": d.other_enterprise.pk,
        "subject": "Matritsa shartnomasi",
        "annual_value": "10",
        "start_date": "2026-01-01",
    },
    "service": lambda d: {
        "cluster": d.cluster.pk,
        "name": "Matritsa xizmati",
        "price": "1",
        "turnaround_days": 5,
    },
    # Enterprise A asks for a service for itself (the office may ask for anyone).
    "servicerequest": lambda d: {"service": a_service(d).pk, "enterprise": d.own_enterprise.pk, "note": "matrix"},
    # Enterprise A's own figure for the month it is still reporting: B may not write it.
    "datavalue": lambda d: {
        "cluster": d.cluster.pk,
        "rows": [
            {
                "enterprise": d.own_enterprise.taxpayer_id,
                "period": _open_month(d),
                "data_element": "employees",
                "value": 41,
            }
        ],
    },
}

UPDATE_BODIES: dict[str, Callable[[Demo], dict]] = {
    "cluster": lambda d: {"region": "Buxoro"},
    # A contact detail: what a representative may change of their own enterprise.
    "enterprise": lambda d: {"phone": "+998 65 000-00-00"},
    "body": lambda d: {"description": "matrix"},
    "membership": lambda d: {"role": d.membership.role},
    "regulation": lambda d: {"text": "matrix"},
    "meeting": lambda d: {"location": "matrix"},
    "decision": lambda d: {"text": "matrix"},
    "actionitem": lambda d: {"description": "matrix"},
    "clusterkpi": lambda d: {"active": a_cluster_kpi(d).active},
    "project": lambda d: {"description": "matrix"},
    "milestone": lambda d: {"title": "matrix"},
    "cooperationcontract": lambda d: {"subject": "matrix"},
    "service": lambda d: {"description": "matrix"},
}

# Extra actions, on the resource's row: (basename, key) -> the body.
ACTION_BODIES: dict[tuple[str, str], Callable[[Demo], dict]] = {
    ("regulation", "approve"): lambda d: {"decision": an_adopted_council_decision(d).pk},
    ("meeting", "attendance"): lambda d: {"present": []},
    ("actionitem", "status"): lambda d: {"status": "in_progress"},
    ("submission", "return-"): lambda d: {"reason": "matrix"},
    ("kpivalue", "recompute"): lambda d: {"cluster": d.cluster.pk, "period": d.month},
    ("project", "transition"): lambda d: {"to": "completed"},
    ("servicerequest", "move"): lambda d: {"to": "in_progress"},
}


# --- The API matrix ---------------------------------------------------------------------------------------------

# basename -> {action: answers in the order of ROLES}. Standard actions: list, detail, create, update (PATCH),
# delete; extra actions by their URL name (with the method when they take more than one).
API_MATRIX: dict[str, dict[str, str]] = {
    # Governance: the cluster's to read; the office changes it (a cluster is added and deleted by a platform
    # administrator only); a representative changes the contact details of its own enterprise.
    "cluster": {
        "list": READ,
        "create": "401 403 403 403 403 403 403 403",
        "detail": ROW,
        "update": OFFICE_CHANGES,
        "delete": "401 403 403 403 403 403 403 404",
    },
    "enterprise": {
        "list": READ,
        "create": CREATE,
        "detail": ROW,  # the directory; contact details are blanked for those who may not read them (checked)
        "update": "401 403 200 403 403 403 200 404",
        "delete": DELETE_CONFLICTS,
    },
    "body": {"list": READ, "create": CREATE, "detail": ROW, "update": OFFICE_CHANGES, "delete": DELETE_CONFLICTS},
    # A seat ends with its end date, never by deletion.
    "membership": {
        "list": READ,
        "list of A": READ,
        "create": CREATE,
        "detail": ROW,
        "update": OFFICE_CHANGES,
        "delete": NO_METHOD,
    },
    "regulation": {
        "list": READ,
        "create": CREATE,
        "detail": ROW,
        "update": OFFICE_CHANGES,
        "delete": OFFICE_DELETES,  # a draft
        "approve": OFFICE_CHANGES,
    },
    "meeting": {
        "list": READ,
        "create": CREATE,
        "detail": ROW,
        "update": OFFICE_CHANGES,
        "delete": OFFICE_DELETES,
        "attendance": OFFICE_CHANGES,
    },
    "decision": {"list": READ, "create": CREATE, "detail": ROW, "update": OFFICE_CHANGES, "delete": DELETE_CONFLICTS},
    # The sample item is owned by an office member: its status is the office's to set.
    "actionitem": {
        "list": READ,
        "create": CREATE,
        "detail": ROW,
        "update": OFFICE_CHANGES,
        "delete": OFFICE_DELETES,
        "status": OFFICE_CHANGES,
    },
    # KPI data: the catalogue is every cluster's; submissions and figures are enterprise A's and the office's.
    "dataelement": {
        "list": READ,
        "create": NO_METHOD,
        "detail": "401 200 200 200 200 200 200 200",
        "update": NO_METHOD,
        "delete": NO_METHOD,
    },
    "clusterkpi": {"list": READ, "create": NO_METHOD, "detail": ROW, "update": OFFICE_CHANGES, "delete": NO_METHOD},
    "period": {"list": READ, "create": NO_METHOD, "detail": ROW, "update": NO_METHOD, "delete": NO_METHOD},
    # Enterprise A's draft month: A and the office submit it; deciding is the office's (a draft is not yet to
    # decide: 400, past every permission check).
    "submission": {
        "list": READ,
        "list of A": READ,
        "create": NO_METHOD,
        "detail": ROW_OF_A,
        "update": NO_METHOD,
        "delete": NO_METHOD,
        "submit": ROW_OF_A,
        "approve": "401 404 403 404 404 404 400 404",
        "return-": "401 404 403 404 404 404 400 404",
    },
    # Enterprise A's figure for its open month: A and the office write it; B's batch is answered 200 with the row
    # rejected and nothing written (checked); roles that report nothing are refused.
    "datavalue": {
        "list": READ,
        "list of A": READ,
        "create": "401 403 200 200 403 403 200 400",
        "detail": NO_ROUTE,
        "update": NO_ROUTE,
        "delete": NO_ROUTE,
    },
    "kpivalue": {
        "list": READ,
        "list of A": READ,
        "create": NO_METHOD,
        "detail": NO_ROUTE,
        "update": NO_ROUTE,
        "delete": NO_ROUTE,
        "recompute": "401 403 403 403 403 403 202 400",
    },
    # A published alert of the wg's working group: its members and the office make it an action item.
    "alert": {
        "list": READ,
        "create": NO_METHOD,
        "detail": ROW,
        "update": NO_METHOD,
        "delete": NO_METHOD,
        "action-item": "401 403 403 403 201 403 201 404",
    },
    # Portfolio: a project leaves by being cancelled, never deleted.
    "project": {
        "list": READ,
        "create": CREATE,
        "detail": ROW,
        "update": OFFICE_CHANGES,
        "delete": NO_METHOD,
        "transition": OFFICE_CHANGES,
    },
    "milestone": {"list": READ, "create": CREATE, "detail": ROW, "update": OFFICE_CHANGES, "delete": OFFICE_DELETES},
    # Enterprise A's contract (B no party): its parties, the working groups, the council and the office read it.
    "cooperationcontract": {
        "list": READ,
        "create": CREATE,
        "detail": "401 404 200 404 200 200 200 404",
        "update": "401 404 403 404 403 403 200 404",
        "delete": "401 404 403 404 403 403 204 404",
    },
    "service": {
        "list": READ,
        "create": CREATE,
        "detail": ROW,
        "update": OFFICE_CHANGES,
        "delete": DELETE_CONFLICTS,
    },
    # Enterprise A's open request: A asks for itself (B may not ask in A's name); the office moves it.
    "servicerequest": {
        "list": READ,
        "list of A": READ,
        "create": "401 403 201 403 403 403 201 400",
        "detail": ROW_OF_A,
        "update": NO_METHOD,
        "delete": NO_METHOD,
        "move": "401 404 403 404 404 404 200 404",
    },
    # Incentives: read only; the packages are the cluster's, an evaluation, award or review A's and the council's.
    "incentivepackage": {"list": READ, "create": NO_METHOD, "detail": ROW, "update": NO_METHOD, "delete": NO_METHOD},
    "evaluation": {
        "list": READ,
        "list of A": READ,
        "create": NO_METHOD,
        "detail": ROW_OF_A_AND_COUNCIL,
        "update": NO_METHOD,
        "delete": NO_METHOD,
    },
    "award": {
        "list": READ,
        "list of A": READ,
        "create": NO_METHOD,
        "detail": ROW_OF_A_AND_COUNCIL,
        "update": NO_METHOD,
        "delete": NO_METHOD,
    },
    "conditionsreview": {
        "list": READ,
        "list of A": READ,
        "create": NO_METHOD,
        "detail": ROW_OF_A_AND_COUNCIL,
        "update": NO_METHOD,
        "delete": NO_METHOD,
    },
    # Roadmap: read only, the cluster's.
    "phase": {"list": READ, "create": NO_METHOD, "detail": ROW, "update": NO_METHOD, "delete": NO_METHOD},
    "roadmaptask": {"list": READ, "create": NO_METHOD, "detail": ROW, "update": NO_METHOD, "delete": NO_METHOD},
    "gatecriterion": {"list": READ, "create": NO_METHOD, "detail": ROW, "update": NO_METHOD, "delete": NO_METHOD},
    "gateevaluation": {"list": READ, "create": NO_METHOD, "detail": ROW, "update": NO_METHOD, "delete": NO_METHOD},
    "gatedecision": {"list": READ, "create": NO_METHOD, "detail": ROW, "update": NO_METHOD, "delete": NO_METHOD},
}


def _writes_nothing_of_a(role: str, result) -> str | None:
    """A batch of enterprise A's figures sent by anyone but A and the office is answered, and writes nothing."""
    if role in ("enterprise", "office") or result.status != 200 or not isinstance(result.data, dict):
        return None
    if result.data.get("created") or result.data.get("updated"):
        return f"wrote enterprise A's figures: {result.data}"
    return None


def _sums_for_the_office(role: str, result) -> str | None:
    """The sums behind a cluster or link value are the office's: the difference of two would give one firm's figure."""
    if role in ("anonymous", "office", "other_office") or result.status != 200:
        return None
    rows = _rows(result.data) + [row for page in result.next_pages for row in _rows(page)]
    shown = [
        r for r in rows if r.get("enterprise") is None and (r.get("numerator"), r.get("denominator")) != (None, None)
    ]
    return f"{len(shown)} cluster or link values with their sums, e.g. {shown[0]}" if shown else None


# Resources whose rows list others private to their enterprise: basename -> the field (the enterprises that pull an
# alert down are named to the office, the council and working groups, each enterprise to itself).
NESTED_PRIVATE = {"alert": "contributors"}

# (basename, key) -> a check of the answer beyond its status: problem or None.
API_CHECKS: dict[tuple[str, str], Callable[[str, object], str | None]] = {
    ("datavalue", "create"): _writes_nothing_of_a,
    ("kpivalue", "list"): _sums_for_the_office,
    ("kpivalue", "list of A"): _sums_for_the_office,
}


@dataclass(frozen=True)
class ApiRoute:
    """One action of one resource of the router."""

    basename: str
    prefix: str
    viewset: type
    key: str  # list, detail, create, update, delete, or the extra action's URL name
    method: str
    detail: bool
    url_name: str
    enterprise_filter: str = ""  # a list filtered by enterprise A: the field the filter reads

    @property
    def name(self) -> str:
        return f"{self.prefix} {self.key}"


STANDARD_ACTIONS = (
    ("list", "get", False),
    ("create", "post", False),
    ("detail", "get", True),
    ("update", "patch", True),
    ("delete", "delete", True),
)


def api_routes() -> Iterator[ApiRoute]:
    """Every action of every resource of the router, whether the resource offers it or not."""
    from cluster_platform.api_urls import router

    for prefix, viewset, basename in router.registry:
        for key, method, detail in STANDARD_ACTIONS:
            yield ApiRoute(basename, prefix, viewset, key, method, detail, "detail" if detail else "list")
        # A list that takes an enterprise filter, asked for enterprise A's rows by name.
        filterset = getattr(viewset, "filterset_class", None)
        if filterset is not None and "enterprise" in filterset.base_filters:
            field_name = filterset.base_filters["enterprise"].field_name
            yield ApiRoute(basename, prefix, viewset, "list of A", "get", False, "list", enterprise_filter=field_name)
        for extra in viewset.get_extra_actions():
            methods = list(extra.mapping)
            for method in methods:
                key = extra.url_name if len(methods) == 1 else f"{extra.url_name} {method.upper()}"
                yield ApiRoute(basename, prefix, viewset, key, method, extra.detail, extra.url_name)


@dataclass
class Call:
    """One request of the matrix and the answers expected per role."""

    where: str
    method: str
    url: str
    expected: dict[str, int]
    api: bool = False
    shape: str = ""  # a page's shape (SHAPES)
    body: dict | None = None
    secrets: list[str] = field(default_factory=list)  # what the roles in KEPT_FROM must not read in a 200 answer
    private: frozenset = frozenset()  # an API list: ids of enterprise A's private rows (every page is read)
    per_enterprise: bool = False  # an API list of rows private to one enterprise: none may name enterprise A
    nested: str = ""  # a field of each row that lists rows private to their enterprise (NESTED_PRIVATE)
    check: Callable[[str, Answer], str | None] | None = None  # a check of the answer beyond its status


def _api_url(route: ApiRoute, demo: Demo) -> str:
    kwargs = {}
    if route.detail:
        row = _row_of(route.basename, _model_of(route.viewset), demo)
        assert row is not None, f"{route.name}: the demo has no row to ask for (name one in API_ROWS)"
        lookup = getattr(route.viewset, "lookup_field", "pk")
        kwargs[getattr(route.viewset, "lookup_url_kwarg", None) or lookup] = getattr(row, lookup)
    try:
        url = reverse(f"{route.basename}-{route.url_name}", kwargs=kwargs)
    except NoReverseMatch:
        # The resource has no address for this: the one a client would try.
        base = f"{reverse('api-root')}{route.prefix}/"
        return f"{base}{next(iter(kwargs.values()))}/" if kwargs else base
    if route.detail or route.method != "get":
        return url
    # A list in pages as large as the resource allows, every page read where rows are searched for.
    url += "?page_size=1000"
    if route.enterprise_filter:
        a = demo.own_enterprise
        url += f"&enterprise={a.taxpayer_id if route.enterprise_filter.endswith('taxpayer_id') else a.pk}"
    return url


def _api_body(route: ApiRoute, demo: Demo) -> dict | None:
    if route.method in ("get", "delete"):
        return None
    if route.key == "create":
        return CREATE_BODIES.get(route.basename, lambda d: {})(demo)
    if route.key == "update":
        return UPDATE_BODIES.get(route.basename, lambda d: {})(demo)
    return ACTION_BODIES.get((route.basename, route.key), lambda d: {})(demo)


def private_rows_of_a(model, demo: Demo) -> frozenset:
    """Ids of the rows of `model` private to enterprise A that enterprise B is no party to (none: nothing private)."""
    from core.scoping import rule_for
    from portfolio.models import CooperationContract

    a, b = demo.own_enterprise, demo.enterprise_b
    if model is None:
        return frozenset()
    if model is CooperationContract:
        rows = CooperationContract.objects.filter(Q(supplier=a) | Q(buyer=a)).exclude(Q(supplier=b) | Q(buyer=b))
        return frozenset(rows.values_list("pk", flat=True))
    rule = rule_for(model) if hasattr(model, "scope_rule") else None
    if rule is None or rule.enterprise is None:
        return frozenset()
    return frozenset(model._default_manager.filter(**{rule.enterprise: a.pk}).values_list("pk", flat=True))


def a_contacts(demo: Demo) -> list[str]:
    """Enterprise A's contact details: its representatives, the office, the council and working groups read them."""
    a = demo.own_enterprise
    return [s for s in (a.contact_email, a.phone, a.address) if s]


def api_calls(demo: Demo) -> tuple[list[Call], list[str]]:
    """Every request of the API matrix, and the routes the matrix has no answers for."""
    calls: list[Call] = []
    missing: list[str] = []
    for route in api_routes():
        expected = API_MATRIX.get(route.basename, {}).get(route.key)
        if expected is None:
            missing.append(f"{route.name} ({route.method.upper()}; API_MATRIX[{route.basename!r}][{route.key!r}])")
            continue
        model = _model_of(route.viewset)
        rule = getattr(model, "scope_rule", None)
        listed = route.method == "get" and not route.detail
        calls.append(
            Call(
                where=f"{route.method.upper()} {route.name}",
                method=route.method,
                url=_api_url(route, demo),
                expected=codes(expected),
                api=True,
                body=_api_body(route, demo),
                secrets=a_contacts(demo),
                private=private_rows_of_a(model, demo) if listed else frozenset(),
                per_enterprise=listed and rule is not None and rule.enterprise is not None,
                nested=NESTED_PRIVATE.get(route.basename, "") if route.method == "get" else "",
                check=API_CHECKS.get((route.basename, route.key)),
            )
        )
    return calls, missing


def stale_api_entries() -> list[str]:
    """Answers in the matrix for routes that no longer exist."""
    routes = {(r.basename, r.key) for r in api_routes()}
    return [f"{b} {k}" for b, table in API_MATRIX.items() for k in table if (b, k) not in routes]


# --- The page matrix --------------------------------------------------------------------------------------------

SHAPES = ("list", "detail", "create", "update", "delete", "export", "action", "page")
EXPORT_WORDS = ("export", "download", "xlsx", "csv", "pdf", "excel_template")
# Pages of figures, evaluations and requests: outside them a viewer or enterprise B reads enterprise A's name (the
# participant directory, the people pages, the contracts' network); on them, only in what A shares (none of these).
FIGURE_PAGES = ("home", "notifications", "kpi:", "incentives:", "portfolio:services")


@dataclass(frozen=True)
class Case:
    """A request to one page: its shape, the answers to GET and (when given) to an empty POST, per role."""

    shape: str
    get: str
    post: str | None = None
    kwargs: Callable[[Demo], dict] | None = None  # None: the first sample in SAMPLES, or no arguments
    query: Callable[[Demo], str] | None = None
    label: str = ""
    secrets: Callable[[Demo], list[str]] | None = None  # more that KEPT_FROM roles must not read in a 200 answer
    body: dict | None = None  # the POST's JSON body (else an empty form)


def none(_d: Demo) -> dict:
    return {}


def a_figures(d: Demo) -> list[str]:
    """Enterprise A named: its taxpayer id or its name."""
    a = d.own_enterprise
    return [a.taxpayer_id, *_html_forms(a.name)]


def of_a(d: Demo) -> dict:
    return {"pk": d.own_enterprise.pk}


def figures_of(enterprise: str) -> Callable[[Demo], dict]:
    """The arguments of an enterprise's figures for the sample month: `own_enterprise`, `enterprise_b`, ..."""
    return lambda d: {"enterprise_pk": getattr(d, enterprise).pk, "month": d.month}


PAGE_MATRIX: dict[str, list[Case]] = {
    "home": [Case("page", P_ALL)],
    "notifications": [Case("list", P_ALL)],
    # The representative's own notification: opened (and so read) by them alone.
    "notification_open": [Case("detail", "302 404 302 404 404 404 404 404")],
    "notifications_mark_read": [Case("action", P_POST_ONLY, post="302 302 302 302 302 302 302 302")],
    # Governance
    "governance:overview": [Case("page", P_ALL)],
    "governance:cluster_switch": [Case("action", P_POST_ONLY, post="302 302 302 302 302 302 302 302")],
    # A platform administrator adds clusters; no office does.
    "governance:cluster_create": [
        Case("create", "302 403 403 403 403 403 403 403", post="302 403 403 403 403 403 403 403")
    ],
    "governance:cluster_detail": [Case("detail", P_ROW)],
    "governance:cluster_update": [Case("update", P_OFFICE_ROW, post=P_OFFICE_ROW)],
    "governance:enterprise_list": [Case("list", P_ALL)],
    "governance:enterprise_create": [Case("create", P_OFFICE, post=P_OFFICE)],
    # Enterprise A in the directory: everyone in the cluster; its contact details not for a viewer or B (checked).
    # The office edits it; A's representative its contact details only (an empty form clears them: saved).
    "governance:enterprise_detail": [Case("detail", P_ROW, kwargs=of_a)],
    "governance:enterprise_update": [
        Case("update", "302 403 200 403 403 403 200 404", post="302 403 302 403 403 403 200 404", kwargs=of_a)
    ],
    "governance:body_list": [Case("list", P_ALL)],
    "governance:body_create": [Case("create", P_OFFICE, post=P_OFFICE)],
    "governance:body_detail": [Case("detail", P_ROW)],
    "governance:body_update": [Case("update", P_OFFICE_ROW, post=P_OFFICE_ROW)],
    "governance:membership_list": [Case("list", P_ALL)],
    "governance:membership_create": [Case("create", P_OFFICE, post=P_OFFICE)],
    "governance:membership_update": [Case("update", P_OFFICE_ROW, post=P_OFFICE_ROW)],
    "governance:regulation_list": [Case("list", P_ALL)],
    "governance:regulation_create": [Case("create", P_OFFICE, post=P_OFFICE)],
    "governance:regulation_detail": [Case("detail", P_ROW)],
    "governance:regulation_update": [Case("update", P_OFFICE_ROW, post=P_OFFICE_ROW)],
    "governance:regulation_approve": [Case("action", P_OFFICE_POST_ONLY, post=P_OFFICE_ACTS)],
    "governance:meeting_list": [Case("list", P_ALL)],
    "governance:meeting_create": [Case("create", P_OFFICE, post=P_OFFICE)],
    "governance:meeting_detail": [Case("detail", P_ROW)],
    "governance:meeting_update": [Case("update", P_OFFICE_ROW, post=P_OFFICE_ROW)],
    "governance:meeting_agenda_add": [Case("create", P_OFFICE_POST_ONLY, post=P_OFFICE_ACTS)],
    "governance:meeting_attendance": [Case("update", P_OFFICE_ROW, post=P_OFFICE_ROW)],
    "governance:decision_list": [Case("list", P_ALL)],
    "governance:decision_create": [Case("create", P_OFFICE, post=P_OFFICE)],
    "governance:decision_detail": [Case("detail", P_ROW)],
    "governance:decision_update": [Case("update", P_OFFICE_ROW, post=P_OFFICE_ROW)],
    "governance:actionitem_list": [Case("list", P_ALL)],
    "governance:actionitem_create": [Case("create", P_OFFICE, post=P_OFFICE)],
    "governance:actionitem_detail": [Case("detail", P_ROW)],
    "governance:actionitem_update": [Case("update", P_OFFICE_ROW, post=P_OFFICE_ROW)],
    "governance:actionitem_status": [Case("action", P_OFFICE_POST_ONLY, post=P_OFFICE_ACTS)],
    "governance:matrix": [Case("page", P_ALL)],
    "governance:matrix_edit": [Case("update", P_OFFICE, post=P_OFFICE)],
    "governance:people": [Case("list", P_ALL)],
    "governance:person_add": [Case("create", P_OFFICE, post=P_OFFICE)],
    "governance:person_role_withdraw": [Case("delete", P_OFFICE_POST_ONLY, post=P_OFFICE_ACTS)],
    # A lock of the demo cluster's log-in page: its office lifts it; the other office may not (403, not 404: the
    # lock names an address, not a cluster).
    "governance:person_lock_lift": [Case("action", P_POST_ONLY, post="302 403 403 403 403 403 302 403")],
    # Monthly data: an enterprise's figures are its own and the office's.
    "kpi:home": [Case("page", P_ALL)],
    "kpi:report_form": [
        Case("update", P_FIGURES_OF_A, post=P_FIGURES_OF_A, kwargs=figures_of("own_enterprise"), label="A"),
        Case("update", P_FIGURES_OF_B, post=P_FIGURES_OF_B, kwargs=figures_of("enterprise_b"), label="B"),
        Case("update", P_FIGURES_OF_OTHER, post=P_FIGURES_OF_OTHER, kwargs=figures_of("other_enterprise"), label="C"),
        Case(
            "update",
            P_NOT_FOUND,
            kwargs=lambda d: {"enterprise_pk": d.own_enterprise.pk, "month": "2026-13"},
            label="no such month",
        ),
    ],
    "kpi:submission_list": [
        Case("list", P_ALL),
        # Searched for A by the start of its taxpayer id (the search box shows what was typed, not A's whole id).
        Case("list", P_ALL, query=lambda d: f"q={d.own_enterprise.taxpayer_id[:7]}", label="searched for A"),
    ],
    # Deciding from the queue: the office; an empty POST names no decision (400).
    "kpi:submission_queue_decide": [Case("action", P_POST_ONLY, post="302 403 403 403 403 403 400 400")],
    "kpi:submission_detail": [
        Case("detail", "302 404 200 404 404 404 200 404", kwargs=lambda d: {"pk": d.own_submission.pk}, label="A"),
        Case("detail", "302 404 404 404 404 404 200 404", kwargs=lambda d: {"pk": d.other_submission.pk}, label="C"),
        Case("detail", P_NOT_FOUND, kwargs=lambda d: {"pk": 10**9}, label="no such submission"),
    ],
    "kpi:submission_approve": [Case("action", P_POST_ONLY, post="302 404 403 404 404 404 302 404")],
    "kpi:submission_return": [Case("action", P_POST_ONLY, post="302 404 403 404 404 404 302 404")],
    "kpi:correction_list": [Case("list", P_ALL)],
    # Enterprise A's correction request: A reads it, the office decides it.
    "kpi:correction_decide": [Case("action", P_POST_ONLY, post="302 404 403 404 404 404 302 404")],
    "kpi:correction_create": [
        Case("create", P_FIGURES_OF_A, post=P_FIGURES_OF_A, kwargs=figures_of("own_enterprise"), label="A")
    ],
    "kpi:completeness": [Case("page", P_OFFICE)],
    # The month's template: a representative gets its own enterprise's, the office any; asking for A's by its id,
    # B is refused.
    "kpi:excel_template": [
        Case("export", "302 403 200 200 403 403 200 404"),
        Case("export", P_FIGURES_OF_A, query=lambda d: f"enterprise={d.own_enterprise.pk}", label="A's, by its id"),
    ],
    "kpi:excel_upload": [Case("create", "302 403 200 200 403 403 200 404", post="302 403 200 200 403 403 200 404")],
    "kpi:kpi_settings": [Case("update", P_OFFICE, post=P_OFFICE)],
    "kpi:collection_rules": [Case("update", P_OFFICE, post=P_OFFICE)],
    "kpi:overview": [Case("page", P_ALL)],
    "kpi:value_chain": [Case("page", P_ALL)],
    "kpi:data_quality": [Case("page", P_OFFICE)],
    "kpi:recompute": [Case("action", P_POST_ONLY, post="302 403 403 403 403 403 302 302")],
    # A representative's own dashboard: sent on to their enterprise's page.
    "kpi:enterprise_own": [Case("detail", "302 404 302 302 404 404 404 404")],
    "kpi:enterprise_view": [
        Case("detail", P_FIGURES_OF_A, kwargs=lambda d: {"enterprise_pk": d.own_enterprise.pk}, label="A"),
        Case("detail", P_FIGURES_OF_B, kwargs=lambda d: {"enterprise_pk": d.enterprise_b.pk}, label="B"),
        Case("detail", P_FIGURES_OF_OTHER, kwargs=lambda d: {"enterprise_pk": d.other_enterprise.pk}, label="C"),
    ],
    "kpi:reports": [Case("list", P_ALL)],
    "kpi:kpi_detail": [
        Case("detail", P_ALL, kwargs=lambda d: {"code": "DEFECT"}),
        Case("detail", P_NOT_FOUND, kwargs=lambda d: {"code": "NOSUCH"}, label="no such KPI"),
    ],
    # The cluster's monthly report: published cells, everyone in the cluster (the month is the demo cluster's).
    "kpi:report_download": [
        Case("export", P_ROW, kwargs=lambda d: {"period": d.month, "fmt": "pdf"}, label="pdf"),
        Case("export", P_ROW, kwargs=lambda d: {"period": d.month, "fmt": "xlsx"}, label="xlsx"),
    ],
    # The KPI values each person may read; enterprises' own rows only for themselves and the office.
    "kpi:kpi_values_export": [
        Case("export", P_ALL),
        Case("export", P_ALL, query=lambda d: "scope=enterprise", label="enterprises' rows"),
    ],
    "kpi:alert_list": [Case("list", P_ALL)],
    "kpi:alert_detail": [Case("detail", P_ROW)],
    "kpi:alert_action_item": [Case("action", P_POST_ONLY, post="302 403 403 403 302 403 302 404")],
    # Portfolio
    "portfolio:overview": [Case("page", P_ALL)],
    "portfolio:ranking": [Case("list", P_ALL, post=P_OFFICE)],
    "portfolio:project_create": [Case("create", P_OFFICE, post=P_OFFICE)],
    "portfolio:project_detail": [Case("detail", P_ROW)],
    "portfolio:project_update": [Case("update", P_OFFICE_ROW, post=P_OFFICE_ROW)],
    "portfolio:project_transition": [Case("action", P_POST_ONLY, post=P_OFFICE_ACTS)],
    "portfolio:milestone_create": [Case("create", P_POST_ONLY, post=P_OFFICE_ACTS)],
    "portfolio:milestone_progress": [Case("update", P_POST_ONLY, post=P_OFFICE_ACTS)],
    "portfolio:project_kpi_create": [Case("create", P_POST_ONLY, post=P_OFFICE_ACTS)],
    "portfolio:project_effect_create": [Case("create", P_POST_ONLY, post=P_OFFICE_ACTS)],
    "portfolio:contracts": [Case("list", P_ALL)],
    "portfolio:contract_create": [Case("create", P_OFFICE, post=P_OFFICE)],
    # Enterprise A's partners page: everyone in the cluster opens it, but its contracts are for their readers only
    # (a viewer and B see none of A's partners).
    "portfolio:enterprise_partners": [Case("detail", P_ROW, kwargs=of_a, secrets=a_partners)],
    # Requesting a service (POST): the enterprises for themselves and the office.
    "portfolio:services": [Case("list", P_ALL, post="302 403 200 200 403 403 200 200")],
    "portfolio:service_create": [Case("create", P_OFFICE, post=P_OFFICE)],
    # Enterprise A's open request: A reads it but does not move it; the office does (an empty POST: back with a
    # message).
    "portfolio:service_request_move": [
        Case(
            "action",
            P_POST_ONLY,
            post="302 404 403 404 404 404 302 404",
            kwargs=lambda d: {"pk": a_service_request(d).pk},
        )
    ],
    # Incentives: the packages are the cluster's; an evaluation, award or review is A's, the council's and the
    # office's.
    # Background tasks that failed: the office's (the other office sees its own cluster's).
    "governance:failed_tasks": [Case("list", P_OFFICE)],
    "governance:failed_task_seen": [Case("action", P_POST_ONLY, post=P_OFFICE_ACTS)],
    # Webhooks: the office's alone (the other office reaches only its own cluster's).
    "webhooks:endpoint_list": [Case("list", P_OFFICE)],
    "webhooks:endpoint_create": [Case("create", P_OFFICE, post=P_OFFICE)],
    "webhooks:endpoint_detail": [Case("detail", P_OFFICE_ROW)],
    "webhooks:endpoint_update": [Case("update", P_OFFICE_ROW, post=P_OFFICE_ROW)],
    "webhooks:endpoint_ping": [Case("action", P_POST_ONLY, post=P_OFFICE_ACTS)],
    "webhooks:endpoint_switch_on": [Case("action", P_POST_ONLY, post=P_OFFICE_ACTS)],
    "webhooks:endpoint_new_secret": [Case("action", P_POST_ONLY, post=P_OFFICE_ACTS)],
    "webhooks:endpoint_delete": [Case("delete", P_POST_ONLY, post=P_OFFICE_ACTS)],
    "webhooks:delivery_detail": [Case("detail", P_OFFICE_ROW)],
    "webhooks:delivery_send_again": [Case("action", P_POST_ONLY, post=P_OFFICE_ACTS)],
    "incentives:overview": [Case("page", P_ALL)],
    "incentives:package_create": [Case("create", P_OFFICE, post=P_OFFICE)],
    "incentives:package_edit": [Case("update", P_OFFICE_ROW, post=P_OFFICE_ROW)],
    "incentives:rule_draft_create": [Case("create", P_POST_ONLY, post=P_OFFICE_ACTS)],
    "incentives:rule_edit": [
        Case("detail", P_ROW, post="302 403 403 403 403 403 403 404", label="approved: read only"),
        Case("update", P_ROW, post=P_OFFICE_ROW, kwargs=lambda d: {"pk": a_draft_rule(d).pk}, label="draft"),
    ],
    "incentives:rule_approve": [Case("action", P_POST_ONLY, post=P_OFFICE_ACTS)],
    "incentives:mine": [Case("page", P_ALL)],
    "incentives:awards": [Case("list", P_ALL)],
    "incentives:award_decide": [Case("action", P_POST_ONLY, post="302 404 403 404 404 403 302 404")],
    "incentives:evaluation_list": [Case("list", P_ALL)],
    "incentives:evaluate_now": [Case("action", P_POST_ONLY, post="302 403 403 403 403 403 302 302")],
    "incentives:evaluation_detail": [Case("detail", "302 404 200 404 404 200 200 404")],
    "incentives:review_list": [Case("list", P_ALL)],
    # A POST names its action (answer or decide): an empty one is refused to everyone who reads the review.
    "incentives:review_detail": [
        Case("detail", "302 404 200 404 404 200 200 404", post="302 404 403 404 404 403 403 404")
    ],
    # Roadmap: everyone in the cluster reads it; the office edits tasks and criteria and records gate decisions.
    "roadmap:overview": [Case("page", P_ALL)],
    "roadmap:phase_detail": [Case("detail", P_ALL)],
    "roadmap:gate_evaluate_now": [Case("action", P_POST_ONLY, post="302 403 403 403 403 403 302 302")],
    "roadmap:gate_decide": [Case("create", P_OFFICE, post=P_OFFICE)],
    "roadmap:task_create": [Case("create", P_OFFICE, post=P_OFFICE)],
    "roadmap:task_edit": [Case("update", P_OFFICE_ROW, post=P_OFFICE_ROW)],
    "roadmap:criterion_create": [Case("create", P_OFFICE, post=P_OFFICE)],
    "roadmap:criterion_edit": [Case("update", P_OFFICE_ROW, post=P_OFFICE_ROW)],
    "roadmap:gate_decision_detail": [Case("detail", P_ROW)],
    "roadmap:condition_close": [Case("action", P_POST_ONLY, post=P_OFFICE_ACTS)],
    "roadmap:versions": [Case("list", P_ALL)],
    # Accounts, languages, the API's own pages (its resources are in API_MATRIX)
    "login": [Case("page", "200 302 302 302 302 302 302 302")],
    "logout": [Case("action", "405 405 405 405 405 405 405 405", post="302 302 302 302 302 302 302 302")],
    "password_change": [Case("update", "302 200 200 200 200 200 200 200")],
    "password_change_done": [Case("page", "302 200 200 200 200 200 200 200")],
    "password_reset": [Case("page", P_PUBLIC)],
    "password_reset_done": [Case("page", P_PUBLIC)],
    "password_reset_confirm": [Case("page", P_PUBLIC)],
    "password_reset_complete": [Case("page", P_PUBLIC)],
    "set_language": [Case("action", "302 302 302 302 302 302 302 302", post="302 302 302 302 302 302 302 302")],
    "javascript-catalog": [Case("page", P_PUBLIC)],
    # A token for a person who does not exist: refused to everyone alike.
    "api-token": [
        Case(
            "create",
            "405 405 405 405 405 405 405 405",
            post="400 400 400 400 400 400 400 400",
            body={"username": "matrix-nobody", "password": "not-a-password"},
        )
    ],
    "api-root": [Case("list", "401 200 200 200 200 200 200 200")],
    "api-schema": [Case("page", P_PUBLIC)],
    "api-docs": [Case("page", P_PUBLIC)],
}


def page_patterns() -> list:
    """Every pattern outside the admin and the router's resources, once per name, in the URL configuration's order."""
    from cluster_platform.api_urls import router

    resources = {viewset for _prefix, viewset, _basename in router.registry}
    found, seen = [], set()
    for pattern in site_patterns():
        key = pattern.name or pattern.route
        if pattern.is_admin or pattern.viewset in resources or key in seen:
            continue
        seen.add(key)
        found.append(pattern)
    return found


def page_calls(demo: Demo) -> tuple[list[Call], list[str]]:
    """Every request of the page matrix, and the patterns the matrix has no answers for."""
    calls: list[Call] = []
    missing: list[str] = []
    for pattern in page_patterns():
        key = pattern.name or pattern.route
        if key not in PAGE_MATRIX:
            missing.append(f"{pattern.route} (PAGE_MATRIX[{key!r}])")
            continue
        for case in PAGE_MATRIX[key]:
            kwargs_of = case.kwargs
            if kwargs_of is None:
                kwargs_of = SAMPLES[key][0].kwargs if key in SAMPLES else none
            url = _page_url(pattern, kwargs_of(demo))
            if case.query is not None:
                url += "?" + case.query(demo)
            where = key + (f" ({case.label})" if case.label else "")
            secrets = a_contacts(demo) + (case.secrets(demo) if case.secrets else [])
            if key.startswith(FIGURE_PAGES):
                secrets += a_figures(demo)
            for method, expected in (("get", case.get), ("post", case.post)):
                if expected is not None:
                    name = f"{method.upper()} {where}"
                    body = case.body if method == "post" else None
                    calls.append(Call(name, method, url, codes(expected), shape=case.shape, secrets=secrets, body=body))
    return calls, missing


def _page_url(pattern, kwargs: dict) -> str:
    """The address of a pattern with these arguments (a pattern without a name, by hand)."""
    if pattern.name:
        return reverse(pattern.name, kwargs=kwargs)
    route = pattern.route
    for key, value in kwargs.items():
        route = re.sub(rf"<(?:\w+:)?{key}>", str(value), route)
    return "/" + route


def looks_like_export(name: str, view_name: str) -> bool:
    text = f"{name} {view_name}".lower()
    return any(word in text for word in EXPORT_WORDS)


# --- Running a request ------------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    trace: str = ""
    content_type: str = ""
    attachment: bool = False
    text: str = ""
    data: object = None
    next_pages: list = field(default_factory=list)


def _text(response) -> str:
    content_type = response.get("Content-Type", "")
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    if "spreadsheetml" in content_type:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body), read_only=True)
        rows = (row for sheet in book for row in sheet.iter_rows(values_only=True))
        return "\n".join(" ".join(str(value) for value in row if value is not None) for row in rows)
    return body.decode("utf-8", errors="replace")


def _send(client: Client, call: Call):
    method = getattr(client, call.method)
    if call.body is not None:
        return method(call.url, data=json.dumps(call.body), content_type="application/json")
    return method(call.url, HTTP_ACCEPT="application/json") if call.api else method(call.url)


def answer(client: Client, call: Call, *, every_page: bool = False) -> Answer:
    """The answer to one request (with every later page of a list, when asked), in a savepoint that is rolled back;
    an exception is a 500 with its trace."""
    try:
        with transaction.atomic():
            response = _send(client, call)
            result = Answer(
                response.status_code,
                content_type=response.get("Content-Type", ""),
                attachment="attachment" in response.get("Content-Disposition", ""),
                text=_text(response),
            )
            if response.status_code == 200 and "json" in result.content_type:
                result.data = json.loads(result.text)
                if every_page:
                    result.next_pages = _later_pages(client, result.data)
            transaction.set_rollback(True)
    except Exception:  # noqa: BLE001 - any exception the page raises is what this test looks for
        return Answer(500, traceback.format_exc(limit=-3))
    return result


def _later_pages(client: Client, data) -> list:
    pages = []
    while isinstance(data, dict) and data.get("next"):
        response = client.get(data["next"], HTTP_ACCEPT="application/json")
        assert response.status_code == 200, f"{data['next']}: {response.status_code}"
        data = response.json()
        pages.append(data)
    return pages


def _rows(data) -> list:
    """The rows of an API answer: a page's results, a list, or the one row of a detail."""
    if isinstance(data, dict):
        data = data["results"] if isinstance(data.get("results"), list) else [data]
    return [row for row in data if isinstance(row, dict)] if isinstance(data, list) else []


def rows_of_a(call: Call, result: Answer, demo: Demo) -> list[str]:
    """Enterprise A's private rows in an API answer (every page of a list)."""
    rows = _rows(result.data) + [row for page in result.next_pages for row in _rows(page)]
    a = demo.own_enterprise
    named = (a.pk, a.taxpayer_id)
    found = [f"row {row['id']}" for row in rows if row.get("id") in call.private]
    # Rows that name their enterprise (figures computed when read have no id of their own)...
    found += [f"row {row}" for row in rows if call.per_enterprise and row.get("enterprise") in named]
    # ...and rows in rows.
    found += [
        f"{call.nested} {inner}"
        for row in rows
        if call.nested
        for inner in row.get(call.nested) or ()
        if isinstance(inner, dict) and inner.get("enterprise") in named
    ]
    return found


def other_cluster_leaks(call: Call, result: Answer, demo: Demo) -> list[str]:
    """What the other cluster's office got of the demo cluster: its name, enterprise A's, or API rows of it."""
    cluster, a = demo.cluster, demo.own_enterprise
    names = [*_html_forms(cluster.name), a.taxpayer_id, *_html_forms(a.name), *a_contacts(demo)]
    found = [f"names {name!r}" for name in names if name in result.text]
    rows = _rows(result.data) + [row for page in result.next_pages for row in _rows(page)]
    found += [f"a row of the demo cluster: {row}" for row in rows if row.get("cluster") == cluster.pk]
    return found


def leaks(call: Call, result: Answer, demo: Demo) -> list[str]:
    """What a role of KEPT_FROM got in a 200 answer that it must not read."""
    found = [f"names {secret!r}" for secret in call.secrets if secret and secret in result.text]
    if call.api and result.data is not None:
        rows = rows_of_a(call, result, demo)
        if rows:
            found.append(f"{len(rows)} rows private to enterprise A, e.g. {rows[0]}")
    return found


def run_matrix(calls: list[Call], demo: Demo, role: str) -> list[str]:
    """Every call as `role`: what is not as the matrix says, leaks included."""
    client = _client(demo, role)
    wrong = []
    logging.disable(logging.CRITICAL)  # Django logs every 403/404; the failures below say what matters
    try:
        for call in calls:
            searched = bool(call.private) or call.per_enterprise or bool(call.nested)
            result = answer(client, call, every_page=role in (*KEPT_FROM, "enterprise", "other_office"))
            if call.method != "get" and not call.api and role != "anonymous":
                client.force_login(demo.users[role])  # a POST may have logged out or rotated the session
            where = f"{call.where} {call.url}"
            expected = call.expected[role]
            if result.status != expected or result.trace:
                trace = f"\n{result.trace}" if result.trace else ""
                wrong.append(f"{where}: {result.status}, expected {expected}{trace}")
            if result.status == 200 and role in KEPT_FROM:
                wrong += [f"{where}: {leak}" for leak in leaks(call, result, demo)]
            if result.status == 200 and role == "other_office":
                wrong += [f"{where}: {leak}" for leak in other_cluster_leaks(call, result, demo)]
            if result.status == 200 and role != "office" and demo.login_attempt.ip_address in result.text:
                wrong.append(f"{where}: shows the address of a failed log-in, which only the office reads")
            if result.status == 200 and role == "enterprise" and searched and not rows_of_a(call, result, demo):
                # The search for A's rows must find them where A reads them, or it proves nothing for the others.
                wrong.append(f"{where}: none of enterprise A's own rows are listed for A: the leak check is blind")
            if call.check is not None and (problem := call.check(role, result)):
                wrong.append(f"{where}: {problem}")
            if result.attachment and not call.api and call.shape != "export":
                wrong.append(f"{where}: answers with a file: mark it as an export in PAGE_MATRIX")
    finally:
        logging.disable(logging.NOTSET)
    return wrong


# --- Tests ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_api_route_is_in_the_matrix(demo):
    _calls, missing = api_calls(demo)
    assert not missing, "API routes with no answers in API_MATRIX (add them to the matrix):\n" + "\n".join(missing)
    stale = stale_api_entries()
    assert not stale, "API_MATRIX has answers for routes that do not exist:\n" + "\n".join(stale)


@pytest.mark.django_db
def test_every_page_is_in_the_matrix(demo):
    _calls, missing = page_calls(demo)
    assert not missing, "Pages with no answers in PAGE_MATRIX (add them to the matrix):\n" + "\n".join(missing)
    stale = sorted(set(PAGE_MATRIX) - {p.name or p.route for p in page_patterns()})
    assert not stale, "PAGE_MATRIX has answers for pages that do not exist:\n" + "\n".join(stale)
    shapes = {case.shape for cases in PAGE_MATRIX.values() for case in cases}
    assert shapes <= set(SHAPES), f"unknown shapes: {shapes - set(SHAPES)}"


def test_every_download_is_marked_as_an_export():
    """A pattern named like a download (or whose view is) is an export in the matrix; one that answers with a file
    under another name is caught by the role tests."""
    unmarked = []
    for pattern in page_patterns():
        key = pattern.name or pattern.route
        view = getattr(pattern.callback, "view_class", pattern.callback)
        if key in PAGE_MATRIX and looks_like_export(key, getattr(view, "__name__", "")):
            if not any(case.shape == "export" for case in PAGE_MATRIX[key]):
                unmarked.append(key)
    assert not unmarked, "Downloads not marked as exports in PAGE_MATRIX:\n" + "\n".join(unmarked)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_api_answers_each_role_as_the_matrix_says(demo, role):
    calls, _missing = api_calls(demo)
    wrong = run_matrix(calls, demo, role)
    assert not wrong, f"{role}: {len(wrong)} of the API's answers are wrong:\n" + "\n".join(wrong)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_pages_answer_each_role_as_the_matrix_says(demo, role):
    calls, _missing = page_calls(demo)
    wrong = run_matrix(calls, demo, role)
    assert not wrong, f"{role}: {len(wrong)} of the pages' answers are wrong:\n" + "\n".join(wrong)
