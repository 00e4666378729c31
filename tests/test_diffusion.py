"""The DDPM (genlab.diffusion) against oracles that do not use its own formulas.

* the forward marginal q(x_t | x_0) against the chain composed step by step (exact
  recursion) and against simulated chains (Kolmogorov-Smirnov, scipy.stats);
* the posterior q(x_{t-1} | x_t, x_0) against Bayes' rule integrated numerically;
* every KL term against ``torch.distributions.kl_divergence``; the discretized decoder
  against ``scipy.stats.norm`` and, far in the tails, ``mpmath``;
* a stub noise predictor that returns the true noise makes every middle term vanish;
* the decomposition of the bound into KL terms against the ELBO of whole forward
  trajectories, scored with ``torch.distributions.Normal``;
* on a 2x2 image with three levels and T = 1, the exact likelihood of all 81 images by
  Gauss-Hermite quadrature: it sums to 1, and the bound is never below it;
* the log weights of whole trajectories against ``torch.distributions.Normal`` on the same
  noise; their importance-weighted bound rises with k to the quadrature's exact likelihood
  (T = 1), and, for a stub whose reverse chain is linear-Gaussian (T = 3, exact likelihood in
  closed form with ``scipy.stats.norm``), the weights are unbiased for P(x);
* the batched bound and weights equal the step-by-step ones; training, sampling, bad input.
"""

from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pytest
import torch
from level_images import BAD_LEVEL_IMAGES, as_argument
from scipy import integrate, stats
from torch.distributions import Normal, kl_divergence

from genlab import _validation
from genlab.diffusion import (
    DDPM,
    NoiseSchedule,
    discretized_gaussian_log_prob,
    from_unit_interval,
    iwae_bound,
    nll_bound_terms,
    nll_bound_terms_reference,
    to_unit_interval,
    train_ddpm,
    trajectory_log_weights,
)


def ddpm(D=4, L=3, T=6, hidden=8, seed=0, beta=(0.05, 0.4)):
    torch.manual_seed(seed)
    model = DDPM(D, L, n_steps=T, hidden=hidden, beta_start=beta[0], beta_end=beta[1])
    model = model.double()
    with torch.no_grad():  # a noise predictor that is far from zero
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return model


def levels(n, D, L, seed=1):
    return torch.randint(0, L, (n, D), generator=torch.Generator().manual_seed(seed))


def test_schedule_follows_its_definition():
    s = NoiseSchedule(5, 0.1, 0.5)
    assert torch.allclose(s.betas, torch.tensor([0.1, 0.2, 0.3, 0.4, 0.5], dtype=torch.float64))
    expected = np.cumprod(1 - np.array([0.1, 0.2, 0.3, 0.4, 0.5]))
    np.testing.assert_allclose(s.alpha_bars.numpy(), expected, rtol=1e-15)
    assert NoiseSchedule(1, 0.3, 0.3).betas.tolist() == [0.3]


def test_forward_marginal_is_the_chain_composed_step_by_step():
    s = NoiseSchedule(50, 1e-3, 0.2)
    x0 = torch.tensor([[-1.0, 0.25, 1.0]], dtype=torch.float64)
    mean, var = x0.clone(), torch.zeros(1, 1, dtype=torch.float64)
    for t in range(1, 51):
        beta = float(s.betas[t - 1])
        mean, var = math.sqrt(1 - beta) * mean, (1 - beta) * var + beta
        m, sd = s.marginal(x0, torch.tensor([t]))
        torch.testing.assert_close(m, mean, rtol=1e-13, atol=1e-15)
        torch.testing.assert_close(sd**2, var, rtol=1e-13, atol=1e-15)


def test_forward_marginal_matches_simulated_chains():
    s = NoiseSchedule(10, 0.02, 0.3)
    g = torch.Generator().manual_seed(0)
    x0 = 0.6
    x = torch.full((20000,), x0, dtype=torch.float64)
    for t in range(1, 11):
        beta = float(s.betas[t - 1])
        x = math.sqrt(1 - beta) * x + math.sqrt(beta) * torch.randn(20000, generator=g).double()
        if t in (1, 4, 10):
            m, sd = s.marginal(torch.tensor([[x0]], dtype=torch.float64), torch.tensor([t]))
            p = stats.kstest(x.numpy(), stats.norm(float(m), float(sd)).cdf).pvalue
            assert p > 1e-3, (t, p)


