"""Fusion over time: a clip's frames as a sequence of VQGAN code maps.

The composition is chapter 6's ``(encoders, fusion, head)`` with time as the axis of
fusion: :class:`FrameEncoder` turns each frame's 8 x 8 code map into one vector, a
temporal fusion turns the frames' vectors into one, and a linear head per question
answers. :class:`MeanOverTime` averages the frames, so it cannot see their order;
:class:`TemporalTransformer` adds a time embedding to each frame and attends across them.
:class:`ClipCaptioner` writes a caption: a transformer decoder over words that attends to
every frame's vector.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_indices, check_positive_int, check_tensor
from ..data.motion import CHANGES, MOTIONS


class FrameEncoder(nn.Module):
    """Code maps (B, T, H, W) -> frame vectors (B, T, dim): look each code up in the VQGAN's
    own codebook (frozen), two strided convolutions, flatten. The flatten keeps where things
    are, which motion is about."""

    def __init__(self, codebook: torch.Tensor, dim: int = 64, grid: int = 8):
        super().__init__()
        codebook = check_tensor(codebook, "codebook", dims=2, kind="float")
        for name, v in (("dim", dim), ("grid", grid)):
            check_positive_int(v, name)
        if grid % 4:
            raise ValueError(f"grid must be a multiple of 4 (two stride-2 convolutions), got {grid}")
        self.num_codes, self.grid = len(codebook), grid
        # the codebook's vectors already say what each code draws; learned-from-scratch ids only get memorised
        self.embed = nn.Embedding.from_pretrained(codebook.detach().clone(), freeze=True)
        self.conv = nn.Sequential(nn.Conv2d(codebook.shape[1], dim, 3, stride=2, padding=1), nn.GELU(),
                                  nn.Conv2d(dim, dim, 3, stride=2, padding=1), nn.GELU())
        self.proj = nn.Linear(dim * (grid // 4) ** 2, dim)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        codes = check_tensor(codes, "codes", dims=4, kind="int")
        if codes.shape[2:] != (self.grid, self.grid):
            raise ValueError(f"codes must be (B, T, {self.grid}, {self.grid}) code maps, got {tuple(codes.shape)}")
        check_indices(codes, self.num_codes, "codes")
        b, t = codes.shape[:2]
        x = self.embed(codes.flatten(0, 1)).permute(0, 3, 1, 2)        # (B*T, code_dim, H, W)
        return self.proj(self.conv(x).flatten(1)).unflatten(0, (b, t))


@torch.no_grad()
def clip_codes(vqgan, frames, batch_size: int = 500) -> torch.Tensor:
    """Frames (N, T, 3, H, W), uint8 as ``ShapesClips.frames`` or float in [0, 1] -> the
    VQGAN's code maps of every frame, (N, T, H', W'), on the CPU."""
    from .vqvae import encode_codes
    frames = torch.as_tensor(frames)
    if frames.dim() != 5 or frames.shape[2] != 3:
        raise ValueError(f"frames must be (N, T, 3, H, W), got {tuple(frames.shape)}")
    codes = encode_codes(vqgan, frames.flatten(0, 1), batch_size)
    return codes.unflatten(0, frames.shape[:2])


class MeanOverTime(nn.Module):
    """Frame vectors (B, T, D) -> (B, D), their mean: the same for any order of the frames."""

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return frames.mean(1)


