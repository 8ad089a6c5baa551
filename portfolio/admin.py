from django.contrib import admin

from .models import CooperationContract, Milestone, PortfolioRules, Project, Service, ServiceRequest


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "cluster", "category", "status", "phase", "budget", "expected_effect"]
    list_filter = ["cluster", "category", "status", "phase"]
    search_fields = ["title"]
    filter_horizontal = ["enterprises"]
    inlines = [MilestoneInline]


@admin.register(CooperationContract)
class CooperationContractAdmin(admin.ModelAdmin):
    list_display = ["subject", "supplier", "buyer", "annual_value", "start_date", "end_date"]
    list_filter = ["cluster"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "cluster", "provider", "price", "turnaround_days", "is_active"]
    list_filter = ["cluster", "is_active"]


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = ["service", "enterprise", "status", "priority", "requested_at", "due_at", "done_at"]
    list_filter = ["status"]


admin.site.register(PortfolioRules)
