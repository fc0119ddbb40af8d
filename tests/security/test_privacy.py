"""Privacy rules (README, roles table), enforced in the services themselves:

- personal data — an applicant's contact person (name, e-mail, phone) in support_cases, a
  training participant's e-mail address — is visible only to coordinators, admins, the
  municipality it belongs to and advisors of that municipality's case (training: by the
  municipalities the gateway signs into the advisor's token, see
  tests/training/test_contact_details.py); viewers, API clients and advisors elsewhere get the
  records without it, in the JSON and in the exports (CSV, XLSX);
- published indicator scores of every municipality are readable by every signed-in role.
"""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest

from services.common.access import sees_contact_details
from tests.conftest import GatewayFactory, ServiceHarness
from tests.helpers import actor

OWN = "132012"  # 八王子市: an application and registrations in the demo data
OTHER = "131016"  # 千代田区
CONTACT = {
    "contact_name": "八王子 太郎",
    "contact_email": "kaigo@example.lg.jp",
    "contact_phone": "042-000-0000",
}
SEES = [("admin", None), ("coordinator", None), ("municipality", OWN)]
BLIND = [("viewer", None), ("api_client", None)]


class TestKernelRule:
    @pytest.mark.parametrize(
        "role, municipality, advised, expected",
        [
            ("admin", None, (), True),
            ("coordinator", None, (), True),
            ("municipality", OWN, (), True),
            ("municipality", OTHER, (), False),
            ("advisor", None, (OWN,), True),
            ("advisor", None, (OTHER,), False),
            ("advisor", None, (), False),
            ("viewer", None, (OWN,), False),
            ("api_client", None, (OWN,), False),
        ],
    )
    def test_who_sees_contact_details(self, role, municipality, advised, expected) -> None:
        assert sees_contact_details(actor(role, municipality), OWN, advised=advised) is expected

    def test_a_record_without_a_municipality_shows_them_to_staff_only(self) -> None:
        assert sees_contact_details(actor("coordinator"), None)
        assert not sees_contact_details(actor("municipality", OWN), None)


async def _application_with_contact(h: ServiceHarness) -> int:
    async with h.client() as c:
        app = next(
            a for a in (await c.get("/api/v1/applications")).json() if a["municipality_code"] == OWN
        )
        r = await c.patch(
            f"/api/v1/applications/{app['id']}", json={**CONTACT, "version": app["version"]}
        )
        assert r.status_code == 200, r.text
        return app["id"]


async def test_application_contact_details_per_role(demo: dict[str, ServiceHarness]) -> None:
    h = demo["support_cases"]
    app_id = await _application_with_contact(h)
    for role, municipality in SEES:
        async with h.client(role, municipality) as c:
            one = (await c.get(f"/api/v1/applications/{app_id}")).json()
            assert {k: one[k] for k in CONTACT} == CONTACT, role
            listed = next(
                a for a in (await c.get("/api/v1/applications")).json() if a["id"] == app_id
            )
            assert {k: listed[k] for k in CONTACT} == CONTACT, role
    for role, municipality in BLIND:
        async with h.client(role, municipality) as c:
            one = await c.get(f"/api/v1/applications/{app_id}")
            assert one.status_code == 200, role
            body = one.json()
            # the record, without the personal data; the department is not personal
            assert body["municipality_code"] == OWN and body["motivation"]
            assert {k: body[k] for k in CONTACT} == dict.fromkeys(CONTACT), role
            listing = (await c.get("/api/v1/applications")).json()
            assert listing and all(a[k] is None for a in listing for k in CONTACT), role
            fy = body["fiscal_year"]
            view = (await c.get(f"/api/v1/views/rounds/{fy}")).json()
            assert all(a[k] is None for a in view["applications"] for k in CONTACT), role
            assert "kaigo@example.lg.jp" not in (await c.get("/api/v1/applications")).text
    # Another municipality does not get the record at all; an advisor reads no applications.
    async with h.client("municipality", OTHER) as c:
        assert (await c.get(f"/api/v1/applications/{app_id}")).status_code == 404
        assert all(
            a["municipality_code"] == OTHER for a in (await c.get("/api/v1/applications")).json()
        )
    async with h.client("advisor") as c:
        assert (await c.get(f"/api/v1/applications/{app_id}")).status_code == 404
        assert (await c.get("/api/v1/applications")).status_code == 403


async def _session_of_own(h: ServiceHarness) -> int:
    async with h.client() as c:
        regs = (await c.get("/api/v1/registrations", params={"municipality_code": OWN})).json()
        assert regs and all("@" in r["email"] for r in regs)
        return regs[0]["session_id"]


def _csv_cells(content: bytes) -> list[str]:
    rows = csv.reader(io.StringIO(content.decode("utf-8-sig")))
    return [cell for row in rows for cell in row]


def _xlsx_cells(content: bytes) -> list[str]:
    wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return [
        str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v
    ]


