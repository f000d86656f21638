"""Who may see and do what: recipients act only on their own acknowledgements; others get 404."""

from typing import Any

import pytest

from circulation.records import roles
from circulation.records.models import AuditEvent, Notice
from circulation.records.roles import CLERK
from tests.builders import Bureau
from tests.factories import OrganisationFactory, PersonFactory
from tests.helpers import ack_of, circulating_notice

pytestmark = pytest.mark.django_db


def test_staff_of_another_unit_cannot_see_or_act(bureau: Bureau, api: Any) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG",))
    target = ack_of(notice, "gyg_1")
    stranger = api(bureau.person("zxfw_1"))

    assert stranger.get(f"/api/v1/notices/{notice.pk}/").status_code == 404
    assert stranger.get("/api/v1/notices/").json()["count"] == 0
    for verb in ("read", "confirm"):
        answer = stranger.post(f"/api/v1/acknowledgements/{target.pk}/{verb}/")
        assert answer.status_code == 404
        assert answer.json()["code"] == "not_found"
    assert (
        stranger.post(
            f"/api/v1/acknowledgements/{target.pk}/return/", {"reason": "x"}, format="json"
        ).status_code
        == 404
    )
    target.refresh_from_db()
    assert target.state == "pending"


def test_recipient_sees_the_notice_but_cannot_forward_or_withdraw(bureau: Bureau, api: Any) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG",))
    staff = api(bureau.person("gyg_1"))
    assert staff.get(f"/api/v1/notices/{notice.pk}/").status_code == 200
    forward = staff.post(
        f"/api/v1/notices/{notice.pk}/forward/", {"units": ["ZXFW"]}, format="json"
    )
    assert forward.status_code == 403
    # the 403 names the permission by its labels in circulation/records/roles.py
    assert forward.json()["detail"] == f"您没有{roles.FORWARD_NOTICE.label}的权限"
    assert forward.json()["errors"][0]["message_en"] == "You are not allowed to forward notices"
    assert (
        staff.post(
            f"/api/v1/notices/{notice.pk}/withdraw/", {"reason": "x"}, format="json"
        ).status_code
        == 403
    )
    assert staff.get(f"/api/v1/notices/{notice.pk}/history/").status_code == 403
    assert staff.get("/api/v1/audit/verify/").status_code == 403
    assert Notice.objects.get(pk=notice.pk).state == "circulating"


def test_unit_head_sees_own_unit_progress_only(bureau: Bureau, api: Any) -> None:
    notice = circulating_notice(bureau.clerk, units=("GYG", "ZXFW"))
    head = api(bureau.person("gyg_head"))
    detail = head.get(f"/api/v1/notices/{notice.pk}/").json()
    assert [row["unit"] for row in detail["progress_by_unit"]] == ["GYG"]
    assert api(bureau.person("bgs_head")).get(f"/api/v1/notices/{notice.pk}/").status_code == 404
    clerk_view = api(bureau.clerk).get(f"/api/v1/notices/{notice.pk}/").json()
    assert [row["unit"] for row in clerk_view["progress_by_unit"]] == ["GYG", "ZXFW"]


def test_clerk_of_another_organisation_gets_404(bureau: Bureau, api: Any) -> None:
    notice = circulating_notice(bureau.clerk)
    other_org = OrganisationFactory(name="漯河市工业和信息化局")
    other_clerk = PersonFactory(username="other_clerk", organisation=other_org, roles=[CLERK])
    client = api(other_clerk)
    assert client.get(f"/api/v1/notices/{notice.pk}/").status_code == 404
    assert (
        client.post(
            f"/api/v1/notices/{notice.pk}/withdraw/", {"reason": "x"}, format="json"
        ).status_code
        == 404
    )
    assert Notice.objects.get(pk=notice.pk).state == "circulating"


def test_anonymous_requests_are_refused(bureau: Bureau, api: Any) -> None:
    anonymous = api()
    for url in ("/api/v1/notices/", "/api/v1/acknowledgements/", "/api/v1/units/"):
        answer = anonymous.get(url)
        assert answer.status_code == 401
        assert answer.json()["detail_en"]
    assert anonymous.get("/api/schema/").status_code == 200
    assert anonymous.get("/api/docs/").status_code == 200


def test_session_posts_need_csrf(bureau: Bureau) -> None:
    from django.test import Client

    notice = circulating_notice(bureau.clerk)
    ack = ack_of(notice, "gyg_1")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(ack.person)
    answer = browser.post(f"/api/v1/acknowledgements/{ack.pk}/read/")
    assert answer.status_code == 403
    ack.refresh_from_db()
    assert ack.state == "pending"
    assert not AuditEvent.objects.filter(action="ack.read").exists()


def test_people_and_units_are_listed_for_the_organisation(bureau: Bureau, api: Any) -> None:
    client = api(bureau.person("gyg_1"))
    units = client.get("/api/v1/units/").json()
    assert {u["code"] for u in units} == {"BGS", "GYG", "ZXFW"}
    gyg = next(u for u in units if u["code"] == "GYG")
    assert (gyg["kind"], gyg["kind_label"], gyg["head"]) == ("section", "股室", "gyg_head")
    people = client.get("/api/v1/people/?unit=gyg").json()["results"]
    assert [p["username"] for p in people] == ["gyg_1", "gyg_2", "gyg_3", "gyg_head"]
    assert people[0]["units"] == ["GYG"]


def test_the_models_declare_their_permissions_from_the_roles_module() -> None:
    """One place for each permission: codename, labels and the description Django stores."""
    from django.contrib.auth.models import Permission

    from circulation.records.models import HandlingCase

    declared = set(Notice._meta.permissions) | set(HandlingCase._meta.permissions)
    assert declared == {
        (perm.codename, perm.description)
        for perm in (*roles.NOTICE_PERMISSIONS, *roles.HANDLING_PERMISSIONS)
    }
    granted = {perm for perms in roles.ROLE_PERMISSIONS.values() for perm in perms}
    for perm in granted:  # every permission a role is given exists, and has both labels
        app, codename = perm.name.split(".")
        assert Permission.objects.filter(content_type__app_label=app, codename=codename).exists()
        assert perm.label
        assert perm.label_en
