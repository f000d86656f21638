"""机关隔离 in the admin: a clerk of organisation 乙, given every permission on our models, walks
EVERY registered ModelAdmin of our apps while organisation 甲 has data in each of them, and never
meets an object of 甲 — not in a changelist, a filter, a form's choices, autocomplete, a change,
history or delete page, a transition or an action. An admin that forgets the scoping fails here.

甲's data carries the character 甲 in every text it has, so a page that shows any of it shows 甲.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.db import connection, models
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from circulation.ackrecord.models import RecordRendition
from circulation.archive.models import ArchivedRecord, ItemCounter
from circulation.records.actors import Actor
from circulation.records.admin.scoping import UNDECLARED, OrganisationScopedAdmin
from circulation.records.admin.transitions import TransitionAdminMixin
from circulation.records.models import (
    AuditEvent,
    Notice,
    Organisation,
    Person,
    Unit,
    UnitKind,
)
from circulation.records.roles import CLERK, ROLE_PERMISSIONS, STAFF
from tests.factories import OrganisationFactory, PersonFactory, UnitFactory, member
from tests.helpers import small_pdf
from workflows.models import (
    CalendarDay,
    Delegation,
    DeliveryAttempt,
    Digest,
    ManualRemind,
    Message,
    MessageStatus,
    Notification,
    NotificationPreference,
    Reminder,
    ReminderPolicy,
    SweepRun,
    WebhookChannel,
)
from workflows.services.acknowledging import (
    confirm_acknowledgement,
    open_acknowledgement,
    return_acknowledgement,
)
from workflows.services.attachments import add_attachment
from workflows.services.forwarding import ForwardRequest, forward_notice
from workflows.services.registration import NoticeInput, register_notice

pytestmark = pytest.mark.django_db
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
OUR_APPS = {"records", "workflows", "ackrecord", "archive"}


@pytest.fixture(autouse=True)
def plain_static_files(settings: Any) -> None:
    """The test settings keep whitenoise's manifest storage, which needs collectstatic."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def our_admins() -> Iterator[tuple[type[models.Model], Any]]:
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in OUR_APPS:
            yield model, model_admin


@dataclass
class Org:
    org: Organisation
    clerk: Person
    unit: Unit
    notice: Notice


