"""Every URL pattern of the site, for every role, on the demo data: no 500 anywhere, and the status each role
should get.

The patterns are read from the URL configuration (tests/site_walk.py), so a page added later is walked
too; one that takes arguments needs a sample in `SAMPLES` (or is an admin page or an API resource, filled
in from its model), else `test_every_pattern_has_a_sample` names it. Each role's walk is its own test, on
the demo loaded once per worker; requests that write are rolled back.

Roles, in this order: anonymous, viewer, enterprise (the demo farm's representative), wg (a quality
working-group member), council, office, other_office (the office of another cluster), admin (superuser).
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.site_walk import ROLES, Demo, Pattern, expect, load_walk_demo, site_patterns

ALL = "302 200 200 200 200 200 200 200"  # a page of the current cluster: every member, each their own cluster
OBJECT = "302 200 200 200 200 200 404 200"  # a row of the demo cluster: everyone in it, nobody outside
OFFICE_PAGE = "302 403 403 403 403 200 200 200"  # the office's own pages (the other office: its own cluster)
OFFICE_EDIT = "302 403 403 403 403 200 404 200"  # the office edits a row of the demo cluster
POST_ONLY = "302 405 405 405 405 405 405 405"  # GET on an action that only takes POST
OFFICE_POST_ONLY = "302 403 403 403 403 405 404 405"  # …checked for the right to change the row first
OWN_FIGURES = "302 403 200 403 403 200 404 200"  # the office and the enterprise's own representative
OTHER_FIGURES = "302 403 403 403 403 200 404 200"  # another enterprise's figures: the office only
PUBLIC = "200 200 200 200 200 200 200 200"


@dataclass(frozen=True)
class Page:
    """How to fill a pattern's arguments from the demo, what each role gets on GET and, for pages that take
    POST, on an empty POST (which must never be a 500, and must not let through a role that may not act)."""

    kwargs: Callable[[Demo], dict]
    get: str
    post: str | None = None
    label: str = ""


def none(_demo) -> dict:
    return {}


def own_evaluation(demo):
    """An evaluation of the representative's own enterprise (the demo has no incentives yet)."""
    import datetime

    from incentives.models import Evaluation, IncentivePackage, RuleVersion

    package = IncentivePackage.objects.get_or_create(cluster=demo.cluster, tier=9, defaults={"name": "Walk"})[0]
    rule = RuleVersion.objects.get_or_create(
        package=package,
        number=1,
        defaults={"effective_from": datetime.date(2025, 1, 1), "status": "approved", "approved_by": demo.decision},
    )[0]
    return Evaluation.objects.get_or_create(
        enterprise=demo.own_enterprise,
        package=package,
        quarter="2026-Q1",
        defaults={"cluster": demo.cluster, "rule": rule, "verdict": "met"},
    )[0]


def own_award(demo):
    from incentives.models import Award

    evaluation = own_evaluation(demo)
    return Award.objects.get_or_create(
        enterprise=evaluation.enterprise,
        quarter=evaluation.quarter,
        defaults={"cluster": demo.cluster, "package": evaluation.package, "evaluation": evaluation},
    )[0]


def own_review(demo):
    import datetime

    from incentives.models import ConditionsReview

    award = own_award(demo)
    return ConditionsReview.objects.get_or_create(
        award=award,
        quarter="2026-Q2",
        defaults={
            "cluster": demo.cluster,
            "enterprise": award.enterprise,
            "evaluation": award.evaluation,
            "opened_on": datetime.date(2026, 7, 15),
            "respond_by": datetime.date(2026, 8, 14),
        },
    )[0]


def roadmap_task(demo):
    from roadmap.models import RoadmapTask

    return RoadmapTask.objects.filter(cluster=demo.cluster).order_by("pk").first()


def gate_criterion(demo):
    from roadmap.models import GateCriterion

    return GateCriterion.objects.filter(cluster=demo.cluster).order_by("pk").first()


def gate_decision(demo):
    from roadmap.models import GateDecision

    return GateDecision.objects.filter(cluster=demo.cluster).order_by("pk").first()


def gate_evaluation(demo):
    from roadmap.models import GateEvaluation

    return GateEvaluation.objects.filter(cluster=demo.cluster).order_by("pk").first()


def own_notification(demo):
    from governance.models import Notification

    return Notification.objects.get_or_create(
        recipient=demo.users["enterprise"],
        kind="submission_returned",
        key="walk",
        defaults={"cluster": demo.cluster, "url": "/data/", "facts": {}},
    )[0]


