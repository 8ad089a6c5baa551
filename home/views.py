"""The home page: what the person's role needs first, in the cluster they work in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from governance.choices import Role
from governance.selectors import current_cluster

from . import selectors

PANELS = {
    Role.OFFICE: selectors.office_home,
    Role.COUNCIL: selectors.council_home,
    Role.WORKING_GROUP: selectors.working_group_home,
    Role.ENTERPRISE: selectors.enterprise_home,
    Role.VIEWER: selectors.council_home,  # the cluster's KPIs and what is decided, read only
}


@login_required
def home(request):
    """A panel for each role the person holds in the cluster, the one their home is made for first."""
    cluster = current_cluster(request)
    if cluster is None:
        return redirect("governance:overview")  # says the person belongs to no cluster yet
    today = cluster.today()
    roles = selectors.home_roles(request.user, cluster)
    panels = {
        role: PANELS[role](user=request.user, cluster=cluster, today=today)
        for role in roles
        if not (role == Role.VIEWER and Role.COUNCIL in roles)  # the council's panel says it all
    }
    context = {
        "section": "home",
        "cluster": cluster,
        "roles": roles,
        "panels": panels,
        "today": today,
        "now": timezone.now(),
    }
    return render(request, "home/home.html", context)
