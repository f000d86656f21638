"""Filters for the record templates: ISO 8601 strings of the record data → display text."""

from datetime import date, datetime

from django import template

register = template.Library()

EMPTY = "—"


@register.filter
def record_time(value: str | None) -> str:
    """``2022-10-10T09:30:12+08:00`` → ``2022-10-10 09:30`` (already local time)."""
    if not value:
        return EMPTY
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")


@register.filter
def record_seconds(value: str | None) -> str:
    """``2022-10-10T09:30:12+08:00`` → ``2022-10-10 09:30:12``."""
    if not value:
        return EMPTY
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S")


@register.filter
def record_date(value: str | None) -> str:
    """``2022-09-29`` → ``2022年9月29日`` (the way 成文日期 is written on 公文)."""
    if not value:
        return EMPTY
    day = date.fromisoformat(value[:10])
    return f"{day.year}年{day.month}月{day.day}日"


@register.filter
def thousands(value: int) -> str:
    return f"{value:,}"