class TemporalTransformer(nn.Module):
    """Frame vectors (B, T, D) -> (B, D): a learned time embedding per frame, a [CLS] token,
    and a small transformer encoder; the [CLS] output sums up the clip."""

    def __init__(self, dim: int = 64, frames: int = 8, layers: int = 2, heads: int = 4):
        super().__init__()
        self.time = nn.Parameter(torch.randn(frames, dim) * 0.02)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        block = nn.TransformerEncoderLayer(dim, heads, 2 * dim, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        if frames.shape[1] != len(self.time):
            raise ValueError(f"expected {len(self.time)} frames, got {frames.shape[1]}")
        x = torch.cat([self.cls.expand(len(frames), -1, -1), frames + self.time], 1)
        return self.norm(self.encoder(x)[:, 0])


class ClipClassifier(nn.Module):
    """Code maps of a clip (B, T, 8, 8) -> logits of its one object's ``motion`` (5) and ``change`` (4)."""

    def __init__(self, codebook: torch.Tensor, fusion: str = "transformer", dim: int = 64, frames: int = 8):
        super().__init__()
        if fusion not in ("mean", "transformer"):
            raise ValueError(f"fusion must be 'mean' or 'transformer', got {fusion!r}")
        self.encoder = FrameEncoder(codebook, dim)
        self.fusion = MeanOverTime() if fusion == "mean" else TemporalTransformer(dim, frames)
        self.heads = nn.ModuleDict({"motion": nn.Linear(dim, len(MOTIONS)), "change": nn.Linear(dim, len(CHANGES))})

    def forward(self, codes: torch.Tensor) -> dict[str, torch.Tensor]:
        z = self.fusion(self.encoder(codes))
        return {k: head(z) for k, head in self.heads.items()}


def clip_loss(model: ClipClassifier, batch: dict) -> tuple[torch.Tensor, dict]:
    """Cross-entropy of the motion and of the change, summed."""
    logits = model(batch["codes"])
    loss = sum(F.cross_entropy(logits[k], batch[k]) for k in ("motion", "change"))
    return loss, {}


@torch.no_grad()
def clip_predictions(model: ClipClassifier, codes: torch.Tensor, batch_size: int = 500) -> dict[str, torch.Tensor]:
    """Predicted motion and change of every clip."""
    model.eval()
    device = next(model.parameters()).device
    parts = [model(codes[i:i + batch_size].to(device)) for i in range(0, len(codes), batch_size)]
    return {k: torch.cat([p[k] for p in parts]).argmax(-1).cpu() for k in ("motion", "change")}


class ClipCaptioner(nn.Module):
    """Writes a clip's caption, word by word.

    The encoder is the classifier's: :class:`FrameEncoder`, a time embedding, and a small
    transformer encoder across the frames, kept as one vector per frame (no pooling). The
    decoder is a causal transformer over the words so far, with cross-attention to the
    frame vectors: at each word it can look at the frames that matter for it.
    """

    def __init__(self, codebook: torch.Tensor, vocab_size: int, max_words: int, dim: int = 64, frames: int = 8,
                 layers: int = 2, heads: int = 4):
        super().__init__()
        for name, v in (("vocab_size", vocab_size), ("max_words", max_words)):
            check_positive_int(v, name)
        self.vocab_size, self.max_words = vocab_size, max_words
        self.encoder = FrameEncoder(codebook, dim)
        self.time = nn.Parameter(torch.randn(frames, dim) * 0.02)
        block = nn.TransformerEncoderLayer(dim, heads, 2 * dim, dropout=0.0, batch_first=True, norm_first=True)
        self.across_time = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.words = nn.Embedding(vocab_size, dim)
        self.position = nn.Parameter(torch.randn(max_words, dim) * 0.02)
        block = nn.TransformerDecoderLayer(dim, heads, 2 * dim, dropout=0.0, batch_first=True, norm_first=True)
        self.decoder = nn.TransformerDecoder(block, layers)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab_size)

    def memory(self, codes: torch.Tensor) -> torch.Tensor:
        """Code maps (B, T, 8, 8) -> one vector per frame (B, T, dim), each aware of the others."""
        frames = self.encoder(codes)
        if frames.shape[1] != len(self.time):
            raise ValueError(f"expected {len(self.time)} frames, got {frames.shape[1]}")
        return self.across_time(frames + self.time)

    def forward(self, codes: torch.Tensor, ids: torch.Tensor, memory: torch.Tensor | None = None) -> torch.Tensor:
        """Next-word logits (B, L, vocab) for word ids (B, L), L <= max_words."""
        ids = check_indices(check_tensor(ids, "ids", dims=2), self.vocab_size, "ids")
        if ids.shape[1] > self.max_words:
            raise ValueError(f"ids has {ids.shape[1]} positions, more than max_words={self.max_words}")
        memory = self.memory(codes) if memory is None else memory
        n = ids.shape[1]
        causal = nn.Transformer.generate_square_subsequent_mask(n, device=ids.device)
        x = self.decoder(self.words(ids) + self.position[:n], memory, tgt_mask=causal, tgt_is_causal=True)
        return self.head(self.norm(x))


def caption_loss(model: ClipCaptioner, batch: dict, pad_id: int = 0) -> tuple[torch.Tensor, dict]:
    """Cross-entropy of each next word given the words before it (teacher forcing); padding
    after the end of a caption is not scored."""
    ids = batch["ids"]
    logits = model(batch["codes"], ids[:, :-1])
    return F.cross_entropy(logits.flatten(0, 1), ids[:, 1:].flatten(), ignore_index=pad_id), {}


@torch.no_grad()
def write_captions(model: ClipCaptioner, codes: torch.Tensor, bos_id: int, eos_id: int,
                   batch_size: int = 500) -> torch.Tensor:
    """Greedy captions of clips: word ids (N, max_words), ``bos_id`` first, ``eos_id`` (then
    more ``eos_id``) once a caption is done."""
    model.eval()
    device = next(model.parameters()).device
    out = []
    for part in codes.split(batch_size):
        part = part.to(device)
        memory = model.memory(part)
        ids = torch.full((len(part), 1), bos_id, dtype=torch.long, device=device)
        done = torch.zeros(len(part), dtype=torch.bool, device=device)
        while ids.shape[1] < model.max_words and not done.all():
            nxt = model(part, ids, memory)[:, -1].argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, eos_id), nxt)
            done |= nxt == eos_id
            ids = torch.cat([ids, nxt[:, None]], 1)
        out.append(F.pad(ids, (0, model.max_words - ids.shape[1]), value=eos_id).cpu())
    return torch.cat(out)


def _load(name: str, build):
    from .. import checkpoints
    path = checkpoints.shipped(name)
    card = checkpoints.load_card(path)
    model = build(card["config"])
    checkpoints.load(model, path)
    return model.eval(), card


def load_clip_classifier(name: str = "clip_classifier") -> ClipClassifier:
    """The shipped transformer-over-frames classifier of chapter 10 (motion and change), in eval mode."""
    def build(config):
        return ClipClassifier(torch.zeros(config["num_codes"], config["code_dim"]), config["fusion"], config["dim"])
    return _load(name, build)[0]


def load_clip_captioner(name: str = "clip_captioner"):
    """The shipped clip captioner of chapter 10, in eval mode, and its word tokenizer."""
    from ..data import WordTokenizer
    from ..data.motion import MOTION_WORDS

    def build(config):
        return ClipCaptioner(torch.zeros(config["num_codes"], config["code_dim"]), config["vocab_size"],
                             config["max_words"], config["dim"], layers=config["layers"])
    model, card = _load(name, build)
    tokenizer = WordTokenizer(max_len=card["config"]["max_words"] + 1, extra_words=MOTION_WORDS)
    if len(tokenizer) != model.vocab_size:
        raise ValueError(f"{name}: the tokenizer has {len(tokenizer)} words, the model {model.vocab_size}")
    return model, tokenizer
