"""genlab.gan against oracles that do not use its code.

* both losses against ``torch.distributions.Bernoulli`` (real images labelled 1,
  generated ones 0), in float64 to 1e-12, including extreme logits (+-20.5 .. +-1000,
  infinities) where the naive log(sigmoid) overflows;
* their gradients in the logits against the hand-derived -(1 - sigmoid)/n and -sigmoid/n
  (the saturating loss's vanishing gradient);
* the theory of the module's docstring on two known distributions on six points: the
  discriminator loss at the closed-form optimal logits log p_data - log p_g is
  log 4 - 2 JS (JS from ``scipy.spatial.distance.jensenshannon``), a minimum (zero
  gradient of a convex function; every perturbation is worse; scipy's 1-D minimiser finds
  the same logits);
* the two networks against matrix products from their weights; ``sample`` against the
  same products on codes drawn the same way;
* ``train_gan`` against a hand-written copy of the prototype's loop, step by step (the
  weights to 1e-12 and every number of the history); reproducibility, seeds, lengths,
  divergence, eval mode, the global RNG untouched;
* plausible bugs (swapped signs, the wrong generator loss, log of a sigmoid, PyTorch's
  default softplus threshold in float64, the generator stepped first) caught by the
  oracle comparisons; bad input refused by name at every entry point.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.optimize import minimize_scalar
from scipy.spatial.distance import jensenshannon
from torch.distributions import Bernoulli

from genlab import _validation, gan
from genlab.gan import Discriminator, Generator, discriminator_loss, generator_loss, train_gan

F64 = torch.float64
EXTREME = [20.5, 25.0, 30.0, 50.0, 1000.0, -20.5, -25.0, -50.0, -1000.0]


def gen(seed):
    return torch.Generator().manual_seed(seed)


def models(latent_dim=2, hidden_dim=5, pixels=6, seed=0, negative_slope=0.2):
    torch.manual_seed(seed)
    G = Generator(latent_dim, hidden_dim, pixels).double()
    D = Discriminator(pixels, hidden_dim, negative_slope).double()
    return G, D


def images(n=13, pixels=6, seed=0):
    return np.random.default_rng(seed).random((n, pixels))


def logits(n, seed, scale=4.0, extreme=()):
    t = torch.randn(n, generator=gen(seed), dtype=F64) * scale
    return torch.cat([t, torch.tensor(extreme, dtype=F64)])


# ------------------------------------------------------------------ 1. the losses
def bernoulli_losses(real, fake):
    """The three losses as Bernoulli log-likelihoods: real images are 1, generated ones 0."""
    log_d_real = Bernoulli(logits=real).log_prob(torch.ones_like(real))  # log D(x)
    log_d_fake = Bernoulli(logits=fake).log_prob(torch.ones_like(fake))  # log D(G(z))
    log_1_minus_d_fake = Bernoulli(logits=fake).log_prob(torch.zeros_like(fake))
    return {
        "discriminator": -log_d_real.mean() - log_1_minus_d_fake.mean(),
        "non-saturating": -log_d_fake.mean(),
        "saturating": log_1_minus_d_fake.mean(),
    }


def matches_bernoulli(d_loss, g_loss, extreme=EXTREME):
    """Whether the loss functions agree with the Bernoulli oracle to 1e-12, extremes included."""
    real, fake = logits(40, 1, extreme=extreme), logits(30, 2, extreme=extreme[::-1])
    want = bernoulli_losses(real, fake)
    got = {
        "discriminator": d_loss(real, fake),
        "non-saturating": g_loss(fake, saturating=False),
        "saturating": g_loss(fake, saturating=True),
    }
    return all(
        bool(torch.isfinite(got[k])) and math.isclose(got[k], want[k], rel_tol=1e-12, abs_tol=0)
        for k in want
    )


def test_the_losses_are_bernoulli_log_likelihoods():
    assert matches_bernoulli(discriminator_loss, generator_loss)
    # the naive formula overflows where ours does not: log sigmoid(-1000) = log 0
    assert torch.log(torch.sigmoid(torch.tensor(-1000.0, dtype=F64))) == -math.inf
    very_wrong = torch.tensor([-1000.0], dtype=F64)
    assert discriminator_loss(very_wrong, -very_wrong) == 2000.0
    assert generator_loss(very_wrong) == 1000.0
    assert generator_loss(-very_wrong, saturating=True) == -1000.0


def test_the_losses_at_known_values():
    zero = torch.zeros(3, dtype=F64)
    assert discriminator_loss(zero, zero) == pytest.approx(math.log(4), rel=1e-15)
    assert generator_loss(zero) == pytest.approx(math.log(2), rel=1e-15)
    assert generator_loss(zero, saturating=True) == pytest.approx(-math.log(2), rel=1e-15)
    # infinite logits: a discriminator that is certain, and right, loses nothing
    inf = torch.tensor([math.inf], dtype=F64)
    assert discriminator_loss(inf, -inf) == 0.0
    assert discriminator_loss(-inf, inf) == math.inf
    # real and generated batches of different sizes: each is averaged on its own
    got = discriminator_loss(torch.tensor([0.0, 2.0], dtype=F64), torch.tensor([1.0], dtype=F64))
    want = (math.log1p(1) + math.log1p(math.exp(-2))) / 2 + math.log1p(math.e)
    assert float(got) == pytest.approx(want, rel=1e-15)


def test_a_broken_loss_fails_the_bernoulli_comparison(monkeypatch):
    def swapped_signs(real, fake):
        return F.softplus(real).mean() + F.softplus(-fake).mean()

    def naive(real, fake):
        return -torch.log(torch.sigmoid(real)).mean() - torch.log(1 - torch.sigmoid(fake)).mean()

    def default_threshold(real, fake):  # PyTorch's softplus drops log1p(e^-t) above t = 20
        return F.softplus(-real).mean() + F.softplus(fake).mean()

    for broken in (swapped_signs, naive, default_threshold):
        assert not matches_bernoulli(broken, generator_loss)

    def swapped_generator_losses(fake, *, saturating=False):
        return generator_loss(fake, saturating=not saturating)

    assert not matches_bernoulli(discriminator_loss, swapped_generator_losses)
    # the public functions compute what their private cores do: break a core, and the
    # comparison of the public function fails
    monkeypatch.setattr(gan, "_discriminator_loss", swapped_signs)
    assert not matches_bernoulli(discriminator_loss, generator_loss)
    monkeypatch.undo()
    monkeypatch.setattr(gan, "_generator_loss", lambda f, s: gan._softplus(-f).mean())
    assert not matches_bernoulli(discriminator_loss, generator_loss)


# ------------------------------------------------------------------ 2. gradients
def test_the_gradients_in_the_logits_are_the_hand_derived_ones():
    real = logits(7, 3, extreme=[50.0, -50.0, 1000.0, -1000.0]).requires_grad_()
    fake = logits(5, 4, extreme=[30.0, -30.0, 1000.0, -1000.0]).requires_grad_()
    n, m = len(real), len(fake)
    s_real, s_fake = torch.sigmoid(real.detach()), torch.sigmoid(fake.detach())
    # 1 - sigmoid(t) written as sigmoid(-t): the same number, without the cancellation
    # that rounds it to 0 for t = 50 (where autograd's e^-50 / n is right)
    one_minus_s_real, one_minus_s_fake = (
        torch.sigmoid(-real.detach()),
        torch.sigmoid(-fake.detach()),
    )
    # d/dr softplus(-r)/n = -(1 - sigmoid(r))/n; d/df softplus(f)/m = sigmoid(f)/m
    grad_real, grad_fake = torch.autograd.grad(discriminator_loss(real, fake), (real, fake))
    torch.testing.assert_close(grad_real, -one_minus_s_real / n, rtol=1e-12, atol=0)
    torch.testing.assert_close(grad_fake, s_fake / m, rtol=1e-12, atol=0)
    (non_saturating,) = torch.autograd.grad(generator_loss(fake), fake)
    torch.testing.assert_close(non_saturating, -one_minus_s_fake / m, rtol=1e-12, atol=0)
    (saturating,) = torch.autograd.grad(generator_loss(fake, saturating=True), fake)
    torch.testing.assert_close(saturating, -s_fake / m, rtol=1e-12, atol=0)
    assert torch.allclose(1 - s_real[:7], one_minus_s_real[:7], rtol=1e-12, atol=0)


def test_the_saturating_loss_vanishes_where_the_discriminator_rejects_confidently():
    rejected = torch.tensor([-10.0], dtype=F64, requires_grad=True)  # D(G(z)) = 4.5e-5
    (saturating,) = torch.autograd.grad(generator_loss(rejected, saturating=True), rejected)
    (non_saturating,) = torch.autograd.grad(generator_loss(rejected), rejected)
    assert abs(float(saturating)) == pytest.approx(1 / (1 + math.exp(10)), rel=1e-12)
    assert float(non_saturating) == pytest.approx(-1 + 1 / (1 + math.exp(10)), rel=1e-12)
    assert abs(float(non_saturating)) > 20_000 * abs(float(saturating))


# ------------------------------------------------------- 3. the optimal discriminator
P_DATA = np.array([3, 3, 2, 1, 1, 0]) / 10  # point 5: never real
P_G = np.array([0, 1, 2, 3, 3, 1]) / 10  # point 0: never generated


def expected_discriminator_loss(point_logits, p_data=P_DATA, p_g=P_G):
    """The loss's expectation, exactly: each point repeated as often as its probability
    says among 10 real and 10 generated images (so the batch means are the expectations)."""
    real = torch.repeat_interleave(point_logits, torch.tensor(np.rint(p_data * 10)).long())
    fake = torch.repeat_interleave(point_logits, torch.tensor(np.rint(p_g * 10)).long())
    return discriminator_loss(real, fake)


def optimal_logits(p_data=P_DATA, p_g=P_G):
    with np.errstate(divide="ignore"):
        return torch.tensor(np.log(p_data) - np.log(p_g), dtype=F64)  # +-inf where one is 0


def test_the_optimal_discriminator_loss_is_log_4_minus_twice_the_js_divergence():
    js = jensenshannon(P_DATA, P_G) ** 2  # natural log by default
    best = expected_discriminator_loss(optimal_logits())
    assert float(best) == pytest.approx(math.log(4) - 2 * js, rel=1e-12)
    # D* = p_data / (p_data + p_g)
    d_star = torch.sigmoid(optimal_logits()).numpy()
    np.testing.assert_allclose(d_star, P_DATA / (P_DATA + P_G), rtol=1e-14)
    # the same distribution twice: JS = 0, D* = 1/2, the loss log 4
    same = torch.zeros(6, dtype=F64)
    assert float(expected_discriminator_loss(same, P_G, P_G)) == pytest.approx(math.log(4))
    # disjoint supports: JS = log 2, a perfect discriminator and a loss of 0
    disjoint = expected_discriminator_loss(
        optimal_logits(P_DATA * [1, 1, 1, 1, 0, 0] / 0.9, P_G * [0, 0, 0, 0, 1, 1] / 0.4),
        P_DATA * [1, 1, 1, 1, 0, 0] / 0.9,
        P_G * [0, 0, 0, 0, 1, 1] / 0.4,
    )
    assert float(disjoint) == 0.0


def test_the_closed_form_logits_are_the_minimum():
    best = optimal_logits()
    finite = torch.isfinite(best)
    # the loss is convex in the logits (a sum of softpluses) and its gradient is 0 there
    point_logits = torch.where(finite, best, torch.zeros_like(best)).requires_grad_()
    with torch.no_grad():
        point_logits[~finite] = best[~finite]
    (grad,) = torch.autograd.grad(expected_discriminator_loss(point_logits), point_logits)
    assert torch.all(grad.abs() < 1e-15)
    # every perturbation of the logits does worse
    value = float(expected_discriminator_loss(best))
    for seed in range(20):
        moved = best + torch.randn(6, generator=gen(seed), dtype=F64) * 0.3
        assert float(expected_discriminator_loss(moved)) > value
    # brute force, point by point: scipy's minimiser finds the closed-form logits
    for k in np.flatnonzero(finite.numpy()):

        def loss_at(t, k=k):
            point_logits = best.clone()
            point_logits[k] = t
            return float(expected_discriminator_loss(point_logits))

        found = minimize_scalar(loss_at, bracket=(-5, 5), options={"xtol": 1e-10})
        assert found.x == pytest.approx(float(best[k]), abs=1e-6)


# ------------------------------------------------------------------ 4. the networks
def hand_generator(G, z):
    first, last = G.net[0], G.net[2]
    return torch.relu(z @ first.weight.T + first.bias) @ last.weight.T + last.bias


def hand_discriminator(D, x, slope):
    first, last = D.net[0], D.net[2]
    h = x @ first.weight.T + first.bias
    h = torch.where(h > 0, h, slope * h)
    return (h @ last.weight.T + last.bias)[:, 0]


@pytest.mark.parametrize("slope", [0.2, 0.0, 0.7])
def test_the_networks_are_the_matrix_products_of_their_weights(slope):
    G, D = models(latent_dim=3, hidden_dim=8, pixels=10, negative_slope=slope)
    z = torch.randn((9, 3), generator=gen(5), dtype=F64) * 2
    x = torch.rand((9, 10), generator=gen(6), dtype=F64)
    with torch.no_grad():
        out = G(z)
        assert out.shape == (9, 10)
        torch.testing.assert_close(out, hand_generator(G, z), rtol=0, atol=1e-13)
        scores = D(x)
        assert scores.shape == (9,)
        torch.testing.assert_close(scores, hand_discriminator(D, x, slope), rtol=0, atol=1e-13)
    assert Discriminator(4, 3).negative_slope == 0.2  # the default


def test_sample_decodes_standard_normal_codes_drawn_from_the_generator():
    G, _ = models(latent_dim=3, hidden_dim=8, pixels=10)
    x = G.sample(50, gen(7))
    assert x.shape == (50, 10) and x.dtype == F64
    assert bool(((x >= 0) & (x <= 1)).all())
    z = torch.randn((50, 3), generator=gen(7), dtype=F64)  # drawn the same way
    with torch.no_grad():
        torch.testing.assert_close(x, torch.sigmoid(hand_generator(G, z)), rtol=0, atol=1e-14)
    assert torch.equal(G.sample(50, gen(7)), x)
    assert not torch.equal(G.sample(50, gen(8)), x)
    assert not x.requires_grad
    # the codes are N(0, I): a large draw's mean and covariance
    zs = torch.randn((20000, 3), generator=gen(9), dtype=F64)
    assert float(zs.mean(0).abs().max()) < 0.05
    assert float((torch.cov(zs.T) - torch.eye(3, dtype=F64)).abs().max()) < 0.05


def test_sample_runs_in_eval_mode_and_restores_the_mode():
    G, _ = models()
    G.train()
    modes = []
    G.net.register_forward_hook(lambda module, args, out: modes.append(module.training))
    G.sample(2, gen(0))
    assert modes == [False] and G.training
    G.eval()
    G.sample(2)  # without a generator: PyTorch's global one
    assert not G.training


def test_float32_by_default():
    torch.manual_seed(0)
    G = Generator(2, 4, 6)
    assert G.sample(3, gen(0)).dtype == torch.float32
    D = Discriminator(6, 4)
    assert D(torch.zeros((3, 6))).dtype == torch.float32


# ------------------------------------------------------------------ 5. training
def prototype_loop(G, D, X, *, epochs, batch_size, lr, betas, seed, saturating=False):
    """The prototype's training loop, written out with plain PyTorch, plus its bookkeeping."""
    G, D = G.net, D.net  # plain nn.Sequential: D's logits have shape (n, 1), as there
    oG = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
    oD = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
    g = torch.Generator().manual_seed(seed)
    X = torch.as_tensor(X, dtype=F64)
    n, K = len(X), G[0].in_features
    keys = ["discriminator_loss", "generator_loss", "real_score", "fake_score"]
    history = {k: [] for k in [*keys, "step_discriminator_loss", "step_generator_loss"]}
    for _ in range(epochs):
        perm = torch.randperm(n, generator=g)
        totals = dict.fromkeys(keys, 0.0)
        for s in range(0, n, batch_size):
            x = X[perm[s : s + batch_size]]
            z = torch.randn(len(x), K, generator=g, dtype=F64)
            fake = torch.sigmoid(G(z))
            real_logits, fake_logits = D(x), D(fake.detach())
            ld = F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
            oD.zero_grad()
            ld.backward()
            oD.step()
            if saturating:
                lg = -F.softplus(D(fake)).mean()
            else:
                lg = F.softplus(-D(fake)).mean()
            oG.zero_grad()
            lg.backward()
            oG.step()
            history["step_discriminator_loss"].append(ld.item())
            history["step_generator_loss"].append(lg.item())
            totals["discriminator_loss"] += ld.item() * len(x)
            totals["generator_loss"] += lg.item() * len(x)
            totals["real_score"] += torch.sigmoid(real_logits).sum().item()
            totals["fake_score"] += torch.sigmoid(fake_logits).sum().item()
        for k in keys:
            history[k].append(totals[k] / n)
    return history


