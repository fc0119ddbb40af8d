"""The views' rules as pure functions (ranking, impact comparison, PDCA metrics, sorting), and
the grant report's prefecture code for a prefecture other than Tokyo."""

from dataclasses import dataclass
from datetime import date

import httpx

from gateway.clients.support_cases import RoundView
from gateway.clients.training import Stats
from gateway.views.candidates import rank_candidates
from gateway.views.context import ViewContext
from gateway.views.dashboard import Row, sort_rows
from gateway.views.grant_report import choose_frameworks, grant_report, prefecture_code
from gateway.views.impact import before_after, compare_changes, linked_items
from gateway.views.parts import Parts
from gateway.views.pdca import by_year, metric_value, parse_metric, year_windows
from services.common.actor import SYSTEM_COORDINATOR
from services.common.fiscal import fiscal_year_of
from services.common.registry import get_registry
from tests.conftest import GatewayFactory
from tests.gateway.test_shell import RecordingTransport

TOKYO = get_registry("13")
FY = fiscal_year_of(date.today())


def parts(**values: object) -> Parts:
    p = Parts()
    p.values.update(values)
    return p


@dataclass
class Fw:
    id: int
    grant: str
    level: str
    grant_fy: int
    evaluation_fy: int


class TestPrefectureCode:
    def test_osaka_is_270008_and_tokyo_130001(self) -> None:
        assert prefecture_code(get_registry("27"), "27") == "270008"
        assert prefecture_code(TOKYO, "13") == "130001"
        assert prefecture_code(get_registry("01"), "01") == "010006"

    async def test_grant_report_of_osaka_asks_for_osakas_own_results(
        self, demo, gateway_factory: GatewayFactory
    ) -> None:
        recorder = RecordingTransport(httpx.ASGITransport(app=demo["indicators"].app))
        gw = await gateway_factory({"indicators": recorder})
        osaka = get_registry("27")
        ctx = ViewContext(gw.app.state.services, osaka, gw.app.state.settings, SYSTEM_COORDINATOR)
        recorder.requests.clear()  # logging in opened the dashboard
        report = await grant_report(ctx, FY)
        # One indicators read, for Osaka; the service reads the prefecture's own results by
        # its registry code with the check digit (tests/indicators/test_view_endpoints.py).
        asked = [r.url.params.get("prefecture") for r in recorder.requests]
        assert [r.url.path for r in recorder.requests] == ["/api/v1/views/grant-report"]
        assert asked == ["27"]
        assert report.prefecture["code"] == "270008" and report.prefecture["name"] == "大阪府"
        assert report.municipalities[0]["code"].startswith("27")


class TestChooseFrameworks:
    def test_newest_of_the_year_or_earlier_per_grant_and_level(self) -> None:
        fws = [
            Fw(1, "suishin", "municipality", 2023, 2022),
            Fw(2, "suishin", "municipality", 2024, 2023),
        ]
        fws += [
            Fw(3, "suishin", "municipality", 2026, 2025),
            Fw(4, "suishin", "prefecture", 2022, 2021),
        ]
        chosen = choose_frameworks(fws, 2025)
        assert {k: f.id for k, f in chosen.items()} == {
            ("suishin", "municipality"): 2,
            ("suishin", "prefecture"): 4,
        }


def _entity(code: str, rate: float, peer: str = "都市型") -> dict[str, object]:
    return {
        "entity_code": code,
        "score_rate": rate,
        "peer_set": "peer_type",
        "peer_group": peer,
        "categories": [{"code": "Ⅱ", "score_rate": rate}],
    }