@pytest.mark.parametrize("t", [2, 3, 7])
def test_posterior_is_bayes_rule_integrated_numerically(t):
    s = NoiseSchedule(8, 0.05, 0.3)
    x0, x_t = 0.4, -0.3
    a_bar_prev = float(s.alpha_bars[t - 2])
    beta = float(s.betas[t - 1])
    prior = stats.norm(math.sqrt(a_bar_prev) * x0, math.sqrt(1 - a_bar_prev))

    def joint(x):  # q(x_{t-1} | x_0) q(x_t | x_{t-1})
        return prior.pdf(x) * stats.norm(math.sqrt(1 - beta) * x, math.sqrt(beta)).pdf(x_t)

    def moment(k):
        return integrate.quad(lambda x: x**k * joint(x), -10, 10, epsabs=0, epsrel=1e-13)[0]

    z = moment(0)
    mean = moment(1) / z
    var = moment(2) / z - mean**2
    m, v = s.posterior(
        torch.tensor([[x0]], dtype=torch.float64),
        torch.tensor([[x_t]], dtype=torch.float64),
        torch.tensor([t]),
    )
    assert abs(float(m) - mean) < 1e-10
    assert abs(float(v) - var) < 1e-10


def test_kl_terms_match_torch_distributions():
    model = ddpm()
    x = levels(5, 4, 3)
    terms = nll_bound_terms_reference(model, x, generator=torch.Generator().manual_seed(3))
    # the same draws, scored with torch.distributions
    g = torch.Generator().manual_seed(3)
    x0 = to_unit_interval(x, 3)
    s = model.schedule
    for t in range(1, model.n_steps + 1):
        tt = torch.full((5,), t)
        mean, sd = s.marginal(x0, tt)
        x_t = mean + sd * torch.randn(x0.shape, generator=g, dtype=torch.float64)
        if t == 1:
            continue
        post_mean, post_var = s.posterior(x0, x_t, tt)
        q = Normal(post_mean, post_var.sqrt().expand_as(post_mean))
        p = Normal(model.reverse_mean(x_t, tt).detach(), post_var.sqrt().expand_as(post_mean))
        torch.testing.assert_close(terms[:, t - 1], kl_divergence(q, p).sum(1), rtol=1e-12, atol=0)
    mean_T, sd_T = s.marginal(x0, torch.full((5,), model.n_steps))
    prior_kl = kl_divergence(Normal(mean_T, sd_T.expand_as(mean_T)), Normal(0.0, 1.0)).sum(1)
    torch.testing.assert_close(terms[:, -1], prior_kl, rtol=1e-12, atol=0)


def test_discretized_gaussian_against_scipy_and_mpmath():
    L = 5
    x = torch.arange(L).repeat(3, 1)
    mean = torch.tensor([[-0.7] * L, [0.1] * L, [0.95] * L], dtype=torch.float64)
    std = 0.3
    log_p = discretized_gaussian_log_prob(x, mean, std, L)
    centres = 2 * np.arange(L) / (L - 1) - 1
    delta = 1 / (L - 1)
    for i in range(3):
        m = float(mean[i, 0])
        lo = np.r_[-np.inf, centres[1:] - delta]
        hi = np.r_[centres[:-1] + delta, np.inf]
        # upper tail by survival functions: 1 - cdf would cancel (scipy's own rounding)
        expected = np.where(
            lo > m,
            stats.norm.sf(lo, m, std) - stats.norm.sf(hi, m, std),
            stats.norm.cdf(hi, m, std) - stats.norm.cdf(lo, m, std),
        )
        np.testing.assert_allclose(np.exp(log_p[i].numpy()), expected, rtol=1e-12)
        assert abs(torch.logsumexp(log_p[i], 0).item()) < 1e-14  # the levels sum to 1
    # far in the tails: log-probabilities of 1e-300 and less, against 50-digit arithmetic
    mpmath.mp.dps = 50
    x = torch.tensor([[4, 0, 2]])
    mean = torch.tensor([[-1.0, 1.0, -1.0]], dtype=torch.float64)
    std = 0.02
    got = discretized_gaussian_log_prob(x, mean, std, L)[0]
    for j, (k, m) in enumerate([(4, -1.0), (0, 1.0), (2, -1.0)]):
        c = 2 * k / (L - 1) - 1
        a = -mpmath.inf if k == 0 else mpmath.mpf(c - delta)
        b = mpmath.inf if k == L - 1 else mpmath.mpf(c + delta)
        if a > m:  # upper tail: by symmetry, a difference of two tiny lower-tail CDFs
            prob = mpmath.ncdf(2 * m - a, mu=m, sigma=std) - mpmath.ncdf(
                2 * m - b, mu=m, sigma=std
            )
        else:
            prob = mpmath.ncdf(b, mu=m, sigma=std) - mpmath.ncdf(a, mu=m, sigma=std)
        assert float(got[j]) < -700  # would underflow to log(0) in probability space
        assert abs(float(got[j]) - float(mpmath.log(prob))) < 1e-9 * abs(float(got[j]))