def same_as_the_prototype(saturating=False, epochs=2, batch_size=4, seed=3):
    """Whether train_gan's weights and history equal the prototype loop's (to 1e-12)."""
    G, D = models()
    G2, D2 = copy.deepcopy(G), copy.deepcopy(D)
    X = images()
    options = {"epochs": epochs, "batch_size": batch_size, "seed": seed}
    got = train_gan(G, D, X, lr=1e-2, saturating=saturating, progress=False, **options)
    want = prototype_loop(G2, D2, X, lr=1e-2, betas=(0.5, 0.999), saturating=saturating, **options)
    weights = zip(
        [*G.parameters(), *D.parameters()], [*G2.parameters(), *D2.parameters()], strict=True
    )
    if not all(torch.allclose(a, b, rtol=0, atol=1e-12) for a, b in weights):
        return False
    return got.keys() == want.keys() and all(
        np.allclose(got[k], want[k], rtol=1e-12, atol=0) for k in want
    )


@pytest.mark.parametrize("saturating", [False, True])
def test_train_gan_is_the_prototype_loop_step_by_step(saturating):
    assert same_as_the_prototype(saturating)  # 13 images in batches of 4: the last one of 1


def test_a_different_algorithm_would_not_pass_for_the_prototype(monkeypatch):
    # the saturating loss where the non-saturating one belongs
    monkeypatch.setattr(gan, "_generator_loss", lambda f, s: -gan._softplus(f).mean())
    assert not same_as_the_prototype(saturating=False)
    monkeypatch.undo()
    # the generator stepped before the discriminator

    def generator_first(G, D, opt_g, opt_d, x, g, saturating):
        w = G._weight
        z = torch.randn((x.shape[0], G.latent_dim), generator=g, dtype=w.dtype)
        fake = torch.sigmoid(G.net(z))
        loss_g = gan._generator_loss(D._logits(fake), saturating)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        real_logits, fake_logits = D._logits(x), D._logits(fake.detach())
        loss_d = gan._discriminator_loss(real_logits, fake_logits)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        scores = (
            torch.sigmoid(real_logits.detach()).mean(),
            torch.sigmoid(fake_logits.detach()).mean(),
        )
        return float(loss_d.detach()), float(loss_g.detach()), float(scores[0]), float(scores[1])

    monkeypatch.setattr(gan, "_step", generator_first)
    assert not same_as_the_prototype()


