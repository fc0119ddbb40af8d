import pytest

from services.common.actor import Actor, Role, mint_token, verify_token
from services.common.errors import Unauthorized

SECRET = "s" * 40
A = Actor(id="u1", name="山田 花子", role=Role.municipality, municipality_code="131016")


class TestToken:
    def test_round_trip(self) -> None:
        assert verify_token(SECRET, mint_token(SECRET, A)) == A

    def test_expired(self) -> None:
        t = mint_token(SECRET, A, ttl_seconds=60, now=1_000_000)
        with pytest.raises(Unauthorized, match="有効期限が切れています"):
            verify_token(SECRET, t, now=1_000_000 + 60 + 31)
        assert verify_token(SECRET, t, now=1_000_000 + 60 + 29) == A

    def test_other_secret(self) -> None:
        with pytest.raises(Unauthorized, match="署名"):
            verify_token("x" * 40, mint_token(SECRET, A))

    def test_tampered_payload(self) -> None:
        head, body, sig = mint_token(SECRET, A).split(".")
        forged = mint_token(SECRET, A.model_copy(update={"role": Role.admin})).split(".")[1]
        with pytest.raises(Unauthorized, match="署名"):
            verify_token(SECRET, f"{head}.{forged}.{sig}")

    @pytest.mark.parametrize("token", ["", "abc", "bn1.x", "jwt.a.b", "bn1.!!!.???"])
    def test_garbage(self, token: str) -> None:
        with pytest.raises(Unauthorized):
            verify_token(SECRET, token)
