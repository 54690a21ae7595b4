"""Open-ended VQA: a small decoder writes the answer word by word from the fused vector.

The trunk is chapter 7's (a CNN on the VQGAN grid, a GRU on the question, FiLM); instead
of one classification head per kind of question, one GRU decoder over the whole word
vocabulary answers every kind, and could in principle say any word. Exact match compares
the written answer with the true one, word for word.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_positive_int, describe


class AnswerDecoder(nn.Module):
    """A GRU language model of the answer, conditioned on the fused vector z.

    z sets the first hidden state and is also fed at every step beside the previous word,
    so the decoder cannot forget the image and question while it writes.
    """

    def __init__(self, vocab_size: int, z_dim: int, dim: int = 32, hidden: int = 64):
        super().__init__()
        check_positive_int(vocab_size, "vocab_size")
        self.embed = nn.Embedding(vocab_size, dim)
        self.start = nn.Linear(z_dim, hidden)
        self.gru = nn.GRU(dim + z_dim, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab_size)

    def forward(self, z: torch.Tensor, words: torch.Tensor, h: torch.Tensor | None = None):
        """Logits (B, L, V) of the word after each of ``words`` (B, L), and the last hidden state."""
        h = torch.tanh(self.start(z))[None] if h is None else h
        x = torch.cat([self.embed(words), z[:, None].expand(-1, words.shape[1], -1)], -1)
        y, h = self.gru(x, h)
        return self.out(y), h


class VQAModel(nn.Module):
    """decoder(fusion(encoders(batch))): ``batch`` holds ``image``, ``text`` (the question)
    and ``label``, the answer's ids ``<bos> w1 .. <eos> <pad>..`` (B, L). The forward pass is
    teacher-forced: it returns the logits of ``label[:, 1:]`` given ``label[:, :-1]``."""

    def __init__(self, encoders: dict[str, nn.Module], fusion: nn.Module, decoder: AnswerDecoder,
                 bos_id: int = 1, eos_id: int = 2, pad_id: int = 0):
        super().__init__()
        self.encoders, self.fusion, self.decoder = nn.ModuleDict(encoders), fusion, decoder
        self.bos_id, self.eos_id, self.pad_id = bos_id, eos_id, pad_id

    def fuse(self, batch: dict) -> torch.Tensor:
        missing = [k for k in self.encoders if k not in batch] if isinstance(batch, dict) else list(self.encoders)
        if missing:
            raise ValueError(f"expected a dict with {list(self.encoders)}, got {describe(batch)}; missing {missing}")
        return self.fusion({k: e(batch[k]) for k, e in self.encoders.items()})

    def forward(self, batch: dict) -> torch.Tensor:
        answer = batch.get("label") if isinstance(batch, dict) else None
        if not torch.is_tensor(answer) or answer.dim() != 2 or answer.shape[1] < 2 or answer.dtype != torch.long:
            raise ValueError(f"batch['label'] must be the answers' ids, a (B, L >= 2) long tensor starting with "
                             f"<bos>, got {describe(answer)}")
        logits, _ = self.decoder(self.fuse(batch), answer[:, :-1])
        return logits

    @torch.no_grad()
    def generate(self, batch: dict, max_words: int = 4) -> torch.Tensor:
        """Greedy answers (B, <= max_words): the ids of each row's words, <pad> after them."""
        return greedy_decode(self.decoder, self.fuse(batch), self.bos_id, self.eos_id, self.pad_id, max_words)


@torch.no_grad()
def greedy_decode(decoder: AnswerDecoder, z: torch.Tensor, bos_id: int = 1, eos_id: int = 2, pad_id: int = 0,
                  max_words: int = 4) -> torch.Tensor:
    """Write each answer one word at a time, always the most likely next word, feeding it
    back with the hidden state, until <eos> or ``max_words``. Returns (B, <= max_words) ids,
    <eos> and everything after it as <pad>."""
    check_positive_int(max_words, "max_words")
    if not torch.is_tensor(z) or z.dim() != 2:
        raise ValueError(f"z must be the fused vectors, a (B, D) tensor, got {describe(z)}")
    word = torch.full((len(z), 1), bos_id, dtype=torch.long, device=z.device)
    h, out = None, []
    done = torch.zeros(len(z), dtype=torch.bool, device=z.device)
    for _ in range(max_words):
        logits, h = decoder(z, word, h)
        word = logits[:, -1].argmax(-1, keepdim=True)
        done |= word[:, 0] == eos_id
        out.append(torch.where(done[:, None], pad_id, word))
        if done.all():
            break
    return torch.cat(out, 1)


