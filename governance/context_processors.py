from django.conf import settings

from .selectors import current_cluster, user_clusters


def platform(request):
    """The platform name, the cluster the user works in and the clusters they can switch to."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"platform_name": settings.PLATFORM_NAME}
    return {
        "platform_name": settings.PLATFORM_NAME,
        "current_cluster": current_cluster(request),
        "user_clusters": user_clusters(user),
    }
