"""A GPT prior over [caption ; image codes]: text to image the taming-transformers and
DALL-E (2021) way, and captioning as the same model read the other way round.

The VQGAN of chapter 5 turns an image into 8 x 8 = 64 integer codes. A GPT-2 (built
from a config, with no downloaded weights) learns the distribution of those codes given
the caption. Text and image tokens share one vocabulary, kept apart by offsets::

    0 .. T-1            the WordTokenizer's ids (<pad>, <bos>, <eos>, <unk>, words)
    T                   <image>: the image part starts
    T + 1               <null>: a dropped caption (classifier-free guidance)
    T + 2 .. T + 1 + K  the K image codes

Text to image: ``[<bos> caption <eos> <pad>...  <image>  c_1 ... c_64]``; every caption
token and every code has a fixed position. Captioning: ``[<image> c_1 ... c_64  <bos>
caption <eos> <pad>...]``. A logits processor allows only image codes in image positions
(only words in caption positions), so a sample can never mix the two.
"""
from __future__ import annotations

import dataclasses
import functools

import torch
import torch.nn.functional as F

from ..checks import check_indices, check_number, check_positive_int, check_tensor, describe

PAD, BOS, EOS = 0, 1, 2           # the WordTokenizer's special ids, shared by both orders


@dataclasses.dataclass(frozen=True)
class Layout:
    """Token ids and positions of the prior's sequences (see the module docstring)."""
    text_vocab: int            # len(WordTokenizer)
    num_codes: int             # the VQGAN's codebook size
    caption_len: int = 24      # caption tokens, <bos> and <eos> included, padded
    grid: int = 8              # the code map is grid x grid

    def __post_init__(self):
        for name in ("text_vocab", "num_codes", "caption_len", "grid"):
            check_positive_int(getattr(self, name), name)
        if self.text_vocab <= EOS:
            raise ValueError(f"text_vocab must include the special ids 0..{EOS}, got {self.text_vocab}")
        if self.caption_len < 2:
            raise ValueError(f"caption_len must hold at least <bos> and <eos> (2), got {self.caption_len}")

    @property
    def image_token(self) -> int:
        return self.text_vocab

    @property
    def null_token(self) -> int:
        return self.text_vocab + 1

    @property
    def code_offset(self) -> int:
        return self.text_vocab + 2

    @property
    def vocab_size(self) -> int:
        return self.code_offset + self.num_codes

    @property
    def num_image_tokens(self) -> int:
        return self.grid * self.grid

    @property
    def seq_len(self) -> int:
        return self.caption_len + 1 + self.num_image_tokens


def build_prior(layout: Layout, dim: int = 128, layers: int = 4, heads: int = 4, dropout: float = 0.1):
    """A GPT-2 language model for ``layout``, randomly initialised from a config."""
    from transformers import GPT2Config, GPT2LMHeadModel
    for name, v in (("dim", dim), ("layers", layers), ("heads", heads)):
        check_positive_int(v, name)
    config = GPT2Config(vocab_size=layout.vocab_size, n_positions=layout.seq_len, n_embd=dim, n_layer=layers,
                        n_head=heads, resid_pdrop=dropout, embd_pdrop=dropout, attn_pdrop=dropout,
                        bos_token_id=BOS, eos_token_id=EOS, pad_token_id=PAD, tie_word_embeddings=False)
    return GPT2LMHeadModel(config)


def caption_ids(layout: Layout, tokenizer, captions) -> torch.Tensor:
    """Captions -> (N, caption_len) ids. Words outside the tokenizer's vocabulary are a clear
    error (the prior never saw them: <unk> would silently drop them)."""
    captions = [captions] if isinstance(captions, str) else list(captions)
    tokenizer.require(captions, "the captions")
    ids = tokenizer(captions)[:, :layout.caption_len + 1]
    too_long = (ids[:, layout.caption_len:] != tokenizer.pad_id).any(1) if ids.shape[1] > layout.caption_len else None
    if too_long is not None and too_long.any():
        raise ValueError(f"a caption has more than {layout.caption_len} tokens (<bos> and <eos> included): "
                         f"{captions[int(too_long.nonzero()[0])]!r}")
    return F.pad(ids, (0, layout.caption_len - ids.shape[1]), value=tokenizer.pad_id)


