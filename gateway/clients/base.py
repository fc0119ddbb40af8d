"""What every service client shares: the actor token, the request ID, timeouts, one retry
for idempotent reads on connection errors, and a circuit breaker per service."""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import time
from collections import OrderedDict
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel
from pydantic_core import from_json

from gateway.clients.transport import GatewayTransport
from services.common.actor import SYSTEM_COORDINATOR, Actor, current_actor, mint_token
from services.common.observability import REQUEST_ID_HEADER, current_request_id

M = TypeVar("M", bound=BaseModel)


class ServiceError(Exception):
    """A service could not answer (down, slow, open circuit, or an unexpected status)."""

    def __init__(self, service: str, detail: str, *, status: int | None = None) -> None:
        super().__init__(f"{service}: {detail}")
        self.service = service
        self.detail = detail
        self.status = status


class ServiceRejected(ServiceError):
    """The service answered with a 4xx problem: the caller's input, not the service's health."""

    def __init__(self, service: str, status: int, problem: dict[str, Any]) -> None:
        super().__init__(service, problem.get("detail") or f"{status}", status=status)
        self.problem = problem


class TokenSigner:
    """Mints actor tokens for service calls, reusing one until half its life is gone."""

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self.secret = secret
        self.ttl = ttl_seconds
        self._cache: dict[tuple[str, str, str, str | None, tuple[str, ...]], tuple[float, str]] = {}

    def token_for(self, actor: Actor) -> str:
        key = (actor.id, actor.name, actor.role.value, actor.municipality_code, actor.advised)
        now = time.time()
        hit = self._cache.get(key)
        if hit and hit[0] > now:
            return hit[1]
        token = mint_token(self.secret, actor, ttl_seconds=self.ttl, now=now)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (now + self.ttl / 2, token)
        return token


class CircuitBreaker:
    """Closed → open after ``threshold`` consecutive failures; open fails fast for
    ``cooldown`` seconds; then one trial call (half-open) decides."""

    def __init__(self, threshold: int = 3, cooldown: float = 5.0) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.failures = 0
        self.opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        if time.monotonic() - self.opened_at >= self.cooldown:
            return "half-open"
        return "open"

    def allow(self) -> bool:
        state = self.state
        if state == "closed":
            return True
        if state == "half-open" and not self._trial_in_flight:
            self._trial_in_flight = True
            return True
        return False

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None
        self._trial_in_flight = False

    def failure(self) -> None:
        self.failures += 1
        self._trial_in_flight = False
        if self.failures >= self.threshold:
            self.opened_at = time.monotonic()

    def retry_in(self) -> float:
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.cooldown - (time.monotonic() - self.opened_at))


_RETRYABLE = (httpx.ConnectError, httpx.RemoteProtocolError)


def _problem_of(resp: httpx.Response) -> dict[str, Any]:
    """The problem+json body of a refusal ({} when the body is not a JSON object)."""
    try:
        problem = resp.json()
    except ValueError:
        return {}
    return problem if isinstance(problem, dict) else {}


# The ETags of the service answers the current request's view rests on (collect_tags): a page
# made from the same answers, for the same person and query, is the same page
# (gateway/kept.py).
_answer_tags: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "answer_tags", default=None
)
_untagged = itertools.count()


def collect_tags() -> list[str]:
    """Start collecting the ETags of this request's service answers (before its calls: the
    concurrent calls of a view share the list)."""
    tags: list[str] = []
    _answer_tags.set(tags)
    return tags


def _tag(value: str) -> None:
    tags = _answer_tags.get()
    if tags is not None:
        tags.append(value)