def failed_task(demo):
    from governance.models import FailedTask

    return FailedTask.objects.get_or_create(
        cluster=demo.cluster, task="kpi.tasks.kpi_values_compute_periods_task", defaults={"error": "ConnectionError"}
    )[0]


def webhook_endpoint(demo):
    from webhooks.models import Endpoint

    return Endpoint.objects.get_or_create(
        cluster=demo.cluster, url="https://erp.example.uz/hooks/cluster", defaults={"events": ["figures.submitted"]}
    )[0]


def webhook_delivery(demo):
    from webhooks.models import Delivery

    endpoint = webhook_endpoint(demo)
    return Delivery.objects.get_or_create(
        endpoint=endpoint,
        cluster=demo.cluster,
        event_id="walk",
        defaults={"event": "figures.submitted", "body": "{}", "state": "failed", "attempts": 6},
    )[0]


OFFICE_ACTS = "302 403 403 403 403 302 404 302"  # the office acts on a row of the demo cluster (a POST, redirected)

SAMPLES: dict[str, list[Page]] = {
    "home": [Page(none, ALL)],  # each role's home page (issue 13)
    "notifications": [Page(none, ALL)],
    # The enterprise representative's own notification: opened by them alone (an administrator reads only theirs).
    "notification_open": [Page(lambda d: {"pk": own_notification(d).pk}, "302 404 302 404 404 404 404 404")],
    "notifications_mark_read": [Page(none, POST_ONLY, post="302 302 302 302 302 302 302 302")],
    # Governance
    "governance:overview": [Page(none, ALL)],
    "governance:cluster_switch": [Page(none, POST_ONLY, post="302 302 302 302 302 302 302 302")],
    "governance:cluster_create": [
        Page(none, "302 403 403 403 403 403 403 200", post="302 403 403 403 403 403 403 200")
    ],
    "governance:cluster_detail": [Page(lambda d: {"pk": d.cluster.pk}, OBJECT)],
    "governance:cluster_update": [Page(lambda d: {"pk": d.cluster.pk}, OFFICE_EDIT, post=OFFICE_EDIT)],
    "governance:enterprise_list": [Page(none, ALL)],
    "governance:enterprise_create": [Page(none, OFFICE_PAGE, post=OFFICE_PAGE)],
    "governance:enterprise_detail": [Page(lambda d: {"pk": d.other_enterprise.pk}, OBJECT)],
    "governance:enterprise_update": [Page(lambda d: {"pk": d.other_enterprise.pk}, OFFICE_EDIT, post=OFFICE_EDIT)],
    "governance:body_list": [Page(none, ALL)],
    "governance:body_create": [Page(none, OFFICE_PAGE, post=OFFICE_PAGE)],
    "governance:body_detail": [Page(lambda d: {"pk": d.body.pk}, OBJECT)],
    "governance:body_update": [Page(lambda d: {"pk": d.body.pk}, OFFICE_EDIT, post=OFFICE_EDIT)],
    "governance:membership_list": [Page(none, ALL)],
    "governance:membership_create": [Page(none, OFFICE_PAGE, post=OFFICE_PAGE)],
    "governance:membership_update": [Page(lambda d: {"pk": d.membership.pk}, OFFICE_EDIT, post=OFFICE_EDIT)],
    "governance:regulation_list": [Page(none, ALL)],
    "governance:regulation_create": [Page(none, OFFICE_PAGE, post=OFFICE_PAGE)],
    "governance:regulation_detail": [Page(lambda d: {"pk": d.draft_regulation.pk}, OBJECT)],
    "governance:regulation_update": [Page(lambda d: {"pk": d.draft_regulation.pk}, OFFICE_EDIT, post=OFFICE_EDIT)],
    "governance:regulation_approve": [
        Page(lambda d: {"pk": d.draft_regulation.pk}, OFFICE_POST_ONLY, post="302 403 403 403 403 302 404 302")
    ],
    "governance:meeting_list": [Page(none, ALL)],
    "governance:meeting_create": [Page(none, OFFICE_PAGE, post=OFFICE_PAGE)],
    "governance:meeting_detail": [Page(lambda d: {"pk": d.meeting.pk}, OBJECT)],
    "governance:meeting_update": [Page(lambda d: {"pk": d.meeting.pk}, OFFICE_EDIT, post=OFFICE_EDIT)],
    "governance:meeting_agenda_add": [
        Page(lambda d: {"pk": d.meeting.pk}, OFFICE_POST_ONLY, post="302 403 403 403 403 302 404 302")
    ],
    "governance:meeting_attendance": [Page(lambda d: {"pk": d.meeting.pk}, OFFICE_EDIT, post=OFFICE_EDIT)],
    "governance:decision_list": [Page(none, ALL)],
    "governance:decision_create": [Page(none, OFFICE_PAGE, post=OFFICE_PAGE)],
    "governance:decision_detail": [Page(lambda d: {"pk": d.decision.pk}, OBJECT)],
    "governance:decision_update": [Page(lambda d: {"pk": d.decision.pk}, OFFICE_EDIT, post=OFFICE_EDIT)],
    "governance:actionitem_list": [Page(none, ALL)],
    "governance:actionitem_create": [Page(none, OFFICE_PAGE, post=OFFICE_PAGE)],
    "governance:actionitem_detail": [Page(lambda d: {"pk": d.action_item.pk}, OBJECT)],
    "governance:actionitem_update": [Page(lambda d: {"pk": d.action_item.pk}, OFFICE_EDIT, post=OFFICE_EDIT)],
    "governance:actionitem_status": [
        Page(lambda d: {"pk": d.action_item.pk}, OFFICE_POST_ONLY, post="302 403 403 403 403 302 404 302")
    ],
    "governance:matrix": [Page(none, ALL)],
    "governance:matrix_edit": [Page(none, OFFICE_PAGE, post=OFFICE_PAGE)],
    "governance:people": [Page(none, ALL)],
    "governance:person_add": [Page(none, OFFICE_PAGE, post=OFFICE_PAGE)],
    "governance:person_lock_lift": [
        Page(lambda d: {"pk": d.login_attempt.pk}, POST_ONLY, post="302 403 403 403 403 302 403 302")
    ],
    "governance:person_role_withdraw": [
        Page(lambda d: {"pk": d.grant.pk}, OFFICE_POST_ONLY, post="302 403 403 403 403 302 404 302")
    ],
    # Monthly data
    "kpi:home": [Page(none, ALL)],
    "kpi:report_form": [
        Page(lambda d: {"enterprise_pk": d.own_enterprise.pk, "month": d.month}, OWN_FIGURES, post=OWN_FIGURES),
        Page(
            lambda d: {"enterprise_pk": d.other_enterprise.pk, "month": d.month},
            OTHER_FIGURES,
            post=OTHER_FIGURES,
            label="another enterprise",
        ),
        Page(
            lambda d: {"enterprise_pk": d.own_enterprise.pk, "month": "2026-13"},
            "302 404 404 404 404 404 404 404",
            label="a month that does not exist",
        ),
    ],
    "kpi:submission_list": [Page(none, ALL)],
    # Deciding from the queue: the office only; an empty POST names no decision (400).
    "kpi:submission_queue_decide": [Page(none, POST_ONLY, post="302 403 403 403 403 400 400 400")],
    "kpi:submission_detail": [
        Page(lambda d: {"pk": d.own_submission.pk}, "302 404 200 404 404 200 404 200"),
        Page(lambda d: {"pk": d.other_submission.pk}, "302 404 404 404 404 200 404 200", label="another enterprise"),
        Page(lambda d: {"pk": 10**9}, "302 404 404 404 404 404 404 404", label="no such submission"),
    ],
    "kpi:submission_approve": [
        Page(lambda d: {"pk": d.own_submission.pk}, POST_ONLY, post="302 404 403 404 404 302 404 302")
    ],
    "kpi:submission_return": [
        Page(lambda d: {"pk": d.own_submission.pk}, POST_ONLY, post="302 404 403 404 404 302 404 302")
    ],
    "kpi:correction_list": [Page(none, ALL)],
    "kpi:correction_decide": [
        Page(lambda d: {"pk": d.correction.pk}, POST_ONLY, post="302 404 403 404 404 302 404 302")
    ],
    "kpi:correction_create": [
        Page(lambda d: {"enterprise_pk": d.own_enterprise.pk, "month": d.month}, OWN_FIGURES, post=OWN_FIGURES)
    ],
    "kpi:completeness": [Page(none, OFFICE_PAGE)],
    "kpi:excel_template": [Page(lambda d: {"month": d.month}, OWN_FIGURES)],
    "kpi:excel_upload": [Page(lambda d: {"month": d.month}, OWN_FIGURES, post=OWN_FIGURES)],
    "kpi:kpi_settings": [Page(none, OFFICE_PAGE, post=OFFICE_PAGE)],
    "kpi:collection_rules": [Page(none, OFFICE_PAGE, post=OFFICE_PAGE)],
    "kpi:overview": [Page(none, ALL)],
    "kpi:value_chain": [Page(none, ALL)],
    "kpi:data_quality": [Page(none, OFFICE_PAGE)],
    "kpi:recompute": [Page(none, POST_ONLY, post="302 403 403 403 403 302 302 302")],
    "kpi:enterprise_own": [Page(none, "302 404 302 404 404 404 404 404")],
    "kpi:enterprise_view": [
        Page(lambda d: {"enterprise_pk": d.own_enterprise.pk}, OWN_FIGURES),
        Page(lambda d: {"enterprise_pk": d.other_enterprise.pk}, OTHER_FIGURES, label="another enterprise"),
    ],
    "kpi:reports": [Page(none, ALL)],
    "kpi:kpi_detail": [
        # Every cluster has every KPI of the catalogue from its creation: the other office reads its own DEFECT.
        Page(lambda d: {"code": "DEFECT"}, ALL),
        Page(lambda d: {"code": "NOSUCH"}, "302 404 404 404 404 404 404 404", label="no such KPI"),
    ],
    "kpi:report_download": [
        Page(lambda d: {"period": d.month, "fmt": "pdf"}, OBJECT),
        Page(lambda d: {"period": d.month, "fmt": "xlsx"}, OBJECT, label="xlsx"),
    ],
    "kpi:kpi_values_export": [Page(none, ALL)],
    "kpi:alert_list": [Page(none, ALL)],
    "kpi:alert_detail": [Page(lambda d: {"pk": d.alert.pk}, OBJECT)],
    "kpi:alert_action_item": [Page(lambda d: {"pk": d.alert.pk}, POST_ONLY, post="302 403 403 302 403 302 404 302")],
    # Portfolio
    # Incentives: the packages are the whole cluster's; an evaluation names one enterprise's figures (the office,
    # the council and the enterprise itself read it).
    "incentives:overview": [Page(none, ALL)],
    "incentives:evaluation_list": [Page(none, ALL)],
    "incentives:rule_draft_create": [
        Page(lambda d: {"pk": own_evaluation(d).package_id}, POST_ONLY, post="302 403 403 403 403 302 404 302")
    ],
    "incentives:rule_edit": [Page(lambda d: {"pk": own_evaluation(d).rule_id}, OBJECT)],
    "incentives:mine": [Page(none, ALL)],
    # Evaluating on demand: the office; an empty POST names no quarter and says so (a redirect with the message).
    "incentives:evaluate_now": [Page(none, POST_ONLY, post="302 403 403 403 403 302 302 302")],
    "incentives:awards": [Page(none, ALL)],
    # An award is the office's, the council's and its enterprise's to read; the office records the decision.
    "incentives:award_decide": [
        Page(lambda d: {"pk": own_award(d).pk}, POST_ONLY, post="302 404 403 404 403 302 404 302")
    ],
    "incentives:rule_approve": [
        Page(lambda d: {"pk": own_evaluation(d).rule_id}, POST_ONLY, post="302 403 403 403 403 302 404 302")
    ],
    "incentives:evaluation_detail": [
        Page(lambda d: {"pk": own_evaluation(d).pk}, "302 404 200 404 200 200 404 200"),
    ],
    "incentives:package_create": [Page(none, OFFICE_PAGE, post=OFFICE_PAGE)],
    "incentives:package_edit": [Page(lambda d: {"pk": own_evaluation(d).package_id}, OFFICE_EDIT, post=OFFICE_EDIT)],
    "incentives:review_list": [Page(none, ALL)],
    # A review is read by the office, the council and its enterprise; a POST names its action (answer or decide).
    "incentives:review_detail": [
        Page(
            lambda d: {"pk": own_review(d).pk},
            "302 404 200 404 200 200 404 200",
            post="302 404 403 404 403 403 404 403",
        )
    ],
    # Roadmap: everyone in the cluster reads it; the office edits tasks and criteria and records gate decisions.
    "roadmap:overview": [Page(none, ALL)],
    "roadmap:phase_detail": [Page(lambda d: {"number": 2}, ALL)],
    "roadmap:gate_evaluate_now": [Page(lambda d: {"number": 2}, POST_ONLY, post="302 403 403 403 403 302 302 302")],
    "roadmap:gate_decide": [Page(lambda d: {"number": 2}, OFFICE_PAGE, post=OFFICE_PAGE)],
    "roadmap:task_create": [Page(none, OFFICE_PAGE, post=OFFICE_PAGE)],
    "roadmap:task_edit": [Page(lambda d: {"pk": roadmap_task(d).pk}, OFFICE_EDIT, post=OFFICE_EDIT)],
    "roadmap:criterion_create": [Page(none, OFFICE_PAGE, post=OFFICE_PAGE)],
    "roadmap:criterion_edit": [Page(lambda d: {"pk": gate_criterion(d).pk}, OFFICE_EDIT, post=OFFICE_EDIT)],
    "roadmap:gate_decision_detail": [Page(lambda d: {"pk": gate_decision(d).pk}, OBJECT)],
    "roadmap:versions": [Page(none, ALL)],
    "roadmap:condition_close": [
        Page(
            lambda d: {"pk": gate_decision(d).conditions.first().pk}, POST_ONLY, post="302 403 403 403 403 302 404 302"
        )
    ],
    "portfolio:overview": [Page(none, ALL)],
    "portfolio:ranking": [Page(none, ALL, post=OFFICE_PAGE)],
    "portfolio:project_create": [Page(none, OFFICE_PAGE, post=OFFICE_PAGE)],
    "portfolio:project_detail": [Page(lambda d: {"pk": d.project.pk}, OBJECT)],
    "portfolio:project_update": [Page(lambda d: {"pk": d.project.pk}, OFFICE_EDIT, post=OFFICE_EDIT)],
    "portfolio:project_transition": [
        Page(lambda d: {"pk": d.project.pk}, POST_ONLY, post="302 403 403 403 403 302 404 302")
    ],
    "portfolio:milestone_create": [
        Page(lambda d: {"pk": d.project.pk}, POST_ONLY, post="302 403 403 403 403 302 404 302")
    ],
    "portfolio:milestone_progress": [
        Page(lambda d: {"pk": d.milestone.pk}, POST_ONLY, post="302 403 403 403 403 302 404 302")
    ],
    "portfolio:project_kpi_create": [
        Page(lambda d: {"pk": d.project.pk}, POST_ONLY, post="302 403 403 403 403 302 404 302")
    ],
    "portfolio:project_effect_create": [
        Page(lambda d: {"pk": d.project.pk}, POST_ONLY, post="302 403 403 403 403 302 404 302")
    ],
    "portfolio:contracts": [Page(none, ALL)],
    "portfolio:contract_create": [Page(none, OFFICE_PAGE, post=OFFICE_PAGE)],
    "portfolio:enterprise_partners": [Page(lambda d: {"pk": d.own_enterprise.pk}, OBJECT)],
    "portfolio:services": [Page(none, ALL, post="302 403 200 403 403 200 200 200")],
    "portfolio:service_create": [Page(none, OFFICE_PAGE, post=OFFICE_PAGE)],
    "portfolio:service_request_move": [
        Page(lambda d: {"pk": d.service_request.pk}, POST_ONLY, post="302 404 404 404 404 302 404 302")
    ],
    # Accounts, languages, API documents
    "login": [Page(none, "200 302 302 302 302 302 302 302")],
    "logout": [Page(none, "405 405 405 405 405 405 405 405", post="302 302 302 302 302 302 302 302")],
    "password_change": [Page(none, "302 200 200 200 200 200 200 200")],
    "password_change_done": [Page(none, "302 200 200 200 200 200 200 200")],
    "password_reset": [Page(none, PUBLIC)],
    "password_reset_done": [Page(none, PUBLIC)],
    "password_reset_confirm": [Page(lambda d: {"uidb64": "MQ", "token": "bad-token"}, PUBLIC)],
    "password_reset_complete": [Page(none, PUBLIC)],
    "set_language": [Page(none, "302 302 302 302 302 302 302 302", post="302 302 302 302 302 302 302 302")],
    "javascript-catalog": [Page(none, PUBLIC)],
    "governance:failed_tasks": [Page(none, OFFICE_PAGE)],
    "governance:failed_task_seen": [Page(lambda d: {"pk": failed_task(d).pk}, POST_ONLY, post=OFFICE_ACTS)],
    # Webhooks: the office's alone.
    "webhooks:endpoint_list": [Page(none, OFFICE_PAGE)],
    "webhooks:endpoint_create": [Page(none, OFFICE_PAGE, post=OFFICE_PAGE)],
    "webhooks:endpoint_detail": [Page(lambda d: {"pk": webhook_endpoint(d).pk}, OFFICE_EDIT)],
    "webhooks:endpoint_update": [Page(lambda d: {"pk": webhook_endpoint(d).pk}, OFFICE_EDIT, post=OFFICE_EDIT)],
    "webhooks:endpoint_ping": [Page(lambda d: {"pk": webhook_endpoint(d).pk}, POST_ONLY, post=OFFICE_ACTS)],
    "webhooks:endpoint_switch_on": [Page(lambda d: {"pk": webhook_endpoint(d).pk}, POST_ONLY, post=OFFICE_ACTS)],
    "webhooks:endpoint_new_secret": [Page(lambda d: {"pk": webhook_endpoint(d).pk}, POST_ONLY, post=OFFICE_ACTS)],
    "webhooks:endpoint_delete": [Page(lambda d: {"pk": webhook_endpoint(d).pk}, POST_ONLY, post=OFFICE_ACTS)],
    "webhooks:delivery_detail": [Page(lambda d: {"pk": webhook_delivery(d).pk}, OFFICE_EDIT)],
    "webhooks:delivery_send_again": [Page(lambda d: {"pk": webhook_delivery(d).pk}, POST_ONLY, post=OFFICE_ACTS)],
    # The walk's empty POST is a form: the API takes JSON only (415); tests/test_access_matrix.py posts JSON (400).
    "api-token": [Page(none, "405 405 405 405 405 405 405 405", post="415 415 415 415 415 415 415 415")],
    "api-root": [Page(none, "401 200 200 200 200 200 200 200")],
    "api-schema": [Page(none, PUBLIC)],
    "api-docs": [Page(none, PUBLIC)],
}

