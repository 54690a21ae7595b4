"""Fusion modules: how the encoded modalities are combined.

The course's terms (chapter 6 defines them with this code):

* **early**: combine the inputs (or low-level features) before any modality has its
  own deep encoder; one network sees everything (:class:`EarlyFusion`).
* **intermediate**: each modality gets its own encoder; their summary vectors are
  combined, and a shared head predicts (:class:`ConcatFusion`, :class:`TensorFusion`,
  :class:`LowRankFusion`). MultiBench calls concatenation "late fusion".
* **late**: each modality makes its own prediction; only the predictions are
  combined (:class:`LateFusion`: mean of logits, or product of experts).
* **attention-based**: one modality's tokens condition or attend over another's
  (:class:`FiLMFusion`, :class:`CrossAttentionFusion`, :class:`TransformerFusion`).

Each module takes ``feats``, a dict modality -> :class:`Features` or None (missing),
and returns (B, out_dim); modules that cannot work without a modality say so.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_positive_int, check_same_batch, describe
from .features import Features, masked_mean, to_grid
from .image import ImageEncoder


def check_feats(feats, who: str) -> dict:
    """``feats`` maps modality -> :class:`Features` or None, and every present modality
    holds the same number of examples (4 images with 1 text would otherwise merge or
    broadcast silently)."""
    if not isinstance(feats, dict):
        raise TypeError(f"{who} expects a dict of modality -> Features (or None), got {describe(feats)}")
    sizes = {}
    for k, f in feats.items():
        if f is None:
            continue
        if not isinstance(f, Features):
            raise TypeError(f"{who}: feats[{k!r}] must be a Features (tokens, mask, vector) from an encoder, "
                            f"got {describe(f)}")
        sizes[k] = (f.vector if f.vector is not None else f.tokens).shape[0]
    if sizes:
        check_same_batch(sizes, who)
    return feats


def _require(feats: dict, keys, who: str) -> list[Features]:
    check_feats(feats, who)
    for k in keys:
        if feats.get(k) is None:
            raise ValueError(f"{who} needs the {k!r} modality, but it is missing (None) in this batch. "
                             f"Give it {list(keys)}, or use a fusion that handles a missing modality "
                             "(concat, late, tensor, low-rank, transformer).")
    return [feats[k] for k in keys]


def _batch_size(feats: dict, who: str) -> tuple[int, torch.Tensor]:
    check_feats(feats, who)
    for f in feats.values():
        if f is not None:
            return f.vector.shape[0], f.vector
    raise ValueError(f"{who}: every modality is missing; at least one is needed")


def _vectors(feats: dict, dims: dict[str, int], who: str, one: bool = False) -> list[torch.Tensor]:
    """Summary vectors in ``dims`` order; a missing modality reads as zeros. ``one`` appends a 1."""
    check_feats(feats, who)
    unknown = set(k for k, v in feats.items() if v is not None) - set(dims)
    if unknown:
        raise ValueError(f"{who} was built for modalities {list(dims)}, got features for {sorted(unknown)} too")
    b, ref = _batch_size(feats, who)
    out = []
    for k, d in dims.items():
        v = feats[k].vector if feats.get(k) is not None else ref.new_zeros(b, d)
        if v.shape[1] != d:
            raise ValueError(f"{who}: {k!r} vectors have size {v.shape[1]}, expected {d}")
        out.append(torch.cat([v, v.new_ones(b, 1)], 1) if one else v)
    return out


def mlp_head(in_dim: int, num_classes: int, hidden: int = 64) -> nn.Sequential:
    """The prediction head: one hidden layer."""
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))


class EarlyFusion(nn.Module):
    """Early fusion: the text's summary vector is tiled over the pixels as extra input
    channels, and one CNN reads image and text together from its first layer."""

    def __init__(self, text_dim: int, dim: int = 32, width: int = 16, image_channels: int = 3,
                 downsamples: int = 2, image_size: int = 32, image_key: str = "image", text_key: str = "text"):
        super().__init__()
        self.cnn = ImageEncoder(dim, width, downsamples, image_size, image_channels + text_dim)
        self.keys, self.out_dim = (image_key, text_key), dim

    def forward(self, feats: dict) -> torch.Tensor:
        image, text = _require(feats, self.keys, "EarlyFusion")
        x = to_grid(image.tokens)
        t = text.vector[:, :, None, None].expand(-1, -1, *x.shape[2:])
        return self.cnn(torch.cat([x, t], 1)).vector


class ConcatFusion(nn.Module):
    """Intermediate fusion by concatenating the modalities' summary vectors.
    A missing modality contributes zeros (train with modality dropout to make that work)."""

    def __init__(self, dims: dict[str, int]):
        super().__init__()
        self.dims, self.out_dim = dict(dims), sum(dims.values())

    def forward(self, feats: dict) -> torch.Tensor:
        return torch.cat(_vectors(feats, self.dims, "ConcatFusion"), 1)


class LateFusion(nn.Module):
    """Late fusion: one head per modality, and only their predictions are combined.

    ``combine="mean"`` averages the logits; ``"product"`` is a product of experts:
    it multiplies the per-modality class distributions (adds log-probabilities), so
    a confident expert can veto a class. Missing modalities are left out.
    """

    def __init__(self, dims: dict[str, int], num_classes: int, combine: str = "mean", hidden: int = 64):
        super().__init__()
        if combine not in ("mean", "product"):
            raise ValueError(f"combine must be 'mean' or 'product', got {combine!r}")
        self.heads = nn.ModuleDict({k: mlp_head(d, num_classes, hidden) for k, d in dims.items()})
        self.combine, self.out_dim = combine, num_classes

    def per_modality(self, feats: dict) -> dict[str, torch.Tensor]:
        """The logits each present modality's head gives on its own."""
        check_feats(feats, "LateFusion")
        return {k: head(feats[k].vector) for k, head in self.heads.items() if feats.get(k) is not None}

    def forward(self, feats: dict) -> torch.Tensor:
        logits = self.per_modality(feats)
        if not logits:
            raise ValueError(f"LateFusion: every modality is missing; it was built for {list(self.heads)}")
        stacked = torch.stack(list(logits.values()))
        if self.combine == "mean":
            return stacked.mean(0)
        return F.log_softmax(stacked, -1).sum(0)


