"""A recording pass-through in front of one service, used once per run to learn which service
calls each gateway view makes (method, path, query and body, grouped by the request ID the
gateway passes on), so that the benchmark measures exactly those calls and no list of them has
to be kept by hand.

    python -m bench.recorder --target http://127.0.0.1:8001 --port 18001 --out calls.jsonl

Never in front of the gateway that is measured: only a second gateway started for discovery
talks to it.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import httpx
import uvicorn
from starlette.types import Receive, Scope, Send

HOP = {b"host", b"content-length", b"connection", b"transfer-encoding", b"keep-alive"}


class Recorder:
    def __init__(self, target: str, out: str) -> None:
        self.target = target
        self.out = out
        self.client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    self.client = httpx.AsyncClient(base_url=self.target, timeout=120)
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    if self.client:
                        await self.client.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        assert scope["type"] == "http" and self.client
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in HOP]
        query = scope.get("query_string", b"").decode("latin-1")
        url = scope["path"] + (f"?{query}" if query else "")
        r = await self.client.request(scope["method"], url, headers=headers, content=body)
        record: dict[str, Any] = {
            "method": scope["method"],
            "url": url,
            "request_id": dict(headers).get(b"x-request-id", b"").decode("latin-1"),
            "status": r.status_code,
        }
        if body:
            record["body"] = body.decode("utf-8", errors="replace")
            record["content_type"] = dict(headers).get(b"content-type", b"").decode("latin-1")
        # A few calls per view, once per run: a blocking append is fine here.
        with open(self.out, "a", encoding="utf-8") as f:  # noqa: ASYNC230
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        out_headers = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in r.headers.items()
            if k.lower().encode() not in HOP and k.lower() != "content-encoding"
        ]
        await send({"type": "http.response.start", "status": r.status_code, "headers": out_headers})
        await send({"type": "http.response.body", "body": r.content})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    uvicorn.run(
        Recorder(args.target, args.out),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
