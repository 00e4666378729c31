r"""The quality of a model's samples: a "digit FID" and the coverage of the digits' classes.

Held-out likelihood (bits per pixel) says how well a model predicts real images; it does not
say how good the model's *samples* look. The standard measure of sample quality is the
Fréchet Inception Distance (FID; Heusel, Ramsauer, Unterthiner, Nessler & Hochreiter, 2017).
Pass real images and generated images through a trained image classifier, keep the
activations of a late hidden layer (the *features*), fit a Gaussian to each set of
features, :math:`\mathcal N(m_1, S_1)` for the real and :math:`\mathcal N(m_2, S_2)` for the
generated ones, and report the Fréchet (2-Wasserstein) distance between the two Gaussians,
squared (as FID always is):

.. math::

    \mathrm{FD} = \lVert m_1 - m_2 \rVert^2 + \operatorname{tr} S_1 + \operatorname{tr} S_2
      - 2 \operatorname{tr}\bigl( (S_1^{1/2} S_2 S_1^{1/2})^{1/2} \bigr).

It is 0 when the two Gaussians are equal and grows both when the samples look unlike real
images (the means move apart) and when they lack variety (the covariances differ). For our
small images the classifier is not Inception but a small network trained on real digits
(:class:`FeatureClassifier`), hence "digit FID"; the classes it assigns to generated
samples also give their **mode coverage** (:func:`class_coverage`): does the model draw
every digit, and in the right proportions?

Its known flaws, which the book states:

* **It depends on the number of images.** The statistics are estimated from samples, and
  the estimate of FD is biased upward, more so for fewer images (two samples of the *same*
  distribution do not score 0). Compare models only at the same number of images.
* **It depends entirely on the feature network.** A distance in the features of another
  classifier is another number; scores from different networks (or from "FID" of other
  papers) cannot be compared.
* **It is a Gaussian summary.** Only the mean and covariance of the features count; two
  very different distributions of features with the same first two moments score 0.
* **It is blind to memorisation.** A "model" that returns copies of its training images
  scores as well as the real data: FID says nothing about generalisation, which is what
  held-out likelihood measures.

Import it explicitly (``from genlab import quality``): it loads PyTorch.

Introduced in the chapter "The VAE's likelihood and the scoreboard".
"""

from __future__ import annotations

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
from genlab._validation import check_array, check_levels, check_output_size

__all__ = [
    "FeatureClassifier",
    "class_coverage",
    "digit_fid",
    "frechet_distance",
    "gaussian_statistics",
    "train_feature_classifier",
]

#: Relative tolerance of the checks for symmetry and positive semi-definiteness, and of the
#: clipping of a slightly negative distance to 0.
_RTOL = 1e-9