class TrueNoise(DDPM):
    """A stub whose noise prediction is the true noise of x_t, given the data x0."""

    x0: torch.Tensor

    def predict_noise(self, x_t, t):
        x0 = self.x0.repeat(x_t.shape[0] // self.x0.shape[0], 1)
        a_bar = self.schedule.alpha_bars[t - 1][:, None]
        return (x_t - a_bar.sqrt() * x0) / (1 - a_bar).sqrt()


def test_the_true_noise_makes_every_middle_term_vanish():
    model = TrueNoise(4, 3, n_steps=10, hidden=4, beta_start=0.01, beta_end=0.3).double()
    x = levels(6, 4, 3)
    model.x0 = to_unit_interval(x, 3)
    g = torch.Generator().manual_seed(0)
    for terms in (
        nll_bound_terms_reference(model, x, generator=g),
        nll_bound_terms(model, x, generator=g, batch_steps=3),
    ):
        assert float(terms[:, 1:-1].abs().max()) < 1e-12
        # and mu_theta(x_1, 1) is x_0 itself, whatever x_1: L_0 is the mass of the level's
        # own bin under N(x_0, beta_1), by hand: delta / sigma = 0.5 / 0.1 = 5 sigmas
        log_edge = np.log1p(-stats.norm.sf(5.0))  # levels 0 and 2: one side of the bin is open
        log_middle = np.log1p(-2 * stats.norm.sf(5.0))
        expected = -np.where((x == 1).numpy(), log_middle, log_edge).sum(1)
        np.testing.assert_allclose(terms[:, 0].numpy(), expected, rtol=1e-12)
    mean, _ = model.schedule.marginal(model.x0, torch.full((6,), 1))
    torch.testing.assert_close(model.reverse_mean(mean, torch.full((6,), 1)), model.x0)


@pytest.mark.parametrize("batch_steps", [1, 4, 50])
def test_batched_bound_equals_the_reference(batch_steps):
    model = ddpm(T=9)
    x = levels(7, 4, 3)
    ref = nll_bound_terms_reference(model, x, generator=torch.Generator().manual_seed(5))
    fast = nll_bound_terms(
        model, x, generator=torch.Generator().manual_seed(5), batch_steps=batch_steps
    )
    torch.testing.assert_close(fast, ref, rtol=1e-12, atol=1e-13)
    assert ref.shape == (7, 10)
    assert bool((ref[:, 1:] >= 0).all())  # KL divergences


def test_the_kl_decomposition_equals_the_trajectory_elbo():
    # -ELBO = E_q[log q(x_{1:T} | x_0) - log p(x_T) - sum_t log p(x_{t-1} | x_t)
    #         - log P(x | x_1)], estimated on whole forward trajectories.
    model = ddpm(D=2, L=3, T=3)
    x = torch.tensor([[0, 2]])
    x0 = to_unit_interval(x, 3)
    s, n = model.schedule, 400000
    g = torch.Generator().manual_seed(11)
    path, prev = [], x0.repeat(n, 1)
    log_q = torch.zeros(n, dtype=torch.float64)
    for t in range(1, 4):
        beta = float(s.betas[t - 1])
        step = Normal(math.sqrt(1 - beta) * prev, math.sqrt(beta))
        prev = (
            step.sample()
            if False
            else step.loc + step.scale * torch.randn(prev.shape, generator=g, dtype=torch.float64)
        )
        log_q += step.log_prob(prev).sum(1)
        path.append(prev)
    log_p = Normal(0.0, 1.0).log_prob(path[-1]).sum(1)
    with torch.no_grad():
        for t in range(3, 1, -1):
            tt = torch.full((n,), t)
            var = (1 - s.alpha_bars[t - 2]) / (1 - s.alpha_bars[t - 1]) * s.betas[t - 1]
            mu = model.reverse_mean(path[t - 1], tt)
            log_p += Normal(mu, float(var) ** 0.5).log_prob(path[t - 2]).sum(1)
        mu_1 = model.reverse_mean(path[0], torch.full((n,), 1))
        decoder = discretized_gaussian_log_prob(x.repeat(n, 1), mu_1, float(s.betas[0]) ** 0.5, 3)
    elbo_terms = log_q - log_p - decoder.sum(1)
    terms = nll_bound_terms(model, x.repeat(n, 1), generator=torch.Generator().manual_seed(12))
    bound = terms.sum(1)
    diff = float(elbo_terms.mean() - bound.mean())
    se = math.sqrt(float(elbo_terms.var()) / n + float(bound.var()) / n)
    assert abs(diff) < 4 * se, (diff, se)
    assert se < 0.02  # the comparison has teeth: a missing term would shift it by more


@pytest.fixture(scope="module")
def two_by_two():
    """T = 1 on 2x2 images with 3 levels: the exact log P(x) of all 81 images.

    P(x) = integral of N(x_1; 0, I) P(x | x_1), by Gauss-Hermite quadrature in 4-D.
    """
    D, L = 4, 3
    model = ddpm(D=D, L=L, T=1, hidden=6, beta=(0.5, 0.5), seed=2)
    nodes, weights = np.polynomial.hermite_e.hermegauss(14)  # weight exp(-z^2 / 2)
    weights = weights / math.sqrt(2 * math.pi)
    grid = torch.tensor(list(itertools.product(nodes, repeat=D)), dtype=torch.float64)
    w = torch.tensor([math.prod(c) for c in itertools.product(weights, repeat=D)])
    images = torch.tensor(list(itertools.product(range(L), repeat=D)))
    one = torch.ones(len(grid), dtype=torch.long)
    with torch.no_grad():
        mu = model.reverse_mean(grid, one)
        std = math.sqrt(0.5)
        exact = torch.stack(
            [
                torch.logsumexp(
                    discretized_gaussian_log_prob(img.repeat(len(grid), 1), mu, std, L).sum(1)
                    + w.log(),
                    0,
                )
                for img in images
            ]
        )
    return model, images, exact, grid, w


def test_bound_is_above_the_exact_likelihood_of_every_2x2_image(two_by_two):
    model, images, exact, grid, w = two_by_two
    L, std = 3, math.sqrt(0.5)
    one = torch.ones(len(grid), dtype=torch.long)
    assert abs(float(torch.logsumexp(exact, 0))) < 1e-8  # the 81 probabilities sum to 1
    # the bound, its expectation over x_1 ~ q(x_1 | x_0) also by quadrature
    s = model.schedule
    for img, log_p in zip(images, exact, strict=True):
        x0 = to_unit_interval(img[None], L)
        mean, sd = s.marginal(x0, torch.ones(1, dtype=torch.long))
        with torch.no_grad():
            mu = model.reverse_mean(mean + sd * grid, one)
            rec = -(discretized_gaussian_log_prob(img.repeat(len(grid), 1), mu, std, L).sum(1) * w)
        prior = 0.5 * float((mean**2 + sd**2 - 1 - torch.log(sd**2)).sum())
        bound = float(rec.sum()) + prior
        assert bound >= -float(log_p) - 1e-10
    # and the estimator converges to the quadrature value of the bound
    terms = nll_bound_terms(
        model, img[None].repeat(20000, 1), generator=torch.Generator().manual_seed(0)
    )
    est = terms.sum(1)
    assert abs(float(est.mean()) - bound) < 4 * float(est.std()) / math.sqrt(20000)


def iwae_in_groups(log_w, k):
    """IWAE_k estimates from consecutive groups of k log weights: shape (len(log_w) // k, n)."""
    groups = log_w[: len(log_w) // k * k].reshape(len(log_w) // k, k, -1)
    return torch.logsumexp(groups, 1) - math.log(k)


@pytest.mark.parametrize("batch_steps", [1, 2, 50])
def test_trajectory_log_weights_match_torch_distributions(batch_steps):
    # log w = log p(x_T) + sum_{t >= 2} log p(x_{t-1} | x_t) + log P(x | x_1)
    #         - sum_t log q(x_t | x_{t-1}), on the same noise: one randn((k, n, D)) per step
    model = ddpm(D=4, L=3, T=5)
    k, n, D, T = 6, 3, 4, 5
    x = levels(n, D, 3)
    got = trajectory_log_weights(
        model, x, k, generator=torch.Generator().manual_seed(7), batch_steps=batch_steps
    )
    g = torch.Generator().manual_seed(7)
    s = model.schedule
    x0 = to_unit_interval(x, 3)
    path, log_q = [x0.expand(k, n, D)], torch.zeros(k, n, dtype=torch.float64)
    for t in range(1, T + 1):
        beta = float(s.betas[t - 1])
        step = Normal(math.sqrt(1 - beta) * path[-1], math.sqrt(beta))
        path.append(
            step.loc + step.scale * torch.randn((k, n, D), generator=g, dtype=torch.float64)
        )
        log_q += step.log_prob(path[-1]).sum(-1)
    log_p = Normal(0.0, 1.0).log_prob(path[T]).sum(-1)
    with torch.no_grad():
        for t in range(T, 0, -1):
            tt = torch.full((k * n,), t)
            mu = model.reverse_mean(path[t].reshape(k * n, D), tt).reshape(k, n, D)
            if t >= 2:
                _, var = s.posterior(x0[:1], x0[:1], torch.tensor([t]))  # tilde beta_t
                log_p += Normal(mu, float(var) ** 0.5).log_prob(path[t - 1]).sum(-1)
            else:  # the level's bin under N(mu, beta_1), the end bins open
                decoder = Normal(mu, math.sqrt(float(s.betas[0])))
                lo = torch.where(x == 0, -math.inf, x0 - 0.5)
                hi = torch.where(x == 2, math.inf, x0 + 0.5)
                prob = decoder.cdf(hi) - decoder.cdf(lo)
                assert float(prob.min()) > 1e-4  # no cancellation in the difference
                log_p += prob.log().sum(-1)
    assert got.shape == (k, n) and got.dtype == torch.float64
    torch.testing.assert_close(got, log_p - log_q, rtol=0, atol=1e-10)


def test_batched_trajectories_equal_the_step_by_step_ones():
    model = ddpm(T=9)
    x = levels(5, 4, 3)
    step_by_step = trajectory_log_weights(
        model, x, 4, generator=torch.Generator().manual_seed(8), batch_steps=1
    )
    for batch_steps in (2, 4, 9, 50):
        batched = trajectory_log_weights(
            model, x, 4, generator=torch.Generator().manual_seed(8), batch_steps=batch_steps
        )
        torch.testing.assert_close(batched, step_by_step, rtol=1e-13, atol=1e-12)
    # iwae_bound is the log of the mean of the same weights
    bound = iwae_bound(model, x, 4, generator=torch.Generator().manual_seed(8), batch_steps=3)
    expected = torch.log(torch.exp(step_by_step).mean(0))
    torch.testing.assert_close(bound, expected, rtol=1e-13, atol=1e-12)
    one = iwae_bound(model, x, 1, generator=torch.Generator().manual_seed(8))
    assert torch.equal(
        one, trajectory_log_weights(model, x, 1, generator=torch.Generator().manual_seed(8))[0]
    )


def test_iwae_rises_with_k_to_the_exact_likelihood_of_every_2x2_image(two_by_two):
    model, images, exact = two_by_two[:3]
    quadrature_error = 0.01  # 14 nodes per axis vs 26: at most 6.3e-3 nats
    n_draws = 4000
    log_w = trajectory_log_weights(
        model, images, n_draws, generator=torch.Generator().manual_seed(21)
    )
    iwae = {k: iwae_in_groups(log_w, k) for k in (1, 10, 100)}  # (n_draws // k, 81) each
    mean = {k: float(v.mean()) for k, v in iwae.items()}
    se = {k: float(v.mean(1).std()) / math.sqrt(len(v)) for k, v in iwae.items()}
    # IWAE_k rises with k, by many standard errors, and stays below log P (Jensen)
    assert mean[1] + 4 * se[1] < mean[10] - 4 * se[10]
    assert mean[10] + 4 * se[10] < mean[100] - 4 * se[100]
    assert mean[100] < float(exact.mean()) + 4 * se[100] + quadrature_error
    # IWAE_1 is the ELBO: the same expectation as minus the sum of the bound's terms
    terms = nll_bound_terms(
        model, images.repeat(500, 1), generator=torch.Generator().manual_seed(22)
    )
    elbo = -terms.sum(1).reshape(500, 81)
    se_elbo = float(elbo.mean(1).std()) / math.sqrt(500)
    assert abs(mean[1] - float(elbo.mean())) < 4 * math.hypot(se[1], se_elbo)
    # IWAE_2000 against log P, image by image: the log of a mean of k weights has standard
    # deviation sqrt(v / k) and bias -v / (2k) (delta method), v = Var(w) / P(x)^2, estimated
    # here from the 4000 other weights
    k = 2000
    ratio = torch.exp(log_w - torch.logsumexp(log_w, 0)) * n_draws  # w / (their mean)
    v = ratio.var(0)
    tolerance = 4 * (v / k).sqrt() + v / k + quadrature_error
    est = iwae_bound(model, images, k, generator=torch.Generator().manual_seed(23))
    assert bool(((est - exact).abs() < tolerance).all()), float(
        ((est - exact).abs() / tolerance).max()
    )
    assert float(tolerance.max()) < 0.25  # the comparison has teeth


class LinearNoise(DDPM):
    """A stub whose noise prediction is linear in x_t: the reverse chain is linear-Gaussian."""

    gamma = 0.8
    offset = torch.tensor([0.3, -0.2], dtype=torch.float64)

    def predict_noise(self, x_t, t):
        a_bar = self.schedule.alpha_bars[t - 1][:, None]
        return self.gamma * (1 - a_bar).sqrt() * x_t + self.offset


def linear_chain_log_likelihoods(model, images):
    """Exact log P(x) of LinearNoise: every x_t of the reverse chain is Gaussian.

    mu_theta(x_t, t) = A_t x_t + B_t, so from x_T ~ N(0, 1) (per pixel) each
    x_{t-1} = mu_theta(x_t, t) + sqrt(tilde beta_t) z is N(m, v) in closed form, and the
    decoder's level is that of y = mu_theta(x_1, 1) + sqrt(beta_1) z ~ N(m, v): the mass of
    its bin.
    """
    s, L = model.schedule, model.n_levels
    m, v = np.zeros(model.n_pixels), 1.0
    for t in range(model.n_steps, 0, -1):
        beta, a_bar = float(s.betas[t - 1]), float(s.alpha_bars[t - 1])
        A = (1 - model.gamma * beta) / math.sqrt(1 - beta)
        B = -beta * model.offset.numpy() / math.sqrt((1 - a_bar) * (1 - beta))
        if t >= 2:
            x = torch.zeros(1, 1, dtype=torch.float64)
            var = float(s.posterior(x, x, torch.tensor([t]))[1])  # tilde beta_t
        else:
            var = beta
        m, v = A * m + B, A**2 * v + var
    x = images.numpy()
    centres = 2 * x / (L - 1) - 1
    lo = np.where(x == 0, -np.inf, centres - 1 / (L - 1))
    hi = np.where(x == L - 1, np.inf, centres + 1 / (L - 1))
    prob = stats.norm.cdf(hi, m, math.sqrt(v)) - stats.norm.cdf(lo, m, math.sqrt(v))
    return torch.tensor(np.log(prob).sum(1))


def test_trajectory_weights_are_unbiased_for_a_linear_gaussian_chain():
    model = LinearNoise(2, 3, n_steps=3, hidden=4, beta_start=0.3, beta_end=0.6).double()
    images = torch.tensor(list(itertools.product(range(3), repeat=2)))
    exact = linear_chain_log_likelihoods(model, images)
    assert abs(float(torch.logsumexp(exact, 0))) < 1e-12  # the 9 probabilities sum to 1
    n_draws = 20000
    log_w = trajectory_log_weights(
        model, images, n_draws, generator=torch.Generator().manual_seed(31), batch_steps=2
    )
    # E_q[w] = P(x): the weights over P(x) have mean 1, image by image
    ratio = torch.exp(log_w - exact)
    se = ratio.std(0) / math.sqrt(n_draws)
    assert bool(((ratio.mean(0) - 1).abs() < 4 * se).all()), ((ratio.mean(0) - 1) / se).tolist()
    assert float(se.max()) < 0.06  # the comparison has teeth
    # IWAE_k rises with k, below log P; IWAE_1 is the ELBO
    iwae = {k: iwae_in_groups(log_w, k) for k in (1, 10, 100)}
    mean = {k: float(v.mean()) for k, v in iwae.items()}
    se_k = {k: float(v.mean(1).std()) / math.sqrt(len(v)) for k, v in iwae.items()}
    assert mean[1] + 4 * se_k[1] < mean[10] - 4 * se_k[10]
    assert mean[10] + 4 * se_k[10] < mean[100] - 4 * se_k[100]
    assert mean[100] < float(exact.mean()) + 4 * se_k[100]
    terms = nll_bound_terms(
        model, images.repeat(2000, 1), generator=torch.Generator().manual_seed(32)
    )
    elbo = -terms.sum(1).reshape(2000, 9)
    se_elbo = float(elbo.mean(1).std()) / math.sqrt(2000)
    assert abs(mean[1] - float(elbo.mean())) < 4 * math.hypot(se_k[1], se_elbo)


def test_levels_round_trip_through_the_unit_interval():
    x = torch.arange(17)[None]
    y = to_unit_interval(x, 17)
    assert float(y.min()) == -1.0 and float(y.max()) == 1.0
    assert torch.equal(from_unit_interval(y, 17), x)
    # within half a level (1/16) of a level's centre, the nearest level is that level
    assert torch.equal(from_unit_interval(y + 0.06, 17), x)
    assert torch.equal(from_unit_interval(y - 0.06, 17), x)
    assert torch.equal(from_unit_interval(y + 0.07, 17)[0, :16], x[0, :16] + 1)
    assert torch.equal(
        from_unit_interval(torch.tensor([[-3.0, 3.0]]), 17), torch.tensor([[0, 16]])
    )


def test_training_lowers_the_loss_and_sampling_gives_levels():
    rng = np.random.default_rng(0)
    first = rng.integers(0, 3, size=400)
    X = np.stack([first, first, 2 - first, first], 1)  # strongly dependent pixels
    torch.manual_seed(0)
    model = DDPM(4, 3, n_steps=20, hidden=32, beta_start=0.01, beta_end=0.3)
    history = train_ddpm(model, X, steps=300, batch_size=64, lr=3e-3, progress=False)
    assert len(history) == 300
    assert np.mean(history[-50:]) < 0.6 * np.mean(history[:20])
    images, path = model.sample(200, generator=torch.Generator().manual_seed(1), return_path=True)
    assert images.dtype == torch.long and images.shape == (200, 4)
    assert int(images.min()) >= 0 and int(images.max()) <= 2
    assert path.shape == (20, 200, 4)
    # most samples respect the data's rule: pixels 0, 1 and 3 equal, pixel 2 their mirror
    ok = (images[:, 0] == images[:, 1]) & (images[:, 0] == images[:, 3])
    ok &= images[:, 2] == 2 - images[:, 0]
    assert float(ok.double().mean()) > 0.6
    again = model.sample(200, generator=torch.Generator().manual_seed(1))
    assert torch.equal(images, again)  # seeded


@pytest.mark.parametrize("case", BAD_LEVEL_IMAGES, ids=list(BAD_LEVEL_IMAGES))
def test_bad_images_are_refused_by_name(case):
    value, message = BAD_LEVEL_IMAGES[case]
    model = ddpm(D=3)
    with pytest.raises(ValueError, match=message):
        nll_bound_terms(model, value)
    with pytest.raises(ValueError, match=message):
        nll_bound_terms_reference(model, value)
    with pytest.raises(ValueError, match=message):
        trajectory_log_weights(model, value, 2)
    with pytest.raises(ValueError, match=message):
        iwae_bound(model, value, 2)
    with pytest.raises(ValueError, match=as_argument(message, "X")):
        train_ddpm(model, value, steps=1, progress=False)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_steps": 0}, "n_steps must be an integer >= 1"),
        ({"beta_start": 0.0}, "beta_start must be > 0"),
        ({"beta_start": 0.3, "beta_end": 0.2}, "need 0 < beta_start <= beta_end < 1"),
        ({"beta_end": 1.0}, "need 0 < beta_start <= beta_end < 1"),
        ({"beta_end": float("nan")}, "beta_end must be a finite number"),
        ({"hidden": 0}, "hidden must be an integer >= 1"),
        ({"time_features": 3}, "time_features must be even"),
        ({"n_levels": 1}, "n_levels must be an integer >= 2"),
        ({"hidden": 10**9}, "DDPM's sizes is too large"),
    ],
)
def test_bad_sizes_are_refused(kwargs, message):
    args = {"n_pixels": 4, "n_levels": 3} | kwargs
    with pytest.raises(ValueError, match=message):
        DDPM(**args)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": 0}, "steps must be an integer >= 1"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"lr": -1.0}, "lr must be a finite number >= 0"),
        ({"lr": 0.0}, "lr must be > 0"),
        ({"seed": 2**63}, "seed must be below"),
    ],
)
def test_bad_training_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        train_ddpm(ddpm(), [[0, 1, 2, 0]], progress=False, **kwargs)


