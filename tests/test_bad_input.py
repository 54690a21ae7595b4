"""Wrong input at every public entry point gets a clear error, never a hang, a cryptic
error from inside torch or a silently wrong result (design §3, "Bad input").

Each case calls the package the way a learner might get it wrong and checks the
exception type and that the message names both sides: what was expected and what
arrived (the ``needles``, matched case-insensitively). Cases are grouped by kind.
"""
from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

import mmfuse_lite.nn as mnn
from mmfuse_lite import checkpoints, exercises, metrics, runtime, viz, widgets
from mmfuse_lite.data import (Batches, ShapesDataset, ShapesWorld, WordTokenizer, image_tensor, make_loader,
                              spectrogram, task_tensors)
from mmfuse_lite.data.pairs import scene_pairs
from mmfuse_lite.nn import prior as P
from mmfuse_lite.nn.features import Features
from mmfuse_lite.train import fit

VOCAB = len(WordTokenizer())


@functools.lru_cache(maxsize=None)
def world():
    return ShapesWorld("val", n=24, seed=0)


def ae():
    return mnn.Autoencoder(width=4, latent_channels=2)


def vqvae():
    return mnn.VQVAE(width=4, dim=4, num_codes=8)


def images(b=2, c=3, s=32, dtype=torch.float32):
    return torch.rand(b, c, s, s, dtype=dtype)


def ids(b=2, length=5, high=VOCAB):
    return torch.randint(4, high, (b, length))


def feats(b=2, n=4, d=8):
    return Features(torch.randn(b, n, d), None, torch.randn(b, d))


def mm_model(strategy="intermediate", modalities=("image", "text")):
    return mnn.build_model(strategy, modalities, 2, VOCAB, dim=8, width=4)


def mse_loss(model, batch):
    return ((model(batch)[0] - batch) ** 2).mean()


def per_example_loss(model, batch):
    return ((model(batch)[0] - batch) ** 2).flatten(1).mean(1)


def layout():
    return P.Layout(text_vocab=VOCAB, num_codes=16, caption_len=8, grid=2)


def clip():
    return mnn.CLIP(mnn.GridMLP(16, 8, 8, 16), mnn.BagOfWords(VOCAB, 8), dim=8)


# --- cases: (id, call, exception type, needles the message must contain) -------------