class TensorFusion(nn.Module):
    """Tensor fusion (Zadeh et al. 2017): the outer product of [v_m ; 1] over modalities.

    The appended 1 keeps every single-modality term and every product of terms, so
    the layer after it sees all multiplicative interactions. Its input has
    prod(d_m + 1) entries: that is the cost the low-rank version avoids.
    """

    def __init__(self, dims: dict[str, int], out_dim: int = 64):
        super().__init__()
        self.dims, self.out_dim = dict(dims), out_dim
        self.proj = nn.Linear(math.prod(d + 1 for d in dims.values()), out_dim)

    def outer(self, feats: dict) -> torch.Tensor:
        vs = _vectors(feats, self.dims, "TensorFusion", one=True)
        z = vs[0]
        for v in vs[1:]:
            z = (z[:, :, None] * v[:, None, :]).flatten(1)
        return z

    def forward(self, feats: dict) -> torch.Tensor:
        return F.relu(self.proj(self.outer(feats)))


class LowRankFusion(nn.Module):
    """Low-rank multimodal fusion (Liu et al. 2018): tensor fusion whose weight is a sum
    of ``rank`` outer products of per-modality factors, computed without the big tensor.

    out = sum_r prod_m ([v_m ; 1] @ W_m[r]) + bias, the same as TensorFusion with the
    weight tensor sum_r (W_1[r] outer W_2[r] outer ...).
    """

    def __init__(self, dims: dict[str, int], out_dim: int = 64, rank: int = 4):
        super().__init__()
        self.dims, self.out_dim, self.rank = dict(dims), out_dim, rank
        self.factors = nn.ParameterDict({k: nn.Parameter(torch.randn(rank, d + 1, out_dim) / math.sqrt(d + 1))
                                         for k, d in dims.items()})
        self.bias = nn.Parameter(torch.zeros(out_dim))

    def forward(self, feats: dict) -> torch.Tensor:
        vs = _vectors(feats, self.dims, "LowRankFusion", one=True)
        out = 1
        for k, v in zip(self.dims, vs):
            out = out * torch.einsum("bd,rdo->bro", v, self.factors[k])
        return F.relu(out.sum(1) + self.bias)


