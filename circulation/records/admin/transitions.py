"""办理按钮: state-machine transitions on an admin change page, run through the services.

The admin never calls a model's transition method: each button POSTs (with CSRF) to
``<pk>/transition/<name>/``, whose view builds an :class:`Actor` and calls the same service
function the API uses. The service locks the row, checks the state and the role, and writes the
audit event; a :class:`DomainError` is shown as "中文 / English" and nothing changes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django_fsm import can_proceed

from circulation.client_ip import client_ip
from circulation.records.actors import Actor
from circulation.records.errors import DomainError
from circulation.records.models import ConfirmMethod, Person


@dataclass(frozen=True)
class TransitionInput:
    """What the button form posts: one text (reason or comment) and an optional password."""

    text: str = ""
    password: str = ""


Runner = Callable[[Actor, Any, TransitionInput], object]


@dataclass(frozen=True)
class AdminTransition:
    name: str
    """URL segment, e.g. ``withdraw``."""
    label: str
    """Button label, zh-hans first."""
    fsm_method: str
    """The model's transition method; used only to ask ``can_proceed`` for the current state."""
    run: Runner
    """Calls the service; never the model's transition method."""
    success: str
    needs_text: bool = False
    danger: bool = False


def admin_actor(request: HttpRequest) -> Actor:
    user = request.user
    if not isinstance(user, Person):
        raise PermissionDenied
    return Actor(user=user, ip=client_ip(request), method=ConfirmMethod.ADMIN)


class TransitionAdminMixin(admin.ModelAdmin):
    """Adds transition buttons to the change page and the URL they post to."""

    change_form_template = "admin/records/transition_change_form.html"

    class Media:
        # The buttons' colours (a <button> gets none of Django's link or input styles).
        css = {"all": ("records/admin.css",)}

    transitions: tuple[AdminTransition, ...] = ()
    transition_text_label = "原因 Reason"
    transition_help = ""

    # --- hooks for subclasses -----------------------------------------------------------------
    def transition_refusal(self, request: HttpRequest, obj: Any) -> str | None:
        """Why ``request.user`` may not act on ``obj`` at all (None: they may)."""
        return None

    def transition_extra_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        return {}

    # --- rendering ----------------------------------------------------------------------------
    def available_transitions(self, request: HttpRequest, obj: Any) -> list[AdminTransition]:
        """Buttons valid for the object's current state, for a user who may act on it."""
        if obj is None or not self.has_change_permission(request, obj):
            return []
        if self.transition_refusal(request, obj) is not None:
            return []
        return [t for t in self.transitions if can_proceed(getattr(obj, t.fsm_method))]

    def transition_url(self, obj: Any, name: str) -> str:
        opts = self.opts
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_transition",
            args=[quote(obj.pk), name],
            current_app=self.admin_site.name,
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = dict(extra_context or {})
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            buttons = self.available_transitions(request, obj)
            context["transitions"] = [
                {
                    "name": t.name,
                    "label": t.label,
                    "url": self.transition_url(obj, t.name),
                    "needs_text": t.needs_text,
                    "danger": t.danger,
                }
                for t in buttons
            ]
            context["transition_text_label"] = self.transition_text_label
            context["transition_needs_text"] = any(t.needs_text for t in buttons)
            context["transition_help"] = self.transition_help
            context["transition_refusal"] = self.transition_refusal(request, obj)
            context.update(self.transition_extra_context(request, obj))
        return super().change_view(request, object_id, form_url, extra_context=context)

    # --- the POST endpoint --------------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        opts = self.opts
        own = [
            path(
                "<path:object_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name=f"{opts.app_label}_{opts.model_name}_transition",
            )
        ]
        # Before the catch-all "<path:object_id>/" of the default URLs.
        return own + super().get_urls()

    def transition_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        transition = next((t for t in self.transitions if t.name == name), None)
        if transition is None:
            raise Http404
        back = redirect(
            reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=[quote(obj.pk)],
                current_app=self.admin_site.name,
            )
        )
        refusal = self.transition_refusal(request, obj)
        if refusal is not None:
            messages.error(request, refusal)
            return back
        data = TransitionInput(
            text=request.POST.get("text", ""),
            password=request.POST.get("password", ""),
        )
        try:
            transition.run(admin_actor(request), obj, data)
        except DomainError as exc:
            messages.error(request, f"{exc.message} / {exc.message_en}")
            return back
        self.log_change(
            request, obj, f"{transition.label}（{data.text}）" if data.text else transition.label
        )
        messages.success(request, transition.success)
        return back


class ReadOnlyRecordMixin:
    """Records made only by the services: shown, never added, edited or deleted in the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        declared = list(getattr(self, "readonly_fields", ()))
        model: type[models.Model] = self.model  # type: ignore[attr-defined]
        names = [f.name for f in model._meta.concrete_fields] + [
            f.name for f in model._meta.many_to_many
        ]
        return declared + [name for name in names if name not in declared]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Nothing to save: every field is read-only (changes go through the services)."""

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> TemplateResponse:
        context.update(
            show_save=False, show_save_and_continue=False, show_save_and_add_another=False
        )
        return super().render_change_form(request, context, *args, **kwargs)  # type: ignore[misc]