TYPES = [
    ("ae-list", lambda: ae()([[0.0]]), TypeError, ["torch.Tensor", "list"]),
    ("ae-numpy", lambda: ae()(np.zeros((1, 3, 32, 32), np.float32)), TypeError, ["torch.Tensor", "ndarray"]),
    ("ae-uint8", lambda: ae()(torch.zeros(1, 3, 32, 32, dtype=torch.uint8)), TypeError, ["floating point", "uint8"]),
    ("ae-float64", lambda: ae()(images(dtype=torch.float64)), TypeError, ["float64", "float32"]),
    ("vq-int", lambda: mnn.VectorQuantizer(8, 4)(torch.zeros(1, 4, 2, 2, dtype=torch.long)), TypeError,
     ["floating-point", "int64"]),
    ("vq-float64", lambda: mnn.VectorQuantizer(8, 4)(torch.zeros(1, 4, 2, 2, dtype=torch.float64)), TypeError,
     ["float64", "float32"]),
    ("vq-list", lambda: mnn.VectorQuantizer(8, 4)([1.0]), TypeError, ["torch.Tensor", "list"]),
    ("vqvae-float64", lambda: vqvae()(images(dtype=torch.float64)), TypeError, ["float64", "float32"]),
    ("decoder-int", lambda: ae().decoder(torch.zeros(1, 2, 8, 8, dtype=torch.long)), TypeError,
     ["floating point", "int64"]),
    ("lookup-float", lambda: mnn.VectorQuantizer(8, 4).lookup(torch.zeros(1, 2, 2)), TypeError,
     ["integer", "float32"]),
    ("fsq-lookup-float", lambda: mnn.FSQ((5, 5)).lookup(torch.zeros(1, 2, 2)), TypeError, ["integer", "float32"]),
    ("bow-float-ids", lambda: mnn.BagOfWords(VOCAB)(torch.zeros(2, 5)), ValueError, ["LongTensor", "float32"]),
    ("gru-list", lambda: mnn.TextEncoder(VOCAB)([[1, 2]]), ValueError, ["LongTensor", "list"]),
    ("sound-int", lambda: mnn.SoundEncoder()(torch.zeros(2, 3000, dtype=torch.long)), ValueError,
     ["float waveforms", "int64"]),
    ("sound-list", lambda: mnn.SoundEncoder()([0.0] * 3000), ValueError, ["float waveforms", "list"]),
    ("spectrogram-int", lambda: spectrogram(torch.zeros(3000, dtype=torch.long)), TypeError, ["float", "int64"]),
    ("psnr-uint8", lambda: metrics.psnr(torch.zeros(1, 3, 4, 4, dtype=torch.uint8),
                                        torch.zeros(1, 3, 4, 4, dtype=torch.uint8)), TypeError, ["floating", "uint8"]),
    ("psnr-list", lambda: metrics.psnr([1.0], [1.0]), TypeError, ["torch.Tensor", "list"]),
    ("accuracy-float-labels", lambda: metrics.accuracy(torch.zeros(3, 2), torch.zeros(3)), TypeError,
     ["integer", "float32"]),
    ("codebook-stats-float", lambda: metrics.codebook_stats(torch.zeros(4), 8), TypeError, ["integer", "float32"]),
    ("info-nce-int", lambda: mnn.info_nce(torch.zeros(3, 3, dtype=torch.long)), TypeError, ["floating", "int64"]),
    ("recall-int", lambda: mnn.recall_at_k(torch.zeros(3, 3, dtype=torch.long)), TypeError, ["floating", "int64"]),
    ("tokenizer-int", lambda: WordTokenizer()(5), TypeError, ["list of strings", "int"]),
    ("tokenizer-list-of-ints", lambda: WordTokenizer()([1, 2]), TypeError, ["list of strings", "int"]),
    ("tokenizer-encode-int", lambda: WordTokenizer().encode(3), TypeError, ["str", "int"]),
    ("decode-str", lambda: WordTokenizer().decode("red"), TypeError, ["token ids", "str"]),
    ("world-seed-float", lambda: ShapesWorld("train", n=2, seed=1.5), TypeError, ["int", "float"]),
    ("world-n-str", lambda: ShapesWorld("train", n="10"), TypeError, ["int", "str"]),
    ("dataset-not-world", lambda: ShapesDataset("train"), TypeError, ["ShapesWorld", "str"]),
    ("task-tensors-not-world", lambda: task_tensors({}, "redundant"), TypeError, ["ShapesWorld", "dict"]),
    ("image-tensor-not-world", lambda: image_tensor(np.zeros(3)), TypeError, ["ShapesWorld", "ndarray"]),
    ("image-tensor-float-indices", lambda: image_tensor(world(), [0.5]), TypeError, ["integers", "float64"]),
    ("make-loader-list", lambda: make_loader([1, 2, 3]), TypeError, ["Dataset", "list"]),
    ("batches-list", lambda: Batches([torch.zeros(3)]), TypeError, ["dict", "list"]),
    ("batches-bad-entry", lambda: Batches({"x": np.zeros(3)}), TypeError, ["tensor or a list", "ndarray"]),
    ("fit-model-not-module", lambda: fit(lambda b: 0, mse_loss, [images()], 1), TypeError, ["nn.Module", "function"]),
    ("fit-loss-not-callable", lambda: fit(ae(), "mse", [images()], 1), TypeError, ["loss_fn", "str"]),
    ("fit-data-dict", lambda: fit(ae(), mse_loss, {"image": images()}, 1), TypeError, ["Batches", "dict"]),
    ("fit-data-tensor", lambda: fit(ae(), mse_loss, images(), 1), TypeError, ["batches", "tensor of shape"]),
    ("fit-data-str", lambda: fit(ae(), mse_loss, "images", 1), TypeError, ["batches", "str"]),
    ("fit-data-none", lambda: fit(ae(), mse_loss, None, 1), TypeError, ["batches", "None"]),
    ("fit-steps-float", lambda: fit(ae(), mse_loss, [images()], 2.5), TypeError, ["steps", "float"]),
    ("fit-loss-returns-float", lambda: fit(ae(), lambda m, b: 0.5, [images()], 1, progress=False), TypeError,
     ["scalar tensor", "float"]),
    ("fit-metrics-not-dict", lambda: fit(ae(), lambda m, b: (mse_loss(m, b), [1.0]), [images()], 1, progress=False),
     TypeError, ["metrics dict", "list"]),
    ("trainer-not-vq", lambda: mnn.VQGANTrainer(torch.nn.Linear(2, 2), None), TypeError, ["VQVAE", "Linear"]),
    ("trainer-loss", lambda: mnn.VQGANTrainer(vqvae(), "hinge"), TypeError, ["VQGANLoss", "str"]),
    ("save-not-module", lambda: checkpoints.save({"w": torch.zeros(1)}, "/tmp/x"), TypeError, ["nn.Module", "dict"]),
    ("save-config-list", lambda: checkpoints.save(ae(), "/tmp/mmfuse_bad/x", config=[1]), TypeError,
     ["config", "list"]),
    ("save-card-not-json", lambda: checkpoints.save(ae(), "/tmp/mmfuse_bad/x", metrics={"t": torch.zeros(2)}),
     TypeError, ["JSON", "Tensor"]),
    ("load-path-int", lambda: checkpoints.load(ae(), 3), TypeError, ["path", "int"]),
    ("multimodal-batch-list", lambda: mm_model()([images(), ids()]), TypeError, ["dict", "list"]),
    ("multimodal-encoders-list", lambda: mnn.MultimodalModel([torch.nn.Linear(1, 1)], torch.nn.Identity(),
                                                             torch.nn.Identity()), TypeError, ["dict", "list"]),
    ("multimodal-fusion-fn", lambda: mnn.MultimodalModel({"image": mnn.GridTokens()}, lambda f: f,
                                                         torch.nn.Identity()), TypeError, ["fusion", "nn.Module"]),
    ("fusion-feats-list", lambda: mnn.ConcatFusion({"image": 8})([feats()]), TypeError, ["dict", "list"]),
    ("fusion-feats-tensor", lambda: mnn.ConcatFusion({"image": 8})({"image": torch.zeros(2, 8)}), TypeError,
     ["Features", "tensor"]),
    ("pretrained-text-ids", lambda: mnn.PretrainedTextEncoder.forward(None, torch.zeros(2, 3)), TypeError,
     ["list of strings", "token ids"]),
    ("reconstruction-report-judge", lambda: metrics.reconstruction_report(ae(), images(), "judge"), TypeError,
     ["pooled", "str"]),
    ("prior-batch-not-dict", lambda: P.prior_loss(None, torch.zeros(2, 13, dtype=torch.long), layout()), TypeError,
     ["'seq'", "tensor"]),
    ("prior-captions-float", lambda: P.text_to_image_sequences(layout(), torch.zeros(2, 8),
                                                               torch.zeros(2, 2, 2, dtype=torch.long)),
     TypeError, ["integer", "float32"]),
    ("prior-codes-float", lambda: P.text_to_image_sequences(layout(), torch.zeros(2, 8, dtype=torch.long),
                                                            torch.zeros(2, 2, 2)), TypeError, ["integer", "float32"]),
    ("show-images-str", lambda: viz.show_images("cat.png"), TypeError, ["tensor or array", "str"]),
    ("plot-history-list", lambda: viz.plot_history([1, 2]), TypeError, ["fit()", "list"]),
    ("compare-rows-list", lambda: viz.compare_rows([images()]), TypeError, ["dict", "list"]),
    ("latent-widget-model", lambda: widgets.LatentInterpolation(torch.nn.Linear(2, 2), images()), TypeError,
     ["encoder", "Linear"]),
    ("codebook-widget-model", lambda: widgets.CodebookExplorer(ae(), images(), 8), TypeError,
     ["encode", "Autoencoder"]),
    ("attention-widget-attend", lambda: widgets.AttentionExplorer(images(), ["q1", "q2"], "attend"), TypeError,
     ["function", "str"]),
    ("prior-widget-sample", lambda: widgets.PriorExplorer(None, ["a red circle"]), TypeError, ["function", "None"]),
    ("setup-seed-float", lambda: runtime.setup(seed=0.5, quiet=True), TypeError, ["int", "float"]),
    ("checker-not-function", lambda: exercises.check_psnr(3.0), exercises.ExerciseError, ["your function", "float"]),
]

