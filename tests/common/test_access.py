import pytest

from services.common.access import (
    can_see_municipality,
    ensure_municipality_write,
    ensure_visible,
    municipality_filter,
)
from services.common.errors import Forbidden, NotFound
from tests.helpers import actor


class TestVisibility:
    def test_municipality_sees_only_its_own(self) -> None:
        me = actor("municipality", "131016")
        assert can_see_municipality(me, "131016")
        assert not can_see_municipality(me, "131024")
        with pytest.raises(NotFound):
            ensure_visible(me, "131024")

    @pytest.mark.parametrize("role", ["admin", "coordinator", "viewer", "api_client", "advisor"])
    def test_others_see_all(self, role: str) -> None:
        assert can_see_municipality(actor(role), "131024")

    def test_list_filter(self) -> None:
        me = actor("municipality", "131016")
        assert municipality_filter(me, None) == "131016"
        assert municipality_filter(me, "131024") == "__none__"
        assert municipality_filter(actor("coordinator"), "131024") == "131024"


class TestWrites:
    def test_staff_write_anywhere(self) -> None:
        ensure_municipality_write(actor("coordinator"), "131024")

    def test_municipality_writes_own_only(self) -> None:
        me = actor("municipality", "131016")
        ensure_municipality_write(me, "131016")
        with pytest.raises(NotFound):
            ensure_municipality_write(me, "131024")

    @pytest.mark.parametrize("role", ["viewer", "api_client", "advisor"])
    def test_read_only_roles(self, role: str) -> None:
        with pytest.raises(Forbidden):
            ensure_municipality_write(actor(role), "131016")
