"""The variational autoencoder (Kingma and Welling 2014) and its conditional form, the CVAE
(Sohn et al. 2015), over one-object Shapes images.

The encoder gives a diagonal Gaussian q(z | x) = N(mu, diag(exp(logvar))) over a flat
latent vector; the decoder maps a sample z back to pixels. Training maximises the ELBO,

    log p(x) >= E_q[log p(x | z)] - KL(q(z | x) || N(0, I)),

here as a loss in nats per image: a Gaussian reconstruction term with fixed ``sigma`` plus
``beta`` times the KL (beta = 1 is the ELBO; other values are the beta-VAE of Higgins et al.
2017). The CVAE gives both encoder and decoder a condition vector c, and samples
p(x | c) by decoding z ~ N(0, I) together with c.
"""
from __future__ import annotations

import torch
from torch import nn

from ..checks import check_choice, check_fits_module, check_image_batch, check_number, check_pixel_range, \
    check_positive_int, check_tensor
from ..data.world import COLOURS, SHAPES, SIZES
from .autoencoder import conv_block

# a one-object scene as the CVAE's condition: one-hot colour, shape, size and grid cell (row * 3 + col)
CONDITION_DIM = len(COLOURS) + len(SHAPES) + len(SIZES) + 9


def scene_condition(world, idx=None) -> torch.Tensor:
    """The first object of each scene of ``world`` (a ShapesWorld) as a (n, CONDITION_DIM) one-hot condition."""
    s = world.scenes
    idx = range(len(world)) if idx is None else idx
    return torch.stack([attribute_condition(COLOURS[s["colour"][i, 0]], SHAPES[s["shape"][i, 0]],
                                            SIZES[s["size"][i, 0]], (int(s["row"][i, 0]), int(s["col"][i, 0])))
                        for i in idx])


