"""通知设置 (/notifications/preferences/): the person chooses their channels — in-app always,
email, being named in their unit's 企业微信/钉钉 group-robot message where one is configured — and
sees the reminders they were sent lately."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from circulation.records.models import Person
from workflows.models import Reminder
from workflows.services.notification_preferences import preferences_of, set_preferences

RECENT = 20


class PreferencesForm(forms.Form):
    email = forms.BooleanField(label=_("电子邮件"), required=False)
    group_robot = forms.BooleanField(label=_("在本机构群机器人消息中点名"), required=False)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    person = request.user
    if not isinstance(person, Person):
        raise Http404
    current = preferences_of(person)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            set_preferences(
                person,
                email=form.cleaned_data["email"],
                # Without a robot the choice is not shown: keep what was saved.
                group_robot=form.cleaned_data["group_robot"]
                if current.robot_configured
                else current.group_robot,
            )
            messages.success(request, str(_("通知设置已保存。")))
            return HttpResponseRedirect(reverse("web:notification-preferences"), status=303)
    else:
        form = PreferencesForm(initial={"email": current.email, "group_robot": current.group_robot})
    recent = (
        Reminder.objects.filter(recipient=person)
        .select_related("notice")
        .only("id", "kind", "created_at", "notice__id", "notice__doc_number", "notice__title")
        .order_by("-created_at", "-id")[:RECENT]
    )
    context = {"form": form, "current": current, "recent": list(recent)}
    return render(request, "web/notifications/preferences.html", context)
