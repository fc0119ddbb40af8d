"""The budgets page's deduction-rule form keeps concurrent edits (issue #15): a rule opened for a
change carries the version it was read at; when somebody else saved the rule meanwhile, the
save is refused (409) on the form with what was typed kept and a link to the current rule, and
a read proves nothing changed. Against the real indicators service."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import GatewayClient, ServiceHarness
from tests.gateway.test_grant_year_flow import HTML, api, text

FORM = {
    "grant": "suishin",
    "grant_fy": "2027",
    "item_code": "Ⅲ-②",
    "threshold": "30",
    "points": "-10",
    "wording": "試験の記載",
    "state": "provisional",
    "source_document": "試験の資料",
    "source_page": "16",
}
SAVE = "/indicators/budgets/deduction"


def form_values(page: str) -> dict[str, str]:
    """The deduction form's inputs as the page renders them (name → value)."""
    form = page.split('action="/indicators/budgets/deduction"')[1].split("</form>")[0]
    values = {
        m.group(1): m.group(2)
        for m in re.finditer(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)
    }
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        values[name] = chosen.group(1) if chosen else ""
    return {k: v for k, v in values.items() if k != "csrf_token"}


async def open_rule(gw: GatewayClient, key: str) -> dict[str, str]:
    page = await gw.get(f"/indicators/budgets?rule={key}", headers=HTML)
    assert page.status_code == 200, page.text
    return form_values(page.text)


async def test_a_rule_opened_then_saved_by_somebody_else_is_refused_and_kept(
    indicators: ServiceHarness, gateway_factory: Any
) -> None:
    alice, bob = await gateway_factory(), await gateway_factory(role="admin")
    created = await alice.post(SAVE, data=FORM, headers=HTML)
    assert created.status_code == 303, created.text
    (rule,) = await api(indicators, "/deduction-rules")
    assert rule["version"] == 1
    # both open the rule: the form carries what is stored and the version read
    read_by_alice = await open_rule(alice, "suishin:2027")
    read_by_bob = await open_rule(bob, "suishin:2027")
    assert read_by_alice == read_by_bob
    assert read_by_alice["version"] == "1" and read_by_alice["grant_fy"] == "2027"
    assert (read_by_alice["threshold"], read_by_alice["points"]) == ("30", "-10")
    assert (read_by_alice["grant"], read_by_alice["state"]) == ("suishin", "provisional")
    # Bob saves first
    bobs = await bob.post(SAVE, data={**read_by_bob, "points": "-8"}, headers=HTML)
    assert bobs.status_code == 303, bobs.text
    before = await api(indicators, "/deduction-rules")
    assert [(r["points"], r["version"]) for r in before] == [(-8, 2)]
    # Alice saves what she typed over the version she read: refused on the form, kept
    typed = {**read_by_alice, "threshold": "25", "wording": "アリスの記載"}
    r = await alice.post(SAVE, data=typed, headers=HTML)
    assert r.status_code == 409
    message = text(r.text.split('id="deduction-message"')[1].split("</div>")[0])
    assert "2027年度の減点の規則は他の人が更新しました" in message
    assert "読み込み直" in message and "最新の規則を開く" in message
    assert 'href="/indicators/budgets?rule=suishin:2027#h-deduction-form"' in r.text
    kept = form_values(r.text)
    assert (kept["threshold"], kept["wording"], kept["version"]) == ("25", "アリスの記載", "1")
    assert kept["grant"] == "suishin" and kept["source_document"] == "試験の資料"
    assert await api(indicators, "/deduction-rules") == before
    # reloading gives Bob's rule and the current version; saved with it, Alice's change is in
    again = await open_rule(alice, "suishin:2027")
    assert (again["points"], again["version"]) == ("-8", "2")
    ok = await alice.post(SAVE, data={**again, "threshold": "25"}, headers=HTML)
    assert ok.status_code == 303, ok.text
    (after,) = await api(indicators, "/deduction-rules")
    assert (after["threshold"], after["points"], after["version"]) == (0.25, -8, 3)


async def test_a_new_rule_for_a_year_that_has_one_is_refused_and_kept(
    indicators: ServiceHarness, gateway: GatewayClient
) -> None:
    """The empty form (no version) for a year whose rule exists: 409, not an overwrite."""
    assert (await gateway.post(SAVE, data=FORM, headers=HTML)).status_code == 303
    before = await api(indicators, "/deduction-rules")
    r = await gateway.post(SAVE, data={**FORM, "points": "-3"}, headers=HTML)
    assert r.status_code == 409
    message = text(r.text.split('id="deduction-message"')[1].split("</div>")[0])
    assert "既にあります" in message and "最新の規則を開く" in message
    assert form_values(r.text)["points"] == "-3"
    assert await api(indicators, "/deduction-rules") == before


async def test_the_table_links_each_rule_to_its_form(
    indicators: ServiceHarness, gateway_factory: Any
) -> None:
    coordinator, viewer = await gateway_factory(), await gateway_factory(role="viewer")
    assert (await coordinator.post(SAVE, data=FORM, headers=HTML)).status_code == 303
    page = await coordinator.get("/indicators/budgets", headers=HTML)
    row = page.text.split('id="deduction-suishin-2027"')[1].split("</tr>")[0]
    assert 'href="/indicators/budgets?rule=suishin:2027#h-deduction-form"' in row
    assert form_values(page.text)["version"] == ""  # the empty form makes a new rule
    opened = await coordinator.get("/indicators/budgets?rule=suishin:2027", headers=HTML)
    assert "(版 1)" in text(opened.text.split('id="h-deduction-form"')[1].split("</h3>")[0])
    seen = await viewer.get("/indicators/budgets?rule=suishin:2027", headers=HTML)
    assert seen.status_code == 200 and "?rule=suishin:2027" not in seen.text