def _check_captions(layout: Layout, captions, n: int | None = None) -> torch.Tensor:
    check_tensor(captions, "captions", dims=2, kind="int")
    if captions.shape[1] != layout.caption_len or (n is not None and len(captions) != n):
        want = f"({'N' if n is None else n}, {layout.caption_len})"
        raise ValueError(f"expected captions {want} (caption ids from caption_ids()), got shape {tuple(captions.shape)}")
    return check_indices(captions, layout.text_vocab, "caption ids (text_vocab)")


def _check_codes(layout: Layout, codes: torch.Tensor) -> torch.Tensor:
    check_tensor(codes, "codes", kind="int")
    if codes.dim() != 3 or codes.shape[1:] != (layout.grid, layout.grid):
        raise ValueError(f"expected code maps (N, {layout.grid}, {layout.grid}), got shape {tuple(codes.shape)}")
    if codes.min() < 0 or codes.max() >= layout.num_codes:
        raise ValueError(f"codes must lie in [0, {layout.num_codes}), got [{int(codes.min())}, {int(codes.max())}]")
    return codes.flatten(1) + layout.code_offset


def text_to_image_sequences(layout: Layout, captions: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """(N, caption_len) caption ids and (N, grid, grid) codes -> (N, seq_len) sequences."""
    codes = _check_codes(layout, codes)
    _check_captions(layout, captions, len(codes))
    image = torch.full((len(codes), 1), layout.image_token, dtype=torch.long)
    return torch.cat([captions, image, codes], 1)


def image_to_text_sequences(layout: Layout, codes: torch.Tensor, captions: torch.Tensor) -> torch.Tensor:
    """The captioning order: (N, seq_len) sequences [<image> codes caption]."""
    codes = _check_codes(layout, codes)
    _check_captions(layout, captions, len(codes))
    image = torch.full((len(codes), 1), layout.image_token, dtype=torch.long)
    return torch.cat([image, codes, captions], 1)


def drop_captions(layout: Layout, seqs: torch.Tensor, p: float) -> torch.Tensor:
    """Replace the caption (all but <bos>) of a random fraction ``p`` of the text-to-image
    sequences by <null> tokens: the model also learns p(image) without a caption."""
    check_number(p, "p", 0, 1)
    drop = torch.rand(len(seqs), device=seqs.device) < p
    out = seqs.clone()
    out[drop, 1:layout.caption_len] = layout.null_token
    return out


def unconditional_prompt(layout: Layout, n: int) -> torch.Tensor:
    """(n, caption_len + 1): <bos>, <null> ... <null>, <image>: the prompt with no caption."""
    prompt = torch.full((n, layout.caption_len + 1), layout.null_token, dtype=torch.long)
    prompt[:, 0], prompt[:, -1] = BOS, layout.image_token
    return prompt


def prior_loss(model, batch: dict, layout: Layout, p_drop: float = 0.0, target: str = "image"):
    """Next-token cross-entropy on the image positions (``target="image"``, text to image,
    with caption dropout ``p_drop``) or on the caption positions (``target="text"``)."""
    if not isinstance(batch, dict) or "seq" not in batch:
        raise TypeError(f"batch must be a dict with a 'seq' entry of token sequences, got {describe(batch)}")
    seqs = check_tensor(batch["seq"], "batch['seq']", dims=2, kind="int")
    if seqs.shape[1] != layout.seq_len:
        raise ValueError(f"batch['seq'] must be (B, {layout.seq_len}) sequences for this layout, got {tuple(seqs.shape)}")
    check_indices(seqs, layout.vocab_size, "batch['seq'] token ids")
    if target == "image":
        seqs = drop_captions(layout, seqs, p_drop) if model.training and p_drop > 0 else seqs
        first = layout.caption_len + 1                           # the first code's position
    elif target == "text":
        first = 1 + layout.num_image_tokens                      # the caption's <bos>
    else:
        raise ValueError(f"target must be 'image' or 'text', got {target!r}")
    logits = model(input_ids=seqs).logits[:, first - 1:-1]
    labels = seqs[:, first:]
    if target == "text":
        labels = labels.masked_fill(labels == PAD, -100)         # no loss on padding
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1), ignore_index=-100)


class AllowTokens:
    """A logits processor that keeps only the ids in [low, high): image codes in image
    positions, words in caption positions."""

    def __init__(self, low: int, high: int):
        self.low, self.high = low, high

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        mask = torch.full_like(scores, float("-inf"))
        mask[:, self.low:self.high] = 0
        return scores + mask