def vqa_loss(model: VQAModel, batch: dict):
    """Cross-entropy of every answer word (and <eos>), padding ignored; with a ``task``
    column (from MixedBatches) each kind's loss is logged as ``loss_<index>``."""
    logits = model(batch)
    target = batch["label"][:, 1:]
    per_word = F.cross_entropy(logits.transpose(1, 2), target, ignore_index=model.pad_id, reduction="none")
    per_row = per_word.sum(1) / (target != model.pad_id).sum(1).clamp_min(1)
    metrics = {}
    if "task" in batch:
        metrics = {f"loss_{int(k)}": per_row[batch["task"] == k].mean().item() for k in batch["task"].unique()}
    return per_row.mean(), metrics


@torch.no_grad()
def answer(model: VQAModel, data: dict, tokenizer, batch_size: int = 500) -> list[str]:
    """The model's answers, as text, to every question of ``data`` (``image``, ``text``)."""
    model.eval()
    n = len(data["text"])
    ids = [model.generate({k: data[k][i:i + batch_size] for k in model.encoders}) for i in range(0, n, batch_size)]
    return [tokenizer.decode(row) for part in ids for row in part.tolist()]


def exact_match(predicted: list[str], truth: list[str]) -> float:
    """The share of answers that are word for word the true ones."""
    if isinstance(predicted, str) or isinstance(truth, str):
        raise TypeError(f"expected two lists of answers (strings), got {describe(predicted)} and {describe(truth)}")
    if len(predicted) != len(truth) or not truth:
        raise ValueError(f"expected two equally long, non-empty lists of answers, got {len(predicted)} and {len(truth)}")
    return sum(p.split() == t.split() for p, t in zip(predicted, truth)) / len(truth)


def vqa_tokenizer():
    """The grammar's words, plus those the open-ended questions and answers add."""
    from ..data import WordTokenizer
    from ..data.vqa import VQA_WORDS
    return WordTokenizer(extra_words=VQA_WORDS)


@torch.no_grad()
def vqa_data(split: str, n: int, seed: int, vqgan: nn.Module | None = None, kinds=None) -> dict[str, dict]:
    """``{kind: {"image", "text", "label", "question", "answer", "index"}}``: one question of each
    kind about every scene of one world of ``n`` scenes (1 to 3 objects) that it applies to.
    ``image`` is the VQGAN's latent grid, ``label`` the answer's ids (``<bos> .. <eos>``, padded
    to 4)."""
    from ..data import ShapesWorld
    from ..data.vqa import VQA_KINDS, check_kinds, vqa_questions
    from .multimodal import vq_latents
    kinds = check_kinds(VQA_KINDS if kinds is None else kinds)
    world = ShapesWorld(split, n=n, seed=seed)
    grids = vq_latents(torch.from_numpy(world.images).float().div(255), vqgan)
    tokenizer, out = vqa_tokenizer(), {}
    for kind in kinds:
        idx, questions, answers = vqa_questions(world.scenes, kind, seed)
        ids = tokenizer(questions)
        out[kind] = {"image": grids[idx], "text": ids[:, :int((ids != 0).sum(1).max())],
                     "label": F.pad(tokenizer(answers), (0, 4))[:, :4], "question": questions, "answer": answers,
                     "index": torch.from_numpy(idx)}
    return out


def evaluate_vqa(model: VQAModel, data: dict[str, dict], tokenizer=None) -> dict[str, float]:
    """Exact-match accuracy of each kind of question in ``data``."""
    tokenizer = tokenizer or vqa_tokenizer()
    return {kind: exact_match(answer(model, d, tokenizer), d["answer"]) for kind, d in data.items()}


def build_vqa(vocab_size: int, dim: int = 32, width: int = 32, hidden: int = 64) -> VQAModel:
    """Chapter 7's trunk (the multi-task one) with an answer decoder instead of heads."""
    from .fusion import FiLMFusion
    from .image import ImageEncoder
    from .text import TextEncoder
    encoders = {"image": ImageEncoder(dim, width, 0, 8, 16), "text": TextEncoder(vocab_size, dim)}
    return VQAModel(encoders, FiLMFusion(dim, dim, 2), AnswerDecoder(vocab_size, dim, dim, hidden))


def load_vqa(name: str) -> tuple[VQAModel, dict]:
    """A shipped open-ended VQA model and its card, in eval mode."""
    from .. import checkpoints
    path = checkpoints.shipped(name)
    card = checkpoints.load_card(path)
    c = card["config"]
    model = build_vqa(c["vocab_size"], c["dim"], c["width"], c["hidden"])
    checkpoints.load(model, path)
    return model.eval(), card
