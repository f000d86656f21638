"""传阅统计 ``GET /api/v1/stats/?from=&to=``: the dashboard's numbers as JSON.

The page /dashboard/ calls the same selector (:func:`circulation.records.stats.circulation_stats`),
so the two always agree. For the clerks, the administrators and the organisation's leaders.
"""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from circulation.api.actor import actor_from
from circulation.records.errors import Forbidden
from circulation.records.stats import (
    CirculationStats,
    Counts,
    circulation_stats,
    may_see_stats,
    parse_period,
)


def _counts(counts: Counts) -> dict[str, Any]:
    return {
        "total": counts.total,
        "confirmed": counts.confirmed,
        "returned": counts.returned,
        "overdue": counts.overdue,
        "late": counts.late,
        "confirmation_rate": counts.rate,
        "median_hours_to_confirm": counts.median_hours,
    }


def stats_json(stats: CirculationStats) -> dict[str, Any]:
    return {
        "from": stats.period.start.isoformat(),
        "to": stats.period.end.isoformat(),
        **_counts(stats.overall),
        "by_unit": [
            {"unit": row.code, "unit_name": row.name, **_counts(row)} for row in stats.by_unit
        ],
        "by_week": [
            {
                "week_start": row.week_start.isoformat(),
                "total": row.total,
                "confirmed": row.confirmed,
                "confirmation_rate": row.rate,
            }
            for row in stats.by_week
        ],
        "most_reminded": [
            {"unit": row.code, "unit_name": row.name, "reminders": row.reminders}
            for row in stats.most_reminded
        ],
    }


_COUNT_FIELDS: dict[str, serializers.Field[Any, Any, Any, Any]] = {
    "total": serializers.IntegerField(help_text="接收人数（不含已撤回）/ recipients"),
    "confirmed": serializers.IntegerField(help_text="已确认 / confirmed"),
    "returned": serializers.IntegerField(help_text="已退回 / returned"),
    "overdue": serializers.IntegerField(help_text="逾期未办 / open past the deadline"),
    "late": serializers.IntegerField(help_text="逾期后确认 / confirmed after the deadline"),
    "confirmation_rate": serializers.FloatField(
        allow_null=True, help_text="确认率（%，一位小数）/ confirmed of recipients, per cent"
    ),
    "median_hours_to_confirm": serializers.FloatField(
        allow_null=True, help_text="传阅到确认的中位小时数 / median hours forward → confirmation"
    ),
}

StatsSchema = inline_serializer(
    "CirculationStats",
    {
        "from": serializers.DateField(),
        "to": serializers.DateField(),
        **_COUNT_FIELDS,
        "by_unit": inline_serializer(
            "UnitStats",
            {
                "unit": serializers.CharField(),
                "unit_name": serializers.CharField(),
                **_COUNT_FIELDS,
            },
            many=True,
        ),
        "by_week": inline_serializer(
            "WeekStats",
            {
                "week_start": serializers.DateField(help_text="周一 / Monday"),
                "total": serializers.IntegerField(),
                "confirmed": serializers.IntegerField(),
                "confirmation_rate": serializers.FloatField(allow_null=True),
            },
            many=True,
        ),
        "most_reminded": inline_serializer(
            "ReminderCount",
            {
                "unit": serializers.CharField(),
                "unit_name": serializers.CharField(),
                "reminders": serializers.IntegerField(),
            },
            many=True,
        ),
    },
)


class StatsView(APIView):
    """传阅统计: confirmation rate by unit and by week, overdue and late counts, the median hours
    from forward to confirmation, the most-reminded units. Acknowledgements count in the period
    of the day they were forwarded (Asia/Shanghai); reminders of the days they were sent."""

    @extend_schema(
        operation_id="stats",
        parameters=[
            OpenApiParameter("from", str, required=False, description="YYYY-MM-DD，默认 8 周前"),
            OpenApiParameter("to", str, required=False, description="YYYY-MM-DD，默认今天"),
        ],
        responses=StatsSchema,
    )
    def get(self, request: Request) -> Response:
        user = actor_from(request).user
        if not may_see_stats(user) or user.organisation_id is None:
            raise Forbidden(
                "只有收发员、管理员和领导班子成员可以查看统计",
                "Only clerks, administrators and leaders may see the statistics",
                code="permission_denied",
            )
        period = parse_period(request.query_params.get("from"), request.query_params.get("to"))
        return Response(stats_json(circulation_stats(user.organisation_id, period)))
