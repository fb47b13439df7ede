"""Any non-blank string is an id, and its namespace label stands for it and nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langgraph.store.memory import InMemoryStore

from langmem_plugin._ids import id_label, label_id, validate_id
from langmem_plugin._namespaces import (
    namespace_user,
    user_label,
    user_namespace,
    user_namespaces,
)
from langmem_plugin.errors import InvalidIdError

# Ids made of the characters the encoding cares about, so collisions are likely to be tried.
TRICKY = st.text(alphabet=".%2EA5*a@/ ü", min_size=1, max_size=8).filter(str.strip)
ANY = st.text(min_size=1).filter(lambda s: s.strip() and "\x00" not in s)


@given(st.one_of(TRICKY, ANY))
def test_a_label_reads_back_as_its_id_and_is_a_valid_label(value: str) -> None:
    label = id_label(value)
    assert label_id(label) == value
    assert "." not in label
    assert label not in ("*", "")


@given(TRICKY, TRICKY)
def test_two_ids_never_share_a_label(first: str, second: str) -> None:
    assert (id_label(first) == id_label(second)) == (first == second)


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("ada", "ada"),  # ids valid before keep their label
        ("100%", "100%"),
        ("a%20b", "a%20b"),
        ("a*b", "a*b"),
        ("acme.eu/42", "acme%2Eeu/42"),
        ("maria@example.com", "maria@example%2Ecom"),
        ("a.b", "a%2Eb"),
        ("a%2Eb", "a%252Eb"),  # the literal escape is escaped: no collision with "a.b"
        ("a.", "a%2E"),
        ("*", "%2A"),
        ("%2A", "%252A"),
    ],
)
def test_the_encoding_escapes_only_what_it_must(value: str, label: str) -> None:
    assert id_label(value) == label
    assert label_id(label) == value


@pytest.mark.parametrize("bad", ["", "  ", "\n", "a\x00b", None, 42])
def test_a_blank_or_non_string_id_is_a_clear_error(bad: object) -> None:
    with pytest.raises(InvalidIdError, match="user_id") as caught:
        id_label(bad)
    assert repr(bad) in str(caught.value)
    with pytest.raises(ValueError, match="session_id"):
        validate_id(bad, "session_id")


def test_namespaces_name_the_original_user() -> None:
    store = InMemoryStore()
    ids = ["a.b", "a%2Eb", "a", "a.", "*", "maria@example.com", "x/y?z#w"]
    for user in ids:
        store.put(user_namespace("memories", user), "k", {"user": user})
        store.put(user_namespace("archive", user, "s.1"), "m", {"user": user})
    for user in ids:
        listed = user_namespaces(store, user)
        assert listed == sorted(
            [("archive", user_label(user), "s%2E1"), ("memories", user_label(user))]
        )
        assert {namespace_user(ns) for ns in listed} == {user}
        assert [i.value["user"] for ns in listed for i in store.search(ns)] == [user, user]
