"""工作日历 admin: holidays and 调休 working days that override the computed calendar."""

from django.contrib import admin

from workflows.models import CalendarDay


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "is_working_day", "name")
    list_filter = ("is_working_day",)
    search_fields = ("name",)
    date_hierarchy = "date"
    ordering = ("-date",)
