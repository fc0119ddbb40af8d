"""Request and response models of the admin JSON API (users and API tokens)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.common.actor import Role

LOGIN_PATTERN = r"^[a-z0-9][a-z0-9._@-]{2,63}$"


class UserCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "login": "chiyoda-tanaka",
                    "display_name": "千代田区 田中",
                    "role": "municipality",
                    "municipality_code": "131016",
                    "password": "correct-horse-battery",
                }
            ]
        }
    )

    login: str = Field(pattern=LOGIN_PATTERN, description="半角英小文字・数字・._@- (3〜64文字)")
    display_name: str = Field(min_length=1, max_length=200)
    role: Role
    municipality_code: str | None = Field(None, description="role=municipality のとき必須")
    password: str = Field(min_length=1, max_length=200)

    @field_validator("login", mode="before")
    @classmethod
    def _normalize_login(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


class UserUpdate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"active": False, "version": 1}]})

    display_name: str | None = Field(None, min_length=1, max_length=200)
    role: Role | None = None
    municipality_code: str | None = None
    active: bool | None = None
    password: str | None = Field(None, min_length=1, max_length=200)
    version: int = Field(description="読み込んだときの版 (他の人の更新と競合したら 409)")


class UserPublic(BaseModel):
    id: int
    login: str
    display_name: str
    role: Role
    municipality_code: str | None
    active: bool
    created_at: datetime
    updated_at: datetime
    version: int


class TokenCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "交付金報告システム", "expires_in_days": 90}]}
    )

    name: str = Field(min_length=1, max_length=100, description="用途がわかる名前")
    user_id: int | None = Field(
        None, description="指定するとその利用者として動く。省略すると api_client の専用アカウント"
    )
    expires_in_days: int | None = Field(None, ge=1, le=730, description="既定 90 日")


class TokenPublic(BaseModel):
    id: int
    name: str
    user_id: int | None
    user_login: str | None
    role: Role
    prefix: str
    created_at: datetime
    created_by: str
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    status: str = Field(description="有効 / 期限切れ / 失効")


class TokenCreated(TokenPublic):
    token: str = Field(description="この応答でだけ表示されます。安全な場所に保管してください")