SHAPES = [
    ("ae-3d", lambda: ae()(torch.rand(3, 32, 32)), ValueError, ["(B, C, H, W)", "(3, 32, 32)", "x[None]"]),
    ("ae-channels-last", lambda: ae()(torch.rand(1, 32, 32, 3)), ValueError, ["3 channels", "(1, 32, 32, 3)", "permute"]),
    ("ae-grey", lambda: ae()(torch.rand(1, 1, 32, 32)), ValueError, ["3 channels", "(1, 1, 32, 32)"]),
    ("ae-odd-size", lambda: ae()(torch.rand(1, 3, 30, 30)), ValueError, ["multiples of 4", "(30, 30)"]),
    ("decoder-channels", lambda: ae().decoder(torch.rand(1, 5, 8, 8)), ValueError, ["2 channels", "(1, 5, 8, 8)"]),
    ("vq-channels", lambda: mnn.VectorQuantizer(8, 4)(torch.rand(1, 3, 2, 2)), ValueError, ["dim=4", "3 channels"]),
    ("vq-2d", lambda: mnn.VectorQuantizer(8, 4)(torch.rand(5, 4)), ValueError, ["(B, C, H, W)", "(5, 4)"]),
    ("vq-seq-channels", lambda: mnn.VectorQuantizer(8, 4)(torch.rand(2, 3, 5)), ValueError, ["dim=4", "(2, 3, 5)"]),
    ("fsq-channels", lambda: mnn.FSQ((5, 5))(torch.rand(1, 3, 2, 2)), ValueError, ["2 channels", "(1, 3, 2, 2)"]),
    ("fsq-2d", lambda: mnn.FSQ((5, 5))(torch.rand(3, 2)), ValueError, ["(B, C, H, W)", "torch.Size([3, 2])"]),
    ("image-encoder-size", lambda: mnn.ImageEncoder(8, 4, 2, 32)(torch.rand(1, 3, 64, 64)), ValueError,
     ["64 patches", "(1, 3, 64, 64)"]),
    ("patch-tokens-grid", lambda: mnn.PatchTokens(16, 8, 8)(torch.rand(1, 16, 4, 4)), ValueError,
     ["8 x 8", "(1, 16, 4, 4)"]),
    ("grid-mlp-channels", lambda: mnn.GridMLP(16, 8)(torch.rand(1, 3, 8, 8)), ValueError, ["16 channels", "(1, 3, 8, 8)"]),
    ("bow-1d", lambda: mnn.BagOfWords(VOCAB)(torch.ones(5, dtype=torch.long)), ValueError, ["(B, L)", "(5,)"]),
    ("gru-3d", lambda: mnn.TextEncoder(VOCAB)(torch.ones(2, 3, 4, dtype=torch.long)), ValueError,
     ["(B, L)", "(2, 3, 4)"]),
    ("sound-3d-wrong-bins", lambda: mnn.SoundEncoder()(torch.rand(2, 10, 47)), ValueError, ["129", "(2, 10, 47)"]),
    ("spectrogram-short", lambda: spectrogram(torch.rand(100)), ValueError, ["n_fft=256", "100 samples"]),
    ("feature-net-3d", lambda: mnn.FeatureNet(4)(torch.rand(3, 32, 32)), ValueError, ["(B, C, H, W)", "(3, 32, 32)"]),
    ("perceptual-shapes", lambda: mnn.perceptual_distance(mnn.FeatureNet(4), images(2), images(3)), ValueError,
     ["same shape", "(2, 3, 32, 32)", "(3, 3, 32, 32)"]),
    ("disc-channels", lambda: mnn.PatchDiscriminator(width=4)(torch.rand(1, 1, 32, 32)), ValueError,
     ["3 channels", "(1, 1, 32, 32)"]),
    ("psnr-shapes", lambda: metrics.psnr(images(2), images(3)), ValueError, ["same shape", "(2, 3, 32, 32)", "(3, 3, 32, 32)"]),
    ("psnr-1d", lambda: metrics.psnr(torch.rand(5), torch.rand(5)), ValueError, ["batches", "(5,)"]),
    ("accuracy-1d-logits", lambda: metrics.accuracy(torch.zeros(3), torch.zeros(3, dtype=torch.long)), ValueError,
     ["2-D", "(3,)"]),
    ("accuracy-length", lambda: metrics.accuracy(torch.zeros(3, 2), torch.zeros(4, dtype=torch.long)), ValueError,
     ["(N, C)", "(3, 2)", "(4,)"]),
    ("probe-widths", lambda: metrics.probe_accuracy(torch.rand(5, 3), torch.zeros(5, dtype=torch.long),
                                                    torch.rand(5, 2), torch.zeros(5, dtype=torch.long)),
     ValueError, ["differ in width", "3 vs 2"]),
    ("probe-3d", lambda: metrics.probe_accuracy(torch.rand(5, 3, 1), torch.zeros(5, dtype=torch.long),
                                                torch.rand(5, 3), torch.zeros(5, dtype=torch.long)),
     ValueError, ["(N, D)", "(5, 3, 1)"]),
    ("frechet-widths", lambda: metrics.frechet_distance(torch.rand(5, 3), torch.rand(5, 2)), ValueError,
     ["widths differ", "3 vs 2"]),
    ("frechet-one-row", lambda: metrics.frechet_distance(torch.rand(1, 3), torch.rand(5, 3)), ValueError,
     ["N >= 2", "(1, 3)"]),
    ("sharpness-3d", lambda: metrics.sharpness(torch.rand(3, 32, 32)), ValueError, ["(B, C, H, W)", "(3, 32, 32)"]),
    ("info-nce-rect", lambda: mnn.info_nce(torch.zeros(3, 4)), ValueError, ["square", "(3, 4)"]),
    ("info-nce-1d", lambda: mnn.info_nce(torch.zeros(3)), ValueError, ["2-D", "(3,)"]),
    ("recall-rect", lambda: mnn.recall_at_k(torch.zeros(3, 4)), ValueError, ["square", "(3, 4)"]),
    ("to-grid", lambda: mnn.to_grid(torch.zeros(1, 5, 2)), ValueError, ["square grid", "5 tokens"]),
    ("cross-attention-2d", lambda: mnn.CrossAttention(8)(torch.zeros(2, 8), torch.zeros(2, 3, 8)), ValueError,
     ["(B, L, D)", "(2, 8)"]),
    ("concat-vector-size", lambda: mnn.ConcatFusion({"image": 4})({"image": feats(d=8)}), ValueError,
     ["size 8", "expected 4"]),
    ("prior-codes-grid", lambda: P.text_to_image_sequences(layout(), torch.zeros(2, 8, dtype=torch.long),
                                                           torch.zeros(2, 3, 3, dtype=torch.long)),
     ValueError, ["(N, 2, 2)", "(2, 3, 3)"]),
    ("prior-captions-len", lambda: P.text_to_image_sequences(layout(), torch.zeros(2, 5, dtype=torch.long),
                                                             torch.zeros(2, 2, 2, dtype=torch.long)),
     ValueError, ["(2, 8)", "(2, 5)"]),
    ("prior-seq-len", lambda: P.prior_loss(None, {"seq": torch.zeros(2, 7, dtype=torch.long)}, layout()),
     ValueError, ["(B, 13)", "(2, 7)"]),
    ("decode-2d", lambda: WordTokenizer().decode(torch.ones(2, 3, dtype=torch.long)), ValueError,
     ["1-D", "(2, 3)"]),
    ("image-tensor-mask", lambda: image_tensor(world(), np.ones(5, bool)), ValueError, ["(24,)", "(5,)"]),
    ("show-images-3d", lambda: viz.show_images(torch.rand(3, 8, 8)), ValueError, ["(B, C, H, W)", "(3, 8, 8)", "x[None]"]),
    ("show-images-channels", lambda: viz.show_images(torch.rand(2, 5, 8, 8)), ValueError, ["C = 1 or 3", "(2, 5, 8, 8)"]),
    ("show-images-titles", lambda: viz.show_images(torch.rand(2, 3, 8, 8), titles=["a"]), ValueError,
     ["one title per image (2)", "length 1"]),
    ("to-numpy-image-channels-last", lambda: viz.to_numpy_image(torch.rand(8, 8, 3)), ValueError,
     ["(C, H, W)", "(8, 8, 3)", "permute"]),
    ("compare-rows-short", lambda: viz.compare_rows({"x": images(2)}, n=8), ValueError, ["n=8", "'x': 2"]),
    ("spectrogram-plot-3d", lambda: viz.show_spectrogram(torch.rand(1, 129, 10)), ValueError,
     ["(freq, frames)", "(1, 129, 10)"]),
    ("code-map-3d", lambda: viz.show_code_map(torch.rand(3, 32, 32), torch.zeros(1, 8, 8, dtype=torch.long)),
     ValueError, ["(H', W')", "(1, 8, 8)"]),
    ("highlight-batch", lambda: viz.highlight_code(images(4), torch.zeros(3, 8, 8, dtype=torch.long), 0), ValueError,
     ["same B", "(4, 3, 32, 32)", "(3, 8, 8)"]),
    ("highlight-divide", lambda: viz.highlight_code(images(2), torch.zeros(2, 5, 5, dtype=torch.long), 0), ValueError,
     ["side 5", "side 32"]),
    ("attention-weights", lambda: viz.show_attention(torch.rand(3, 8, 8), torch.rand(2, 5)), ValueError,
     ["S * S", "(2, 5)"]),
    ("decode-mixes-batch", lambda: widgets.decode_mixes(ae(), images(1), images(1), [0.5]), ValueError,
     ["(3, H, W)", "(1, 3, 32, 32)"]),
    ("attention-widget-lengths", lambda: widgets.AttentionExplorer(images(3), ["q1", "q2"], lambda i: ("", None)),
     ValueError, ["one question per image", "3 images", "2 questions"]),
]

