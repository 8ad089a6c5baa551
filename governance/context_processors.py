from django.conf import settings

from .choices import Role
from .scoping import roles_in
from .selectors import current_cluster, user_clusters


def platform(request):
    """The platform name, the cluster the user works in, the clusters they can switch to, and what the navigation
    offers them there: the monthly data to those who report or review it, the API to the office."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"platform_name": settings.PLATFORM_NAME}
    cluster = current_cluster(request)
    roles = roles_in(user, cluster.pk) if cluster is not None else frozenset()
    return {
        "platform_name": settings.PLATFORM_NAME,
        "current_cluster": cluster,
        "user_clusters": user_clusters(user),
        "nav_monthly_data": bool(roles & {Role.OFFICE, Role.ENTERPRISE}),
        "nav_api": Role.OFFICE in roles or user.is_superuser,
    }