def test_training_is_reproducible_and_depends_on_the_seed():
    def run(seed):
        G, D = models()
        out = train_gan(G, D, images(), epochs=3, batch_size=4, seed=seed, progress=False)
        return [p.detach().clone() for p in (*G.parameters(), *D.parameters())], out

    (w1, h1), (w2, h2), (w3, h3) = run(5), run(5), run(6)
    assert h1 == h2 and all(torch.equal(a, b) for a, b in zip(w1, w2, strict=True))
    assert h1 != h3 and not all(torch.equal(a, b) for a, b in zip(w1, w3, strict=True))


@pytest.mark.parametrize(("n", "batch_size"), [(13, 4), (12, 4), (5, 64), (3, 1), (1, 1)])
def test_the_history_has_one_entry_per_epoch_and_per_step(n, batch_size):
    G, D = models()
    out = train_gan(G, D, images(n), epochs=3, batch_size=batch_size, progress=False)
    steps = math.ceil(n / batch_size)
    assert set(out) == {
        "discriminator_loss",
        "generator_loss",
        "real_score",
        "fake_score",
        "step_discriminator_loss",
        "step_generator_loss",
    }
    for key in ("discriminator_loss", "generator_loss", "real_score", "fake_score"):
        assert len(out[key]) == 3
    for key in ("step_discriminator_loss", "step_generator_loss"):
        assert len(out[key]) == 3 * steps
    values = [v for series in out.values() for v in series]
    assert all(isinstance(v, float) and math.isfinite(v) for v in values)
    assert all(0 < v < 1 for v in out["real_score"] + out["fake_score"])
    # the epoch's loss is the mean of its steps' losses, weighted by the batches' sizes
    sizes = np.array([min(batch_size, n - s) for s in range(0, n, batch_size)])
    for kind in ("discriminator_loss", "generator_loss"):
        per_step = np.array(out[f"step_{kind}"]).reshape(3, steps)
        np.testing.assert_allclose(out[kind], per_step @ sizes / n, rtol=1e-14)


