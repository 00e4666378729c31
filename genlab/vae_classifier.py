r"""A VAE as a class-conditional density: importance-sampled likelihoods and a classifier.

A conditional VAE models :math:`p(x \mid y) = \int p(x \mid z, y)\, p(z)\, dz`. The integral
has no closed form, but the encoder's :math:`q(z \mid x, y)` is a good proposal for
importance sampling (Burda, Grosse & Salakhutdinov, 2016):

.. math::

    \log p(x \mid y) \approx \log \frac{1}{S} \sum_{s=1}^{S}
    \frac{p(x \mid z_s, y)\, p(z_s)}{q(z_s \mid x, y)},
    \qquad z_s \sim q(z \mid x, y).

With :math:`S = 1` the estimate is a one-sample ELBO; its expectation rises with
:math:`S` towards :math:`\log p(x \mid y)`. With it, a conditional VAE is one more
generative classifier: :math:`\hat y = \arg\max_y \log p(y) + \log p(x \mid y)`.

For grey-level pixels the Bernoulli decoder's "likelihood" is not normalised (the
cross-entropy of a grey target is never 0), so the estimate is a score rather than a
log-probability; every class scores the same :math:`x`, so it still ranks the classes.

Introduced in the book's chapter "Choosing a generative model"
(``book/choosing/choosing.ipynb``).
"""

from __future__ import annotations

import copy
import math
import numbers
from typing import Any, ClassVar

import numpy as np

try:
    import torch
except ModuleNotFoundError as exc:  # torch is genlab's "deep" extra
    from genlab._optional import torch_missing

    raise torch_missing(__name__) from exc
import torch.nn.functional as F
from numpy.typing import ArrayLike, NDArray
from torch import Tensor

from genlab._base import Interval, validate_params
from genlab._classifier import GenerativeClassifier
from genlab._validation import check_array, check_labels, check_output_size
from genlab.vae import VAE, ConditionalVAE, train

__all__ = ["ConditionalVAEClassifier", "log_likelihood"]

FloatArray = NDArray[np.float64]
_LOG_2PI = math.log(2 * math.pi)
#: ConditionalVAEClassifier scores the rows of X in blocks whose decoder outputs take at
#: most this many bytes (the estimates of a row do not depend on the other rows).
_SCORING_BLOCK_BYTES = 2**28
_LOG_LIKELIHOOD_CONSTRAINTS: dict[str, list[Any]] = {
    "model": [VAE],
    "n_samples": [Interval(numbers.Integral, 1, None)],
    "generator": [torch.Generator, None],
    "shared_noise": ["boolean"],
}


@torch.no_grad()
def log_likelihood(
    model: VAE,
    x: Tensor,
    y: Tensor | None = None,
    *,
    n_samples: int = 64,
    generator: torch.Generator | None = None,
    shared_noise: bool = False,
) -> Tensor:
    r"""Importance-sampling estimate of :math:`\log p(x)` (or :math:`\log p(x \mid y)`).

    Uses the encoder's :math:`q(z \mid x)` as the proposal and the Bernoulli decoder:
    :math:`\log \frac1S \sum_s p(x \mid z_s)\, p(z_s) / q(z_s \mid x)`, computed with
    log-sum-exp. ``n_samples=1`` gives a one-sample ELBO estimate; more samples give a
    tighter bound, converging to :math:`\log p(x)` (for binary :math:`x`; see the module
    notes for grey levels).

    The noise of example ``i`` is the ``i``-th block of the generator's stream, so with a
    seeded generator an example's estimate does not depend on how many examples are
    evaluated with it, only on its position. With ``shared_noise=True`` every example uses
    the same :math:`S` standard-normal draws (common random numbers): each estimate is
    still an unbiased importance-sampling estimate, and it depends only on its own example,
    not on its position or on the other examples of the batch.

    Introduced in the chapter "Choosing a generative model".

    Parameters
    ----------
    model : VAE or ConditionalVAE
    x : Tensor of shape (batch, input_dim)
        Values in [0, 1], the dtype and device of the model's weights (checked by
        :meth:`~genlab.vae.VAE.encode`, as are the labels).
    y : Tensor of shape (batch,), optional
        Integer labels, required by (and only by) a ConditionalVAE.
    n_samples : int, default 64
        Importance samples :math:`S` per example, >= 1. The decoder evaluates
        ``n_samples * batch`` codes at once: a request whose decoder outputs would exceed
        ``genlab._validation.MAX_OUTPUT_BYTES`` (4 GiB) is refused before any is drawn
        (evaluate fewer examples at a time).
    generator : torch.Generator, optional
        For reproducible estimates; the noise is drawn on its device (the CPU without one).
    shared_noise : bool, default False
        The same noise for every example (see above).

    Returns
    -------
    Tensor of shape (batch,)
        Estimated log-likelihood of each example, in nats.
    """
    validate_params(
        _LOG_LIKELIHOOD_CONSTRAINTS,
        {
            "model": model,
            "n_samples": n_samples,
            "generator": generator,
            "shared_noise": shared_noise,
        },
        "log_likelihood",
    )
    mu, logvar = model.encode(x, y)  # checks x (type, shape, NaN, [0, 1]) and y
    S, (B, L) = int(n_samples), mu.shape
    check_output_size(
        (S, B, max(model.config.input_dim, model.config.hidden_dim)),
        name="n_samples",
        itemsize=mu.element_size(),
        what=f"the decoder's outputs for n_samples={S} codes of each of {B} example(s)",
    )
    where = generator.device if generator is not None else torch.device("cpu")
    if shared_noise:  # S draws, the same for every example: (S, 1, L), broadcast
        eps = torch.randn((S, 1, L), generator=generator, dtype=mu.dtype, device=where)
        eps = eps.to(mu.device).expand(S, B, L)
    else:  # drawn example by example (B, S, L), then laid out sample by sample (S, B, L)
        eps = torch.randn((B, S, L), generator=generator, dtype=mu.dtype, device=where)
        eps = eps.transpose(0, 1).to(mu.device)
    z = mu + torch.exp(0.5 * logvar) * eps  # (S, B, L)
    labels = None if y is None else torch.as_tensor(y).reshape(-1).repeat(S)
    logits = model.decode(z.reshape(S * B, L), labels).reshape(S, B, -1)
    log_p_x_given_z = -F.binary_cross_entropy_with_logits(
        logits, x.expand(S, -1, -1), reduction="none"
    ).sum(dim=-1)
    log_p_z = (-0.5 * z.pow(2) - 0.5 * _LOG_2PI).sum(dim=-1)
    log_q_z = (-0.5 * eps.pow(2) - 0.5 * _LOG_2PI - 0.5 * logvar).sum(dim=-1)
    return torch.logsumexp(log_p_x_given_z + log_p_z - log_q_z, dim=0) - math.log(S)