@torch.no_grad()
def sample_images(model, layout: Layout, captions: torch.Tensor, guidance: float = 1.0, temperature: float = 1.0,
                  top_k: int | None = None, seed: int = 0) -> torch.Tensor:
    """Code maps (N, grid, grid) sampled for (N, caption_len) caption ids with ``generate()``.

    ``guidance`` > 1 is classifier-free guidance: the log-probabilities with the caption
    and without it (the <null> prompt) are combined as uncond + guidance * (cond - uncond): a
    log-linear extrapolation from the unconditional towards the conditional distribution, not a mixture.
    """
    from transformers import LogitsProcessorList
    _check_captions(layout, captions)
    check_number(guidance, "guidance", low=0)
    check_number(temperature, "temperature", low=0, low_open=True)
    if top_k is not None:
        check_positive_int(top_k, "top_k")
    model.eval()
    device = next(model.parameters()).device
    prompt = torch.cat([captions.cpu(), torch.full((len(captions), 1), layout.image_token, dtype=torch.long)], 1)
    torch.manual_seed(seed)
    out = model.generate(
        input_ids=prompt.to(device), attention_mask=torch.ones_like(prompt).to(device),
        max_new_tokens=layout.num_image_tokens, min_new_tokens=layout.num_image_tokens,
        do_sample=True, temperature=temperature, top_k=top_k or 0, top_p=1.0,
        guidance_scale=guidance if guidance != 1 else None,
        negative_prompt_ids=unconditional_prompt(layout, len(prompt)).to(device) if guidance != 1 else None,
        logits_processor=LogitsProcessorList([AllowTokens(layout.code_offset, layout.vocab_size)]),
        pad_token_id=PAD, eos_token_id=None)
    return (out[:, prompt.shape[1]:] - layout.code_offset).view(-1, layout.grid, layout.grid).cpu()


@torch.no_grad()
def sample_captions(model, layout: Layout, codes: torch.Tensor) -> torch.Tensor:
    """Greedy captions (N, caption_len) for (N, grid, grid) code maps, <bos> first, padded."""
    from transformers import LogitsProcessorList
    codes = _check_codes(layout, codes.cpu() if torch.is_tensor(codes) else codes)
    model.eval()
    device = next(model.parameters()).device
    image = torch.full((len(codes), 1), layout.image_token, dtype=torch.long)
    prompt = torch.cat([image, codes, torch.full((len(codes), 1), BOS)], 1)
    out = model.generate(
        input_ids=prompt.to(device), attention_mask=torch.ones_like(prompt).to(device),
        max_new_tokens=layout.caption_len - 1, do_sample=False,
        logits_processor=LogitsProcessorList([AllowTokens(0, layout.text_vocab)]),
        pad_token_id=EOS, eos_token_id=EOS)                # finished captions are filled with <eos>
    text = out[:, prompt.shape[1] - 1:].cpu()
    after_eos = (text == EOS).int().cumsum(1) > 1          # keep the first <eos>, pad the rest
    return F.pad(text.masked_fill(after_eos, PAD), (0, layout.caption_len - text.shape[1]), value=PAD)


def loss_fn(layout: Layout, p_drop: float = 0.0, target: str = "image"):
    """``prior_loss`` with its settings bound, for :func:`mmfuse_lite.train.fit`."""
    if target not in ("image", "text"):
        raise ValueError(f"target must be 'image' or 'text', got {target!r}")
    check_number(p_drop, "p_drop", 0, 1, high_open=True)
    return functools.partial(prior_loss, layout=layout, p_drop=p_drop, target=target)


def load_prior(target: str = "image"):
    """The shipped prior of chapter 9 (``scripts/train_prior.py``) and its :class:`Layout`:
    ``target="image"`` reads captions and writes codes, ``"text"`` the other way round."""
    from .. import checkpoints
    if target not in ("image", "text"):
        raise ValueError(f"target must be 'image' or 'text', got {target!r}")
    path = checkpoints.shipped(f"prior_{target}")
    config = checkpoints.load_card(path)["config"]
    layout = Layout(config["text_vocab"], config["num_codes"], config["caption_len"])
    model = build_prior(layout, dim=config["dim"], layers=config["layers"], heads=config["heads"])
    checkpoints.load(model, path)
    return model.eval(), layout