class TestRankCandidates:
    def test_applicants_first_then_weakest_against_peers(self) -> None:
        # 八王子 132012, 立川 132021, 武蔵野 132039, 三鷹 132047 (all 市部)
        latest = [
            {
                "grant": "suishin",
                "entities": [
                    _entity("132012", 0.60),
                    _entity("132021", 0.40),
                    _entity("132039", 0.80),
                    _entity("132047", 0.30),
                ],
                "summary": {"top_categories": ["Ⅱ"]},
            }
        ]
        apps = [
            {"id": 1, "municipality_code": "132012", "status": "希望"},
            {"id": 2, "municipality_code": "132021", "status": "希望"},
        ]
        view = RoundView(
            fiscal_year=2025,
            round={"targets_by_region_class": {"市部": 1}},
            summary=None,
            applications=apps,
            cases=[],
        )
        p = parts(round=view, latest=latest)
        out = rank_candidates(TOKYO, 2025, p, priority=["Ⅱ"], low_threshold=0.35)
        order = [r["code"] for r in out["candidates"][:4]]
        assert order == ["132021", "132012", "132047", "132039"]
        assert out["suggested"] == ["132021"], "only applicants are suggested"
        mitaka = next(r for r in out["candidates"] if r["code"] == "132047")
        assert mitaka["weakness"] == 22.5 and not mitaka["applied"]
        assert any("低得点の目安 35%以下" in why for why in mitaka["reasons"])
        # the peer type shown is the one the service grouped by (its setting), not the
        # registry's default: 三鷹市 set to 大都市型 here; unscored ones: unknown
        assert mitaka["peer_type"] == "都市型"
        latest[0]["entities"][3]["peer_group"] = "大都市型"
        again = rank_candidates(
            TOKYO, 2025, parts(round=view, latest=latest), priority=["Ⅱ"], low_threshold=0.35
        )
        by_code = {r["code"]: r for r in again["candidates"]}
        assert by_code["132047"]["peer_type"] == "大都市型"
        assert by_code["131016"]["peer_type"] is None

    def test_a_region_class_without_applicants_is_a_shortfall(self) -> None:
        empty = RoundView(fiscal_year=2025, round=None, summary=None, applications=[], cases=[])
        p = parts(round=empty, latest=None)
        out = rank_candidates(TOKYO, 2025, p, priority=[], low_threshold=0.3)
        assert out["suggested"] == []
        assert out["shortfall_by_region_class"] == {"区部": 1, "市部": 1, "町村部": 1}
        assert out["indicators_available"] is False


class TestImpact:
    def test_linked_items_leave_out_cancelled_cases_and_other_themes(self) -> None:
        cases = [
            {"municipality_code": "132012", "status": "実施・検証", "theme": "介護予防",
             "fiscal_year": 2024, "indicator_item_codes": ["Ⅱ(1)①"]},
            {"municipality_code": "132021", "status": "中止", "theme": "介護予防",
             "fiscal_year": 2023, "indicator_item_codes": ["Ⅱ(1)②"]},
            {"municipality_code": "132039", "status": "選定", "theme": "認知症",
             "fiscal_year": 2025, "indicator_item_codes": ["Ⅲ①"]},
        ]  # fmt: skip
        linked, start = linked_items(cases, "介護予防")
        assert linked == {"Ⅱ(1)①": {"132012"}} and start == 2024

    def test_before_and_after_the_first_support_year(self) -> None:
        fws = [
            Fw(1, "suishin", "municipality", 2023, 2022),
            Fw(2, "suishin", "municipality", 2025, 2024),
        ]
        assert {g: (b.id, a.id) for g, (b, a) in before_after(fws, 2024).items()} == {
            "suishin": (1, 2)
        }
        assert before_after(fws, 2025) == {}, "no result evaluated after support began"

    def test_supported_against_three_unsupported_peers(self) -> None:
        pair = {
            "suishin": (
                Fw(1, "suishin", "municipality", 2023, 2022),
                Fw(2, "suishin", "municipality", 2025, 2024),
            )
        }
        diffs = {"132012": 10.0, "132021": 2.0, "132039": 4.0, "132047": 0.0, "131016": 50.0}
        types = dict.fromkeys(diffs, "都市型") | {"131016": "大都市型"}

        def comp_of(types: dict[str, str]) -> dict[str, object]:
            return {
                "entities": [
                    {"entity_code": c, "peer_type": types[c], "items": [{"code": "X", "diff": d}]}
                    for c, d in diffs.items()
                ]
            }

        [item] = compare_changes(TOKYO, {"X": {"132012"}}, pair, [comp_of(types)])
        assert item["supported"] == {"count": 1, "mean_change": 10.0}
        # 千代田区 (大都市型) is not a peer of 八王子市 (都市型)
        assert item["unsupported_peers"] == {"count": 3, "mean_change": 2.0}
        assert item["enough_data"] is True and item["note"] is None
        # the peer type is the compare answer's (the prefecture's setting), not the registry's
        [item] = compare_changes(
            TOKYO, {"X": {"132012"}}, pair, [comp_of(types | {"131016": "都市型"})]
        )
        assert item["unsupported_peers"] == {"count": 4, "mean_change": 14.0}


