"""登记收文 (the clerk's register page), the 发文字号 check as it is typed, 从文件导入 (a file or
pasted text → the form pre-filled, each field marked with its confidence and source line; the
file kept as the notice's first attachment), and the attachments step. Thin over
``workflows.services.registration`` and ``circulation.intake`` exactly as the API: the form only
carries the text to the service, whose errors are shown at their fields in the current
language."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from circulation.client_ip import client_ip
from circulation.intake import service as intake
from circulation.intake import staging
from circulation.intake.extraction import Extraction
from circulation.intake.layout import map_addressees
from circulation.records.actors import Actor
from circulation.records.doc_number import DocNumberError, parse_doc_number
from circulation.records.errors import DomainError, InvalidInput
from circulation.records.models import ConfirmMethod, Handling, Notice, Person, Urgency
from circulation.records.selectors import visible_notices
from circulation.records.validation import DOC_NUMBER
from workflows.services import registration
from workflows.services.attachments import ATTACHABLE, add_attachment

# 密级 as the clerk sees them: the two allowed, then the three the service refuses (shown so
# that choosing one explains why instead of hiding the choice).
SECRECY_CHOICES = [
    ("public", _("公开")),
    ("internal", _("内部")),
    ("秘密", _("秘密（不得在本系统办理）")),
    ("机密", _("机密（不得在本系统办理）")),
    ("绝密", _("绝密（不得在本系统办理）")),
]


def in_language(error: DomainError) -> str:
    """The service's message in the page's language (zh ``.message``, en ``.message_en``)."""
    return error.message_en if (get_language() or "").startswith("en") else error.message


def signed_in(request: HttpRequest) -> Person:
    user = request.user
    if not isinstance(user, Person):  # login_required runs first
        raise PermissionDenied
    return user


def web_actor(request: HttpRequest) -> Actor:
    return Actor(user=signed_in(request), ip=client_ip(request), method=ConfirmMethod.SESSION)


def classified_reason() -> str:
    """Why 秘密/机密/绝密 are refused: the service's own message, word for word."""
    try:
        registration.refuse_classified("秘密")
    except InvalidInput as refusal:
        return in_language(refusal)
    return ""  # pragma: no cover - the service always refuses 秘密