# --- The API: one sample row per resource, read as each role may ---------------------------------------

API_OBJECTS: dict[str, tuple[Callable[[Demo], object], str]] = {
    # basename: (the row, what a GET of it answers per role)
    "cluster": (lambda d: d.cluster, "401 200 200 200 200 200 404 200"),
    "enterprise": (lambda d: d.other_enterprise, "401 200 200 200 200 200 404 200"),
    "body": (lambda d: d.body, "401 200 200 200 200 200 404 200"),
    "membership": (lambda d: d.membership, "401 200 200 200 200 200 404 200"),
    "regulation": (lambda d: d.draft_regulation, "401 200 200 200 200 200 404 200"),
    "meeting": (lambda d: d.meeting, "401 200 200 200 200 200 404 200"),
    "decision": (lambda d: d.decision, "401 200 200 200 200 200 404 200"),
    "actionitem": (lambda d: d.action_item, "401 200 200 200 200 200 404 200"),
    "dataelement": (lambda d: _element(), "401 200 200 200 200 200 200 200"),
    "clusterkpi": (lambda d: _cluster_kpi(d), "401 200 200 200 200 200 404 200"),
    "period": (lambda d: d.own_submission.period, "401 200 200 200 200 200 404 200"),
    "submission": (lambda d: d.own_submission, "401 404 200 404 404 200 404 200"),
    "alert": (lambda d: d.alert, "401 200 200 200 200 200 404 200"),
    "project": (lambda d: d.project, "401 200 200 200 200 200 404 200"),
    "milestone": (lambda d: d.milestone, "401 200 200 200 200 200 404 200"),
    "cooperationcontract": (lambda d: _own_contract(d), "401 404 200 200 200 200 404 200"),
    "service": (lambda d: _service(d), "401 200 200 200 200 200 404 200"),
    "servicerequest": (lambda d: _own_request(d), "401 404 200 404 404 200 404 200"),
    # Incentives: the packages are the cluster's; an evaluation or award, the office's, the council's and its own.
    "incentivepackage": (lambda d: own_evaluation(d).package, "401 200 200 200 200 200 404 200"),
    "evaluation": (lambda d: own_evaluation(d), "401 404 200 404 200 200 404 200"),
    "award": (lambda d: own_award(d), "401 404 200 404 200 200 404 200"),
    "conditionsreview": (lambda d: own_review(d), "401 404 200 404 200 200 404 200"),
    # Roadmap: the cluster's, read by everyone in it.
    "phase": (lambda d: roadmap_task(d).phase, "401 200 200 200 200 200 404 200"),
    "roadmaptask": (lambda d: roadmap_task(d), "401 200 200 200 200 200 404 200"),
    "gatecriterion": (lambda d: gate_criterion(d), "401 200 200 200 200 200 404 200"),
    "gateevaluation": (lambda d: gate_evaluation(d), "401 200 200 200 200 200 404 200"),
    "gatedecision": (lambda d: gate_decision(d), "401 200 200 200 200 200 404 200"),
}
API_LIST = "401 200 200 200 200 200 200 200"
API_ACTION_GET = "401 405 405 405 405 405 405 405"


