"""Train chapter 7's question models to convergence, and ship them.

    python scripts/train_where.py --runs concatenation FiLM attention    # the shipped where-models (about 40 min)
    python scripts/train_where.py --task hop --steps 10000               # the shipped two-hop models, every fusion
    python scripts/train_where.py --runs transformer --steps 10000 --lr 1e-3 --warmup 500 \
        --init fusion_hop_transformer                                    # the where-transformer, from the two-hop one
    python scripts/train_where.py --steps 200 --out /tmp/where           # a quick try

A where-question names one or two objects of a scene and asks on which side of the other
(or of the image) the first one lies. The answer is in *where* things are, so a model
must keep the image as a grid of tokens until the question has acted on it.
Concatenation (the question beside the image's mean token), FiLM, question-guided
attention and a multimodal transformer read the shipped VQGAN's latent grid and the
question with a GRU, train with Adam and a cosine learning-rate decay at the same budget,
and are scored on ShapesWorld("val", n=2000) and ("test", n=4000), two or more objects per
scene. Each is shipped, with a card, as ``data/checkpoints/fusion_where_<name>``.

From scratch, the transformer stays on the words-alone plateau of the where-questions
(loss ln 2: the words say which axis is asked, nothing says which side) for thousands of
steps, with or without a warm-up of the learning rate; ``--init`` starts it from the
shipped two-hop transformer, which already finds a named object.

``--task hop`` asks the two-hop colour questions instead ("what colour is the shape nearest
to the red circle ?", three objects per scene): the model must find the named object, then
the object nearest to it. Shipped as ``fusion_hop_<name>``.
"""
import argparse
import pathlib
import platform
import sys
import time

import torch

from mmfuse_lite import checkpoints
from mmfuse_lite.data import Batches
from mmfuse_lite.nn import evaluate, fit_classifier, load_vqgan
from mmfuse_lite.nn.multimodal import QUESTION_FUSIONS, build_from_card, load_fusion, question_data, question_tokenizer

ROOT = pathlib.Path(__file__).resolve().parents[1]
RUNS = QUESTION_FUSIONS


def warm_start(model, name: str, task: str) -> int:
    """Copy a shipped question model's weights into ``model`` where names and shapes match.
    The word embedding is copied word by word: a word of this task's tokenizer gets the
    source's row for the same word, a word the source never saw keeps its fresh row.
    Returns the number of tensors copied (fully or row by row)."""
    source, card = load_fusion(name)
    theirs, ours, copied = source.state_dict(), model.state_dict(), 0
    words = question_tokenizer(card["config"]["task"]).vocab
    rows = [(i, words.index(w)) for i, w in enumerate(question_tokenizer(task).vocab) if w in words]
    for k, v in ours.items():
        w = theirs.get(k)
        if w is None or w.dim() != v.dim():
            continue
        if k.endswith("embed.weight") and w.shape[1:] == v.shape[1:]:
            for i, j in rows:
                v[i].copy_(w[j])
        elif w.shape == v.shape:
            v.copy_(w)
        else:
            continue
        copied += 1
    return copied


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", choices=("where", "hop"), default="where")
    ap.add_argument("--runs", nargs="+", choices=RUNS, default=list(RUNS))
    ap.add_argument("--layers", type=int, default=3, help="the transformer's layers")
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--scenes", type=int, default=60000)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=0, help="steps of linear learning-rate warm-up")
    ap.add_argument("--init", default=None, help="start from this shipped question model (e.g. fusion_hop_transformer) "
                    "wherever names and shapes match; the word embedding is copied word by word")
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "data" / "checkpoints"))
    args = ap.parse_args()

    vqgan, vocab = load_vqgan(), len(question_tokenizer(args.task))
    t0 = time.perf_counter()
    data = {split: question_data(args.task, split, n, args.seed, vqgan)
            for split, n in (("train", args.scenes), ("val", 2000), ("test", 4000))}
    print(f"data: {len(data['train']['label'])} training questions in {time.perf_counter() - t0:.0f} s", flush=True)
    for name in args.runs:
        config = dict(task=args.task, fusion=name, vocab_size=vocab, dim=args.dim, queries=2)
        if name == "transformer":
            config["layers"] = args.layers
        torch.manual_seed(args.seed)
        model = build_from_card(config)
        if args.init:
            copied = warm_start(model, args.init, args.task)
            print(f"{name}: {copied} tensors from {args.init}", flush=True)
        batches = Batches({k: data["train"][k] for k in ("image", "text", "label")}, args.batch_size, args.seed)
        t0 = time.perf_counter()
        fit_classifier(model, batches, args.steps, lr=args.lr, desc=name, cosine=True, warmup=args.warmup)
        seconds = time.perf_counter() - t0
        keys = ("image", "text", "label")
        metrics = {"val_accuracy": round(evaluate(model, {k: data["val"][k] for k in keys}), 4),
                   "test_accuracy": round(evaluate(model, {k: data["test"][k] for k in keys}), 4),
                   "steps": args.steps, "batch_size": args.batch_size, "scenes": args.scenes, "lr": args.lr,
                   "warmup": args.warmup, "init": args.init,
                   "train_seconds": round(seconds, 1), "parameters": sum(p.numel() for p in model.parameters())}
        checkpoints.save(model, pathlib.Path(args.out) / f"fusion_{args.task}_{name.lower()}", config=config,
                         metrics=metrics, command="python scripts/train_where.py " + " ".join(sys.argv[1:]),
                         notes=f"Adam, {args.warmup} warm-up steps, cosine decay from lr {args.lr} to 0, on {platform.machine()} with "
                               f"{torch.get_num_threads()} threads; metrics on ShapesWorld('val', n=2000) and "
                               f"('test', n=4000), seed {args.seed}, "
                               + ("two or more objects per scene" if args.task == "where" else "three objects per scene"))
        print(f"{name}: val {metrics['val_accuracy']:.4f}, test {metrics['test_accuracy']:.4f}, {seconds:.0f} s",
              flush=True)


if __name__ == "__main__":
    main()