class RegisterForm(forms.Form):
    """The fields of the API's ``NoticeCreateSerializer``; the service checks every rule."""

    doc_number = forms.CharField(
        label=_("发文字号"),
        max_length=DOC_NUMBER.max_length,
        help_text=_("如 舞工信〔2022〕25号；方括号、圆括号、“第”、前导零会自动更正"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    title = forms.CharField(label=_("标题"), widget=forms.TextInput(attrs={"autocomplete": "off"}))
    issuer = forms.CharField(label=_("发文机关"))
    doc_type = forms.CharField(label=_("文种"), required=False, help_text=_("如 通知、意见"))
    addressees = forms.CharField(label=_("主送机关"), required=False)
    issued_on = forms.DateField(
        label=_("成文日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    secrecy = forms.ChoiceField(label=_("密级"), choices=SECRECY_CHOICES, initial="internal")
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices)
    handling = forms.ChoiceField(label=_("办理方式"), choices=Handling.choices)
    forwards = forms.CharField(
        label=_("转发文件"),
        required=False,
        help_text=_("转发的上级文件标题，每行一个"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    instruction = forms.CharField(
        label=_("传阅要求"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    body = forms.CharField(
        label=_("正文"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        number = self.fields["doc_number"].widget
        number.attrs.update(
            {
                "hx-get": "/register/check-number/",
                "hx-trigger": "keyup changed delay:400ms, change",
                "hx-target": "#doc-number-check",
                "hx-swap": "innerHTML",
                "aria-describedby": "id_doc_number_helptext doc-number-check",
            }
        )
        self.fields["secrecy"].widget.attrs["aria-describedby"] = "secrecy-reason"

    def notice_input(self) -> registration.NoticeInput:
        data = self.cleaned_data
        return registration.NoticeInput(
            doc_number=data["doc_number"],
            title=data["title"],
            issuer=data["issuer"],
            secrecy=data["secrecy"],
            urgency=data["urgency"],
            handling=data["handling"],
            doc_type=data["doc_type"],
            addressees=data["addressees"],
            issued_on=data["issued_on"],
            instruction=data["instruction"],
            body=data["body"],
            forwards=[line for line in data["forwards"].splitlines() if line.strip()],
        )


def _require_register(user: Person) -> None:
    if not user.has_perm("records.register_notice"):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """登记收文: on success the attachments step of the new notice."""
    user = signed_in(request)
    _require_register(user)
    form = RegisterForm(request.POST or None)
    duplicate: dict[str, Any] | None = None
    staged = staging.staged(request.session, request.POST.get("import_token", ""))
    if request.method == "POST" and form.is_valid():
        try:
            result = registration.register_notice(web_actor(request), form.notice_input())
        except DomainError as error:
            field = error.field if error.field in form.fields else None
            form.add_error(field, in_language(error))
            if error.code == "duplicate":
                duplicate = error.extra
        else:
            if staged is not None:
                _attach_staged(request, result.notice.pk, staged)
            elif request.POST.get("import_token"):
                messages.warning(
                    request, str(_("导入的文件已不在（例如在另一浏览器中导入），请在此重新上传。"))
                )
            return redirect("web:register-attachments", pk=result.notice.pk)
    return render(
        request,
        "web/register/register.html",
        {
            "form": form,
            "classified_reason": classified_reason(),
            "duplicate": duplicate,
            "staged": staged,
        },
        status=400 if form.errors else 200,
    )


def _attach_staged(request: HttpRequest, notice_id: int, staged: staging.Staged) -> None:
    """The imported file as the new notice's first attachment (the attachment service's rules);
    a refusal is said on the next page — the notice stays registered."""
    try:
        with staged.path.open("rb") as stream:
            add_attachment(web_actor(request), notice_id, staged.name, stream, staged.size)
    except DomainError as error:
        messages.warning(request, f"{_('导入的文件未能作为附件保存：')}{in_language(error)}")
    finally:
        staging.discard(request.session)


# --- 从文件导入 ---------------------------------------------------------------------------------

# What the page says of each field: an icon and words, never colour alone.
CONFIDENCE = {
    "high": ("✔", _("可信度高")),
    "medium": ("?", _("可信度中，请核对")),
    "low": ("⚠", _("可信度低，请核对")),
}
MARKED_FIELDS = (
    "doc_number", "title", "issuer", "doc_type", "addressees", "issued_on", "secrecy",
    "urgency", "forwards", "body",
)  # fmt: skip
REQUIRED_FIELDS = {"doc_number", "title", "issuer"}
# Not required to register, but every 公文 has them: a missing one is said, not left blank.
OPTIONAL_READ_FIELDS = {"doc_type", "addressees", "issued_on"}
SECRECY_INITIAL = {"secret": "秘密", "confidential": "机密", "top_secret": "绝密"}
UNIT_KIND_WORDS = {
    "leadership": _("领导班子"),
    "section": _("全部股室"),
    "institution": _("全部二级机构"),
}


def _marks(extraction: Extraction) -> dict[str, dict[str, Any]]:
    english = (get_language() or "").startswith("en")
    marks: dict[str, dict[str, Any]] = {}
    for key in MARKED_FIELDS:
        found = extraction.fields.get(key)
        if found is None or found.value in (None, "", []):
            if key in REQUIRED_FIELDS:
                marks[key] = {"level": "missing", "icon": "✎", "label": _("未识别，请填写")}
            elif key == "secrecy":
                marks[key] = {"level": "missing", "icon": "✎", "label": _("文件未标注，请选择")}
            elif key in OPTIONAL_READ_FIELDS:
                marks[key] = {"level": "missing", "icon": "✎", "label": _("未识别，可补填")}
            continue
        icon, label = CONFIDENCE.get(found.confidence, CONFIDENCE["low"])
        marks[key] = {
            "level": found.confidence,
            "icon": icon,
            "label": label,
            "line": found.line,
            "note": found.note_en if english else found.note,
        }
    return marks


def _initial(extraction: Extraction) -> dict[str, Any]:
    data = extraction.notice_data()
    initial = {
        key: data[key]
        for key in ("doc_number", "title", "issuer", "doc_type", "addressees", "urgency", "body")
        if key in data
    }
    if "issued_on" in data:
        initial["issued_on"] = data["issued_on"]
    if data.get("forwards"):
        initial["forwards"] = "\n".join(data["forwards"])
    secrecy = data.get("secrecy")
    if secrecy:
        initial["secrecy"] = SECRECY_INITIAL.get(secrecy, secrecy)
    return initial


def _imported_form(extraction: Extraction, marks: dict[str, dict[str, Any]]) -> RegisterForm:
    form = RegisterForm(initial=_initial(extraction))
    number = form.fields["doc_number"].widget.attrs
    number["hx-trigger"] = f"{number['hx-trigger']}, load"  # explain the corrections at once
    for key in marks:
        field = form.fields[key]
        helptext = f"id_{key}_helptext" if field.help_text else ""
        described = field.widget.attrs.get("aria-describedby", helptext)
        field.widget.attrs["aria-describedby"] = f"{described} id_{key}_confidence".strip()
    return form


def _addressee_hint(extraction: Extraction) -> str:
    found = extraction.fields.get("addressees")
    return "" if found is None else _kinds_and_units(found.extra)


def _kinds_and_units(mapping: dict[str, Any]) -> str:
    """全部股室、工业股: what a 主送机关 names of our organisation, for the forward step."""
    names = [str(UNIT_KIND_WORDS[kind]) for kind in mapping.get("unit_kinds", [])]
    names += mapping.get("unit_names", [])
    return "、".join(names)


@csrf_exempt  # checked below, after the role: the CSRF check reads the multipart body
@login_required
@require_POST
def import_document(request: HttpRequest) -> HttpResponse:
    """从文件导入: the register page again, its form pre-filled from the file or pasted text."""
    user = signed_in(request)
    _require_register(user)  # before a byte of the upload is read
    return csrf_protect(_import_document)(request)


def _import_document(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    upload = request.FILES.get("file")
    text = request.POST.get("text", "")
    context: dict[str, Any] = {"classified_reason": classified_reason(), "pasted": text}
    try:
        if upload is not None:
            data = upload.read()
            extraction = intake.extract_upload(user, upload.name or "", data)
        elif text.strip():
            extraction = intake.extract_pasted(user, text)
        else:
            raise InvalidInput(
                "请选择文件或粘贴文字", "Choose a file or paste the text", field="file"
            )
    except DomainError as error:
        context.update(form=RegisterForm(), import_error=in_language(error))
        status = 200 if request.headers.get("HX-Request") else 400  # htmx swaps only a 2xx
        return render(request, "web/register/register.html", context, status=status)
    staged = staging.stage(request.session, upload.name or "", data) if upload else None
    if upload is None:
        staging.discard(request.session)
    marks = _marks(extraction)
    english = (get_language() or "").startswith("en")
    context.update(
        form=_imported_form(extraction, marks),
        marks=marks,
        extraction=extraction,
        staged=staged,
        missing=[str(RegisterForm.base_fields[m["field"]].label) for m in extraction.missing],
        warnings=[w["message_en"] if english else w["message"] for w in extraction.warnings],
        addressee_hint=_addressee_hint(extraction),
    )
    return render(request, "web/register/register.html", context)


@login_required
@require_GET
def check_number(request: HttpRequest) -> HttpResponse:
    """The fragment under the 发文字号 as it is typed: the normalised form and each correction,
    the registration it duplicates (with a link), or why it cannot be read."""
    user = signed_in(request)
    _require_register(user)
    text = request.GET.get("doc_number", "")
    context: dict[str, Any] = {"text": text}
    if text.strip():
        try:
            parsed = parse_doc_number(text)
        except DocNumberError as error:
            context["error"] = in_language(
                InvalidInput(error.message, error.message_en, code=error.code)
            )
        else:
            english = (get_language() or "").startswith("en")
            context["parsed"] = parsed
            context["corrections"] = [
                c.message_en if english else c.message for c in parsed.corrections
            ]
            organisation = user.organisation
            # The service's own duplicate rule (a notice returned at 初审 does not count).
            conflict = (
                None if organisation is None else registration._duplicate(organisation, parsed)
            )
            if conflict is not None:
                existing_id = conflict.extra["existing_id"]
                context["duplicate"] = {
                    "id": existing_id,
                    "registration_no": conflict.extra["existing_registration_no"],
                    "doc_number": conflict.extra["existing_doc_number"],
                    "title": Notice.objects.filter(pk=existing_id)
                    .values_list("title", flat=True)
                    .first(),
                    "message": in_language(conflict),
                }
    return render(request, "web/register/check_number.html", context)


@login_required
@require_GET
def attachments(request: HttpRequest, pk: int) -> HttpResponse:
    """附件: the drop zone (uploads go to the API with the session) and what is attached."""
    user = signed_in(request)
    _require_register(user)
    notice = (
        visible_notices(user).filter(pk=pk).prefetch_related("attachments").first()
    )  # another organisation's notice → 404, as in the API
    if notice is None:
        raise Http404
    # The 主送机关 as our units (全部股室 …), to choose them on the forward step.
    addressee_hint = (
        _kinds_and_units(
            map_addressees(notice.addressees, intake.organisation_units(user.organisation))
        )
        if notice.addressees
        else ""
    )
    return render(
        request,
        "web/register/attachments.html",
        {
            "notice": notice,
            "addressee_hint": addressee_hint,
            "attachable": notice.state in ATTACHABLE,
            "upload_url": f"/api/v1/notices/{notice.pk}/attachments/",
        },
    )
