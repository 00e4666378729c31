"""CategoricalVAE (genlab.discrete_vae) against oracles that do not use its code.

* the encoder and the decoder's logits recomputed from the weights by hand; log p(x | z)
  against ``torch.distributions``' Categorical, the log importance weight against its
  Normal, the ELBO's KL against ``torch.distributions.kl_divergence``;
* the ELBO and the IWAE estimators against hand-written versions on the same draws
  (whatever the chunking of the draws);
* the exact likelihood of all 3^4 = 81 2x2 images with 3 levels by quadrature: with a 1-D
  latent, Gauss-Legendre between the decoder's kinks (converged to 1e-14); with a 2-D
  latent, tensor-product Gauss-Hermite. The 81 probabilities sum to 1; the ELBO is below
  log P(x) for every image; IWAE_k rises with k and IWAE_1000 is within 0.01 nats of it;
* bits per pixel from ``score_samples`` against the exact ones;
* the sampler's frequencies against the exact probabilities;
* training: the ELBO improves, runs are reproducible, early stopping, divergence;
* bad input refused by name; degenerate input accepted; broken formulas caught.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from level_images import BAD_LEVEL_IMAGES, as_argument
from scipy import stats
from torch.distributions import Categorical, Independent, Normal, kl_divergence

from genlab import _validation
from genlab.discrete_vae import CategoricalVAE, train_categorical_vae
from genlab.likelihood import bits_per_pixel, discrete_bits_per_pixel

F64 = torch.float64


def vae(D=4, L=3, latent_dim=1, hidden=16, seed=0, scale=1.5):
    torch.manual_seed(seed)
    model = CategoricalVAE(D, L, latent_dim=latent_dim, hidden=hidden).double()
    with torch.no_grad():  # a sharper decoder than the default init: P(x) far from uniform
        for p in model.decoder.parameters():
            p.mul_(scale)
    return model


def all_images(D, L):
    return torch.tensor(list(itertools.product(range(L), repeat=D)))


def gen(seed):
    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------------ oracles
def oracle_encode(model, x):
    """The encoder written from its specification: x / (L - 1) -> ReLU layer -> two heads."""
    first = model.encoder[0]
    h = torch.relu((x.to(F64) / (model.n_levels - 1)) @ first.weight.T + first.bias)
    mu = h @ model.fc_mu.weight.T + model.fc_mu.bias
    return mu, h @ model.fc_logvar.weight.T + model.fc_logvar.bias


def oracle_logits(model, z):
    """The decoder written from its specification: L logits per pixel, pixel by pixel."""
    first, last = model.decoder[0], model.decoder[2]
    out = torch.relu(z @ first.weight.T + first.bias) @ last.weight.T + last.bias
    return out.reshape(*z.shape[:-1], model.n_pixels, model.n_levels)


def oracle_log_p_x_given_z(model, x, z):
    return Independent(Categorical(logits=oracle_logits(model, z)), 1).log_prob(x)


def oracle_log_weight(model, x, z, mu, logvar):
    """log p(x | z) + log N(z; 0, I) - log N(z; mu, diag exp(logvar))."""
    prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    q = Normal(mu, torch.exp(0.5 * logvar))
    log_p_z = prior.log_prob(z).sum(-1)
    return oracle_log_p_x_given_z(model, x, z) + log_p_z - q.log_prob(z).sum(-1)


def oracle_kl(mu, logvar):
    q = Normal(mu, torch.exp(0.5 * logvar))
    return kl_divergence(q, Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(-1)


def log_mean_exp(log_w):
    """The log of the mean of the weights over axis 0, written out with NumPy."""
    log_w = np.asarray(log_w)
    top = log_w.max(axis=0)
    return top + np.log(np.mean(np.exp(log_w - top), axis=0))


# ---------------------------------------------------- quadrature (exact log P(x))
def legendre_rule(model, n, center=0.0, scale=1.0, width=12.0):
    """Nodes and weights for the integral of f(z) N(z; center, scale^2) over the real line.

    1-D latent only. Gauss-Legendre with n nodes on each piece of [center - width * scale,
    center + width * scale] between the decoder's kinks (where a hidden unit's input
    crosses 0): on each piece the logits are linear in z, the integrand analytic and the
    rule spectrally accurate (plain Gauss-Hermite converges slowly across the kinks). The
    tails beyond 12 standard deviations weigh less than 1e-32.
    """
    lo, hi = center - width * scale, center + width * scale
    first = model.decoder[0]
    w, b = first.weight.detach()[:, 0].numpy(), first.bias.detach().numpy()
    kinks = -b[w != 0] / w[w != 0]
    cuts = np.unique(np.concatenate([[lo, hi], kinks[(kinks > lo) & (kinks < hi)]]))
    t, wt = np.polynomial.legendre.leggauss(n)
    a, c = cuts[:-1, None], cuts[1:, None]
    z = ((a + c) / 2 + (c - a) / 2 * t).ravel()
    weights = ((c - a) / 2 * wt).ravel() * stats.norm.pdf(z, center, scale)
    return torch.tensor(z)[:, None], torch.tensor(weights)


def hermite_rule(n, latent_dim):
    """Tensor-product Gauss-Hermite for the integral of f(z) N(z; 0, I) (z of latent_dim)."""
    t, w = np.polynomial.hermite_e.hermegauss(n)  # weight exp(-t^2 / 2)
    w = w / math.sqrt(2 * math.pi)
    z = np.array(list(itertools.product(t, repeat=latent_dim)))
    weights = np.array([math.prod(c) for c in itertools.product(w, repeat=latent_dim)])
    return torch.tensor(z), torch.tensor(weights)


@torch.no_grad()
def quadrature_log_p(model, images, rule):
    """log P(x) = log sum_i w_i p(x | z_i) for every image, with the oracle's decoder."""
    z, w = rule
    log_p = oracle_log_p_x_given_z(model, images, z[:, None, :].expand(-1, len(images), -1))
    return torch.logsumexp(log_p + w.log()[:, None], dim=0)


