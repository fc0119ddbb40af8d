"""Argon2id password hashing, run off the event loop (a hash takes ~0.1 s of CPU and
``password_memory_kib`` of memory, 64 MiB by default)."""

from __future__ import annotations

import threading

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gateway.settings import Settings


class Passwords:
    def __init__(self, settings: Settings) -> None:
        self.hasher = PasswordHasher(
            time_cost=settings.password_time_cost,
            memory_cost=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
        )
        # Verified when the login is unknown, so that an unknown login costs as much time
        # as a wrong password (response time must not tell whether an account exists).
        self._dummy = self.hasher.hash("banso-dummy-password")
        # One hash at a time per process: each holds its whole memory cost while it runs, so
        # a few logins at once would add 64 MiB each to the process (the goal is < 200 MB
        # resident per process). Logins queue for ~0.1 s each instead.
        self._one_at_a_time = threading.Lock()

    async def hash(self, password: str) -> str:
        def make() -> str:
            with self._one_at_a_time:
                return self.hasher.hash(password)

        return await anyio.to_thread.run_sync(make)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        def check() -> bool:
            try:
                with self._one_at_a_time:
                    ok = self.hasher.verify(password_hash or self._dummy, password)
                return ok and bool(password_hash)
            except (VerificationError, InvalidHashError):
                return False

        return await anyio.to_thread.run_sync(check)

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)
