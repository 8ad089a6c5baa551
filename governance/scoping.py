"""Who may see and change what: the one place that limits rows to a user's clusters and enterprises.

Every page, export and API viewset takes its queryset through `restrict(queryset, user, action)`,
as NetBox's `queryset.restrict(user, action)` does. Each model declares a `ScopeRule` saying how it
reaches its cluster (and, for rows private to one enterprise, its enterprise), which cluster roles
read and change every row of a cluster, and which rows a user may touch as their own.
Platform administrators (superusers) see and change everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Model, Q, QuerySet

from .choices import Role

VIEW = "view"
CHANGE = "change"

ALL_ROLES = frozenset(Role.values)


@dataclass(frozen=True)
class Access:
    """A user's standing in the clusters they belong to: roles and represented enterprises."""

    roles: dict[int, frozenset[str]] = field(default_factory=dict)
    enterprises: dict[int, frozenset[int]] = field(default_factory=dict)

    def clusters_with(self, roles: frozenset[str] | set[str]) -> list[int]:
        return sorted(c for c, held in self.roles.items() if held & roles)

    @property
    def enterprise_ids(self) -> list[int]:
        return sorted({e for ids in self.enterprises.values() for e in ids})


@dataclass(frozen=True)
class ScopeRule:
    """How one model is scoped.

    cluster: lookup path from the model to its cluster ("pk" for the cluster itself).
    enterprise: lookup path to the enterprise for rows private to one enterprise, else None.
    readers: roles that read every row of their cluster (enterprise representatives of other rows
        read only their own enterprise's rows when `enterprise` is set).
    editors: roles that change every row of their cluster.
    own: rows a user may change (and read) as their own, beyond the roles above.
    shared: rows that every member of the cluster reads whatever their role (a plain condition on the
        row, applied without a subquery: aggregates that reveal no single enterprise, say).
    """

    cluster: str
    enterprise: str | None = None
    readers: frozenset[str] = ALL_ROLES
    editors: frozenset[str] = frozenset({Role.OFFICE})
    own: Callable[[object, Access], Q] | None = None
    shared: Q | None = None


def access_for(user) -> Access:
    """The user's roles per cluster, read once per request and kept on the user object."""
    cached = getattr(user, "_cluster_access", None)
    if cached is not None:
        return cached
    from .models import ClusterRole

    roles: dict[int, set[str]] = {}
    enterprises: dict[int, set[int]] = {}
    if user.is_authenticated:
        rows = ClusterRole.objects.filter(user=user, is_active=True).values_list(
            "cluster_id", "role", "enterprises__id"
        )
        for cluster_id, role, enterprise_id in rows:
            roles.setdefault(cluster_id, set()).add(role)
            if role == Role.ENTERPRISE and enterprise_id is not None:
                enterprises.setdefault(cluster_id, set()).add(enterprise_id)
    access = Access(
        roles={c: frozenset(r) for c, r in roles.items()},
        enterprises={c: frozenset(e) for c, e in enterprises.items()},
    )
    user._cluster_access = access
    return access


def forget_access(user) -> None:
    """Drop the cached access after the user's roles change."""
    if hasattr(user, "_cluster_access"):
        del user._cluster_access


def rule_for(model: type[Model]) -> ScopeRule:
    rule = getattr(model, "scope_rule", None)
    if rule is None:
        raise TypeError(f"{model.__name__} has no scope_rule: it cannot be served to users")
    return rule


def _in(path: str, ids: list[int]) -> Q:
    return Q(**{f"{path}__in": ids})


def restrict(queryset: QuerySet, user, action: str = VIEW) -> QuerySet:
    """Limit `queryset` to the rows `user` may see (VIEW) or change (CHANGE)."""
    if action not in (VIEW, CHANGE):
        raise ValueError(f"unknown action {action!r}")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    rule = rule_for(queryset.model)
    access = access_for(user)
    roles = rule.readers if action == VIEW else rule.editors
    allowed = Q(pk__in=[])
    full_clusters = access.clusters_with(roles)
    if full_clusters:
        allowed |= _in(rule.cluster, full_clusters)
    if action == VIEW and rule.enterprise is not None:
        for cluster_id, enterprise_ids in access.enterprises.items():
            if cluster_id not in full_clusters and enterprise_ids:
                allowed |= _in(rule.cluster, [cluster_id]) & _in(rule.enterprise, sorted(enterprise_ids))
    if action == VIEW and rule.shared is not None and access.roles:
        allowed |= rule.shared & _in(rule.cluster, sorted(access.roles))
    if rule.own is not None and access.roles:
        # A subquery, not a join: an owner rule may cross to-many relations (a group's members),
        # and a join would repeat rows.
        own = queryset.model._default_manager.filter(rule.own(user, access)).values("pk")
        allowed |= Q(pk__in=own) & _in(rule.cluster, sorted(access.roles))
    return queryset.filter(allowed)


def may_create_in(user, model: type[Model], cluster_id: int | None) -> bool:
    """Whether `user` may add a new row of `model` to the cluster (the editors of the model's rule)."""
    if not getattr(user, "is_authenticated", False) or cluster_id is None:
        return False
    if user.is_superuser:
        return True
    return cluster_id in access_for(user).clusters_with(rule_for(model).editors)


def may_change(user, obj: Model) -> bool:
    return restrict(type(obj)._default_manager.filter(pk=obj.pk), user, CHANGE).exists()


def editable_clusters(user, model: type[Model]) -> list[int] | None:
    """Cluster ids where `user` may add rows of `model`; None means every cluster (superuser)."""
    if user.is_superuser:
        return None
    return access_for(user).clusters_with(rule_for(model).editors)


def roles_in(user, cluster_id: int) -> frozenset[str]:
    if user.is_superuser:
        return ALL_ROLES
    return access_for(user).roles.get(cluster_id, frozenset())


def has_role(user, cluster, *roles: str) -> bool:
    """Whether the person holds one of these roles in the cluster (a Cluster or its id); a platform administrator
    holds every role. The one question behind "is this the office?" everywhere."""
    cluster_id = getattr(cluster, "pk", cluster)
    return user is not None and cluster_id is not None and bool(roles_in(user, cluster_id) & set(roles))


def is_office(user, cluster) -> bool:
    """Whether the person is office staff of the cluster (a Cluster or its id), or a platform administrator."""
    return has_role(user, cluster, Role.OFFICE)


def represented(user, cluster) -> frozenset[int]:
    """The enterprises of the cluster (a Cluster or its id) the person represents: those they may act for."""
    return access_for(user).enterprises.get(getattr(cluster, "pk", cluster), frozenset())


# Roles that see every participant's contact details; the others see the directory only.
CONTACT_READERS = frozenset({"office", "council", "working_group"})


def sees_contacts(user, enterprise) -> bool:
    """Whether `user` may read the enterprise's contact details (address, e-mail, phone).

    Representatives see those of the enterprises they represent; viewers none. Everyone in the
    cluster sees the participant directory (name, taxpayer id, type, link, status).
    """
    if user.is_superuser:
        return True
    access = access_for(user)
    if access.roles.get(enterprise.cluster_id, frozenset()) & CONTACT_READERS:
        return True
    return enterprise.pk in access.enterprises.get(enterprise.cluster_id, frozenset())