@torch.no_grad()
def quadrature_elbo(model, images, rule_of_q):
    """E_q[log p(x | z)] - KL(q || N(0, I)) for every image, E_q by quadrature over q."""
    mu, logvar = model.encode(images)
    sd = torch.exp(0.5 * logvar)
    expected = []
    for i in range(len(images)):
        z, w = rule_of_q(mu[i], sd[i])
        log_p = oracle_log_p_x_given_z(model, images[i : i + 1], z[:, None, :])[:, 0]
        expected.append((w * log_p).sum())
    return torch.stack(expected) - oracle_kl(mu, logvar)


def legendre_rule_of_q(model, n):
    return lambda mu, sd: legendre_rule(model, n, center=float(mu[0]), scale=float(sd[0]))


def hermite_rule_of_q(n, latent_dim):
    z, w = hermite_rule(n, latent_dim)
    return lambda mu, sd: (mu + sd * z, w)


@pytest.fixture(scope="module")
def tiny():
    """The 1-D latent model, the 81 images and their exact log P(x)."""
    model = vae()
    images = all_images(4, 3)
    exact = quadrature_log_p(model, images, legendre_rule(model, 48))
    return model, images, exact


# ------------------------------------------------------------------ 1. decoder
def test_encoder_and_decoder_follow_their_specification():
    model = vae(D=6, L=4, latent_dim=2, hidden=10)
    x = torch.randint(0, 4, (30, 6), generator=gen(1))
    with torch.no_grad():
        for got, want in zip(model.encode(x), oracle_encode(model, x), strict=True):
            assert got.shape == (30, 2)
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=0, atol=1e-13)