class ConditionalVAEClassifier(GenerativeClassifier):
    r"""A generative classifier whose class-conditional densities come from one conditional VAE.

    .. math::

        \log p(x, c) = \log p(c) + \log p(x \mid c),

    with :math:`\log p(x \mid c)` estimated by :func:`log_likelihood` (importance sampling
    with the encoder as proposal). One :class:`~genlab.vae.ConditionalVAE` is trained on
    all classes; the label enters its encoder and decoder.

    Introduced in the chapter "Choosing a generative model".

    Parameters
    ----------
    latent_dim, hidden_dim : int, default 2, 256
        Sizes of the conditional VAE, >= 1.
    epochs, batch_size, lr, beta : int, int, float, float, default 100, 128, 0.002, 1.0
        Passed to :func:`genlab.vae.train`: integers >= 1, a finite ``lr > 0`` and a
        finite ``beta >= 0``.
    n_samples : int, default 64
        Importance samples per example and class when predicting, >= 1.
    priors : array_like of shape (n_classes,), optional
        Fixed class priors; by default the class frequencies.
    random_state : int, default 0
        An integer from 0 to 2**64 - 1. Seeds the initial weights (without touching
        PyTorch's global random state), the training run and the importance samples, so
        that predictions are reproducible for the same input (an example's noise depends
        on its row, see :func:`log_likelihood`).
    progress : bool, default False
        Show the training progress bar (see :func:`genlab.vae.train`).

    Notes
    -----
    :meth:`sample` returns decoded *means* (pixel probabilities) of :math:`z \sim
    \mathcal N(0, I)`, the images one usually shows, rather than binary draws from them.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
    priors_ : ndarray of shape (n_classes,)
    model_ : ConditionalVAE
    history_ : dict of lists
        The training history returned by :func:`genlab.vae.train`.
    n_features_in_ : int
    """

    _fitted_attributes = ("classes_", "model_", "priors_")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "latent_dim": [Interval(numbers.Integral, 1, None)],
        "hidden_dim": [Interval(numbers.Integral, 1, None)],
        "epochs": [Interval(numbers.Integral, 1, None)],
        "batch_size": [Interval(numbers.Integral, 1, None)],
        "lr": [Interval(numbers.Real, 0, math.inf, closed="neither")],
        "beta": [Interval(numbers.Real, 0, math.inf, closed="left")],
        "n_samples": [Interval(numbers.Integral, 1, None)],
        "priors": ["array-like", None],
        "random_state": [Interval(numbers.Integral, 0, 2**64 - 1)],  # torch's seeds: 64 bits
        "progress": ["boolean"],
    }

    def __init__(
        self,
        *,
        latent_dim: int = 2,
        hidden_dim: int = 256,
        epochs: int = 100,
        batch_size: int = 128,
        lr: float = 2e-3,
        beta: float = 1.0,
        n_samples: int = 64,
        priors: ArrayLike | None = None,
        random_state: int = 0,
        progress: bool = False,
    ) -> None:
        self.latent_dim = latent_dim
        self.hidden_dim = hidden_dim
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.beta = beta
        self.n_samples = n_samples
        self.priors = priors
        self.random_state = random_state
        self.progress = progress

    def fit(self, X: ArrayLike, y: ArrayLike) -> ConditionalVAEClassifier:
        """Train one conditional VAE on all classes and set the class priors.

        The parameters are checked first (see the class docstring), then the data; a
        training run that diverges stops with a ValueError (lower ``lr``).

        Introduced in the chapter "Choosing a generative model".

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Finite values in [0, 1].
        y : array_like of shape (n_samples,)
            At least two classes.

        Returns
        -------
        self
        """
        self._validate_params()
        X_ = self._check_n_features(check_array(X, name="X"), reset=True)
        # The labels before the range of X, so that a bad y is reported as such.
        labels = check_labels(y, len(X_), estimator=type(self).__name__)
        self._check_unit_interval(X_)
        classes = self._check_classes(labels)
        index = np.searchsorted(classes, labels)
        if self.priors is not None:  # checked before training, not after it
            self._fit_priors(np.ones(len(classes)), fixed=self.priors)
        with torch.random.fork_rng(devices=[]):  # seed the weights, leave global state alone
            torch.manual_seed(int(self.random_state))
            model = ConditionalVAE(
                len(classes),
                input_dim=X_.shape[1],
                hidden_dim=int(self.hidden_dim),
                latent_dim=int(self.latent_dim),
            )
        self.history_ = train(
            model,
            X_,
            index,
            epochs=int(self.epochs),
            batch_size=int(self.batch_size),
            lr=float(self.lr),
            beta=float(self.beta),
            seed=int(self.random_state),
            progress=bool(self.progress),
        )
        model.eval()
        self.model_ = model
        # Scored in float64 (the trained float32 weights, exactly): in float32 a row's
        # estimate would move in its last bits with the size of the batch it comes in.
        self._scoring_model = copy.deepcopy(model).double()
        self.classes_ = classes
        self.n_features_in_ = X_.shape[1]
        self._fit_priors(np.bincount(index, minlength=len(classes)), fixed=self.priors)
        return self

    def _check_X(self, X: ArrayLike, *, reset: bool) -> FloatArray:
        X_ = self._check_n_features(check_array(X, name="X"), reset=reset)
        self._check_unit_interval(X_)
        return X_

    @staticmethod
    def _check_unit_interval(X: FloatArray) -> None:
        lo, hi = X.min(), X.max()
        if lo < 0 or hi > 1:
            raise ValueError(
                f"X must lie in [0, 1] (Bernoulli decoder); its values range from {lo:g} to "
                f"{hi:g}: rescale the data first (e.g. with MinMaxScaler(clip=True))"
            )

    def _joint_log_likelihood(self, X: FloatArray) -> FloatArray:
        # In blocks of rows, so that a large X needs bounded memory: with shared noise a
        # row's estimate does not depend on the other rows (n_samples too large for even
        # one row is refused by log_likelihood).
        config = self._scoring_model.config
        per_row = int(self.n_samples) * max(config.input_dim, config.hidden_dim) * 8
        block = max(1, _SCORING_BLOCK_BYTES // per_row)
        blocks = [self._joint_block(X[i : i + block]) for i in range(0, len(X), block)]
        return np.asarray(np.vstack(blocks) + self._log_prior(), dtype=np.float64)

    def _joint_block(self, X: FloatArray) -> FloatArray:
        x = torch.as_tensor(X, dtype=torch.float64)
        columns = []
        for c in range(len(self.classes_)):
            # The same seed for every class: the classes are compared on equal noise. The
            # same noise for every example too, so that a prediction depends only on its
            # own example, not on where it stands in X or on the other rows.
            generator = torch.Generator().manual_seed(int(self.random_state))
            label = torch.full((len(x),), c, dtype=torch.long)
            columns.append(
                log_likelihood(
                    self._scoring_model,
                    x,
                    label,
                    n_samples=int(self.n_samples),
                    generator=generator,
                    shared_noise=True,
                )
                .double()
                .numpy()
            )
        return np.column_stack(columns)

    @torch.no_grad()
    def _sample_features(self, idx: NDArray[np.intp], rng: np.random.Generator) -> FloatArray:
        """Decoded means (pixel probabilities) of z ~ N(0, I) for each requested class."""
        z = torch.as_tensor(
            rng.standard_normal((len(idx), self.model_.config.latent_dim)), dtype=torch.float32
        )
        labels = torch.as_tensor(idx, dtype=torch.long)
        return np.asarray(torch.sigmoid(self.model_.decode(z, labels)).double().numpy())