def attribute_condition(colour: str, shape: str, size: str = "large", position=(1, 1)) -> torch.Tensor:
    """The CVAE's condition for one object, e.g. ``attribute_condition("red", "triangle")``: a CONDITION_DIM vector."""
    check_choice(colour, COLOURS, "colour")
    check_choice(shape, SHAPES, "shape")
    check_choice(size, SIZES, "size")
    if not (isinstance(position, tuple) and len(position) == 2 and all(p in (0, 1, 2) for p in position)):
        raise ValueError(f"position must be a (row, col) tuple with entries in 0..2, got {position!r}")
    c = torch.zeros(CONDITION_DIM)
    offsets = (COLOURS.index(colour), len(COLOURS) + SHAPES.index(shape),
               len(COLOURS) + len(SHAPES) + SIZES.index(size), CONDITION_DIM - 9 + 3 * position[0] + position[1])
    c[list(offsets)] = 1.0
    return c


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """z = mu + sigma * eps with eps ~ N(0, I): the randomness moves into eps, so gradients reach mu and logvar."""
    if mu.shape != logvar.shape:
        raise ValueError(f"mu and logvar must have the same shape, got {tuple(mu.shape)} and {tuple(logvar.shape)}")
    eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
    return mu + torch.exp(0.5 * logvar) * eps


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(exp(logvar))) || N(0, I)) in nats, one value per row (summed over the latent)."""
    check_tensor(mu, "mu", dims=2, kind="float")
    if mu.shape != logvar.shape:
        raise ValueError(f"mu and logvar must have the same shape, got {tuple(mu.shape)} and {tuple(logvar.shape)}")
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)


def gaussian_nll(x_hat: torch.Tensor, x: torch.Tensor, sigma: float = 0.1) -> torch.Tensor:
    """-log N(x; x_hat, sigma^2 I) in nats per image, without its constant D log(sigma sqrt(2 pi)):
    the squared error over 2 sigma^2. The constant moves no gradient, and left out, a perfect
    reconstruction scores 0."""
    if x_hat.shape != x.shape:
        raise ValueError(f"x_hat and x must have the same shape, got {tuple(x_hat.shape)} and {tuple(x.shape)}")
    return (x_hat - x).pow(2).flatten(1).sum(1) / (2 * sigma ** 2)


def vae_loss(x_hat: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, beta: float = 1.0,
             sigma: float = 0.1) -> dict:
    """The negative ELBO (beta = 1) or the beta-VAE objective, averaged over the batch, in nats per image.

    Returns ``{"loss", "nll", "kl"}``; ``loss = nll + beta * kl``.
    """
    check_number(beta, "beta", low=0)
    check_number(sigma, "sigma", low=0, low_open=True)
    nll, kl = gaussian_nll(x_hat, x, sigma).mean(), gaussian_kl(mu, logvar).mean()
    return {"loss": nll + beta * kl, "nll": nll, "kl": kl}


def active_units(mu: torch.Tensor, threshold: float = 0.01) -> torch.Tensor:
    """Which latent dimensions the encoder uses: Var over images of E[z_j | x] above ``threshold``
    (Burda et al. 2016). ``mu`` is (images, latent_dim); returns a bool mask over the latent."""
    check_tensor(mu, "mu", dims=2, kind="float")
    if len(mu) < 2:
        raise ValueError(f"active_units needs at least 2 images to measure a variance, got {len(mu)}")
    return mu.var(0) > threshold


class VAE(nn.Module):
    """Conv encoder -> (mu, logvar) over a ``latent_dim`` vector; linear + transposed convs back to pixels.

    With ``cond_dim > 0`` it is a CVAE: the condition is appended to the encoder's flattened
    features and to z before the decoder. The decoder ends in a sigmoid, so samples are images.
    """

    def __init__(self, latent_dim: int = 16, width: int = 16, cond_dim: int = 0, image_size: int = 32,
                 downsamples: int = 3):
        super().__init__()
        for name, v in (("latent_dim", latent_dim), ("width", width), ("image_size", image_size),
                        ("downsamples", downsamples)):
            check_positive_int(v, name)
        if cond_dim != 0:
            check_positive_int(cond_dim, "cond_dim")
        if image_size % 2 ** downsamples:
            raise ValueError(f"image_size must be divisible by 2**downsamples = {2 ** downsamples}, got {image_size}")
        self.latent_dim, self.cond_dim, self.image_size = latent_dim, cond_dim, image_size
        # every layer changes the resolution: no full-size convolution, so a step costs a third of chapter 2's
        self.side, ch = image_size // 2 ** downsamples, width * 2 ** (downsamples - 1)
        enc, c = [conv_block(3, width, kernel=4, stride=2)], width
        for _ in range(downsamples - 1):
            enc.append(conv_block(c, 2 * c, kernel=4, stride=2))
            c *= 2
        self.encoder = nn.Sequential(*enc, nn.Flatten())
        flat = ch * self.side ** 2
        self.to_stats = nn.Linear(flat + cond_dim, 2 * latent_dim)      # mu and logvar
        self.from_latent = nn.Sequential(nn.Linear(latent_dim + cond_dim, flat), nn.SiLU())
        dec = []
        for _ in range(downsamples - 1):
            dec.append(conv_block(c, c // 2, kernel=4, stride=2, transpose=True))
            c //= 2
        self.decoder = nn.Sequential(*dec, nn.ConvTranspose2d(c, 3, 4, 2, padding=1), nn.Sigmoid())
        self._ch = ch

    def _check_cond(self, c, n: int):
        if self.cond_dim == 0:
            if c is not None:
                raise ValueError("this VAE has cond_dim=0, so it takes no condition; build it with cond_dim > 0 "
                                 "for a CVAE")
            return None
        if c is None:
            raise ValueError(f"this CVAE needs a condition c of shape (batch, {self.cond_dim}), got None")
        check_tensor(c, "c", dims=2, kind="float")
        if c.shape != (n, self.cond_dim):
            raise ValueError(f"c must have shape ({n}, {self.cond_dim}), got {tuple(c.shape)}")
        return c

    def encode(self, x: torch.Tensor, c: torch.Tensor | None = None):
        """(mu, logvar) of q(z | x, c), each (batch, latent_dim)."""
        check_image_batch(x, 3)
        if x.shape[-1] != self.image_size or x.shape[-2] != self.image_size:
            raise ValueError(f"images must be {self.image_size}x{self.image_size}, got {tuple(x.shape[-2:])}")
        check_fits_module(x, self, "images")
        check_pixel_range(x)
        c = self._check_cond(c, len(x))
        h = self.encoder(x)
        stats = self.to_stats(h if c is None else torch.cat([h, c], 1))
        return stats.chunk(2, dim=1)

    def decode(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        """Images in [0, 1] from latents z (batch, latent_dim) and, for a CVAE, conditions c."""
        check_tensor(z, "z", dims=2, kind="float")
        if z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have {self.latent_dim} columns (latent_dim), got {z.shape[1]}")
        c = self._check_cond(c, len(z))
        h = self.from_latent(z if c is None else torch.cat([z, c], 1))
        return self.decoder(h.view(len(z), self._ch, self.side, self.side))

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None, generator: torch.Generator | None = None):
        """Returns ``(x_hat, mu, logvar)``; x_hat decodes one sample z ~ q(z | x, c)."""
        mu, logvar = self.encode(x, c)
        return self.decode(reparameterize(mu, logvar, generator), c), mu, logvar

    @torch.no_grad()
    def sample(self, n: int, c: torch.Tensor | None = None, generator: torch.Generator | None = None):
        """``n`` new images: z ~ N(0, I) (the prior), decoded with the condition c for a CVAE."""
        check_positive_int(n, "n")
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent_dim, generator=generator, device=device)
        return self.decode(z, None if c is None else c.to(device))