def test_training_leaves_eval_mode_the_global_rng_and_the_dtype_alone():
    torch.manual_seed(0)
    G, D = Generator(2, 5, 6), Discriminator(6, 5)  # float32, data given in float64
    state = torch.get_rng_state()
    out = train_gan(G, D, torch.tensor(images()), epochs=2, batch_size=4, progress=False)
    assert torch.equal(torch.get_rng_state(), state)
    assert not G.training and not D.training
    assert all(p.dtype == torch.float32 for p in (*G.parameters(), *D.parameters()))
    assert len(out["step_generator_loss"]) == 8
    # integer images (0 and 1) and a list are converted to the weights' dtype too
    train_gan(G, D, np.eye(6, dtype=np.uint8), epochs=1, progress=False)
    train_gan(G, D, images(2).tolist(), epochs=1, progress=False)


def test_training_on_mnist_like_data_moves_the_scores():
    # real images: bright first half; the discriminator tells them from fresh fakes at first
    rng = np.random.default_rng(1)
    X = np.clip(
        np.concatenate([0.9 + 0.05 * rng.normal(size=(64, 3)), np.zeros((64, 3))], 1), 0, 1
    )
    G, D = models(hidden_dim=16)
    out = train_gan(G, D, X, epochs=40, batch_size=16, lr=5e-3, progress=False)
    assert out["real_score"][5] > out["fake_score"][5]
    # the generator learns the pattern: bright first half, dark second half
    x = G.sample(200, gen(0)).numpy()
    assert x[:, :3].mean() > 0.7 and x[:, 3:].mean() < 0.3


