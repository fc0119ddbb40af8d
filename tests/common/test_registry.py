from collections import Counter

import pytest
from pydantic import BaseModel, ValidationError

from services.common.registry import (
    CodeError,
    MunicipalityCode,
    check_digit,
    get_registry,
    insurer_check_digit,
    insurer_number_of,
    is_insurer_number_form,
    is_municipality_code_form,
    validate_code_format,
)


class TestCheckDigit:
    @pytest.mark.parametrize(
        "code", ["131016", "131024", "133612", "134210", "011002", "472018", "130001", "010006"]
    )
    def test_known_codes(self, code: str) -> None:
        assert check_digit(code[:5]) == int(code[5])

    def test_wrong_check_digit_names_the_right_one(self) -> None:
        with pytest.raises(CodeError, match="正しくは 131016"):
            validate_code_format("131017")

    @pytest.mark.parametrize("code", ["13101", "1310166", "13101a", ""])
    def test_malformed(self, code: str) -> None:
        with pytest.raises(CodeError, match="6桁"):
            validate_code_format(code)


class TestRegistry:
    def test_counts_nationwide(self) -> None:
        reg = get_registry()
        assert len(reg.prefectures) == 47
        assert len(reg.municipalities) == 1741
        kinds = Counter(m.kind for m in reg.municipalities.values())
        assert kinds == {"市": 792, "町": 743, "村": 183, "特別区": 23}

    def test_leading_zero_restored_for_hokkaido(self) -> None:
        reg = get_registry()
        sapporo = reg.get("011002")
        assert sapporo is not None and sapporo.name == "札幌市"
        assert reg.prefecture("01").code == "010006"

    def test_designated_city_wards_are_not_insurers(self) -> None:
        assert get_registry().get("011011") is None  # 札幌市中央区

    def test_tokyo_is_enriched(self) -> None:
        home = get_registry().home()
        assert len(home) == 62
        assert Counter(m.region_class for m in home) == {"区部": 23, "市部": 26, "町村部": 13}
        assert sum(m.island for m in home) == 9
        chiyoda = get_registry().get("131016")
        assert chiyoda.medical_area == "区中央部"
        assert chiyoda.peer_type == "大都市型"
        assert get_registry().get("134210").name == "小笠原村"

    def test_areas_are_data(self) -> None:
        areas = get_registry().areas
        assert len(areas) == 13
        assert areas[0] == "区中央部" and "島しょ" in areas

    def test_unknown_code_with_valid_digit(self) -> None:
        code = "13999" + str(check_digit("13999"))
        with pytest.raises(CodeError, match="登録されていません"):
            get_registry().require(code)

    def test_prefecture_is_an_entity(self) -> None:
        assert get_registry().require_entity("130001").name == "東京都"


class TestMunicipalityCodeField:
    class Body(BaseModel):
        code: MunicipalityCode

    def test_accepts_a_real_code(self) -> None:
        assert self.Body(code="131016").code == "131016"

    @pytest.mark.parametrize("code", ["131017", "139999", "abc"])
    def test_refuses(self, code: str) -> None:
        with pytest.raises(ValidationError):
            self.Body(code=code)


class TestInsurerNumber:
    """介護保険 保険者番号: first five digits of the local government code, own check digit."""

    @pytest.mark.parametrize(("code", "insurer"), [("131016", "131011"), ("075221", "075226")])
    def test_documented_examples(self, code: str, insurer: str) -> None:
        assert insurer_number_of(code) == insurer
        m, form = get_registry().resolve_municipality(insurer)
        assert (m.code, form) == (code, "insurer")

    def test_weights_and_digit_sums_by_hand(self) -> None:
        # 1,3,1,0,1 × 2,1,2,1,2 = 2,3,2,0,2 → 9 → (10 − 9) mod 10 = 1
        assert insurer_check_digit("13101") == 1
        # 0,7,5,2,2 × 2,1,2,1,2 = 0,7,10,2,4 → 0+7+1+0+2+4 = 14 → 6
        assert insurer_check_digit("07522") == 6
        # a sum that is a multiple of ten gives 0, not 10
        assert insurer_check_digit("00000") == 0

    def test_every_municipality_has_a_distinct_derived_number(self) -> None:
        reg = get_registry()
        numbers = {c: insurer_number_of(c) for c in reg.municipalities}
        assert len(numbers) == 1741
        assert len(set(numbers.values())) == 1741
        for code, number in numbers.items():
            assert number[:5] == code[:5] and is_insurer_number_form(number)
            assert reg.insurer_number(code) == number
            # never another municipality's local government code
            other = reg.municipalities.get(number)
            assert other is None or other.code == code
            m, _ = reg.resolve_municipality(number)
            assert m.code == code

    def test_a_code_valid_under_both_rules_names_one_municipality(self) -> None:
        reg = get_registry()
        both = [c for c in reg.municipalities if is_insurer_number_form(c)]
        # check digits coincide for about one in ten five-digit prefixes
        assert 100 < len(both) < 250
        for code in both:
            assert insurer_number_of(code) == code
            m, form = reg.resolve_municipality(code)
            assert (m.code, form) == (code, "municipality")  # the municipality code wins

    def test_municipality_code_is_resolved_as_such(self) -> None:
        m, form = get_registry().resolve_municipality("131016")
        assert (m.code, form) == ("131016", "municipality")
        assert is_municipality_code_form("131016") and not is_insurer_number_form("131016")

    def test_bad_check_digit_under_both_rules_names_both(self) -> None:
        with pytest.raises(CodeError, match="地方公共団体コードなら 131016、保険者番号なら 131011"):
            get_registry().resolve_municipality("131012")

    def test_unknown_with_valid_digit(self) -> None:
        code = "13999" + str(insurer_check_digit("13999"))
        with pytest.raises(CodeError, match="登録されていません"):
            get_registry().resolve_municipality(code)