RANGES = [
    ("ae-0-255", lambda: ae()(images() * 255), ValueError, ["[0, 1]", "divide by 255"]),
    ("psnr-0-255", lambda: metrics.psnr(images() * 255, images() * 255), ValueError, ["data_range=1", "divide by 255"]),
    ("psnr-data-range", lambda: metrics.psnr(images(), images(), data_range=0), ValueError, ["data_range", "0.0"]),
    ("lookup-out-of-range", lambda: mnn.VectorQuantizer(8, 4).lookup(torch.full((1, 2, 2), 8)), ValueError,
     ["[0, 8)", "[8, 8]"]),
    ("lookup-negative", lambda: mnn.VectorQuantizer(8, 4).lookup(torch.full((1, 2, 2), -1)), ValueError,
     ["[0, 8)", "-1"]),
    ("decode-out-of-range", lambda: vqvae().decode(torch.full((1, 8, 8), 99)), ValueError, ["[0, 8)", "99"]),
    ("codebook-stats-range", lambda: metrics.codebook_stats(torch.tensor([0, 9]), 8), ValueError, ["[0, 8)", "9"]),
    ("bow-ids-range", lambda: mnn.BagOfWords(10)(torch.tensor([[1, 12]])), ValueError, ["[0, 10)", "12"]),
    ("gru-ids-range", lambda: mnn.TextEncoder(10)(torch.tensor([[1, 10]])), ValueError, ["[0, 10)", "10"]),
    ("gru-ids-negative", lambda: mnn.TextEncoder(10)(torch.tensor([[-1, 2]])), ValueError, ["[0, 10)", "-1"]),
    ("decode-negative", lambda: WordTokenizer().decode([-1]), ValueError, [f"[0, {VOCAB})", "-1"]),
    ("decode-too-big", lambda: WordTokenizer().decode([VOCAB]), ValueError, [f"[0, {VOCAB})", str(VOCAB)]),
    ("tokenizer-too-long", lambda: WordTokenizer(max_len=4)(["a red circle at the top"]), ValueError,
     ["max_len=4", "tokens"]),
    ("world-n-zero", lambda: ShapesWorld("train", n=0), ValueError, [">= 1", "0"]),
    ("world-seed-negative", lambda: ShapesWorld("train", n=2, seed=-1), ValueError, [">= 0", "-1"]),
    ("world-max-objects", lambda: ShapesWorld("train", n=2, max_objects=5), ValueError, ["[1, 3]", "5"]),
    ("world-min-gt-max", lambda: ShapesWorld("train", n=2, min_objects=3, max_objects=2), ValueError, ["[1, 2]", "3"]),
    ("world-image-size", lambda: ShapesWorld("train", n=2, image_size=8), ValueError, [">= 16", "8"]),
    ("describe-index", lambda: world().describe(99), IndexError, ["[0, 24)", "99"]),
    ("dataset-index", lambda: ShapesDataset(world())[999], IndexError, ["[0, 24)", "999"]),
    ("image-tensor-index", lambda: image_tensor(world(), [0, 50]), IndexError, ["[0, 24)", "50"]),
    ("tokenizer-max-len", lambda: WordTokenizer(max_len=2), ValueError, [">= 3", "2"]),
    ("make-loader-batch", lambda: make_loader(ShapesDataset(world()), batch_size=0), ValueError, ["positive int", "0"]),
    ("batches-batch-size", lambda: Batches({"x": torch.zeros(3)}, batch_size=0), ValueError, ["positive int", "0"]),
    ("batches-seed", lambda: Batches({"x": torch.zeros(3)}, seed=-2), ValueError, [">= 0", "-2"]),
    ("fit-steps-zero", lambda: fit(ae(), mse_loss, [images()], 0), ValueError, [">= 1", "0"]),
    ("fit-lr-negative", lambda: fit(ae(), mse_loss, [images()], 1, lr=-1e-3), ValueError, ["lr", "-0.001"]),
    ("fit-log-every", lambda: fit(ae(), mse_loss, [images()], 1, log_every=0), ValueError, ["log_every", "0"]),
    ("trainer-lr", lambda: mnn.VQGANTrainer(vqvae(), mnn.VQGANLoss(mnn.PatchDiscriminator(width=4)), lr=0),
     ValueError, ["lr", "0"]),
    ("build-num-classes-0", lambda: mnn.build_model("intermediate", ("image",), 0, VOCAB), ValueError, [">= 1", "0"]),
    ("build-num-classes-1", lambda: mnn.build_model("intermediate", ("image",), 1, VOCAB), ValueError, [">= 2", "1"]),
    ("build-dim", lambda: mnn.build_model("intermediate", ("image",), 2, VOCAB, dim=0), ValueError, ["dim", "0"]),
    ("build-image-shape", lambda: mnn.build_model("intermediate", ("image",), 2, VOCAB, image_shape=(3,)),
     ValueError, ["(channels, size)", "(3,)"]),
    ("modality-dropout", lambda: mnn.MultimodalModel({"image": mnn.GridTokens()}, torch.nn.Identity(),
                                                     torch.nn.Identity(), modality_dropout=1.0),
     ValueError, ["[0, 1)", "1.0"]),
    ("vq-beta", lambda: mnn.VectorQuantizer(8, 4, beta=-1), ValueError, [">= 0", "-1"]),
    ("vq-ema-decay", lambda: mnn.VectorQuantizer(8, 4, ema_decay=1.5), ValueError, ["(0, 1)", "1.5"]),
    ("vq-num-codes", lambda: mnn.VectorQuantizer(0, 4), ValueError, ["num_codes", "0"]),
    ("fsq-levels", lambda: mnn.FSQ((2, 5)), ValueError, ["ints >= 3", "[2, 5]"]),
    ("text-encoder-odd-dim", lambda: mnn.TextEncoder(VOCAB, dim=7), ValueError, ["even", "7"]),
    ("cross-attention-heads", lambda: mnn.CrossAttention(10, heads=4), ValueError, ["divisible", "10", "4"]),
    ("sincos-dim", lambda: mnn.sincos_2d(4, 6), ValueError, ["divisible by 4", "6"]),
    ("clip-temperature", lambda: mnn.CLIP(mnn.GridMLP(), mnn.BagOfWords(VOCAB), temperature=0.001), ValueError,
     ["0.01", "0.001"]),
    ("siamese-kinds", lambda: mnn.Siamese(mnn.GridConv(dim=8), 4)(torch.randn(2, 16, 8, 8), torch.zeros(2, 5).long()),
     ValueError, ["one kind", "(2, 16, 8, 8)", "(2, 5)", "two towers"]),
    ("siamese-encoder", lambda: mnn.Siamese(torch.nn.Linear(3, 3)), TypeError, [".dim", "Linear"]),
    ("siamese-side", lambda: mnn.Siamese(mnn.GridConv(dim=8), 4).embed(torch.randn(2, 16, 8, 8), side=2),
     ValueError, ["side", "2"]),
    ("grid-conv-size", lambda: mnn.GridConv(dim=8)(torch.randn(2, 16, 4, 4)), ValueError, ["8 x 8", "(2, 16, 4, 4)"]),
    ("margin-loss-shapes", lambda: mnn.margin_loss(torch.rand(4), torch.ones(3)), ValueError, ["shape", "(4,)", "(3,)"]),
    ("margin-loss-margin", lambda: mnn.margin_loss(torch.rand(4), torch.ones(4), margin=0), ValueError, ["margin", "0"]),
    ("threshold-int-scores", lambda: mnn.best_threshold(torch.ones(3).long(), torch.zeros(3)), TypeError,
     ["same", "floating"]),
    ("scene-pairs-split", lambda: scene_pairs("dev", 4), ValueError, ["split", "dev", "train"]),
    ("scene-pairs-n", lambda: scene_pairs("val", 0), ValueError, ["n", "0"]),
    ("recall-ks", lambda: mnn.recall_at_k(torch.eye(3), ks=(0,)), ValueError, ["ints >= 1", "(0,)"]),
    ("recall-ks-int", lambda: mnn.recall_at_k(torch.eye(3), ks=5), ValueError, ["sequence", "5"]),
    ("sharpness-top", lambda: metrics.sharpness(images(), top=0), ValueError, ["(0, 1]", "0"]),
    ("layout-vocab", lambda: P.Layout(text_vocab=2, num_codes=16), ValueError, ["special ids", "2"]),
    ("layout-caption-len", lambda: P.Layout(text_vocab=VOCAB, num_codes=16, caption_len=1), ValueError,
     ["at least", "1"]),
    ("prior-codes-range", lambda: P.text_to_image_sequences(layout(), torch.zeros(2, 8, dtype=torch.long),
                                                            torch.full((2, 2, 2), 16)), ValueError,
     ["[0, 16)", "16"]),
    ("prior-caption-ids-range", lambda: P.text_to_image_sequences(layout(), torch.full((2, 8), 999),
                                                                  torch.zeros(2, 2, 2, dtype=torch.long)),
     ValueError, [f"[0, {VOCAB})", "999"]),
    ("prior-seq-ids-range", lambda: P.prior_loss(None, {"seq": torch.full((2, 13), 9999)}, layout()), ValueError,
     ["[0, ", "9999"]),
    ("prior-sample-guidance", lambda: P.sample_images(None, layout(), torch.zeros(1, 8, dtype=torch.long),
                                                      guidance=-1), ValueError, ["guidance", "-1"]),
    ("prior-sample-temperature", lambda: P.sample_images(None, layout(), torch.zeros(1, 8, dtype=torch.long),
                                                         temperature=0), ValueError, ["temperature", "0"]),
    ("prior-sample-top-k", lambda: P.sample_images(None, layout(), torch.zeros(1, 8, dtype=torch.long),
                                                   top_k=0), ValueError, ["top_k", "0"]),
    ("prior-drop-p", lambda: P.drop_captions(layout(), torch.zeros(2, 13, dtype=torch.long), 1.5), ValueError,
     ["[0, 1]", "1.5"]),
    ("prior-loss-fn-p", lambda: P.loss_fn(layout(), p_drop=1.0), ValueError, ["[0, 1)", "1.0"]),
    ("codebook-widget-num-codes", lambda: widgets.CodebookExplorer(vqvae(), images(), 2), ValueError,
     ["num_codes=2", "has 8 codes", "model.quantizer.num_codes"]),
    ("prior-widget-guidance", lambda: widgets.PriorExplorer(lambda *a: images(), ["a red circle"], guidance=20),
     ValueError, ["[1, 8]", "20"]),
    ("interpolate-steps", lambda: widgets.interpolate_latents(ae(), images(1)[0], images(1)[0], steps=0), ValueError,
     ["steps", "0"]),
    ("show-images-nrow", lambda: viz.show_images(images(), nrow=0), ValueError, ["nrow", "0"]),
]