def test_divergence_stops_with_a_clear_error(monkeypatch):
    torch.manual_seed(0)
    G, D = Generator(2, 5, 6), Discriminator(6, 5)  # float32 overflows at lr = 1e30
    with pytest.raises(ValueError, match=r"training diverged at epoch 1: .*lower lr \(now 1e\+30"):
        train_gan(G, D, images(), epochs=3, batch_size=4, lr=1e30, progress=False)
    assert not G.training and not D.training
    # a finite loss with NaN gradients: the weights become NaN, caught at the epoch's end

    def nan_gradients(fake, saturating):
        hidden_nan = torch.where(fake > math.inf, torch.sqrt(-fake.abs() - 1), 0.0).sum()
        return F.softplus(-fake).mean() + hidden_nan

    monkeypatch.setattr(gan, "_generator_loss", nan_gradients)
    G, D = models()
    with pytest.raises(ValueError, match="diverged at epoch 1: the weights are NaN or infinite"):
        train_gan(G, D, images(), epochs=3, batch_size=100, progress=False)
    assert not G.training and not D.training


# ------------------------------------------------------------------ 6. bad input
BAD_X = {
    "NaN": ([[0.5] * 5 + [math.nan]], "X contains NaN or infinity"),
    "infinity": ([[0.5] * 5 + [math.inf]], "X contains NaN or infinity"),
    "above 1": ([[0.5] * 5 + [1.5]], r"X must lie in \[0, 1\].*0\.5 to 1\.5.*divide by 255"),
    "below 0": ([[0.5] * 5 + [-0.1]], r"X must lie in \[0, 1\]"),
    "MNIST levels": (np.full((2, 6), 255, dtype=np.uint8), r"X must lie in \[0, 1\]"),
    "the wrong width": (np.zeros((2, 5)), r"X must have shape \(n_images, 6\); got \(2, 5\)"),
    "one image as a vector": (np.zeros(6), r"X must have shape \(n_images, 6\); got \(6,\)"),
    "no image": (np.zeros((0, 6)), "X is empty"),
    "strings": ([["a"] * 6], "X must be a numeric array"),
    "complex numbers": (np.zeros((1, 6), dtype=complex), "X has complex entries"),
}


