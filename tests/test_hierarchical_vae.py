"""HierarchicalVAE (genlab.hierarchical_vae) against oracles that do not use its code.

* the four networks recomputed from the weights by hand; every log-density of the ELBO
  against ``torch.distributions``' Normal, Independent and Bernoulli on the same draws,
  the analytic top KL against ``torch.distributions.kl_divergence`` (float64, 1e-12);
* a tiny model (3 binary pixels, d1 = d2 = 1): log p(x) of all 8 images by 2-D
  quadrature over (z1, z2), Gauss-Hermite and (converged to 1e-10) Gauss-Legendre between
  the ReLU kinks; the 8 probabilities sum to 1; the exact ELBO by the same quadrature is
  below log p(x) for every image; both one-draw estimators (analytic and Monte Carlo top
  KL) average to it within 4 standard errors, and to each other; a plausible wrong
  estimator (an analytic bottom "KL" given the drawn z2) does not;
* the bottom term is not a KL (negative on a constructed model) while the sum of the two
  latent terms is;
* the samplers against the exact pixel marginals and their documented draws;
  ``sample_given_top`` holds z2 fixed; ``posterior_means`` against its formula;
* ``active_units`` on hand-made means;
* training: the first epoch's loss and a whole run against a hand-written loop; the
  loss falls; runs are reproducible; divergence; bad input refused by name at every
  entry point; degenerate input accepted; deliberately broken formulas caught.
"""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np
import pytest
import torch
from torch.distributions import (
    Bernoulli,
    Independent,
    MultivariateNormal,
    Normal,
    kl_divergence,
)

from genlab import _validation, hierarchical_vae
from genlab.hierarchical_vae import HierarchicalVAE, active_units, train_hierarchical_vae

F64 = torch.float64
IMAGES = torch.tensor(list(itertools.product([0.0, 1.0], repeat=3)), dtype=F64)


def gen(seed):
    return torch.Generator().manual_seed(seed)


def hvae(D=3, H=8, dims=(1, 1), H2=8, seed=0, sharp=True):
    """A float64 model; ``sharp``: a decoder and a conditional prior far from the default."""
    torch.manual_seed(seed)
    model = HierarchicalVAE(D, H, dims, H2).double()
    if sharp:
        with torch.no_grad():
            for p in model.decoder.parameters():
                p.mul_(3.0)
            for p in [*model.prior_net.parameters(), *model.fc_prior_mean.parameters()]:
                p.mul_(2.0)
            model.fc_prior_logvar.bias.sub_(1.0)
    return model


# ------------------------------------------------------------------ oracles
def linear(layer, h):
    return h @ layer.weight.T + layer.bias


def oracle_q1(model, x):
    h = torch.relu(linear(model.encoder[0], x))
    return linear(model.fc_mu1, h), linear(model.fc_logvar1, h)


def oracle_q2(model, z1):
    h = torch.relu(linear(model.encoder_top[0], z1))
    return linear(model.fc_mu2, h), linear(model.fc_logvar2, h)


def oracle_p1(model, z2):
    h = torch.relu(linear(model.prior_net[0], z2))
    return linear(model.fc_prior_mean, h), linear(model.fc_prior_logvar, h)


def oracle_logits(model, z1):
    return linear(model.decoder[2], torch.relu(linear(model.decoder[0], z1)))


def normal(mean, logvar):
    return Independent(Normal(mean, torch.exp(0.5 * logvar)), 1)


def standard_normal(like):
    return Independent(Normal(torch.zeros_like(like), torch.ones_like(like)), 1)


def bernoulli(logits):
    # validate_args=False: Bernoulli's log_prob of grey levels is the cross-entropy
    return Independent(Bernoulli(logits=logits, validate_args=False), 1)


@torch.no_grad()
def oracle_terms(model, x, generator, top_kl="analytic"):
    """The ELBO's terms with the documented draws: randn((n, d1)), then randn((n, d2))."""
    (d1, d2), n = model.latent_dims, x.shape[0]
    mu1, lv1 = oracle_q1(model, x)
    z1 = mu1 + torch.exp(0.5 * lv1) * torch.randn((n, d1), generator=generator, dtype=F64)
    mu2, lv2 = oracle_q2(model, z1)
    z2 = mu2 + torch.exp(0.5 * lv2) * torch.randn((n, d2), generator=generator, dtype=F64)
    log_p_x = bernoulli(oracle_logits(model, z1)).log_prob(x)
    log_p_z1 = normal(*oracle_p1(model, z2)).log_prob(z1)
    log_p_z2 = standard_normal(z2).log_prob(z2)
    log_q_z1 = normal(mu1, lv1).log_prob(z1)
    log_q_z2 = normal(mu2, lv2).log_prob(z2)
    if top_kl == "analytic":
        kl_top = kl_divergence(normal(mu2, lv2), standard_normal(mu2))
        elbo = log_p_x + log_p_z1 - log_q_z1 - kl_top
    else:
        kl_top = log_q_z2 - log_p_z2
        elbo = log_p_x + log_p_z1 + log_p_z2 - log_q_z1 - log_q_z2
    return {
        "reconstruction": -log_p_x,
        "kl_bottom": log_q_z1 - log_p_z1,
        "kl_top": kl_top,
        "elbo": elbo,
        "z1": z1,
        "z2": z2,
    }


KEYS = ("reconstruction", "kl_bottom", "kl_top", "elbo")