@pytest.mark.parametrize("lead", [(), (5,), (2, 3)])
def test_decoder_log_prob_equals_torch_distributions_categorical(lead):
    model = vae(D=6, L=4, latent_dim=2, hidden=10)
    x = torch.randint(0, 4, (30, 6), generator=gen(1))
    z = torch.randn((*lead, 30, 2), generator=gen(2), dtype=F64) * 2
    with torch.no_grad():
        got = model.decoder_log_prob(x, z)
        assert got.shape == (*lead, 30)
        want = oracle_log_p_x_given_z(model, x, z)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=0, atol=1e-12)


# ------------------------------------------------------------ 2. the weights
def test_log_joint_over_q_equals_torch_distributions_normal():
    model = vae(D=6, L=4, latent_dim=3, hidden=10)
    x = torch.randint(0, 4, (25, 6), generator=gen(3))
    mu = torch.randn((25, 3), generator=gen(4), dtype=F64)
    logvar = torch.randn((25, 3), generator=gen(5), dtype=F64)
    z = torch.randn((7, 25, 3), generator=gen(6), dtype=F64) * 1.5
    with torch.no_grad():
        got = model.log_joint_over_q(x, z, mu, logvar)
        want = oracle_log_weight(model, x, z, mu, logvar)
    assert got.shape == (7, 25)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=0, atol=1e-12)


# ------------------------------------------------------------------ 3. ELBO
def test_the_elbo_is_the_reconstruction_of_its_draw_minus_the_analytic_kl():
    model = vae(D=6, L=4, latent_dim=3, hidden=10)
    x = torch.randint(0, 4, (40, 6), generator=gen(7))
    with torch.no_grad():
        elbo = model.elbo(x, generator=gen(8))
        mu, logvar = model.encode(x)
        # the same draw: the generator's first (n, latent_dim) standard normals
        z = mu + torch.exp(0.5 * logvar) * torch.randn((40, 3), generator=gen(8), dtype=F64)
        kl = oracle_kl(mu, logvar)
        # the KL term alone, against torch.distributions.kl_divergence
        np.testing.assert_allclose(
            (model.decoder_log_prob(x, z) - elbo).numpy(), kl.numpy(), rtol=0, atol=1e-12
        )
        # and the whole estimate against the oracles
        want = oracle_log_p_x_given_z(model, x, z) - kl
        np.testing.assert_allclose(elbo.numpy(), want.numpy(), rtol=0, atol=1e-12)
    assert elbo.shape == (40,) and elbo.dtype == F64
    assert torch.all(kl > 0)


def test_the_elbo_is_differentiable_and_its_noise_follows_the_generator():
    model = vae()
    x = all_images(4, 3)[:10]
    elbo = model.elbo(x, generator=gen(0))
    elbo.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    with torch.no_grad():
        assert torch.equal(model.elbo(x, generator=gen(0)), elbo.detach())
        assert not torch.equal(model.elbo(x, generator=gen(1)), elbo.detach())


# ------------------------------------------------------------------ 4. IWAE
def test_iwae_with_one_draw_is_the_log_weight_of_the_elbos_draw():
    model = vae(D=6, L=4, latent_dim=2, hidden=10)
    x = torch.randint(0, 4, (20, 6), generator=gen(9))
    with torch.no_grad():
        got = model.iwae(x, 1, generator=gen(10))
        mu, logvar = model.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn((20, 2), generator=gen(10), dtype=F64)
        np.testing.assert_allclose(
            got.numpy(), model.log_joint_over_q(x, z, mu, logvar).numpy(), rtol=0, atol=1e-13
        )
        want = oracle_log_weight(model, x, z, mu, logvar)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("batch", [None, 1, 3, 7, 50, 1000])