def _element():
    from kpi.models import DataElement

    return DataElement.objects.get(code="total_output")


def _cluster_kpi(d: Demo):
    from kpi.models import ClusterKpi

    return ClusterKpi.objects.filter(cluster=d.cluster).order_by("pk").first()


def _own_contract(d: Demo):
    from django.db.models import Q

    from portfolio.models import CooperationContract

    own = Q(supplier=d.own_enterprise) | Q(buyer=d.own_enterprise)
    return CooperationContract.objects.filter(own, cluster=d.cluster).order_by("pk").first()


def _service(d: Demo):
    from portfolio.models import Service

    return Service.objects.filter(cluster=d.cluster).order_by("pk").first()


def _own_request(d: Demo):
    from portfolio.models import ServiceRequest

    return ServiceRequest.objects.filter(enterprise=d.own_enterprise).order_by("pk").first()


# --- Building the walk ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    pattern: str
    label: str
    url: str
    get: dict[str, int]
    post: dict[str, int] | None


def _api_request(pattern: Pattern, demo: Demo) -> Request | None:
    viewset = pattern.viewset
    name = pattern.name
    kwargs = {"format": "json"} if "format" in pattern.arguments else {}
    basename = getattr(pattern.callback, "initkwargs", {}).get("basename", "")
    is_list = name.endswith("-list")
    if not pattern.arguments or pattern.arguments == ("format",):
        actions = getattr(pattern.callback, "actions", {}) or {}
        get = API_LIST if "get" in actions or name == "api-root" else API_ACTION_GET
        return Request(pattern.route, "", reverse(name, kwargs=kwargs), expect(get), None)
    if basename not in API_OBJECTS or is_list:
        return None
    row_of, visibility = API_OBJECTS[basename]
    row = row_of(demo)
    lookup = getattr(viewset, "lookup_field", "pk")
    kwargs[lookup] = getattr(row, lookup)
    actions = getattr(pattern.callback, "actions", {}) or {}
    get = visibility if "get" in actions else API_ACTION_GET
    return Request(pattern.route, "", reverse(name, kwargs=kwargs), expect(get), None)