class Kept:
    """A bounded map, least recently used first out, in count and in bytes: the service
    answers a client was given with an ETag (by URL and actor), and the pages and answers the
    gateway made from them (gateway/kept.py). A cache in front of the services' stored rows,
    never the truth: every use asks the services whether what it rests on still holds."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0  # uses of a kept value (counted by the caller that uses it)
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()

    def get(self, key: Any) -> Any | None:
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    def put(self, key: Any, value: Any, size: int) -> None:
        if size > self.max_bytes // 8:
            return  # one value may not push out most of the others
        old = self._items.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        self._items[key] = (value, size)
        self.bytes += size
        while self._items and (len(self._items) > self.max_entries or self.bytes > self.max_bytes):
            _, (_, dropped) = self._items.popitem(last=False)
            self.bytes -= dropped

    def __len__(self) -> int:
        return len(self._items)


class ServiceClient:
    """Base for the per-service clients. One shared ``httpx.AsyncClient`` per service."""

    service: str = ""

    def __init__(
        self,
        http: httpx.AsyncClient,
        signer: TokenSigner,
        breaker: CircuitBreaker | None = None,
        *,
        write_deadline: float = 15.0,
    ) -> None:
        self.http = http
        self.signer = signer
        self.breaker = breaker or CircuitBreaker()
        self.calls = 0  # requests sent (tests check there is no N+1)
        # 512 answers, 16 MB per service client: three clients stay under 50 MB a process
        self.answers = Kept(512, 16 * 1024 * 1024)
        self._urls: dict[tuple[Any, ...], str] = {}
        # httpx's timeouts bound each phase (connect, each read); this bounds the whole call.
        self.deadline = http.timeout.read or 2.0
        # A write waits longer than a read: a read past its deadline leaves a part of a page
        # out, a write cut off leaves the person not knowing whether it was saved (a tree save
        # refreshes the framework's national figures in its transaction).
        self.write_deadline = max(write_deadline, self.deadline)
        # Plain reads over the gateway's own transport go straight to aiohttp (see
        # GatewayTransport.get); tests' in-process transports keep httpx's whole path.
        transport = getattr(http, "_transport", None)
        self._direct = transport if isinstance(transport, GatewayTransport) else None
        self._base = str(http.base_url)

    def _actor(self, actor: Actor | None) -> Actor:
        """The acting user: the one passed, else the request's (set by authentication).
        A data call with neither is a programming error, not a reason to act as staff."""
        actor = actor or current_actor.get()
        if actor is None:
            raise ServiceError(self.service, "利用者が特定できないため呼び出せません")
        return actor

    def _headers(self, actor: Actor | None, extra: dict[str, str] | None = None) -> dict[str, str]:
        actor = self._actor(actor)
        headers = {"Authorization": f"Bearer {self.signer.token_for(actor)}"}
        if extra:
            headers.update(extra)
        rid = current_request_id()
        if rid:
            headers[REQUEST_ID_HEADER] = rid
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        actor: Actor | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        files: Any = None,
        expect: tuple[int, ...] = (200,),
        bound: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """``bound``: a longer bound for this call only (file imports: the service reads
        the whole file); otherwise the client's deadline for a read and its write deadline
        for any other method."""
        if bound is None and method != "GET":
            bound = self.write_deadline
        if not self.breaker.allow():
            raise ServiceError(
                self.service,
                f"一時的に停止中です (約{self.breaker.retry_in():.0f}秒後に再試行します)",
            )
        attempts = 2 if method == "GET" else 1  # one retry, for idempotent reads only
        direct = method == "GET" and json is None and content is None and files is None
        for attempt in range(attempts):
            self.calls += 1
            try:
                async with asyncio.timeout(bound or self.deadline):
                    if self._direct is not None and direct:
                        resp = await self._direct.get(
                            self._url(path, params),
                            self._headers(actor, headers),
                            bound or self.deadline,
                        )
                    else:
                        resp = await self.http.request(
                            method,
                            path,
                            params=params,
                            json=json,
                            content=content,
                            files=files,
                            headers=self._headers(actor, headers),
                            timeout=bound if bound else httpx.USE_CLIENT_DEFAULT,
                        )
            except _RETRYABLE as exc:
                if attempt + 1 < attempts:
                    continue
                self.breaker.failure()
                raise ServiceError(
                    self.service, f"接続できません ({exc.__class__.__name__})"
                ) from exc
            except (httpx.TimeoutException, TimeoutError) as exc:
                self.breaker.failure()
                raise ServiceError(self.service, "応答がありません (タイムアウト)") from exc
            except httpx.TransportError as exc:
                self.breaker.failure()
                raise ServiceError(self.service, f"通信エラー ({exc.__class__.__name__})") from exc
            break
        if resp.status_code >= 500:
            self.breaker.failure()
            raise ServiceError(
                self.service, f"サービスのエラー {resp.status_code}", status=resp.status_code
            )
        self.breaker.success()
        if resp.status_code not in expect:
            raise ServiceRejected(self.service, resp.status_code, _problem_of(resp))
        return resp

    def _url(self, path: str, params: dict[str, Any] | None) -> str:
        """The absolute URL httpx would send for ``path`` and ``params`` (relative to the base
        URL, the query encoded by httpx's own rules); remembered (views ask the same ones)."""
        if params is not None and not isinstance(params, dict):
            return self._build_url(path, params)  # pairs (a key repeated): built each time
        try:
            # with each value's type: 1 and True are equal keys but not the same query
            key = (path, tuple((k, type(v), v) for k, v in params.items()) if params else ())
            url = self._urls.get(key)
        except TypeError:  # a list value: not hashable, build it
            return self._build_url(path, params)
        if url is None:
            url = self._build_url(path, params)
            if len(self._urls) > 4096:
                self._urls.clear()
            self._urls[key] = url
        return url

    def _build_url(self, path: str, params: dict[str, Any] | None) -> str:
        url = self._base + path.lstrip("/") if self._base.endswith("/") else self._base + path
        if params:
            query = str(httpx.QueryParams(params))
            if query:
                url += ("&" if "?" in url else "?") + query
        return url

    async def get_json(
        self,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        actor: Actor | None = None,
        **kw: Any,
    ) -> Any:
        """The service's JSON answer, parsed (anew each time: callers may change what they get).
        pydantic-core's parser: several times faster than the json module's."""
        return from_json(await self.get_body(path, params=params, actor=actor, **kw))

    async def get_model(
        self,
        path: str,
        model: type[M],
        *,
        params: dict[str, Any] | None = None,
        actor: Actor | None = None,
        **kw: Any,
    ) -> M:
        """The service's JSON answer validated into ``model`` straight from its bytes (no
        Python dicts and lists in between)."""
        body = await self.get_body(path, params=params, actor=actor, **kw)
        return model.model_validate_json(body)

    async def get_body(
        self,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        actor: Actor | None = None,
        **kw: Any,
    ) -> bytes:
        """The body of the service's 200 answer. Conditional: an answer the service gave before
        with an ETag is asked for again with If-None-Match, and a 304 (nothing it rests on has
        changed: services/common/conditional.py) gives the kept body instead of the service
        building it again."""
        key = (self._url(path, params), self._actor(actor).model_dump_json())
        kept = self.answers.get(key)
        try:
            resp = await self.request(
                "GET",
                path,
                params=params,
                actor=actor,
                expect=(200, 304) if kept else (200,),
                headers={"If-None-Match": kept[0]} if kept else None,
                **kw,
            )
        except ServiceError:
            _tag(f"{self.service}:unanswered:{next(_untagged)}")
            raise
        if resp.status_code == 304 and kept:
            self.answers.hits += 1
            _tag(f"{self.service}:{kept[0]}")
            return kept[1]
        body = resp.content
        etag = resp.headers.get("etag")
        if etag:
            self.answers.put(key, (etag, body), len(body))
        _tag(f"{self.service}:{etag}" if etag else f"{self.service}:untagged:{next(_untagged)}")
        return body

    async def open_stream(
        self, path: str, *, params: dict[str, Any] | None = None, actor: Actor | None = None
    ) -> httpx.Response:
        """A file the service makes (exports, reports), opened for streaming: the caller
        passes the body on and closes the response (``gateway.pages.actions.stream``)."""
        if not self.breaker.allow():
            raise ServiceError(self.service, "一時的に停止中です")
        self.calls += 1
        req = self.http.build_request("GET", path, params=params, headers=self._headers(actor))
        try:
            async with asyncio.timeout(self.deadline):
                resp = await self.http.send(req, stream=True)
        except (httpx.TimeoutException, TimeoutError) as exc:
            self.breaker.failure()
            raise ServiceError(self.service, "応答がありません (タイムアウト)") from exc
        except httpx.TransportError as exc:
            self.breaker.failure()
            raise ServiceError(self.service, f"接続できません ({exc.__class__.__name__})") from exc
        if resp.status_code >= 500:
            await resp.aclose()
            self.breaker.failure()
            raise ServiceError(
                self.service, f"サービスのエラー {resp.status_code}", status=resp.status_code
            )
        self.breaker.success()
        if resp.status_code != 200:
            await resp.aread()
            await resp.aclose()
            raise ServiceRejected(self.service, resp.status_code, _problem_of(resp))
        return resp

    async def audit(self, params: dict[str, Any], *, actor: Actor | None = None) -> Any:
        """The service's audit trail rows (every service has one; 404 where it has none)."""
        return await self.get_json("/api/v1/audit", params=params, actor=actor)

    async def readiness(self) -> dict[str, Any]:
        """The service's /readyz body, or why it could not be read (ignores the breaker,
        so that readiness always says the truth)."""
        try:
            async with asyncio.timeout(self.deadline):
                resp = await self.http.get("/readyz", headers=self._headers(SYSTEM_COORDINATOR))
        except (httpx.TimeoutException, TimeoutError):
            return {"ok": False, "detail": "応答がありません (タイムアウト)"}
        except httpx.TransportError as exc:
            return {"ok": False, "detail": f"接続できません ({exc.__class__.__name__})"}
        try:
            body = resp.json()
        except ValueError:
            body = {}
        if resp.status_code != 200:
            return {"ok": False, "detail": f"準備ができていません ({resp.status_code})", **body}
        return {"ok": True, "circuit": self.breaker.state, **body}