def assert_terms_match_oracle(model, x, seed=0):
    for top_kl in ("analytic", "monte_carlo"):
        with torch.no_grad():
            got = model.elbo_terms(x, gen(seed), top_kl=top_kl)
        want = oracle_terms(model, x, gen(seed), top_kl)
        assert set(got) == set(KEYS)
        for key in KEYS:
            assert got[key].shape == (x.shape[0],)
            np.testing.assert_allclose(got[key].numpy(), want[key].numpy(), rtol=0, atol=1e-12)


# ---------------------------------------------------------- quadrature rules
def hermite_rule(n, center, scale):
    """Gauss-Hermite nodes and weights for E f(z), z ~ N(center, scale^2), per row.

    ``center``, ``scale``: tensors of shape (R,); returns (R, n) nodes and weights.
    """
    t, w = np.polynomial.hermite_e.hermegauss(n)  # weight exp(-t^2 / 2)
    t, w = torch.tensor(t), torch.tensor(w / math.sqrt(2 * math.pi))
    return center[:, None] + scale[:, None] * t, w.expand(len(center), n)


def legendre_rule(n, center, scale, kinks, width=12.0):
    """Gauss-Legendre between the kinks, for E f(z), z ~ N(center, scale^2), per row.

    On [center - width * scale, center + width * scale] (the Gaussian's tails beyond 12
    standard deviations weigh < 1e-32), cut at the ``kinks`` (where a ReLU of the
    integrand changes state): on each piece the integrand is analytic and the rule
    converges spectrally. The kinks are clipped into the interval, so that every row has
    the same number of pieces (a clipped one has length 0 and weight 0).
    """
    lo, hi = center - width * scale, center + width * scale  # (R,)
    inner = torch.minimum(torch.maximum(kinks[None, :], lo[:, None]), hi[:, None])
    cuts = torch.sort(torch.cat([lo[:, None], inner, hi[:, None]], dim=1), dim=1).values
    a, b = cuts[:, :-1, None], cuts[:, 1:, None]  # (R, pieces, 1)
    t, w = np.polynomial.legendre.leggauss(n)
    t, w = torch.tensor(t), torch.tensor(w)
    z = ((a + b) / 2 + (b - a) / 2 * t).flatten(1)  # (R, pieces * n)
    density = torch.exp(Normal(center[:, None], scale[:, None]).log_prob(z))
    return z, ((b - a) / 2 * w).flatten(1) * density


def kinks_of(layer):
    """Where the units of a ReLU layer with one input change state: -b / w."""
    w, b = layer.weight[:, 0], layer.bias
    return (-b[w != 0] / w[w != 0]).detach()


def rules(model, method, n):
    """(rule for z2 given its N(c, s), rule for z1 given its N(c, s)) for the 1-D model."""
    if method == "hermite":
        return (lambda c, s: hermite_rule(n, c, s),) * 2
    z2_kinks = kinks_of(model.prior_net[0])  # m(z2), v(z2)
    z1_kinks = torch.cat([kinks_of(model.decoder[0]), kinks_of(model.encoder_top[0])])
    return (
        lambda c, s: legendre_rule(n, c, s, z2_kinks),
        lambda c, s: legendre_rule(n, c, s, z1_kinks),
    )


@torch.no_grad()
def exact_log_p(model, images, method="legendre", n=24):
    """log p(x) = log of the double integral of p(x | z1) p(z1 | z2) p(z2) over (z1, z2)."""
    rule_z2, rule_z1 = rules(model, method, n)
    z2, w2 = rule_z2(torch.zeros(1, dtype=F64), torch.ones(1, dtype=F64))  # p(z2) = N(0, 1)
    z2, w2 = z2[0], w2[0]
    mean, logvar = oracle_p1(model, z2[:, None])  # p(z1 | z2) at every node of z2
    z1, w1 = rule_z1(mean[:, 0], torch.exp(0.5 * logvar[:, 0]))  # (n2, n1)
    log_p_x = bernoulli(oracle_logits(model, z1.reshape(-1, 1))[:, None, :]).log_prob(images)
    log_w = (torch.log(w2)[:, None] + torch.log(w1)).reshape(-1)  # zero weights: -inf
    return torch.logsumexp(log_p_x + log_w[:, None], dim=0)


@torch.no_grad()
def exact_elbo_terms(model, images, method="legendre", n=24):
    """E_q of -log p(x | z1), log q(z1 | x) - log p(z1 | z2), log q(z2 | z1) - log p(z2)."""
    rule_z2, rule_z1 = rules(model, method, n)
    mu1, lv1 = oracle_q1(model, images)
    out = []
    for i, x in enumerate(images):
        z1, w1 = rule_z1(mu1[i], torch.exp(0.5 * lv1[i]))  # q(z1 | x): (1, n1)
        z1, w1 = z1[0], w1[0]
        reconstruction = -bernoulli(oracle_logits(model, z1[:, None])).log_prob(x)
        log_q_z1 = Normal(mu1[i, 0], torch.exp(0.5 * lv1[i, 0])).log_prob(z1)
        mu2, lv2 = oracle_q2(model, z1[:, None])  # q(z2 | z1) at every node of z1
        z2, w2 = rule_z2(mu2[:, 0], torch.exp(0.5 * lv2[:, 0]))  # (n1, n2)
        mean, logvar = oracle_p1(model, z2.reshape(-1, 1))
        log_p_z1 = Normal(mean, torch.exp(0.5 * logvar)).log_prob(
            z1.repeat_interleave(z2.shape[1])[:, None]
        )
        log_p_z1 = log_p_z1.reshape(z2.shape)
        log_q_z2 = Normal(mu2, torch.exp(0.5 * lv2)).log_prob(z2)
        log_p_z2 = Normal(0.0, 1.0).log_prob(z2)
        kl_bottom = (w2 * (log_q_z1[:, None] - log_p_z1)).sum(1)
        kl_top = (w2 * (log_q_z2 - log_p_z2)).sum(1)
        out.append([(w1 * term).sum() for term in (reconstruction, kl_bottom, kl_top)])
    terms = torch.tensor(out)
    return {
        "reconstruction": terms[:, 0],
        "kl_bottom": terms[:, 1],
        "kl_top": terms[:, 2],
        "elbo": -terms.sum(1),
    }


