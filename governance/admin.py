"""The Django admin is for platform administrators (superusers): every cluster, every record."""

from django.contrib import admin

from . import models, services


class PlatformAdminOnly:
    """Only superusers manage clusters in the admin; cluster staff use the pages."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


@admin.register(models.Cluster)
class ClusterAdmin(PlatformAdminOnly, admin.ModelAdmin):
    list_display = ["name", "sector", "region", "start_date"]
    search_fields = ["name", "region"]
    raw_id_fields = ["leading_enterprise"]

    def save_model(self, request, obj, form, change):
        services.cluster_save(cluster=obj)

    def has_delete_permission(self, request, obj=None):
        # A cluster goes with years of figures, values and decisions: not with a click (and the admin's
        # confirmation page, listing every row that would go, took 37 s on the demo alone).
        return False


@admin.register(models.Enterprise)
class EnterpriseAdmin(PlatformAdminOnly, admin.ModelAdmin):
    list_display = ["name", "taxpayer_id", "cluster", "kind", "value_chain_link", "status", "joined_on"]
    list_filter = ["cluster", "kind", "value_chain_link", "status"]
    search_fields = ["name", "taxpayer_id"]

    def save_model(self, request, obj, form, change):
        services.enterprise_save(enterprise=obj)


@admin.register(models.ClusterRole)
class ClusterRoleAdmin(PlatformAdminOnly, admin.ModelAdmin):
    list_display = ["user", "cluster", "role", "is_active"]
    list_filter = ["cluster", "role", "is_active"]
    search_fields = ["user__username", "user__last_name"]
    filter_horizontal = ["enterprises"]


class MembershipInline(admin.TabularInline):
    model = models.Membership
    extra = 0
    raw_id_fields = ["person", "enterprise"]


@admin.register(models.Body)
class BodyAdmin(PlatformAdminOnly, admin.ModelAdmin):
    list_display = ["name", "cluster", "kind", "area", "is_active"]
    list_filter = ["cluster", "kind", "area", "is_active"]
    inlines = [MembershipInline]


@admin.register(models.Regulation)
class RegulationAdmin(PlatformAdminOnly, admin.ModelAdmin):
    list_display = ["title", "cluster", "kind", "version", "status", "effective_from"]
    list_filter = ["cluster", "kind", "status"]
    raw_id_fields = ["approved_by"]


class AgendaItemInline(admin.TabularInline):
    model = models.AgendaItem
    extra = 0
    raw_id_fields = ["action_item"]


class AttendanceInline(admin.TabularInline):
    model = models.Attendance
    extra = 0
    raw_id_fields = ["person"]


@admin.register(models.Meeting)
class MeetingAdmin(PlatformAdminOnly, admin.ModelAdmin):
    list_display = ["title", "body", "date", "status"]
    list_filter = ["body__cluster", "status"]
    inlines = [AgendaItemInline, AttendanceInline]


@admin.register(models.Decision)
class DecisionAdmin(PlatformAdminOnly, admin.ModelAdmin):
    list_display = ["number", "title", "meeting", "kind", "outcome"]
    list_filter = ["meeting__body__cluster", "kind", "outcome"]


@admin.register(models.ActionItem)
class ActionItemAdmin(PlatformAdminOnly, admin.ModelAdmin):
    list_display = ["title", "cluster", "body", "deadline", "status", "done_on"]
    list_filter = ["cluster", "status"]
    raw_id_fields = ["decision", "owner_person"]


@admin.register(models.ResponsibilityAssignment)
class ResponsibilityAdmin(PlatformAdminOnly, admin.ModelAdmin):
    list_display = ["cluster", "area", "body", "responsibility"]
    list_filter = ["cluster", "area"]


# --- API tokens ----------------------------------------------------------------------------------------
# knox registers its own token model, which this platform swaps for ApiToken (KNOX_TOKEN_MODEL).
from knox.models import AuthToken as _KnoxAuthToken  # noqa: E402

if admin.site.is_registered(_KnoxAuthToken):
    admin.site.unregister(_KnoxAuthToken)


@admin.register(models.ApiToken)
class ApiTokenAdmin(PlatformAdminOnly, admin.ModelAdmin):
    """Tokens are listed by their first characters and person; the token itself exists only where it was shown.
    Integrations get theirs from POST /api/v1/auth/token/ with their account's password."""

    list_display = ["token_key", "user", "created", "expiry"]
    search_fields = ["token_key", "user__username"]
    readonly_fields = ["token_key", "user", "created", "expiry"]
    fields = tuple(readonly_fields)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