def test_iwae_is_the_log_mean_exp_of_k_draws_taken_one_by_one(batch):
    # The documented stream order: draw s is the s-th torch.randn((n, latent_dim)) of the
    # generator, whatever the number of draws decoded at once.
    model = vae(D=6, L=4, latent_dim=2, hidden=10)
    x = torch.randint(0, 4, (20, 6), generator=gen(11))
    k = 50
    with torch.no_grad():
        got = model.iwae(x, k, generator=gen(12), batch=batch)
        mu, logvar = model.encode(x)
        g = gen(12)
        log_w = []
        for _ in range(k):
            z = mu + torch.exp(0.5 * logvar) * torch.randn((20, 2), generator=g, dtype=F64)
            log_w.append(oracle_log_weight(model, x, z, mu, logvar).numpy())
    np.testing.assert_allclose(got.numpy(), log_mean_exp(log_w), rtol=0, atol=1e-12)


# ------------------------------------------- 5. the exact likelihood by quadrature
def test_the_quadrature_has_converged_and_the_probabilities_sum_to_one(tiny):
    model, images, exact = tiny
    fewer = quadrature_log_p(model, images, legendre_rule(model, 32))
    assert float((exact - fewer).abs().max()) < 1e-12
    # plain Gauss-Hermite (200 nodes, no knowledge of the kinks) agrees, to its accuracy
    hermite = quadrature_log_p(model, images, hermite_rule(200, 1))
    assert float((exact - hermite).abs().max()) < 5e-3
    # a proper likelihood of discrete images: the 81 probabilities sum to 1
    assert abs(float(torch.logsumexp(exact, 0))) < 1e-10
    assert float(exact.max() - exact.min()) > 3  # and far from uniform


def test_the_elbo_is_below_the_exact_log_likelihood_of_every_image(tiny):
    model, images, exact = tiny
    elbo = quadrature_elbo(model, images, legendre_rule_of_q(model, 48))
    fewer = quadrature_elbo(model, images, legendre_rule_of_q(model, 32))
    assert float((elbo - fewer).abs().max()) < 1e-11
    assert torch.all(elbo <= exact + 1e-10)
    gap = exact - elbo  # KL(q(z | x) || p(z | x)) >= 0
    assert float(gap.mean()) > 0.1
    # the one-draw estimator is unbiased: its mean over draws is the quadrature's ELBO
    draws = 200
    with torch.no_grad():
        est = model.elbo(images.repeat(draws, 1), generator=gen(13)).reshape(draws, -1)
    se = float(est.mean(1).std()) / math.sqrt(draws)
    assert abs(float(est.mean() - elbo.mean())) < 4 * se


def test_iwae_rises_with_k_towards_the_exact_log_likelihood(tiny):
    # Each estimate is averaged over the 81 images and over R seeds; the same seed gives
    # every k the same first draws (common random numbers), so the differences between k
    # are measured with less noise than the estimates themselves.
    model, images, exact = tiny
    means, ses = {}, {}
    with torch.no_grad():
        for k, R in [(1, 400), (10, 200), (100, 40), (1000, 10)]:
            est = torch.stack([model.iwae(images, k, generator=gen(s)).mean() for s in range(R)])
            means[k], ses[k] = float(est.mean()), float(est.std()) / math.sqrt(R)
    truth = float(exact.mean())
    assert means[1] < means[10] < means[100] < means[1000]
    # IWAE_1 is the ELBO in expectation
    elbo = float(quadrature_elbo(model, images, legendre_rule_of_q(model, 32)).mean())
    assert abs(means[1] - elbo) < 4 * ses[1]
    # IWAE_1000 is below log P(x) in expectation, and close to it: the bias of IWAE_k
    # falls like Var_q(w) / (2 k P(x)^2) (delta method, Burda et al. 2016). Measured here:
    # 0.26 nats at k = 1 (the ELBO's gap), 0.018 at k = 10, 3.6e-3 at k = 100 and 8.6e-4
    # at k = 1000 (standard error 3.5e-4). The tolerance of 0.01 nats is ten times the
    # k = 1000 gap, a quarter of what a bound of the ELBO's quality would miss by.
    assert means[1000] <= truth + 4 * ses[1000]
    assert truth - means[1000] < 1e-2
    assert truth - means[1] > 0.1