@pytest.fixture(scope="module")
def tiny():
    """The 1-D model, its exact log p(x) and ELBO for the 8 images, and many ELBO draws."""
    model = hvae()
    exact = exact_log_p(model, IMAGES)
    elbo = exact_elbo_terms(model, IMAGES)
    R = 4000  # draws per image; the same draws for both estimators (paired)
    x = IMAGES.repeat(R, 1)
    with torch.no_grad():
        draws = {k: model.elbo_terms(x, gen(1), top_kl=k) for k in ("analytic", "monte_carlo")}
    draws = {k: {t: v.reshape(R, 8) for t, v in d.items()} for k, d in draws.items()}
    return model, exact, elbo, draws


def mean_and_se(t):
    """Mean and standard error over axis 0 (the draws)."""
    return t.mean(0), t.std(0) / math.sqrt(t.shape[0])


# ------------------------------------------------------------------ 1. networks
def test_the_networks_follow_their_specification():
    model = hvae(D=7, H=10, dims=(3, 2), H2=6)
    x = torch.rand((20, 7), generator=gen(1), dtype=F64)
    z1 = torch.randn((20, 3), generator=gen(2), dtype=F64) * 2
    z2 = torch.randn((20, 2), generator=gen(3), dtype=F64) * 2
    pairs = [
        (model.encode(x), oracle_q1(model, x)),
        (model.encode_top(z1), oracle_q2(model, z1)),
        (model.prior_bottom(z2), oracle_p1(model, z2)),
        ((model.decode(z1),), (oracle_logits(model, z1),)),
    ]
    with torch.no_grad():
        for got, want in pairs:
            for g, w in zip(got, want, strict=True):
                np.testing.assert_allclose(g.detach().numpy(), w.numpy(), rtol=0, atol=1e-13)
    assert model.encode(x)[0].shape == (20, 3) and model.encode_top(z1)[1].shape == (20, 2)
    assert model.prior_bottom(z2)[0].shape == (20, 3) and model.decode(z1).shape == (20, 7)


# ------------------------------------------------------------------ 2. the ELBO
@pytest.mark.parametrize("binary", [True, False])
def test_elbo_terms_equal_torch_distributions_on_the_same_draws(binary):
    model = hvae(D=7, H=10, dims=(3, 2), H2=6)
    x = torch.rand((30, 7), generator=gen(4), dtype=F64)
    assert_terms_match_oracle(model, x.round() if binary else x, seed=5)


def test_the_terms_add_up_and_the_monte_carlo_elbo_is_the_log_weight():
    model = hvae(D=7, H=10, dims=(3, 2), H2=6)
    x = torch.rand((30, 7), generator=gen(6), dtype=F64).round()
    with torch.no_grad():
        for top_kl in ("analytic", "monte_carlo"):
            t = model.elbo_terms(x, gen(7), top_kl=top_kl)
            total = -(t["reconstruction"] + t["kl_bottom"] + t["kl_top"])
            np.testing.assert_allclose(t["elbo"].numpy(), total.numpy(), rtol=0, atol=1e-12)
        # the two estimators share their draws; they differ only in the top term
        a = model.elbo_terms(x, gen(7))
        m = model.elbo_terms(x, gen(7), top_kl="monte_carlo")
        for key in ("reconstruction", "kl_bottom"):
            assert torch.equal(a[key], m[key])
        assert (a["kl_top"] - m["kl_top"]).abs().max() > 1e-3
        # the analytic top KL at the drawn z1: torch.distributions.kl_divergence
        z1 = oracle_terms(model, x, gen(7))["z1"]
        q2 = normal(*oracle_q2(model, z1))
        want = kl_divergence(q2, standard_normal(z1[:, :2]))
        np.testing.assert_allclose(a["kl_top"].numpy(), want.numpy(), rtol=0, atol=1e-12)
        assert torch.all(a["kl_top"] > 0)


def test_negative_elbo_is_the_mean_and_everything_follows_the_generator():
    model = hvae(D=5, H=6, dims=(2, 2), H2=4)
    x = torch.rand((12, 5), generator=gen(8), dtype=F64)
    loss = model.negative_elbo(x, gen(9))
    assert loss.shape == ()
    with torch.no_grad():
        assert float(loss) == pytest.approx(-float(model.elbo_terms(x, gen(9))["elbo"].mean()))
        mc = model.negative_elbo(x, gen(9), top_kl="monte_carlo")
        assert float(mc) == -float(
            model.elbo_terms(x, gen(9), top_kl="monte_carlo")["elbo"].mean()
        )
        assert torch.equal(
            model.elbo_terms(x, gen(9))["elbo"], model.elbo_terms(x, gen(9))["elbo"]
        )
        assert not torch.equal(
            model.elbo_terms(x, gen(9))["elbo"], model.elbo_terms(x, gen(10))["elbo"]
        )
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    assert sum(float(p.grad.abs().sum()) > 0 for p in model.parameters()) == len(
        list(model.parameters())
    )


