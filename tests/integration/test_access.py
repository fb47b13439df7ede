"""Sharing beyond the matrix: explicit shares are audited, refusals too, grants persist,
forgetting a user removes their grants and team writes (and nothing of others')."""

from __future__ import annotations

from pathlib import Path

import pytest

from langmem_plugin._namespaces import namespace_user, user_namespace
from langmem_plugin.access import GRANTS, Policy, Principal, team_namespace
from langmem_plugin.errors import AccessDeniedError, ConfigError
from langmem_plugin.memory import Memory

TEAM = team_namespace("research")


def test_share_unshare_and_refusals_are_audited(tmp_path: Path) -> None:
    with Memory.from_path(tmp_path / "m") as memory:
        access = memory.access
        access.share(TEAM, "ada", role="owner")
        with pytest.raises(AccessDeniedError, match="user 'bob' may not share team 'research'"):
            access.share(TEAM, "bob", role="member", by="bob")
        access.share(TEAM, "bob", role="member", by="ada")
        access.put("bob", TEAM, "n1", {"content": "deadline Friday"})
        assert access.get("bob", TEAM, "n1") is not None
        assert access.unshare(TEAM, "bob", by="ada") is True
        with pytest.raises(AccessDeniedError, match="may not read"):
            access.get("bob", TEAM, "n1")
        ops = [(e.operation, e.detail) for e in memory.audit(None) if e.namespace == TEAM]
        kinds = [op for op, _ in ops]
        assert kinds.count("share") == 2
        assert "unshare" in kinds
        assert "denied" in kinds
        assert all("deadline" not in str(detail) for _, detail in ops)  # never content


def test_an_agent_shares_nothing_of_its_user_by_being_named_like_it() -> None:
    with Memory.in_memory() as memory:
        memory.store.put(user_namespace("memories", "ada"), "k", {"content": "ada's note"})
        memory.access.share(user_namespace("memories", "ada"), Principal("x", "bob"), by="ada")
        with pytest.raises(AccessDeniedError):  # the grant is the agent bob's, not user bob's
            memory.access.search("bob", user_namespace("memories", "ada"))
        assert memory.access.search(Principal("x", "bob"), user_namespace("memories", "ada"))


def test_grants_persist_across_reopen(tmp_path: Path) -> None:
    with Memory.from_path(tmp_path / "m") as memory:
        memory.access.share(TEAM, "ada", role="member")
    with Memory.from_path(tmp_path / "m") as memory:
        assert memory.access.allowed("ada", "write", TEAM)
        assert not memory.access.allowed("ada", "share", TEAM)


def test_policy_roles_are_checked() -> None:
    with pytest.raises(ConfigError, match="unknown actions"):
        Policy(roles={"member": {"read", "fly"}})
    with Memory.in_memory() as memory:
        with pytest.raises(ConfigError, match="unknown role"):
            memory.access.share(TEAM, "ada", role="boss")
        memory.configure_access(Policy(roles={"member": {"read"}}))
        memory.access.share(TEAM, "ada", role="member")
        with pytest.raises(AccessDeniedError, match="may not write"):
            memory.access.put("ada", TEAM, "k", {"content": "x"})


def test_forget_user_removes_their_grants_and_team_writes_only(tmp_path: Path) -> None:
    with Memory.from_path(tmp_path / "m") as memory:
        memory.configure_access(Policy(admins=frozenset({"ada", "ops"})))
        access = memory.access
        for user in ("ada", "bob"):
            access.share(TEAM, user, role="member")
            access.put(user, TEAM, f"{user}-note", {"content": f"{user} wrote this"})
        access.share(user_namespace("memories", "bob"), "ada", role="reader")
        access.share(user_namespace("memories", "ada"), "bob", role="reader")
        memory.forget_user("ada")
        left = [i.value for i in memory.store.search(GRANTS, limit=100)]
        assert all("ada" not in (g["to_id"], g["scope_id"]) for g in left)
        assert [g["to_id"] for g in left] == ["bob"]
        team_items = memory.store.search(TEAM, limit=100)
        assert [i.key for i in team_items] == ["bob-note"]
        assert namespace_user(TEAM) is None  # a team is nobody's user namespace
    with Memory.from_path(tmp_path / "m") as memory:  # the stored policy forgot ada too
        assert memory.access.policy.admins == {"ops"}


@pytest.mark.parametrize(
    ("who", "action", "value", "allowed"),
    [
        ("ada", "search", {"namespace": TEAM, "query": "x"}, True),
        ("ada", "put", {"namespace": TEAM, "key": "k", "value": {"content": "x"}}, True),
        ("ada", "put", {"namespace": TEAM, "key": "k", "value": None}, False),  # forget
        ("ada", "delete", {"namespace": TEAM, "key": "k"}, False),
        ("eve", "get", {"namespace": TEAM, "key": "k"}, False),
        ("eve", "get", {"namespace": user_namespace("memories", "eve"), "key": "k"}, True),
        ("eve", "list_namespaces", {"namespace": None}, False),
        ("ops", "list_namespaces", {"namespace": None}, True),
        ("eve", "search", {"namespace": ("session_owners",)}, False),
    ],
)
def test_langgraph_store_handler_applies_the_policy(
    who: str, action: str, value: dict, allowed: bool
) -> None:
    import asyncio

    from langgraph_sdk import Auth
    from langgraph_sdk.auth.types import AuthContext, StudioUser

    from langmem_plugin.access import store_auth_handler

    with Memory.in_memory() as memory:
        memory.configure_access(Policy(admins=frozenset({"ops"})))
        memory.access.share(TEAM, "ada", role="member")
        auth = Auth()
        handler = auth.on.store()(store_auth_handler(memory.access))
        ctx = AuthContext(
            permissions=[],
            user=StudioUser(who, is_authenticated=True),
            resource="store",
            action=action,  # type: ignore[arg-type]
        )
        if allowed:
            assert asyncio.run(handler(ctx, value)) is True
        else:
            with pytest.raises(Auth.exceptions.HTTPException) as refused:
                asyncio.run(handler(ctx, value))
            assert refused.value.status_code == 403
            assert "access denied" in str(refused.value.detail)


def test_grants_policy_and_team_memory_survive_export_and_import(tmp_path: Path) -> None:
    with Memory.from_path(tmp_path / "a") as memory:
        memory.configure_access(Policy(admins=frozenset({"ops"})))
        memory.access.share(TEAM, "ada", role="member")
        memory.access.put("ada", TEAM, "n1", {"content": "ship on Friday"})
        memory.export(tmp_path / "out.jsonl")
    with Memory.from_path(tmp_path / "b") as target:
        target.import_from(tmp_path / "out.jsonl")
        assert target.access.policy.admins == {"ops"}
        found = target.access.search("ada", TEAM, query="ship")
        assert [i.value["written_by"] for i in found] == ["ada"]
        with pytest.raises(AccessDeniedError):
            target.access.search("eve", TEAM, query="ship")
