"""Property: ``forget_user(u)`` removes exactly u's items, whatever labels collide.

Hypothesis draws a few users (ids that are prefixes of one another, equal to the library's
namespace kinds, ids a naive label encoding would merge such as ``a.b`` and ``a%2Eb``, or
generated from ``.``, ``%``, ``@``, ``/``, ``*`` and unicode) and items in namespaces built
from the same ids, each written as its label (``_ids.id_label``): user ids as kinds, at the
user position, and deeper; agent-scoped ``("agent_lessons", id)`` namespaces; values naming
another user in a ``user_id`` field; and chat sessions whose ids are other users' ids.
Each user's ``user_namespaces`` are exactly the oracle's, on ``ChromaStore`` as on
``InMemoryStore``. After ``forget_user(u)`` the store's records (values, times, TTLs) must
be exactly the ones before minus u's by the rule (``_isolation_data.owned``): position 1
equal to u's label outside agent kinds, plus u's session claims.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import HumanMessage
from langgraph.store.memory import InMemoryStore

from langmem_plugin import Memory
from langmem_plugin._ids import id_label
from langmem_plugin._namespaces import user_namespaces
from tests._support import HashEmbeddings
from tests.integration._isolation_data import owned, records

NAMED = ["1", "11", "memories", "archive", "profile", "sessions", "session_owners", "lessons"]
NAMED += ["tasks", "agent_lessons", "projects"]
COLLIDING = ["a.b", "a%2Eb", "a", "a.", "*", "%2A", "%", "a%252Eb", "maria@example.com"]
GENERATED = st.text(alphabet="ab1-_.%2EA5*@/ü", min_size=1, max_size=4).filter(str.strip)
IDS = st.sampled_from(NAMED + COLLIDING) | GENERATED
HISTORY_KINDS = frozenset({"archive", "sessions", "session_owners"})
EMBEDDINGS = HashEmbeddings(16)


@st.composite
def worlds(draw: Any) -> dict[str, Any]:
    """Users, items whose labels are drawn from the users and the kinds, and sessions."""
    users = draw(st.lists(IDS, min_size=2, max_size=4, unique=True))
    ids = st.sampled_from(sorted({*users, *NAMED}))
    labels = ids.map(id_label)
    user_labels = st.sampled_from(users).map(id_label)
    # The history's own kinds are written through its API below (an item put by hand in
    # ("sessions", u) *is* a session record of u's); ids and deeper labels may be them.
    kinds = labels.filter(lambda label: label not in HISTORY_KINDS)
    namespace = st.one_of(
        st.tuples(kinds, user_labels).map(tuple),  # (kind, user)
        st.tuples(kinds, user_labels, labels).map(tuple),  # a deeper label
        st.tuples(st.just("agent_lessons"), user_labels).map(tuple),
        st.tuples(labels).map(tuple),  # one label: no user
    )
    value = st.fixed_dictionaries(
        {"content": st.sampled_from(["cat", "trip", "code"])},
        optional={"user_id": st.sampled_from(users)},  # naming a user in the value
    )
    items = draw(st.lists(st.tuples(namespace, st.sampled_from("kq"), value), max_size=12))
    session_ids = draw(st.lists(ids, max_size=3, unique=True))  # often another user's id
    sessions = [(draw(st.sampled_from(users)), session) for session in session_ids]
    return {"users": users, "items": items, "sessions": sessions}


@settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(world=worlds(), pick=st.integers(min_value=0, max_value=3))
def test_forget_user_removes_exactly_the_users_items(world: dict[str, Any], pick: int) -> None:
    memory = Memory.in_memory(embeddings=EMBEDDINGS)
    try:
        for ns, key, value in world["items"]:
            memory.store.put(ns, key, value)
        for user, session in world["sessions"]:
            memory.history(session, user_id=user).add_messages([HumanMessage(f"hi {user}")])
        user = world["users"][pick % len(world["users"])]
        before = records(memory)

        reference = InMemoryStore()
        for (ns, key), record in before.items():
            reference.put(ns, key, record.value)
        for candidate in world["users"]:
            listed = user_namespaces(memory.store, candidate)
            assert listed == user_namespaces(reference, candidate)
            mine = {ns for (ns, key), r in before.items() if owned(ns, key, r.value, candidate)}
            assert listed == sorted(mine - {("session_owners",)})

        report = memory.forget_user(user)
        expected = {k: r for k, r in before.items() if not owned(k[0], k[1], r.value, user)}
        assert records(memory) == expected
        assert sorted(report.sessions) == sorted(s for u, s in world["sessions"] if u == user)
    finally:
        memory.close()