# ------------------------------------------- 3. the exact likelihood by quadrature
def test_the_quadrature_has_converged_and_the_probabilities_sum_to_one(tiny):
    model, exact, elbo, _ = tiny
    assert float((exact - exact_log_p(model, IMAGES, n=32)).abs().max()) < 1e-10
    # 2-D Gauss-Hermite over (z2, z1 | z2), blind to the kinks: slower, but it agrees
    hermite = exact_log_p(model, IMAGES, "hermite", 200)
    assert float((exact - hermite).abs().max()) < 5e-3
    # a distribution over the 2^3 binary images: the probabilities sum to 1
    for log_p in (exact, hermite):
        assert abs(float(torch.logsumexp(log_p, 0).exp()) - 1) < 1e-8
    assert float(exact.max() - exact.min()) > 2  # far from uniform
    finer = exact_elbo_terms(model, IMAGES, n=32)
    for key in KEYS:
        assert float((elbo[key] - finer[key]).abs().max()) < 1e-10
    hermite_elbo = exact_elbo_terms(model, IMAGES, "hermite", 120)["elbo"]
    assert float((elbo["elbo"] - hermite_elbo).abs().max()) < 2e-2


def test_the_elbo_is_below_log_p_for_every_image(tiny):
    _, exact, elbo, draws = tiny
    gap = exact - elbo["elbo"]  # KL(q(z1, z2 | x) || p(z1, z2 | x)) >= 0
    assert torch.all(gap > 0.3)
    # the estimate averaged over 4000 draws, per image and per estimator, is below too
    for top_kl in ("analytic", "monte_carlo"):
        mean, se = mean_and_se(draws[top_kl]["elbo"])
        assert torch.all(mean + 4 * se < exact)


def test_both_estimators_are_unbiased_for_the_exact_elbo(tiny):
    _, _, elbo, draws = tiny
    for top_kl in ("analytic", "monte_carlo"):
        for key in KEYS:
            mean, se = mean_and_se(draws[top_kl][key])
            assert torch.all((mean - elbo[key]).abs() < 4 * se), (top_kl, key)
    # paired: the same draws, so the difference of the top terms has a small error
    diff = draws["analytic"]["kl_top"] - draws["monte_carlo"]["kl_top"]
    mean, se = mean_and_se(diff)
    assert torch.all(mean.abs() < 4 * se)
    assert torch.all(se < 0.02)


def test_an_analytic_bottom_kl_given_the_drawn_z2_is_biased_and_caught(tiny):
    # The tempting estimator KL(q(z1 | x) || p(z1 | z2)) in closed form, z2 ~ q(z2 | z1):
    # it treats z2 as independent of z1, which it is not under bottom-up inference.
    model, _, elbo, draws = tiny
    R = draws["analytic"]["elbo"].shape[0]
    x = IMAGES.repeat(R, 1)
    o = oracle_terms(model, x, gen(1))  # the same draws as the fixture's
    mu1, lv1 = oracle_q1(model, x)
    with torch.no_grad():
        wrong_bottom = kl_divergence(normal(mu1, lv1), normal(*oracle_p1(model, o["z2"])))
    wrong = (-o["reconstruction"] - wrong_bottom - o["kl_top"]).reshape(R, 8)
    mean, se = mean_and_se(wrong)
    assert float(((mean - elbo["elbo"]).abs() / se).max()) > 8


def test_the_bottom_term_is_not_a_kl_but_the_sum_of_both_is():
    # q(z2 | z1) copies z1 sharply, and p(z1 | z2) copies z2 back: log p(z1 | z2) is large
    model = HierarchicalVAE(2, 4, (1, 1), 2).double()
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.fc_logvar1.bias.fill_(0.0)  # q(z1 | x) = N(0, 1)
        model.encoder_top[0].weight.copy_(torch.tensor([[1.0], [-1.0]]))  # relu(z), relu(-z)
        model.fc_mu2.weight.copy_(torch.tensor([[1.0, -1.0]]))  # mu2(z1) = z1
        model.fc_logvar2.bias.fill_(-8.0)
        model.prior_net[0].weight.copy_(torch.tensor([[1.0], [-1.0]]))
        model.fc_prior_mean.weight.copy_(torch.tensor([[1.0, -1.0]]))  # m(z2) = z2
        model.fc_prior_logvar.bias.fill_(-6.0)
        t = model.elbo_terms(torch.full((20000, 2), 0.5, dtype=F64), gen(11))
    a2, b2 = math.exp(-8.0), math.exp(-6.0)  # the variances of q(z2 | z1) and p(z1 | z2)
    # E_q[log q(z1 | x) - log p(z1 | z2)] = -1/2 + (a^2 / b^2 + log b^2) / 2, with
    # z2 - z1 ~ N(0, a^2): negative
    bottom = -0.5 + 0.5 * (a2 / b2 + math.log(b2))
    mean, se = mean_and_se(t["kl_bottom"])
    assert abs(float(mean) - bottom) < 4 * float(se) and bottom < -3
    # the sum is KL(q(z1, z2 | x) || p(z1, z2)) between two 2-D Gaussians, >= 0
    q = MultivariateNormal(
        torch.zeros(2, dtype=F64), torch.tensor([[1, 1], [1, 1 + a2]], dtype=F64)
    )
    p = MultivariateNormal(
        torch.zeros(2, dtype=F64), torch.tensor([[1 + b2, 1], [1, 1]], dtype=F64)
    )
    mean, se = mean_and_se(t["kl_bottom"] + t["kl_top"])
    assert abs(float(mean - kl_divergence(q, p))) < 4 * float(se)
    assert float(kl_divergence(q, p)) > 0.5


