"""Interactive widgets (ipywidgets), each with a static twin in :mod:`mmfuse_lite.viz`.

Figures are written into the *kernel-side* state of ``Output`` widgets (not captured
by the front end), so a saved notebook, and the static HTML book built from it,
shows each widget as it was left.
"""
from __future__ import annotations

import base64
import io

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
import torch

from .checks import check_image_batch, check_number, check_positive_int, describe
from .viz import highlight_code, show_code_map, to_numpy_image


def _check_model(model, needs, who: str):
    missing = [a for a in needs if not hasattr(model, a)]
    if not isinstance(model, torch.nn.Module) or missing:
        raise TypeError(f"{who} needs a model with {', '.join(needs)}, got {describe(model)}"
                        + (f" without {missing}" if isinstance(model, torch.nn.Module) else ""))
    return model


def show_figure(out: W.Output, fig) -> None:
    """Replace the content of ``out`` with a matplotlib figure, as a PNG."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    out.outputs = ({"output_type": "display_data", "metadata": {},
                    "data": {"image/png": base64.b64encode(buf.getvalue()).decode(), "text/plain": "<figure>"}},)


@torch.no_grad()
def decode_mixes(model, a: torch.Tensor, b: torch.Tensor, ts: torch.Tensor) -> torch.Tensor:
    """Decode (1 - t) E(a) + t E(b) for each t in ``ts``; a and b are single images (3, H, W)."""
    _check_model(model, ("encoder", "decoder"), "decode_mixes")
    for name, img in (("a", a), ("b", b)):
        if not isinstance(img, torch.Tensor) or img.dim() != 3:
            raise ValueError(f"{name} must be one image (3, H, W), got {describe(img)}")
    za, zb = model.encoder(a[None]), model.encoder(b[None])
    ts = torch.as_tensor(ts, dtype=za.dtype).view(-1, 1, 1, 1)
    return model.decoder((1 - ts) * za + ts * zb).clamp(0, 1)


def interpolate_latents(model, a: torch.Tensor, b: torch.Tensor, steps: int = 8) -> torch.Tensor:
    """``steps`` evenly spaced decoded mixes from image a (t = 0) to image b (t = 1)."""
    check_positive_int(steps, "steps")
    return decode_mixes(model, a, b, torch.linspace(0, 1, steps))


class LatentInterpolation(W.VBox):
    """Pick two images and slide ``t`` from 0 to 1 to see the decoded latent mix."""

    def __init__(self, model, images: torch.Tensor):
        check_image_batch(images)
        self.model, self.images = _check_model(model, ("encoder", "decoder"), "LatentInterpolation").eval(), images
        n = len(images)
        self.a = W.IntSlider(0, 0, n - 1, description="image A")
        self.b = W.IntSlider(min(1, n - 1), 0, n - 1, description="image B")
        self.t = W.FloatSlider(0.5, min=0, max=1, step=0.05, description="t")
        self.out = W.Output()
        for s in (self.a, self.b, self.t):
            s.observe(lambda _: self.draw(), names="value")
        super().__init__([W.HBox([self.a, self.b, self.t]), self.out])
        self.draw()

    def draw(self):
        a, b, t = self.images[self.a.value], self.images[self.b.value], self.t.value
        mix = decode_mixes(self.model, a, b, [t])[0]
        fig, axes = plt.subplots(1, 3, figsize=(6, 2.2))
        for ax, img, title in zip(axes, (a, mix, b), ("A", f"decoded mix t={t:.2f}", "B")):
            ax.imshow(to_numpy_image(img), interpolation="nearest")
            ax.set_title(title, fontsize=9)
            ax.axis("off")
        show_figure(self.out, fig)


class CodebookExplorer(W.VBox):
    """Explore what a VQ model's codes mean.

    * pick an image: see it, its code map and its decoding;
    * pick a code: see every position that uses it across the batch;
    * edit: put another code at one position of the map and see the decoding change.

    ``model`` needs ``encode(images) -> (B, h, w)`` indices and ``decode(indices)``.
    """

    def __init__(self, model, images: torch.Tensor, num_codes: int):
        _check_model(model, ("encode", "decode"), "CodebookExplorer")
        check_image_batch(images)
        check_positive_int(num_codes, "num_codes")
        self.model, self.images, self.num_codes = model.eval(), images, num_codes
        own = getattr(getattr(model, "quantizer", None), "num_codes", num_codes)
        if own != num_codes:
            raise ValueError(f"num_codes={num_codes} but the model's codebook has {own} codes: "
                             f"pass model.quantizer.num_codes")
        self.indices = model.encode(images)
        if int(self.indices.max()) >= num_codes:
            raise ValueError(f"num_codes={num_codes} but the model uses code {int(self.indices.max())}: "
                             f"pass the model's codebook size (model.quantizer.num_codes)")
        h, w = self.indices.shape[1:]
        n = len(images)
        self.image = W.IntSlider(0, 0, n - 1, description="image")
        self.code = W.IntSlider(int(self.indices[0, h // 2, w // 2]), 0, num_codes - 1, description="code")
        self.row = W.IntSlider(h // 2, 0, h - 1, description="edit row")
        self.col = W.IntSlider(w // 2, 0, w - 1, description="edit col")
        self.new_code = W.IntSlider(0, 0, num_codes - 1, description="new code")
        self.map_out, self.code_out, self.edit_out = W.Output(), W.Output(), W.Output()
        self.image.observe(lambda _: (self.draw_map(), self.draw_edit()), names="value")
        self.code.observe(lambda _: self.draw_code(), names="value")
        for s in (self.row, self.col, self.new_code):
            s.observe(lambda _: self.draw_edit(), names="value")
        super().__init__([
            W.HTML("<b>1. An image and its code map</b>"), self.image, self.map_out,
            W.HTML("<b>2. Where is a code used?</b>"), self.code, self.code_out,
            W.HTML("<b>3. Replace one code and decode</b>"), W.HBox([self.row, self.col, self.new_code]), self.edit_out])
        self.draw_map(), self.draw_code(), self.draw_edit()

    @torch.no_grad()
    def draw_map(self):
        i = self.image.value
        show_figure(self.map_out, show_code_map(self.images[i], self.indices[i], self.model.decode(self.indices[i:i + 1])[0],
                                                self.num_codes))

    def draw_code(self):
        show_figure(self.code_out, highlight_code(self.images[:16], self.indices[:16], self.code.value))

    @torch.no_grad()
    def draw_edit(self):
        i, r, c = self.image.value, self.row.value, self.col.value
        edited = self.indices[i:i + 1].clone()
        old = int(edited[0, r, c])
        edited[0, r, c] = self.new_code.value
        before, after = self.model.decode(self.indices[i:i + 1])[0], self.model.decode(edited)[0]
        fig, axes = plt.subplots(1, 3, figsize=(6.6, 2.3))
        cell = self.images.shape[-1] // self.indices.shape[-1]
        for ax, img, title in zip(axes, (before, after, (after - before).abs().sum(0, keepdim=True).expand(3, -1, -1)),
                                  (f"code {old} at ({r},{c})", f"code {self.new_code.value} at ({r},{c})", "|difference|")):
            ax.imshow(to_numpy_image(img / (img.max() if title == "|difference|" and img.max() > 0 else 1)),
                      interpolation="nearest")
            ax.add_patch(plt.Rectangle((c * cell - 0.5, r * cell - 0.5), cell, cell, fill=False, ec="white", lw=1))
            ax.set_title(title, fontsize=8)
            ax.axis("off")
        show_figure(self.edit_out, fig)


class AttentionExplorer(W.VBox):
    """Pick a question: see the image, the model's answer and where each query looked.

    ``attend(i)`` returns (answer text, weights (Q, N)) for example i; ``images`` (n, 3, H, W)
    and ``questions`` (n strings) are what the dropdown offers. Static twin:
    :func:`mmfuse_lite.viz.show_attention`.
    """

    def __init__(self, images, questions, attend, labels=None):
        from .viz import show_attention
        if not callable(attend):
            raise TypeError(f"attend must be a function i -> (answer, weights), got {describe(attend)}")
        if isinstance(questions, str) or not len(questions):
            raise ValueError(f"questions must be a non-empty list of strings, got {describe(questions)}")
        if len(images) != len(questions):
            raise ValueError(f"need one question per image, got {len(images)} images and {len(questions)} questions")
        self.images, self.attend, self.labels, self._show = images, attend, labels, show_attention
        self.pick = W.Dropdown(options=[(q, i) for i, q in enumerate(questions)], description="question",
                               layout=W.Layout(width="520px"))
        self.out = W.Output()
        self.pick.observe(lambda _: self.draw(), names="value")
        super().__init__([self.pick, self.out])
        self.draw()

    def draw(self):
        i = self.pick.value
        answer, weights = self.attend(i)
        self._show(self.images[i], weights, title=answer, labels=self.labels)
        show_figure(self.out, plt.gcf())


class PriorExplorer(W.VBox):
    """Type or pick a caption, set the guidance scale and the seed: see samples of the
    text-to-image prior. ``sample(caption, guidance, seed)`` returns images (n, 3, H, W);
    a caption the tokenizer cannot read shows its error message instead."""

    def __init__(self, sample, captions, guidance: float = 3.0, seed: int = 0):
        if not callable(sample):
            raise TypeError(f"sample must be a function (caption, guidance, seed) -> images, got {describe(sample)}")
        if isinstance(captions, str) or not len(captions) or not all(isinstance(c, str) for c in captions):
            raise ValueError(f"captions must be a non-empty list of strings, got {describe(captions)}")
        check_number(guidance, "guidance", 1, 8)
        self.sample = sample
        self.caption = W.Combobox(value=captions[0], options=list(captions), description="caption",
                                  layout=W.Layout(width="520px"), ensure_option=False)
        self.guidance = W.FloatSlider(value=guidance, min=1.0, max=8.0, step=0.5, description="guidance")
        self.seed = W.IntText(value=seed, description="seed")
        self.out = W.Output()
        for w in (self.caption, self.guidance, self.seed):
            w.observe(lambda _: self.draw(), names="value")
        super().__init__([self.caption, W.HBox([self.guidance, self.seed]), self.out])
        self.draw()

    def draw(self):
        from .viz import show_images
        try:
            images = self.sample(self.caption.value, self.guidance.value, self.seed.value)
        except ValueError as e:                  # e.g. a word outside the vocabulary
            self.out.outputs = ()
            self.out.append_stdout(f"{e}\n")
            return
        fig = show_images(images, nrow=len(images), scale=1.1,
                          title=f"{self.caption.value!r}, guidance {self.guidance.value}")
        show_figure(self.out, fig)


def _check_start(start: int, n: int) -> int:
    if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start < n:
        raise ValueError(f"start must be an index in [0, {n}), got {start!r}")
    return start


class ClipExplorer(W.VBox):
    """Pick a clip: see its frames, its code maps over time (:func:`viz.show_clip`, the
    objects' cells ringed), the caption a model wrote for it and the true one. ``codes`` are
    the clips' code maps (N, T, h, w); ``written`` the N written captions; ``start`` the clip
    shown first (the one a static page keeps)."""

    def __init__(self, clips, codes: torch.Tensor, written, num_codes: int | None = None, start: int = 0):
        n = len(getattr(clips, "frames", ()))
        if not n or not isinstance(codes, torch.Tensor) or codes.dim() != 4 or len(codes) != n:
            raise ValueError(f"expected ShapesClips and their code maps (N, T, h, w) for the same N clips, "
                             f"got {describe(clips)} and {describe(codes)}")
        if isinstance(written, str) or len(written) != n:
            raise ValueError(f"written must hold one caption per clip ({n}), got {describe(written)}")
        self.clips, self.codes, self.written, self.num_codes = clips, codes, list(written), num_codes
        self.pick = W.IntSlider(_check_start(start, n), 0, n - 1, description="clip")
        self.out = W.Output()
        self.pick.observe(lambda _: self.draw(), names="value")
        super().__init__([self.pick, self.out])
        self.draw()

    def draw(self):
        from .data.motion import object_tracks
        from .viz import show_clip
        i = self.pick.value
        tracks = object_tracks({k: v[i:i + 1] for k, v in self.clips.clips.items()})
        marks = np.stack([tracks["x"][0], tracks["y"][0]], -1).transpose(1, 0, 2)      # (T, objects, 2)
        show_figure(self.out, show_clip(self.clips.frames[i], self.codes[i], self.written[i],
                                        self.clips.captions[i], self.num_codes, marks))


class SoundExplorer(W.VBox):
    """Pick a picture: see it and the spectrogram generated for it, and hear that sound
    (made audible by Griffin-Lim), beside the scene's true sound. ``images`` (N, 3, H, W),
    ``generated`` and ``true`` spectrograms (N, 129, 24)."""

    def __init__(self, images: torch.Tensor, generated: torch.Tensor, true: torch.Tensor, captions, start: int = 0):
        from .nn.sound_vq import BINS, FRAMES
        check_image_batch(images)
        n = len(images)
        for name, s in (("generated", generated), ("true", true)):
            if not isinstance(s, torch.Tensor) or tuple(s.shape) != (n, BINS, FRAMES):
                raise ValueError(f"{name} must be spectrograms ({n}, {BINS}, {FRAMES}), one per image, "
                                 f"got {describe(s)}")
        if isinstance(captions, str) or len(captions) != n:
            raise ValueError(f"captions must hold one caption per image ({n}), got {describe(captions)}")
        self.images, self.generated, self.true, self.captions = images, generated.cpu(), true.cpu(), list(captions)
        self.pick = W.IntSlider(_check_start(start, n), 0, n - 1, description="picture")
        self.out, self.audio = W.Output(), W.Output()
        self.pick.observe(lambda _: self.draw(), names="value")
        super().__init__([self.pick, self.out, self.audio])
        self.draw()

    def draw(self):
        from IPython.display import Audio

        from .data.sounds import SAMPLE_RATE
        from .nn.sound_vq import HOP, griffin_lim
        from .viz import show_spectrogram
        i = self.pick.value
        fig, axes = plt.subplots(1, 3, figsize=(9, 2.4), gridspec_kw={"width_ratios": [1, 2, 2]})
        axes[0].imshow(to_numpy_image(self.images[i]), interpolation="nearest")
        axes[0].set_title(self.captions[i], fontsize=8)
        axes[0].axis("off")
        show_spectrogram(self.generated[i], axes[1], "generated from the picture", hop=HOP)
        show_spectrogram(self.true[i], axes[2], "the scene's true sound", hop=HOP)
        fig.tight_layout()
        show_figure(self.out, fig)
        # both through Griffin-Lim, so the two differ only in their spectrograms
        players = [f"<p>{name}: {Audio(griffin_lim(s[i][None])[0].numpy(), rate=SAMPLE_RATE)._repr_html_()}</p>"
                   for name, s in (("generated", self.generated), ("true (its spectrogram, through Griffin-Lim)",
                                                                    self.true))]
        self.audio.outputs = ({"output_type": "display_data", "metadata": {},
                               "data": {"text/html": "".join(players), "text/plain": "<audio>"}},)
