"""The authorization vocabulary every app uses: `restrict` and the small helpers beside it.

The mechanism (`restrict`, `ScopeRule`, `may_create_in`, `may_change`, `has_role`, `represented`) lives in
`core.scoping`, which knows no role. This module names the roles: it loads a person's roles from
`ClusterRole` (`load_access`, given to the mechanism by `GovernanceConfig.ready()`), and adds the questions
asked in the cluster's words: is this the office (`is_office`), which enterprises may this person act for
(`acts_for`, `may_act_for`), who reads contact details (`sees_contacts`).

Import every one of them from here: `from governance.scoping import restrict, is_office`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from core.scoping import (
    CHANGE,
    VIEW,
    Access,
    ScopeRule,
    access_for,
    current_cluster,
    editable_clusters,
    forget_access,
    has_role,
    is_platform_admin,
    may_change,
    may_create_in,
    readable_enterprise_rows,
    represented,
    restrict,
    roles_in,
    rule_for,
    scoped_choices,
)

from .choices import EnterpriseStatus, Role

if TYPE_CHECKING:
    from core.typing import AnyUser, User

__all__ = [
    "ALL_ROLES",
    "CHANGE",
    "OFFICE",
    "VIEW",
    "Access",
    "ScopeRule",
    "access_for",
    "acts_for",
    "current_cluster",
    "editable_clusters",
    "forget_access",
    "has_role",
    "is_office",
    "is_platform_admin",
    "load_access",
    "may_act_for",
    "readable_enterprise_rows",
    "may_change",
    "may_create_in",
    "represented",
    "require_office",
    "restrict",
    "roles_in",
    "rule_for",
    "scoped_choices",
    "sees_contacts",
]

ALL_ROLES = frozenset(Role.values)
OFFICE = frozenset({Role.OFFICE})  # the roles that administer a cluster: the default editors of every rule
# Roles that see every participant's contact details; the others see the directory only.
CONTACT_READERS = frozenset({Role.OFFICE, Role.COUNCIL, Role.WORKING_GROUP})


def load_access(user: User) -> Access:
    """The person's active roles per cluster, and the enterprises they represent, in one query."""
    from .models import ClusterRole

    roles: dict[int, set[str]] = {}
    enterprises: dict[int, set[int]] = {}
    rows = ClusterRole.objects.filter(user=user, is_active=True).values_list("cluster_id", "role", "enterprises__id")
    for cluster_id, role, enterprise_id in rows:
        roles.setdefault(cluster_id, set()).add(role)
        if role == Role.ENTERPRISE and enterprise_id is not None:
            enterprises.setdefault(cluster_id, set()).add(enterprise_id)
    return Access(
        roles={c: frozenset(r) for c, r in roles.items()},
        enterprises={c: frozenset(e) for c, e in enterprises.items()},
    )


def is_office(user: AnyUser | None, cluster) -> bool:
    """Whether the person is office staff of the cluster (a Cluster or its id), or a platform administrator.
    The one question behind "is this the office?" everywhere."""
    return has_role(user, cluster, Role.OFFICE)


def require_office(user: AnyUser, cluster) -> None:
    """Refuse (403) anyone but the cluster's office and platform administrators."""
    if not is_office(user, cluster):
        raise PermissionDenied


def may_act_for(user: AnyUser, cluster, enterprise_id: int | None) -> bool:
    """Whether the person may act for the enterprise of the cluster: the office for any, a representative
    for the enterprises they represent."""
    return is_office(user, cluster) or (enterprise_id is not None and enterprise_id in represented(user, cluster))


def acts_for(user: AnyUser, cluster) -> QuerySet:
    """The cluster's enterprises the person may act for (request a service, fill a form for): the office for
    every one that has not left, a representative for their own."""
    from .models import Enterprise

    enterprises = Enterprise.objects.filter(cluster=cluster).order_by("name")
    if is_office(user, cluster):
        return enterprises.exclude(status=EnterpriseStatus.LEFT)
    return enterprises.filter(pk__in=sorted(represented(user, cluster)))


def sees_contacts(user: AnyUser, enterprise) -> bool:
    """Whether `user` may read the enterprise's contact details (address, e-mail, phone).

    Representatives see those of the enterprises they represent; viewers none. Everyone in the
    cluster sees the participant directory (name, taxpayer id, type, link, status).
    """
    return has_role(user, enterprise.cluster_id, *CONTACT_READERS) or enterprise.pk in represented(
        user, enterprise.cluster_id
    )