# ------------------------------------------------------------------ 4. sampling
def test_sample_follows_the_documented_draws_and_the_exact_marginals(tiny):
    model, exact, _, _ = tiny
    with torch.no_grad():
        got = model.sample(50, gen(12))
        g = gen(12)
        z2 = torch.randn((50, 1), generator=g, dtype=F64)
        mean, logvar = oracle_p1(model, z2)
        z1 = mean + torch.exp(0.5 * logvar) * torch.randn((50, 1), generator=g, dtype=F64)
        want = torch.sigmoid(oracle_logits(model, z1))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=0, atol=1e-13)
    assert got.shape == (50, 3) and got.min() >= 0 and got.max() <= 1
    assert not torch.equal(model.sample(50, gen(13)), got)
    # E[sigmoid(decode(z1))] with z1 ~ p(z1) is P(x_i = 1), the exact marginal
    probs = model.sample(200_000, gen(14))
    marginal = (exact.exp()[:, None] * IMAGES).sum(0)
    mean, se = probs.mean(0), probs.std(0) / math.sqrt(len(probs))
    assert torch.all((mean - marginal).abs() < 4 * se)


def test_sample_given_top_holds_z2_fixed():
    model = hvae(D=5, H=6, dims=(2, 2), H2=4)
    z2 = torch.randn((3, 2), generator=gen(15), dtype=F64)
    with torch.no_grad():
        got = model.sample_given_top(z2, 4, gen(16))
        mean, logvar = oracle_p1(model, z2)
        eps = torch.randn((3, 4, 2), generator=gen(16), dtype=F64)
        want = torch.sigmoid(
            oracle_logits(model, mean[:, None] + torch.exp(0.5 * logvar)[:, None] * eps)
        )
    assert got.shape == (3, 4, 5)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=0, atol=1e-13)
    # a row depends on its own z2 only
    other = z2.clone()
    other[1] += 1.0
    again = model.sample_given_top(other, 4, gen(16))
    assert torch.equal(again[0], got[0]) and torch.equal(again[2], got[2])
    assert not torch.equal(again[1], got[1])
    # with a (nearly) deterministic p(z1 | z2) every draw of a row is the decoded mean
    with torch.no_grad():
        model.fc_prior_logvar.bias.fill_(-60.0)
        model.fc_prior_logvar.weight.zero_()
        sharp = model.sample_given_top(z2, 4, gen(16))
        decoded = torch.sigmoid(model.decode(model.prior_bottom(z2)[0]))
    np.testing.assert_allclose(sharp.numpy(), decoded[:, None].expand(3, 4, 5).numpy(), atol=1e-12)
    assert float((sharp[0] - sharp[1]).abs().max()) > 1e-3


def test_posterior_means_follow_their_formula():
    model = hvae(D=5, H=6, dims=(2, 3), H2=4)
    x = torch.rand((7, 5), generator=gen(17), dtype=F64)
    mean1, mean2 = model.posterior_means(x, 50, gen(18))
    mu1, lv1 = oracle_q1(model, x)
    z1 = mu1 + torch.exp(0.5 * lv1) * torch.randn((50, 7, 2), generator=gen(18), dtype=F64)
    want2 = oracle_q2(model, z1)[0].mean(0)
    assert mean1.shape == (7, 2) and mean2.shape == (7, 3)
    np.testing.assert_allclose(mean1.numpy(), mu1.detach().numpy(), rtol=0, atol=1e-13)
    np.testing.assert_allclose(mean2.numpy(), want2.detach().numpy(), rtol=0, atol=1e-13)


# ------------------------------------------------------------- 5. active units
def test_active_units_by_hand():
    # column variances (divisor n): 0, 1, 0.0025, and 0.0099 (0.0198 with divisor n - 1)
    means = np.array(
        [
            [0.0, 1.0, 5.0, 0.0995],
            [0.0, -1.0, 5.1, -0.0995],
            [0.0, 1.0, 5.0, 0.0995],
            [0.0, -1.0, 5.1, -0.0995],
        ]
    )
    expected = np.array([False, True, False, False])
    np.testing.assert_array_equal(active_units(means), expected)
    np.testing.assert_array_equal(active_units(torch.tensor(means)), expected)
    assert active_units(means).dtype == np.bool_
    np.testing.assert_array_equal(active_units(means, threshold=0.002), [False, True, True, True])
    np.testing.assert_array_equal(active_units(means, threshold=1.0), [False] * 4)  # strict
    np.testing.assert_array_equal(active_units(means, threshold=0), [False, True, True, True])
    np.testing.assert_array_equal(active_units(means[:1]), [False] * 4)  # one image: 0
    grad = torch.tensor(means, requires_grad=True)
    np.testing.assert_array_equal(active_units(grad * 1), expected)


