"""Who may see and change what: the mechanism that limits rows to a person's clusters and enterprises.

Every page, export and API viewset takes its queryset through `restrict(queryset, user, action)`, as NetBox's
`queryset.restrict(user, action)` does. Each model declares a `ScopeRule` saying how it reaches its cluster
(and, for rows private to one enterprise, its enterprise), which cluster roles read and change every row of a
cluster, and which rows a person may touch as their own. Platform administrators (superusers) see and change
everything.

This module knows no role and no model of the project: where a person's roles come from, which role
administers a cluster and which cluster a request works in are given by the app that owns them
(`governance`), through `configure()` from its `AppConfig.ready()`, as NetBox's authentication backend fills
the permission cache its querysets read. `governance.scoping` adds the helpers that name roles (`is_office`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Manager, Model, Q, QuerySet

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .typing import AnyUser

_T = TypeVar("_T")

VIEW = "view"
CHANGE = "change"


@dataclass(frozen=True)
class Access:
    """A person's standing in the clusters they belong to: roles and represented enterprises."""

    roles: dict[int, frozenset[str]] = field(default_factory=dict)
    enterprises: dict[int, frozenset[int]] = field(default_factory=dict)

    def clusters_with(self, roles: Iterable[str]) -> list[int]:
        wanted = frozenset(roles)
        return sorted(c for c, held in self.roles.items() if held & wanted)

    @property
    def enterprise_ids(self) -> list[int]:
        return sorted({e for ids in self.enterprises.values() for e in ids})


@dataclass(frozen=True)
class ScopeRule:
    """How one model is scoped.

    cluster: lookup path from the model to its cluster ("pk" for the cluster itself).
    enterprise: lookup path to the enterprise for rows private to one enterprise, else None.
    readers: roles that read every row of their cluster (enterprise representatives of other rows
        read only their own enterprise's rows when `enterprise` is set); None: every role.
    editors: roles that change every row of their cluster; None: the roles that administer a cluster.
    own: rows a person may change (and read) as their own, beyond the roles above.
    shared: rows that every member of the cluster reads whatever their role (a plain condition on the
        row, applied without a subquery: aggregates that reveal no single enterprise, say).
    """

    cluster: str
    enterprise: str | None = None
    readers: frozenset[str] | None = None
    editors: frozenset[str] | None = None
    own: Callable[[AnyUser, Access], Q] | None = None
    shared: Q | None = None


@dataclass
class _Config:
    """What the owning app tells the mechanism (see `configure`)."""

    load_access: Callable[[Any], Access] | None = None
    roles: frozenset[str] = frozenset()
    administrators: frozenset[str] = frozenset()
    current_cluster: Callable[[Any], Any] | None = None
    choices: dict[type[Model], Callable[..., QuerySet]] = field(default_factory=dict)


_config = _Config()


def configure(
    *,
    load_access: Callable[[Any], Access],
    roles: Iterable[str],
    administrators: Iterable[str],
    current_cluster: Callable[[Any], Any],
) -> None:
    """Tell the mechanism where a person's access comes from (read once per request), every role there is,
    the roles that administer a cluster (the default editors) and how to find the cluster a request works in."""
    _config.load_access = load_access
    _config.roles = frozenset(roles)
    _config.administrators = frozenset(administrators)
    _config.current_cluster = current_cluster


def register_choices(model: type[Model], chooser: Callable[..., QuerySet]) -> None:
    """How to limit the rows of a model without a `ScopeRule` (people) that a person may pick:
    `chooser(queryset, user, cluster=...)`."""
    _config.choices[model] = chooser


def _ready(what: _T | None) -> _T:
    if what is None:
        raise ImproperlyConfigured("core.scoping is not configured: the governance app calls configure() in ready()")
    return what


def readers_of(rule: ScopeRule) -> frozenset[str]:
    return _config.roles if rule.readers is None else rule.readers


def editors_of(rule: ScopeRule) -> frozenset[str]:
    return _config.administrators if rule.editors is None else rule.editors


def access_for(user: AnyUser | None) -> Access:
    """The person's roles per cluster, read once per request and kept on the user object."""
    cached = getattr(user, "_cluster_access", None)
    if cached is not None:
        return cached
    if getattr(user, "is_authenticated", False):
        load = _ready(_config.load_access)
        access = load(user)
    else:
        access = Access()
    if user is not None:
        # Kept on the user object for the request, as Django's backends keep `_perm_cache`: no declared attribute.
        user._cluster_access = access  # type: ignore[union-attr]
    return access


def forget_access(user: AnyUser) -> None:
    """Drop the cached access after the person's roles change."""
    if hasattr(user, "_cluster_access"):
        del user._cluster_access