ADMIN_SITE_PAGES = {
    "admin:index": {},
    "admin:login": {},
    "admin:logout": {},
    "admin:password_change": {},
    "admin:password_change_done": {},
    "admin:jsi18n": {},
    "admin:autocomplete": {},
}


def _admin_request(pattern: Pattern, demo: Demo) -> Request | None:
    """Admin pages: superusers only (everyone else is sent to the admin's log-in)."""
    model_admin = pattern.model_admin
    name = pattern.name
    status = 200
    if model_admin is None:
        if name == "admin:app_list":
            kwargs = {"app_label": "governance"}
        elif name == "admin:auth_user_password_change":
            kwargs = {"id": demo.users["viewer"].pk}
        elif name == "admin:view_on_site":
            return None  # a redirect to a row's page, walked with the rows themselves
        elif not name and "(?P<url>" in pattern.route:  # the admin's catch-all: an address it does not have
            return Request(pattern.route, "", "/admin/nosuch/", expect("302 302 302 302 302 302 302 404"), None)
        elif name in ADMIN_SITE_PAGES:
            kwargs = ADMIN_SITE_PAGES[name]
        else:
            return None
        if name == "admin:login":
            return Request(pattern.route, "", reverse(name), expect("200 200 200 200 200 200 200 302"), None)
        if name == "admin:logout":
            return Request(pattern.route, "", reverse(name), expect("302 302 302 302 302 302 302 405"), None)
        if name == "admin:autocomplete":
            status = 403  # without its query parameters
        url = reverse(name, kwargs=kwargs)
    else:
        model = model_admin.model
        kwargs = {}
        for argument in {"object_id", "id"} & set(pattern.arguments):
            row = model._default_manager.order_by("pk").first()
            kwargs[argument] = row.pk if row is not None else "999999999"
            if row is None or pattern.route.endswith("<path:object_id>/"):
                status = 302  # no such row (the admin says so on its index), or the old address of a change page
        url = _url(pattern, kwargs)
        if name.endswith("_add") and not model_admin.has_add_permission(_superuser_request(demo)):
            status = 403  # records no one adds by hand (log-in attempts, API tokens)
        if name.endswith("_delete") and not model_admin.has_delete_permission(_superuser_request(demo)):
            status = 403  # records no one deletes with a click (a cluster)
    codes = " ".join(["302"] * 7 + [str(status)])
    return Request(pattern.route, "", url, expect(codes), None)