@pytest.mark.parametrize(
    ("means", "threshold", "message"),
    [
        ([[0.0, float("nan")]], 0.01, "means contains NaN"),
        ([1.0, 2.0], 0.01, "means must be 2-dimensional"),
        (np.zeros((0, 2)), 0.01, "means has 0 sample"),
        ([["a", "b"]], 0.01, "means"),
        ([[0.0, 1.0]], -0.1, "threshold must be a finite number >= 0"),
        ([[0.0, 1.0]], float("nan"), "threshold must be a finite number >= 0"),
        ([[0.0, 1.0]], True, "threshold must be a finite number >= 0"),
        ([[0.0, 1.0]], "0.01", "threshold must be a finite number >= 0"),
    ],
)
def test_active_units_refuses_bad_input_by_name(means, threshold, message):
    with pytest.raises(ValueError, match=message):
        active_units(means, threshold)


# ------------------------------------------------------------------ 6. training
def teacher_data(n, seed, D=8):
    teacher = hvae(D=D, H=16, dims=(2, 1), H2=8, seed=5)
    with torch.no_grad():
        return torch.bernoulli(teacher.sample(n, gen(seed)), generator=gen(seed + 1))


def fresh(D=8, seed=0):
    torch.manual_seed(seed)
    return HierarchicalVAE(D, 16, (2, 1), 8).double()


def test_the_first_epoch_is_the_hand_computed_negative_elbo():
    X = teacher_data(40, 20)
    model = fresh()
    start = copy.deepcopy(model)
    out = train_hierarchical_vae(model, X, epochs=1, batch_size=64, seed=3, progress=False)
    g = gen(3)
    order = torch.randperm(40, generator=g)
    want = oracle_terms(start, X[order], g)  # one batch: the initial weights
    assert set(out) == {"loss", "reconstruction", "kl_bottom", "kl_top"}
    assert out["loss"][0] == pytest.approx(-float(want["elbo"].mean()), abs=1e-12)
    for key in ("reconstruction", "kl_bottom", "kl_top"):
        assert out[key][0] == pytest.approx(float(want[key].mean()), abs=1e-12)


def test_training_is_the_hand_written_adam_loop():
    X = teacher_data(30, 21)
    model = fresh()
    hand = copy.deepcopy(model)
    out = train_hierarchical_vae(model, X, epochs=2, batch_size=8, lr=3e-3, seed=4, progress=False)
    g = gen(4)
    optimiser = torch.optim.Adam(hand.parameters(), lr=3e-3)  # not fused: another kernel
    losses = []
    for _ in range(2):
        order = torch.randperm(30, generator=g)
        total = 0.0
        for start in range(0, 30, 8):
            batch = X[order[start : start + 8]]
            # the documented draws: randn((n, d1)), then randn((n, d2))
            mu1, lv1 = oracle_q1(hand, batch)
            z1 = mu1 + torch.exp(0.5 * lv1) * torch.randn((len(batch), 2), generator=g, dtype=F64)
            mu2, lv2 = oracle_q2(hand, z1)
            z2 = mu2 + torch.exp(0.5 * lv2) * torch.randn((len(batch), 1), generator=g, dtype=F64)
            elbo = (
                bernoulli(oracle_logits(hand, z1)).log_prob(batch)
                + normal(*oracle_p1(hand, z2)).log_prob(z1)
                - normal(mu1, lv1).log_prob(z1)
                - kl_divergence(normal(mu2, lv2), standard_normal(mu2))
            )
            loss = -elbo.mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(batch)
        losses.append(total / 30)
    np.testing.assert_allclose(out["loss"], losses, rtol=0, atol=1e-10)
    for a, b in zip(model.parameters(), hand.parameters(), strict=True):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=0, atol=1e-10)


def test_training_lowers_the_loss_and_is_reproducible():
    X, X_val = teacher_data(600, 22), teacher_data(300, 23)

    def held_out(model):
        with torch.no_grad():
            return float(model.negative_elbo(X_val.repeat(10, 1), gen(0)))

    runs = []
    for seed in (0, 0, 1):
        model = fresh()
        before = held_out(model)
        out = train_hierarchical_vae(
            model, X, epochs=6, batch_size=32, lr=1e-2, seed=seed, progress=False
        )
        runs.append((model, out))
    (model, out), (again, out_again), (_, out_other) = runs
    assert len(out["loss"]) == 6
    assert out["loss"][-1] < out["loss"][0] - 0.5
    assert held_out(model) < before - 0.5
    assert out == out_again
    for a, b in zip(model.state_dict().values(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert out_other != out
    assert not model.training  # left in evaluation mode


def test_divergence_stops_with_a_clear_error():
    model = fresh()
    with pytest.raises(
        ValueError, match=r"training diverged at epoch 1: .*lower lr \(now 1e\+30\)"
    ):
        train_hierarchical_vae(
            model, teacher_data(64, 24), epochs=3, batch_size=8, lr=1e30, progress=False
        )


def test_training_refuses_weights_that_are_already_broken():
    model = fresh()
    with torch.no_grad():
        model.fc_mu1.bias[0] = float("nan")
    with pytest.raises(ValueError, match="weights hold NaN or infinity before training"):
        train_hierarchical_vae(model, teacher_data(8, 25), epochs=1, progress=False)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs must be an integer >= 1"),
        ({"epochs": True}, "epochs must be an integer >= 1"),
        ({"epochs": 2.0}, "epochs must be an integer >= 1"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"lr": 0.0}, "lr must be > 0"),
        ({"lr": -1.0}, "lr must be a finite number"),
        ({"lr": float("nan")}, "lr must be a finite number"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"seed": 2**64}, "seed must be below 2\\*\\*64"),
        ({"seed": 1.5}, "seed must be an integer"),
        ({"progress": "yes"}, "progress must be True or False"),
        ({"X": [[0.0, 0.5]]}, "X must have 3 columns"),
        ({"X": [[0.0, 0.5, 2.0]]}, r"X must lie in \[0, 1\]"),
        ({"X": [[0.0, 0.5, float("nan")]]}, "X contains NaN"),
        ({"X": np.zeros((0, 3))}, "X has 0 sample"),
        ({"X": [0.0, 0.5, 1.0]}, "X must be 2-dimensional"),
        ({"X": [["a", "b", "c"]]}, "X"),
        ({"model": "a model"}, "model must be a genlab.hierarchical_vae.HierarchicalVAE"),
    ],
)
def test_bad_training_arguments_are_refused_by_name(kwargs, message):
    args = {"model": hvae(), "X": [[0.0, 0.5, 1.0]], "epochs": 1, "progress": False} | kwargs
    model, X = args.pop("model"), args.pop("X")
    with pytest.raises(ValueError, match=message):
        train_hierarchical_vae(model, X, **args)