NAMES = [
    ("world-split", lambda: ShapesWorld("tset", n=2), ValueError, ["'tset'", "train, val, test"]),
    ("task", lambda: world().task("synergy"), ValueError, ["'synergy'", "synergistic"]),
    ("dataset-modalities-str", lambda: ShapesDataset(world(), modalities="image"), ValueError, ["'image'", "subset"]),
    ("dataset-modality-typo", lambda: ShapesDataset(world(), modalities=("image", "txt")), ValueError,
     ["'txt'", "subset"]),
    ("task-tensors-modalities-str", lambda: task_tensors(world(), "redundant", modalities="image"), ValueError,
     ["'image'", "subset"]),
    ("tokenizer-extra-words", lambda: WordTokenizer(extra_words="or"), ValueError, ["sequence", "'or'"]),
    ("tokenizer-unknown-words", lambda: task_tensors(world(), "where"), ValueError, ["['or']", "WHERE_WORDS"]),
    ("strategy", lambda: mnn.build_model("concat", ("image",), 2, VOCAB), ValueError, ["'concat'", "intermediate"]),
    ("modalities-str", lambda: mnn.build_model("intermediate", "image", 2, VOCAB), TypeError,
     ["'image'", "('image',)"]),
    ("modalities-typo", lambda: mnn.build_model("intermediate", ("image", "audio"), 2, VOCAB), ValueError,
     ["['audio']", "sound"]),
    ("modalities-empty", lambda: mnn.build_model("intermediate", (), 2, VOCAB), ValueError, ["non-empty", "()"]),
    ("modalities-repeated", lambda: mnn.build_model("intermediate", ("image", "image"), 2, VOCAB), ValueError,
     ["distinct", "('image', 'image')"]),
    ("film-modalities", lambda: mnn.build_model("film", ("image", "sound"), 2, VOCAB), ValueError,
     ["image and text", "('image', 'sound')"]),
    ("predict-drop-typo", lambda: mnn.predict(mm_model(), {"image": images(), "text": ids(),
                                                           "label": torch.zeros(2, dtype=torch.long)},
                                              drop=("images",)), ValueError, ["['images']", "'image'"]),
    ("predict-drop-str", lambda: mnn.predict(mm_model(), {"image": images(), "text": ids(),
                                                          "label": torch.zeros(2, dtype=torch.long)}, drop="text"),
     TypeError, ["'text'", "('text',)"]),
    ("predict-no-modality", lambda: mnn.predict(mm_model(), {"label": torch.zeros(2, dtype=torch.long)}),
     ValueError, ["none of the model's modalities", "['label']"]),
    ("multimodal-no-modality", lambda: mm_model()({"images": images()}), ValueError,
     ["none of this model's modalities", "['images']"]),
    ("late-combine", lambda: mnn.LateFusion({"image": 8}, 2, combine="max"), ValueError, ["'mean' or 'product'", "'max'"]),
    ("fusion-missing-required", lambda: mnn.CrossAttentionFusion(8, 8)({"text": feats(), "image": None}), ValueError,
     ["'image'", "missing"]),
    ("fusion-unknown-modality", lambda: mnn.ConcatFusion({"image": 8})({"image": feats(), "sound": feats()}),
     ValueError, ["['image']", "['sound']"]),
    ("embed-modality", lambda: mnn.contrastive.embed(clip(), torch.rand(2, 16, 8, 8), "images"), ValueError,
     ["'image' or 'text'", "'images'"]),
    ("prior-target", lambda: P.load_prior("caption"), ValueError, ["'image' or 'text'", "'caption'"]),
    ("prior-loss-target", lambda: P.loss_fn(layout(), target="codes"), ValueError, ["'image' or 'text'", "'codes'"]),
    ("shipped-name", lambda: checkpoints.shipped("vqgan"), ValueError, ["'vqgan'", "vqgan_shapes"]),
    ("profile", lambda: runtime.setup(profile="fast", quiet=True), ValueError, ["'fast'", "ci, cpu, gpu"]),
    ("real-dataset", lambda: __import__("mmfuse_lite.data", fromlist=["load_real"]).load_real("imagenet"), ValueError,
     ["'imagenet'", "mnist"]),
    ("plot-history-key", lambda: viz.plot_history({"step": [1], "loss": [1.0]}, keys=("acc",)), KeyError,
     ["'acc'", "['loss', 'step']"]),
    ("headlines-chapter", lambda: __import__("mmfuse_lite.results", fromlist=["headlines"]).headlines(
        None, "chapter2", {"x": 1}), ValueError, ["'ch2'", "'chapter2'"]),
]

