"""Kill test: a writer process is SIGKILLed at random moments; the store keeps its promises.

``_store_writer.py`` writes batches of puts and deletes to a ChromaStore forever and reports,
on stdout, each batch before it starts (intent) and after ``batch`` returned (ack). The test
kills it with SIGKILL at a random moment, reopens the store and checks:

* every acknowledged put is there with its last acknowledged value, and acknowledged
  deletes stay deleted; a key of the batch in flight holds either its previous value or
  the in-flight one;
* filtered searches return exactly the live items that match;
* a search with a query returns every live item, each with a score (no item lost its
  vectors), and searching with an item's own text finds that item first with score 1;
* no search ever returns a value other than the item's current one, and the texts of
  older or deleted values do not match any item with score 1 (no stale vectors).

Then the writer is restarted on the same store with another seed, several times, and once
against a Chroma server (the writer process is killed; the server stays up).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.integration._store_writer import (
    GROUPS,
    KEYS,
    NAMESPACES,
    WORDS,
    embed_texts,
    index_config,
    make_value,
)

REPO = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("_store_writer.py")

Slot = tuple[tuple[str, ...], str]
Value = dict[str, Any] | None
ALL_SLOTS: list[Slot] = [(ns, k) for ns in NAMESPACES for k in KEYS]


@dataclass
class Outcome:
    """What one writer run reported before it was killed."""

    acked: list[list[tuple[Slot, Value]]] = field(default_factory=list)
    in_flight: list[tuple[Slot, Value]] | None = None


def parse_report(text: str) -> Outcome:
    """Acknowledged batches in order and the batch in flight (complete lines only)."""
    lines = text.split("\n")[:-1]  # the last piece is "" or a line cut by the kill
    outcome = Outcome()
    pending: tuple[int, list[tuple[Slot, Value]]] | None = None
    for line in lines:
        event = json.loads(line)
        if "intent" in event:
            assert pending is None, f"intent {event['intent']} before the previous ack"
            ops = [((tuple(ns), key), value) for ns, key, value in event["ops"]]
            pending = (event["intent"], ops)
        else:
            assert pending is not None, line
            assert pending[0] == event["ack"], line
            outcome.acked.append(pending[1])
            pending = None
    outcome.in_flight = pending[1] if pending else None
    return outcome


def count_acks(path: Path) -> int:
    return path.read_bytes().count(b'"ack"')


def run_writer_until_killed(
    tmp: Path,
    seed: int,
    rng: random.Random,
    *,
    path: Path | None,
    url: str | None,
    prefix: str,
    sql: str | None = None,
) -> Outcome:
    """Start the writer, let it acknowledge a random number of batches, SIGKILL it."""
    out, err = tmp / f"writer-{seed}.out", tmp / f"writer-{seed}.err"
    cmd = [sys.executable, str(WRITER), str(path or tmp), str(seed), "--prefix", prefix]
    if url:
        cmd += ["--url", url, "--sql", str(sql)]
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "ORT_DISABLE_TELEMETRY": "1"}
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=stderr, env=env, cwd=REPO)
    try:
        wanted = rng.randint(2, 10)
        deadline = time.monotonic() + 120
        while count_acks(out) < wanted:
            if proc.poll() is not None:
                pytest.fail(f"writer exited with {proc.returncode}:\n{err.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"writer acknowledged fewer than {wanted} batches in 120 s")
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.2))  # land anywhere inside the following batch
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, err.read_text()
    return parse_report(out.read_text())


@dataclass
class Model:
    """The state the store must be in, with the texts each slot held before."""

    state: dict[Slot, Value] = field(default_factory=lambda: dict.fromkeys(ALL_SLOTS))
    old_texts: dict[Slot, list[str]] = field(default_factory=dict)

    def apply(self, ops: list[tuple[Slot, Value]]) -> None:
        for slot, value in ops:
            self._retire(slot, value)
            self.state[slot] = value

    def _retire(self, slot: Slot, new: Value) -> None:
        old = self.state.get(slot)
        if old is not None and (new is None or new["text"] != old["text"]):
            self.old_texts.setdefault(slot, []).append(old["text"])


def _cosine(a: list[float], b: list[float]) -> float:
    va, vb = np.asarray(a), np.asarray(b)
    return float(va @ vb / (np.linalg.norm(va) * np.linalg.norm(vb)))


def check_store(store: Any, model: Model, outcome: Outcome) -> None:
    """Compare the reopened store with the model; afterwards the model is the store."""
    for ops in outcome.acked:
        model.apply(ops)
    flight = dict(outcome.in_flight or [])

    # 1. get: acknowledged values, or the in-flight one for the keys of the batch in flight.
    actual: dict[Slot, Value] = {}
    for slot in ALL_SLOTS:
        item = store.get(*slot)
        got = None if item is None else item.value
        allowed = [model.state[slot]]
        if slot in flight:
            allowed.append(flight[slot])
        assert got in allowed, f"{slot}: got {got!r}, allowed {allowed!r}"
        actual[slot] = got
    # A batch is all-or-nothing: the batch in flight (puts and deletes mixed) either
    # landed on every key it changes or on none.
    changing = [slot for slot in flight if flight[slot] != model.state[slot]]
    landed = {actual[slot] == flight[slot] for slot in changing}
    assert len(landed) <= 1, f"half a batch landed: {[(s, actual[s]) for s in changing]}"
    model.apply([(slot, flight[slot]) for slot in flight if actual[slot] == flight[slot]])
    for slot, value in flight.items():
        if value is not None and actual[slot] != value:  # the in-flight text never became one
            model.old_texts.setdefault(slot, []).append(value["text"])
    assert model.state == actual
    live = {slot: value for slot, value in actual.items() if value is not None}
    assert live, "the writer never wrote anything that survived"

    def assert_current(hits: list[Any]) -> None:
        for hit in hits:
            assert hit.value == actual[(hit.namespace, hit.key)], f"stale value in {hit!r}"

    # 2. filtered search: exactly the live items that match.
    for namespace_prefix in [("w",), *NAMESPACES]:
        in_prefix = {
            s: v for s, v in live.items() if s[0][: len(namespace_prefix)] == namespace_prefix
        }
        for group in GROUPS:
            hits = store.search(namespace_prefix, filter={"group": group}, limit=1000)
            assert_current(hits)
            assert {(h.namespace, h.key) for h in hits} == {
                s for s, v in in_prefix.items() if v["group"] == group
            }
        hits = store.search(
            namespace_prefix,
            filter={"nested": {"n": {"$gte": 5}}, "group": {"$ne": "g0"}},
            limit=1000,
        )
        assert_current(hits)
        assert {(h.namespace, h.key) for h in hits} == {
            s for s, v in in_prefix.items() if v["nested"]["n"] >= 5 and v["group"] != "g0"
        }

    # 3. vector search: every live item has its vectors, so every one comes back scored.
    hits = store.search(("w",), query=" ".join(WORDS[:3]), limit=1000)
    assert_current(hits)
    assert {(h.namespace, h.key) for h in hits} == set(live)
    assert all(h.score is not None for h in hits), [h for h in hits if h.score is None]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)

    # 4. an item's own text finds it first, with score 1.
    vectors = dict(zip(live, embed_texts([v["text"] for v in live.values()]), strict=True))
    for slot, value in live.items():
        hits = store.search(("w",), query=value["text"], limit=3)
        assert_current(hits)
        identical = {s for s in live if _cosine(vectors[s], vectors[slot]) > 1 - 1e-9}
        assert (hits[0].namespace, hits[0].key) in identical, (slot, hits)
        assert hits[0].score == pytest.approx(1.0, abs=1e-6)

    # 5. texts of older, deleted or never-committed values match nothing exactly.
    for slot, texts in model.old_texts.items():
        for text in texts[-3:]:
            [query_vector] = embed_texts([text])
            hits = store.search(("w",), query=text, limit=1000)
            assert_current(hits)
            for hit in hits:
                hit_slot = (hit.namespace, hit.key)
                if _cosine(query_vector, vectors[hit_slot]) > 1 - 1e-9:
                    continue  # its current text happens to embed like the old one
                assert hit.score < 1 - 1e-6, (
                    f"{hit_slot} scores {hit.score} for {text!r}, a text {slot} no longer holds"
                )


@pytest.fixture
def rng() -> random.Random:
    """Randomness of the kill moments; the seed is printed (shown when a test fails)."""
    seed = int(os.environ.get("KILL_TEST_SEED") or random.randrange(1_000_000))
    print(f"kill test seed: {seed} (rerun with KILL_TEST_SEED={seed})")
    return random.Random(seed)


def test_killed_writer_loses_nothing_acknowledged(tmp_path: Path, rng: random.Random) -> None:
    """Four SIGKILLs of a writer on one embedded Chroma directory; each reopen is checked."""
    from langmem_plugin import ChromaStore

    path, prefix, model = tmp_path / "chroma", "killtest", Model()
    for round_ in range(4):
        outcome = run_writer_until_killed(
            tmp_path,
            rng.randrange(1_000_000) * 10 + round_,
            rng,
            path=path,
            url=None,
            prefix=prefix,
        )
        assert outcome.acked, "the writer was killed before any batch was acknowledged"
        with ChromaStore(path=path, index=index_config(), collection_prefix=prefix) as store:
            check_store(store, model, outcome)


def test_reopen_after_another_process_wrote(tmp_path: Path) -> None:
    """A process that closed its store and reopens the directory sees another's writes.

    Process A puts and searches (loading the vector index), closes the store; process B
    (the kill test's writer, stopped normally here) writes; A reopens the same directory:
    gets, filtered and vector searches must answer with B's items.
    """
    from langmem_plugin import ChromaStore

    path, prefix = tmp_path / "chroma", "reopen"
    mine = make_value(random.Random(0), "k0", "test")
    with ChromaStore(path=path, index=index_config(), collection_prefix=prefix) as store:
        store.put(("w", "u1"), "k0", mine)
        assert store.search(("w",), query=mine["text"])[0].key == "k0"
    out = tmp_path / "writer.out"
    with out.open("wb") as stdout:
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(path), "7", "--prefix", prefix],
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            cwd=REPO,
        )
    try:
        deadline = time.monotonic() + 120
        while count_acks(out) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    outcome = parse_report(out.read_text())
    assert len(outcome.acked) >= 3
    model = Model()
    model.state[(("w", "u1"), "k0")] = mine
    with ChromaStore(path=path, index=index_config(), collection_prefix=prefix) as store:
        check_store(store, model, outcome)


def test_killed_writer_on_a_chroma_server(
    tmp_path: Path, rng: random.Random, chroma_url: str, postgres_url: str
) -> None:
    """The same with a writer on a Chroma server and PostgreSQL: the client is killed."""
    from langmem_plugin import ChromaStore

    prefix = f"kill{uuid.uuid4().hex[:10]}"
    outcome = run_writer_until_killed(
        tmp_path,
        rng.randrange(1_000_000),
        rng,
        path=None,
        url=chroma_url,
        prefix=prefix,
        sql=postgres_url,
    )
    assert outcome.acked
    with ChromaStore.from_url(
        chroma_url, sql=postgres_url, index=index_config(), collection_prefix=prefix
    ) as store:
        check_store(store, Model(), outcome)