def test_a_two_dimensional_latent_by_gauss_hermite():
    model = vae(latent_dim=2, hidden=8, seed=1)
    images = all_images(4, 3)
    exact = quadrature_log_p(model, images, hermite_rule(120, 2))
    # Gauss-Hermite converges slowly across the ReLU kinks: 1e-3 nats at 100 nodes a side
    coarser = quadrature_log_p(model, images, hermite_rule(100, 2))
    quad_error = float((exact - coarser).abs().max())
    assert quad_error < 3e-3
    assert abs(float(torch.logsumexp(exact, 0))) < 1e-10
    elbo = quadrature_elbo(model, images, hermite_rule_of_q(40, 2))
    assert torch.all(elbo <= exact + quad_error)
    with torch.no_grad():
        iwae = torch.stack([model.iwae(images, 1000, generator=gen(s)) for s in range(4)])
    assert abs(float(iwae.mean() - exact.mean())) < 1e-2
    assert float((exact - elbo).mean()) > 0.05


# ------------------------------------------------------- 6. bits per pixel
def test_score_samples_gives_bits_per_pixel_just_above_the_exact(tiny):
    model, _, exact = tiny
    X = model.sample(300, generator=gen(14)).numpy()
    index = [int(np.ravel_multi_index(tuple(x), (3,) * 4)) for x in X]
    exact_bpp = float(bits_per_pixel(-float(exact[index].mean()), 4))
    log_p = model.score_samples(X)  # k = 1000
    assert log_p.dtype == np.float64 and log_p.shape == (300,)
    bpp = discrete_bits_per_pixel(model, X)
    assert bpp == float(bits_per_pixel(-float(log_p.mean()), 4))
    # an upper bound on the bits per pixel in expectation (Monte Carlo error ~1e-4 bits)
    assert exact_bpp - 5e-4 < bpp < exact_bpp + 2e-3
    np.testing.assert_array_equal(model.score_samples(X, random_state=0), log_p)
    assert not np.array_equal(model.score_samples(X, random_state=1), log_p)
    # k = 1 (the ELBO's bound) is far worse
    assert discrete_bits_per_pixel(_K1(model), X) > exact_bpp + 0.05


class _K1:
    def __init__(self, model):
        self.model = model

    def score_samples(self, X):
        return self.model.score_samples(X, k=1)


# ------------------------------------------------------------ 7. sampling
def test_samples_follow_the_exact_probabilities(tiny):
    model, _, exact = tiny
    n = 200_000
    X = model.sample(n, generator=gen(15))
    assert X.shape == (n, 4) and X.dtype == torch.long
    P = exact.exp().numpy()
    counts = np.bincount(np.ravel_multi_index(tuple(X.numpy().T), (3,) * 4), minlength=81)
    assert stats.chisquare(counts, n * P).pvalue > 1e-3
    sd = np.sqrt(P * (1 - P) / n)
    assert np.all(np.abs(counts / n - P) < 5 * sd)
    # reproducible with the same generator
    again = model.sample(50, generator=gen(16))
    assert torch.equal(model.sample(50, generator=gen(16)), again)
    assert not torch.equal(model.sample(50, generator=gen(17)), again)


def test_sample_sizes_are_bounded(monkeypatch):
    model = vae(D=3, L=3)
    with pytest.raises(ValueError, match="n is too large"):
        model.sample(10**12)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="n must be an integer >= 1"):
            model.sample(bad)
    monkeypatch.setattr(_validation, "MAX_OUTPUT_BYTES", 8 * 9 * 10)
    assert model.sample(10).shape == (10, 3)
    with pytest.raises(ValueError, match=r"shape \(11, 9\)"):
        model.sample(11)


# ------------------------------------------------------------ 8. training
def teacher_data(n, seed):
    return vae(scale=3.0, seed=5).sample(n, generator=gen(seed))