def current_cluster(request: HttpRequest):
    """The cluster the request works in (None when the person belongs to none)."""
    resolve = _ready(_config.current_cluster)
    return resolve(request)


def rule_for(model: type[Model]) -> ScopeRule:
    rule = getattr(model, "scope_rule", None)
    if rule is None:
        raise TypeError(f"{model.__name__} has no scope_rule: it cannot be served to users")
    return rule


def _in(path: str, ids: list[int]) -> Q:
    return Q(**{f"{path}__in": ids})


def restrict(queryset: QuerySet, user: AnyUser | None, action: str = VIEW) -> QuerySet:
    """Limit `queryset` to the rows `user` may see (VIEW) or change (CHANGE)."""
    if action not in (VIEW, CHANGE):
        raise ValueError(f"unknown action {action!r}")
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    rule = rule_for(queryset.model)
    access = access_for(user)
    roles = readers_of(rule) if action == VIEW else editors_of(rule)
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


def readable_enterprise_rows(
    user: AnyUser | None, model: type[Model], cluster_ids: Iterable[int]
) -> tuple[frozenset[int], frozenset[int]]:
    """For rows of `model` that belong to an enterprise but are computed when read, not stored: what `restrict`
    would let through, as (clusters whose every enterprise's rows the user reads, enterprises whose rows the user
    reads in the others). The shared rows of a rule are never an enterprise's."""
    wanted = set(cluster_ids)
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset(), frozenset()
    if user.is_superuser:
        return frozenset(wanted), frozenset()
    rule = rule_for(model)
    access = access_for(user)
    full = frozenset(set(access.clusters_with(readers_of(rule))) & wanted)
    own: set[int] = set()
    if rule.enterprise is not None:
        for cluster_id, enterprise_ids in access.enterprises.items():
            if cluster_id in wanted and cluster_id not in full:
                own |= enterprise_ids
    return full, frozenset(own)


def scoped_choices(queryset: QuerySet | Manager, user: AnyUser | None, *, cluster=None) -> QuerySet:
    """The rows of `queryset` that `user` may pick in a form, a filter or an API field: scoped models through
    `restrict`, other models (people) through the chooser registered for them.

    cluster: only that cluster's rows.
    """
    if isinstance(queryset, Manager):
        queryset = queryset.all()
    chooser = _config.choices.get(queryset.model)
    if chooser is not None:
        return chooser(queryset, user, cluster=cluster)
    rule = getattr(queryset.model, "scope_rule", None)
    if rule is None:
        raise ImproperlyConfigured(
            f"{queryset.model.__name__} has no scope_rule: say which of its rows a user may pick"
        )
    queryset = restrict(queryset, user, VIEW)
    if cluster is not None:
        queryset = queryset.filter(**{rule.cluster: cluster.pk})
    return queryset


def is_platform_admin(user: AnyUser) -> bool:
    """Whether the person administers the platform (adds clusters, sees every cluster)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


def may_create_in(user: AnyUser, model: type[Model], cluster_id: int | None) -> bool:
    """Whether `user` may add a new row of `model` to the cluster (the editors of the model's rule)."""
    if not getattr(user, "is_authenticated", False) or cluster_id is None:
        return False
    if user.is_superuser:
        return True
    return cluster_id in access_for(user).clusters_with(editors_of(rule_for(model)))


def may_change(user: AnyUser, obj: Model) -> bool:
    return restrict(type(obj)._default_manager.filter(pk=obj.pk), user, CHANGE).exists()


def editable_clusters(user: AnyUser, model: type[Model]) -> list[int] | None:
    """Cluster ids where `user` may add rows of `model`; None means every cluster (superuser)."""
    if user.is_superuser:
        return None
    return access_for(user).clusters_with(editors_of(rule_for(model)))


def roles_in(user: AnyUser, cluster_id: int) -> frozenset[str]:
    if getattr(user, "is_superuser", False):
        return _config.roles
    return access_for(user).roles.get(cluster_id, frozenset())


def has_role(user: AnyUser | None, cluster, *roles: str) -> bool:
    """Whether the person holds one of these roles in the cluster (a Cluster or its id); a platform administrator
    holds every role."""
    cluster_id = getattr(cluster, "pk", cluster)
    return user is not None and cluster_id is not None and bool(roles_in(user, cluster_id) & set(roles))


def represented(user: AnyUser, cluster) -> frozenset[int]:
    """The enterprises of the cluster (a Cluster or its id) the person represents."""
    return access_for(user).enterprises.get(getattr(cluster, "pk", cluster), frozenset())
