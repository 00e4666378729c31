r"""A denoising diffusion probabilistic model (DDPM) of discrete images, with its bound.

The **forward process** adds Gaussian noise in :math:`T` small steps,
:math:`q(x_t \mid x_{t-1}) = \mathcal N(\sqrt{1 - \beta_t}\, x_{t-1}, \beta_t I)`, so that
with :math:`\alpha_t = 1 - \beta_t` and :math:`\bar\alpha_t = \prod_{s \le t} \alpha_s`
every step can be drawn in one go from the data :math:`x_0`:

.. math::

    q(x_t \mid x_0) = \mathcal N\bigl(\sqrt{\bar\alpha_t}\, x_0,\; (1 - \bar\alpha_t) I\bigr),
    \qquad x_t = \sqrt{\bar\alpha_t}\, x_0 + \sqrt{1 - \bar\alpha_t}\, \varepsilon .

Given :math:`x_0`, one step back is Gaussian too (Bayes' rule for Gaussians):
:math:`q(x_{t-1} \mid x_t, x_0) = \mathcal N(\tilde\mu_t, \tilde\beta_t I)` with

.. math::

    \tilde\mu_t = \frac{\sqrt{\bar\alpha_{t-1}}\, \beta_t}{1 - \bar\alpha_t}\, x_0
    + \frac{\sqrt{\alpha_t}\, (1 - \bar\alpha_{t-1})}{1 - \bar\alpha_t}\, x_t ,
    \qquad
    \tilde\beta_t = \frac{1 - \bar\alpha_{t-1}}{1 - \bar\alpha_t}\, \beta_t .

The **reverse process** learns :math:`p_\theta(x_{t-1} \mid x_t) = \mathcal N(\mu_\theta,
\sigma_t^2 I)` with :math:`\sigma_t^2 = \tilde\beta_t`, through a network
:math:`\varepsilon_\theta(x_t, t)` that predicts the noise:
:math:`\mu_\theta = \bigl(x_t - \beta_t \varepsilon_\theta / \sqrt{1 - \bar\alpha_t}\bigr)
/ \sqrt{\alpha_t}`, which is :math:`\tilde\mu_t` exactly when the prediction is the true
:math:`\varepsilon`. It is trained on Ho, Jain & Abbeel's (2020) simple loss,
:math:`\mathbb E_{t, x_0, \varepsilon}\,\lVert \varepsilon - \varepsilon_\theta(x_t, t)
\rVert^2`.

**Discrete images.** Levels :math:`0, \dots, L - 1` are scaled to :math:`[-1, 1]`
(:func:`to_unit_interval`), and the last step is a *discretized* Gaussian: level
:math:`k` gets the mass of :math:`\mathcal N(\mu_\theta(x_1, 1), \beta_1)` on its bin of
width :math:`2 / (L - 1)`, the end bins extended to :math:`\pm\infty`
(:func:`discretized_gaussian_log_prob`). So :math:`P_\theta(x)` is a probability of the
discrete image, and the variational bound

.. math::

    -\log P_\theta(x) \le
    \underbrace{\mathrm{KL}\bigl(q(x_T \mid x_0) \,\Vert\, \mathcal N(0, I)\bigr)}_{L_T}
    + \sum_{t=2}^{T} \underbrace{\mathbb E_q\,\mathrm{KL}\bigl(q(x_{t-1} \mid x_t, x_0)
    \,\Vert\, p_\theta(x_{t-1} \mid x_t)\bigr)}_{L_{t-1}}
    \underbrace{- \mathbb E_q \log P_\theta(x \mid x_1)}_{L_0}

is in the same units as an exact discrete likelihood (:func:`nll_bound_terms`).

**Whole trajectories.** With the forward process as the proposal, a trajectory
:math:`x_{1:T}` has the importance weight :math:`w = p_\theta(x, x_{1:T}) / q(x_{1:T} \mid
x)`, whose expectation is :math:`P_\theta(x)` itself. The expected log of the mean of
:math:`k` weights is the importance-weighted bound :math:`\mathrm{IWAE}_k`, which rises with
:math:`k` from the ELBO (:math:`k = 1`) towards :math:`\log P_\theta(x)`
(:func:`trajectory_log_weights`, :func:`iwae_bound`).

Import it explicitly (``from genlab import diffusion``): it loads PyTorch.

Introduced in the chapter "Diffusion models: learning to remove noise".
"""

