"""The MiniLM embedder's arithmetic and batching: what changes speed must not change meaning."""

from __future__ import annotations

import numpy as np
import pytest

from digest.ranking.embedding import minilm_name, native_bf16
from digest.ranking.minilm import MiniLmEmbedder, _batches

TEXTS = [
    "Diffusion policies for robot manipulation from a few demonstrations.",
    "Protein folding.",
    "We bound the regret of linear contextual bandits with heavy-tailed rewards, and show "
    "that the bound is tight up to logarithmic factors on every instance we construct.",
    "KV-cache compression for serving large language models.",
    "",
]

AMX_FLAGS = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f amx_bf16 amx_tile amx_int8\n"


def test_bf16_is_chosen_only_where_the_cpu_multiplies_bf16_in_hardware() -> None:
    assert native_bf16(AMX_FLAGS)
    assert not native_bf16("processor\t: 0\nflags\t\t: fpu sse2 avx2 fma\n")
    assert not native_bf16("model name\t: amx_bf16 in a name is not a flag\n")


def test_the_stored_vector_name_says_how_they_were_computed() -> None:
    names = {minilm_name(128, p) for p in ("int8", "bf16", "fp32")}
    assert len(names) == 3  # vectors of different arithmetic are never mixed
    assert minilm_name(128, "fp32") == "all-MiniLM-L6-v2:128"
    assert minilm_name(256, "int8") == "all-MiniLM-L6-v2:256:int8"


def test_batches_hold_every_row_once_longest_first_within_the_budget() -> None:
    lengths = [5, 128, 30, 30, 7, 128, 1, 64]
    groups = _batches(lengths, budget=128)
    rows = [int(r) for g in groups for r in g]
    assert sorted(rows) == list(range(len(lengths)))
    assert [lengths[r] for r in rows] == sorted(lengths, reverse=True)
    for group in groups:
        longest = max(lengths[r] for r in group)
        assert len(group) * longest <= 128 or len(group) == 1
    assert len(groups[-1]) > 1  # short texts share a forward pass


@pytest.fixture(scope="module")
def fp32() -> MiniLmEmbedder:
    return MiniLmEmbedder(precision="fp32")


def test_bf16_vectors_match_float32(fp32: MiniLmEmbedder) -> None:
    reference = fp32.embed(TEXTS)
    vectors = MiniLmEmbedder(precision="bf16").embed(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(vectors * reference, axis=1)) > 0.999


def test_a_text_gets_the_same_vector_alone_or_batched_with_others(fp32: MiniLmEmbedder) -> None:
    together = fp32.embed(TEXTS)
    alone = np.vstack([fp32.embed([t]) for t in TEXTS])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    small_batches = MiniLmEmbedder(precision="fp32", batch_tokens=16)
    np.testing.assert_allclose(small_batches.embed(TEXTS), together, atol=1e-5)