async def test_participant_emails_per_role_in_json_and_exports(
    demo: dict[str, ServiceHarness],
) -> None:
    h = demo["training"]
    session_id = await _session_of_own(h)
    for role, municipality in [*SEES, *BLIND, ("advisor", None), ("municipality", OTHER)]:
        async with h.client(role, municipality) as c:
            regs = (await c.get(f"/api/v1/sessions/{session_id}/registrations")).json()
            everyone = (await c.get("/api/v1/registrations")).json()
            csv_cells = _csv_cells(
                (await c.get(f"/api/v1/sessions/{session_id}/participants.csv")).content
            )
            xlsx = await c.get(f"/api/v1/sessions/{session_id}/participants.xlsx")
            assert xlsx.status_code == 200, (role, xlsx.text[:200])
            xlsx_cells = _xlsx_cells(xlsx.content)
        seen = [r for r in regs + everyone if r["email"] is not None]
        if role in ("admin", "coordinator"):
            assert regs and not [r for r in regs if r["email"] is None], role
            assert any("@" in cell for cell in csv_cells) and any("@" in c for c in xlsx_cells)
        elif role == "municipality":
            # their own people only, with e-mail (another municipality's: no records at all)
            assert all(r["municipality_code"] == municipality for r in regs + everyone), role
            assert len(seen) == len(regs + everyone), role
            emails = {r["email"] for r in regs}
            assert emails <= {c for c in csv_cells if "@" in c}, role
        else:
            assert regs and everyone, role  # the records, without the personal data
            assert seen == [], role
            assert not [c for c in csv_cells if "@" in c], role
            assert not [c for c in xlsx_cells if "@" in c], role


async def test_a_viewer_sees_the_participants_page_without_emails(
    demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
) -> None:
    session_id = await _session_of_own(demo["training"])
    viewer = await gateway_factory(role="viewer")
    page = await viewer.get(f"/training/sessions/{session_id}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "（非表示）" in page.text and ".example.lg.jp" not in page.text
    coordinator = await gateway_factory(role="coordinator")
    page = await coordinator.get(
        f"/training/sessions/{session_id}", headers={"Accept": "text/html"}
    )
    assert page.status_code == 200 and ".example.lg.jp" in page.text


async def _session_of_own_and_others(h: ServiceHarness) -> tuple[int, set[str]]:
    """A demo session with live registrations of 八王子市 and of other municipalities: its id
    and all the municipalities registered."""
    async with h.client() as c:
        regs = (await c.get("/api/v1/registrations")).json()
    by_session: dict[int, set[str]] = {}
    for r in regs:
        if r["status"] != "cancelled":
            by_session.setdefault(r["session_id"], set()).add(r["municipality_code"])
    return next((s, c) for s, c in by_session.items() if OWN in c and len(c) > 1)


def _shown(text: str) -> set[str]:
    """The municipalities whose participants' e-mail addresses (demo: …@<code>.example.lg.jp)
    appear in ``text``."""
    return set(re.findall(r"@(\d{6})\.example\.lg\.jp", text))


async def test_the_advisor_of_a_case_sees_its_participants_contacts_through_the_gateway(
    demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
) -> None:
    """The matrix's advisor (assigned to 八王子市's case in support_cases) logs in: the gateway
    signs 八王子市 into their service tokens, and training shows them the e-mail addresses of
    八王子市's participants and of no other municipality, on the page and in the participants
    export; the advisor of another municipality's case sees none of 八王子市's."""
    from tests.conftest import gateway_user, log_in
    from tests.security.test_matrix import service_params

    session_id, registered = await _session_of_own_and_others(demo["training"])
    support = await service_params("support_cases", demo["support_cases"])
    async with demo["support_cases"].client() as c:
        cases = (await c.get("/api/v1/cases")).json()
        own_case_advisors = {
            a["id"] for case in cases if case["municipality_code"] == OWN for a in case["advisors"]
        }
        # an advisor of another case only (demo: 世田谷区's)
        other_id, other_code = next(
            (a["id"], case["municipality_code"])
            for case in cases
            for a in case["advisors"]
            if a["id"] not in own_case_advisors
        )
        other_login = (await c.get(f"/api/v1/advisors/{other_id}")).json()["actor_id"]
    seen: dict[str, tuple[str, str]] = {}
    for login in (support["advisor_actor_id"], other_login):
        client = await gateway_factory(role=None)
        await gateway_user(client.app, "advisor", login=login)
        assert (await log_in(client, login)).status_code == 303
        page = await client.get(f"/training/sessions/{session_id}", headers={"Accept": "text/html"})
        assert page.status_code == 200, page.text[:300]
        export = await client.get(f"/training/sessions/{session_id}/files/participants.csv")
        assert export.status_code == 200, export.text[:300]
        seen[login] = (page.text, export.content.decode("utf-8-sig"))
    for text in seen[support["advisor_actor_id"]]:
        assert _shown(text) == {OWN}, _shown(text)
    page, export = seen[other_login]
    assert "（非表示）" in page
    for text in (page, export):
        assert _shown(text) == ({other_code} & registered), (other_code, _shown(text))


async def test_published_scores_of_every_municipality_are_readable_by_every_role(
    demo: dict[str, ServiceHarness],
) -> None:
    h = demo["indicators"]
    async with h.client() as c:
        fw = next(
            f for f in (await c.get("/api/v1/frameworks")).json() if f["level"] == "municipality"
        )
    for role, municipality in [*SEES, *BLIND, ("advisor", None), ("municipality", OTHER)]:
        async with h.client(role, municipality) as c:
            r = await c.get(f"/api/v1/frameworks/{fw['id']}/results")
            assert r.status_code == 200, role
            codes = {row["entity_code"] for row in _rows(r.json())}
            assert {OWN, OTHER} <= codes, (role, len(codes))


def _rows(data: object) -> list[dict]:
    if isinstance(data, dict):
        for key in ("entities", "results", "items"):
            if isinstance(data.get(key), list):
                return data[key]
    assert isinstance(data, list), str(data)[:200]
    return data
