"""The inspector's strict readers of the Host header and of redirect targets.

Two tables of hostile values found by review (and their legitimate neighbours), then
hypothesis: near-miss Host values assembled from the pieces attackers use, and arbitrary
paths, checked against what the reader may accept.
"""

from __future__ import annotations

from urllib.parse import unquote, urljoin, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langmem_plugin.ui._http import LOOPBACK_NAMES, host_problem, local_path
from tests._hostile import LOCAL, NOT_LOCAL, hostile_hosts, loopback_hosts

PORT = 48123


def _accepted_hosts(port: int) -> set[bytes]:
    """Every Host value the reader may accept, lowercased."""
    values = {f"{name}:{port}".encode() for name in LOOPBACK_NAMES}
    if port == 80:
        values |= {name.encode() for name in LOOPBACK_NAMES}
    return values


# ---------------------------------------------------------------------------- Host
@pytest.mark.parametrize("value", loopback_hosts(PORT))
def test_the_loopback_names_with_this_servers_port_are_accepted(value: str) -> None:
    assert host_problem(value.encode(), PORT) is None


@pytest.mark.parametrize("value", hostile_hosts(PORT))
def test_a_hostile_host_header_is_refused_with_a_reason(value: str) -> None:
    problem = host_problem(value.encode(), PORT)
    assert problem is not None
    assert problem  # a reason the 400 answer can give


def test_a_host_without_a_port_is_accepted_only_on_port_80() -> None:
    assert host_problem(b"localhost", 80) is None
    assert host_problem(b"[::1]", 80) is None
    assert host_problem(b"localhost:80", 80) is None
    assert host_problem(b"localhost", 8080) is not None
    assert host_problem(b"localhost", None) is not None  # unknown port (a Unix socket)
    assert host_problem(b"localhost:80", None) is not None


_NAMES = st.sampled_from(
    [*LOOPBACK_NAMES, "LOCALHOST", "Localhost", "127.1", "[::1", "::1", "[::ffff:127.0.0.1]"]
)
_AFFIXES = st.sampled_from(
    ["", ".", ".evil.example", "@evil.example", "evil.example@", "%2e", "%00", " ", "\t"]
)
_PORTS = st.sampled_from(
    ["", ":", f":{PORT}", f":0{PORT}", f":+{PORT}", f": {PORT}", f":{PORT + 1}", ":0x1f", ":80"]
)


@st.composite
def near_miss_hosts(draw: st.DrawFn) -> bytes:
    """A Host value built the way bypasses are: a loopback name, bent at one place."""
    value = draw(_AFFIXES) + draw(_NAMES) + draw(_AFFIXES) + draw(_PORTS) + draw(_AFFIXES)
    if draw(st.booleans()):  # and maybe one more character, anywhere
        at = draw(st.integers(0, len(value)))
        value = value[:at] + draw(st.characters(max_codepoint=0x2FF)) + value[at:]
    return value.encode("utf-8")


@settings(max_examples=1000, deadline=None)
@given(value=st.one_of(near_miss_hosts(), st.binary(max_size=40)), port=st.sampled_from([80, PORT]))
def test_only_the_canonical_loopback_forms_are_ever_accepted(value: bytes, port: int) -> None:
    accepted = host_problem(value, port) is None
    assert accepted == (value.lower() in _accepted_hosts(port))


@given(
    name=st.sampled_from(sorted(LOOPBACK_NAMES)),
    upper=st.lists(st.booleans(), min_size=9, max_size=9),
    port=st.integers(1, 65535),
)
def test_every_loopback_name_in_any_case_is_accepted_on_its_port(
    name: str, upper: list[bool], port: int
) -> None:
    cased = "".join(c.upper() if flip else c for c, flip in zip(name, upper, strict=False))
    assert host_problem(f"{cased}:{port}".encode(), port) is None
    assert host_problem(f"{cased}:{port}".encode(), port % 65535 + 1) is not None


# ---------------------------------------------------------------------------- paths
@pytest.mark.parametrize("target", LOCAL)
def test_a_same_origin_path_is_a_redirect_target(target: str) -> None:
    assert local_path(target) == target


@pytest.mark.parametrize("target", NOT_LOCAL)
def test_anything_that_could_leave_the_origin_is_not(target: str) -> None:
    assert local_path(target) is None


def _leaves(base: str, target: str) -> bool:
    """Whether a browser-like reading of ``target`` (tabs and newlines stripped, ``\\`` as
    ``/``, at any decoding depth) resolves to another origin than ``base``."""
    form = target
    for _ in range(6):
        cleaned = form.translate({9: None, 10: None, 13: None}).replace("\\", "/").strip()
        if urlsplit(urljoin(base, cleaned)).netloc != urlsplit(base).netloc:
            return True
        form = unquote(form)
    return False


_PIECES = st.sampled_from(
    [
        *("/", "\\", "%2f", "%2F", "%5c", "%09", "\t", "\n", "%0a", "%25", "%E2%80%A8"),
        *("evil.example", ":", "@", "http:", " ", ".", "a", "?", "#"),
    ]
)


@settings(max_examples=1000, deadline=None)
@given(target=st.one_of(st.lists(_PIECES, max_size=8).map("".join), st.text(max_size=20)))
def test_an_accepted_target_never_leaves_the_origin_however_it_is_read(target: str) -> None:
    if local_path(target) is None:
        return
    base = "http://127.0.0.1:8765/users/ada"
    assert not _leaves(base, target)
    assert target.startswith("/")
    assert target[1:2] not in {"/", "\\"}
