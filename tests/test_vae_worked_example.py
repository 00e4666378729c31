"""The numbers of the paper's §3.2 (Eqs. 36-41, Figures 17-18) and of the taxonomy notes'
VAE example: each printed value checked, each erratum asserted (printed and correct)."""

import math

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from torch.distributions import Normal
from torch.distributions import kl_divergence as torch_kl

from genlab.vae import kl_divergence


def sigmoid(a):
    return 1 / (1 + math.exp(-a))


def test_the_neuron_example_eqs_36_37():
    n0, n1, n2, b = 0.9, 0.5, 0.25, 0.25
    w = [0.1, 0.25, 0.4, 0.3, 0.9, 0.5]
    n3 = n0 * w[0] + n1 * w[2] + n2 * w[4] + b
    n4 = n0 * w[1] + n1 * w[3] + n2 * w[5] + b
    assert n3 == pytest.approx(0.765) and n4 == pytest.approx(0.75)
    # Erratum: the paper's 1 / (1 + e^(0.9*0.1 + 0.5*0.4 + 0.25)) ~ 0.37 drops N2*w4 and
    # flips the sign of the exponent; the activated N3 is 0.682 (N4: 0.679).
    printed = 1 / (1 + math.exp(0.9 * 0.1 + 0.5 * 0.4 + 0.25))
    assert round(printed, 2) == 0.37
    assert sigmoid(n3) == pytest.approx(0.682438, abs=1e-6)
    assert sigmoid(n4) == pytest.approx(0.679179, abs=1e-6)


def test_eq40_discrete_kl():
    p_theta, p_omega = np.array([0.28, 0.72]), np.array([0.35, 0.56])
    printed = 0.17
    assert round(float(np.sum(p_theta * np.log2(p_theta / p_omega))), 2) == printed
    # Erratum: p_omega is not a distribution (it sums to 0.91); normalised, KL = 0.035 bits.
    assert p_omega.sum() == pytest.approx(0.91)
    fixed = p_omega / p_omega.sum()
    assert float(np.sum(p_theta * np.log2(p_theta / fixed))) == pytest.approx(0.034849, abs=1e-6)


@pytest.mark.parametrize(
    ("sigma", "mu", "quoted", "true", "eq41"),
    [(0.7, 0.1, 0.5, 0.106675, -0.143325), (0.53, 0.83, 0.05, 0.619778, 0.604678)],
)
def test_eq41_and_figures_17_18(sigma, mu, quoted, true, eq41):
    oracle = torch_kl(
        Normal(torch.tensor(mu, dtype=torch.float64), torch.tensor(sigma, dtype=torch.float64)),
        Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64)),
    ).item()
    ours = kl_divergence(
        torch.tensor([[mu]], dtype=torch.float64),
        torch.log(torch.tensor([[sigma**2]], dtype=torch.float64)),
    ).item()
    assert ours == pytest.approx(oracle, rel=1e-12) == pytest.approx(true, abs=1e-6)
    # Erratum: Eq. 41 (sum sigma^2 + mu^2 - log sigma - 1) lacks the 1/2 and has log sigma
    # for log sigma^2; the figures' quoted KL values match neither formula.
    assert sigma**2 + mu**2 - math.log(sigma) - 1 == pytest.approx(eq41, abs=1e-6)
    assert abs(quoted - true) > 0.3


def test_the_notes_total_loss_mixes_scales():
    kl_total = kl_divergence(
        torch.tensor([[1.2, -0.8]], dtype=torch.float64),
        torch.tensor([[-0.5, -1.2]], dtype=torch.float64),
    ).item()
    printed_total = 1.370  # 0.025 (a per-pixel mean) + 1.345 (a sum over dimensions)
    assert 0.025 + 1.345 == pytest.approx(printed_total)
    # On one scale (a unit-variance Gaussian decoder): half the summed squared error.
    d = 784
    assert 0.5 * 0.025 * d + kl_total == pytest.approx(11.1439, abs=1e-4)
    assert d / 2 * math.log(2 * math.pi) == pytest.approx(720.4, abs=0.05)  # the constant


def test_a_per_pixel_mean_is_a_gaussian_decoder_with_variance_d_over_2():
    # -log N(x | xhat, s^2 I) = SSE / (2 s^2) + D/2 log(2 pi s^2): with s^2 = D/2 the
    # model-dependent part is the mean squared error (oracle: torch.distributions.Normal).
    g = torch.Generator().manual_seed(0)
    d = 784
    x, xhat = (
        torch.rand(d, generator=g, dtype=torch.float64),
        torch.rand(d, generator=g, dtype=torch.float64),
    )
    s2 = d / 2
    nll = -Normal(xhat, math.sqrt(s2)).log_prob(x).sum().item()
    mse = torch.mean((x - xhat) ** 2).item()
    assert nll - d / 2 * math.log(2 * math.pi * s2) == pytest.approx(mse, rel=1e-12)
    assert math.sqrt(s2) == pytest.approx(19.799, abs=1e-3)