def test_bad_steps_and_models_are_refused():
    s = NoiseSchedule(5)
    x = torch.zeros(1, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"t must be in 1 .. 5"):
        s.marginal(x, torch.tensor([6]))
    with pytest.raises(ValueError, match=r"t must be in 2 .. 5"):
        s.posterior(x, x, torch.tensor([1]))
    with pytest.raises(ValueError, match="integer steps"):
        s.marginal(x, torch.tensor([1.0]))
    with pytest.raises(ValueError, match="must be a genlab.diffusion.DDPM"):
        nll_bound_terms(torch.nn.Linear(2, 2), [[0, 1]])
    with pytest.raises(ValueError, match="X is empty"):
        train_ddpm(ddpm(), np.zeros((0, 4), dtype=int), progress=False)
    with pytest.raises(ValueError, match="std must be > 0"):
        discretized_gaussian_log_prob(torch.zeros(1, 1, dtype=torch.long), x[:, :1], 0.0, 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0}, "k must be an integer >= 1; got 0"),
        ({"k": -3}, "k must be an integer >= 1; got -3"),
        ({"k": True}, "k must be an integer >= 1; got True"),
        ({"k": 2.0}, r"k must be an integer >= 1; got 2\.0"),
        ({"k": "2"}, "k must be an integer >= 1; got '2'"),
        ({"batch_steps": 0}, "batch_steps must be an integer >= 1"),
        ({"batch_steps": 1.5}, "batch_steps must be an integer >= 1"),
        ({"model": torch.nn.Linear(4, 4)}, "model must be a genlab.diffusion.DDPM; got Linear"),
    ],
)
@pytest.mark.parametrize("function", [trajectory_log_weights, iwae_bound])
def test_bad_trajectory_arguments_are_refused(function, kwargs, message):
    args = {"model": ddpm(), "x": [[0, 1, 2, 0]], "k": 2} | kwargs
    with pytest.raises(ValueError, match=message):
        function(**args)


