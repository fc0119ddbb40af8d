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
