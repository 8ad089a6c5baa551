from django.contrib import admin

from .models import Milestone, PortfolioRules, Project


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


admin.site.register(PortfolioRules)
