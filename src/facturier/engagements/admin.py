"""Engagements in the admin: shown, never changed there (they change in the app, through
the actions, with their audit rows)."""

from django.contrib import admin

from .letter_models import EngagementLetter, EngagementLetterEmail, LetterTemplate
from .models import (
    BilledPeriod,
    Budget,
    BudgetAlert,
    BudgetThresholds,
    Engagement,
    IndexValue,
    Mission,
    Revision,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Engagement)
class EngagementAdmin(ReadOnly):
    list_display = ["reference", "client", "responsible", "start_date", "end_date", "version"]
    list_select_related = ["client", "responsible"]
    search_fields = ["reference"]


@admin.register(Mission)
class MissionAdmin(ReadOnly):
    list_display = ["name", "engagement", "fee_kind", "annual_fee", "frequency", "timing"]
    list_select_related = ["engagement"]


@admin.register(BilledPeriod)
class BilledPeriodAdmin(ReadOnly):
    list_display = ["mission", "period_start", "period_end", "amount", "version", "invoice"]
    list_select_related = ["mission", "invoice"]


@admin.register(Revision)
class RevisionAdmin(ReadOnly):
    list_display = ["engagement", "effective_date", "percent", "factor"]


@admin.register(IndexValue)
class IndexValueAdmin(ReadOnly):
    list_display = ["name", "date", "value", "firm"]


@admin.register(LetterTemplate)
class LetterTemplateAdmin(ReadOnly):
    list_display = ["name", "language", "firm", "updated_at"]


@admin.register(EngagementLetter)
class EngagementLetterAdmin(ReadOnly):
    list_display = ["engagement", "version", "language", "status", "day", "signed_on"]
    list_select_related = ["engagement"]
    exclude = ["pdf", "signed_pdf"]


@admin.register(EngagementLetterEmail)
class EngagementLetterEmailAdmin(ReadOnly):
    list_display = ["letter", "status", "attempts", "created_at", "sent_at"]
    list_select_related = ["letter__engagement"]


@admin.register(Budget)
class BudgetAdmin(ReadOnly):
    list_display = ["mission", "year", "hours", "fees"]
    list_select_related = ["mission"]


@admin.register(BudgetAlert)
class BudgetAlertAdmin(ReadOnly):
    list_display = ["mission", "year", "threshold", "hours_percent", "value_percent", "sent_to"]
    list_select_related = ["mission", "sent_to"]


@admin.register(BudgetThresholds)
class BudgetThresholdsAdmin(ReadOnly):
    list_display = ["firm", "first", "second"]
