"""genlab: the companion package of an executable course on generative models.

Each public function or estimator names, in its docstring, the chapter of the
book that introduces it. The modules are small and follow the book:

``genlab.numerics``
    Log-space arithmetic (log-sum-exp, normalising log-weights), stable tie-breaking.
``genlab.gaussian``
    Normal densities, univariate and multivariate, and the Gaussian Bayes classifier.
``genlab.calibration``
    Reliability curves and the expected calibration error of a classifier's probabilities.
``genlab.plotting``
    The book's colour-blind-safe palette, figure style and shared plots.
``genlab.naive_bayes``
    Gaussian, multinomial and Bernoulli naive Bayes classifiers.
``genlab.text``
    Tokenising and counting words for the text classifiers.
``genlab.cluster``
    k-means with k-means++ seeding, and a canonical order for fitted clusters.
``genlab.mixture``
    Gaussian mixture models fitted by (soft or hard) EM, and one mixture per class.
``genlab.hmm``
    Hidden Markov models: forward-backward, Viterbi, Baum-Welch.
``genlab.vae``
    Autoencoders, variational autoencoders, beta-VAE and conditional VAE (PyTorch;
    import it explicitly, ``from genlab import vae``, so that the classical chapters do
    not load PyTorch).
``genlab.vae_classifier``
    A conditional VAE as a generative classifier: importance-sampled log-likelihoods
    (PyTorch; import it explicitly, like ``genlab.vae``).
``genlab.discrete``
    Exact models of discrete images: independent categorical pixels and a mixture of
    them fitted by EM.
``genlab.likelihood``
    The likelihood yardstick: bits per pixel, uniform dequantization (a lower bound on
    a continuous density's discrete log-likelihood), the digits' fixed split.
``genlab.autoregressive``
    MADE: an autoregressive network with masked weights, the exact likelihood of
    discrete images by the chain rule (PyTorch; import it explicitly, like
    ``genlab.vae``).
``genlab.flow``
    RealNVP: a normalizing flow of affine coupling layers, an exact density by the change
    of variables (PyTorch; import it explicitly, like ``genlab.vae``).
``genlab.diffusion``
    A denoising diffusion model (DDPM) of discrete images: the forward noising process in
    closed form, a noise-predicting network, ancestral sampling and the variational bound
    in bits per pixel (PyTorch; import it explicitly, like ``genlab.vae``).
``genlab.discrete_vae``
    A VAE whose decoder is a categorical distribution over grey levels, so that its
    ELBO and its importance-weighted bound (IWAE) are on the likelihood yardstick
    (PyTorch; import it explicitly, like ``genlab.vae``).
``genlab.quality``
    Sample quality: the Fréchet distance between Gaussians, a "digit FID" in the features
    of a small classifier of real digits, and mode coverage (PyTorch; import it explicitly,
    like ``genlab.vae``).
``genlab.gan``
    A generative adversarial network of MLPs: the generator, the discriminator, the
    saturating and non-saturating losses and the alternating training (PyTorch; import it
    explicitly, like ``genlab.vae``).
``genlab.sharpness``
    The sharpness of images: the variance of the Laplacian and the gradient magnitude.
``genlab.editing``
    Latent-space editing: a digit's slant and ink, an attribute's direction in a code.
``genlab.vqvae``
    The VQ-VAE: a codebook with the straight-through estimator, codebook usage, and
    priors over the codes (PyTorch; import it explicitly, like ``genlab.vae``).
``genlab.hierarchical_vae``
    A VAE with two levels of latent variables, and active units per level (PyTorch;
    import it explicitly, like ``genlab.vae``).
``genlab.denoising``
    Corrupting images (Gaussian noise, masking) and the denoising autoencoder (PyTorch;
    import it explicitly, like ``genlab.vae``).
``genlab.source``
    Showing the package's own code in a chapter (so the book cannot drift from it).
``genlab.datasets``
    Small data sets that ship with the package (no downloads).
``genlab.reproducibility``
    The pinned arithmetic under which the book's outputs are identical on every machine.

The estimators (scikit-learn's conventions: ``fit``, ``get_params``, ``set_params``,
``clone``; validated parameters; the chapter that introduces each):

==========================================  ==================================================
``naive_bayes.GaussianNB``                   Naive Bayes
``naive_bayes.MultinomialNB``                Naive Bayes
``naive_bayes.BernoulliNB``                  Naive Bayes
``gaussian.MultivariateNormal``              The multivariate Gaussian and the Gaussian Bayes
                                             classifier
``gaussian.GaussianClassifier``              The multivariate Gaussian and the Gaussian Bayes
                                             classifier
``gaussian.LinearDiscriminant``              The multivariate Gaussian and the Gaussian Bayes
                                             classifier
``cluster.KMeans``                           Gaussian mixtures and the EM algorithm
``mixture.GaussianMixture``                  Gaussian mixtures and the EM algorithm
``mixture.GaussianMixtureClassifier``        Choosing a generative model
``hmm.CategoricalHMM``                       Hidden Markov models
``hmm.GaussianHMM``                          Hidden Markov models
``vae_classifier.ConditionalVAEClassifier``  Choosing a generative model
``discrete.IndependentCategorical``          One yardstick: likelihood in bits per pixel
``discrete.CategoricalMixture``              One yardstick: likelihood in bits per pixel
==========================================  ==================================================

The PyTorch models of ``genlab.vae`` (``Autoencoder``, ``VAE``, ``ConditionalVAE``) are
``torch.nn.Module`` s trained by ``vae.train``; chapter "Autoencoders and variational
autoencoders". ``autoregressive.MADE`` is one too, trained by
``autoregressive.train_made``, and so is ``flow.RealNVP``, trained by
``flow.train_flow``; chapter "One yardstick: likelihood in bits per pixel".
``diffusion.DDPM`` (trained by ``diffusion.train_ddpm``) belongs to the chapter
"Diffusion models: learning to remove noise", and ``discrete_vae.CategoricalVAE`` (trained
by ``discrete_vae.train_categorical_vae``) and ``quality.FeatureClassifier`` (trained by
``quality.train_feature_classifier``) to "The VAE's likelihood and the scoreboard".
``gan.Generator`` and ``gan.Discriminator`` (trained together by ``gan.train_gan``) belong
to "VAE against GAN on real MNIST"; ``vqvae.VQVAE`` (trained by ``vqvae.train_vqvae``) to
"A discrete code: the VQ-VAE on MNIST"; and ``hierarchical_vae.HierarchicalVAE`` and the
denoising autoencoder of ``denoising`` to "Two levels of latents, and denoising, on MNIST".

Submodules are imported on first use, so ``import genlab`` is cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genlab import (
        calibration,
        cluster,
        datasets,
        discrete,
        editing,
        gaussian,
        hmm,
        likelihood,
        mixture,
        naive_bayes,
        numerics,
        plotting,
        reproducibility,
        sharpness,
        source,
        text,
    )

__all__ = [
    "__version__",
    "calibration",
    "cluster",
    "datasets",
    "discrete",
    "editing",
    "gaussian",
    "hmm",
    "likelihood",
    "mixture",
    "naive_bayes",
    "numerics",
    "plotting",
    "reproducibility",
    "sharpness",
    "source",
    "text",
]
__version__ = "0.1.0"

_SUBMODULES = frozenset(__all__) - {"__version__"}


def __getattr__(name: str) -> Any:
    """Import a submodule on first use (``genlab.hmm`` loads numba, which takes a while)."""
    if name in _SUBMODULES:
        module = importlib.import_module(f"genlab.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'genlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES)