@pytest.mark.parametrize("case", BAD_X, ids=list(BAD_X))
def test_bad_images_are_refused_by_name(case):
    X, message = BAD_X[case]
    G, D = models()
    with pytest.raises(ValueError, match=message):
        train_gan(G, D, X, epochs=1, progress=False)
    if isinstance(X, np.ndarray) and X.dtype.kind != "c":  # the same as a tensor
        with pytest.raises(ValueError, match=message):
            train_gan(G, D, torch.as_tensor(X), epochs=1, progress=False)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs must be an integer >= 1; got 0"),
        ({"epochs": True}, "epochs must be an integer >= 1; got True"),
        ({"epochs": 1.5}, "epochs must be an integer >= 1; got 1.5"),
        ({"epochs": None}, "epochs must be an integer"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"batch_size": False}, "batch_size must be an integer >= 1"),
        ({"batch_size": 2.0}, "batch_size must be an integer >= 1"),
        ({"lr": 0.0}, "lr must be > 0"),
        ({"lr": -1.0}, "lr must be a finite number >= 0"),
        ({"lr": math.nan}, "lr must be a finite number"),
        ({"lr": math.inf}, "lr must be a finite number"),
        ({"lr": "0.1"}, "lr must be a finite number"),
        ({"betas": (1.0, 0.999)}, r"betas must be a pair of numbers in \[0, 1\)"),
        ({"betas": (0.5, -0.1)}, r"betas must be a pair"),
        ({"betas": (0.5,)}, r"betas must be a pair"),
        ({"betas": (0.5, 0.9, 0.9)}, r"betas must be a pair"),
        ({"betas": (math.nan, 0.9)}, r"betas must be a pair"),
        ({"betas": (True, 0.9)}, r"betas must be a pair"),
        ({"betas": "ab"}, r"betas must be a pair"),
        ({"betas": 0.5}, r"betas must be a pair"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"seed": 1.5}, "seed must be an integer >= 0"),
        ({"seed": True}, "seed must be an integer >= 0"),
        ({"seed": 2**63}, "seed must be below 2"),
        ({"saturating": "yes"}, "saturating must be True or False"),
        ({"saturating": 1}, "saturating must be True or False"),
        ({"progress": None}, "progress must be True or False"),
    ],
)
def test_bad_training_arguments_are_refused_by_name(kwargs, message):
    G, D = models()
    with pytest.raises(ValueError, match=message):
        train_gan(G, D, images(), **({"epochs": 1, "progress": False} | kwargs))


