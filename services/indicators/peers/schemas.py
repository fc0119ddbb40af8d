"""Peer group sets: what is written and what is answered."""

from pydantic import BaseModel, Field


class PeerSetIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[^:]+$")
    description: str = ""
    members: dict[str, str] = Field(description="団体コード → グループ名")
    version: int | None = None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "支援対象",
                    "members": {
                        "131016": "2024年度支援",
                        "132012": "2024年度支援",
                        "133019": "対象外",
                    },
                }
            ]
        }
    }


class PeerSetOut(BaseModel):
    id: int
    name: str
    description: str
    version: int
    members: dict[str, str] = Field(description="団体コード → グループ名")


class PeerSets(BaseModel):
    builtin: list[str] = Field(
        description="組み込みの集合 (region_class, peer_type, size_band, prefecture)"
    )
    size_bands: list[str] = Field(description="size_band のグループ (第1号被保険者数)")
    user: list[PeerSetOut]


class PeerTypeIn(BaseModel):
    peer_type: str | None = Field(
        description="類型 (大都市型 / 都市型 / 離島・中山間型)。null で団体一覧の既定に戻す"
    )
    version: int = Field(description="読み込んだときの版 (まだ設定がなければ 0。古ければ 409)")

    model_config = {"json_schema_extra": {"examples": [{"peer_type": "都市型", "version": 0}]}}


class PeerTypeOut(BaseModel):
    entity_code: str
    name: str
    peer_type: str | None = Field(description="いま使う類型 (設定がなければ既定)")
    default_peer_type: str | None = Field(description="団体一覧 (registry) の既定の類型")
    overridden: bool = Field(description="都が既定と違う類型を設定しているか")
    version: int = Field(description="設定の版 (まだ設定がなければ 0)")
    refreshed: int | None = Field(
        None,
        description="書き込みで再計算した地域分析の年度×指標の数 (読み込みでは null)",
    )


class PeerTypesOut(BaseModel):
    data: list[PeerTypeOut]
    count: int