DEVICES = [
    ("fit-tpu", lambda: fit(ae(), mse_loss, [images()], 1, device="tpu"), ValueError, ["'cpu', 'cuda'", "'tpu'"]),
    ("fit-cuda-missing", lambda: fit(ae(), mse_loss, [images()], 1, device="cuda:7"), ValueError, ["cuda:7", "CUDA"]),
    ("setup-tpu", lambda: runtime.setup(device="tpu", quiet=True), ValueError, ["'cpu', 'cuda'", "'tpu'"]),
    ("predict-device", lambda: mnn.predict(mm_model(), {"image": images(), "text": ids(),
                                                        "label": torch.zeros(2, dtype=torch.long)}, device="gpu"),
     ValueError, ["'cpu', 'cuda'", "'gpu'"]),
    ("embed-device", lambda: mnn.contrastive.embed(clip(), torch.rand(2, 16, 8, 8), "image", device="npu"),
     ValueError, ["'cpu', 'cuda'", "'npu'"]),
    ("load-device", lambda: checkpoints.load(ae(), "/tmp/none", device="xla"), ValueError, ["'cpu', 'cuda'", "'xla'"]),
    ("trainer-device", lambda: mnn.VQGANTrainer(vqvae(), mnn.VQGANLoss(mnn.PatchDiscriminator(width=4)),
                                                device=0), ValueError, ["'cpu', 'cuda'", "0"]),
    ("ae-meta-input", lambda: ae()(torch.rand(1, 3, 32, 32, device="meta")), ValueError, ["meta", "cpu"]),
    ("vq-meta-input", lambda: mnn.VectorQuantizer(8, 4)(torch.rand(1, 4, 2, 2, device="meta")), ValueError,
     ["meta", "cpu"]),
    ("text-meta-ids", lambda: mnn.BagOfWords(10)(torch.ones(1, 3, dtype=torch.long, device="meta")), ValueError,
     ["meta", "cpu"]),
    ("image-encoder-meta", lambda: mnn.ImageEncoder(8, 4)(torch.rand(1, 3, 32, 32, device="meta")), ValueError,
     ["meta", "cpu"]),
    ("feature-net-meta", lambda: mnn.FeatureNet(4)(torch.rand(1, 3, 32, 32, device="meta")), ValueError,
     ["meta", "cpu"]),
]

