"""``/archive/``: completed notices waiting to be archived, oldest first, with the state of their
阅知确认单; ``/archive/notices/<id>/``: the archive form — 保管期限, filing unit, the 档号 that
will be assigned (previewed, not taken), then ``archiving.archive_notice`` (四性 checks, sealing).
A refused archiving shows the 四性 report; a sealed record opens its record page."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from circulation.ackrecord.models import RecordRendition, RenderRequest
from circulation.archive.codes import Retention
from circulation.archive.models import ArchivedRecord
from circulation.records.errors import DomainError, NotVisible
from circulation.records.models import Notice, Person, Unit
from circulation.web.views.archive.common import (
    archivist,
    in_language,
    organisation_id,
    report_view,
    web_actor,
)
from workflows.machines import NoticeState
from workflows.services import archiving

QUEUE_PAGE = 50
DEFAULT_RETENTION = Retention.THIRTY_YEARS


@login_required
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    user = archivist(request)
    notices = (
        Notice.objects.filter(organisation_id=organisation_id(user), state=NoticeState.COMPLETED)
        .annotate(
            has_record=Exists(RecordRendition.objects.filter(notice=OuterRef("pk"))),
            render_queued=Exists(
                RenderRequest.objects.filter(notice=OuterRef("pk"), failed_at__isnull=True)
            ),
            render_failed=Exists(
                RenderRequest.objects.filter(notice=OuterRef("pk"), failed_at__isnull=False)
            ),
        )
        .only("id", "doc_number", "title", "issuer", "completed_at", "received_at")
        .order_by("completed_at", "pk")
    )
    page = Paginator(notices, QUEUE_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/archive/queue.html", {"page": page, "notices": page.object_list})


def _units(user: Person) -> list[Unit]:
    return list(
        Unit.objects.filter(organisation_id=organisation_id(user))
        .only("id", "code", "name")
        .order_by("sort_order", "code")
    )


def _completed(user: Person, pk: int) -> Notice:
    notice = (
        Notice.objects.select_related("organisation")
        .filter(organisation_id=organisation_id(user), pk=pk)
        .first()
    )
    if notice is None:
        raise Http404
    return notice


def _preview(
    request: HttpRequest, user: Person, pk: int, retention: str, unit: str
) -> dict[str, Any]:
    """The previewed 档号, or why none can be made (a field's error)."""
    try:
        code = archiving.preview_archival_code(
            web_actor(request, user), pk, retention=retention, unit_code=unit or None
        )
    except NotVisible as exc:
        raise Http404 from exc
    except DomainError as exc:
        return {"preview": "", "preview_error": in_language(exc)}
    return {"preview": code, "preview_error": ""}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def archive_form(request: HttpRequest, pk: int) -> HttpResponse:
    user = archivist(request)
    notice = _completed(user, pk)
    if notice.state == NoticeState.ARCHIVED:
        record = ArchivedRecord.objects.filter(notice=notice).only("archival_code").first()
        if record is not None:
            return redirect(reverse("web:archive-record", args=[record.archival_code]))
    if notice.state != NoticeState.COMPLETED:
        raise Http404
    organisation = notice.organisation
    default_unit = organisation.filing_unit.code if organisation.filing_unit else ""
    data = request.POST if request.method == "POST" else request.GET
    retention = data.get("retention", DEFAULT_RETENTION)[:10]
    unit = data.get("unit", default_unit)[:16]
    context: dict[str, Any] = {
        "notice": notice,
        "units": _units(user),
        "retentions": Retention.choices,
        "retention": retention,
        "unit": unit,
        "errors": {},
        "error": "",
        "report": None,
    }
    status = 200
    if request.method == "POST":
        previewed = request.POST.get("previewed", "")[:64]
        try:
            record = archiving.archive_notice(
                web_actor(request, user), pk, retention=retention, unit_code=unit or None
            )
        except NotVisible as exc:
            raise Http404 from exc
        except DomainError as exc:
            status = exc.status
            if exc.field in {"retention", "unit"}:
                context["errors"] = {exc.field: in_language(exc)}
            else:
                context["error"] = in_language(exc)
            if isinstance(exc, archiving.ArchiveChecksFailed):
                context["report"] = report_view(exc.extra.get("checks"))
        else:
            if previewed and previewed != record.archival_code:
                messages.warning(
                    request,
                    _("已归档，档号 %(code)s。预览的 %(previewed)s 已在此期间被他人归档占用。")
                    % {"code": record.archival_code, "previewed": previewed},
                )
            else:
                messages.success(
                    request, _("已归档，档号 %(code)s。") % {"code": record.archival_code}
                )
            return redirect(reverse("web:archive-record", args=[record.archival_code]))
    context |= _preview(request, user, pk, retention, unit)
    return render(request, "web/archive/form.html", context, status=status)


@login_required
@require_safe
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The 档号 preview alone, swapped in when the 保管期限 or the unit changes."""
    user = archivist(request)
    _completed(user, pk)
    context = _preview(
        request, user, pk, request.GET.get("retention", "")[:10], request.GET.get("unit", "")[:16]
    )
    return render(request, "web/archive/_preview.html", context)