def fresh(hidden=32, seed=0):
    torch.manual_seed(seed)
    return CategoricalVAE(4, 3, latent_dim=1, hidden=hidden).double()


def test_training_raises_the_validation_elbo_and_is_reproducible():
    X, X_val = teacher_data(400, 16), teacher_data(200, 17)
    runs = []
    for _ in range(2):
        model = fresh()
        out = train_categorical_vae(
            model, X, X_val=X_val, epochs=8, batch_size=32, lr=3e-3, progress=False
        )
        runs.append((model, out))
    (model, out), (again, out_again) = runs
    val = out["val_loss"]
    assert len(out["loss"]) == len(val) == 8
    assert min(val) < val[0] - 0.5  # 3.78 -> 2.84 nats per image
    assert out["best_epoch"] == 1 + int(np.argmin(val))
    # the model holds the best epoch's weights; the validation noise is seeded by ``seed``
    with torch.no_grad():
        assert -float(model.elbo(X_val, generator=gen(0)).mean()) == min(val)
    assert out == out_again
    for a, b in zip(model.state_dict().values(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    # without X_val: the loss only
    assert set(train_categorical_vae(fresh(), X, epochs=1, progress=False)) == {"loss"}


def test_patience_stops_early_and_keeps_the_best_epoch():
    rng = np.random.default_rng(18)
    X = rng.integers(0, 3, size=(16, 4))  # uniform noise: a wide VAE overfits it
    X_val = rng.integers(0, 3, size=(200, 4))

    def run(**kwargs):
        model = fresh(hidden=128)
        out = train_categorical_vae(
            model, X, X_val=X_val, epochs=60, batch_size=4, lr=1e-2, progress=False, **kwargs
        )
        return model, out

    _, full = run()
    model, out = run(patience=3)
    val = out["val_loss"]
    best = out["best_epoch"]
    assert best == 1 + int(np.argmin(val))
    assert len(val) == len(out["loss"]) == best + 3 < 60
    assert val == full["val_loss"][: len(val)]
    with torch.no_grad():
        assert -float(model.elbo(X_val, generator=gen(0)).mean()) == min(val)


def test_divergence_stops_with_a_clear_error():
    torch.manual_seed(0)
    model = CategoricalVAE(3, 3, latent_dim=1, hidden=4)
    with pytest.raises(ValueError, match="training diverged at epoch [12]: .*lower lr"):
        train_categorical_vae(model, [[0, 1, 2]] * 8, epochs=2, lr=1e30, progress=False)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs must be an integer >= 1"),
        ({"batch_size": -1}, "batch_size must be"),
        ({"lr": 0.0}, "lr must be > 0"),
        ({"lr": float("nan")}, "lr must be a finite number"),
        ({"weight_decay": -1.0}, "weight_decay must be"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"seed": 2**63}, "seed must be below"),
        ({"patience": 0, "X_val": [[0, 1, 2]]}, "patience must be an integer >= 1"),
        ({"patience": 2}, "patience needs X_val"),
        ({"X_val": np.zeros((0, 3), dtype=int)}, "X_val is empty"),
        ({"X_val": [[3, 0, 0]]}, r"X_val\[0, 0\] is 3"),
    ],
)
def test_bad_training_arguments_are_refused(kwargs, message):
    model = vae(D=3, L=3)
    with pytest.raises(ValueError, match=message):
        train_categorical_vae(model, [[0, 1, 2]], progress=False, **kwargs)


def test_train_refuses_another_model():
    from genlab.autoregressive import MADE

    with pytest.raises(ValueError, match="model must be a genlab.discrete_vae.CategoricalVAE"):
        train_categorical_vae(MADE(3, 3), [[0, 1, 2]], progress=False)


# ------------------------------------------------------------ 9. bad input