BATCH_AGREEMENT = [
    ("multimodal-4-vs-1", lambda: mm_model()({"image": images(4), "text": ids(1)}), ValueError,
     ["same batch size", "image 4", "text 1"]),
    ("cross-attention-model-4-vs-1", lambda: mm_model("cross-attention")({"image": images(4), "text": ids(1)}),
     ValueError, ["same batch size", "image 4", "text 1"]),
    ("cross-attention-fusion", lambda: mnn.CrossAttentionFusion(8, 8)({"text": feats(1), "image": feats(4)}),
     ValueError, ["same batch size", "text 1", "image 4"]),
    ("cross-attention-block", lambda: mnn.CrossAttention(8)(torch.zeros(1, 3, 8), torch.zeros(4, 5, 8)), ValueError,
     ["same batch size", "1", "4"]),
    ("concat", lambda: mnn.ConcatFusion({"image": 8, "text": 8})({"image": feats(2), "text": feats(3)}), ValueError,
     ["same batch size", "image 2", "text 3"]),
    ("late", lambda: mnn.LateFusion({"image": 8, "text": 8}, 2)({"image": feats(2), "text": feats(3)}), ValueError,
     ["same batch size", "image 2", "text 3"]),
    ("tensor", lambda: mnn.TensorFusion({"image": 8, "text": 8})({"image": feats(2), "text": feats(3)}), ValueError,
     ["same batch size", "image 2", "text 3"]),
    ("low-rank", lambda: mnn.LowRankFusion({"image": 8, "text": 8})({"image": feats(2), "text": feats(3)}),
     ValueError, ["same batch size", "image 2", "text 3"]),
    ("film", lambda: mnn.FiLMFusion(8, 8)({"image": feats(2, 4), "text": feats(3)}), ValueError,
     ["same batch size", "image 2", "text 3"]),
    ("early", lambda: mnn.EarlyFusion(8)({"image": feats(2, 16, 3), "text": feats(3)}), ValueError,
     ["same batch size", "image 2", "text 3"]),
    ("question-attention", lambda: mnn.QuestionAttentionFusion(8, 8)({"text": feats(3), "image": feats(2)}),
     ValueError, ["same batch size", "text 3", "image 2"]),
    ("transformer", lambda: mnn.TransformerFusion({"image": 8, "text": 8})({"image": feats(2), "text": feats(3)}),
     ValueError, ["same batch size", "image 2", "text 3"]),
    ("transformer-positions", lambda: mnn.TransformerFusion({"image": 8, "text": 8}, positions={"text": 3})(
        {"image": feats(2), "text": feats(2)}), ValueError, ["'text' has 4 tokens", "room for 3"]),
    ("transformer-position-modality", lambda: mnn.TransformerFusion({"image": 8}, positions={"text": 3}),
     ValueError, ["positions names modalities ['text']", "['image']"]),
    ("transformer-unknown-modality", lambda: mnn.TransformerFusion({"image": 8})({"image": feats(2), "text": feats(2)}),
     ValueError, ["built for modalities ['image']", "['text']"]),
    ("question-task", lambda: __import__("mmfuse_lite.nn.multimodal", fromlist=["x"]).build_where_model(
        "transformer", 10, task="count"), ValueError, ["task must be one of where, hop", "'count'"]),
    ("question-fusion", lambda: __import__("mmfuse_lite.nn.multimodal", fromlist=["x"]).build_where_model(
        "mixer", 10), ValueError, ["fusion must be one of", "transformer", "'mixer'"]),
    ("clip", lambda: clip()(torch.rand(3, 16, 8, 8), ids(2)), ValueError, ["as many images as texts", "3 images",
                                                                           "2 texts"]),
    ("batches-lengths", lambda: Batches({"image": torch.zeros(3, 1), "label": torch.zeros(4)}), ValueError,
     ["same length", "'image': 3", "'label': 4"]),
    ("predict-lengths", lambda: mnn.predict(mm_model(), {"image": images(3), "text": ids(2),
                                                         "label": torch.zeros(3, dtype=torch.long)}), ValueError,
     ["same batch size", "image 3", "text 2"]),
    ("attention-readout-lengths", lambda: widgets.AttentionExplorer(images(2), ["q"], lambda i: ("", None)), ValueError,
     ["one question per image", "2 images", "1 questions"]),
]

EMPTY = [
    ("ae-empty-batch", lambda: ae()(torch.rand(0, 3, 32, 32)), ValueError, ["at least one", "(0, 3, 32, 32)"]),
    ("vq-empty-batch", lambda: mnn.VectorQuantizer(8, 4)(torch.rand(0, 4, 2, 2)), ValueError,
     ["at least one", "(0, 4, 2, 2)"]),
    ("fsq-empty-batch", lambda: mnn.FSQ((5, 5))(torch.rand(0, 2, 2, 2)), ValueError, ["at least one", "(0, 2, 2, 2)"]),
    ("text-empty", lambda: mnn.TextEncoder(VOCAB)(torch.zeros(0, 5, dtype=torch.long)), ValueError,
     ["at least one", "(0, 5)"]),
    ("bow-no-tokens", lambda: mnn.BagOfWords(VOCAB)(torch.zeros(2, 0, dtype=torch.long)), ValueError,
     ["at least one", "(2, 0)"]),
    ("sound-empty", lambda: mnn.SoundEncoder()(torch.zeros(0, 3000)), ValueError, ["at least one", "(0, 3000)"]),
    ("multimodal-empty", lambda: mm_model()({"image": images(0), "text": ids(0)}), ValueError,
     ["at least one", "0"]),
    ("tokenizer-empty-list", lambda: WordTokenizer()([]), ValueError, ["at least one", "empty list"]),
    ("info-nce-empty", lambda: mnn.info_nce(torch.zeros(0, 0)), ValueError, ["at least one", "(0, 0)"]),
    ("recall-empty", lambda: mnn.recall_at_k(torch.zeros(0, 0)), ValueError, ["at least one", "(0, 0)"]),
    ("accuracy-empty", lambda: metrics.accuracy(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long)), ValueError,
     ["at least one", "(0, 2)"]),
    ("codebook-stats-empty", lambda: metrics.codebook_stats(torch.zeros(0, dtype=torch.long), 8), ValueError,
     ["no indices", "given"]),
    ("psnr-empty", lambda: metrics.psnr(torch.zeros(0, 3), torch.zeros(0, 3)), ValueError, ["at least one", "(0, 3)"]),
    ("evaluate-psnr-empty", lambda: metrics.evaluate_psnr(ae(), torch.zeros(0, 3, 32, 32)), ValueError,
     ["at least one", "(0, 3, 32, 32)"]),
    ("embed-empty", lambda: mnn.contrastive.embed(clip(), torch.zeros(0, 16, 8, 8), "image"), ValueError,
     ["no images", "empty"]),
    ("fit-empty-list", lambda: fit(ae(), mse_loss, [], 1), ValueError, ["no batch", "length 0"]),
    ("fit-drop-last-loader", lambda: fit(ae(), mse_loss, torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(images(3)), batch_size=4, drop_last=True), 1), ValueError,
     ["no batch", "drop_last=True"]),
    ("fit-empty-generator", lambda: fit(ae(), mse_loss, iter([]), 1, progress=False), ValueError,
     ["no batch", "data"]),
    ("fit-used-up-generator", lambda: fit(ae(), mse_loss, (b for b in [images()]), 3, progress=False), ValueError,
     ["second pass", "re-iterable"]),
    ("trainer-empty", lambda: mnn.VQGANTrainer(vqvae(), mnn.VQGANLoss(mnn.PatchDiscriminator(width=4))).fit([], 1),
     ValueError, ["no batch", "length 0"]),
    ("batches-empty-dict", lambda: Batches({}), TypeError, ["non-empty dict", "empty"]),
    ("batches-no-rows", lambda: Batches({"x": torch.zeros(0)}), ValueError, ["no rows", "'x': 0"]),
    ("make-loader-drop-last", lambda: make_loader(ShapesDataset(world()), batch_size=64, drop_last=True), ValueError,
     ["no batch", "24 items"]),
    ("predict-empty-dict", lambda: mnn.predict(mm_model(), {}), TypeError, ["non-empty dict", "dict"]),
    ("show-images-empty", lambda: viz.show_images(torch.zeros(0, 3, 8, 8)), ValueError, ["non-empty", "(0, 3, 8, 8)"]),
    ("attention-widget-no-questions", lambda: widgets.AttentionExplorer(images(1), [], lambda i: ("", None)),
     ValueError, ["non-empty", "length 0"]),
    ("prior-widget-no-captions", lambda: widgets.PriorExplorer(lambda *a: images(), []), ValueError,
     ["non-empty", "length 0"]),
    ("headlines-empty", lambda: __import__("mmfuse_lite.results", fromlist=["headlines"]).headlines(None, "ch2", {}),
     ValueError, ["no headline numbers", "ch2"]),
    ("class-embeddings-empty", lambda: mnn.class_embeddings(clip(), {"red": []}, WordTokenizer()), ValueError,
     ["non-empty list", "[]"]),
]

