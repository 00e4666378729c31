r"""A two-level VAE with bottom-up inference: its ELBO, its estimators and its active units.

The generative model stacks two Gaussian latent layers above a Bernoulli decoder,

.. math::

    p(x, z_1, z_2) = p(z_2)\, p(z_1 \mid z_2)\, p(x \mid z_1), \qquad
    p(z_2) = \mathcal N(0, I), \quad
    p(z_1 \mid z_2) = \mathcal N\bigl(m(z_2), \operatorname{diag} e^{v(z_2)}\bigr),

and :math:`p(x \mid z_1)` is a product of Bernoulli pixels with logits from an MLP of
:math:`z_1`. Inference goes *bottom-up*, the order in which the data are seen (Burda,
Grosse & Salakhutdinov, 2016; Sønderby et al., 2016):

.. math::

    q(z_1, z_2 \mid x) = q(z_1 \mid x)\, q(z_2 \mid z_1), \qquad
    q(z_1 \mid x) = \mathcal N\bigl(\mu_1(x), \operatorname{diag} e^{\ell_1(x)}\bigr), \quad
    q(z_2 \mid z_1) = \mathcal N\bigl(\mu_2(z_1), \operatorname{diag} e^{\ell_2(z_1)}\bigr).

The evidence lower bound is, as for any latent-variable model,
:math:`\mathrm{ELBO}(x) = \mathbb E_q[\log p(x, z_1, z_2) - \log q(z_1, z_2 \mid x)] \le
\log p(x)`, and splits into three terms, all expectations under
:math:`z_1 \sim q(z_1 \mid x)`, :math:`z_2 \sim q(z_2 \mid z_1)`:

.. math::

    \mathrm{ELBO}(x) = \mathbb E_q[\log p(x \mid z_1)]
      - \mathbb E_q\bigl[\log q(z_1 \mid x) - \log p(z_1 \mid z_2)\bigr]
      - \mathbb E_q\bigl[\log q(z_2 \mid z_1) - \log p(z_2)\bigr].

**The bottom term is not a KL divergence.** :math:`z_2` is drawn *after* :math:`z_1` and
depends on it, so the middle expectation is not
:math:`\mathbb E_{z_2}[\mathrm{KL}(q(z_1 \mid x) \,\|\, p(z_1 \mid z_2))]` (that would need
:math:`z_2` independent of :math:`z_1`, as in top-down inference). It has no closed form,
it can even be negative (a prior :math:`p(z_1 \mid z_2)` sharpened around the :math:`z_1`
that :math:`z_2` was encoded from), and only the sum of the two latent terms is a
divergence: :math:`\mathrm{KL}(q(z_1, z_2 \mid x) \,\|\, p(z_1, z_2)) \ge 0`. It is
estimated by Monte Carlo with the draws of the reparameterisation trick,
:math:`z_1 = \mu_1 + e^{\ell_1/2} \odot \varepsilon_1`,
:math:`z_2 = \mu_2(z_1) + e^{\ell_2(z_1)/2} \odot \varepsilon_2`.

**The top term has a closed form given** :math:`z_1`: its inner expectation over
:math:`z_2 \sim q(z_2 \mid z_1)` is
:math:`\mathrm{KL}(q(z_2 \mid z_1) \,\|\, \mathcal N(0, I)) = \tfrac12 \sum_j (\mu_{2j}^2 +
\sigma_{2j}^2 - 1 - \log \sigma_{2j}^2)`. Two one-draw estimators of the ELBO follow:

* ``"monte_carlo"``: the log importance weight of the draw, term by term,
  :math:`\hat L = \log p(x \mid z_1) + \log p(z_1 \mid z_2) + \log p(z_2)
  - \log q(z_1 \mid x) - \log q(z_2 \mid z_1)`;
* ``"analytic"`` (the default, and the training loss): the same with
  :math:`\log q(z_2 \mid z_1) - \log p(z_2)` replaced by the KL above,
  :math:`\tilde L = \log p(x \mid z_1) + \log p(z_1 \mid z_2) - \log q(z_1 \mid x)
  - \mathrm{KL}(q(z_2 \mid z_1) \,\|\, \mathcal N(0, I))`, still with the drawn
  :math:`z_2` in :math:`\log p(z_1 \mid z_2)`.

:math:`\tilde L` is unbiased because the difference :math:`\hat L - \tilde L =
\mathrm{KL}(q(z_2 \mid z_1) \,\|\, p(z_2)) - [\log q(z_2 \mid z_1) - \log p(z_2)]` has mean
zero over :math:`z_2 \sim q(z_2 \mid z_1)` for *every* :math:`z_1`: only the part of the
top term that a closed form can average has been averaged (a conditional expectation, as
in Rao-Blackwellisation), and the other terms keep their draws. Its gradients are
unbiased too: both estimators are functions of :math:`(\varepsilon_1, \varepsilon_2)`,
whose distribution does not depend on the weights, and averaging over
:math:`\varepsilon_2` commutes with differentiation. The tests check the equal
expectations against a quadrature of the exact ELBO. Averaging one term of a sum need not
lower the variance of the sum: the top term's noise is correlated with that of
:math:`\log p(z_1 \mid z_2)` (both move with :math:`\varepsilon_2`), and the two
estimators' spreads are close (on MNIST after 10 epochs, a standard deviation over draws
of about 3.6 nats per image for ``"analytic"`` and 3.3 for ``"monte_carlo"``).

Whether a latent dimension carries information is measured by its *activity* (Burda et
al., 2016): dimension :math:`u` is active when
:math:`A_u = \operatorname{Cov}_x\bigl(\mathbb E_{q(u \mid x)}[u]\bigr)` exceeds 0.01.
With bottom-up inference the top layer is often left with few active units (Sønderby et
al., 2016; the ladder VAE's motivation); :func:`active_units` and
:meth:`HierarchicalVAE.posterior_means` measure it per level.

Import it explicitly (``from genlab import hierarchical_vae``): it loads PyTorch.

Introduced in the chapter "Two levels of latents, and denoising, on MNIST".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

try:
    import torch
except ModuleNotFoundError as exc:  # torch is genlab's "deep" extra
    from genlab._optional import torch_missing

    raise torch_missing(__name__) from exc
import torch.nn.functional as F
from numpy.typing import ArrayLike, NDArray
from torch import Tensor, nn
from tqdm.auto import tqdm

from genlab._training import check_rate, check_size
from genlab._validation import check_array, check_output_size
from genlab.vae import _as_training_data, _check_tensor, _check_unit_interval

__all__ = ["HierarchicalVAE", "active_units", "train_hierarchical_vae"]

_LOG_2PI = math.log(2 * math.pi)
_TOP_KL = ("analytic", "monte_carlo")


# ------------------------------------------------------------------ densities
def _log_normal(z: Tensor, mean: Tensor, logvar: Tensor) -> Tensor:
    r"""The Gaussian log-density, summed over the last axis.

    :math:`\log \mathcal N(z; \text{mean}, \operatorname{diag} e^{\text{logvar}})`.
    """
    return -0.5 * torch.sum((z - mean) ** 2 / logvar.exp() + logvar + _LOG_2PI, dim=-1)


def _log_standard_normal(z: Tensor) -> Tensor:
    r""":math:`\log \mathcal N(z; 0, I)`, summed over the last axis."""
    return -0.5 * torch.sum(z**2 + _LOG_2PI, dim=-1)


def _log_bernoulli(logits: Tensor, x: Tensor) -> Tensor:
    r""":math:`\sum_i x_i \log \hat x_i + (1 - x_i) \log(1 - \hat x_i)`, from the logits."""
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1)


def _kl_from_standard_normal(mean: Tensor, logvar: Tensor) -> Tensor:
    r"""The KL divergence of a diagonal Gaussian from N(0, I), summed over the last axis.

    :math:`\mathrm{KL}(\mathcal N(\text{mean}, \operatorname{diag} e^{\text{logvar}})
    \,\|\, \mathcal N(0, I))`, in closed form.
    """
    return 0.5 * torch.sum(mean**2 + logvar.exp() - 1 - logvar, dim=-1)


# ------------------------------------------------------------------ checks
def _check_generator(generator: object) -> torch.Generator | None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(
            f"generator must be a torch.Generator or None; got {type(generator).__name__}"
        )
    return generator


def _check_top_kl(top_kl: object) -> str:
    if not isinstance(top_kl, str) or top_kl not in _TOP_KL:
        raise ValueError(f"top_kl must be 'analytic' or 'monte_carlo'; got {top_kl!r}")
    return top_kl


def _check_latent_dims(latent_dims: object) -> tuple[int, int]:
    wanted = "latent_dims must be a pair of integers >= 1, (d1, d2)"
    if isinstance(latent_dims, (str, bytes)) or not isinstance(latent_dims, Sequence):
        raise ValueError(f"{wanted}; got {latent_dims!r}")
    if len(latent_dims) != 2:
        raise ValueError(f"{wanted}; got {len(latent_dims)} value(s): {latent_dims!r}")
    d1 = check_size(latent_dims[0], "latent_dims[0] (d1)", 1)
    d2 = check_size(latent_dims[1], "latent_dims[1] (d2)", 1)
    return d1, d2


# ------------------------------------------------------------------ the model
class HierarchicalVAE(nn.Module):
    r"""A VAE with two Gaussian latent layers, :math:`z_2 \to z_1 \to x`, inferred bottom-up.

    Inference: ``Linear(input_dim, hidden_dim)``, ReLU, and two heads give
    :math:`\mu_1, \log \sigma_1^2` of :math:`q(z_1 \mid x)`; ``Linear(d1, top_hidden_dim)``,
    ReLU, and two heads give :math:`\mu_2, \log \sigma_2^2` of :math:`q(z_2 \mid z_1)`.
    Generation: :math:`p(z_2) = \mathcal N(0, I)`; ``Linear(d2, top_hidden_dim)``, ReLU,
    and two heads give the mean and log-variance of :math:`p(z_1 \mid z_2)`;
    ``Linear(d1, hidden_dim)``, ReLU, ``Linear(hidden_dim, input_dim)`` give the Bernoulli
    logits of :math:`p(x \mid z_1)`. The model computes in float32, or in float64 after
    ``.double()``; every method checks its tensors (the model's dtype and device, the
    documented shape, finite, non-empty, images in [0, 1]).

    Introduced in the chapter "Two levels of latents, and denoising, on MNIST".

    Parameters
    ----------
    input_dim : int, default 784
        Pixels per image, at least 1.
    hidden_dim : int, default 256
        Width of the hidden layer of :math:`q(z_1 \mid x)` and of :math:`p(x \mid z_1)`.
    latent_dims : (int, int), default (16, 4)
        :math:`(d_1, d_2)`, the dimensions of :math:`z_1` and :math:`z_2`, each at least 1.
    top_hidden_dim : int, default 64
        Width of the hidden layer of :math:`q(z_2 \mid z_1)` and of :math:`p(z_1 \mid z_2)`.

    Examples
    --------
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> model = HierarchicalVAE(4, 8, (2, 1), 8).double()
    >>> terms = model.elbo_terms(torch.tensor([[0.0, 1.0, 1.0, 0.5]], dtype=torch.float64))
    >>> sorted(terms), terms["elbo"].shape
    (['elbo', 'kl_bottom', 'kl_top', 'reconstruction'], torch.Size([1]))
    """

    def __init__(
        self,
        input_dim: int = 784,
        hidden_dim: int = 256,
        latent_dims: tuple[int, int] = (16, 4),
        top_hidden_dim: int = 64,
    ) -> None:
        D = check_size(input_dim, "input_dim", 1)
        H = check_size(hidden_dim, "hidden_dim", 1)
        d1, d2 = _check_latent_dims(latent_dims)
        H2 = check_size(top_hidden_dim, "top_hidden_dim", 1)
        n_weights = (
            ((D + 1) * H + 2 * (H + 1) * d1)  # q(z1 | x)
            + ((d1 + 1) * H2 + 2 * (H2 + 1) * d2)  # q(z2 | z1)
            + ((d2 + 1) * H2 + 2 * (H2 + 1) * d1)  # p(z1 | z2)
            + ((d1 + 1) * H + (H + 1) * D)  # p(x | z1)
        )
        check_output_size(
            (n_weights,), name="HierarchicalVAE's sizes", itemsize=4, what="the weights"
        )
        super().__init__()
        self.input_dim, self.hidden_dim, self.top_hidden_dim = D, H, H2
        self.latent_dims = (d1, d2)
        # inference, bottom-up: q(z1 | x), then q(z2 | z1)
        self.encoder = nn.Sequential(nn.Linear(D, H), nn.ReLU())
        self.fc_mu1 = nn.Linear(H, d1)
        self.fc_logvar1 = nn.Linear(H, d1)
        self.encoder_top = nn.Sequential(nn.Linear(d1, H2), nn.ReLU())
        self.fc_mu2 = nn.Linear(H2, d2)
        self.fc_logvar2 = nn.Linear(H2, d2)
        # generation, top-down: p(z1 | z2), then p(x | z1)
        self.prior_net = nn.Sequential(nn.Linear(d2, H2), nn.ReLU())
        self.fc_prior_mean = nn.Linear(H2, d1)
        self.fc_prior_logvar = nn.Linear(H2, d1)
        self.decoder = nn.Sequential(nn.Linear(d1, H), nn.ReLU(), nn.Linear(H, D))

    # ----------------------------------------------------------------- checks
    @property
    def _weight(self) -> Tensor:
        """A weight of the model: its dtype and device are the model's."""
        return self.fc_mu1.weight

    def _check_x(self, x: object, name: str = "x") -> Tensor:
        t = _check_tensor(x, name, columns=self.input_dim, like=self._weight)
        _check_unit_interval(t, name)
        return t

    def _check_code(self, z: object, name: str, dim: int) -> Tensor:
        return _check_tensor(z, name, columns=dim, like=self._weight)

    def _noise(self, shape: tuple[int, ...], generator: torch.Generator | None) -> Tensor:
        """Standard normal draws, made on the generator's device (the CPU without one)."""
        where = generator.device if generator is not None else torch.device("cpu")
        eps = torch.randn(shape, generator=generator, dtype=self._weight.dtype, device=where)
        return eps.to(self._weight.device)

    # ----------------------------------------------------------------- networks
    def _encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = self.encoder(x)
        return self.fc_mu1(h), self.fc_logvar1(h)

    def _encode_top(self, z1: Tensor) -> tuple[Tensor, Tensor]:
        h = self.encoder_top(z1)
        return self.fc_mu2(h), self.fc_logvar2(h)

    def _prior_bottom(self, z2: Tensor) -> tuple[Tensor, Tensor]:
        h = self.prior_net(z2)
        return self.fc_prior_mean(h), self.fc_prior_logvar(h)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        r"""The mean and log-variance of :math:`q(z_1 \mid x)`, the bottom posterior.

        Introduced in the chapter "Two levels of latents, and denoising, on MNIST".

        Parameters
        ----------
        x : Tensor of shape (n, input_dim)
            Images in [0, 1], the model's dtype and device.

        Returns
        -------
        mu1, logvar1 : Tensor of shape (n, d1)
            :math:`\mu_1(x)` and :math:`\log \sigma_1^2(x)`.
        """
        return self._encode(self._check_x(x))

    def encode_top(self, z1: Tensor) -> tuple[Tensor, Tensor]:
        r"""The mean and log-variance of :math:`q(z_2 \mid z_1)`, the top posterior.

        Introduced in the chapter "Two levels of latents, and denoising, on MNIST".

        Parameters
        ----------
        z1 : Tensor of shape (n, d1)
            Finite codes of the bottom level, the model's dtype and device.

        Returns
        -------
        mu2, logvar2 : Tensor of shape (n, d2)
        """
        return self._encode_top(self._check_code(z1, "z1", self.latent_dims[0]))

    def prior_bottom(self, z2: Tensor) -> tuple[Tensor, Tensor]:
        r"""The mean and log-variance of the conditional prior :math:`p(z_1 \mid z_2)`.

        Introduced in the chapter "Two levels of latents, and denoising, on MNIST".

        Parameters
        ----------
        z2 : Tensor of shape (n, d2)
            Finite codes of the top level, the model's dtype and device.

        Returns
        -------
        mean, logvar : Tensor of shape (n, d1)
        """
        return self._prior_bottom(self._check_code(z2, "z2", self.latent_dims[1]))

    def decode(self, z1: Tensor) -> Tensor:
        r"""The Bernoulli logits of :math:`p(x \mid z_1)`; ``sigmoid`` of them is the image.

        Introduced in the chapter "Two levels of latents, and denoising, on MNIST".

        Parameters
        ----------
        z1 : Tensor of shape (n, d1)
            Finite codes of the bottom level, the model's dtype and device.

        Returns
        -------
        Tensor of shape (n, input_dim)
        """
        z1 = self._check_code(z1, "z1", self.latent_dims[0])
        return self.decoder(z1)  # type: ignore[no-any-return]

    # ----------------------------------------------------------------- the bound
    def elbo_terms(
        self, x: Tensor, generator: torch.Generator | None = None, *, top_kl: str = "analytic"
    ) -> dict[str, Tensor]:
        r"""A one-draw estimate of the ELBO of each image, and its three terms (nats).

        Draws :math:`z_1 = \mu_1 + \sigma_1 \odot \varepsilon_1 \sim q(z_1 \mid x)`, then
        :math:`z_2 = \mu_2(z_1) + \sigma_2(z_1) \odot \varepsilon_2 \sim q(z_2 \mid z_1)`,
        with :math:`\varepsilon_1` the generator's ``torch.randn((n, d1))`` followed by
        :math:`\varepsilon_2`, its ``torch.randn((n, d2))``. Both estimators of the module
        docstring use these draws; the terms always add up,
        ``elbo == -(reconstruction + kl_bottom + kl_top)`` (to rounding), and the estimate
        is differentiable in the weights.

        Introduced in the chapter "Two levels of latents, and denoising, on MNIST".

        Parameters
        ----------
        x : Tensor of shape (n, input_dim)
            Images in [0, 1], the model's dtype and device.
        generator : torch.Generator, optional
            The source of :math:`\varepsilon_1, \varepsilon_2` (drawn on its device, the CPU
            without one).
        top_kl : {"analytic", "monte_carlo"}, default "analytic"
            How the top term is estimated: its closed form given the drawn :math:`z_1`, or
            :math:`\log q(z_2 \mid z_1) - \log p(z_2)` at the drawn :math:`z_2` (then
            ``elbo`` is the log importance weight
            :math:`\log p(x \mid z_1) + \log p(z_1 \mid z_2) + \log p(z_2)
            - \log q(z_1 \mid x) - \log q(z_2 \mid z_1)`). Both are unbiased for the ELBO.

        Returns
        -------
        dict of Tensor of shape (n,)
            ``"reconstruction"``: :math:`-\log p(x \mid z_1)`; ``"kl_bottom"``:
            :math:`\log q(z_1 \mid x) - \log p(z_1 \mid z_2)` (Monte Carlo: not a KL, it
            may be negative); ``"kl_top"``: :math:`\mathrm{KL}(q(z_2 \mid z_1) \,\|\,
            \mathcal N(0, I))` or its one-draw estimate; ``"elbo"``.
        """
        x = self._check_x(x)
        generator = _check_generator(generator)
        return self._elbo_terms(x, generator, _check_top_kl(top_kl))

    def _elbo_terms(
        self, x: Tensor, generator: torch.Generator | None, top_kl: str
    ) -> dict[str, Tensor]:
        """:meth:`elbo_terms` without the checks (the training loop's)."""
        n, (d1, d2) = x.shape[0], self.latent_dims
        mu1, logvar1 = self._encode(x)  # q(z1 | x)
        z1 = mu1 + torch.exp(0.5 * logvar1) * self._noise((n, d1), generator)
        mu2, logvar2 = self._encode_top(z1)  # q(z2 | z1)
        z2 = mu2 + torch.exp(0.5 * logvar2) * self._noise((n, d2), generator)
        mean, logvar = self._prior_bottom(z2)  # p(z1 | z2)

        log_p_x = _log_bernoulli(self.decoder(z1), x)  # log p(x | z1)
        log_p_z1 = _log_normal(z1, mean, logvar)  # log p(z1 | z2)
        log_p_z2 = _log_standard_normal(z2)  # log p(z2)
        log_q_z1 = _log_normal(z1, mu1, logvar1)  # log q(z1 | x)
        log_q_z2 = _log_normal(z2, mu2, logvar2)  # log q(z2 | z1)

        reconstruction = -log_p_x
        kl_bottom = log_q_z1 - log_p_z1
        if top_kl == "monte_carlo":
            kl_top = log_q_z2 - log_p_z2
            elbo = log_p_x + log_p_z1 + log_p_z2 - log_q_z1 - log_q_z2
        else:  # E over z2 ~ q(z2 | z1) of log q(z2 | z1) - log p(z2), in closed form
            kl_top = _kl_from_standard_normal(mu2, logvar2)
            elbo = log_p_x + log_p_z1 - log_q_z1 - kl_top
        return {
            "reconstruction": reconstruction,
            "kl_bottom": kl_bottom,
            "kl_top": kl_top,
            "elbo": elbo,
        }

    def negative_elbo(
        self, x: Tensor, generator: torch.Generator | None = None, *, top_kl: str = "analytic"
    ) -> Tensor:
        """The training loss: minus :meth:`elbo_terms`'s ``"elbo"``, averaged over the images.

        Introduced in the chapter "Two levels of latents, and denoising, on MNIST".

        Parameters
        ----------
        x : Tensor of shape (n, input_dim)
            Images in [0, 1], the model's dtype and device.
        generator : torch.Generator, optional
            The source of the draws (as in :meth:`elbo_terms`).
        top_kl : {"analytic", "monte_carlo"}, default "analytic"

        Returns
        -------
        Tensor (a scalar)
            In nats per image.
        """
        return -self.elbo_terms(x, generator, top_kl=top_kl)["elbo"].mean()

    @torch.no_grad()
    def posterior_means(
        self, x: Tensor, n_draws: int = 100, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        r"""The posterior means of both levels, the input of :func:`active_units`.

        :math:`\mathbb E_q[z_1 \mid x] = \mu_1(x)` exactly, and
        :math:`\mathbb E_q[z_2 \mid x] = \mathbb E_{q(z_1 \mid x)}[\mu_2(z_1)]` (bottom-up
        inference: the top level's posterior is a mixture over :math:`z_1`), estimated
        with ``n_draws`` draws of :math:`z_1` per image, taken as one
        ``torch.randn((n_draws, n, d1))``.

        Introduced in the chapter "Two levels of latents, and denoising, on MNIST".

        Parameters
        ----------
        x : Tensor of shape (n, input_dim)
            Images in [0, 1], the model's dtype and device.
        n_draws : int, default 100
            Draws of :math:`z_1` per image, at least 1.
        generator : torch.Generator, optional

        Returns
        -------
        mean1 : Tensor of shape (n, d1)
        mean2 : Tensor of shape (n, d2)
        """
        x = self._check_x(x)
        n_draws = check_size(n_draws, "n_draws", 1)
        generator = _check_generator(generator)
        d1, _ = self.latent_dims
        check_output_size(
            (n_draws, x.shape[0], max(d1, self.top_hidden_dim)),
            name="n_draws",
            itemsize=self._weight.element_size(),
            what="the draws of z1 and their hidden layer",
        )
        mu1, logvar1 = self._encode(x)
        z1 = mu1 + torch.exp(0.5 * logvar1) * self._noise((n_draws, x.shape[0], d1), generator)
        mu2, _ = self._encode_top(z1)
        return mu1, mu2.mean(dim=0)

    # ----------------------------------------------------------------- sampling
    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        r"""Ancestral sampling: :math:`z_2`, then :math:`z_1`, then the pixel probabilities.

        :math:`z_2 \sim \mathcal N(0, I)`, :math:`z_1 \sim p(z_1 \mid z_2)`, and the
        decoder's ``sigmoid(decode(z1))`` (the images' means, not binary draws).

        :math:`z_2` is the generator's ``torch.randn((n, d2))``, then :math:`z_1 = m(z_2) +
        e^{v(z_2)/2} \odot \varepsilon` with :math:`\varepsilon` its ``torch.randn((n, d1))``.

        Introduced in the chapter "Two levels of latents, and denoising, on MNIST".

        Parameters
        ----------
        n : int
            Number of images, at least 1; refused if they would need more than
            ``genlab._validation.MAX_OUTPUT_BYTES``.
        generator : torch.Generator, optional

        Returns
        -------
        Tensor of shape (n, input_dim)
            Pixel probabilities in [0, 1].
        """
        n = check_size(n, "n", 1)
        generator = _check_generator(generator)
        check_output_size(
            (n, max(self.input_dim, self.hidden_dim)),
            name="n",
            itemsize=self._weight.element_size(),
            what="the images",
        )
        d1, d2 = self.latent_dims
        z2 = self._noise((n, d2), generator)  # z2 ~ N(0, I)
        mean, logvar = self._prior_bottom(z2)
        z1 = mean + torch.exp(0.5 * logvar) * self._noise((n, d1), generator)  # z1 ~ p(z1|z2)
        return torch.sigmoid(self.decoder(z1))

    @torch.no_grad()
    def sample_given_top(
        self, z2: Tensor, n_per: int, generator: torch.Generator | None = None
    ) -> Tensor:
        r"""Several images per fixed top code: what the bottom level adds to :math:`z_2`.

        For each row of ``z2``, ``n_per`` draws :math:`z_1 \sim p(z_1 \mid z_2)`, decoded:
        the variation within a row is that of :math:`z_1` given :math:`z_2`. The noise is
        the generator's ``torch.randn((len(z2), n_per, d1))``.

        Introduced in the chapter "Two levels of latents, and denoising, on MNIST".

        Parameters
        ----------
        z2 : Tensor of shape (n_top, d2)
            Finite top codes, the model's dtype and device.
        n_per : int
            Images per top code, at least 1.
        generator : torch.Generator, optional

        Returns
        -------
        Tensor of shape (n_top, n_per, input_dim)
            Pixel probabilities in [0, 1].
        """
        z2 = self._check_code(z2, "z2", self.latent_dims[1])
        n_per = check_size(n_per, "n_per", 1)
        generator = _check_generator(generator)
        check_output_size(
            (z2.shape[0], n_per, max(self.input_dim, self.hidden_dim)),
            name="n_per",
            itemsize=self._weight.element_size(),
            what="the images",
        )
        mean, logvar = self._prior_bottom(z2)  # (n_top, d1) each
        eps = self._noise((z2.shape[0], n_per, self.latent_dims[0]), generator)
        z1 = mean[:, None, :] + torch.exp(0.5 * logvar)[:, None, :] * eps
        return torch.sigmoid(self.decoder(z1))


# ------------------------------------------------------------------ active units
def active_units(means: Tensor | ArrayLike, threshold: float = 0.01) -> NDArray[np.bool_]:
    r"""Which latent dimensions are active: the variance of their posterior means.

    Dimension :math:`u` is active when
    :math:`\operatorname{Cov}_x(\mathbb E_q[z_u \mid x]) > \text{threshold}`.

    The activity of Burda, Grosse & Salakhutdinov (2016): the variance across the images
    (population variance, divisor :math:`n`) of each dimension's posterior mean. A unit
    whose posterior mean does not move with the image carries no information about it;
    its posterior is (close to) its prior.

    Introduced in the chapter "Two levels of latents, and denoising, on MNIST".

    Parameters
    ----------
    means : Tensor or array_like of shape (n_images, latent_dim)
        Posterior means, one row per image (e.g. from
        :meth:`HierarchicalVAE.posterior_means`), finite, at least one row.
    threshold : float, default 0.01
        Finite and >= 0 (Burda et al.'s value).

    Returns
    -------
    ndarray of bool, shape (latent_dim,)
    """
    if isinstance(means, Tensor):
        means = means.detach().cpu().double().numpy()
    m = check_array(means, name="means")
    limit = check_rate(threshold, "threshold", positive=False)
    activity = m.var(axis=0)  # ddof=0: the population variance over the images
    return np.asarray(activity > limit, dtype=np.bool_)


# ------------------------------------------------------------------ training
def train_hierarchical_vae(
    model: HierarchicalVAE,
    X: Tensor | ArrayLike,
    *,
    epochs: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, list[float]]:
    """Fit a HierarchicalVAE with Adam by maximising the ELBO (analytic top term).

    Each epoch shuffles the images with a CPU generator seeded by ``seed``, which also
    draws every batch's noise (:meth:`HierarchicalVAE.elbo_terms`, one draw per image),
    so two runs with the same seed and the same initial weights (``torch.manual_seed``
    before building the model) give the same weights. A NaN or infinite loss or weight
    after an epoch stops training with a ValueError naming the epoch (lower ``lr``).

    Introduced in the chapter "Two levels of latents, and denoising, on MNIST".

    Parameters
    ----------
    model : HierarchicalVAE
        With finite weights.
    X : Tensor or array_like of shape (n_images, input_dim)
        Images in [0, 1], at least one; converted to the model's dtype and device.
    epochs : int
        Passes over the data, at least 1.
    batch_size : int, default 128
        Images per Adam step, at least 1 (the last batch of an epoch may be smaller).
    lr : float, default 1e-3
        Adam's learning rate, finite and > 0.
    seed : int, default 0
        Seeds the shuffling and the noise, 0 to 2**64 - 1.
    progress : bool, default True
        A tqdm bar of the epochs (``TQDM_DISABLE=1`` turns it off).

    Returns
    -------
    dict of lists of float, one entry per epoch
        ``"loss"`` (the negative ELBO), ``"reconstruction"``, ``"kl_bottom"`` and
        ``"kl_top"``: means in nats per image over the epoch's batches (weighted by batch
        size), each computed with the batch's draws and the weights before its update.
    """
    if not isinstance(model, HierarchicalVAE):
        raise ValueError(
            f"model must be a genlab.hierarchical_vae.HierarchicalVAE; got {type(model).__name__}"
        )
    n_epochs = check_size(epochs, "epochs", 1)
    size = check_size(batch_size, "batch_size", 1)
    rate = check_rate(lr, "lr", positive=True)
    seed_ = _check_seed(seed)
    if not isinstance(progress, (bool, np.bool_)):
        raise ValueError(f"progress must be True or False; got {progress!r}")
    if any(not bool(torch.isfinite(p).all()) for p in model.parameters()):
        raise ValueError(
            "the model's weights hold NaN or infinity before training (a diverged earlier "
            "run?); build the model again"
        )
    data = _as_training_data(X, model.input_dim, model._weight.device, model._weight.dtype)
    generator = torch.Generator().manual_seed(seed_)
    optimiser = torch.optim.Adam(model.parameters(), lr=rate, fused=True)
    keys = ("loss", "reconstruction", "kl_bottom", "kl_top")
    history: dict[str, list[float]] = {key: [] for key in keys}
    model.train()
    # Without an explicit ``disable``, tqdm reads TQDM_DISABLE from the environment.
    bar_options: dict[str, Any] = {} if progress else {"disable": True}
    for epoch in tqdm(range(n_epochs), desc="HierarchicalVAE", unit="epoch", **bar_options):
        order = torch.randperm(data.shape[0], generator=generator).to(data.device)
        totals = torch.zeros(4, dtype=torch.float64)
        for start in range(0, data.shape[0], size):
            batch = data[order[start : start + size]]
            terms = model._elbo_terms(batch, generator, "analytic")
            loss = -terms["elbo"].mean()
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimiser.step()
            means = [loss, terms["reconstruction"], terms["kl_bottom"], terms["kl_top"]]
            step = torch.stack([t.detach().mean() for t in means]).to("cpu", torch.float64)
            totals += batch.shape[0] * step
        values = (totals / data.shape[0]).tolist()
        bad = not all(math.isfinite(v) for v in values) or any(
            not bool(torch.isfinite(p).all()) for p in model.parameters()
        )
        if bad:
            raise ValueError(
                f"training diverged at epoch {epoch + 1}: the loss or the weights are NaN or "
                f"infinite; lower lr (now {lr})"
            )
        for key, value in zip(keys, values, strict=True):
            history[key].append(float(value))
    model.eval()
    return history


def _check_seed(seed: object) -> int:
    value = check_size(seed, "seed", 0)
    if value >= 2**64:
        raise ValueError(f"seed must be below 2**64; got {value}")
    return value