from __future__ import annotations

import math
from typing import Any

import torch
from numpy.typing import ArrayLike
from torch import Tensor, nn

from genlab._training import check_level_images, check_rate, check_size
from genlab._validation import check_output_size

__all__ = [
    "DDPM",
    "NoiseSchedule",
    "discretized_gaussian_log_prob",
    "from_unit_interval",
    "iwae_bound",
    "nll_bound_terms",
    "nll_bound_terms_reference",
    "to_unit_interval",
    "train_ddpm",
    "trajectory_log_weights",
]


def to_unit_interval(x: Tensor, n_levels: int) -> Tensor:
    r"""Levels :math:`0, \dots, L - 1` to :math:`[-1, 1]`: :math:`2x / (L - 1) - 1`.

    Introduced in the chapter "Diffusion models: learning to remove noise".

    Parameters
    ----------
    x : Tensor of shape (n, D)
        Integer levels.
    n_levels : int
        :math:`L`, at least 2.

    Returns
    -------
    Tensor of shape (n, D), float64
    """
    L = check_size(n_levels, "n_levels", 2)
    return 2.0 * x.double() / (L - 1) - 1.0


def from_unit_interval(y: Tensor, n_levels: int) -> Tensor:
    """The nearest level to each value of ``y`` (the inverse of :func:`to_unit_interval`).

    Introduced in the chapter "Diffusion models: learning to remove noise".

    Parameters
    ----------
    y : Tensor of shape (n, D)
    n_levels : int

    Returns
    -------
    LongTensor of shape (n, D)
        Levels clipped to ``0 .. n_levels - 1``.
    """
    L = check_size(n_levels, "n_levels", 2)
    return torch.round((y + 1.0) * (L - 1) / 2.0).clamp(0, L - 1).long()


def discretized_gaussian_log_prob(x: Tensor, mean: Tensor, std: float, n_levels: int) -> Tensor:
    r"""Log-probability of level :math:`x` under a Gaussian discretized on the level bins.

    Level :math:`k` of :math:`L` sits at :math:`c_k = 2k/(L-1) - 1` and owns the bin
    :math:`[c_k - \delta, c_k + \delta]`, :math:`\delta = 1/(L-1)`; the bins of levels
    0 and :math:`L - 1` reach :math:`-\infty` and :math:`+\infty`, so the probabilities of
    the :math:`L` levels sum to one. Computed in log space from the normal's log-CDF
    (a difference of two upper-tail CDFs where the bin is above the mean), so that it is
    accurate far in the tails.

    Introduced in the chapter "Diffusion models: learning to remove noise".

    Parameters
    ----------
    x : LongTensor of shape (n, D)
        Levels ``0 .. n_levels - 1``.
    mean : Tensor of shape (n, D)
        The Gaussian's means, on the scale of :func:`to_unit_interval`.
    std : float
        Its standard deviation, > 0.
    n_levels : int

    Returns
    -------
    Tensor of shape (n, D)
        :math:`\log P(x_{ij})`, per pixel.
    """
    L = check_size(n_levels, "n_levels", 2)
    s = check_rate(std, "std", positive=True)
    c = to_unit_interval(x, L).to(mean.dtype)
    delta = 1.0 / (L - 1)
    inf = torch.tensor(math.inf, dtype=mean.dtype)
    lo = torch.where(x == 0, -inf, (c - delta - mean) / s)
    hi = torch.where(x == L - 1, inf, (c + delta - mean) / s)
    # P = Phi(hi) - Phi(lo) = Phi(-lo) - Phi(-hi); use the form whose CDFs are the smaller
    upper = lo > 0
    a = torch.where(upper, -hi, lo)
    b = torch.where(upper, -lo, hi)
    log_b, log_a = torch.special.log_ndtr(b), torch.special.log_ndtr(a)
    out: Tensor = log_b + torch.log1p(-torch.exp(log_a - log_b))
    return out


