r"""The VQ-VAE: a discrete bottleneck, the straight-through gradient and priors over codes.

The vector-quantised VAE (van den Oord, Vinyals & Kavukcuoglu, 2017, "Neural discrete
representation learning") replaces the Gaussian latent of a VAE by a **discrete
bottleneck**. The encoder maps an image :math:`x` to :math:`m` vectors
:math:`z_e^{(1)}, \dots, z_e^{(m)} \in \mathbb R^d`; a **codebook** of :math:`K` vectors
:math:`e_1, \dots, e_K \in \mathbb R^d`, learned with the networks, replaces each by its
nearest neighbour,

.. math::

    k_j = \operatorname*{arg\,min}_{k} \lVert z_e^{(j)} - e_k \rVert^2, \qquad
    z_q^{(j)} = e_{k_j} \qquad (j = 1, \dots, m;\ \text{ties to the smallest } k),

and the decoder sees only the quantised vectors :math:`z_q`, so everything it knows about
the image is the **code** :math:`(k_1, \dots, k_m)`: :math:`m` integers in
:math:`0, \dots, K-1`, that is :math:`m \log_2 K` bits (:attr:`VQVAE.bits`; 40 bits with
the defaults :math:`m = 8`, :math:`K = 32`, for an image of 784 grey levels).

**The arg min has no gradient.** :math:`z_q` is a piecewise constant function of
:math:`z_e`: its derivative is 0 almost everywhere (and undefined on the boundaries between
the codes' cells), so back-propagation through it would give the encoder no signal. The
**straight-through** estimator copies the decoder's gradient from :math:`z_q` to
:math:`z_e` unchanged. With :math:`\operatorname{sg}` the stop-gradient (identity forward,
zero derivative; ``.detach()``),

.. math::

    z_q^{\text{st}} = z_e + \operatorname{sg}[e - z_e]:

its value is :math:`e` (the forward pass decodes the code), its Jacobian with respect to
:math:`z_e` is the identity, so :math:`\partial L / \partial z_e = \partial L / \partial
z_q`: the encoder is trained as if the quantiser were not there.

**The codebook needs its own loss.** Straight-through sends the reconstruction's gradient to
:math:`z_e`, none of it to the codebook. The **codebook loss**
:math:`\lVert \operatorname{sg}[z_e] - e \rVert^2` pulls each chosen code towards the encoder
outputs assigned to it (an online k-means step), and the **commitment loss**
:math:`\beta \lVert z_e - \operatorname{sg}[e] \rVert^2` pulls the encoder outputs towards
their codes: the decoder sees only the codes, so nothing else ties :math:`z_e` to the
codebook, and (as the paper notes) the encoder's outputs can grow without bound if the codes
do not train as fast as the encoder. The loss of one image is

.. math::

    L(x) = -\log p(x \mid z_q) + \lVert \operatorname{sg}[z_e] - e \rVert^2
      + \beta \lVert z_e - \operatorname{sg}[e] \rVert^2,

the squared norms summed over the :math:`m d` numbers, averaged over the images of a batch
(the paper's :math:`\beta = 0.25`). The decoder is a Bernoulli decoder: the first term is
the per-image sum over pixels of ``genlab.vae.bernoulli_nll``. With :math:`n` images in the
batch, the gradients are

.. math::

    \frac{\partial L}{\partial z_e^{(i, j)}} = \frac{\partial L_{\text{rec}}}{\partial
      z_q^{(i, j)}} + \frac{2 \beta}{n} \bigl(z_e^{(i, j)} - e_{k_{ij}}\bigr), \qquad
    \frac{\partial L}{\partial e_k} = \frac{2}{n} \sum_{(i, j):\ k_{ij} = k}
      \bigl(e_k - z_e^{(i, j)}\bigr).

(Two terms of equal value but different gradients: the reported ``"codebook"`` and
``"commitment"`` losses are the same number.)

**The weight of the commitment depends on the scale of the reconstruction term.** For one
vector whose code stays put and whose decoder gradient :math:`g = \partial L_{\text{rec}} /
\partial z_q` stays constant, gradient descent on :math:`z_e` comes to rest where :math:`g +
2 \beta (z_e - e) = 0`, a distance :math:`\lVert g \rVert / (2 \beta)` from the code. The
paper's :math:`\beta = 0.25` (it reports results unchanged from 0.1 to 2.0) goes with losses
of a moderate size; widely used implementations average both terms over their elements (the
reconstruction over the pixels, the VQ terms over the latent numbers). Here the
reconstruction term is a per-image *sum* of 784 Bernoulli terms, against VQ terms summed over
:math:`m d = 64` numbers, so its gradient is large next to the commitment's brake. Adam
moves each code by at most about the learning rate per step, while an encoder output, a sum
over the hidden units, moves much faster. Codes initialised near 0 (uniformly on
:math:`(-1/K, 1/K)`, as in widely used PyTorch implementations) cannot follow: the encoder's
outputs run away from the codebook, most codes are never chosen, and the restarts (below) then put
codes on the runaway outputs. Two remedies, used together in the chapter: a larger
:math:`\beta` (2 there), and a **data-dependent initialisation** of the codebook
(:func:`initialise_codebook`, the Forgy initialisation of k-means): the codes start on encoder
outputs of randomly chosen training vectors, where the encoder's outputs are, so every code
is some vector's nearest and quantisation means something from the first step.

**Dead codes.** A code that is no encoder output's nearest gets no gradient from any term
(the codebook loss touches the chosen codes only), so it never moves and is never chosen:
capacity wasted. The standard fix (random restarts, as in Dhariwal et al., 2020, "Jukebox")
moves each dead code onto the encoder output of a randomly chosen training vector
(:func:`restart_dead_codes`, after every epoch of :func:`train_vqvae`). How many codes are
in use is measured by the **perplexity** of the code frequencies :math:`p_k`,
:math:`\exp\bigl(-\sum_k p_k \log p_k\bigr)`, the *effective number of codes used*: 1 when
one code takes everything, :math:`K` when all are used equally (:func:`codebook_usage`).

**A VQ-VAE is not yet a generative model.** Read as a VAE, its posterior is a point mass on
one code and its prior uniform over the :math:`K^m` codes: the KL term is the constant
:math:`m \log K`, which is why training ignores it. But the codes of real images are far
from uniform, and uniformly drawn codes are combinations that images rarely use; a **prior
over codes**, fitted after training to the codes of the training images, makes the model
generative: draw a code from the prior, decode it. The paper fits a PixelCNN over its grid of
codes; here the codes are a short sequence, and two priors are compared by their held-out
negative log-likelihood in bits per code (uniform: :math:`\log_2 K`):
:class:`CategoricalCodePrior`, independent positions, and :class:`AutoregressiveCodePrior`,
:math:`p(c_1) \prod_{j > 1} p(c_j \mid c_{<j})`, which also captures how the positions
depend on each other.

Import it explicitly (``from genlab import vqvae``): it loads PyTorch.

Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

try:
    import torch
except ModuleNotFoundError as exc:  # torch is genlab's "deep" extra
    from genlab._optional import torch_missing

    raise torch_missing(__name__) from exc
import torch.nn.functional as F
from numpy.typing import ArrayLike
from torch import Tensor, nn
from tqdm.auto import tqdm

from genlab._training import check_rate, check_size, fit_by_likelihood
from genlab._validation import check_bool, check_is_fitted, check_output_size

__all__ = [
    "VQVAE",
    "AutoregressiveCodePrior",
    "CategoricalCodePrior",
    "VectorQuantizer",
    "codebook_usage",
    "initialise_codebook",
    "restart_dead_codes",
    "train_code_prior",
    "train_vqvae",
]

#: The nearest-code search handles the vectors in chunks whose differences to the codebook
#: take at most about this many bytes: small enough for a processor's L2 cache (on 64,000
#: vectors, 512 KiB chunks were 4 times faster than one chunk of 64 MiB).
_CHUNK_BYTES = 2**19


# --------------------------------------------------------------------- checks
def _check_seed(seed: object) -> int:
    value = check_size(seed, "seed", 0)
    if value >= 2**63:
        raise ValueError(f"seed must be below 2**63; got {value}")
    return value


def _check_generator(generator: object) -> torch.Generator:
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator; got {type(generator).__name__}")
    return generator


def _as_tensor(x: object, name: str, what: str) -> Tensor:
    """``x`` as a tensor of real numbers or booleans (refused later), or a ValueError."""
    if isinstance(x, Tensor):
        return x
    try:
        raw = np.asarray(x)
    except (TypeError, ValueError) as exc:  # ragged nested lists
        raise ValueError(f"{name} must be a numeric array of {what}: {exc}") from None
    if raw.dtype.kind not in "biufc":
        raise ValueError(f"{name} must hold {what}; got dtype {raw.dtype}")
    return torch.as_tensor(raw)


def _as_codes(indices: object, name: str, n_codes: int, n_positions: int | None = None) -> Tensor:
    """Codes ``0 .. n_codes - 1`` as a LongTensor (on the input's device), or a ValueError.

    With ``n_positions``, the shape must be (n, n_positions); otherwise any shape. Integers
    stored as finite floats (``1.0``) are accepted; booleans, complex numbers, fractions,
    NaN, infinity, codes out of range and empty input are refused by name.
    """
    what = f"integer codes 0..{n_codes - 1}"
    t = _as_tensor(indices, name, what)
    if t.dtype == torch.bool or t.dtype.is_complex:
        raise ValueError(f"{name} must hold {what}; got dtype {t.dtype}")
    if n_positions is not None and (t.dim() != 2 or t.shape[1] != n_positions):
        raise ValueError(f"{name} must have shape (n, {n_positions}); got {tuple(t.shape)}")
    if t.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(t.shape)}); it needs at least one code")
    t = t.detach()
    if t.dtype.is_floating_point and not (
        bool(torch.isfinite(t).all()) and bool(torch.all(t == t.round()))
    ):
        raise ValueError(f"{name} must hold {what}; got dtype {t.dtype} with non-integer values")
    t = t.long()
    bad = (t < 0) | (t >= n_codes)
    if bool(bad.any()):
        where = tuple(int(v) for v in torch.nonzero(bad)[0])
        place = f"{name}[{', '.join(map(str, where))}]" if where else name
        raise ValueError(f"{name} must hold {what}; {place} is {int(t[where])}")
    return t


def _check_finite_weights(model: nn.Module, name: str) -> None:
    for key, p in model.named_parameters():
        if not bool(torch.isfinite(p).all()):
            raise ValueError(
                f"{name}'s weights {key} hold NaN or infinity (a diverged earlier run?); "
                "build the model again"
            )


def _bernoulli_nll(logits: Tensor, x: Tensor) -> Tensor:
    """``genlab.vae.bernoulli_nll`` without its checks: summed over pixels, per image."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1)


# ------------------------------------------------------------------ quantiser
class VectorQuantizer(nn.Module):
    r"""A codebook of :math:`K` vectors in :math:`\mathbb R^d` and the nearest-code map.

    The codebook is an ``nn.Parameter`` of shape (K, d), initialised uniformly on
    :math:`(-1/K, 1/K)` as in widely used PyTorch implementations (from PyTorch's global generator:
    call ``torch.manual_seed`` first for reproducible weights).

    Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

    Parameters
    ----------
    n_codes : int
        :math:`K`, at least 1.
    code_dim : int
        :math:`d`, at least 1.
    """

    def __init__(self, n_codes: int, code_dim: int) -> None:
        super().__init__()
        K = check_size(n_codes, "n_codes", 1)
        d = check_size(code_dim, "code_dim", 1)
        check_output_size((K, d), name="VectorQuantizer's sizes", itemsize=4, what="its codebook")
        self.n_codes, self.code_dim = K, d
        self.codebook = nn.Parameter(torch.empty(K, d).uniform_(-1.0 / K, 1.0 / K))

    def _check_vectors(self, z_e: object, *, batched: bool) -> Tensor:
        """A finite, non-empty tensor of the codebook's dtype and device, (..., d) or (n, m, d)."""
        w = self.codebook
        if not isinstance(z_e, Tensor):
            raise ValueError(f"z_e must be a torch.Tensor; got {type(z_e).__name__}")
        if z_e.dtype != w.dtype or z_e.device != w.device:
            raise ValueError(
                f"z_e must have the codebook's dtype {w.dtype} on {w.device}; got {z_e.dtype} "
                f"on {z_e.device} (convert it with z_e.to(...))"
            )
        wanted = f"(n, m, {self.code_dim})" if batched else f"(..., {self.code_dim})"
        ok = z_e.dim() == 3 if batched else z_e.dim() >= 1
        if not ok or z_e.shape[-1] != self.code_dim:
            raise ValueError(f"z_e must have shape {wanted}; got {tuple(z_e.shape)}")
        if z_e.numel() == 0:
            raise ValueError(f"z_e is empty (shape {tuple(z_e.shape)}); it needs a vector")
        if not bool(torch.isfinite(z_e).all()):
            raise ValueError("z_e contains NaN or infinity")
        return z_e

    def nearest(self, z_e: Tensor) -> Tensor:
        r"""The index of each vector's nearest code: :math:`\arg\min_k \lVert z - e_k \rVert^2`.

        Squared Euclidean distances, computed as differences (so that equal distances are
        equal numbers); ties go to the smallest index.

        Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

        Parameters
        ----------
        z_e : Tensor of shape (..., code_dim)
            Finite, of the codebook's dtype and device, at least one vector.

        Returns
        -------
        LongTensor of shape (...)
            Indices in ``0 .. n_codes - 1``.
        """
        return self._nearest(self._check_vectors(z_e, batched=False))

    @torch.no_grad()
    def _nearest(self, z_e: Tensor) -> Tensor:
        """:meth:`nearest` without the checks (and without gradients)."""
        flat = z_e.reshape(-1, self.code_dim)
        rows = max(1, _CHUNK_BYTES // (self.n_codes * self.code_dim * flat.element_size()))
        parts = []
        for start in range(0, flat.shape[0], rows):
            diff = flat[start : start + rows, None, :] - self.codebook  # (rows, K, d)
            distances = (diff**2).sum(dim=-1)  # ||z - e_k||^2
            parts.append(torch.argmin(distances, dim=-1))  # the first minimum: smallest k
        return torch.cat(parts).reshape(z_e.shape[:-1])

    def forward(self, z_e: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        r"""Quantise a batch: the straight-through vectors, the codes and the two VQ losses.

        With :math:`e` the nearest codes: :math:`z_q^{\text{st}} = z_e +
        \operatorname{sg}[e - z_e]` (value :math:`e`, gradient passed to :math:`z_e`
        unchanged); the codebook loss :math:`\lVert \operatorname{sg}[z_e] - e \rVert^2`
        (its gradient reaches the codebook only) and the commitment loss
        :math:`\lVert z_e - \operatorname{sg}[e] \rVert^2` (its gradient reaches
        :math:`z_e` only, unweighted: :class:`VQVAE` multiplies it by :math:`\beta`), each
        summed over an image's :math:`m d` numbers and averaged over the images.

        Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

        Parameters
        ----------
        z_e : Tensor of shape (n, m, code_dim)
            The encoder's outputs: :math:`m` vectors for each of :math:`n \ge 1` images;
            finite, of the codebook's dtype and device.

        Returns
        -------
        z_q_st : Tensor of shape (n, m, code_dim)
        indices : LongTensor of shape (n, m)
        codebook_loss, commitment_loss : Tensor of shape ()
        """
        return self._quantize(self._check_vectors(z_e, batched=True))

    def _quantize(self, z_e: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """:meth:`forward` without the checks."""
        indices = self._nearest(z_e)  # k = argmin_k ||z_e - e_k||^2
        e = self.codebook[indices]  # (n, m, d): the nearest codes
        codebook_loss = ((z_e.detach() - e) ** 2).sum(dim=(1, 2)).mean()  # ||sg[z_e] - e||^2
        commitment_loss = ((z_e - e.detach()) ** 2).sum(dim=(1, 2)).mean()  # ||z_e - sg[e]||^2
        z_q_st = z_e + (e - z_e).detach()  # straight-through: the value of e, the gradient of z_e
        return z_q_st, indices, codebook_loss, commitment_loss


# ---------------------------------------------------------------------- model
class VQVAE(nn.Module):
    r"""A VQ-VAE with MLPs on flattened images and a Bernoulli decoder.

    Encoder: ``Linear(input_dim, hidden_dim)``, a ReLU and ``Linear(hidden_dim, m * d)``,
    read as :math:`m` vectors :math:`z_e` of dimension :math:`d`; each is replaced by its
    nearest of the :math:`K` codes (:class:`VectorQuantizer`); decoder: the :math:`m d`
    quantised numbers through ``Linear(m * d, hidden_dim)``, a ReLU and
    ``Linear(hidden_dim, input_dim)``, giving one Bernoulli logit per pixel. Images are
    pixel intensities in :math:`[0, 1]` (a tensor or array_like, converted to the model's
    dtype); the model computes in float32, or in float64 after ``.double()``.

    Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

    Parameters
    ----------
    input_dim : int, default 784
        The number of pixels, at least 1.
    hidden_dim : int, default 256
        The width of the encoder's and the decoder's hidden layer, at least 1.
    n_positions : int, default 8
        :math:`m`, the number of codes per image, at least 1.
    code_dim : int, default 8
        :math:`d`, the dimension of a code vector, at least 1.
    n_codes : int, default 32
        :math:`K`, the size of the codebook, at least 1.
    beta : float, default 0.25
        The weight of the commitment loss, finite and >= 0.

    Examples
    --------
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> model = VQVAE(input_dim=6, hidden_dim=8, n_positions=2, code_dim=3, n_codes=4)
    >>> x = torch.rand(5, 6)
    >>> model.quantize(x).shape, model(x)["logits"].shape, model.bits
    (torch.Size([5, 2]), torch.Size([5, 6]), 4.0)
    """

    def __init__(
        self,
        input_dim: int = 784,
        hidden_dim: int = 256,
        n_positions: int = 8,
        code_dim: int = 8,
        n_codes: int = 32,
        beta: float = 0.25,
    ) -> None:
        super().__init__()
        D = check_size(input_dim, "input_dim", 1)
        H = check_size(hidden_dim, "hidden_dim", 1)
        m = check_size(n_positions, "n_positions", 1)
        d = check_size(code_dim, "code_dim", 1)
        K = check_size(n_codes, "n_codes", 1)
        n_weights = (D + 1) * H + (H + 1) * m * d + (m * d + 1) * H + (H + 1) * D + K * d
        check_output_size((n_weights,), name="VQVAE's sizes", itemsize=4, what="the weights")
        self.beta = check_rate(beta, "beta", positive=False)
        self.input_dim, self.hidden_dim, self.n_positions = D, H, m
        self.code_dim, self.n_codes = d, K
        self.encoder = nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, m * d))
        self.quantizer = VectorQuantizer(K, d)
        self.decoder = nn.Sequential(nn.Linear(m * d, H), nn.ReLU(), nn.Linear(H, D))

    # ----------------------------------------------------------------- checks
    @property
    def _weight(self) -> Tensor:
        """A weight of the model: its dtype and device are the model's."""
        return self.quantizer.codebook

    def _check_images(self, x: object, name: str = "x") -> Tensor:
        """Images in [0, 1] of shape (n >= 1, input_dim), in the model's dtype and device."""
        t = _as_tensor(x, name, "pixel intensities in [0, 1]")
        if t.dtype == torch.bool or t.dtype.is_complex:
            raise ValueError(f"{name} must hold pixel intensities in [0, 1]; got dtype {t.dtype}")
        if t.dim() != 2 or t.shape[1] != self.input_dim:
            raise ValueError(
                f"{name} must have shape (n_images, {self.input_dim}); got {tuple(t.shape)}"
            )
        if t.shape[0] == 0:
            raise ValueError(f"{name} is empty; it needs at least one image")
        if not bool(torch.isfinite(t).all()):
            raise ValueError(f"{name} contains NaN or infinity")
        lo, hi = float(t.min()), float(t.max())
        if lo < 0 or hi > 1:
            raise ValueError(
                f"{name} must lie in [0, 1] (Bernoulli pixels); its values range from {lo:g} "
                f"to {hi:g}: rescale it first (divide 8-bit images by 255)"
            )
        return t.to(device=self._weight.device, dtype=self._weight.dtype)

    def _check_codes(self, indices: object, name: str = "indices") -> Tensor:
        codes = _as_codes(indices, name, self.n_codes, self.n_positions)
        return codes.to(self._weight.device)

    # ----------------------------------------------------------------- model
    def encode(self, x: Tensor | ArrayLike) -> Tensor:
        r"""The encoder's outputs :math:`z_e`: :math:`m` vectors of dimension :math:`d` per image.

        Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

        Parameters
        ----------
        x : Tensor or array_like of shape (n, input_dim)
            Pixel intensities in [0, 1], at least one image.

        Returns
        -------
        Tensor of shape (n, n_positions, code_dim)
        """
        return self._encode(self._check_images(x))

    def _encode(self, x: Tensor) -> Tensor:
        z_e: Tensor = self.encoder(x)
        return z_e.reshape(x.shape[0], self.n_positions, self.code_dim)

    def quantize(self, x: Tensor | ArrayLike) -> Tensor:
        r"""The code of each image: the index of the nearest code of each of its :math:`m` vectors.

        Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

        Parameters
        ----------
        x : Tensor or array_like of shape (n, input_dim)
            Pixel intensities in [0, 1], at least one image.

        Returns
        -------
        LongTensor of shape (n, n_positions)
            Codes in ``0 .. n_codes - 1``.
        """
        x = self._check_images(x)
        with torch.no_grad():
            return self.quantizer._nearest(self._encode(x))

    def decode(self, indices: Tensor | ArrayLike) -> Tensor:
        r"""The decoder's Bernoulli logits for given codes, looked up in the codebook.

        Differentiable in the codebook and the decoder's weights.

        Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

        Parameters
        ----------
        indices : LongTensor or array_like of shape (n, n_positions)
            Integer codes in ``0 .. n_codes - 1``, at least one row.

        Returns
        -------
        Tensor of shape (n, input_dim)
            Logits: the pixels' probabilities are their sigmoids.
        """
        codes = self._check_codes(indices)
        z_q = self.quantizer.codebook[codes]  # (n, m, d)
        logits: Tensor = self.decoder(z_q.flatten(1))
        return logits

    def forward(self, x: Tensor | ArrayLike) -> dict[str, Tensor]:
        r"""The training loss of a batch and its parts.

        :math:`-\log p(x \mid z_q)` (the Bernoulli NLL summed over pixels) +
        :math:`\lVert \operatorname{sg}[z_e] - e \rVert^2 + \beta \lVert z_e -
        \operatorname{sg}[e] \rVert^2`, each averaged over the images; the decoder reads
        the straight-through vectors, so the reconstruction's gradient reaches the encoder.

        Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

        Parameters
        ----------
        x : Tensor or array_like of shape (n, input_dim)
            Pixel intensities in [0, 1], at least one image.

        Returns
        -------
        dict of Tensor
            ``"logits"`` (n, input_dim); ``"indices"`` (n, n_positions), a LongTensor;
            and scalars (shape ()): ``"reconstruction"`` (the mean per-image Bernoulli NLL,
            nats), ``"codebook"`` and ``"commitment"`` (the two VQ losses, equal in value)
            and ``"loss"`` = reconstruction + codebook + beta * commitment.
        """
        return self._forward(self._check_images(x))

    def _forward(self, x: Tensor) -> dict[str, Tensor]:
        """:meth:`forward` without the checks (the training loop's)."""
        z_e = self._encode(x)
        z_q_st, indices, codebook, commitment = self.quantizer._quantize(z_e)
        logits = self.decoder(z_q_st.flatten(1))
        reconstruction = _bernoulli_nll(logits, x).mean()  # -log p(x | z_q), per image
        loss = reconstruction + codebook + self.beta * commitment
        return {
            "logits": logits,
            "indices": indices,
            "reconstruction": reconstruction,
            "codebook": codebook,
            "commitment": commitment,
            "loss": loss,
        }

    @torch.no_grad()
    def reconstruct(self, x: Tensor | ArrayLike) -> Tensor:
        r"""The reconstructions :math:`\operatorname{sigmoid}(\text{decode}(\text{quantize}(x)))`.

        Without gradients.

        Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

        Parameters
        ----------
        x : Tensor or array_like of shape (n, input_dim)
            Pixel intensities in [0, 1], at least one image.

        Returns
        -------
        Tensor of shape (n, input_dim)
            Pixel probabilities in (0, 1).
        """
        return torch.sigmoid(self.decode(self.quantize(x)))

    @property
    def bits(self) -> float:
        r"""float: The size of a code in bits, :math:`m \log_2 K`.

        Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".
        """
        return self.n_positions * math.log2(self.n_codes)


# --------------------------------------------------------------- codebook use
def _usage(codes: Tensor, n_codes: int) -> dict[str, Any]:
    """:func:`codebook_usage` without the checks."""
    counts = torch.bincount(codes.flatten().cpu(), minlength=n_codes).numpy().astype(np.int64)
    p = counts[counts > 0] / counts.sum()  # the frequencies of the codes in use (0 log 0 = 0)
    entropy = float(-np.sum(p * np.log(p)))
    dead = [int(k) for k in np.flatnonzero(counts == 0)]
    return {
        "counts": counts,
        "perplexity": math.exp(entropy),
        "dead": dead,
        "used": n_codes - len(dead),
    }


def codebook_usage(indices: Tensor | ArrayLike, n_codes: int) -> dict[str, Any]:
    r"""How the codes are used: their counts, the perplexity and the dead codes.

    The perplexity is :math:`\exp(H)` with :math:`H = -\sum_k p_k \log p_k` the entropy (in
    nats, :math:`0 \log 0 = 0`) of the codes' frequencies :math:`p_k`: the *effective
    number of codes used*, 1 when a single code takes everything and :math:`K` when all are
    used equally often.

    Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

    Parameters
    ----------
    indices : LongTensor or array_like, any shape
        Integer codes in ``0 .. n_codes - 1`` (for example :meth:`VQVAE.quantize`'s
        output), at least one.
    n_codes : int
        :math:`K`, at least 1.

    Returns
    -------
    dict
        ``"counts"``: ndarray of int64, shape (n_codes,), how often each code occurs;
        ``"perplexity"``: float in [1, n_codes]; ``"dead"``: list of the unused codes, in
        increasing order; ``"used"``: int, the number of codes that occur.
    """
    K = check_size(n_codes, "n_codes", 1)
    return _usage(_as_codes(indices, "indices", K), K)


def _place_codes(
    quantizer: VectorQuantizer, which: Tensor, vectors: Tensor, g: torch.Generator
) -> None:
    """Set the codes ``which`` to randomly chosen rows of ``vectors``, of shape (n, d).

    Distinct rows (a random permutation's first ones) while there are at least as many rows
    as codes, so that no two codes coincide; independent uniform draws otherwise.
    """
    if len(which) <= vectors.shape[0]:
        chosen = torch.randperm(vectors.shape[0], generator=g)[: len(which)]
    else:
        chosen = torch.randint(vectors.shape[0], (len(which),), generator=g)
    with torch.no_grad():
        quantizer.codebook[which] = vectors[chosen.to(vectors.device)]


def _restart(quantizer: VectorQuantizer, z_e: Tensor, codes: Tensor, g: torch.Generator) -> int:
    """Move the codes absent from ``codes`` onto randomly chosen rows of ``z_e``."""
    vectors = z_e.detach().reshape(-1, quantizer.code_dim)
    counts = torch.bincount(codes.flatten(), minlength=quantizer.n_codes)
    dead = torch.nonzero(counts == 0).flatten()
    if len(dead) == 0:
        return 0
    _place_codes(quantizer, dead, vectors, g)
    return len(dead)


def _check_model(model: object) -> VQVAE:
    if not isinstance(model, VQVAE):
        raise ValueError(f"model must be a genlab.vqvae.VQVAE; got {type(model).__name__}")
    return model


def initialise_codebook(model: VQVAE, X: Tensor | ArrayLike, generator: torch.Generator) -> None:
    r"""Set the :math:`K` codes to encoder outputs of :math:`K` randomly chosen vectors of ``X``.

    The data-dependent initialisation (the Forgy initialisation of k-means): the images'
    :math:`n m` encoder outputs :math:`z_e` are computed with the model's current encoder,
    and code :math:`k` is set to the :math:`k`-th of them in a random order drawn with
    ``generator``, so that the codes are :math:`K` *distinct* vectors (distinct positions
    of images) while there are at least :math:`K` of them. With fewer vectors than codes
    (:math:`n m < K`) the vectors are drawn independently and uniformly, as
    :func:`restart_dead_codes` does: some codes then coincide, and the nearest-code search
    gives each vector the smallest of equal codes, so the copies stay unused (dead) until
    :func:`train_vqvae`'s restarts move them. The encoder and the decoder are unchanged.
    Call it after building the model (and ``torch.manual_seed``) and before training: the
    codes then lie where the encoder's outputs are, and every distinct one is some vector's
    nearest code from the first step on.

    Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

    Parameters
    ----------
    model : VQVAE
        With finite encoder weights. Its codebook, of shape (n_codes, code_dim), is
        overwritten in place.
    X : Tensor or array_like of shape (n, input_dim)
        Pixel intensities in [0, 1], at least one image (for example the training images):
        their encoder outputs, of shape (n, n_positions, code_dim), are the candidates.
    generator : torch.Generator
        The source of the random choice (a CPU generator).

    Returns
    -------
    None
    """
    model = _check_model(model)
    x = model._check_images(X, "X")
    g = _check_generator(generator)
    _check_finite_weights(model.encoder, "model.encoder")
    with torch.no_grad():
        vectors = model._encode(x).reshape(-1, model.code_dim)  # (n m, d)
    codes = torch.arange(model.n_codes, device=vectors.device)
    _place_codes(model.quantizer, codes, vectors, g)


def restart_dead_codes(model: VQVAE, X: Tensor | ArrayLike, generator: torch.Generator) -> int:
    r"""Move every code that no image of ``X`` uses onto an encoder output of ``X``.

    The images' :math:`n m` encoder outputs :math:`z_e` are quantised; each code that is
    no vector's nearest is set to one of those vectors, chosen at random with
    ``generator``: distinct vectors (a random permutation's first ones) while there are at
    least as many vectors as dead codes, independent uniform draws otherwise. A restarted
    code is then at distance 0 from its vector, and in use again. The codes in use are
    unchanged.

    Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

    Parameters
    ----------
    model : VQVAE
    X : Tensor or array_like of shape (n, input_dim)
        Pixel intensities in [0, 1], at least one image.
    generator : torch.Generator
        The source of the random choices (a CPU generator).

    Returns
    -------
    int
        The number of codes restarted.
    """
    model = _check_model(model)
    x = model._check_images(X, "X")
    g = _check_generator(generator)
    with torch.no_grad():
        z_e = model._encode(x)
        return _restart(model.quantizer, z_e, model.quantizer._nearest(z_e), g)


def train_vqvae(
    model: VQVAE,
    X: Tensor | ArrayLike,
    *,
    epochs: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    restart_dead: bool = True,
    progress: bool = True,
) -> dict[str, list[float]]:
    r"""Train a VQ-VAE with Adam on :meth:`VQVAE.forward`'s loss, reproducibly.

    Each epoch shuffles the images with a generator seeded by ``seed`` and takes one Adam
    step per batch. After each epoch the loss and the weights are checked (a NaN or
    infinity stops training with a ValueError: lower ``lr``); then all of ``X`` is
    quantised to measure the codebook's use and, with ``restart_dead``, the dead codes
    are restarted (:func:`restart_dead_codes`, its random choices from the same
    generator). Two runs with the same seed and initial weights give the same weights.

    Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

    Parameters
    ----------
    model : VQVAE
        With finite weights.
    X : Tensor or array_like of shape (n, input_dim)
        Pixel intensities in [0, 1], at least one image.
    epochs : int
        At least 1.
    batch_size : int, default 128
        At least 1 (the last batch of an epoch may be smaller).
    lr : float, default 1e-3
        Adam's learning rate, finite and > 0.
    seed : int, default 0
        Seeds the shuffling and the restarts, 0 to 2**63 - 1.
    restart_dead : bool, default True
        Restart the dead codes after every epoch.
    progress : bool, default True
        A tqdm bar of the epochs (``TQDM_DISABLE=1`` turns it off).

    Returns
    -------
    dict of lists
        One entry per epoch. ``"loss"``, ``"reconstruction"`` and ``"commitment"``: the
        means over the epoch's batches (weighted by their sizes; the codebook loss equals
        the commitment loss), each computed with the weights before the batch's step;
        ``"perplexity"`` and ``"used_codes"``: the use of the codebook on all of ``X`` at
        the end of the epoch, before the restarts; ``"restarted"``: how many codes were
        restarted (0 without ``restart_dead``).
    """
    if not isinstance(model, VQVAE):
        raise ValueError(f"model must be a genlab.vqvae.VQVAE; got {type(model).__name__}")
    x = model._check_images(X, "X")
    n_epochs = check_size(epochs, "epochs", 1)
    size = check_size(batch_size, "batch_size", 1)
    rate = check_rate(lr, "lr", positive=True)
    g = torch.Generator().manual_seed(_check_seed(seed))
    restart = check_bool(restart_dead, name="restart_dead")
    show = check_bool(progress, name="progress")
    _check_finite_weights(model, "model")
    optimiser = torch.optim.Adam(model.parameters(), lr=rate, fused=True)
    keys = ("loss", "reconstruction", "commitment", "perplexity", "used_codes", "restarted")
    history: dict[str, list[float]] = {key: [] for key in keys}
    n = x.shape[0]
    model.train()
    # Without an explicit ``disable``, tqdm reads TQDM_DISABLE from the environment.
    bar_options: dict[str, Any] = {} if show else {"disable": True}
    for epoch in tqdm(range(n_epochs), desc="VQVAE", unit="epoch", **bar_options):
        order = torch.randperm(n, generator=g).to(x.device)
        totals = torch.zeros(3, dtype=torch.float64)
        for start in range(0, n, size):
            batch = x[order[start : start + size]]
            out = model._forward(batch)
            optimiser.zero_grad()
            out["loss"].backward()  # type: ignore[no-untyped-call]
            optimiser.step()
            parts = torch.stack([out["loss"], out["reconstruction"], out["commitment"]])
            totals += batch.shape[0] * parts.detach().to("cpu", torch.float64)
        means = (totals / n).tolist()
        bad = not all(math.isfinite(v) for v in means) or any(
            not bool(torch.isfinite(p).all()) for p in model.parameters()
        )
        if bad:
            raise ValueError(
                f"training diverged at epoch {epoch + 1}: the loss or the weights are NaN or "
                f"infinite; lower lr (now {lr})"
            )
        with torch.no_grad():
            z_e = model._encode(x)
            codes = model.quantizer._nearest(z_e)
        usage = _usage(codes, model.n_codes)
        restarted = _restart(model.quantizer, z_e, codes, g) if restart else 0
        for key, value in zip(keys[:3], means, strict=True):
            history[key].append(float(value))
        history["perplexity"].append(usage["perplexity"])
        history["used_codes"].append(float(usage["used"]))
        history["restarted"].append(float(restarted))
    model.eval()
    return history


# --------------------------------------------------------------------- priors
class CategoricalCodePrior:
    r"""Independent categorical distributions of the code at each position.

    :math:`p(c) = \prod_{j=1}^{m} \pi_j(c_j)`, fitted by counting with add-:math:`\alpha`
    smoothing: :math:`\pi_j(k) = (N_{jk} + \alpha) / (n + K \alpha)`, where :math:`N_{jk}`
    counts the training codes with :math:`c_j = k` (the posterior mean under a symmetric
    Dirichlet(:math:`\alpha`) prior; :math:`\alpha = 1` is Laplace's rule). Computes in
    float64 on the CPU.

    Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

    Parameters
    ----------
    n_codes : int
        :math:`K`, at least 1.
    n_positions : int
        :math:`m`, at least 1.
    alpha : float, default 1.0
        The pseudo-count, finite and > 0 (so that no code has probability 0).

    Attributes
    ----------
    counts_ : LongTensor of shape (n_positions, n_codes)
        :math:`N_{jk}`, after :meth:`fit`.
    log_probs_ : Tensor of float64, shape (n_positions, n_codes)
        :math:`\log \pi_j(k)`, after :meth:`fit`.
    """

    counts_: Tensor
    log_probs_: Tensor

    def __init__(self, n_codes: int, n_positions: int, alpha: float = 1.0) -> None:
        self.n_codes = check_size(n_codes, "n_codes", 1)
        self.n_positions = check_size(n_positions, "n_positions", 1)
        self.alpha = check_rate(alpha, "alpha", positive=True)

    def _check_codes(self, indices: object, name: str = "indices") -> Tensor:
        return _as_codes(indices, name, self.n_codes, self.n_positions).cpu()

    def fit(self, indices: Tensor | ArrayLike) -> CategoricalCodePrior:
        r"""Count the codes at each position and smooth the counts.

        Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

        Parameters
        ----------
        indices : LongTensor or array_like of shape (n, n_positions)
            Integer codes in ``0 .. n_codes - 1``, at least one row.

        Returns
        -------
        CategoricalCodePrior
            ``self``, fitted.
        """
        codes = self._check_codes(indices)
        counts = F.one_hot(codes, self.n_codes).sum(dim=0)  # N_jk, (m, K)
        n = codes.shape[0]
        probs = (counts.double() + self.alpha) / (n + self.n_codes * self.alpha)
        self.counts_, self.log_probs_ = counts, probs.log()
        return self

    def log_prob(self, indices: Tensor | ArrayLike) -> Tensor:
        r""":math:`\log p(c) = \sum_j \log \pi_j(c_j)`, in nats.

        Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

        Parameters
        ----------
        indices : LongTensor or array_like of shape (n, n_positions)
            Integer codes in ``0 .. n_codes - 1``, at least one row.

        Returns
        -------
        Tensor of float64, shape (n,)
        """
        check_is_fitted(self, ["log_probs_"])
        codes = self._check_codes(indices)
        positions = torch.arange(self.n_positions)
        return self.log_probs_[positions, codes].sum(dim=-1)

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        r"""Draw ``n`` codes, every position independently from :math:`\pi_j`.

        Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

        Parameters
        ----------
        n : int
            At least 1.
        generator : torch.Generator
            A CPU generator, the source of the draws.

        Returns
        -------
        LongTensor of shape (n, n_positions)
        """
        check_is_fitted(self, ["log_probs_"])
        n = check_size(n, "n", 1)
        check_output_size((n, self.n_positions), name="n", what="the codes")
        g = _check_generator(generator)
        draws = torch.multinomial(self.log_probs_.exp(), n, replacement=True, generator=g)
        return draws.T.contiguous()  # (m, n) -> (n, m)


class AutoregressiveCodePrior(nn.Module):
    r"""An autoregressive distribution of codes: :math:`p(c_1) \prod_{j>1} p(c_j \mid c_{<j})`.

    One small MLP gives the logits of every conditional. For position :math:`j` its input
    is the one-hot codes of all positions with those at :math:`j, j+1, \dots, m` zeroed
    (position :math:`j` sees :math:`c_{<j}` only; the first sees nothing), followed by the
    one-hot of :math:`j` (which conditional is asked for): ``Linear(m * K + m, hidden)``,
    a ReLU and ``Linear(hidden, K)``, and a softmax over the :math:`K` codes. Each
    conditional is normalised and depends on the earlier codes only, so the product is a
    normalised distribution over the :math:`K^m` codes and :meth:`log_prob` is exact.
    Sampling takes :math:`m` passes, one per position.

    Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

    Parameters
    ----------
    n_codes : int
        :math:`K`, at least 1.
    n_positions : int
        :math:`m`, at least 1.
    hidden : int, default 128
        The width of the hidden layer, at least 1.
    """

    prefix_mask: Tensor

    def __init__(self, n_codes: int, n_positions: int, hidden: int = 128) -> None:
        super().__init__()
        K = check_size(n_codes, "n_codes", 1)
        m = check_size(n_positions, "n_positions", 1)
        H = check_size(hidden, "hidden", 1)
        n_weights = (m * K + m + 1) * H + (H + 1) * K
        check_output_size(
            (n_weights,), name="AutoregressiveCodePrior's sizes", itemsize=4, what="the weights"
        )
        self.n_codes, self.n_positions, self.hidden = K, m, H
        self.net = nn.Sequential(nn.Linear(m * K + m, H), nn.ReLU(), nn.Linear(H, K))
        # Row j keeps the one-hot blocks of the positions before j: the codes c_<j.
        prefix = torch.zeros(m, m * K)
        for j in range(m):
            prefix[j, : j * K] = 1.0
        self.register_buffer("prefix_mask", prefix)

    @property
    def _weight(self) -> Tensor:
        first = self.net[0]
        assert isinstance(first, nn.Linear)
        return first.weight

    def _check_codes(self, indices: object, name: str = "indices") -> Tensor:
        codes = _as_codes(indices, name, self.n_codes, self.n_positions)
        return codes.to(self._weight.device)

    def _log_conditionals(self, codes: Tensor) -> Tensor:
        r""":math:`\log p(c_j = k \mid c_{<j})` for every position and code: (n, m, K)."""
        w = self._weight
        onehot = F.one_hot(codes, self.n_codes).to(w.dtype).flatten(1)  # (n, m K)
        seen = onehot[:, None, :] * self.prefix_mask  # (n, m, m K): position j sees c_<j
        which = torch.eye(self.n_positions, dtype=w.dtype, device=w.device)  # position j
        inputs = torch.cat([seen, which.expand(codes.shape[0], -1, -1)], dim=-1)
        return torch.log_softmax(self.net(inputs), dim=-1)

    def _log_conditional(self, codes: Tensor, j: int) -> Tensor:
        r""":math:`\log p(c_j = k \mid c_{<j})` for one position ``j`` and every code: (n, K).

        Row ``j`` of :meth:`_log_conditionals` alone: the sampler needs one position per
        pass, and computing all :math:`m` would cost :math:`m` times as much.
        """
        w = self._weight
        onehot = F.one_hot(codes, self.n_codes).to(w.dtype).flatten(1)  # (n, m K)
        seen = onehot * self.prefix_mask[j]  # (n, m K): position j sees c_<j
        which = torch.zeros(self.n_positions, dtype=w.dtype, device=w.device)
        which[j] = 1.0  # position j
        inputs = torch.cat([seen, which.expand(codes.shape[0], -1)], dim=-1)
        return torch.log_softmax(self.net(inputs), dim=-1)

    def log_prob(self, indices: Tensor | ArrayLike) -> Tensor:
        r""":math:`\log p(c) = \sum_j \log p(c_j \mid c_{<j})`, in nats.

        Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

        Parameters
        ----------
        indices : LongTensor or array_like of shape (n, n_positions)
            Integer codes in ``0 .. n_codes - 1``, at least one row.

        Returns
        -------
        Tensor of shape (n,)
            In the model's dtype; differentiable in its weights.
        """
        return self._log_prob(self._check_codes(indices))

    def _log_prob(self, codes: Tensor) -> Tensor:
        log_conditionals = self._log_conditionals(codes)  # (n, m, K)
        return log_conditionals.gather(-1, codes[..., None]).squeeze(-1).sum(dim=-1)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        r"""Draw ``n`` codes, position by position: :math:`c_j \sim p(c_j \mid c_{<j})`.

        Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

        Parameters
        ----------
        n : int
            At least 1.
        generator : torch.Generator
            The source of the draws; they are made on its device.

        Returns
        -------
        LongTensor of shape (n, n_positions)
            On the model's device.
        """
        n = check_size(n, "n", 1)
        m, K = self.n_positions, self.n_codes
        check_output_size((n, m * K + m), name="n", what="the prior's inputs")
        g = _check_generator(generator)
        codes = torch.zeros((n, m), dtype=torch.long, device=self._weight.device)
        for j in range(m):  # position j's conditional ignores the (still 0) codes from j on
            probs = self._log_conditional(codes, j).exp().to(g.device)
            codes[:, j] = torch.multinomial(probs, 1, generator=g)[:, 0].to(codes.device)
        return codes


def train_code_prior(
    prior: AutoregressiveCodePrior,
    indices: Tensor | ArrayLike,
    *,
    epochs: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    indices_val: Tensor | ArrayLike | None = None,
    patience: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Fit an AutoregressiveCodePrior by maximum likelihood with Adam (mean NLL per code).

    The loop of ``genlab.autoregressive.train_made``: each epoch shuffles the codes with a
    generator seeded by ``seed``; a NaN or infinite loss or weight stops training with a
    ValueError (lower ``lr``). With ``indices_val``, the validation NLL is computed after
    every epoch and the weights of the best epoch are restored.

    Introduced in the chapter "A discrete code: the VQ-VAE on MNIST".

    Parameters
    ----------
    prior : AutoregressiveCodePrior
    indices : LongTensor or array_like of shape (n, n_positions)
        The training codes (for example :meth:`VQVAE.quantize` of the training images),
        integers in ``0 .. n_codes - 1``, at least one row.
    epochs : int
        At least 1.
    batch_size : int, default 128
        At least 1.
    lr : float, default 1e-3
        Finite and > 0.
    seed : int, default 0
        Seeds the shuffling, 0 to 2**63 - 1.
    indices_val : LongTensor or array_like of shape (n_val, n_positions), optional
        Validation codes, at least one row.
    patience : int, optional
        With ``indices_val``: stop once the validation NLL has not improved for
        ``patience`` epochs in a row (at least 1). ``None`` (default) runs all ``epochs``.
    progress : bool, default True
        A tqdm bar of the epochs (``TQDM_DISABLE=1`` turns it off).

    Returns
    -------
    dict
        ``"loss"``: the training NLL (nats per code sequence, during the epoch) of each
        epoch; with ``indices_val`` also ``"val_loss"`` (the validation NLL after each
        epoch) and ``"best_epoch"`` (1-based, the epoch whose weights the prior holds).
    """
    if not isinstance(prior, AutoregressiveCodePrior):
        raise ValueError(
            f"prior must be a genlab.vqvae.AutoregressiveCodePrior; got {type(prior).__name__}"
        )
    codes = prior._check_codes(indices, "indices")
    codes_val = None if indices_val is None else prior._check_codes(indices_val, "indices_val")
    if patience is not None and codes_val is None:
        raise ValueError("patience needs indices_val: it counts epochs without a validation gain")
    show = check_bool(progress, name="progress")
    _check_finite_weights(prior, "prior")
    return fit_by_likelihood(
        prior,
        codes,
        codes_val,
        lambda batch, g: -prior._log_prob(batch).mean(),
        lambda batch: -prior._log_prob(batch).mean(),
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        weight_decay=0.0,
        seed=seed,
        progress=show,
        desc="AutoregressiveCodePrior",
        patience=patience,
    )
