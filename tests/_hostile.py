"""Hostile inputs for the inspector's guards, shared by the parser tests and the server tests.

Each table comes with the legitimate values next to it, so that a test refusing everything
would fail.
"""

from __future__ import annotations


def loopback_hosts(port: int) -> list[str]:
    """``Host`` values that address an inspector on 127.0.0.1:``port``."""
    return [
        f"127.0.0.1:{port}",
        f"localhost:{port}",
        f"[::1]:{port}",
        f"LOCALHOST:{port}",  # DNS names are case-insensitive: the same reserved name
        f"LocalHost:{port}",
    ]


def hostile_hosts(port: int) -> list[str]:
    """``Host`` values an inspector on ``port`` must refuse: each one a known bypass shape."""
    return [
        f"127.0.0.1:{port}@evil.example",  # userinfo: the review's bypass
        f"evil.example@127.0.0.1:{port}",
        f"user:pass@localhost:{port}",
        f"127.0.0.1:{port}:{port}",
        f"127.0.0.1:{port + 1}",  # another port
        f"127.0.0.1:0{port}",  # leading zero
        f"127.0.0.1:0x{port:x}",
        f"127.0.0.1:+{port}",
        f"127.0.0.1:-{port}",
        f"127.0.0.1: {port}",
        f"127.0.0.1:{port}.0",
        f"127.0.0.1:{port}0",
        f"127.0.0.1:{port + 65536}",
        "127.0.0.1:",  # empty port
        "127.0.0.1",  # no port, and the server is not on port 80
        "localhost",
        "",
        f"localhost.:{port}",  # trailing dots
        f"127.0.0.1.:{port}",
        f"LOCALHOST.:{port}",
        f"::1:{port}",  # IPv6 not bracketed
        "::1",
        f"[::1%25lo]:{port}",  # zone ids
        f"[::1%lo]:{port}",
        f"[::ffff:127.0.0.1]:{port}",
        f"[0:0:0:0:0:0:0:1]:{port}",
        f"[::1]{port}",
        f"[::1]:{port}]",
        f"[::1:{port}",
        f"[[::1]]:{port}",
        f"%6cocalhost:{port}",  # percent-encoding
        f"localhost%2e:{port}",
        f"127.0.0.1%3a{port}",
        f"localhost.evil.example:{port}",  # names that end elsewhere
        f"127.0.0.1.nip.io:{port}",
        f"localhost-evil.example:{port}",
        f"0x7f.1:{port}",  # other spellings of loopback
        f"2130706433:{port}",
        f"127.1:{port}",
        f"0177.0.0.1:{port}",
        f"127.0.0.2:{port}",
        f"0.0.0.0:{port}",
        f"localhost:{port}/x",  # more than an authority
        f"localhost:{port}?",
        f"localhost:{port}#",
        f"http://localhost:{port}",
        f"local host:{port}",  # whitespace and control characters
        f"localhost\t:{port}",
        f"localhost\r:{port}",
        f"localhost\x00:{port}",
        f"localhost:{port}\x0b",
        f"ⓛocalhost:{port}",  # non-ASCII
        f"localho\u017ft:{port}",  # long s, whose upper case is S
        f"loca\u212ahost:{port}",
    ]


LOCAL = [
    "/",
    "/users/ada",
    "/users/team%2Fada",  # a user id holding "/" stays one path segment
    "/users/%C3%A9mile",
    "/search?user=ada&q=a%20b",
    "/users/a%2F%2Fb",
]

NOT_LOCAL = [
    "//evil.example/",  # the review's open redirect
    "//evil.example",
    "///evil.example",
    "/\\evil.example",  # browsers read "\" as "/"
    "\\\\evil.example",
    "\\/evil.example",
    "/\t/evil.example",  # browsers strip tabs and newlines first
    "/\n/evil.example",
    "/\r/evil.example",
    " //evil.example",
    "\x00//evil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%2F/evil.example",
    "/%2f/evil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%252F/evil.example",  # encoded twice
    "/%25252F/evil.example",
    "/%2525252F/evil.example",  # still decoding after four rounds
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "evil.example",
    "",
    "/a b",
    "/a\\b",
    "/é",  # not an address: non-ASCII must be percent-encoded
    "/\u2028/evil.example",
    "/%E2%80%A8/evil.example",  # the same, encoded: a line separator, decoded
]
