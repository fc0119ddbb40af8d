"""Participants' e-mail addresses per role (issue #12), in the JSON reads and the exports:
coordinators and admins see all; municipality staff their own (another municipality's
records are not theirs at all); an advisor those of the municipalities their token's signed
``adv`` claim names (the gateway fills it from support_cases: the municipalities of the
advisor's cases); viewers, API clients and advisors elsewhere get the records without them."""

from __future__ import annotations

import csv
import io

import httpx
import openpyxl
import pytest

from services.common.actor import Actor, Role, mint_token
from tests.helpers import TEST_SECRET
from tests.training.factories import CHIYODA, CHUO, HACHIOJI, program, register, session

ALL = {HACHIOJI, CHIYODA}

# (label, role, own municipality, advised municipalities, whose e-mails it sees, whose records)
CASES = [
    ("admin", "admin", None, (), ALL, ALL),
    ("coordinator", "coordinator", None, (), ALL, ALL),
    ("advisor of 八王子市's case", "advisor", None, (HACHIOJI,), {HACHIOJI}, ALL),
    ("advisor of two cases", "advisor", None, (HACHIOJI, CHIYODA), ALL, ALL),
    ("advisor of another case", "advisor", None, (CHUO,), set(), ALL),
    ("advisor without a case", "advisor", None, (), set(), ALL),
    ("municipality, own", "municipality", HACHIOJI, (), {HACHIOJI}, {HACHIOJI}),
    ("municipality, other", "municipality", CHUO, (), set(), set()),
    ("viewer", "viewer", None, (), set(), ALL),
    ("api_client", "api_client", None, (), set(), ALL),
]


def client_as(app, role: str, municipality: str | None, advised: tuple[str, ...]):
    a = Actor(
        id=f"u-{role}",
        name=f"テスト {role}",
        role=Role(role),
        municipality_code=municipality,
        advised=advised,
    )
    token = mint_token(TEST_SECRET, a, ttl_seconds=600)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://training",
        headers={"Authorization": f"Bearer {token}"},
    )


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _xlsx_rows(content: bytes) -> list[list[object]]:
    wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return [list(row) for row in wb.worksheets[0].iter_rows(values_only=True)]


def _emails_by_code(rows: list[list], header: list) -> dict[str, set[str]]:
    """{municipality code: the e-mail cells of its rows} of an export (header row first)."""
    code_at, mail_at = header.index("区市町村コード"), header.index("メールアドレス")
    out: dict[str, set[str]] = {}
    for row in rows:
        out.setdefault(str(row[code_at]), set()).add(str(row[mail_at] or ""))
    return out


@pytest.fixture
async def seeded(training):
    """A session with two of 八王子市 (one waitlisted) and one of 千代田区."""
    async with training.client() as c:
        p = await program(c)
        s = await session(c, p["id"], capacity=2)
        ids = []
        for n, code in ((1, HACHIOJI), (2, CHIYODA), (3, HACHIOJI)):
            r = await register(c, s["id"], n, code=code)
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        regs = (await c.get(f"/api/v1/sessions/{s['id']}/registrations")).json()
        assert {r["municipality_code"] for r in regs} == ALL
        assert all("@" in r["email"] for r in regs)
        assert any(r["status"] == "waitlisted" for r in regs)
    return training, s["id"], ids


@pytest.mark.parametrize(
    "label, role, municipality, advised, sees, records", CASES, ids=[c[0] for c in CASES]
)
async def test_participants_contact_details_per_role(
    seeded, label, role, municipality, advised, sees, records
) -> None:
    training, session_id, ids = seeded
    async with client_as(training.app, role, municipality, advised) as c:
        listed = (await c.get(f"/api/v1/sessions/{session_id}/registrations")).json()
        everyone = (await c.get("/api/v1/registrations")).json()
        one = [await c.get(f"/api/v1/registrations/{i}") for i in ids]
        csv_r = await c.get(f"/api/v1/sessions/{session_id}/participants.csv")
        xlsx_r = await c.get(f"/api/v1/sessions/{session_id}/participants.xlsx")
    assert csv_r.status_code == 200 and xlsx_r.status_code == 200, label
    for regs in (listed, everyone):
        assert {r["municipality_code"] for r in regs} == records, label
        for r in regs:
            shown = r["email"] is not None
            assert shown is (r["municipality_code"] in sees), (label, r)
            if shown:
                assert r["email"].endswith(f"@{r['municipality_code']}.example.jp")
    for r in one:
        if r.status_code == 404:  # another municipality's record: not theirs at all
            assert role == "municipality", label
            continue
        body = r.json()
        assert (body["email"] is not None) is (body["municipality_code"] in sees), label
    for rows in (_csv_rows(csv_r.content), _xlsx_rows(xlsx_r.content)):
        by_code = _emails_by_code(rows[1:], rows[0])
        assert set(by_code) == records, label
        for code, cells in by_code.items():
            if code in sees:
                assert all(c.endswith(f"@{code}.example.jp") for c in cells), (label, code)
            else:
                assert cells == {""}, (label, code)
        text = "\n".join(str(v) for row in rows for v in row if v)
        hidden = {code for code in records - sees}
        assert not any(f"@{code}." in text for code in hidden), label