class FiLMBlock(nn.Module):
    """A residual block whose normalised features are scaled and shifted per channel
    by the conditioning: FiLM(x) = gamma * x + beta (Perez et al. 2018). Two
    coordinate channels let it write positions into features, as in the paper."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels + 2, channels, 1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.norm = nn.BatchNorm2d(channels, affine=False)   # gamma and beta come from the text instead

    def forward(self, x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, h, device=x.device), torch.linspace(-1, 1, w, device=x.device),
                                indexing="ij")
        coords = torch.stack([xs, ys]).expand(b, -1, -1, -1).to(x.dtype)
        h1 = F.relu(self.conv1(torch.cat([x, coords], 1)))
        h2 = self.norm(self.conv2(h1))
        return h1 + F.relu(gamma[:, :, None, None] * h2 + beta[:, :, None, None])


class FiLMFusion(nn.Module):
    """FiLM fusion: the text's summary vector predicts (gamma, beta) for every channel of
    every block, and so decides which image features are amplified or silenced.

    Without text (None) the modulation is the identity (gamma = 1, beta = 0); the
    image is required.
    """

    def __init__(self, image_dim: int, cond_dim: int, blocks: int = 2, image_key: str = "image",
                 cond_key: str = "text"):
        super().__init__()
        self.blocks = nn.ModuleList(FiLMBlock(image_dim) for _ in range(blocks))
        self.film = nn.Linear(cond_dim, 2 * blocks * image_dim)
        nn.init.zeros_(self.film.weight)          # start as the identity modulation
        nn.init.zeros_(self.film.bias)
        self.keys, self.out_dim = (image_key, cond_key), image_dim

    def forward(self, feats: dict) -> torch.Tensor:
        image, = _require(feats, self.keys[:1], "FiLMFusion")
        x = to_grid(image.tokens)
        b, c = x.shape[:2]
        cond = feats.get(self.keys[1])
        params = self.film(cond.vector) if cond is not None else x.new_zeros(b, 2 * len(self.blocks) * c)
        params = params.view(b, len(self.blocks), 2, c)
        for i, block in enumerate(self.blocks):
            x = block(x, 1 + params[:, i, 0], params[:, i, 1])
        return x.mean((2, 3))


class CrossAttention(nn.Module):
    """Multi-head attention in which ``x`` (queries) reads from ``context`` (keys, values).

    Returns the output (B, Lq, D) and the attention weights (B, heads, Lq, Lc), which
    say how much each query looked at each context token.
    """

    def __init__(self, dim: int, heads: int = 4):
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim ({dim}) must be divisible by heads ({heads})")
        self.q, self.k, self.v, self.out = (nn.Linear(dim, dim) for _ in range(4))
        self.heads = heads

    def forward(self, x, context, context_mask=None):
        for name, t in (("x", x), ("context", context)):
            if not isinstance(t, torch.Tensor) or t.dim() != 3:
                raise ValueError(f"CrossAttention: {name} must be (B, L, D), got {describe(t)}")
        check_same_batch({"x (queries)": x.shape[0], "context": context.shape[0]}, "CrossAttention")
        b, lq, d = x.shape
        split = lambda t: t.view(b, -1, self.heads, d // self.heads).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.q(x)), split(self.k(context)), split(self.v(context))
        scores = q @ k.transpose(-2, -1) / math.sqrt(d // self.heads)
        if context_mask is not None:
            scores = scores.masked_fill(~context_mask[:, None, None, :], float("-inf"))
        weights = scores.softmax(-1)
        out = (weights @ v).transpose(1, 2).reshape(b, lq, d)
        return self.out(out), weights


class CrossAttentionFusion(nn.Module):
    """Cross-attention fusion: each query token (a word) attends over the context tokens
    (image patches), in pre-norm residual blocks; the output is the mean over the
    query tokens. ``attention`` keeps the last forward's weights, one (B, heads, Lq, Lc)
    tensor per layer, for plotting. Both modalities are required."""

    def __init__(self, query_dim: int, context_dim: int, dim: int = 32, heads: int = 4, layers: int = 2,
                 query_key: str = "text", context_key: str = "image"):
        super().__init__()
        self.q_in, self.c_in = nn.Linear(query_dim, dim), nn.Linear(context_dim, dim)
        self.c_norm = nn.LayerNorm(dim)
        self.layers = nn.ModuleList(nn.ModuleDict(dict(
            norm1=nn.LayerNorm(dim), attn=CrossAttention(dim, heads), norm2=nn.LayerNorm(dim),
            mlp=nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim)))) for _ in range(layers))
        self.keys, self.out_dim, self.attention = (query_key, context_key), dim, []

    def forward(self, feats: dict) -> torch.Tensor:
        query, context = _require(feats, self.keys, "CrossAttentionFusion")
        x, ctx = self.q_in(query.tokens), self.c_norm(self.c_in(context.tokens))
        self.attention = []
        for layer in self.layers:
            a, w = layer["attn"](layer["norm1"](x), ctx, context.mask)
            x = x + a
            x = x + layer["mlp"](layer["norm2"](x))
            self.attention.append(w.detach())
        return masked_mean(x, query.mask)


class QuestionAttentionFusion(nn.Module):
    """Question-guided attention with parallel glimpses, as in Kazemi and Elqursh (2017),
    "Show, Ask, Attend, and Answer", with scaled dot-product scores: the question's
    summary vector makes ``queries`` query vectors, each a softmax over the image
    patches; each returns the patches' values weighted by its attention. The output is
    the retrieved vectors next to the question vector, so a head can compare them ("is
    what query 1 found left of what query 2 found?"). It is not a stacked attention
    network (Yang et al. 2016), whose hops are additive (tanh) attention applied one
    after another, each updating the query. ``attention`` keeps the last weights
    (B, queries, patches) for plotting. Both modalities are required."""

    def __init__(self, query_dim: int, context_dim: int, dim: int = 32, queries: int = 2,
                 query_key: str = "text", context_key: str = "image"):
        super().__init__()
        check_positive_int(queries, "queries")
        self.q = nn.Linear(query_dim, queries * dim)
        self.k, self.v = nn.Linear(context_dim, dim), nn.Linear(context_dim, dim)
        self.keys, self.queries, self.dim = (query_key, context_key), queries, dim
        self.out_dim, self.attention = queries * dim + query_dim, None

    def forward(self, feats: dict) -> torch.Tensor:
        question, image = _require(feats, self.keys, "QuestionAttentionFusion")
        q = self.q(question.vector).view(-1, self.queries, self.dim)
        scores = q @ self.k(image.tokens).transpose(1, 2) / math.sqrt(self.dim)
        if image.mask is not None:
            scores = scores.masked_fill(~image.mask[:, None, :], float("-inf"))
        weights = scores.softmax(-1)
        self.attention = weights.detach()
        found = weights @ self.v(image.tokens)                   # (B, queries, dim)
        return torch.cat([found.flatten(1), question.vector], 1)


class TransformerFusion(nn.Module):
    """A multimodal transformer: the tokens of every present modality, each projected to
    ``dim`` and tagged with a learned modality embedding (and, for the modalities named in
    ``positions``, a learned position embedding: modality -> most tokens), plus a [CLS]
    token, go through pre-norm self-attention layers, so every token can read every
    other token of every modality; the output is the [CLS] token. Missing modalities
    simply contribute no tokens. :meth:`attention_maps` returns the attention weights."""

    def __init__(self, dims: dict[str, int], dim: int = 32, heads: int = 4, layers: int = 2,
                 positions: dict[str, int] | None = None):
        super().__init__()
        self.dims, self.out_dim = dict(dims), dim
        self.proj = nn.ModuleDict({k: nn.Linear(d, dim) for k, d in dims.items()})
        self.modality = nn.Parameter(0.02 * torch.randn(len(dims), dim))
        self.cls = nn.Parameter(0.02 * torch.randn(1, 1, dim))
        layer = nn.TransformerEncoderLayer(dim, heads, 2 * dim, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        unknown = set(positions or {}) - set(dims)
        if unknown:
            raise ValueError(f"positions names modalities {sorted(unknown)} that are not in dims {list(dims)}")
        for k, n in (positions or {}).items():
            check_positive_int(n, f"positions[{k!r}]")
        self.position = nn.ParameterDict({k: nn.Parameter(0.02 * torch.randn(n, dim))
                                          for k, n in (positions or {}).items()})

    def tokens(self, feats: dict) -> tuple[torch.Tensor, torch.Tensor, list[tuple[str, int]]]:
        """The input sequence (B, 1 + sum L_m, dim), its padding mask (True = pad), and
        (modality, length) of each span after [CLS], in order."""
        b, ref = _batch_size(feats, "TransformerFusion")
        unknown = set(k for k, v in feats.items() if v is not None) - set(self.dims)
        if unknown:
            raise ValueError(f"TransformerFusion was built for modalities {list(self.dims)}, "
                             f"got features for {sorted(unknown)} too")
        tokens, keep, spans = [self.cls.expand(b, -1, -1)], [ref.new_ones(b, 1, dtype=torch.bool)], []
        for i, k in enumerate(self.dims):
            f = feats.get(k)
            if f is None:
                continue
            t = self.proj[k](f.tokens) + self.modality[i]
            if k in self.position:
                if t.shape[1] > len(self.position[k]):
                    raise ValueError(f"TransformerFusion: {k!r} has {t.shape[1]} tokens, but its position "
                                     f"embedding has room for {len(self.position[k])} (positions={{{k!r}: ...}})")
                t = t + self.position[k][:t.shape[1]]
            tokens.append(t)
            keep.append(f.mask if f.mask is not None else ref.new_ones(f.tokens.shape[:2], dtype=torch.bool))
            spans.append((k, t.shape[1]))
        return torch.cat(tokens, 1), ~torch.cat(keep, 1), spans

    def forward(self, feats: dict) -> torch.Tensor:
        x, pad, _ = self.tokens(feats)
        return self.norm(self.encoder(x, src_key_padding_mask=pad)[:, 0])

    def attention_maps(self, feats: dict) -> tuple[list[torch.Tensor], list[tuple[str, int]]]:
        """The attention weights of every layer, (B, heads, L, L) each, row = the token that
        reads, and the spans of :meth:`tokens`. It walks the layers one by one, as
        ``nn.TransformerEncoderLayer`` computes them with ``norm_first=True``, asking each
        for its weights (the fast path of ``forward`` does not keep them)."""
        return self._walk(feats)[1:]

    def _walk(self, feats: dict):
        x, pad, spans = self.tokens(feats)
        maps = []
        for layer in self.encoder.layers:
            n = layer.norm1(x)
            a, w = layer.self_attn(n, n, n, key_padding_mask=pad, need_weights=True, average_attn_weights=False)
            x = x + a
            x = x + layer.linear2(layer.activation(layer.linear1(layer.norm2(x))))
            maps.append(w.detach())
        return x, maps, spans
