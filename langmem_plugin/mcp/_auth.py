"""Who is calling: the tokens file, and the guard in front of the streamable HTTP app.

A server for one user (``langmem mcp --user ada``) needs no token on loopback: it answers
only requests addressed to ``127.0.0.1:PORT``, ``localhost:PORT`` or ``[::1]:PORT``, read
by the inspector's own parser (``ui._http.host_problem``), and behind it the SDK's
DNS-rebinding check is given exactly these names and origins. A server
for several users, or one listening beyond loopback, takes ``--tokens FILE``: a JSON
object mapping each user id to its bearer token (or a list of tokens, one per device)::

    {"ada": "kq3...long random...", "bob": ["token-laptop", "token-phone"]}

Why a file: a token on the command line (``--token-for ada=SECRET``) is readable by every
local user in ``ps`` and lands in shell history; a file is read once, must be private to
its owner (mode 600, like ``~/.ssh`` keys), and can be rotated without editing a service
definition. Every request carries ``Authorization: Bearer TOKEN``; the token is compared
with *every* configured token in constant time (``hmac.compare_digest``, no early exit),
and its user is the only user the request's tool calls can touch.
"""

from __future__ import annotations

import hmac
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from langmem_plugin._ids import validate_id
from langmem_plugin.errors import ConfigError
from langmem_plugin.ui._http import host_problem

__all__ = ["USER_STATE", "BearerUsers", "TokenMap", "load_tokens"]

MIN_TOKEN_LENGTH = 16
"""Shortest token accepted (16 characters): ``secrets.token_urlsafe(32)`` gives 43."""
USER_STATE = "langmem_user"
"""The key of ``scope["state"]`` holding the request's user."""


@dataclass(frozen=True)
class TokenMap:
    """Bearer tokens and the user each one acts for.

    Attributes:
        entries: ``(token, user_id)`` pairs.
    """

    entries: tuple[tuple[str, str], ...]

    @classmethod
    def from_dict(cls, tokens: dict[str, Any], *, source: str = "tokens") -> TokenMap:
        """Check ``{user_id: token or [tokens]}`` and build the map.

        Raises:
            ConfigError: An id is not a valid user id, a token is not a string of at
                least ``MIN_TOKEN_LENGTH`` characters, or one token is given twice.
        """
        if not isinstance(tokens, dict) or not tokens:
            raise ConfigError(
                f"{source}: expected a JSON object {{user_id: token}}, got {tokens!r}"
            )
        entries: list[tuple[str, str]] = []
        for user, value in tokens.items():
            try:
                validate_id(user)
            except ValueError as error:
                raise ConfigError(f"{source}: {error}") from error
            for token in value if isinstance(value, list) else [value]:
                if not isinstance(token, str) or len(token) < MIN_TOKEN_LENGTH:
                    raise ConfigError(
                        f"{source}: the token of user {user!r} must be a string of at least "
                        f"{MIN_TOKEN_LENGTH} characters (python -c 'import secrets; "
                        "print(secrets.token_urlsafe(32))' makes one)"
                    )
                entries.append((token, user))
        if len({token for token, _ in entries}) != len(entries):
            raise ConfigError(f"{source}: a token is given twice; each must be unique")
        return cls(tuple(entries))

    @property
    def users(self) -> list[str]:
        """The users, in file order, once each."""
        return list(dict.fromkeys(user for _, user in self.entries))

    def user_for(self, offered: str) -> str | None:
        """The user of ``offered``, or None; every token is compared, in constant time."""
        found = None
        probe = offered.encode()
        for token, user in self.entries:
            if hmac.compare_digest(probe, token.encode()) and found is None:
                found = user
        return found


def load_tokens(path: str | Path) -> TokenMap:
    """Read a tokens file (see the module docstring).

    Raises:
        ConfigError: The file is missing, readable by group or others, not JSON, or
            holds an invalid entry.
    """
    file = Path(path)
    try:
        mode = file.stat().st_mode
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read the tokens file {str(file)!r}: {error}") from error
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"the tokens file {str(file)!r} is readable by other users (mode "
            f"{stat.S_IMODE(mode):o}); run chmod 600 {file}"
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"the tokens file {str(file)!r} is not JSON: {error}") from error
    return TokenMap.from_dict(data, source=str(file))


class BearerUsers:
    """ASGI middleware: one Host header (a loopback one), and the request's user.

    With ``loopback``, the Host header must address this loopback server (the inspector's
    ``host_problem``; 400 otherwise), token or not. With ``tokens``, a request without
    ``Authorization: Bearer`` or with an unknown token gets 401 before the MCP app sees
    it; otherwise its user is ``user_id``. The user is put in
    ``scope["state"][USER_STATE]``, where the tools read it (the SDK hands each tool call
    the request that carried it).

    Args:
        app: The streamable HTTP app.
        user_id: The one user of a server without tokens.
        tokens: The tokens of a multi-user (or non-loopback) server.
        loopback: The server listens on a loopback address (check the Host header).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        user_id: str | None,
        tokens: TokenMap | None,
        loopback: bool = True,
    ) -> None:
        if (user_id is None) == (tokens is None):
            raise ValueError("give exactly one of user_id and tokens")
        self.app = app
        self.user_id = user_id
        self.tokens = tokens
        self.loopback = loopback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan: starts the SDK's session manager
            await self.app(scope, receive, send)
            return
        hosts = [value for name, value in scope["headers"] if name == b"host"]
        if len(hosts) != 1:
            reply = PlainTextResponse(f"400 Bad Request: {len(hosts)} Host headers", 400)
            await reply(scope, receive, send)
            return
        problem = host_problem(hosts[0], (scope.get("server") or (None, None))[1])
        if self.loopback and problem is not None:
            reply = PlainTextResponse(f"400 Bad Request: unexpected Host header: {problem}", 400)
            await reply(scope, receive, send)
            return
        user = self.user_id
        if self.tokens is not None:
            auth = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
            scheme, _, offered = auth.partition(" ")
            user = self.tokens.user_for(offered.strip()) if scheme.lower() == "bearer" else None
            if user is None:
                reply = PlainTextResponse(
                    "401 Unauthorized: this MCP server needs Authorization: Bearer <token> "
                    "with a token from its tokens file",
                    401,
                    headers={"WWW-Authenticate": 'Bearer realm="langmem"'},
                )
                await reply(scope, receive, send)
                return
        scope.setdefault("state", {})[USER_STATE] = user
        await self.app(scope, receive, send)
