"""Translating one sentence of codes into another with chapter 9's GPT prior.

Two VQ tokenizers turn two modalities into sentences of integer codes: the VQGAN makes 64
image codes, the sound tokenizer 12 sound codes. One GPT-2 learns p(target | source) over::

    [<source>  s_1 ... s_S  <target>  t_1 ... t_T]

with both vocabularies in one, kept apart by offsets (0: <source>, 1: <target>, then the
source codes, then the target codes). The loss is on the target positions only, and
decoding allows only target codes there (chapter 9's :class:`AllowTokens`).
"""
from __future__ import annotations

import dataclasses
import functools

import torch
import torch.nn.functional as F

from ..checks import check_indices, check_positive_int, check_tensor, describe
from .prior import AllowTokens, build_prior


@dataclasses.dataclass(frozen=True)
class CodeLayout:
    """Token ids and positions of a source-to-target code sequence."""
    source_codes: int          # the source tokenizer's codebook size
    target_codes: int
    source_len: int            # codes per source item (64 for an 8 x 8 VQGAN map)
    target_len: int
    source_token, target_token, source_offset = 0, 1, 2     # class constants, not fields

    def __post_init__(self):
        for name in ("source_codes", "target_codes", "source_len", "target_len"):
            check_positive_int(getattr(self, name), name)

    @property
    def target_offset(self) -> int:
        return self.source_offset + self.source_codes

    @property
    def vocab_size(self) -> int:
        return self.target_offset + self.target_codes

    @property
    def seq_len(self) -> int:
        return 2 + self.source_len + self.target_len


def _codes(codes, n_codes: int, length: int, name: str) -> torch.Tensor:
    """Codes (N, length), or code maps (N, h, w) flattened row by row, checked."""
    if torch.is_tensor(codes) and codes.dim() > 2:
        codes = codes.flatten(1)
    codes = check_tensor(codes, name, dims=2, kind="int")
    if codes.shape[1] != length:
        raise ValueError(f"{name} must have {length} codes per item, got shape {tuple(codes.shape)}")
    return check_indices(codes, n_codes, name).long()


def translation_sequences(layout: CodeLayout, source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Source codes (N, ...) and target codes (N, ...) -> sequences (N, seq_len)."""
    src = _codes(source, layout.source_codes, layout.source_len, "source")
    tgt = _codes(target, layout.target_codes, layout.target_len, "target")
    if len(src) != len(tgt):
        raise ValueError(f"source and target must pair up, got {len(src)} and {len(tgt)} items")
    n = len(src)
    return torch.cat([torch.full((n, 1), layout.source_token), src + layout.source_offset,
                      torch.full((n, 1), layout.target_token), tgt + layout.target_offset], 1)


def translation_loss(model, batch: dict, layout: CodeLayout) -> torch.Tensor:
    """Next-token cross-entropy on the target positions only."""
    if not isinstance(batch, dict) or "seq" not in batch:
        raise TypeError(f"batch must be a dict with a 'seq' entry (translation_sequences), got {describe(batch)}")
    seqs = check_tensor(batch["seq"], "batch['seq']", dims=2, kind="int")
    if seqs.shape[1] != layout.seq_len:
        raise ValueError(f"batch['seq'] must be (B, {layout.seq_len}) for this layout, got {tuple(seqs.shape)}")
    first = layout.source_len + 2                                  # the first target code
    logits = model(input_ids=seqs).logits[:, first - 1:-1]
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), seqs[:, first:].reshape(-1))


def loss_fn(layout: CodeLayout):
    """``translation_loss`` with its layout bound, for :func:`mmfuse_lite.train.fit`."""
    return functools.partial(translation_loss, layout=layout)


@torch.no_grad()
def translate(model, layout: CodeLayout, source: torch.Tensor, batch_size: int = 250, sample: bool = False,
              temperature: float = 1.0, seed: int = 0) -> torch.Tensor:
    """Target codes (N, target_len) for source codes (N, ...): greedy by default, or sampled."""
    src = _codes(source.cpu() if torch.is_tensor(source) else source, layout.source_codes, layout.source_len,
                 "source")
    if sample and not (isinstance(temperature, (int, float)) and temperature > 0):
        raise ValueError(f"temperature must be a number > 0, got {temperature!r}")
    model.eval()
    device = next(model.parameters()).device
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):   # leave the caller's RNG alone
        torch.manual_seed(seed)
        return _generate(model, layout, src, device, batch_size, sample, temperature)


def _generate(model, layout, src, device, batch_size, sample, temperature):
    from transformers import LogitsProcessorList
    out = []
    for i in range(0, len(src), batch_size):
        s = src[i:i + batch_size]
        prompt = torch.cat([torch.full((len(s), 1), layout.source_token), s + layout.source_offset,
                            torch.full((len(s), 1), layout.target_token)], 1).to(device)
        seq = model.generate(input_ids=prompt, attention_mask=torch.ones_like(prompt),
                             max_new_tokens=layout.target_len, min_new_tokens=layout.target_len,
                             do_sample=sample, temperature=temperature if sample else None, top_k=0 if sample else None,
                             logits_processor=LogitsProcessorList([AllowTokens(layout.target_offset, layout.vocab_size)]),
                             pad_token_id=layout.target_token, eos_token_id=None)   # nothing is padded
        out.append(seq[:, prompt.shape[1]:].cpu() - layout.target_offset)
    return torch.cat(out)


def build_translator(layout: CodeLayout, dim: int = 128, layers: int = 4, heads: int = 4, dropout: float = 0.1):
    """A GPT-2 for ``layout``: chapter 9's :func:`build_prior`, which needs only a vocabulary size
    and a sequence length."""
    model = build_prior(layout, dim=dim, layers=layers, heads=heads, dropout=dropout)
    model.config.pad_token_id = None      # nothing is padded: every sequence has the same length
    return model


def load_translator(name: str = "image_to_sound"):
    """The shipped image-to-sound translator (``scripts/train_image_to_sound.py``) and its layout."""
    from .. import checkpoints
    path = checkpoints.shipped(name)
    config = checkpoints.load_card(path)["config"]
    layout = CodeLayout(config["source_codes"], config["target_codes"], config["source_len"], config["target_len"])
    model = build_translator(layout, dim=config["dim"], layers=config["layers"], heads=config["heads"])
    checkpoints.load(model, path)
    return model.eval(), layout
