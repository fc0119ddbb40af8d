import hashlib
import hmac
import json
import time

import pytest

from services.common.actor import (
    MAX_ADVISED,
    Actor,
    Role,
    _b64,
    _unb64,
    mint_token,
    verify_token,
)
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


def _payload(token: str) -> dict:
    return json.loads(_unb64(token.split(".")[1]))


def _signed(payload: dict) -> str:
    """A token signed with SECRET over an arbitrary payload (what only the gateway can make)."""
    body = _b64(json.dumps(payload, ensure_ascii=False).encode())
    sig = _b64(hmac.new(SECRET.encode(), f"bn1.{body}".encode(), hashlib.sha256).digest())
    return f"bn1.{body}.{sig}"


ADV = Actor(id="advisor-yamada", name="山田 花子", role=Role.advisor, advised=("132012", "131121"))


class TestAdvisedClaim:
    def test_round_trip_sorted(self) -> None:
        token = mint_token(SECRET, ADV)
        assert _payload(token)["adv"] == ["131121", "132012"]
        got = verify_token(SECRET, token)
        assert got.role == Role.advisor and set(got.advised) == {"132012", "131121"}

    def test_no_claim_without_advised_municipalities(self) -> None:
        """Tokens stay as they were for everybody else (and an advisor with no case)."""
        for actor in (A, ADV.model_copy(update={"advised": ()})):
            token = mint_token(SECRET, actor)
            assert "adv" not in _payload(token)
            assert verify_token(SECRET, token).advised == ()

    def test_a_token_of_before_the_claim_means_no_advised_municipalities(self) -> None:
        old = {"sub": "advisor-yamada", "name": "山田", "role": "advisor", "muni": None}
        now = int(time.time())
        got = verify_token(SECRET, _signed({**old, "iat": now, "exp": now + 60}))
        assert got.role == Role.advisor and got.advised == ()

    def test_a_tampered_claim_is_refused(self) -> None:
        head, _, sig = mint_token(SECRET, ADV).split(".")
        payload = _payload(mint_token(SECRET, ADV))
        for forged in (
            {**payload, "adv": [*payload["adv"], "131016"]},  # one more municipality
            {k: v for k, v in payload.items() if k != "adv"} | {"adv": ["131016"]},
        ):
            body = _b64(json.dumps(forged, separators=(",", ":")).encode())
            with pytest.raises(Unauthorized, match="署名"):
                verify_token(SECRET, f"{head}.{body}.{sig}")
        # and a claim added to a token minted without one
        head, _, sig = mint_token(SECRET, ADV.model_copy(update={"advised": ()})).split(".")
        plain = _payload(mint_token(SECRET, ADV.model_copy(update={"advised": ()})))
        body = _b64(json.dumps({**plain, "adv": ["131016"]}, separators=(",", ":")).encode())
        with pytest.raises(Unauthorized, match="署名"):
            verify_token(SECRET, f"{head}.{body}.{sig}")

    @pytest.mark.parametrize(
        "adv, role",
        [
            (["13201"], "advisor"),  # not a 6-digit code
            ("132012", "advisor"),  # not a list
            ([132012], "advisor"),  # not strings
            ([f"{130000 + i}" for i in range(MAX_ADVISED + 1)], "advisor"),  # too many
            (["132012"], "viewer"),  # only advisors carry the claim
        ],
    )
    def test_a_malformed_claim_is_refused_even_when_signed(self, adv: object, role: str) -> None:
        now = int(time.time())
        payload = {"sub": "x", "name": "x", "role": role, "muni": None, "iat": now, "exp": now + 60}
        with pytest.raises(Unauthorized):
            verify_token(SECRET, _signed({**payload, "adv": adv}))

    def test_too_many_to_mint(self) -> None:
        many = tuple(f"{130000 + i}" for i in range(MAX_ADVISED + 1))
        with pytest.raises(ValueError):
            mint_token(SECRET, ADV.model_copy(update={"advised": many}))
        with pytest.raises(ValueError):
            Actor(id="a", name="a", role=Role.advisor, advised=many)

    def test_other_roles_carry_no_claim(self) -> None:
        viewer = Actor(id="v", name="v", role=Role.viewer).model_copy(
            update={"advised": ("132012",)}
        )
        assert "adv" not in _payload(mint_token(SECRET, viewer))

    def test_the_token_stays_small(self) -> None:
        """Every municipality of Tokyo (62) adds under 800 bytes (an advisor has one or two)."""
        all_tokyo = tuple(f"{131000 + i}" for i in range(62))
        big = mint_token(SECRET, ADV.model_copy(update={"advised": all_tokyo}))
        plain = mint_token(SECRET, ADV.model_copy(update={"advised": ()}))
        assert len(big) - len(plain) < 800 and len(big) < 1200
        assert verify_token(SECRET, big).advised == tuple(sorted(all_tokyo))