def build_org(marker: str, prefix: str, fonds: str, serial: int) -> Org:
    """An organisation whose every text carries ``marker``, with a row in each of our models."""
    org = OrganisationFactory(
        name=f"{marker}县工业和信息化局", short_name=f"{marker}工信局", fonds_code=fonds
    )
    unit = UnitFactory(organisation=org, code=f"{prefix}BGS", name=f"{marker}办公室")
    UnitFactory(
        organisation=org, code=f"{prefix}LD", name=f"{marker}领导班子", kind=UnitKind.LEADERSHIP
    )
    clerk = member(
        PersonFactory(
            username=f"{prefix}_clerk",
            display_name=f"{marker}收发员",
            organisation=org,
            email=f"{prefix}_clerk@example.cn",
            roles=[CLERK],
        ),
        unit,
    )
    staff = [
        member(
            PersonFactory(
                username=f"{prefix}_{i}",
                display_name=f"{marker}科员{i}",
                organisation=org,
                email=f"{prefix}_{i}@example.cn",
                roles=[STAFF],
            ),
            unit,
        )
        for i in (1, 2)
    ]
    unit.head = staff[0]
    unit.save(update_fields=["head"])
    org.filing_unit = unit
    org.save()

    actor = Actor(clerk)
    data = NoticeInput(
        doc_number=f"{marker}工信〔2023〕{serial}号",
        title=f"{marker}关于加强数字政府建设的通知",
        issuer=f"{marker}县人民政府",
        secrecy="public",
        instruction=f"{marker}请认真学习",
    )
    notice = register_notice(actor, data).notice
    pdf = small_pdf()
    add_attachment(actor, notice.pk, f"{marker}附件.pdf", io.BytesIO(pdf), len(pdf))
    forward_notice(actor, notice.pk, ForwardRequest(unit_codes=(unit.code,)))
    acks = {a.person.username: a for a in notice.acknowledgements.select_related("person")}
    open_acknowledgement(Actor(staff[0]), acks[staff[0].username].pk)
    confirm_acknowledgement(Actor(staff[0]), acks[staff[0].username].pk, comment=f"{marker}体会")
    return_acknowledgement(Actor(staff[1]), acks[staff[1].username].pk, f"{marker}误发")
    notice.refresh_from_db()

    now = timezone.now()
    digest = Digest.objects.create(
        recipient=staff[1],
        window_key=f"{prefix}-w1",
        created_at=now,
        title=f"{marker}催办汇总",
        body=f"{marker}内容",
    )
    robot = WebhookChannel.objects.create(
        organisation=org,
        unit=unit,
        name=f"{marker}群机器人",
        kind="wecom",
        url=f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={prefix}",
    )
    message = Message.objects.create(
        digest=digest,
        channel="email",
        address=f"{prefix}_2@example.cn",
        subject=f"{marker}催办",
        body=f"{marker}正文",
        status=MessageStatus.FAILED,
        attempts=6,
        last_error=f"{marker}发送失败",
    )
    Message.objects.create(
        digest=digest,
        channel="webhook",
        address=robot.url,
        webhook=robot,
        subject=f"{marker}群消息",
        body=f"{marker}正文",
    )
    DeliveryAttempt.objects.create(message=message, at=now, ok=False, error=f"{marker}错误")
    Notification.objects.create(
        person=staff[1],
        digest=digest,
        notice=notice,
        title=f"{marker}请阅知",
        created_at=now,
    )
    NotificationPreference.objects.create(person=staff[1], email=False)
    ReminderPolicy.objects.get_or_create(organisation=org)
    Reminder.objects.create(
        acknowledgement=acks[staff[1].username],
        notice=notice,
        kind="overdue",
        window_key=f"{prefix}-2023-01-02",
        recipient=staff[1],
        created_at=now,
        digest=digest,
    )
    ManualRemind.objects.create(notice=notice, requested_by=clerk, requested_at=now, recipients=1)
    Delegation.objects.create(
        principal=staff[0],
        delegate=staff[1],
        starts_at=now,
        ends_at=now + timedelta(days=1),
        reason=f"{marker}外出",
        created_by=staff[0],
    )
    rendition = RecordRendition.objects.create(
        id=uuid.uuid4(),
        notice=notice,
        content_hash=prefix * 32,
        file=f"records/2023/{prefix}.pdf",
        sha256="a" * 64,
        size=1,
        page_count=1,
        generated_by=clerk,
    )
    ArchivedRecord.objects.create(
        notice=notice,
        organisation=org,
        archival_code=f"{fonds}-WS·2023-D30-{unit.code}-0001",
        fonds_code=fonds,
        year=2023,
        retention="D30",
        unit=unit,
        unit_code=unit.code,
        item_no=1,
        doc_number=notice.doc_number,
        title=notice.title,
        issuer=notice.issuer,
        issued_on=date(2023, 3, 1),
        secrecy="public",
        remarks=f"{marker}备注",
        file=f"archive/{fonds}/2023/{prefix}.pdf",
        page_count=1,
        record_sha256="b" * 64,
        record_size=1,
        rendition_sha256=rendition.sha256,
        archived_at=now,
        archived_by=clerk,
        row_sha256="c" * 64,
        search_title=notice.title,
        search_text=notice.title,
    )
    ItemCounter.objects.create(
        fonds_code=fonds, year=2023, retention="D30", unit_code=unit.code, last_value=1
    )
    return Org(org=org, clerk=clerk, unit=unit, notice=notice)


def pks_by_model() -> dict[type[models.Model], set[Any]]:
    return {
        model: set(model._default_manager.values_list("pk", flat=True))
        for model, _admin in our_admins()
    }


@dataclass
class World:
    a: Org
    b: Org
    a_pks: dict[type[models.Model], set[Any]]
    """Every row of our models that existed once 甲 was built (before 乙): 甲's data."""
    b_pks: dict[type[models.Model], set[Any]]
    b_user: Person


