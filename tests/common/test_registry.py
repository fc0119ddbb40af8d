from collections import Counter

import pytest
from pydantic import BaseModel, ValidationError

from services.common.registry import (
    CodeError,
    MunicipalityCode,
    check_digit,
    get_registry,
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