class TestPdcaMetrics:
    def test_parse(self) -> None:
        assert parse_metric("training.completers:ケア会議:2018-2020") == (
            "training.completers", "ケア会議", [2018, 2019, 2020],
        )  # fmt: skip
        assert parse_metric("training.completers:x:2020-2018") is None
        assert parse_metric("nonsense") is None

    def test_sum_over_the_years_with_the_queries_read(self) -> None:
        st = {
            y: Stats(fiscal_year=y, sessions_held_by_kind={"k": 1}, completers_by_kind={"k": n})
            for y, n in ((2018, 3), (2019, 4))
        }
        p = parts(**{f"stats:{y}": s for y, s in st.items()})
        out = metric_value("training.completers:k:2018-2019", p)
        assert out["value"] == 7
        assert out["queries"] == [
            "training: GET /api/v1/stats?fiscal_year=2018",
            "training: GET /api/v1/stats?fiscal_year=2019",
        ]

    def test_one_read_per_eleven_years_spread_by_year(self) -> None:
        assert year_windows([2018, 2019, 2020]) == [(2018, 2020)]
        assert year_windows([2030, 2018, 2028, 2029]) == [(2018, 2028), (2029, 2030)]
        assert year_windows([]) == []
        gathered = parts(
            **{
                "stats:2018-2019": [Stats(fiscal_year=2018), Stats(fiscal_year=2019)],
                "round:2018-2019": {
                    2018: {"advisor_dispatches": 3},
                    2019: {"advisor_dispatches": 4},
                },
                "round:2020-2020": {2020: None},
            }
        )
        gathered.unavailable = ["indicators"]
        spread = by_year(gathered)
        assert sorted(spread.values) == [
            "round:2018", "round:2019", "round:2020", "stats:2018", "stats:2019",
        ]  # fmt: skip
        assert spread.get("stats:2019").fiscal_year == 2019
        assert spread.get("round:2020") is None and "round:2020" in spread
        assert spread.unavailable == ["indicators"]
        out = metric_value("support.advisor_dispatches:x:2018-2019", spread)
        assert out["value"] == 7
        out = metric_value("support.advisor_dispatches:x:2019-2020", spread)
        assert out["value"] is None and "入力された実績" in out["note"]

    def test_no_sessions_held_keeps_the_typed_in_actual(self) -> None:
        p = parts(**{"stats:2018": Stats(fiscal_year=2018)})
        out = metric_value("training.completers:k:2018", p)
        assert out["value"] is None and "入力された実績" in out["note"]


class TestDashboardSort:
    def test_rows_without_a_value_go_last_either_way(self) -> None:
        rows = [Row(m=TOKYO.get(c)) for c in ("131016", "131024", "131032")]
        rows[0].reached, rows[2].reached = True, False
        assert [r.m.code for r in sort_rows(rows, "training", False)] == [
            "131032",
            "131016",
            "131024",
        ]
        assert [r.m.code for r in sort_rows(rows, "training", True)] == [
            "131016",
            "131032",
            "131024",
        ]