@pytest.mark.parametrize("case", BAD_LEVEL_IMAGES, ids=list(BAD_LEVEL_IMAGES))
def test_bad_images_are_refused_by_name(case):
    value, message = BAD_LEVEL_IMAGES[case]
    model = vae(D=3, L=3)
    z = torch.zeros((1, 1), dtype=F64)
    calls = [
        lambda: model.encode(value),
        lambda: model.elbo(value),
        lambda: model.iwae(value, 3),
        lambda: model.decoder_log_prob(value, z),
        lambda: model.log_joint_over_q(value, z, z, z),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(ValueError, match=as_argument(message, "X")):
        model.score_samples(value)
    with pytest.raises(ValueError, match=as_argument(message, "X")):
        train_categorical_vae(model, value, epochs=1, progress=False)


@pytest.mark.parametrize("k", [0, -1, 2.5, True, "3", None])
def test_bad_k_is_refused(k):
    model = vae(D=3, L=3)
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        model.iwae([[0, 1, 2]], k)
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        model.score_samples([[0, 1, 2]], k=k)


def test_bad_batches_generators_and_seeds_are_refused(monkeypatch):
    model = vae(D=3, L=3)
    x = [[0, 1, 2]]
    for bad in (0, 1.5, False):
        with pytest.raises(ValueError, match="batch must be an integer >= 1"):
            model.iwae(x, 3, batch=bad)
    for call in (
        lambda: model.elbo(x, generator=0),
        lambda: model.iwae(x, 2, generator=np.random.default_rng(0)),
        lambda: model.sample(2, generator="seed"),
    ):
        with pytest.raises(ValueError, match="generator must be a torch.Generator or None"):
            call()
    for bad in (-1, 2.5, True):
        with pytest.raises(ValueError, match="random_state must be an integer >= 0"):
            model.score_samples(x, random_state=bad)
    with pytest.raises(ValueError, match="random_state must be below 2\\*\\*63"):
        model.score_samples(x, random_state=2**63)
    # memory: a chunk of draws whose decoder outputs exceed the limit is refused by name
    monkeypatch.setattr(_validation, "MAX_OUTPUT_BYTES", 1000)
    with pytest.raises(ValueError, match="batch is too large"):
        model.iwae(x, 100, batch=100)
    assert model.iwae(x, 100, batch=2).shape == (1,)  # 2 * (9 + 16) * 8 bytes fit


def test_bad_codes_are_refused_by_name():
    model = vae(D=3, L=3, latent_dim=2)
    x = [[0, 1, 2], [2, 2, 2]]
    ok = torch.zeros((2, 2), dtype=F64)
    nan = ok.clone()
    nan[1, 0] = float("nan")
    cases = [
        (torch.zeros((3, 2), dtype=F64), r"z must have shape \(\.\.\., 2, 2\); got \(3, 2\)"),
        (torch.zeros((2, 1), dtype=F64), r"z must have shape \(\.\.\., 2, 2\)"),
        (torch.zeros(2, dtype=F64), r"z must have shape"),
        (ok.float(), "z must have the model's dtype torch.float64"),
        (ok.numpy(), "z must be a torch.Tensor; got ndarray"),
        (nan, "z contains NaN or infinity"),
    ]
    for z, message in cases:
        with pytest.raises(ValueError, match=message):
            model.decoder_log_prob(x, z)
        with pytest.raises(ValueError, match=message):
            model.log_joint_over_q(x, z, ok, ok)
    with pytest.raises(ValueError, match="mu contains NaN"):
        model.log_joint_over_q(x, ok, nan, ok)
    with pytest.raises(ValueError, match=r"logvar must have shape \(2, 2\); got \(1, 2, 2\)"):
        model.log_joint_over_q(x, ok, ok, ok[None])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_pixels": 0}, "n_pixels must be an integer >= 1"),
        ({"n_levels": 1}, "n_levels must be an integer >= 2"),
        ({"n_levels": 2.0}, "n_levels must be an integer"),
        ({"latent_dim": 0}, "latent_dim must be an integer >= 1"),
        ({"latent_dim": True}, "latent_dim must be an integer >= 1"),
        ({"hidden": 0}, "hidden must be an integer >= 1"),
        ({"hidden": 10**9}, "CategoricalVAE's sizes is too large"),
    ],
)
def test_bad_sizes_are_refused(kwargs, message):
    args = {"n_pixels": 3, "n_levels": 3} | kwargs
    with pytest.raises(ValueError, match=message):
        CategoricalVAE(**args)


