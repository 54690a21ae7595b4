import os, sys, time, math, torch, numpy as np
from torch import nn
import mmfuse_lite.nn as mnn
from mmfuse_lite.nn import Features
from mmfuse_lite.data import ShapesWorld, WordTokenizer, Batches, COLOURS
from mmfuse_lite.data.captions import relation, differing_axes, pick, SHAPE_WORDS
from mmfuse_lite.data.world import SHAPES
seed = int(sys.argv[1]); steps = int(sys.argv[2]); strategies = sys.argv[3].split(",")
ntr = int(sys.argv[4]); per = int(sys.argv[5]); depth = int(sys.argv[6]); lr = float(sys.argv[7])
MAXO = int(os.environ.get("MAXO", "3")); MODE = os.environ.get("MODE", "rel"); TOK = int(os.environ.get("TOK", "1"))
SLOTS = int(os.environ.get("SLOTS", "2"))
REL = ("left", "right", "above", "below")
def question(s, i, rng):
    a, b = rng.permutation(int(s["count"][i]))[:2]
    ax = pick(rng, differing_axes(s, i, a, b))
    rel = relation(s, i, a, b, ax)
    name = lambda j: f"{COLOURS[s['colour'][i, j]]} {pick(rng, SHAPE_WORDS[SHAPES[s['shape'][i, j]]])}"
    if MODE == "yesno":
        ans = int(rng.random() < 0.5); asked = rel if ans else {"left": "right", "right": "left", "above": "below", "below": "above"}[rel]
        return f"is the {name(a)} {asked} the {name(b)} ?".replace("left ", "left of ").replace("right ", "right of "), ans
    if MODE == "mix" and rng.random() < 0.5:
        key = "col" if ax == "x" else "row"
        side = int(s[key][i, a])
        if side != 1:
            q = f"is the {name(a)} " + ("on the left or on the right ?" if ax == "x" else "at the top or at the bottom ?")
            return q, (0 if side == 0 else 1) if ax == "x" else (2 if side == 0 else 3)
    q = f"is the {name(a)} " + ("left or right of" if ax == "x" else "above or below") + f" the {name(b)} ?"
    return q, REL.index(rel)
NCLS = 2 if MODE == "yesno" else 4
def sincos(n, d):
    ys, xs = torch.meshgrid(torch.arange(n).float(), torch.arange(n).float(), indexing="ij")
    f = torch.arange(d // 4).float(); freq = 1.0 / (n ** (f / (d // 4)))
    return torch.cat([torch.sin(xs[..., None] * freq), torch.cos(xs[..., None] * freq), torch.sin(ys[..., None] * freq), torch.cos(ys[..., None] * freq)], -1).view(1, n * n, d)
class LatentTokens(nn.Module):
    def __init__(self, dim=32, n=int(os.environ.get("GRID", "8"))):
        super().__init__()
        self.proj = nn.Sequential(nn.Linear(16, dim), nn.GELU(), nn.Linear(dim, dim)); self.dim = dim
        self.register_buffer("pos", sincos(n, dim))
    def forward(self, x):
        n = int(self.pos.shape[1] ** 0.5)
        if n != x.shape[-1]: x = torch.nn.functional.adaptive_avg_pool2d(x, n)
        t = self.proj(x.flatten(2).transpose(1, 2))
        return Features(t + self.pos, None, t.mean(1))
class SlotAttention(nn.Module):
    def __init__(self, qdim, cdim, dim=32, slots=2):
        super().__init__()
        self.q = nn.Linear(qdim, slots * dim); self.k = nn.Linear(cdim, dim); self.v = nn.Linear(cdim, dim)
        self.slots, self.dim = slots, dim; self.out_dim = slots * dim + qdim; self.attention = []
    def forward(self, feats):
        t, im = feats["text"], feats["image"]
        q = self.q(t.vector).view(-1, self.slots, self.dim)
        w = (q @ self.k(im.tokens).transpose(1, 2) / math.sqrt(self.dim)).softmax(-1)
        self.attention = [w.detach()]
        return torch.cat([(w @ self.v(im.tokens)).flatten(1), t.vector], 1)
class PosWords(nn.Module):
    def __init__(self, vocab, dim=32, max_len=24):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, padding_idx=0); self.pos = nn.Parameter(0.5 * torch.randn(1, max_len, dim))
        self.mlp = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, dim)); self.dim = dim
    def forward(self, ids):
        mask = ids != 0
        h = self.embed(ids) + self.pos[:, :ids.shape[1]]
        h = h + self.mlp(h)
        v = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return Features(h, mask, v)