# ------------------------------------------------------------------ 7. bad input
def _nan(shape):
    t = torch.zeros(shape, dtype=F64)
    t[0, -1] = float("nan")
    return t


BAD_X = {
    "an array": (np.zeros((2, 3)), "x must be a torch.Tensor; got ndarray"),
    "a list": ([[0.0, 0.0, 0.0]], "x must be a torch.Tensor; got list"),
    "float32": (torch.zeros((2, 3)), "x has dtype torch.float32 but the model's weights"),
    "integers": (torch.zeros((2, 3), dtype=torch.long), "x must hold floating-point"),
    "the wrong width": (torch.zeros((2, 4), dtype=F64), r"x must have shape \(batch, 3\)"),
    "a vector": (torch.zeros(3, dtype=F64), r"x must have shape \(batch, 3\); got \(3,\)"),
    "empty": (torch.zeros((0, 3), dtype=F64), "x is empty"),
    "NaN": (_nan((2, 3)), "x contains NaN or infinity"),
    "infinity": (torch.full((2, 3), float("inf"), dtype=F64), "x contains NaN or infinity"),
    "above 1": (torch.full((2, 3), 1.5, dtype=F64), r"x must lie in \[0, 1\]"),
    "negative": (torch.full((2, 3), -0.1, dtype=F64), r"x must lie in \[0, 1\]"),
}


@pytest.mark.parametrize("case", BAD_X, ids=list(BAD_X))
def test_bad_images_are_refused_by_name_at_every_entry_point(case):
    value, message = BAD_X[case]
    model = hvae()
    calls = [
        lambda: model.encode(value),
        lambda: model.elbo_terms(value),
        lambda: model.elbo_terms(value, top_kl="monte_carlo"),
        lambda: model.negative_elbo(value),
        lambda: model.posterior_means(value),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=message):
            call()


BAD_CODES = {
    "an array": (lambda d: np.zeros((2, d)), "{name} must be a torch.Tensor; got ndarray"),
    "float32": (lambda d: torch.zeros((2, d)), "{name} has dtype torch.float32"),
    "the wrong width": (
        lambda d: torch.zeros((2, d + 1), dtype=F64),
        r"{name} must have shape \(batch, {d}\)",
    ),
    "a vector": (lambda d: torch.zeros(d, dtype=F64), r"{name} must have shape \(batch, {d}\)"),
    "empty": (lambda d: torch.zeros((0, d), dtype=F64), "{name} is empty"),
    "NaN": (lambda d: _nan((2, d)), "{name} contains NaN or infinity"),
}


@pytest.mark.parametrize("case", BAD_CODES, ids=list(BAD_CODES))
def test_bad_codes_are_refused_by_name_at_every_entry_point(case):
    make, message = BAD_CODES[case]
    model = hvae(D=4, H=5, dims=(3, 2), H2=4)
    calls = [
        (model.encode_top, "z1", 3),
        (model.decode, "z1", 3),
        (model.prior_bottom, "z2", 2),
        (lambda z: model.sample_given_top(z, 2), "z2", 2),
    ]
    for call, name, d in calls:
        with pytest.raises(ValueError, match=message.format(name=name, d=d)):
            call(make(d))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3", None])
def test_bad_counts_are_refused_by_name(bad):
    model = hvae()
    x, z2 = torch.zeros((1, 3), dtype=F64), torch.zeros((1, 1), dtype=F64)
    for call, name in [
        (lambda: model.sample(bad), "n"),
        (lambda: model.sample_given_top(z2, bad), "n_per"),
        (lambda: model.posterior_means(x, bad), "n_draws"),
    ]:
        with pytest.raises(ValueError, match=f"{name} must be an integer >= 1"):
            call()


@pytest.mark.parametrize("bad", [0, "seed", np.random.default_rng(0)])
def test_bad_generators_and_estimators_are_refused_by_name(bad):
    model = hvae()
    x, z2 = torch.zeros((1, 3), dtype=F64), torch.zeros((1, 1), dtype=F64)
    for call in [
        lambda: model.elbo_terms(x, bad),
        lambda: model.negative_elbo(x, bad),
        lambda: model.posterior_means(x, 3, bad),
        lambda: model.sample(2, bad),
        lambda: model.sample_given_top(z2, 2, bad),
    ]:
        with pytest.raises(ValueError, match="generator must be a torch.Generator or None"):
            call()
    for top_kl in ("mc", None, "Analytic"):
        with pytest.raises(ValueError, match="top_kl must be 'analytic' or 'monte_carlo'"):
            model.elbo_terms(x, top_kl=top_kl)
        with pytest.raises(ValueError, match="top_kl must be"):
            model.negative_elbo(x, top_kl=top_kl)