def test_divergence_stops_with_a_clear_error():
    with pytest.raises(ValueError, match="training diverged at step .*lower lr"):
        train_ddpm(ddpm().float(), [[0, 1, 2, 0]] * 8, steps=20, lr=1e30, progress=False)


def test_sample_sizes_are_bounded(monkeypatch):
    model = ddpm(D=4, T=6)
    with pytest.raises(ValueError, match="n is too large"):
        model.sample(10**12)
    monkeypatch.setattr(_validation, "MAX_OUTPUT_BYTES", 8 * 10 * 4)
    assert model.sample(10).shape == (10, 4)
    with pytest.raises(ValueError, match=r"n is too large"):
        model.sample(11)
    with pytest.raises(ValueError, match=r"n is too large"):
        model.sample(2, return_path=True)  # 6 steps of 2 images
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        model.sample(0)


@pytest.mark.parametrize("function", [trajectory_log_weights, iwae_bound])
def test_trajectory_sizes_are_bounded(function, monkeypatch):
    model, x = ddpm(D=4, T=6), levels(3, 4, 3)
    model_32 = ddpm(D=4, T=6).float()
    with pytest.raises(ValueError, match="k is too large"):
        function(model, x, 10**12)
    # the steps of one network call, and x_{t-1} before them: (min(batch_steps, T) + 1, k, n, D)
    monkeypatch.setattr(_validation, "MAX_OUTPUT_BYTES", 8 * 3 * 5 * 3 * 4)
    assert function(model, x, 5, batch_steps=2).shape[-1] == 3
    with pytest.raises(ValueError, match=r"k is too large.*shape \(3, 6, 3, 4\)"):
        function(model, x, 6, batch_steps=2)
    with pytest.raises(ValueError, match=r"k is too large.*shape \(4, 5, 3, 4\)"):
        function(model, x, 5, batch_steps=3)
    # batch_steps beyond T count as T
    monkeypatch.setattr(_validation, "MAX_OUTPUT_BYTES", 8 * 7 * 2 * 3 * 4)
    assert function(model, x, 2, batch_steps=50).shape[-1] == 3
    with pytest.raises(ValueError, match=r"k is too large.*shape \(7, 3, 3, 4\)"):
        function(model, x, 3, batch_steps=50)
    # a float32 model's arrays take 4 bytes a number
    assert function(model_32, x, 4, batch_steps=50).dtype == torch.float32
    with pytest.raises(ValueError, match=r"k is too large.*shape \(7, 5, 3, 4\)"):
        function(model_32, x, 5, batch_steps=50)
