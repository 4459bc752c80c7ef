"""ML acronyms and their expansions, so "RLHF" finds "reinforcement learning from human feedback".

A short base list of the field's common acronyms, plus expansions mined from the papers
themselves: abstracts define their acronyms ("Mixture-of-Experts (MoE)"), so new ones are
learned from the corpus instead of being listed by hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = ["BASE_ACRONYMS", "acronym_spellings", "expand", "mine_acronyms", "spell"]

BASE_ACRONYMS: dict[str, tuple[str, ...]] = {
    "rl": ("reinforcement learning",),
    "drl": ("deep reinforcement learning",),
    "marl": ("multi-agent reinforcement learning",),
    "rlhf": ("reinforcement learning from human feedback",),
    "rlaif": ("reinforcement learning from AI feedback",),
    "dpo": ("direct preference optimization",),
    "ppo": ("proximal policy optimization",),
    "grpo": ("group relative policy optimization",),
    "moe": ("mixture of experts",),
    "llm": ("large language model",),
    "llms": ("large language models",),
    "vlm": ("vision language model",),
    "vla": ("vision language action",),
    "gnn": ("graph neural network",),
    "nlp": ("natural language processing",),
    "cv": ("computer vision",),
    "mdp": ("markov decision process",),
    "pomdp": ("partially observable markov decision process",),
    "il": ("imitation learning",),
    "bc": ("behavior cloning", "behavioural cloning"),
    "irl": ("inverse reinforcement learning",),
    "sft": ("supervised fine-tuning",),
    "rag": ("retrieval augmented generation",),
    "cot": ("chain of thought",),
    "vae": ("variational autoencoder",),
    "gan": ("generative adversarial network",),
    "vit": ("vision transformer",),
    "nerf": ("neural radiance field",),
    "asr": ("automatic speech recognition",),
    "ocr": ("optical character recognition",),
    "kd": ("knowledge distillation",),
    "peft": ("parameter-efficient fine-tuning",),
    "lora": ("low-rank adaptation",),
    "cvar": ("conditional value at risk",),
    "mcts": ("monte carlo tree search",),
    "sac": ("soft actor critic",),
    "dqn": ("deep q-network",),
    "ood": ("out of distribution",),
}

# How the base acronyms that are not all capitals are written (for explanations).
_BASE_SPELLINGS = {
    "moe": "MoE",
    "llms": "LLMs",
    "vit": "ViT",
    "nerf": "NeRF",
    "cot": "CoT",
    "lora": "LoRA",
    "peft": "PEFT",
}

# "Long Form Words (LFW)": the parenthesised acronym, and the words just before it.
_ACRONYM = re.compile(r"\(([A-Z][A-Za-z0-9-]{1,9})\)")
_WORDS = re.compile(r"[A-Za-z][\w-]*")


_FUNCTION_WORDS = frozenset(
    ["of", "from", "the", "and", "for", "to", "with", "in", "on", "a", "an", "by", "via"]
)


def _initials(words: list[str], *, skip_function_words: bool) -> str:
    letters: list[str] = []
    for word in words:
        if skip_function_words and word.lower() in _FUNCTION_WORDS:
            continue
        letters.extend(part[0].lower() for part in word.split("-") if part)
    return "".join(letters)


def mine_acronyms(texts: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Acronym definitions found in text: the long form whose initials spell the acronym."""
    found: dict[str, set[str]] = {}
    for text in texts:
        for match in _ACRONYM.finditer(text):
            acronym = match.group(1)
            words = _WORDS.findall(text[max(0, match.start() - 120) : match.start()])[-8:]
            if not words:
                continue
            target = "".join(ch for ch in acronym.lower() if ch.isalpha())
            plural = target.endswith("s") and len(target) > 2
            for start in range(len(words)):
                candidate = words[start:]
                if candidate[0].lower() in _FUNCTION_WORDS:
                    continue
                spelled = {_initials(candidate, skip_function_words=skip) for skip in (False, True)}
                if target in spelled or (plural and target[:-1] in spelled):
                    found.setdefault(acronym.lower(), set()).add(" ".join(candidate).lower())
                    break
    return {k: tuple(sorted(v)) for k, v in found.items()}


def acronym_spellings(texts: Iterable[str]) -> dict[str, str]:
    """How each acronym the texts define is written there ("moe" -> "MoE"), most often
    first: explanations show an acronym as papers write it."""
    counts: dict[str, dict[str, int]] = {}
    for text in texts:
        for match in _ACRONYM.finditer(text):
            written = match.group(1)
            forms = counts.setdefault(written.lower(), {})
            forms[written] = forms.get(written, 0) + 1
    return {key: max(forms, key=lambda f: (forms[f], f)) for key, forms in counts.items()}


def spell(acronym: str, spellings: Mapping[str, str]) -> str:
    """An acronym (lower case, as the tables key it) as it is written."""
    return spellings.get(acronym) or _BASE_SPELLINGS.get(acronym) or acronym.upper()


def expand(words: Iterable[str], table: dict[str, tuple[str, ...]]) -> list[str]:
    """The long forms of any acronym among ``words``."""
    expansions: list[str] = []
    for word in words:
        expansions.extend(table.get(word.lower(), ()))
    return expansions