def test_output_sizes_are_bounded(monkeypatch):
    model = hvae()
    with pytest.raises(ValueError, match="n is too large"):
        model.sample(10**12)
    monkeypatch.setattr(_validation, "MAX_OUTPUT_BYTES", 8 * 8 * 10)
    assert model.sample(10).shape == (10, 3)
    with pytest.raises(ValueError, match="n is too large"):
        model.sample(11)
    with pytest.raises(ValueError, match="n_per is too large"):
        model.sample_given_top(torch.zeros((2, 1), dtype=F64), 6)
    with pytest.raises(ValueError, match="n_draws is too large"):
        model.posterior_means(torch.zeros((2, 3), dtype=F64), 6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_dim": 0}, "input_dim must be an integer >= 1"),
        ({"input_dim": 3.0}, "input_dim must be an integer >= 1"),
        ({"hidden_dim": True}, "hidden_dim must be an integer >= 1"),
        ({"top_hidden_dim": 0}, "top_hidden_dim must be an integer >= 1"),
        ({"latent_dims": (0, 1)}, r"latent_dims\[0\] \(d1\) must be an integer >= 1"),
        ({"latent_dims": (1, 1.5)}, r"latent_dims\[1\] \(d2\) must be an integer >= 1"),
        ({"latent_dims": (2,)}, "latent_dims must be a pair of integers"),
        ({"latent_dims": 2}, "latent_dims must be a pair of integers"),
        ({"latent_dims": "ab"}, "latent_dims must be a pair of integers"),
        ({"hidden_dim": 10**9}, "HierarchicalVAE's sizes is too large"),
    ],
)
def test_bad_sizes_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HierarchicalVAE(**kwargs)


def test_defaults_and_degenerate_but_legal_input():
    torch.manual_seed(0)
    model = HierarchicalVAE()
    assert model.latent_dims == (16, 4) and model.input_dim == 784
    assert model.hidden_dim == 256 and model.top_hidden_dim == 64
    assert model.elbo_terms(torch.zeros((1, 784)))["elbo"].dtype == torch.float32
    assert HierarchicalVAE(latent_dims=[3, 2]).latent_dims == (3, 2)
    small = hvae()
    one = torch.tensor([[1.0, 0.0, 1.0]], dtype=F64)
    with torch.no_grad():
        for x in (one, torch.zeros((1, 3), dtype=F64), torch.ones((1, 3), dtype=F64)):
            t = small.elbo_terms(x)
            assert all(v.shape == (1,) and torch.isfinite(v).all() for v in t.values())
    assert small.sample(1).shape == (1, 3)
    assert small.sample_given_top(torch.zeros((1, 1), dtype=F64), 1).shape == (1, 1, 3)
    out = train_hierarchical_vae(small, one, epochs=2, batch_size=1, progress=False)
    assert len(out["loss"]) == 2 and all(math.isfinite(v) for v in out["loss"])
    assert train_hierarchical_vae(hvae(), one.float().numpy(), epochs=1, progress=False)


# ------------------------------------------- 8. the oracles can tell a bug
def _log_normal_with_sd(z, mean, logvar):
    sd = torch.exp(0.5 * logvar)  # the standard deviation where the variance belongs
    return -0.5 * torch.sum((z - mean) ** 2 / sd + logvar + math.log(2 * math.pi), dim=-1)


def _drop_first_log_normal():
    """log p(z1 | z2), the first log-density _elbo_terms takes, left out (returns 0)."""
    calls = itertools.count()
    right = hierarchical_vae._log_normal

    def broken(z, mean, logvar):
        value = right(z, mean, logvar)
        return torch.zeros_like(value) if next(calls) % 3 == 0 else value

    return broken


BUGS = {
    "log p(z1 | z2) left out": ("_log_normal", _drop_first_log_normal),
    "a prior of z1 that ignores z2": (
        "HierarchicalVAE._prior_bottom",
        lambda: lambda self, z2: (torch.zeros(len(z2), 1, dtype=F64),) * 2,
    ),
    "a sign flip in the top KL": (
        "_kl_from_standard_normal",
        lambda: lambda mean, logvar: -0.5 * torch.sum(mean**2 + logvar.exp() - 1 - logvar, -1),
    ),
    "a sign flip in log p(z2)": (
        "_log_standard_normal",
        lambda: lambda z: 0.5 * torch.sum(z**2 + math.log(2 * math.pi), dim=-1),
    ),
    "the standard deviation for the variance": ("_log_normal", lambda: _log_normal_with_sd),
    "the Bernoulli of 1 - x": (
        "_log_bernoulli",
        lambda: (
            lambda logits, x: (
                -torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, 1 - x, reduction="none"
                ).sum(-1)
            )
        ),
    ),
}


@pytest.mark.parametrize("bug", BUGS, ids=list(BUGS))
def test_plausible_bugs_would_be_caught(monkeypatch, bug):
    model = hvae()
    assert_terms_match_oracle(model, IMAGES)  # the real code passes
    where, make = BUGS[bug]
    if where.startswith("HierarchicalVAE."):
        monkeypatch.setattr(HierarchicalVAE, where.split(".")[1], make())
    else:
        monkeypatch.setattr(hierarchical_vae, where, make())
    with pytest.raises(AssertionError):
        assert_terms_match_oracle(model, IMAGES)