class FrozenTokens(nn.Module):
    def __init__(self, dim=32):
        super().__init__(); self.proj = nn.Linear(384, dim); self.dim = dim
    def forward(self, x):
        h, mask = x[..., :-1], x[..., -1] > 0
        t = self.proj(h)
        return Features(t, mask, (t * mask[..., None]).sum(1) / mask.sum(1, keepdim=True))
class ConvText(nn.Module):
    def __init__(self, vocab, dim=32, max_len=24):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, padding_idx=0); self.pos = nn.Parameter(0.1 * torch.randn(1, max_len, dim))
        self.c = nn.Sequential(nn.Conv1d(dim, dim, 3, padding=1), nn.GELU(), nn.Conv1d(dim, dim, 3, padding=1)); self.dim = dim
    def forward(self, ids):
        mask = ids != 0
        h = self.embed(ids) + self.pos[:, :ids.shape[1]]
        h = h + self.c(h.transpose(1, 2)).transpose(1, 2)
        return Features(h, mask, (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True))
TXT = os.environ.get("TXT", "gru")
tok = WordTokenizer()
t0 = time.time()
tr = ShapesWorld("train", n=ntr, seed=seed, min_objects=2, max_objects=MAXO)
te = ShapesWorld("test", n=1000, seed=seed, min_objects=2, max_objects=MAXO)
vq = mnn.load_vqgan()
def prep(w, per):
    rng = np.random.default_rng(seed + 7)
    lat = mnn.vq_latents(torch.from_numpy(w.images).float() / 255, vq)
    qs, ys, idx = [], [], []
    for i in range(len(w)):
        for _ in range(per):
            q, a = question(w.scenes, i, rng); qs.append(q); ys.append(a); idx.append(i)
    idx = torch.tensor(idx)
    if TXT == "minilm":
        enc = ENC
        b = enc.tokenizer(qs, padding="max_length", max_length=24, truncation=True, return_tensors="pt")
        outs = []
        with torch.no_grad():
            for j in range(0, len(qs), 256):
                outs.append(enc.model(**{k: v[j:j+256] for k, v in b.items()}).last_hidden_state)
        ids = torch.cat([torch.cat(outs), b["attention_mask"][..., None].float()], -1)
    else:
        ids = tok(qs); ids = ids[:, :int((ids != 0).sum(1).max())]
    return dict(image=lat[idx], text=ids, label=torch.tensor(ys))
ENC = mnn.PretrainedTextEncoder() if TXT == 'minilm' else None
t1 = time.time()
dtr, dte = prep(tr, per), prep(te, 1)
MODE = 'rel'; dte_rel = prep(te, 1); MODE = os.environ.get('MODE', 'rel')
print("data", time.time() - t0, "prep", time.time() - t1, len(dtr["label"]), flush=True)
for s in strategies:
    torch.manual_seed(seed)
    base = {"slots": "intermediate", "image": "intermediate", "text": "intermediate"}.get(s, s)
    mods = (s,) if s in ("image", "text") else ("image", "text")
    m = mnn.build_model(base, mods, NCLS, len(tok), dim=32, width=16, image_shape=(16, 8), depth=depth)
    if s == "slots":
        m.fusion = SlotAttention(32, 32, slots=SLOTS); m.head = mnn.fusion.mlp_head(m.fusion.out_dim, NCLS)
    if TOK and "image" in m.encoders:
        m.encoders["image"] = LatentTokens()
    if TXT == 'conv' and 'text' in m.encoders: m.encoders['text'] = ConvText(len(tok))
    if TXT == 'pos' and 'text' in m.encoders: m.encoders['text'] = PosWords(len(tok))
    if TXT == 'minilm' and 'text' in m.encoders: m.encoders['text'] = FrozenTokens()
    t0 = time.time()
    h = mnn.fit_classifier(m, Batches(dtr, int(os.environ.get("BS", "32")), seed), steps, lr=lr, progress=False)
    acc = h["acc"]; print([round(sum(acc[i:i+25]) / 25, 2) for i in range(0, len(acc), 25)])
    print(f"{s:16s} train {mnn.evaluate(m, dtr):.3f} test {mnn.evaluate(m, dte):.3f} rel {mnn.evaluate(m, dte_rel):.3f}  {time.time()-t0:.1f}s", flush=True)
