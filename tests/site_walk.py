"""Every URL pattern of the site, with real ids: the walk behind tests/test_every_page.py.

The patterns come from the URL configuration itself, so a page added later is walked too: a pattern
that takes arguments needs a sample here (how to fill its arguments from the demo data), and the
walk test fails, naming it, when there is none. Admin pages and API resources are filled in from
their model admin or viewset; the site's own pages from `SAMPLES`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver

ROLES = ("anonymous", "viewer", "enterprise", "wg", "council", "office", "other_office", "admin")


@dataclass(frozen=True)
class Pattern:
    """One URL pattern: its full route (as Django prints it), its name with namespace, and its view."""

    route: str
    name: str
    callback: Callable
    converters: tuple[str, ...] = ()

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def viewset(self):
        return getattr(self.callback, "cls", None)

    @property
    def model_admin(self):
        return getattr(self.callback, "model_admin", None)

    @property
    def arguments(self) -> tuple[str, ...]:
        named = re.findall(r"<(?:\w+:)?(\w+)>", self.route) + re.findall(r"\(\?P<(\w+)>", self.route)
        return tuple(dict.fromkeys(named))


def site_patterns() -> list[Pattern]:
    """Every pattern of the root URL configuration, resolvers unfolded, in order."""

    def walk(patterns, prefix: str, namespace: str | None) -> Iterator[Pattern]:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                name = p.name or ""
                full = f"{namespace}:{name}" if namespace and name else name
                yield Pattern(prefix + str(p.pattern), full, p.callback)

    return list(walk(get_resolver().url_patterns, "", None))


@dataclass(frozen=True)
class Sample:
    """A URL to request and what each role should get (status codes in the order of ROLES).

    `post` also sends an empty POST (in a savepoint that is rolled back): it must not answer 500
    either, and roles that may not act must not be let through.
    """

    pattern: str
    url: str
    expected: dict[str, int]
    note: str = ""
    post: bool = False
    methods: tuple[str, ...] = field(default=("GET",))


def expect(codes: str, roles: tuple[str, ...] = ROLES) -> dict[str, int]:
    """ "302 200 …" in the order of `roles` (ROLES unless told) as a dict."""
    values = [int(c) for c in codes.split()]
    assert len(values) == len(roles), codes
    return dict(zip(roles, values, strict=True))


# --- The demo the walk runs on ------------------------------------------------------------------------


@dataclass
class Demo:
    """The demo cluster and the objects the samples name (each chosen to show a rule: own and not own)."""

    cluster: object
    other_cluster: object
    users: dict
    own_enterprise: object  # the enterprise the `enterprise` demo user represents
    other_enterprise: object  # another participant of the same cluster
    own_submission: object  # the representative's own submission, with history rows by the platform
    other_submission: object
    month: str
    draft_regulation: object
    meeting: object
    decision: object
    action_item: object
    body: object
    membership: object
    grant: object
    correction: object | None
    alert: object  # over at least three firms: everyone in the cluster reads it
    project: object
    milestone: object
    service_request: object
    login_attempt: object = None
    objects: dict = field(default_factory=dict)  # model -> a row of the demo cluster (API and admin)
    # A representative of another enterprise of the same cluster (users["enterprise_b"]) and that enterprise: what
    # the `enterprise` user's enterprise keeps to itself, it keeps from them too (tests/test_access_matrix.py).
    enterprise_b: object = None


def load_walk_demo() -> Demo:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models import Q

    from demo.governance import DEMO_FARM_TAXPAYER_ID, FARM_ACCOUNTANTS, load_demo
    from governance.auth import api_token_issue
    from governance.models import ActionItem, Body, ClusterRole, Decision, Meeting, Membership, Regulation
    from kpi.models import Alert, Correction, Submission
    from portfolio.models import Milestone, PortfolioRules, Project, ServiceRequest
    from tests.governance.factories import ClusterFactory, ClusterRoleFactory, EnterpriseFactory

    cluster = load_demo().cluster
    # Rows the demo does not write, so that their admin pages have something to show.
    Group.objects.get_or_create(name="Klaster ofisi")
    PortfolioRules.objects.get_or_create(cluster=cluster)
    other = ClusterFactory(name="Farg'ona to'qimachilik klasteri", region="Fergana")
    EnterpriseFactory(cluster=other, taxpayer_id="399000001")
    ClusterRoleFactory(cluster=other, role="office", user__username="other_office")
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=[r for r in ROLES if r != "anonymous"])}
    # Another farm's accountant: a representative of an enterprise of the same cluster that is not the demo farm.
    enterprise_b_user, enterprise_b_taxpayer_id = FARM_ACCOUNTANTS[0]
    users["enterprise_b"] = User.objects.get(username=enterprise_b_user)
    api_token_issue(user=users["office"])
    # A person of the cluster mistyped their password twice: the office sees it on the people page.
    from axes.models import AccessAttempt
    from django.utils import timezone

    login_attempt = AccessAttempt.objects.create(
        username="viewer", ip_address="192.0.2.10", user_agent="walk", failures_since_start=2,
        attempt_time=timezone.now(), get_data="", post_data="", http_accept="*/*", path_info="/accounts/login/",
    )  # fmt: skip
    own = cluster.enterprises.get(taxpayer_id=DEMO_FARM_TAXPAYER_ID)
    other_enterprise = cluster.enterprises.exclude(pk=own.pk).filter(status="active").order_by("pk").first()
    own_submission = (
        Submission.objects.filter(enterprise=own, status__in=["approved", "locked"]).order_by("-period__month").first()
    )
    other_submission = Submission.objects.filter(enterprise=other_enterprise).order_by("-period__month").first()
    return Demo(
        cluster=cluster,
        other_cluster=other,
        users=users,
        own_enterprise=own,
        other_enterprise=other_enterprise,
        own_submission=own_submission,
        other_submission=other_submission,
        month=own_submission.period.key,
        draft_regulation=Regulation.objects.filter(cluster=cluster, status="draft").first(),
        meeting=Meeting.objects.filter(body__cluster=cluster).order_by("-date").first(),
        decision=Decision.objects.filter(meeting__body__cluster=cluster).first(),
        action_item=ActionItem.objects.filter(cluster=cluster).first(),
        body=Body.objects.filter(cluster=cluster, kind="working_group").first(),
        membership=Membership.objects.filter(body__cluster=cluster).first(),
        grant=ClusterRole.objects.filter(cluster=cluster, role="viewer").exclude(user__username="viewer").first()
        or ClusterRole.objects.filter(cluster=cluster).exclude(user__username__in=ROLES).first(),
        correction=Correction.objects.filter(cluster=cluster).first(),
        # About a published value (everyone in the cluster reads it), of the `wg` user's working group.
        alert=Alert.objects.filter(cluster=cluster, disclosed=True, working_group__memberships__person__username="wg")
        .order_by("pk")
        .first(),
        project=Project.objects.filter(cluster=cluster).order_by("pk").first(),
        milestone=Milestone.objects.filter(project__cluster=cluster).order_by("pk").first(),
        service_request=ServiceRequest.objects.filter(Q(service__cluster=cluster)).order_by("pk").first(),
        login_attempt=login_attempt,
        enterprise_b=cluster.enterprises.get(taxpayer_id=enterprise_b_taxpayer_id),
    )
