"""The gateway's real transport against real sockets on loopback."""

import socket

import httpx
import pytest

from gateway.clients.base import CircuitBreaker, ServiceError, TokenSigner
from gateway.clients.training import TrainingClient
from gateway.clients.transport import GatewayTransport
from tests.helpers import COORDINATOR, TEST_SECRET


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_refused_connection_is_a_connect_error_and_is_retried_once() -> None:
    port = closed_port()
    http = httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", transport=GatewayTransport(), timeout=2
    )
    client = TrainingClient(http, TokenSigner(TEST_SECRET, 300), CircuitBreaker(5, 60))
    with pytest.raises(ServiceError, match="接続できません"):
        await client.programs(actor=COORDINATOR)
    assert client.calls == 2  # the first try and one retry
    assert (await client.readiness())["detail"].startswith("接続できません")
    await http.aclose()