def _superuser_request(demo: Demo):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = demo.users["admin"]
    return request


def _url(pattern: Pattern, kwargs: dict) -> str:
    """The address of a pattern with these arguments (patterns without a name, as some admin ones, by hand)."""
    if pattern.name:
        return reverse(pattern.name, kwargs=kwargs)
    url = pattern.route
    for key, value in kwargs.items():
        url = re.sub(rf"<(?:\w+:)?{key}>", str(value), url)
    return "/" + url


def requests_for(demo: Demo) -> tuple[list[Request], list[str]]:
    """Every request of the walk, and the patterns that take arguments but have no sample."""
    found: list[Request] = []
    missing: list[str] = []
    seen: set[str] = set()
    for pattern in site_patterns():
        if pattern.route in seen:
            continue
        seen.add(pattern.route)
        if pattern.is_admin:
            request = _admin_request(pattern, demo)
            if request is None and pattern.name not in ("admin:view_on_site",):
                missing.append(f"{pattern.route} ({pattern.name})")
            elif request is not None:
                found.append(request)
            continue
        if pattern.is_api and pattern.name not in SAMPLES:
            request = _api_request(pattern, demo)
            if request is None:
                if not pattern.name.endswith("-list"):
                    missing.append(f"{pattern.route} ({pattern.name})")
            else:
                found.append(request)
            continue
        if pattern.name not in SAMPLES:
            missing.append(f"{pattern.route} ({pattern.name or 'no name'})")
            continue
        for page in SAMPLES[pattern.name]:
            url = reverse(pattern.name, kwargs=page.kwargs(demo))
            found.append(
                Request(
                    pattern.route,
                    page.label,
                    url,
                    expect(page.get),
                    expect(page.post) if page.post else None,
                )
            )
    return found, missing


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once per worker, inside a transaction rolled back at the end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield load_walk_demo()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _client(demo: Demo, role: str) -> Client:
    client = Client(raise_request_exception=True, HTTP_ACCEPT_LANGUAGE="uz", SERVER_NAME="127.0.0.1")
    if role != "anonymous":
        client.force_login(demo.users[role])
    return client