BUILDING_BLOCKS = [
    ("nearest-code-dims", lambda: mnn.nearest_code(torch.rand(5, 4), torch.rand(8, 3)), ValueError,
     ["share d", "(5, 4)", "(8, 3)"]),
    ("nearest-code-1d", lambda: mnn.nearest_code(torch.rand(4), torch.rand(8, 4)), ValueError, ["2-d", "(4,)"]),
    ("kmeans-k", lambda: mnn.kmeans(torch.rand(10, 2), 0), ValueError, ["k must be >= 1", "0"]),
    ("ema-update-shapes", lambda: mnn.ema_update(torch.ones(4), torch.zeros(4, 3), torch.rand(5, 2),
                                                 torch.zeros(5, dtype=torch.long)), ValueError,
     ["code_sum (k, d)", "(4, 3)", "(5, 2)"]),
    ("ema-update-decay", lambda: mnn.ema_update(torch.ones(4), torch.zeros(4, 2), torch.rand(5, 2),
                                                torch.zeros(5, dtype=torch.long), decay=1.0), ValueError,
     ["decay", "1.0"]),
    ("ema-update-indices", lambda: mnn.ema_update(torch.ones(4), torch.zeros(4, 2), torch.rand(5, 2),
                                                  torch.full((5,), 4)), ValueError, ["[0, 4)", "4"]),
    ("hinge-d-list", lambda: mnn.hinge_d_loss([1.0], torch.zeros(2)), TypeError, ["torch.tensor", "list"]),
    ("hinge-g-int", lambda: mnn.hinge_g_loss(torch.zeros(2, dtype=torch.long)), TypeError, ["floating", "int64"]),
    ("adaptive-weight-detached", lambda: mnn.adaptive_weight(torch.tensor(1.0), torch.tensor(1.0),
                                                             torch.nn.Parameter(torch.zeros(2))), ValueError,
     ["still has its graph", "without a graph"]),
    ("adaptive-weight-layer", lambda: mnn.adaptive_weight(torch.tensor(1.0, requires_grad=True),
                                                          torch.tensor(1.0, requires_grad=True), "decoder"),
     ValueError, ["trainable weight", "str"]),
]

LOSSES = [
    ("fit-per-example-loss", lambda: fit(ae(), per_example_loss, [images()], 1, progress=False), ValueError,
     ["scalar loss", "(2,)", ".mean()"]),
    ("fit-int-loss", lambda: fit(ae(), lambda m, b: torch.tensor(1), [images()], 1, progress=False), TypeError,
     ["floating-point", "int64"]),
    ("fit-nan-loss", lambda: fit(ae(), lambda m, b: mse_loss(m, b) * float("nan"), [images()], 1, progress=False),
     FloatingPointError, ["nan", "step 1", "nothing was updated"]),
    ("check-scalar-loss-list", lambda: __import__("mmfuse_lite.checks", fromlist=["x"]).check_scalar_loss([1.0]),
     TypeError, ["scalar tensor", "list"]),
]

CASES = [pytest.param(fn, exc, needles, id=f"{kind}:{name}")
         for kind, group in (("type", TYPES), ("shape", SHAPES), ("range", RANGES), ("name", NAMES),
                             ("device", DEVICES), ("batch", BATCH_AGREEMENT), ("empty", EMPTY), ("loss", LOSSES),
                             ("block", BUILDING_BLOCKS))
         for name, fn, exc, needles in group]


@pytest.mark.parametrize("call, error, needles", CASES)
def test_bad_input_gets_a_clear_error(call, error, needles):
    with pytest.raises(error) as info:
        call()
    message = str(info.value.args[0] if info.type is KeyError else info.value).lower()
    missing = [n for n in needles if n.lower() not in message]
    assert not missing, f"the message should name {missing}; it was: {message}"
    if "\n" in message.strip():      # one line a learner can act on; a checkpoint mismatch lists its tensors
        assert "checkpoint" in message, message


def test_the_suite_covers_every_kind_with_enough_cases():
    kinds = {"type": TYPES, "shape": SHAPES, "range": RANGES, "name": NAMES, "device": DEVICES,
             "batch": BATCH_AGREEMENT, "empty": EMPTY, "loss": LOSSES, "block": BUILDING_BLOCKS}
    assert sum(map(len, kinds.values())) >= 150
    assert all(len(group) >= 4 for group in kinds.values())