def test_the_notes_example_pixels_and_rounding_slips():
    # The four pixels shown have a mean squared error of 0.00025, not the quoted 0.025.
    x, xhat = np.array([0.1, 0.9, 0.8, 0.0]), np.array([0.09, 0.88, 0.82, 0.01])
    assert np.mean((x - xhat) ** 2) == pytest.approx(0.00025, rel=1e-9)
    # z_2: the notes use the rounded sigma_2 = 0.55 (printed -1.185); exactly -1.184.
    assert -0.8 + 0.55 * -0.7 == pytest.approx(-1.185)
    assert round(-0.8 + math.exp(-0.6) * -0.7, 3) == -1.184
    # KL of dimension 2: the notes round e^-1.2 to 0.30 (printed 0.570); exactly 0.571.
    assert round(-0.5 * (-0.2 - 0.64 - 0.30), 3) == 0.570
    assert round(-0.5 * (1 - 1.2 - 0.64 - math.exp(-1.2)), 3) == 0.571
    # Figure 17's quoted 0.5 equals sigma^2 + mu^2, perhaps its origin.
    assert 0.7**2 + 0.1**2 == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("sigma", "mu", "q_first", "prior_first"),
    [(0.7, 0.1, 0.106675, 0.173937), (0.53, 0.83, 0.619778, 1.871352)],
)
def test_eq39_and_eq41_put_the_kl_arguments_in_opposite_orders(sigma, mu, q_first, prior_first):
    # Eq. 39 puts the target first, KL(p_theta || p_omega); the closed form of Eq. 41 (as
    # corrected) is KL(q || N(0, 1)), the learned distribution first. KL is not symmetric.
    q = Normal(torch.tensor(mu, dtype=torch.float64), torch.tensor(sigma, dtype=torch.float64))
    prior = Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
    assert torch_kl(q, prior).item() == pytest.approx(q_first, abs=1e-6)
    assert torch_kl(prior, q).item() == pytest.approx(prior_first, abs=1e-6)
    # closed form of the reverse order: log sigma + (1 + mu^2) / (2 sigma^2) - 1/2
    reverse = math.log(sigma) + (1 + mu**2) / (2 * sigma**2) - 0.5
    assert reverse == pytest.approx(prior_first, abs=1e-6)


def test_the_notes_0025_fits_neither_the_squared_error_nor_the_cross_entropy():
    # The notes list the binary cross-entropy first; on the four pixels shown its mean is
    # 0.291 nats per pixel, and grey targets cannot go below their entropy (0.325 for 0.1
    # and 0.9, 0.500 for 0.8). Neither reading gives 0.025.
    x = torch.tensor([0.1, 0.9, 0.8, 0.0], dtype=torch.float64)
    xhat = torch.tensor([0.09, 0.88, 0.82, 0.01], dtype=torch.float64)
    bce = torch.nn.functional.binary_cross_entropy(xhat, x, reduction="none")
    assert bce.mean().item() == pytest.approx(0.291, abs=5e-4)
    floor = torch.nn.functional.binary_cross_entropy(x[:3], x[:3], reduction="none")
    assert_allclose(floor.numpy(), [0.325083, 0.325083, 0.500402], atol=1e-6)
    assert abs(bce.mean().item() - 0.025) > 0.2


def test_the_notes_interpolation_midpoint_and_genlabs_convention():
    # The notes: alpha z1 + (1 - alpha) z2 with alpha = 0.5 gives [0.3, -0.15] (right).
    z1, z2 = torch.tensor([1.4, -1.2]), torch.tensor([-0.8, 0.9])
    midpoint = 0.5 * z1 + 0.5 * z2
    assert_allclose(midpoint.numpy(), [0.3, -0.15], atol=1e-7)
    # genlab walks (1 - alpha) z1 + alpha z2: the same line, the other way round, so the
    # middle of an odd number of steps decodes exactly the notes' midpoint.
    from genlab.vae import VAE

    torch.manual_seed(0)
    model = VAE(input_dim=6, hidden_dim=5, latent_dim=2)
    path = model.interpolate(z1, z2, steps=5)
    with torch.no_grad():
        expected = torch.sigmoid(model.decode(midpoint[None]))[0]
    assert_allclose(path[2].numpy(), expected.numpy(), rtol=1e-6)
    assert_allclose(model.interpolate(z2, z1, steps=5).numpy(), path.flip(0).numpy(), rtol=1e-6)