# What a read may write: the session (a language chosen, a cluster picked), the log-in records, and the mark that a
# notification was read (opening it is reading it).
WRITES_ALLOWED_ON_READ = ("django_session", "axes_", "governance_apitoken", "governance_notification")
WRITE = re.compile(r'^\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+"?([a-z_0-9]+)"?', re.IGNORECASE)


def _call(client: Client, method: str, url: str) -> tuple[int, str]:
    """The status of one request, in a savepoint that is rolled back; an exception is a 500 with its trace. A GET
    that writes a row (anything but the session and log-in records) is answered as a failure too: no page or list
    creates rows when it is read."""
    try:
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            response = getattr(client, method)(url)
            transaction.set_rollback(True)
    except Exception:  # noqa: BLE001 - any exception the page raises is what this test looks for
        return 500, traceback.format_exc(limit=-3)
    if method == "get":
        tables = {m.group(1) for q in queries.captured_queries if (m := WRITE.match(q["sql"]))}
        written = sorted(t for t in tables if not t.startswith(WRITES_ALLOWED_ON_READ))
        if written:
            return response.status_code, "wrote when read: " + ", ".join(written)
    return response.status_code, ""


@pytest.mark.django_db
def test_every_pattern_has_a_sample(demo):
    _found, missing = requests_for(demo)
    assert not missing, "URL patterns with no sample in tests/test_every_page.py:\n" + "\n".join(missing)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_each_role_as_expected(demo, role):
    logging.disable(logging.CRITICAL)  # Django logs every 403/404; the failures below say what matters
    try:
        client = _client(demo, role)
        requests, _missing = requests_for(demo)
        wrong = []
        for request in requests:
            for method, expected in (("get", request.get), ("post", request.post)):
                if expected is None:
                    continue
                status, trace = _call(client, method, request.url)
                if method == "post" and role != "anonymous":
                    client.force_login(demo.users[role])  # a POST may have logged out or rotated the session
                if status != expected[role] or trace:
                    where = f"{method.upper()} {request.url}" + (f" ({request.label})" if request.label else "")
                    wrong.append(f"{where}: {status}, expected {expected[role]}" + (f"\n{trace}" if trace else ""))
    finally:
        logging.disable(logging.NOTSET)
    assert not wrong, f"{role}: {len(wrong)} of the walk's answers are wrong:\n" + "\n".join(wrong)
