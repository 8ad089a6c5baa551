from .accounts import ApiToken, password_fingerprint
from .bodies import Body, Membership, Regulation, ResponsibilityAssignment
from .clusters import Cluster, ClusterRole, Enterprise
from .meetings import ActionItem, AgendaItem, Attendance, Decision, Meeting

__all__ = [
    "ActionItem",
    "AgendaItem",
    "ApiToken",
    "Attendance",
    "Body",
    "Cluster",
    "ClusterRole",
    "Decision",
    "Enterprise",
    "Meeting",
    "Membership",
    "Regulation",
    "ResponsibilityAssignment",
    "password_fingerprint",
]