@pytest.fixture
def world(db: Any) -> World:
    CalendarDay.objects.create(date=date(2031, 1, 1), is_working_day=False, name="元旦")
    SweepRun.objects.create(kind="reminders", started_at=timezone.now(), as_of=timezone.now())
    a = build_org("甲", "J", "Z101", 7)
    a_pks = pks_by_model()
    b = build_org("乙", "Y", "Z202", 8)
    after = pks_by_model()
    b_pks = {model: after[model] - a_pks[model] for model in after}
    # 乙's clerk may do everything the admin offers on our models (and reaches the admin).
    b_user = b.clerk
    b_user.is_staff = True
    b_user.save(update_fields=["is_staff"])
    b_user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=OUR_APPS))
    b_user = Person.objects.get(pk=b_user.pk)  # no stale permission cache
    return World(a=a, b=b, a_pks=a_pks, b_pks=b_pks, b_user=b_user)


def login(user: Person) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def url(model: type[models.Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def scoped(model_admin: Any) -> bool:
    return model_admin.organisation_path is not None


def admin_request(user: Person) -> Any:
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


# --- every admin is scoped, and the fixture covers every scoped model ----------------------------
def test_every_admin_of_our_apps_declares_its_organisation_scope(world: World) -> None:
    admins = list(our_admins())
    assert len(admins) >= 20
    for model, model_admin in admins:
        assert isinstance(model_admin, OrganisationScopedAdmin), model
        assert model_admin.organisation_path is not UNDECLARED, model
        if scoped(model_admin):  # 甲 and 乙 have rows, so a leak cannot hide behind no data
            assert world.a_pks[model], model
            assert world.b_pks[model], model


def test_other_apps_admins_are_for_superusers_only() -> None:
    """Groups, tokens, periodic tasks: not scoped, so no role may reach them."""
    granted = {perm.name for perms in ROLE_PERMISSIONS.values() for perm in perms}
    for model in admin.site._registry:
        if model._meta.app_label not in OUR_APPS:
            label = model._meta.app_label
            assert not {n for n in granted if n.startswith(f"{label}.")}, model


# --- pages ----------------------------------------------------------------------------------------
def test_changelists_show_only_the_users_organisation(world: World) -> None:
    client = login(world.b_user)
    for model, model_admin in our_admins():
        response = client.get(url(model, "changelist"))
        assert response.status_code == 200, model
        html = response.content.decode()
        assert "甲" not in html, model
        shown = set(response.context["cl"].queryset.values_list("pk", flat=True))
        if scoped(model_admin):
            assert shown == world.b_pks[model], model
            assert "乙" in html or model in {DeliveryAttempt, ItemCounter, Reminder}, model
        # Facet counts and the date hierarchy come from the same scoped rows.
        faceted = client.get(url(model, "changelist") + "?_facets=True")
        assert "甲" not in faceted.content.decode(), model


def test_filters_over_relations_list_only_the_users_objects(world: World) -> None:
    client = login(world.b_user)
    checked = 0
    for model, _model_admin in our_admins():
        response = client.get(url(model, "changelist"))
        changelist = response.context["cl"]
        for spec in changelist.filter_specs:
            labels = [str(choice["display"]) for choice in spec.choices(changelist)]
            assert not any("甲" in label for label in labels), (model, spec.title, labels)
            checked += len(labels)
        # Filtering by 甲's object through the URL finds nothing.
        if model is Notice:
            other = client.get(url(model, "changelist") + f"?id__exact={world.a.notice.pk}")
            assert not other.context["cl"].queryset.exists()
    assert checked >= 30  # unit, organisation, … filters were really looked at


def test_another_organisations_object_is_a_404_like_a_missing_one(world: World) -> None:
    client = login(world.b_user)
    for model, model_admin in our_admins():
        if not scoped(model_admin):
            continue
        a_pk = min(world.a_pks[model], key=str)
        missing = uuid.uuid4() if isinstance(a_pk, uuid.UUID) else 10**9
        for view in ("change", "history", "delete"):
            foreign = client.get(url(model, view, a_pk))
            absent = client.get(url(model, view, missing))
            assert foreign.status_code == absent.status_code, (model, view)
            assert foreign.status_code in (403, 404), (model, view)
            if view != "delete" or model_admin.has_delete_permission(admin_request(world.b_user)):
                assert foreign.status_code == 404, (model, view)
            assert "甲" not in foreign.content.decode(), (model, view)
        if isinstance(model_admin, TransitionAdminMixin):
            for transition in model_admin.transitions:
                response = client.post(
                    reverse(
                        f"admin:{model._meta.app_label}_{model._meta.model_name}_transition",
                        args=[a_pk, transition.name],
                    ),
                    {"text": "越权"},
                )
                assert response.status_code == 404, (model, transition.name)
    a_person = Person.objects.get(username="J_1")
    password = client.get(f"{url(Person, 'change', a_person.pk).removesuffix('change/')}password/")
    assert password.status_code == 404


def test_own_change_add_and_history_pages_offer_only_the_users_objects(world: World) -> None:
    client = login(world.b_user)
    for model, model_admin in our_admins():
        pks = (
            world.b_pks[model]
            if scoped(model_admin)
            else set(model._default_manager.values_list("pk", flat=True))
        )
        b_pk = min(pks, key=str)
        for view in ("change", "history", "delete"):
            response = client.get(url(model, view, b_pk))
            assert response.status_code in (200, 403), (model, view)
            assert "甲" not in response.content.decode(), (model, view)
        assert client.get(url(model, "change", b_pk)).status_code == 200, model
        try:
            add = url(model, "add")
        except NoReverseMatch:
            continue
        response = client.get(add)
        assert response.status_code in (200, 403), model
        assert "甲" not in response.content.decode(), model


def _choice_fields(form_class: Any) -> Iterator[tuple[str, Any]]:
    for name, field in form_class.base_fields.items():
        if isinstance(field, ModelChoiceField | ModelMultipleChoiceField):
            yield name, field


def test_form_choices_are_the_users_organisations_objects(world: World) -> None:
    """What a form accepts (also behind autocomplete and raw-id widgets), inlines included."""
    request = admin_request(world.b_user)
    a_objects = world.a_pks
    checked = 0
    for model, model_admin in our_admins():
        if not model_admin.has_change_permission(request) and not model_admin.has_add_permission(
            request
        ):
            continue
        obj = model._default_manager.filter(
            pk__in=world.b_pks[model] or model._default_manager.values("pk")
        ).first()
        forms = [model_admin.get_form(request, obj)]
        forms += [
            inline.get_formset(request, obj).form
            for inline in model_admin.get_inline_instances(request, obj)
        ]
        for form_class in forms:
            for name, field in _choice_fields(form_class):
                related = field.queryset.model
                if related in a_objects:
                    offered = set(field.queryset.values_list("pk", flat=True))
                    assert not offered & a_objects[related], (model, name)
                    checked += 1
    assert checked >= 8


def test_autocomplete_offers_only_the_users_objects(world: World) -> None:
    client = login(world.b_user)
    checked = 0
    for model, model_admin in our_admins():
        sources = [(model, model_admin)] + [
            (inline.model, inline)
            for inline in model_admin.get_inline_instances(admin_request(world.b_user))
        ]
        for source_model, source_admin in sources:
            for field_name in source_admin.autocomplete_fields:
                response = client.get(
                    reverse("admin:autocomplete"),
                    {
                        "term": "",
                        "app_label": source_model._meta.app_label,
                        "model_name": source_model._meta.model_name,
                        "field_name": field_name,
                    },
                )
                assert response.status_code == 200, (source_model, field_name)
                assert "甲" not in response.content.decode("unicode_escape"), (model, field_name)
                results = response.json()["results"]
                related = source_model._meta.get_field(field_name).remote_field.model
                ids = {str(pk) for pk in world.a_pks[related]}
                assert not {row["id"] for row in results} & ids, (source_model, field_name)
                assert results, (source_model, field_name)  # 乙's own objects are offered
                checked += 1
    assert checked >= 6


def test_actions_skip_another_organisations_rows(world: World) -> None:
    client = login(world.b_user)
    a_message = Message.objects.get(pk__in=world.a_pks[Message], status=MessageStatus.FAILED)
    b_message = Message.objects.get(pk__in=world.b_pks[Message], status=MessageStatus.FAILED)
    response = client.post(
        url(Message, "changelist"),
        {"action": "retry_selected", ACTION_CHECKBOX_NAME: [a_message.pk, b_message.pk]},
    )
    assert response.status_code == 302
    a_message.refresh_from_db()
    b_message.refresh_from_db()
    assert a_message.status == MessageStatus.FAILED  # untouched
    assert b_message.status != MessageStatus.FAILED  # 乙's own message is queued again

    a_robot = WebhookChannel.objects.get(pk__in=world.a_pks[WebhookChannel])
    client.post(
        url(WebhookChannel, "changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [a_robot.pk], "post": "yes"},
    )
    assert WebhookChannel.objects.filter(pk=a_robot.pk).exists()


def test_a_form_refuses_another_organisations_object(world: World) -> None:
    """Posting 甲's person into 乙's unit membership is refused, not saved."""
    client = login(world.b_user)
    a_person = Person.objects.get(username="J_1")
    response = client.post(
        reverse("admin:records_membership_add"),
        {"person": a_person.pk, "unit": world.b.unit.pk, "is_primary": "on"},
    )
    assert response.status_code == 200  # the form again, with an error
    assert not a_person.memberships.filter(unit=world.b.unit).exists()
    response = client.post(
        reverse("admin:workflows_webhookchannel_add"),
        {
            "organisation": world.a.org.pk,
            "name": "越权机器人",
            "kind": "wecom",
            "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
        },
    )
    assert response.status_code == 200
    assert not WebhookChannel.objects.filter(name="越权机器人").exists()


def test_a_superuser_still_sees_every_organisation(world: World) -> None:
    root = Person.objects.create_superuser("root", "root@example.cn", "pw-123456789")
    client = login(root)
    html = client.get(url(Notice, "changelist")).content.decode()
    assert "甲关于加强数字政府建设的通知" in html
    assert "乙关于加强数字政府建设的通知" in html
    assert client.get(url(Notice, "change", world.a.notice.pk)).status_code == 200


def test_a_staff_user_without_an_organisation_sees_nothing(world: World) -> None:
    nobody = PersonFactory(username="nobody", organisation=None, roles=[CLERK])
    nobody.is_staff = True
    nobody.save(update_fields=["is_staff"])
    nobody.user_permissions.set(Permission.objects.filter(content_type__app_label__in=OUR_APPS))
    client = login(Person.objects.get(pk=nobody.pk))
    for model, model_admin in our_admins():
        if scoped(model_admin):
            response = client.get(url(model, "changelist"))
            assert not response.context["cl"].queryset.exists(), model


def test_the_official_calendar_is_shared(world: World) -> None:
    """The calendar belongs to no organisation: 乙's clerk sees every day of it."""
    response = login(world.b_user).get(url(CalendarDay, "changelist"))
    shown = set(response.context["cl"].queryset.values_list("pk", flat=True))
    assert shown == set(CalendarDay.objects.values_list("pk", flat=True))


def test_the_audit_check_button_counts_the_users_organisation(world: World) -> None:
    from django.contrib.messages import get_messages

    response = login(world.b_user).post(reverse("admin:records_auditevent_verify"))
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    count = len(world.b_pks[AuditEvent])
    assert count < AuditEvent.objects.count()
    assert f"已校验 {count} 条事件" in message


def test_changelist_queries_do_not_grow_with_another_organisations_rows(
    world: World, django_assert_num_queries: Any
) -> None:
    client = login(world.b_user)
    urls = [url(model, "changelist") for model, _admin in our_admins()]
    for page in urls:  # warm per-process caches (content types, …)
        client.get(page)
    baseline = {}
    for page in urls:
        with CaptureQueriesContext(connection) as queries:
            client.get(page)
        baseline[page] = len(queries)
    for serial in range(3):  # 丙, 丁, 戊: more of everything, none of it 乙's
        build_org("丙丁戊"[serial], f"X{serial}", f"Z30{serial}", 20 + serial)
    for page in urls:
        with django_assert_num_queries(baseline[page]):
            assert client.get(page).status_code == 200, page
