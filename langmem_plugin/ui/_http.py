"""Strict readings of the two request parts the inspector's guards trust: Host and paths.

Both are written to accept only what is provably safe, and to refuse everything else
rather than repair it:

- ``host_problem`` accepts a ``Host`` header only when it names this machine's loopback
  interface and this server's port, in exactly the form a browser sends for such an
  address. A DNS-rebinding page reaches the server under a name its author controls, so
  any name that is not one of the reserved loopback names is refused, however it resolves.
- ``local_path`` accepts a redirect target only when every browser reads it as a path on
  the same origin (the post-action ``back`` field and the token login's redirect).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

__all__ = ["LOOPBACK_NAMES", "host_problem", "local_path"]

#: The only host names a token-less inspector answers to, lowercase. ``localhost`` is
#: reserved for the loopback interface (RFC 6761 section 6.3) and browsers resolve it there
#: themselves; ``127.0.0.1`` and ``[::1]`` are the canonical loopback addresses, in the
#: form a browser writes them. Other spellings of loopback (``127.1``, ``2130706433``,
#: ``0x7f.1``, ``[::ffff:127.0.0.1]``, ``localhost.``, ``127.0.0.2``) are refused: no
#: browser sends them for these addresses, and each alternative form is one more parser
#: that has to agree with ours.
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})

_VISIBLE_ASCII = re.compile(rb"[!-~]+")  # no space, no control character, nothing non-ASCII
_PORT = re.compile(r"[1-9][0-9]{0,4}")  # canonical decimal: no sign, no leading zero, no hex
_HTTP_DEFAULT_PORT = 80


def host_problem(value: bytes, server_port: int | None) -> str | None:
    """Why a ``Host`` header does not address this loopback server, or None when it does.

    The header must be ``name`` or ``name:port`` (RFC 7230 section 5.4, RFC 3986 section
    3.2.2) with ``name`` one of ``LOOPBACK_NAMES`` and ``port`` this server's port written
    as a browser writes it. Names compare case-insensitively, because DNS names do
    (RFC 4343): ``LOCALHOST`` is the same reserved name, and nobody but the loopback
    interface answers for it. A header without a port is accepted only when the server
    listens on port 80, which is what a browser leaves out.

    Args:
        value: The header's raw bytes.
        server_port: The port the server listens on (ASGI ``scope["server"]``), or None
            when unknown (a Unix socket): then only a header without a port is accepted.

    Returns:
        None for an acceptable header; otherwise a short reason for the 400 answer.
    """
    if not _VISIBLE_ASCII.fullmatch(value):
        return "it is empty or holds whitespace, control or non-ASCII characters"
    text = value.decode("ascii")
    if text.startswith("["):
        end = text.find("]") + 1
        name, rest = (text[:end], text[end:]) if end else (text, "")
    else:
        name, colon, port = text.partition(":")
        rest = colon + port
    if name.lower() not in LOOPBACK_NAMES:
        return f"{name!r} is not a loopback name (127.0.0.1, localhost or [::1])"
    return _port_problem(rest, server_port)


def _port_problem(rest: str, server_port: int | None) -> str | None:
    """Why what follows the name (``""`` or ``":PORT"``) is not this server's port."""
    if not rest:
        if server_port == _HTTP_DEFAULT_PORT:
            return None
        return f"it has no port, and this server listens on port {server_port}"
    port_text = rest[1:]
    if not rest.startswith(":") or not _PORT.fullmatch(port_text):
        return f"{rest!r} is not ':' and a port number"
    if int(port_text) != server_port:
        return f"port {port_text} is not this server's port ({server_port})"
    return None


def local_path(target: str) -> str | None:
    r"""``target`` when it is a path on this origin whichever way it is read, else None.

    A browser resolves ``//host/`` and ``/\host/`` (it reads ``\`` as ``/``) against
    another host, and strips tabs and newlines from a URL before resolving it, so
    ``/<TAB>/host`` is ``//host`` too. The target is therefore checked as written and again
    after each round of percent-decoding (``/%2F/host``, ``/%09/host``), in case anything
    decodes it before a browser reads it: every form must be a single ``/`` followed by
    anything but ``/`` or ``\``, with no backslash anywhere and no character that is not
    printable (tabs, newlines, control and format characters, separators; a decoded
    ``%20`` is an ordinary space). As written it must be plain visible ASCII (an address,
    not text: no space at all). ``/`` alone is accepted.

    Args:
        target: The candidate, as it would go into a ``Location`` header.

    Returns:
        ``target`` unchanged, or None when it is not provably local.
    """
    if not _VISIBLE_ASCII.fullmatch(target.encode("utf-8", "replace")):
        return None
    form = target
    for _ in range(4):  # "%25252F" needs three rounds to show its "/"; four is plenty
        if not form.startswith("/") or form[1:2] in {"/", "\\"} or "\\" in form:
            return None
        if not form.isprintable():  # control and format characters, separators, tabs
            return None
        decoded = unquote(form, errors="replace") if "%" in form else form
        if decoded == form:
            return target
        form = decoded
    return None  # still decoding after four rounds: nobody writes a link like that
