from django.conf import settings

from .choices import Role
from .notifications import unread_count
from .scoping import roles_in
from .selectors import current_cluster, user_clusters

# The sections of the governance pages: they show its sub-menu, and the main menu marks "Governance" current.
GOVERNANCE_SECTIONS = (
    "overview",
    "webhooks",
    "failed_tasks",
    "enterprises",
    "bodies",
    "meetings",
    "decisions",
    "action_items",
    "regulations",
    "matrix",
    "people",
    "cluster",
)


def platform(request):
    """The platform name, the cluster the user works in, the clusters they can switch to, and what the navigation
    offers them there: the monthly data to those who report or review it, the API to the office."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"platform_name": settings.PLATFORM_NAME, "governance_sections": GOVERNANCE_SECTIONS}
    cluster = current_cluster(request)
    roles = roles_in(user, cluster.pk) if cluster is not None else frozenset()
    return {
        "platform_name": settings.PLATFORM_NAME,
        "current_cluster": cluster,
        "user_clusters": user_clusters(user),
        "nav_monthly_data": bool(roles & {Role.OFFICE, Role.ENTERPRISE}),
        "nav_api": Role.OFFICE in roles or user.is_superuser,
        "governance_sections": GOVERNANCE_SECTIONS,
        "unread_notifications": unread_count(user),
    }
