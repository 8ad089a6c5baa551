"""The closed vocabularies of governance. Values are the API's; labels are translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OFFICE = "office", _("Office staff")
    COUNCIL = "council", _("Council member")
    WORKING_GROUP = "working_group", _("Working-group member")
    ENTERPRISE = "enterprise", _("Enterprise representative")
    VIEWER = "viewer", _("Viewer")


class EnterpriseKind(models.TextChoices):
    LEADING = "leading", _("Leading enterprise")
    SUPPLIER = "supplier", _("Supplier")
    PROCESSOR = "processor", _("Processor")
    SERVICE = "service", _("Service firm")
    EDUCATION_RESEARCH = "education_research", _("Education or research partner")
    INVESTOR = "investor", _("Investor")
    EXPORT = "export", _("Export structure")


class ValueChainLink(models.TextChoices):
    SUPPLY = "supply", _("Supply")
    PROCESSING = "processing", _("Processing")
    SERVICE = "service", _("Service")
    INNOVATION = "innovation", _("Innovation")


class EnterpriseStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    LEFT = "left", _("Left")


class BodyKind(models.TextChoices):
    COUNCIL = "council", _("Cluster council")
    OFFICE = "office", _("Cluster office")
    WORKING_GROUP = "working_group", _("Working group")


class Area(models.TextChoices):
    LOGISTICS = "logistics", _("Logistics")
    QUALITY = "quality", _("Quality")
    SKILLS = "skills", _("Skills (HR)")
    INNOVATION = "innovation", _("Innovation")
    EXPORT = "export", _("Export")
    OTHER = "other", _("Other")


class MatrixArea(models.TextChoices):
    """Areas of the responsibility matrix: the working-group areas and the cluster-wide ones."""

    STRATEGY = "strategy", _("Strategy and development")
    DATA_COLLECTION = "data_collection", _("Data collection and KPIs")
    PORTFOLIO = "portfolio", _("Joint projects")
    LOGISTICS = "logistics", _("Logistics")
    QUALITY = "quality", _("Quality")
    SKILLS = "skills", _("Skills (HR)")
    INNOVATION = "innovation", _("Innovation")
    EXPORT = "export", _("Export")


class Responsibility(models.TextChoices):
    DECIDES = "decides", _("Decides")
    EXECUTES = "executes", _("Executes")
    CONSULTED = "consulted", _("Consulted")


class MemberRole(models.TextChoices):
    CHAIR = "chair", _("Chair")
    SECRETARY = "secretary", _("Secretary")
    COORDINATOR = "coordinator", _("Coordinator")
    MEMBER = "member", _("Member")


class RegulationKind(models.TextChoices):
    COUNCIL = "council", _("Council regulation")
    OFFICE = "office", _("Office regulation")
    WORKING_GROUP = "working_group", _("Working-group regulation")
    DATA_COLLECTION = "data_collection", _("Data-collection regulation")
    DECISION_PROCEDURE = "decision_procedure", _("Decision procedure")
    OTHER = "other", _("Other regulation")


class RegulationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    SUPERSEDED = "superseded", _("Superseded")


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class QuorumRule(models.TextChoices):
    MAJORITY = "majority", _("More than half of the members")
    TWO_THIRDS = "two_thirds", _("At least two thirds of the members")
    THREE_QUARTERS = "three_quarters", _("At least three quarters of the members")


class DecisionKind(models.TextChoices):
    STRATEGIC = "strategic", _("Strategic")
    OPERATIONAL = "operational", _("Operational")


class DecisionOutcome(models.TextChoices):
    ADOPTED = "adopted", _("Adopted")
    REJECTED = "rejected", _("Rejected")


class ActionItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_ACTION_STATUSES = (ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS)


class NotificationKind(models.TextChoices):
    SUBMISSION_RETURNED = "submission_returned", _("Figures returned")
    ALERT = "alert", _("Alert for my working group")
    ACTION_ASSIGNED = "action_assigned", _("Action item assigned")
    ACTION_OVERDUE = "action_overdue", _("Action item overdue")
    TO_DECIDE = "to_decide", _("On the agenda to decide")
    REVIEW_OPENED = "review_opened", _("Conditions review opened")
    REVIEW_DECIDED = "review_decided", _("Conditions review decided")
    EVIDENCE_CHANGED = "evidence_changed", _("Corrected figures changed an evaluation")
    WEBHOOK_SWITCHED_OFF = "webhook_switched_off", _("Webhook endpoint switched off")
    TASK_FAILED = "task_failed", _("Background task failed")