def test_degenerate_but_legal_input():
    model = vae(D=3, L=3)
    with torch.no_grad():
        for x in ([[1, 2, 0]], [[0, 0, 0]], [[2, 2, 2]], np.array([[2.0, 2.0, 2.0]])):
            for value in (model.elbo(x), model.iwae(x, 5), torch.tensor(model.score_samples(x))):
                assert value.shape == (1,) and torch.isfinite(value).all()
    out = train_categorical_vae(model, [[0, 0, 0]], X_val=[[0, 0, 0]], epochs=2, progress=False)
    assert len(out["loss"]) == 2 and out["best_epoch"] in (1, 2)
    # two levels: a binary image; the probabilities of its 8 images still sum to 1
    binary = vae(D=3, L=2)
    exact = quadrature_log_p(binary, all_images(3, 2), legendre_rule(binary, 48))
    assert abs(float(torch.logsumexp(exact, 0))) < 1e-10
    assert binary.sample(4, generator=gen(0)).max() <= 1


def test_float32_by_default_and_float64_after_double():
    torch.manual_seed(0)
    model = CategoricalVAE(4, 3)
    x = all_images(4, 3)[:5]
    assert model.elbo(x).dtype == model.iwae(x, 3).dtype == torch.float32
    assert model.score_samples(x).dtype == np.float64
    assert model.double().elbo(x).dtype == F64


# ------------------------------------------- 10. the oracles can tell a bug
def test_plausible_bugs_would_be_caught(tiny):
    model, images, _ = tiny
    with torch.no_grad():
        mu, logvar = model.encode(images)
        z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=gen(0), dtype=F64)
        right = model.log_joint_over_q(images, z, mu, logvar)
        assert torch.allclose(right, oracle_log_weight(model, images, z, mu, logvar))
        # q with exp(logvar) (the variance) where its standard deviation belongs
        wrong_q = Normal(mu, torch.exp(logvar)).log_prob(z).sum(-1)
        prior = Normal(0.0, 1.0).log_prob(z).sum(-1)
        log_p = oracle_log_p_x_given_z(model, images, z)
        assert (right - (log_p + prior - wrong_q)).abs().max() > 1e-3
        # the KL with sigma instead of sigma^2
        elbo = model.elbo(images, generator=gen(0))
        wrong_kl = 0.5 * (mu**2 + torch.exp(0.5 * logvar) - 1 - logvar).sum(-1)
        assert (elbo - (model.decoder_log_prob(images, z) - wrong_kl)).abs().max() > 1e-3
        # the mean of the log weights instead of the log of their mean
        g = gen(1)
        draws = [
            mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=g, dtype=F64)
            for _ in range(10)
        ]
        log_w = torch.stack([model.log_joint_over_q(images, d, mu, logvar) for d in draws])
        iwae = model.iwae(images, 10, generator=gen(1))
        assert (iwae - log_w.mean(0)).abs().max() > 1e-2
        # a softmax over the pixels instead of the levels is not a distribution of images
        logits = oracle_logits(model, torch.zeros((1, 1), dtype=F64))[0]  # (D, L) at z = 0
        for dim, is_normalised in ((1, True), (0, False)):
            log_p = torch.log_softmax(logits, dim=dim).gather(1, images.T).sum(0)  # (81,)
            assert (abs(float(torch.logsumexp(log_p, 0))) < 1e-12) == is_normalised