# ------------------------------------------------------------------ the distance
def _check_gaussian(
    mean: ArrayLike, cov: ArrayLike, names: tuple[str, str], d: int | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """A mean of shape (d,) and a symmetric, positive semi-definite (d, d) covariance."""
    m = check_array(mean, name=names[0], ndim=1)
    S = check_array(cov, name=names[1], ndim=2)
    if d is not None and len(m) != d:
        raise ValueError(f"{names[0]} has {len(m)} dimensions; mean1 has {d}")
    if S.shape != (len(m), len(m)):
        raise ValueError(f"{names[1]} must have shape {(len(m), len(m))}; got {S.shape}")
    scale = float(np.abs(S).max())
    if np.abs(S - S.T).max() > _RTOL * scale:
        raise ValueError(
            f"{names[1]} is not symmetric (largest |S - S.T|: {np.abs(S - S.T).max():g})"
        )
    S = (S + S.T) / 2
    smallest = float(np.linalg.eigvalsh(S)[0])
    if smallest < -_RTOL * len(m) * scale:
        raise ValueError(
            f"{names[1]} is not positive semi-definite (an eigenvalue of {smallest:g}); it is "
            "not a covariance"
        )
    return m, S


def _sqrt_psd(S: NDArray[np.float64]) -> NDArray[np.float64]:
    r"""The symmetric square root :math:`V \sqrt{\Lambda} V^\top` of a PSD matrix.

    Eigenvalues that rounding made slightly negative are taken as 0.
    """
    w, V = np.linalg.eigh(S)
    root: NDArray[np.float64] = (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T
    return root


def frechet_distance(
    mean1: ArrayLike, cov1: ArrayLike, mean2: ArrayLike, cov2: ArrayLike
) -> float:
    r"""The Fréchet (2-Wasserstein) distance between two Gaussians, squared.

    .. math::

        \lVert m_1 - m_2 \rVert^2 + \operatorname{tr} S_1 + \operatorname{tr} S_2
        - 2 \operatorname{tr}\bigl( (S_1^{1/2} S_2 S_1^{1/2})^{1/2} \bigr),

    with symmetric square roots computed from eigendecompositions (``numpy.linalg.eigh``).
    The last trace is computed as the sum of the singular values of
    :math:`S_1^{1/2} S_2^{1/2}` (the same number: :math:`(S_1^{1/2} S_2^{1/2})
    (S_1^{1/2} S_2^{1/2})^\top = S_1^{1/2} S_2 S_1^{1/2}`), which never squares the
    eigenvalues: from :math:`S_1^{1/2} S_2 S_1^{1/2}` itself, a singular covariance (a
    feature that never varies, such as a dead ReLU unit) would lose half the digits.
    The result is never negative in exact arithmetic; a value below 0 by no more than
    rounding (``1e-9`` times the sum of the traces and the squared distance of the means)
    is returned as 0.

    Introduced in the chapter "The VAE's likelihood and the scoreboard".

    Parameters
    ----------
    mean1 : array_like of shape (d,)
    cov1 : array_like of shape (d, d)
        Symmetric (to a relative ``1e-9``) and positive semi-definite.
    mean2 : array_like of shape (d,)
    cov2 : array_like of shape (d, d)

    Returns
    -------
    float
        The squared distance, in squared units of the features.

    Examples
    --------
    >>> frechet_distance([0.0], [[1.0]], [3.0], [[4.0]])  # (0 - 3)**2 + (1 - 2)**2
    10.0
    """
    m1, S1 = _check_gaussian(mean1, cov1, ("mean1", "cov1"))
    m2, S2 = _check_gaussian(mean2, cov2, ("mean2", "cov2"), d=len(m1))
    # tr((S1^1/2 S2 S1^1/2)^1/2): the sum of the singular values (the nuclear norm)
    cross = np.linalg.norm(_sqrt_psd(S1) @ _sqrt_psd(S2), ord="nuc")
    scale = float(np.sum((m1 - m2) ** 2) + np.trace(S1) + np.trace(S2))
    fd = scale - 2 * float(cross)
    return 0.0 if -_RTOL * scale <= fd < 0 else fd


def gaussian_statistics(features: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""The mean and the unbiased covariance of a set of feature vectors.

    Introduced in the chapter "The VAE's likelihood and the scoreboard".

    Parameters
    ----------
    features : array_like of shape (n, d)
        One row per image; at least 2 rows.

    Returns
    -------
    mean : ndarray of float64, shape (d,)
    cov : ndarray of float64, shape (d, d)
        :math:`\frac{1}{n - 1} \sum_i (f_i - m)(f_i - m)^\top`.
    """
    f = check_array(features, name="features", min_samples=2)
    check_output_size((f.shape[1], f.shape[1]), name="features", what="the covariance")
    mean = f.mean(axis=0)
    centred = f - mean
    return mean, centred.T @ centred / (len(f) - 1)


# ------------------------------------------------------------------ the classifier
def _check_classes(labels: ArrayLike, n: int, n_classes: int, name: str) -> NDArray[np.intp]:
    """``n`` classes in ``0 .. n_classes - 1``, one per image, or a ValueError naming them."""
    check_output_size((n_classes,), name="n_classes", what="the classes")
    arr = np.asarray(labels)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), one class per image; got {arr.shape}")
    bad = ~np.isin(arr, np.arange(n_classes))
    if np.any(bad):
        raise ValueError(
            f"{name} must hold the classes 0..{n_classes - 1} (n_classes={n_classes}); "
            f"{name}[{np.argmax(bad)}] is {arr[bad][0]}"
        )
    return arr.astype(np.intp)


class FeatureClassifier(nn.Module):
    """A small classifier of discrete images, whose last hidden layer gives the features.

    ``Linear(D, hidden) -> ReLU -> Linear(hidden, hidden) -> ReLU`` (the features) ``->
    Linear(hidden, n_classes)`` (the logits), on the levels scaled to :math:`[0, 1]` by
    :math:`x / (L - 1)`. Train it with :func:`train_feature_classifier`.

    Introduced in the chapter "The VAE's likelihood and the scoreboard".

    Parameters
    ----------
    n_pixels : int
        :math:`D`, at least 1 (64 for the 8x8 digits).
    n_levels : int
        :math:`L`, at least 2 (17 for the 8x8 digits).
    n_classes : int, default 10
        At least 2.
    hidden : int, default 64
        The width of both hidden layers, so the number of features; at least 1.
    """

    def __init__(self, n_pixels: int, n_levels: int, n_classes: int = 10, hidden: int = 64):
        super().__init__()
        D = check_size(n_pixels, "n_pixels", 1)
        L = check_size(n_levels, "n_levels", 2)
        C = check_size(n_classes, "n_classes", 2)
        H = check_size(hidden, "hidden", 1)
        check_output_size((D * H + H * H + H * C,), name="hidden", itemsize=4, what="the weights")
        self.n_pixels, self.n_levels, self.n_classes, self.hidden = D, L, C, H
        self.body = nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, H), nn.ReLU())
        self.head = nn.Linear(H, C)

    def _check_images(self, X: Any, name: str = "X") -> Tensor:
        """Images of integer levels as a tensor scaled to [0, 1], or a ValueError naming ``name``.

        Parameters
        ----------
        X : array_like or Tensor of shape (n_images, n_pixels)
            Levels ``0 .. n_levels - 1``.
        name : str
            The argument's name, for the message.

        Returns
        -------
        Tensor of shape (n_images, n_pixels)
            ``X / (n_levels - 1)``, in the dtype and on the device of the weights.
        """
        levels = check_levels(X.cpu() if isinstance(X, Tensor) else X, self.n_levels, name=name)
        if levels.shape[1] != self.n_pixels:
            raise ValueError(
                f"{name} must have shape (n_images, {self.n_pixels}); got {levels.shape}"
            )
        weight = self.head.weight
        return torch.as_tensor(levels / (self.n_levels - 1), dtype=weight.dtype).to(weight.device)

    def forward(self, x: Any) -> Tensor:
        """The logits of the classes.

        Parameters
        ----------
        x : array_like or Tensor of shape (n_images, n_pixels)
            Levels ``0 .. n_levels - 1``.

        Returns
        -------
        Tensor of shape (n_images, n_classes)
        """
        out: Tensor = self.head(self.body(self._check_images(x, "x")))
        return out

    @torch.no_grad()
    def features(self, X: ArrayLike) -> NDArray[np.float64]:
        """The activations of the last hidden layer (after its ReLU), in evaluation mode.

        Parameters
        ----------
        X : array_like of shape (n_images, n_pixels)
            Levels ``0 .. n_levels - 1``.

        Returns
        -------
        ndarray of float64, shape (n_images, hidden)
        """
        self.eval()
        out: NDArray[np.float64] = self.body(self._check_images(X)).double().cpu().numpy()
        return out

    @torch.no_grad()
    def predict(self, X: ArrayLike) -> NDArray[np.intp]:
        """The most probable class of each image.

        Parameters
        ----------
        X : array_like of shape (n_images, n_pixels)
            Levels ``0 .. n_levels - 1``.

        Returns
        -------
        ndarray of intp, shape (n_images,)
        """
        self.eval()
        logits = self.head(self.body(self._check_images(X)))
        out: NDArray[np.intp] = logits.argmax(dim=1).cpu().numpy().astype(np.intp)
        return out


def train_feature_classifier(
    X: ArrayLike,
    y: ArrayLike,
    *,
    n_levels: int,
    n_classes: int = 10,
    hidden: int = 64,
    epochs: int = 30,
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = True,
) -> FeatureClassifier:
    """Train a :class:`FeatureClassifier` on real images: Adam on the cross-entropy.

    ``seed`` sets both the initial weights and the shuffling of every epoch, so that the
    same call gives the same weights bit for bit (on one machine, under the book's pinned
    arithmetic); the weights are drawn inside ``torch.random.fork_rng``, so the caller's
    global PyTorch random state is left as it was.

    Introduced in the chapter "The VAE's likelihood and the scoreboard".

    Parameters
    ----------
    X : array_like of shape (n_images, n_pixels)
        Levels ``0 .. n_levels - 1``; at least one image.
    y : array_like of shape (n_images,)
        The classes, integers ``0 .. n_classes - 1``.
    n_levels : int
        :math:`L`, at least 2.
    n_classes : int, default 10
    hidden : int, default 64
        The number of features.
    epochs, batch_size : int
        At least 1.
    lr : float
        Adam's learning rate, finite and > 0.
    seed : int
        0 to 2**63 - 1.
    progress : bool
        A tqdm bar of the epochs (``TQDM_DISABLE=1`` turns it off).

    Returns
    -------
    FeatureClassifier
        In evaluation mode.
    """
    L = check_size(n_levels, "n_levels", 2)
    x = check_levels(X, L, name="X")
    C = check_size(n_classes, "n_classes", 2)
    labels = _check_classes(y, len(x), C, "y")
    n_epochs, size = check_size(epochs, "epochs", 1), check_size(batch_size, "batch_size", 1)
    rate, seed_ = check_rate(lr, "lr", positive=True), check_size(seed, "seed", 0)
    if seed_ >= 2**63:
        raise ValueError(f"seed must be below 2**63; got {seed_}")
    with torch.random.fork_rng(devices=[]):  # seed the weights, leave global state alone
        torch.manual_seed(seed_)
        model = FeatureClassifier(x.shape[1], L, C, hidden)
    inputs, targets = model._check_images(x), torch.as_tensor(labels)
    g = torch.Generator().manual_seed(seed_)
    optimiser = torch.optim.Adam(model.parameters(), lr=rate, fused=True)
    bar_options: dict[str, Any] = {} if progress else {"disable": True}
    model.train()
    for _ in tqdm(range(n_epochs), desc="classifier", unit="epoch", **bar_options):
        order = torch.randperm(len(x), generator=g)
        for start in range(0, len(x), size):
            batch = order[start : start + size]
            loss = F.cross_entropy(model.head(model.body(inputs[batch])), targets[batch])
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimiser.step()
    if not all(bool(torch.isfinite(p).all()) for p in model.parameters()):
        raise ValueError(
            f"training diverged: the weights are NaN or infinite; lower lr (now {lr})"
        )
    return model.eval()


# ------------------------------------------------------------------ the measures
def _feature_statistics(
    classifier: Any, X: ArrayLike, name: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The Gaussian statistics of a set of images' features; errors name ``name``."""
    if isinstance(classifier, FeatureClassifier):
        classifier._check_images(X, name)
    features = np.asarray(classifier.features(X), dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(
            f"{name} must hold at least 2 images; got features of shape {features.shape}"
        )
    return gaussian_statistics(features)


def digit_fid(classifier: FeatureClassifier, X_real: ArrayLike, X_generated: ArrayLike) -> float:
    """The "digit FID": the Fréchet distance between two sets of images' features.

    :func:`frechet_distance` of the :func:`gaussian_statistics` of the classifier's features
    of the real and of the generated images. Biased upward, more for fewer images: compare
    models only at equal numbers of images, with the same classifier.

    Introduced in the chapter "The VAE's likelihood and the scoreboard".

    Parameters
    ----------
    classifier : FeatureClassifier
        (Or any object with a ``features`` method.)
    X_real : array_like of shape (n_real, n_pixels)
        Levels; at least 2 images.
    X_generated : array_like of shape (n_generated, n_pixels)
        Levels; at least 2 images.

    Returns
    -------
    float
        0 for identical statistics; larger is worse.
    """
    real = _feature_statistics(classifier, X_real, "X_real")
    generated = _feature_statistics(classifier, X_generated, "X_generated")
    return frechet_distance(*real, *generated)


def class_coverage(
    classifier: FeatureClassifier, X_generated: ArrayLike, n_classes: int = 10
) -> dict[str, Any]:
    r"""Mode coverage: how often the classifier sees each class among generated images.

    A model that draws only some digits (mode collapse) misses classes or has a large total
    variation distance to the uniform distribution over the classes (the digits' own
    distribution is close to uniform).

    Introduced in the chapter "The VAE's likelihood and the scoreboard".

    Parameters
    ----------
    classifier : FeatureClassifier
        (Or any object with a ``predict`` method.)
    X_generated : array_like of shape (n_images, n_pixels)
        Levels; at least one image.
    n_classes : int, default 10
        The classes are ``0 .. n_classes - 1``.

    Returns
    -------
    dict
        ``"counts"`` (ndarray of int, shape (n_classes,)), ``"fractions"`` (counts / n),
        ``"total_variation"`` (:math:`\frac12 \sum_c |p_c - 1/C|`, between 0 and
        :math:`1 - 1/C`) and ``"missed"`` (the list of classes never predicted).
    """
    C = check_size(n_classes, "n_classes", 1)
    if isinstance(classifier, FeatureClassifier):
        classifier._check_images(X_generated, "X_generated")
    n = np.shape(X_generated)[0] if np.ndim(X_generated) else 0
    if n == 0:
        raise ValueError("X_generated holds no images; pass at least one")
    predicted = _check_classes(classifier.predict(X_generated), n, C, "predicted")
    counts = np.bincount(predicted, minlength=C)
    fractions = counts / counts.sum()
    return {
        "counts": counts,
        "fractions": fractions,
        "total_variation": float(0.5 * np.abs(fractions - 1 / C).sum()),
        "missed": [c for c in range(C) if counts[c] == 0],
    }
