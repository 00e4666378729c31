"""MADE (genlab.autoregressive) against oracles that do not use its masks' reasoning.

* the autoregressive property by autograd Jacobians: logits of pixel d have zero
  derivative with respect to every input of pixel >= d (and the check catches a broken
  mask);
* normalisation and every conditional by brute-force enumeration of all images;
* log-probabilities against ``torch.distributions.Categorical``;
* bits per pixel against the enumerated distribution on a 2x2 "image";
* the sampler's frequencies against the enumerated probabilities;
* training that reaches the data's entropy.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from level_images import BAD_LEVEL_IMAGES, as_argument

from genlab import _validation
from genlab.autoregressive import MADE, log_prob_chain_rule, made_degrees, train_made
from genlab.likelihood import discrete_bits_per_pixel


def made(D=4, L=3, hidden=(16, 12), seed=0):
    torch.manual_seed(seed)
    model = MADE(D, L, hidden_sizes=hidden).double()
    with torch.no_grad():  # larger weights than the default init: conditionals far from uniform
        for p in model.parameters():
            p.mul_(3.0)
    return model


def all_images(D, L):
    return torch.tensor(list(itertools.product(range(L), repeat=D)))


def test_degrees_by_hand():
    deg = made_degrees(3, (4, 2))
    assert [d.tolist() for d in deg] == [[1, 2, 3], [1, 2, 1, 2], [1, 2], [1, 2, 3]]
    # one pixel: hidden units have degree 1 and no output (degree 1) may see them
    assert [d.tolist() for d in made_degrees(1, (3,))] == [[1], [1, 1, 1], [1]]


def autoregressive_violations(model):
    """Inputs of pixel >= d on which the logits of pixel d depend (by autograd)."""
    D, L = model.n_pixels, model.n_levels
    h = torch.rand(1, D * L, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    J = torch.autograd.functional.jacobian(model.logits_from_one_hot, h)  # (1, D, L, 1, D*L)
    J = J.reshape(D, L, D, L).abs().sum(dim=(1, 3))  # J[d, j]: output pixel d, input pixel j
    return J, [(d, j) for d in range(D) for j in range(D) if j >= d and J[d, j] != 0]


@pytest.mark.parametrize("hidden", [(16,), (16, 12), (2,), (7, 3, 5)])
def test_each_pixels_logits_depend_only_on_earlier_pixels(hidden):
    model = made(D=5, L=3, hidden=hidden)
    J, violations = autoregressive_violations(model)
    assert violations == []
    # ... and the test can see dependence where it is allowed: pixel d >= 1 depends on d - 1
    assert all(J[d, d - 1] > 0 for d in range(1, 5))


def test_the_jacobian_check_catches_a_broken_mask():
    model = made(D=4, L=3, hidden=(16,))
    with torch.no_grad():
        model.net[0].mask.fill_(1.0)  # the first layer sees every pixel
    _, violations = autoregressive_violations(model)
    assert violations  # a hidden unit of degree m now sees pixels > m
    assert not torch.allclose(
        model.log_prob(all_images(4, 3)).exp().sum(), torch.tensor(1.0, dtype=torch.float64)
    )


@pytest.mark.parametrize(("D", "L"), [(4, 3), (2, 2), (3, 4), (1, 5)])
def test_probabilities_of_all_images_sum_to_one(D, L):
    model = made(D=D, L=L, hidden=(8,))
    with torch.no_grad():
        total = model.log_prob(all_images(D, L)).exp().sum().item()
    assert abs(total - 1.0) < 1e-12


def test_every_conditional_equals_the_enumerated_joints_ratio():
    D, L = 4, 3
    model = made(D=D, L=L)
    X = all_images(D, L)
    with torch.no_grad():
        joint = model.log_prob(X).exp().numpy().reshape((L,) * D)
        logits = model(X)
    for d in range(D):
        # P(x_<=d) by summing the joint over the later pixels; P(x_d | x_<d) its ratio
        upto = joint.sum(axis=tuple(range(d + 1, D)))
        before = upto.sum(axis=-1, keepdims=True)
        conditional = upto / before  # shape (L,) * (d + 1)
        got = torch.softmax(logits[:, d], dim=-1).numpy()  # per image, P(. | its prefix)
        for i, x in enumerate(X.tolist()):
            np.testing.assert_allclose(got[i], conditional[tuple(x[:d])], rtol=0, atol=1e-13)


def test_log_prob_equals_torch_distributions_categorical():
    model = made(D=6, L=4, hidden=(10,))
    X = torch.randint(0, 4, (50, 6), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        oracle = torch.distributions.Categorical(logits=model(X)).log_prob(X).sum(dim=1)
        np.testing.assert_allclose(model.log_prob(X).numpy(), oracle.numpy(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(model.score_samples(X.numpy()), oracle.numpy(), atol=1e-12)


def test_the_chain_rule_pass_per_pixel_equals_the_one_pass_version():
    model = made(D=5, L=3)
    X = torch.randint(0, 3, (40, 5), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        np.testing.assert_allclose(
            log_prob_chain_rule(model, X).numpy(), model.log_prob(X).numpy(), rtol=0, atol=1e-12
        )
        model.direct.mask.fill_(1.0)  # a leak from later pixels: the two versions now differ
        assert not torch.allclose(log_prob_chain_rule(model, X), model.log_prob(X))


def test_bits_per_pixel_on_a_two_by_two_image_by_enumeration():
    D, L = 4, 3
    model = made(D=D, L=L)
    with torch.no_grad():
        P = model.log_prob(all_images(D, L)).exp().numpy()
    X_test = np.array([[0, 1, 2, 0], [2, 2, 2, 2], [1, 0, 0, 1]])
    index = [int(np.ravel_multi_index(tuple(x), (L,) * D)) for x in X_test]
    expected = -np.mean(np.log2(P[index])) / D
    assert abs(discrete_bits_per_pixel(model, X_test) - expected) < 1e-12


def test_samples_follow_the_enumerated_distribution():
    D, L, n = 2, 3, 40_000
    model = made(D=D, L=L, hidden=(6,))
    with torch.no_grad():
        P = model.log_prob(all_images(D, L)).exp().numpy()
    X = model.sample(n, generator=torch.Generator().manual_seed(4))
    assert X.shape == (n, D) and X.dtype == torch.long
    freq = np.bincount((X[:, 0] * L + X[:, 1]).numpy(), minlength=L**D) / n
    sd = np.sqrt(P * (1 - P) / n)
    assert np.all(np.abs(freq - P) < 5 * sd + 1e-12), (freq, P)
    # reproducible with the same generator
    again = model.sample(5, generator=torch.Generator().manual_seed(4))
    assert torch.equal(again, X[:5])


def test_training_reaches_the_entropy_of_a_known_distribution():
    # pixel 2 copies pixel 1 with probability 0.9: a dependence independent pixels miss
    rng = np.random.default_rng(5)
    first = rng.integers(0, 3, size=3000)
    copy = np.where(rng.random(3000) < 0.9, first, rng.integers(0, 3, size=3000))
    X = np.stack([first, copy], axis=1)
    p_copy = 0.9 + 0.1 / 3
    entropy = math.log(3) - (p_copy * math.log(p_copy) + 2 * (0.1 / 3) * math.log(0.1 / 3))
    torch.manual_seed(0)
    model = MADE(2, 3, hidden_sizes=(16,))
    history = train_made(model, X, epochs=30, batch_size=100, lr=1e-2, progress=False)["loss"]
    assert history[-1] < history[0]
    nll = -float(model.score_samples(X).mean())
    # within 0.01 nats of the source's entropy (the fitted distribution's own NLL is lower
    # by sampling noise of about 0.01)
    assert abs(nll - entropy) < 0.02, (nll, entropy)
    assert nll < 2 * math.log(3) - 0.5  # far better than independent uniform pixels


@pytest.mark.parametrize("case", BAD_LEVEL_IMAGES, ids=list(BAD_LEVEL_IMAGES))
def test_bad_images_are_refused_by_name(case):
    value, message = BAD_LEVEL_IMAGES[case]
    model = made(D=3, L=3, hidden=(4,))
    with pytest.raises(ValueError, match=message):
        model.log_prob(value)
    with pytest.raises(ValueError, match=as_argument(message, "X")):
        train_made(model, value, epochs=1, progress=False)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_pixels": 0}, "n_pixels must be an integer >= 1"),
        ({"n_levels": 1}, "n_levels must be an integer >= 2"),
        ({"n_levels": 2.0}, "n_levels must be an integer"),
        ({"hidden_sizes": ()}, "at least one layer"),
        ({"hidden_sizes": (4, 0)}, "each hidden size must be an integer >= 1"),
        ({"hidden_sizes": (10**9,)}, "MADE's sizes is too large"),
    ],
)
def test_bad_sizes_are_refused(kwargs, message):
    args = {"n_pixels": 3, "n_levels": 3} | kwargs
    with pytest.raises(ValueError, match=message):
        MADE(**args)


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
    ],
)
def test_bad_training_arguments_are_refused(kwargs, message):
    model = made(D=3, L=3, hidden=(4,))
    with pytest.raises(ValueError, match=message):
        train_made(model, [[0, 1, 2]], progress=False, **kwargs)


def test_early_stopping_keeps_the_best_validation_epoch():
    rng = np.random.default_rng(6)
    X = rng.integers(0, 3, size=(40, 4))  # uniform noise: a MADE overfits it at once
    X_val = rng.integers(0, 3, size=(200, 4))
    torch.manual_seed(0)
    model = MADE(4, 3, hidden_sizes=(64,)).double()
    out = train_made(model, X, X_val=X_val, epochs=40, batch_size=8, lr=1e-2, progress=False)
    val = out["val_loss"]
    assert len(val) == len(out["loss"]) == 40
    assert out["best_epoch"] == 1 + int(np.argmin(val)) < 40  # it overfits, then stops gaining
    # the model holds the best epoch's weights: its validation NLL is that epoch's
    assert abs(-float(model.score_samples(X_val).mean()) - min(val)) < 1e-12
    with pytest.raises(ValueError, match="X_val is empty"):
        train_made(model, X, X_val=np.zeros((0, 4), dtype=int), progress=False)
    with pytest.raises(ValueError, match=r"X_val\[0, 0\] is 3"):
        train_made(model, X, X_val=[[3, 0, 0, 0]], progress=False)


def test_divergence_stops_with_a_clear_error():
    model = made(D=3, L=3, hidden=(4,)).float()
    with pytest.raises(ValueError, match="training diverged at epoch [12]: .*lower lr"):
        train_made(model, [[0, 1, 2]] * 8, epochs=2, lr=1e30, progress=False)


def test_sample_sizes_are_bounded(monkeypatch):
    model = made(D=3, L=3, hidden=(4,))
    with pytest.raises(ValueError, match="n is too large"):
        model.sample(10**12)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        model.sample(0)
    monkeypatch.setattr(_validation, "MAX_OUTPUT_BYTES", 8 * 9 * 10)
    assert model.sample(10).shape == (10, 3)
    with pytest.raises(ValueError, match=r"shape \(11, 9\)"):
        model.sample(11)


def test_one_pixel_is_a_plain_categorical():
    model = made(D=1, L=4, hidden=(3,))
    X = all_images(1, 4)
    with torch.no_grad():
        bias = model.net[-1].bias + model.direct.bias  # nothing else reaches the output
        expected = torch.log_softmax(bias, dim=0)
        np.testing.assert_allclose(model.log_prob(X).numpy(), expected.numpy(), atol=1e-14)


def test_patience_stops_early_with_the_same_best_weights():
    # Early stopping with patience p ends p epochs after the best one and keeps the same
    # weights as the full run, whenever no later epoch would have beaten the best.
    rng = np.random.default_rng(6)
    X = rng.integers(0, 3, size=(40, 4))
    X_val = rng.integers(0, 3, size=(200, 4))

    def run(**kwargs):
        torch.manual_seed(0)
        model = MADE(4, 3, hidden_sizes=(64,)).double()
        out = train_made(
            model, X, X_val=X_val, epochs=40, batch_size=8, lr=1e-2, progress=False, **kwargs
        )
        return model, out

    full_model, full = run()
    best = full["best_epoch"]
    val = full["val_loss"]
    # the smallest patience that cannot stop before the best epoch
    gaps, last = [], 0
    for e in range(1, best):
        if val[e] < min(val[:e]):
            gaps.append(e - last)
            last = e
    patience = max([*gaps, 1]) + 1 if gaps else 2
    assert min(val[best : best + patience]) > val[best - 1]  # no later gain within the window
    model, out = run(patience=patience)
    assert out["best_epoch"] == best
    assert len(out["loss"]) == len(out["val_loss"]) == min(40, best + patience) < 40
    assert out["val_loss"] == val[: len(out["val_loss"])]
    for a, b in zip(model.state_dict().values(), full_model.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    # patience 1 stops at the first epoch that does not improve
    first_worse = next(e for e in range(1, 40) if val[e] >= min(val[:e]))
    assert len(run(patience=1)[1]["loss"]) == first_worse + 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"patience": 0}, "patience must be an integer >= 1"),
        ({"patience": 2.5}, "patience must be an integer >= 1"),
        ({"patience": True}, "patience must be an integer >= 1"),
    ],
)
def test_bad_patience_is_refused(kwargs, message):
    model = made(D=3, L=3, hidden=(4,))
    with pytest.raises(ValueError, match=message):
        train_made(model, [[0, 1, 2]], X_val=[[0, 1, 2]], progress=False, **kwargs)


def test_patience_needs_validation_data():
    model = made(D=3, L=3, hidden=(4,))
    with pytest.raises(ValueError, match="patience needs X_val"):
        train_made(model, [[0, 1, 2]], patience=3, progress=False)
