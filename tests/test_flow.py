"""RealNVP (genlab.flow) against oracles that do not use its own log-determinant formula.

* every coupling's log-determinant against ``torch.autograd.functional.jacobian`` and
  ``slogdet``; the whole flow's log-density against the change-of-variables formula with
  the autograd Jacobian of the full map and ``torch.distributions.Normal``;
* inverses exact to rounding; sampling = the inverse applied to the generator's normals;
* a 2-D flow's density integrates to 1 over its support (quadrature);
* training on dequantized levels: the loss is the discrete NLL (offset D log L), early
  stopping keeps the best epoch; bad input is refused by name.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from genlab import _validation
from genlab.flow import AffineCoupling, RealNVP, coupling_masks, train_flow
from genlab.likelihood import dequantized_bits_per_pixel


def flow(D=4, layers=4, hidden=8, seed=0):
    torch.manual_seed(seed)
    model = RealNVP(D, n_layers=layers, hidden=hidden).double()
    with torch.no_grad():  # away from the identity the flow starts as
        for p in model.parameters():
            p.add_(0.5 * torch.randn_like(p))
    return model


def points(n, D, seed=1):
    return torch.rand(n, D, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_masks_alternate_and_cover_every_coordinate():
    masks = coupling_masks(5, 4)
    assert [m.tolist() for m in masks] == [
        [1, 0, 1, 0, 1],
        [0, 1, 0, 1, 0],
        [1, 1, 0, 0, 0],
        [0, 0, 1, 1, 1],
    ]
    assert all(bool((m1 + m2 == 1).all()) for m1, m2 in zip(masks[::2], masks[1::2], strict=True))


def test_a_new_coupling_is_the_identity():
    layer = AffineCoupling(coupling_masks(6, 1)[0], hidden=5).double()
    x = points(3, 6)
    y, log_det = layer(x)
    assert torch.equal(y, x) and torch.equal(log_det, torch.zeros(3, dtype=torch.float64))


def test_coupling_log_determinant_equals_autograd_slogdet():
    model = flow(D=5, layers=4)
    x = torch.randn(6, 5, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    for layer in model.layers:
        _, log_det = layer(x)
        for i in range(len(x)):
            J = torch.autograd.functional.jacobian(lambda v, f=layer: f(v[None])[0][0], x[i])
            sign, logabs = torch.linalg.slogdet(J)
            assert sign > 0
            assert abs(float(logabs) - float(log_det[i].detach())) < 1e-12
        # the kept coordinates pass through unchanged
        kept = layer.mask.bool()
        assert torch.equal(layer(x)[0][:, kept], x[:, kept])


def test_log_density_equals_the_change_of_variables_with_autograd():
    model = flow(D=4, layers=5)
    y = points(8, 4)
    normal = torch.distributions.Normal(torch.zeros(4, dtype=torch.float64), 1.0)
    got = model.log_prob(y)
    for i in range(len(y)):
        J = torch.autograd.functional.jacobian(lambda v: model.to_normal(v[None])[0][0], y[i])
        expected = normal.log_prob(model.to_normal(y[i : i + 1])[0][0]).sum()
        expected = expected + torch.linalg.slogdet(J)[1]
        assert abs(float(got[i].detach()) - float(expected.detach())) < 1e-10
    np.testing.assert_allclose(model.score_samples(y.numpy()), got.detach().numpy(), atol=1e-12)


def test_inverses_are_exact():
    model = flow(D=6, layers=6)
    y = points(20, 6)
    with torch.no_grad():
        x, _ = model.to_normal(y)
        np.testing.assert_allclose(model.from_normal(x).numpy(), y.numpy(), atol=1e-12)
        for layer in model.layers:
            np.testing.assert_allclose(layer.inverse(layer(x)[0]).numpy(), x.numpy(), atol=1e-12)


def test_sampling_is_the_inverse_of_the_generators_normals():
    model = flow(D=3, layers=4)
    samples = model.sample(50, generator=torch.Generator().manual_seed(3))
    normals = torch.randn(50, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    with torch.no_grad():
        assert torch.equal(samples, model.from_normal(normals))
        # and back: exact where the final sigmoid is well conditioned (away from 0 and 1,
        # where a logit of a saturated sigmoid loses digits in any floating-point format)
        back = model.to_normal(samples)[0]
        v = model.alpha + (1 - 2 * model.alpha) * samples
        ok = ((v > 1e-3) & (v < 1 - 1e-3)).all(dim=1)
        assert ok.sum() > 25
        np.testing.assert_allclose(back[ok].numpy(), normals[ok].numpy(), atol=1e-9)
    lo, hi = model.support()
    assert float(samples.min()) > lo and float(samples.max()) < hi


def test_a_two_dimensional_density_integrates_to_one():
    model = flow(D=2, layers=4, hidden=6)
    lo, hi = model.support()
    n = 1500
    edges = torch.linspace(lo, hi, n + 1, dtype=torch.float64)
    mid = (edges[1:] + edges[:-1]) / 2
    grid = torch.cartesian_prod(mid, mid)
    with torch.no_grad():
        total = float(model.log_prob(grid).exp().sum()) * float(edges[1] - edges[0]) ** 2
    assert abs(total - 1.0) < 2e-3, total


def test_training_learns_dequantized_levels_and_keeps_the_best_epoch():
    rng = np.random.default_rng(4)
    first = rng.integers(0, 4, size=600)
    X = np.stack([first, np.where(rng.random(600) < 0.8, first, rng.integers(0, 4, 600))], 1)
    X_val = X[:200]
    torch.manual_seed(0)
    model = RealNVP(2, n_layers=4, hidden=32)
    before = dequantized_bits_per_pixel(model, X_val, 4, n_draws=4, random_state=0)
    out = train_flow(
        model, X[200:], 4, X_val=X_val, epochs=15, batch_size=50, lr=3e-3, progress=False
    )
    after = dequantized_bits_per_pixel(model, X_val, 4, n_draws=4, random_state=0)
    assert after < before - 0.2  # it learns the dependence (uniform coding is 2 bits)
    assert out["best_epoch"] == 1 + int(np.argmin(out["val_loss"]))
    # the reported loss is the discrete NLL in nats: about the bound above, times D ln 2
    assert abs(min(out["val_loss"]) / (2 * math.log(2)) - after) < 0.1
    # patience 1 ends at the first epoch without a validation gain
    val = out["val_loss"]
    first_worse = next(e for e in range(1, len(val)) if val[e] >= min(val[:e]))
    torch.manual_seed(0)
    early = train_flow(
        RealNVP(2, n_layers=4, hidden=32),
        X[200:],
        4,
        X_val=X_val,
        epochs=15,
        batch_size=50,
        lr=3e-3,
        progress=False,
        patience=1,
    )
    assert early["val_loss"] == val[: first_worse + 1]


BAD_POINTS = {
    "outside the support": ([[0.5, 2.0]], "outside the flow's support"),
    "NaN": ([[0.5, float("nan")]], "NaN or infinity"),
    "the wrong width": ([[0.5, 0.5, 0.5]], r"shape \(n, 2\); got \(1, 3\)"),
    "complex": (np.array([[0.5 + 1j, 0.5]]), "real numbers"),
}


@pytest.mark.parametrize("case", BAD_POINTS, ids=list(BAD_POINTS))
def test_bad_points_are_refused_by_name(case):
    value, message = BAD_POINTS[case]
    with pytest.raises(ValueError, match=message):
        flow(D=2).log_prob(value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_features": 1}, "n_features must be an integer >= 2"),
        ({"n_layers": 0}, "n_layers must be an integer >= 1"),
        ({"hidden": 0}, "hidden must be an integer >= 1"),
        ({"alpha": 0.5}, r"alpha must be in \(0, 0.5\)"),
        ({"alpha": 0.0}, "alpha must be > 0"),
        ({"hidden": 10**9}, "RealNVP's sizes is too large"),
    ],
)
def test_bad_sizes_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RealNVP(**({"n_features": 4} | kwargs))


@pytest.mark.parametrize(
    ("data", "n_levels", "message"),
    [
        ([[0, 4]], 4, r"levels 0..3"),
        ([[0.5, 1]], 4, r"integer levels"),
        ([[0, 1, 2]], 4, r"shape \(n, 2\)"),
        ([[0, 1]], 1, "n_levels must be an integer >= 2"),
    ],
)
def test_bad_training_data_is_refused(data, n_levels, message):
    with pytest.raises(ValueError, match=message):
        train_flow(flow(D=2), data, n_levels, epochs=1, progress=False)


def test_sample_sizes_are_bounded(monkeypatch):
    model = flow(D=2)
    with pytest.raises(ValueError, match="n is too large"):
        model.sample(10**12)
    monkeypatch.setattr(_validation, "MAX_OUTPUT_BYTES", 8 * 2 * 10)
    assert model.sample(10).shape == (10, 2)
    with pytest.raises(ValueError, match=r"shape \(11, 2\)"):
        model.sample(11)