class NoiseSchedule:
    r"""The variances :math:`\beta_1, \dots, \beta_T` of the forward steps, and what follows.

    A linear schedule from ``beta_start`` to ``beta_end``, as in Ho et al. (2020). All
    quantities are float64 tensors indexed by :math:`t = 1, \dots, T` at position
    ``t - 1``.

    Introduced in the chapter "Diffusion models: learning to remove noise".

    Parameters
    ----------
    n_steps : int
        :math:`T`, at least 1.
    beta_start, beta_end : float
        :math:`\beta_1` and :math:`\beta_T`, with
        :math:`0 < \beta_1 \le \beta_T < 1`.

    Attributes
    ----------
    betas, alphas, alpha_bars : Tensor of shape (T,)
        :math:`\beta_t`, :math:`\alpha_t = 1 - \beta_t`,
        :math:`\bar\alpha_t = \prod_{s \le t} \alpha_s`.
    """

    def __init__(self, n_steps: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> None:
        T = check_size(n_steps, "n_steps", 1)
        b1 = check_rate(beta_start, "beta_start", positive=True)
        bT = check_rate(beta_end, "beta_end", positive=True)
        if not b1 <= bT < 1:
            raise ValueError(
                f"need 0 < beta_start <= beta_end < 1; got {beta_start!r} and {beta_end!r}"
            )
        check_output_size((T,), name="n_steps", what="the schedule")
        self.n_steps = T
        self.betas = torch.linspace(b1, bT, T, dtype=torch.float64)
        self.alphas = 1.0 - self.betas
        self.alpha_bars = torch.cumprod(self.alphas, dim=0)

    def _check_t(self, t: Tensor, least: int) -> Tensor:
        t = torch.as_tensor(t)
        if t.dtype.is_floating_point or t.dtype == torch.bool:
            raise ValueError(f"t must hold integer steps; got dtype {t.dtype}")
        if t.numel() and (int(t.min()) < least or int(t.max()) > self.n_steps):
            raise ValueError(f"t must be in {least} .. {self.n_steps}; got {t.tolist()}")
        return t.long()

    def marginal(self, x0: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
        r"""Mean and standard deviation of :math:`q(x_t \mid x_0)`.

        Parameters
        ----------
        x0 : Tensor of shape (n, D)
        t : LongTensor of shape (n,)
            Steps in ``1 .. T``.

        Returns
        -------
        mean : Tensor of shape (n, D)
            :math:`\sqrt{\bar\alpha_t}\, x_0`.
        std : Tensor of shape (n, 1)
            :math:`\sqrt{1 - \bar\alpha_t}`.
        """
        a_bar = self.alpha_bars[self._check_t(t, 1) - 1].to(x0.dtype)[:, None]
        return a_bar.sqrt() * x0, (1.0 - a_bar).sqrt()

    def posterior(self, x0: Tensor, x_t: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
        r"""Mean and variance of :math:`q(x_{t-1} \mid x_t, x_0)`, for :math:`t \ge 2`.

        Parameters
        ----------
        x0, x_t : Tensor of shape (n, D)
        t : LongTensor of shape (n,)
            Steps in ``2 .. T``.

        Returns
        -------
        mean : Tensor of shape (n, D)
            :math:`\tilde\mu_t`.
        var : Tensor of shape (n, 1)
            :math:`\tilde\beta_t`.
        """
        i = self._check_t(t, 2) - 1
        beta = self.betas[i].to(x0.dtype)[:, None]
        a_bar = self.alpha_bars[i].to(x0.dtype)[:, None]
        a_bar_prev = self.alpha_bars[i - 1].to(x0.dtype)[:, None]
        mean = (a_bar_prev.sqrt() * beta * x0 + (1 - beta).sqrt() * (1 - a_bar_prev) * x_t) / (
            1 - a_bar
        )
        return mean, (1 - a_bar_prev) / (1 - a_bar) * beta


def _time_features(t: Tensor, n_steps: int, dim: int) -> Tensor:
    """Sinusoidal features of the step, as in the Transformer and DDPM: shape (n, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(1000.0) * torch.arange(half, dtype=torch.float64) / half)
    angles = (t.double()[:, None] / n_steps) * 1000.0 * freqs[None, :]
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


class DDPM(nn.Module):
    r"""A DDPM of images with ``n_levels`` grey levels: noise schedule and noise predictor.

    The noise predictor :math:`\varepsilon_\theta(x_t, t)` is a multilayer perceptron
    (SiLU) on the pixels and sinusoidal features of :math:`t`.

    Introduced in the chapter "Diffusion models: learning to remove noise".

    Parameters
    ----------
    n_pixels : int
        :math:`D`, at least 1.
    n_levels : int
        :math:`L`, at least 2.
    n_steps : int, default 1000
        :math:`T`.
    hidden : int, default 256
        Width of the two hidden layers.
    beta_start, beta_end : float
        The linear schedule (:class:`NoiseSchedule`).
    time_features : int, default 32
        Sinusoidal features of :math:`t`, an even number >= 2.
    """

    def __init__(
        self,
        n_pixels: int,
        n_levels: int,
        n_steps: int = 1000,
        hidden: int = 256,
        beta_start: float = 1e-4,
        beta_end: float = 0.02,
        time_features: int = 32,
    ) -> None:
        super().__init__()
        D = check_size(n_pixels, "n_pixels", 1)
        L = check_size(n_levels, "n_levels", 2)
        H = check_size(hidden, "hidden", 1)
        F = check_size(time_features, "time_features", 2)
        if F % 2:
            raise ValueError(f"time_features must be even; got {time_features!r}")
        n_weights = (D + F) * H + H * H + H * D
        check_output_size((n_weights,), name="DDPM's sizes", itemsize=4, what="the weights")
        self.n_pixels, self.n_levels, self.time_features = D, L, F
        self.schedule = NoiseSchedule(n_steps, beta_start, beta_end)
        self.net = nn.Sequential(
            nn.Linear(D + F, H), nn.SiLU(), nn.Linear(H, H), nn.SiLU(), nn.Linear(H, D)
        )

    @property
    def n_steps(self) -> int:
        """:math:`T`."""
        return self.schedule.n_steps

    @property
    def dtype(self) -> torch.dtype:
        """The floating-point type of the weights (float32 unless converted)."""
        return next(self.parameters()).dtype

    def predict_noise(self, x_t: Tensor, t: Tensor) -> Tensor:
        r""":math:`\varepsilon_\theta(x_t, t)`.

        Parameters
        ----------
        x_t : Tensor of shape (n, n_pixels)
        t : LongTensor of shape (n,)
            Steps in ``1 .. T``.

        Returns
        -------
        Tensor of shape (n, n_pixels)
        """
        feats = _time_features(t, self.n_steps, self.time_features).to(x_t.dtype)
        out: Tensor = self.net(torch.cat([x_t, feats], dim=1))
        return out

    def reverse_mean(self, x_t: Tensor, t: Tensor) -> Tensor:
        r"""The reverse step's mean, from the predicted noise.

        :math:`\mu_\theta(x_t, t) = (x_t - \beta_t \varepsilon_\theta /
        \sqrt{1 - \bar\alpha_t}) / \sqrt{\alpha_t}`.

        Parameters
        ----------
        x_t : Tensor of shape (n, n_pixels)
        t : LongTensor of shape (n,)

        Returns
        -------
        Tensor of shape (n, n_pixels)
        """
        i = self.schedule._check_t(t, 1) - 1
        beta = self.schedule.betas[i].to(x_t.dtype)[:, None]
        a_bar = self.schedule.alpha_bars[i].to(x_t.dtype)[:, None]
        eps = self.predict_noise(x_t, t)
        return (x_t - beta / (1 - a_bar).sqrt() * eps) / (1 - beta).sqrt()

    def _check_images(self, x: Any, name: str = "x") -> Tensor:
        device = next(self.parameters()).device
        return check_level_images(x, self.n_pixels, self.n_levels, device, name)

    def loss(self, x: Any, generator: torch.Generator | None = None) -> Tensor:
        r"""The simple loss on a batch of images.

        The mean over images of
        :math:`\lVert \varepsilon - \varepsilon_\theta(x_t, t) \rVert^2 / D`, one random
        :math:`t` and :math:`\varepsilon` per image.

        Parameters
        ----------
        x : LongTensor of shape (n, n_pixels)
            Levels.
        generator : torch.Generator, optional

        Returns
        -------
        Tensor of shape ()
        """
        levels = self._check_images(x)
        x0 = to_unit_interval(levels, self.n_levels).to(self.dtype)
        t = torch.randint(1, self.n_steps + 1, (x0.shape[0],), generator=generator)
        eps = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
        mean, std = self.schedule.marginal(x0, t)
        return ((eps - self.predict_noise(mean + std * eps, t)) ** 2).mean()

    @torch.no_grad()
    def sample(
        self, n: int, *, generator: torch.Generator | None = None, return_path: bool = False
    ) -> Tensor | tuple[Tensor, Tensor]:
        r"""Draw ``n`` images by ancestral sampling, from :math:`x_T \sim \mathcal N(0, I)`.

        Steps :math:`t = T, \dots, 2` draw :math:`x_{t-1} \sim p_\theta(x_{t-1} \mid x_t)`;
        the last one returns the most probable level of the discretized decoder, the level
        nearest to :math:`\mu_\theta(x_1, 1)`.

        Parameters
        ----------
        n : int
            At least 1; refused if the output would exceed
            ``genlab._validation.MAX_OUTPUT_BYTES``.
        generator : torch.Generator, optional
        return_path : bool, default False
            Also return every :math:`x_t`.

        Returns
        -------
        LongTensor of shape (n, n_pixels)
            The images, levels ``0 .. n_levels - 1``.
        path : Tensor of shape (T, n, n_pixels)
            With ``return_path``: ``path[t - 1]`` is :math:`x_t` (``path[0]`` is
            :math:`x_1`).
        """
        n = check_size(n, "n", 1)
        shape = (self.n_steps if return_path else 1, n, self.n_pixels)
        check_output_size(shape, name="n", what="the samples")
        sched = self.schedule
        x = torch.randn(n, self.n_pixels, generator=generator, dtype=self.dtype)
        path = [x] if return_path else []
        for step in range(self.n_steps, 1, -1):
            t = torch.full((n,), step, dtype=torch.long)
            mean = self.reverse_mean(x, t)
            var = (1 - sched.alpha_bars[step - 2]) / (1 - sched.alpha_bars[step - 1])
            var = var * sched.betas[step - 1]
            z = torch.randn(x.shape, generator=generator, dtype=x.dtype)
            x = mean + math.sqrt(float(var)) * z
            if return_path:
                path.append(x)
        last = self.reverse_mean(x, torch.ones(n, dtype=torch.long))
        images = from_unit_interval(last, self.n_levels)
        if return_path:
            return images, torch.stack(path[::-1])
        return images


def _gaussian_kl(mean_q: Tensor, var_q: Tensor, mean_p: Tensor, var_p: Tensor) -> Tensor:
    r"""KL divergence of two Gaussians with scalar variances, summed over the last axis.

    :math:`\mathrm{KL}(\mathcal N(\mu_q, v_q I) \Vert \mathcal N(\mu_p, v_p I))`.
    """
    per_pixel = 0.5 * (torch.log(var_p / var_q) + (var_q + (mean_q - mean_p) ** 2) / var_p - 1)
    return per_pixel.sum(dim=-1)


def nll_bound_terms_reference(
    model: DDPM, x: Any, *, generator: torch.Generator | None = None
) -> Tensor:
    r"""The terms :math:`L_0, L_1, \dots, L_T` of the bound, one step at a time.

    The version that reads like the bound: for each image and each :math:`t`, one draw
    :math:`x_t \sim q(x_t \mid x_0)` and the KL divergence (or, for :math:`t = 1`, the
    decoder's negative log-probability) at that draw. The sum over the terms is an
    unbiased estimate of the bound on :math:`-\log P_\theta(x)`, in nats.

    Introduced in the chapter "Diffusion models: learning to remove noise".

    Parameters
    ----------
    model : DDPM
    x : LongTensor or array_like of shape (n, n_pixels)
        Levels.
    generator : torch.Generator, optional
        The source of the draws of :math:`x_t`.

    Returns
    -------
    Tensor of shape (n, T + 1)
        Column 0 is :math:`L_0`, column :math:`t - 1` for :math:`2 \le t \le T` is
        :math:`L_{t-1}`, and column :math:`T` is the prior term :math:`L_T`.
    """
    if not isinstance(model, DDPM):
        raise ValueError(f"model must be a genlab.diffusion.DDPM; got {type(model).__name__}")
    levels = model._check_images(x)
    sched, T = model.schedule, model.n_steps
    x0 = to_unit_interval(levels, model.n_levels).to(model.dtype)
    n = x0.shape[0]
    columns = []
    with torch.no_grad():
        for step in range(1, T + 1):
            t = torch.full((n,), step, dtype=torch.long)
            mean, std = sched.marginal(x0, t)
            x_t = mean + std * torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
            mu = model.reverse_mean(x_t, t)
            if step == 1:
                std_1 = math.sqrt(float(sched.betas[0]))
                log_p = discretized_gaussian_log_prob(levels, mu, std_1, model.n_levels)
                columns.append(-log_p.sum(dim=1))
            else:
                post_mean, post_var = sched.posterior(x0, x_t, t)
                columns.append(_gaussian_kl(post_mean, post_var, mu, post_var))
        mean_T, std_T = sched.marginal(x0, torch.full((n,), T, dtype=torch.long))
        one = torch.ones((), dtype=x0.dtype)
        columns.append(_gaussian_kl(mean_T, std_T**2, torch.zeros_like(x0), one))
    return torch.stack(columns, dim=1)


def nll_bound_terms(
    model: DDPM, x: Any, *, generator: torch.Generator | None = None, batch_steps: int = 50
) -> Tensor:
    r""":func:`nll_bound_terms_reference`, with many steps per network call.

    The same draws in the same order, so the same terms up to rounding; ``batch_steps``
    steps of every image go through the network together.

    Introduced in the chapter "Diffusion models: learning to remove noise".

    Parameters
    ----------
    model : DDPM
    x : LongTensor or array_like of shape (n, n_pixels)
    generator : torch.Generator, optional
    batch_steps : int, default 50
        Steps per call, at least 1.

    Returns
    -------
    Tensor of shape (n, T + 1)
    """
    if not isinstance(model, DDPM):
        raise ValueError(f"model must be a genlab.diffusion.DDPM; got {type(model).__name__}")
    levels = model._check_images(x)
    chunk = check_size(batch_steps, "batch_steps", 1)
    sched, T, D = model.schedule, model.n_steps, model.n_pixels
    x0 = to_unit_interval(levels, model.n_levels).to(model.dtype)
    n = x0.shape[0]
    check_output_size((T + 1, n, D), name="x", what="the bound's intermediate arrays")
    # the reference draws step by step, each an (n, D) block: draw them in that order
    noise = torch.stack(
        [torch.randn(x0.shape, generator=generator, dtype=x0.dtype) for _ in range(T)]
    )
    terms = torch.empty(n, T + 1, dtype=x0.dtype)
    with torch.no_grad():
        for start in range(1, T + 1, chunk):
            steps = torch.arange(start, min(start + chunk, T + 1))
            k = len(steps)
            t = steps.repeat_interleave(n)
            x0_rep = x0.repeat(k, 1)
            mean, std = sched.marginal(x0_rep, t)
            x_t = mean + std * noise[steps - 1].reshape(k * n, D)
            mu = model.reverse_mean(x_t, t)
            kl = torch.zeros(k * n, dtype=x0.dtype)
            later = t >= 2
            if bool(later.any()):
                post_mean, post_var = sched.posterior(x0_rep[later], x_t[later], t[later])
                kl[later] = _gaussian_kl(post_mean, post_var, mu[later], post_var)
            if start == 1:
                std_1 = math.sqrt(float(sched.betas[0]))
                log_p = discretized_gaussian_log_prob(levels, mu[:n], std_1, model.n_levels)
                kl[:n] = -log_p.sum(dim=1)
            terms[:, steps - 1] = kl.reshape(k, n).T
        mean_T, std_T = sched.marginal(x0, torch.full((n,), T, dtype=torch.long))
        one = torch.ones((), dtype=x0.dtype)
        terms[:, T] = _gaussian_kl(mean_T, std_T**2, torch.zeros_like(x0), one)
    return terms


def _gaussian_log_density(x: Tensor, mean: Tensor, var: float) -> Tensor:
    r""":math:`\log \mathcal N(x; \mu, v I)`, summed over the last axis."""
    return -0.5 * (math.log(2 * math.pi * var) + (x - mean) ** 2 / var).sum(dim=-1)


def trajectory_log_weights(
    model: DDPM,
    x: Any,
    k: int,
    *,
    generator: torch.Generator | None = None,
    batch_steps: int = 50,
) -> Tensor:
    r"""Log importance weights of :math:`k` whole forward trajectories per image, in nats.

    Each trajectory :math:`x_{1:T}` is drawn from the forward process, step by step,
    :math:`x_t = \sqrt{1 - \beta_t}\, x_{t-1} + \sqrt{\beta_t}\, \varepsilon_t`, and weighed
    by how much more probable the reverse process makes it:

    .. math::

        \log w = \log p(x_T) + \sum_{t=2}^{T} \log p_\theta(x_{t-1} \mid x_t)
        + \log P_\theta(x \mid x_1) - \sum_{t=1}^{T} \log q(x_t \mid x_{t-1}),

    with :math:`p(x_T) = \mathcal N(0, I)`, :math:`p_\theta(x_{t-1} \mid x_t) =
    \mathcal N(\mu_\theta(x_t, t), \tilde\beta_t I)` and the discretized decoder
    :math:`P_\theta(x \mid x_1)` (:func:`discretized_gaussian_log_prob`). Since
    :math:`\mathbb E_q[w] = P_\theta(x)`, the mean of the weights is an unbiased estimate
    of the likelihood (its log is :func:`iwae_bound`), and the mean of the log weights one
    of the ELBO, whose negative :func:`nll_bound_terms` decomposes.

    The noise is drawn step by step, :math:`t = 1, \dots, T`, each step one
    ``torch.randn((k, n, n_pixels), dtype=model.dtype)`` on the generator (entry ``[s, i]``
    for trajectory ``s`` of image ``i``), so the draws do not depend on ``batch_steps``. Every
    ``batch_steps`` steps, the reverse means of those steps go through the network in
    one call; only those steps of the trajectories are held in memory.

    Introduced in the chapter "Diffusion models: learning to remove noise".

    Parameters
    ----------
    model : DDPM
    x : LongTensor or array_like of shape (n, n_pixels)
        Levels.
    k : int
        Trajectories per image, at least 1.
    generator : torch.Generator, optional
        The source of the noise.
    batch_steps : int, default 50
        Steps per network call, at least 1. Refused if the arrays of a call, of shape
        ``(min(batch_steps, T) + 1, k, n, n_pixels)`` in the model's dtype, would exceed
        ``genlab._validation.MAX_OUTPUT_BYTES`` (the network's activations for those steps
        come on top): ask for fewer images, a smaller ``k`` or fewer ``batch_steps``.

    Returns
    -------
    Tensor of shape (k, n)
        :math:`\log w` of each trajectory, in the model's dtype.
    """
    if not isinstance(model, DDPM):
        raise ValueError(f"model must be a genlab.diffusion.DDPM; got {type(model).__name__}")
    levels = model._check_images(x)
    k = check_size(k, "k", 1)
    chunk = check_size(batch_steps, "batch_steps", 1)
    sched, T, D, L = model.schedule, model.n_steps, model.n_pixels, model.n_levels
    x0 = to_unit_interval(levels, L).to(model.dtype)
    n = x0.shape[0]
    check_output_size(
        (min(chunk, T) + 1, k, n, D),
        name="k",
        itemsize=x0.element_size(),
        what="the trajectories' steps in one network call",
    )
    log_w = torch.zeros(k, n, dtype=x0.dtype)
    x_prev = x0.expand(k, n, D)  # x_0, the start of every trajectory
    with torch.no_grad():
        for start in range(1, T + 1, chunk):
            steps = range(start, min(start + chunk, T + 1))
            # forward: x_t ~ q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I)
            path = [x_prev]  # x_{start - 1}, x_start, ...
            for step in steps:
                beta = float(sched.betas[step - 1])
                mean = math.sqrt(1 - beta) * path[-1]
                eps = torch.randn((k, n, D), generator=generator, dtype=x0.dtype)
                path.append(mean + math.sqrt(beta) * eps)
                log_w -= _gaussian_log_density(path[-1], mean, beta)
            # reverse: mu_theta(x_t, t) for every step of the chunk, in one call
            x_t = torch.stack(path[1:])
            t = torch.arange(steps.start, steps.stop).repeat_interleave(k * n)
            mu = model.reverse_mean(x_t.reshape(-1, D), t).reshape(x_t.shape)
            for j, step in enumerate(steps):
                if step == 1:  # log P(x | x_1), the discretized decoder
                    std_1 = math.sqrt(float(sched.betas[0]))
                    mu_1 = mu[j].reshape(k * n, D)
                    log_p = discretized_gaussian_log_prob(levels.repeat(k, 1), mu_1, std_1, L)
                    log_w += log_p.sum(dim=1).reshape(k, n)
                else:  # log p(x_{t-1} | x_t) = log N(x_{t-1}; mu_theta(x_t, t), tilde beta_t I)
                    a_bar, a_bar_prev = sched.alpha_bars[step - 1], sched.alpha_bars[step - 2]
                    var = float((1 - a_bar_prev) / (1 - a_bar) * sched.betas[step - 1])
                    log_w += _gaussian_log_density(path[j], mu[j], var)
            x_prev = path[-1]
        log_w += _gaussian_log_density(x_prev, torch.zeros_like(x_prev), 1.0)  # log p(x_T)
    return log_w


def iwae_bound(
    model: DDPM,
    x: Any,
    k: int,
    *,
    generator: torch.Generator | None = None,
    batch_steps: int = 50,
) -> Tensor:
    r"""The importance-weighted bound on :math:`\log P_\theta(x)`, over whole trajectories.

    :math:`\log \frac1k \sum_{s=1}^k w_s` for the weights :math:`w_s` of :math:`k`
    forward trajectories (:func:`trajectory_log_weights`, same draws), combined by
    log-sum-exp. Its expectation :math:`\mathrm{IWAE}_k` is at most
    :math:`\log P_\theta(x)` and rises to it with :math:`k`; :math:`\mathrm{IWAE}_1` is
    the ELBO, minus the expected sum of :func:`nll_bound_terms`. A single estimate can be
    above :math:`\log P_\theta(x)`, but not on average.

    Introduced in the chapter "Diffusion models: learning to remove noise".

    Parameters
    ----------
    model : DDPM
    x : LongTensor or array_like of shape (n, n_pixels)
        Levels.
    k : int
        Trajectories per image, at least 1.
    generator : torch.Generator, optional
    batch_steps : int, default 50
        As in :func:`trajectory_log_weights`.

    Returns
    -------
    Tensor of shape (n,)
        One estimate of :math:`\mathrm{IWAE}_k` per image, in nats (a log-probability:
        negate it for a bound on :math:`-\log P_\theta(x)`).
    """
    log_w = trajectory_log_weights(model, x, k, generator=generator, batch_steps=batch_steps)
    return torch.logsumexp(log_w, dim=0) - math.log(log_w.shape[0])


def train_ddpm(
    model: DDPM,
    X: ArrayLike,
    *,
    steps: int = 5000,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = True,
) -> list[float]:
    r"""Fit a DDPM's noise predictor with Adam on the simple loss.

    Each step draws a batch of images (with replacement, seeded), one step :math:`t` and
    one noise :math:`\varepsilon` per image. A NaN or infinite loss stops training with a
    ValueError.

    Introduced in the chapter "Diffusion models: learning to remove noise".

    Parameters
    ----------
    model : DDPM
    X : array_like of shape (n_images, n_pixels)
        Integer levels.
    steps, batch_size : int
        Optimisation steps and images per step, each at least 1.
    lr : float
        Finite and > 0.
    seed : int
        Seeds the batches, the steps and the noise, 0 to 2**63 - 1.
    progress : bool
        A tqdm bar of the steps (``TQDM_DISABLE=1`` turns it off).

    Returns
    -------
    list of float
        The loss of each step.
    """
    from tqdm.auto import tqdm

    if not isinstance(model, DDPM):
        raise ValueError(f"model must be a genlab.diffusion.DDPM; got {type(model).__name__}")
    x = model._check_images(X, "X")
    if x.shape[0] == 0:
        raise ValueError("X is empty; it needs at least one image")
    n_steps = check_size(steps, "steps", 1)
    size = check_size(batch_size, "batch_size", 1)
    rate = check_rate(lr, "lr", positive=True)
    seed_ = check_size(seed, "seed", 0)
    if seed_ >= 2**63:
        raise ValueError(f"seed must be below 2**63; got {seed_}")
    g = torch.Generator().manual_seed(seed_)
    optimiser = torch.optim.Adam(model.parameters(), lr=rate)
    history: list[float] = []
    model.train()
    bar: dict[str, Any] = {} if progress else {"disable": True}
    for step in tqdm(range(n_steps), desc="DDPM", unit="step", **bar):
        batch = x[torch.randint(0, x.shape[0], (size,), generator=g)]
        loss = model.loss(batch, generator=g)
        optimiser.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        history.append(float(loss.detach()))
        if not math.isfinite(history[-1]):
            raise ValueError(
                f"training diverged at step {step + 1}: the loss is NaN or infinite; lower lr "
                f"(now {lr})"
            )
    model.eval()
    return history
