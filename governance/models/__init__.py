from .accounts import ApiToken, password_fingerprint
from .bodies import Body, Membership, Regulation, ResponsibilityAssignment
from .clusters import Cluster, ClusterRole, Enterprise, EnterprisePastLink, link_in, past_links
from .meetings import ActionItem, AgendaItem, Attendance, Decision, Meeting
from .notifications import Notification
from .operations import FailedTask

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
    "EnterprisePastLink",
    "FailedTask",
    "Meeting",
    "Membership",
    "Notification",
    "Regulation",
    "ResponsibilityAssignment",
    "link_in",
    "password_fingerprint",
    "past_links",
]