def test_the_models_must_fit_together():
    G, D = models(pixels=6)
    _, D5 = models(pixels=5)
    with pytest.raises(ValueError, match="output_dim is 6, the discriminator's input_dim is 5"):
        train_gan(G, D5, images(), epochs=1, progress=False)
    with pytest.raises(ValueError, match="must have the same dtype and device"):
        train_gan(G, D.float(), images(), epochs=1, progress=False)
    with pytest.raises(
        ValueError, match="generator must be a genlab.gan.Generator; got Sequential"
    ):
        train_gan(G.net, D, images(), epochs=1, progress=False)
    with pytest.raises(ValueError, match="discriminator must be a genlab.gan.Discriminator"):
        train_gan(G, G, images(), epochs=1, progress=False)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Generator(latent_dim=0), "latent_dim must be an integer >= 1"),
        (lambda: Generator(hidden_dim=True), "hidden_dim must be an integer >= 1"),
        (lambda: Generator(output_dim=7.0), "output_dim must be an integer >= 1"),
        (lambda: Generator(hidden_dim=10**9), "Generator's sizes is too large"),
        (lambda: Discriminator(input_dim=-1), "input_dim must be an integer >= 1"),
        (lambda: Discriminator(hidden_dim=0), "hidden_dim must be an integer >= 1"),
        (lambda: Discriminator(negative_slope=-0.1), "negative_slope must be a finite number"),
        (lambda: Discriminator(negative_slope=math.nan), "negative_slope must be a finite"),
        (lambda: Discriminator(hidden_dim=10**9), "Discriminator's sizes is too large"),
    ],
)
def test_bad_sizes_are_refused_by_name(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_bad_network_inputs_are_refused_by_name():
    G, D = models()
    z_nan = torch.zeros((2, 2), dtype=F64)
    z_nan[0, 1] = math.nan
    for z, message in [
        (torch.zeros((2, 3), dtype=F64), r"z must have shape \(n, 2\); got \(2, 3\)"),
        (torch.zeros(2, dtype=F64), r"z must have shape \(n, 2\); got \(2,\)"),
        (torch.zeros((2, 2)), "z must have the model's dtype torch.float64"),
        (np.zeros((2, 2)), "z must be a torch.Tensor; got ndarray"),
        (z_nan, "z contains NaN or infinity"),
    ]:
        with pytest.raises(ValueError, match=message):
            G(z)
    for x, message in [
        (torch.zeros((2, 5), dtype=F64), r"x must have shape \(n, 6\); got \(2, 5\)"),
        (torch.zeros((2, 6)), "x must have the model's dtype torch.float64"),
        (torch.full((2, 6), 2.0, dtype=F64), r"x must lie in \[0, 1\]"),
        (torch.full((2, 6), math.inf, dtype=F64), "x contains NaN or infinity"),
        ([[0.0] * 6], "x must be a torch.Tensor; got list"),
    ]:
        with pytest.raises(ValueError, match=message):
            D(x)


@pytest.mark.parametrize("n", [0, -1, True, 2.5, "3", None])
def test_bad_sample_sizes_are_refused_by_name(n):
    G, _ = models()
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        G.sample(n)


def test_bad_sample_generators_and_huge_samples_are_refused(monkeypatch):
    G, _ = models()
    for bad in (0, np.random.default_rng(0), "seed"):
        with pytest.raises(ValueError, match="generator must be a torch.Generator or None"):
            G.sample(2, bad)
    monkeypatch.setattr(_validation, "MAX_OUTPUT_BYTES", 8 * 6 * 10)
    with pytest.raises(ValueError, match="n is too large"):
        G.sample(11)
    assert G.sample(10).shape == (10, 6)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([0.0, 1.0], "must be a torch.Tensor; got list"),
        (torch.zeros((2, 1), dtype=F64), r"must have shape \(n,\) with n >= 1; got \(2, 1\)"),
        (torch.zeros(0, dtype=F64), r"must have shape \(n,\) with n >= 1; got \(0,\)"),
        (torch.tensor([0.0, math.nan], dtype=F64), "contains NaN"),
        (torch.tensor([0, 1]), "must hold floating-point logits; got dtype torch.int64"),
    ],
)
def test_bad_logits_are_refused_by_name(value, message):
    ok = torch.zeros(3, dtype=F64)
    with pytest.raises(ValueError, match=f"real_logits {message}"):
        discriminator_loss(value, ok)
    with pytest.raises(ValueError, match=f"fake_logits {message}"):
        discriminator_loss(ok, value)
    with pytest.raises(ValueError, match=f"fake_logits {message}"):
        generator_loss(value)
    with pytest.raises(ValueError, match="saturating must be True or False"):
        generator_loss(ok, saturating="no")


def test_degenerate_but_legal_input():
    G, D = models(latent_dim=1, hidden_dim=1, pixels=1)
    # one image of one pixel, a batch of one, the extremes 0 and 1
    for X in ([[0.0]], [[1.0]], np.array([[0.5]], dtype=np.float32)):
        out = train_gan(G, D, X, epochs=2, batch_size=1, progress=False)
        assert len(out["step_discriminator_loss"]) == 2
    one = torch.tensor([0.3], dtype=F64)
    assert torch.isfinite(discriminator_loss(one, one)) and torch.isfinite(generator_loss(one))
    assert G.sample(1, gen(0)).shape == (1, 1)
    assert D(torch.zeros((0, 1), dtype=F64)).shape == (0,)  # no image: no logit
