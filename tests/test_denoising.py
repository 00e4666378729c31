"""The denoising autoencoder (genlab.denoising) against oracles that do not use its code.

* ``corrupt``: the documented draws (``torch.randn`` / ``torch.rand`` of the generator)
  reproduced exactly; the Gaussian residuals are N(0, level^2) (Kolmogorov-Smirnov), the
  clamp holds; the masked fraction is Binomial(N, level) (scipy's exact binomial test),
  masked pixels are exactly 0 and the others untouched; level 0 is a copy;
* training: the first epoch's loss is the Bernoulli NLL of the *clean* batch
  (``torch.distributions.Bernoulli``) given the model's logits for the corrupted one;
  whole runs equal a hand-written Adam loop with the documented draws; ``kind=None``
  takes exactly the steps of ``genlab.vae.train``; training lowers the denoising error
  below the noisy-input baseline and below a plain autoencoder's;
* ``denoising_error`` and ``noisy_input_error`` against a hand-computed MSE;
* bad input refused by name at every entry point; degenerate input accepted; broken
  variants (the corrupted image as the target, no corruption) caught.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from scipy import stats
from torch.distributions import Bernoulli, Independent

from genlab import denoising
from genlab.denoising import (
    corrupt,
    denoising_error,
    noisy_input_error,
    train_denoising_autoencoder,
)
from genlab.vae import VAE, Autoencoder, train

F64 = torch.float64


def gen(seed):
    return torch.Generator().manual_seed(seed)


def autoencoder(D=12, H=10, K=3, seed=0):
    torch.manual_seed(seed)
    return Autoencoder(D, H, K).double()


def images(n, D=12, seed=0, binary=False):
    x = torch.rand((n, D), generator=gen(seed), dtype=F64)
    return x.round() if binary else x


def oracle_logits(model, x):
    """Autoencoder.forward written from its layers: x -> ReLU layer -> code -> ReLU -> out."""
    e1, e2 = model.encoder[0], model.encoder[2]
    d1, d2 = model.decoder[0], model.decoder[2]
    code = torch.relu(x @ e1.weight.T + e1.bias) @ e2.weight.T + e2.bias
    return torch.relu(code @ d1.weight.T + d1.bias) @ d2.weight.T + d2.bias


def oracle_corrupt(x, kind, level, g):
    """The documented draws: randn(x.shape) for "gaussian", rand(x.shape) for "mask"."""
    if kind is None or level == 0:
        return x.clone()
    if kind == "gaussian":
        return torch.clamp(x + level * torch.randn(x.shape, generator=g, dtype=x.dtype), 0, 1)
    dropped = torch.rand(x.shape, generator=g, dtype=x.dtype) < level
    return torch.where(dropped, 0.0, x)


def oracle_nll(model, clean, noisy):
    """Mean over images of -log p(clean | logits of the noisy input), by torch.distributions."""
    logits = oracle_logits(model, noisy)
    return -Independent(Bernoulli(logits=logits, validate_args=False), 1).log_prob(clean).mean()


# ------------------------------------------------------------------ 1. corrupt
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_gaussian_corruption_is_the_documented_draw_clamped(dtype):
    x = torch.rand((40, 30), generator=gen(1), dtype=dtype)
    got = corrupt(x, "gaussian", 0.3, gen(2))
    eps = torch.randn(x.shape, generator=gen(2), dtype=dtype)
    assert torch.equal(got, torch.clamp(x + 0.3 * eps, 0, 1))
    assert got.dtype == dtype and got.shape == x.shape
    # the clamp: values that left [0, 1] sit on its ends, the others moved freely
    raw = x + 0.3 * eps
    assert bool((raw < 0).any() and (raw > 1).any())
    assert torch.all(got[raw < 0] == 0) and torch.all(got[raw > 1] == 1)
    inside = (raw >= 0) & (raw <= 1)
    assert torch.equal(got[inside], raw[inside])
    # any shape: a batch of 28 x 28 images
    pictures = torch.rand((2, 5, 5), generator=gen(3), dtype=dtype)
    assert corrupt(pictures, "gaussian", 0.1, gen(4)).shape == (2, 5, 5)


def test_gaussian_residuals_are_normal_with_the_level_as_standard_deviation():
    x = torch.full((100, 100), 0.5, dtype=F64)
    level = 0.05  # 10 standard deviations inside [0, 1]: nothing is clamped
    residual = ((corrupt(x, "gaussian", level, gen(5)) - x) / level).ravel().numpy()
    assert stats.kstest(residual, "norm").pvalue > 1e-3
    assert abs(residual.mean()) < 4 / 100 and abs(residual.std() - 1) < 4 * 0.0071


@pytest.mark.parametrize("level", [0.1, 0.5, 0.9])
def test_masking_zeroes_a_binomial_fraction_and_leaves_the_rest(level):
    x = 0.1 + 0.9 * torch.rand((50, 80), generator=gen(6), dtype=F64)  # no zeros
    got = corrupt(x, "mask", level, gen(7))
    dropped = torch.rand(x.shape, generator=gen(7), dtype=F64) < level
    assert torch.all(got[dropped] == 0)
    assert torch.equal(got[~dropped], x[~dropped])
    k = int((got == 0).sum())
    assert k == int(dropped.sum())
    assert stats.binomtest(k, x.numel(), level).pvalue > 1e-3


def test_level_zero_is_an_unchanged_copy_and_draws_nothing():
    x = torch.rand((5, 6), generator=gen(8), dtype=F64)
    for kind in ("gaussian", "mask"):
        g = gen(9)
        got = corrupt(x, kind, 0.0, g)
        assert torch.equal(got, x) and got.data_ptr() != x.data_ptr()
        assert torch.equal(torch.rand(3, generator=g), torch.rand(3, generator=gen(9)))
    assert torch.equal(corrupt(x, "mask", 0, gen(0)), x)  # an int level
    assert torch.all(corrupt(x, "mask", 1.0, gen(0)) == 0)  # level 1: every pixel masked


def test_corruption_is_reproducible_and_follows_the_generator():
    x = torch.rand((10, 12), generator=gen(10), dtype=F64)
    for kind, level in (("gaussian", 0.4), ("mask", 0.4)):
        a = corrupt(x, kind, level, gen(11))
        assert torch.equal(a, corrupt(x, kind, level, gen(11)))
        assert not torch.equal(a, corrupt(x, kind, level, gen(12)))
        assert corrupt(x, kind, level).shape == x.shape  # PyTorch's global generator
    assert not x.requires_grad and torch.equal(
        x, torch.rand((10, 12), generator=gen(10), dtype=F64)
    )


# ------------------------------------------------------------------ 2. training
def first_epoch_loss_check(kind, level, *, binary=False, seed=3):
    """The first epoch of one batch: its loss is the oracle's, with the initial weights."""
    X = images(20, binary=binary, seed=13)
    model = autoencoder()
    start = copy.deepcopy(model)
    out = train_denoising_autoencoder(
        model, X, kind=kind, level=level, epochs=1, batch_size=64, seed=seed, progress=False
    )
    g = gen(seed)
    clean = X[torch.randperm(20, generator=g)]
    want = oracle_nll(start, clean, oracle_corrupt(clean, kind, level, g))
    assert set(out) == {"loss"} and len(out["loss"]) == 1
    assert abs(out["loss"][0] - float(want.detach())) < 1e-12


@pytest.mark.parametrize(("kind", "level"), [("gaussian", 0.3), ("mask", 0.5), (None, 0.0)])
@pytest.mark.parametrize("binary", [True, False])
def test_the_loss_is_the_bernoulli_nll_of_the_clean_images(kind, level, binary):
    first_epoch_loss_check(kind, level, binary=binary)


def hand_loop(model, X, kind, level, epochs, batch_size, lr, seed):
    """The documented training loop, written out with torch.optim.Adam (not fused)."""
    g = gen(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=g)
        total = 0.0
        for start in range(0, len(X), batch_size):
            clean = X[order[start : start + batch_size]]
            loss = oracle_nll(model, clean, oracle_corrupt(clean, kind, level, g))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(clean)
        losses.append(total / len(X))
    return losses


@pytest.mark.parametrize(("kind", "level"), [("gaussian", 0.3), ("mask", 0.5), (None, 0.0)])
def test_training_is_the_hand_written_loop(kind, level):
    X = images(30, seed=14)
    model = autoencoder()
    hand = copy.deepcopy(model)
    out = train_denoising_autoencoder(
        model, X, kind=kind, level=level, epochs=3, batch_size=8, lr=3e-3, seed=5, progress=False
    )
    want = hand_loop(hand, X, kind, level, 3, 8, 3e-3, 5)
    np.testing.assert_allclose(out["loss"], want, rtol=0, atol=1e-10)
    for a, b in zip(model.parameters(), hand.parameters(), strict=True):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=0, atol=1e-10)


def test_a_plain_run_takes_the_steps_of_genlab_vae_train_and_level_zero_is_plain():
    X = images(50, seed=15)
    runs = {}
    for name in ("train", "plain", "gaussian 0", "mask 0"):
        model = autoencoder()
        if name == "train":
            out = train(model, X, epochs=3, batch_size=16, lr=1e-3, seed=6, progress=False)
        else:
            kind = None if name == "plain" else name.split()[0]
            out = train_denoising_autoencoder(
                model, X, kind=kind, level=0.0, epochs=3, batch_size=16, seed=6, progress=False
            )
        runs[name] = (model, out["loss"])
    model, losses = runs.pop("train")
    for other, other_losses in runs.values():
        assert other_losses == losses
        for a, b in zip(model.parameters(), other.parameters(), strict=True):
            assert torch.equal(a, b)


def test_training_is_reproducible_and_seeded():
    X = images(40, seed=16)

    def run(seed):
        model = autoencoder()
        out = train_denoising_autoencoder(
            model, X, kind="mask", level=0.3, epochs=2, batch_size=8, seed=seed, progress=False
        )
        return model, out

    (a, out_a), (b, out_b), (_, out_c) = run(1), run(1), run(2)
    assert out_a == out_b and out_a != out_c
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)
    assert not a.training


def prototype_data(n, seed):
    """Binary 6x6 images: one of 4 bar patterns, with 5% of the pixels flipped."""
    rows = torch.zeros((4, 6, 6), dtype=F64)
    rows[0, 1], rows[1, 4], rows[2, :, 1], rows[3, :, 4] = 1, 1, 1, 1
    proto = rows.reshape(4, 36)
    pick = torch.randint(0, 4, (n,), generator=gen(seed))
    flip = torch.rand((n, 36), generator=gen(seed + 1), dtype=F64) < 0.05
    return torch.where(flip, 1 - proto[pick], proto[pick])


def test_training_lowers_the_denoising_error_below_the_baselines():
    X, X_test = prototype_data(400, 17), prototype_data(400, 19)
    dae, plain = autoencoder(D=36, H=32, K=4), autoencoder(D=36, H=32, K=4)

    def error(model):
        return denoising_error(model, X_test, "mask", 0.5, gen(0))

    before = error(dae)
    kwargs = {"epochs": 30, "batch_size": 32, "lr": 1e-2, "progress": False}
    out = train_denoising_autoencoder(dae, X, kind="mask", level=0.5, **kwargs)
    train_denoising_autoencoder(plain, X, kind=None, **kwargs)
    assert out["loss"][-1] < out["loss"][0] / 2
    after = error(dae)
    baseline = noisy_input_error(X_test, "mask", 0.5, gen(0))
    # (measured: 0.25 before, 0.054 after, 0.097 for the noisy input, 0.081 for the plain
    # autoencoder; the 5% flipped pixels cannot be predicted, a floor of about 0.047)
    assert after < before / 4
    assert after < 0.7 * baseline  # better than returning the noisy input
    assert after < 0.8 * error(plain)  # and than the plain autoencoder at this noise


def test_divergence_stops_with_a_clear_error():
    model = autoencoder()
    with pytest.raises(ValueError, match=r"training diverged at epoch 1: .*lower lr"):
        train_denoising_autoencoder(
            model,
            images(64),
            kind="gaussian",
            level=0.2,
            epochs=3,
            batch_size=4,
            lr=1e200,
            progress=False,
        )
    with pytest.raises(ValueError, match="weights hold NaN or infinity before training"):
        train_denoising_autoencoder(model, images(4), kind=None, epochs=1, progress=False)


# ------------------------------------------------------------------ 3. errors
@pytest.mark.parametrize(
    ("kind", "level"), [("gaussian", 0.0), ("gaussian", 0.4), ("mask", 0.6), ("mask", 1.0)]
)
def test_denoising_error_is_the_hand_computed_mse(kind, level):
    model = autoencoder()
    X = images(25, seed=18)
    got = denoising_error(model, X, kind, level, gen(20))
    noisy = oracle_corrupt(X, kind, level, gen(20))
    with torch.no_grad():
        want = ((torch.sigmoid(oracle_logits(model, noisy)) - X) ** 2).mean()
    assert isinstance(got, float) and abs(got - float(want)) < 1e-14
    assert denoising_error(model, X.numpy(), kind, level, gen(20)) == got  # an array
    base = noisy_input_error(X, kind, level, gen(20))
    assert abs(base - float(((noisy - X) ** 2).mean())) < 1e-15
    # a list is converted to float32, and the noise drawn in float32
    as_float32 = noisy_input_error(X.float(), kind, level, gen(20))
    assert noisy_input_error(X.tolist(), kind, level, gen(20)) == as_float32
    if level == 0:
        assert base == 0.0


def test_float32_models_and_data():
    torch.manual_seed(0)
    model = Autoencoder(12, 10, 3)
    X = images(10).float()
    assert isinstance(denoising_error(model, X, "mask", 0.5), float)
    out = train_denoising_autoencoder(
        model, X.numpy(), kind="gaussian", level=0.1, epochs=1, progress=False
    )
    assert len(out["loss"]) == 1
    # noisy_input_error keeps a float32 tensor's dtype: the draws of denoising_error
    noisy = oracle_corrupt(X, "gaussian", 0.2, gen(1))
    assert noisy_input_error(X, "gaussian", 0.2, gen(1)) == float(((noisy - X) ** 2).mean())


# ------------------------------------------------------------------ 4. bad input
BAD_KIND_LEVEL = {
    "an unknown kind": ("salt", 0.1, "kind must be one of 'gaussian', 'mask'"),
    "a kind of another type": (3, 0.1, "kind must be one of"),
    "a capitalised kind": ("Gaussian", 0.1, "kind must be one of"),
    "a negative level": ("gaussian", -0.1, "level must be a finite number >= 0"),
    "a NaN level": ("gaussian", float("nan"), "level must be a finite number >= 0"),
    "an infinite level": ("mask", float("inf"), "level must be a finite number >= 0"),
    "a bool level": ("mask", True, "level must be a finite number >= 0"),
    "a string level": ("mask", "0.5", "level must be a finite number >= 0"),
    "a mask level above 1": ("mask", 1.5, r"level must lie in \[0, 1\] for kind='mask'"),
}


@pytest.mark.parametrize("case", BAD_KIND_LEVEL, ids=list(BAD_KIND_LEVEL))
def test_bad_kinds_and_levels_are_refused_by_name_at_every_entry_point(case):
    kind, level, message = BAD_KIND_LEVEL[case]
    model, X = autoencoder(), images(4)
    calls = [
        lambda: corrupt(X, kind, level),
        lambda: denoising_error(model, X, kind, level),
        lambda: noisy_input_error(X, kind, level),
        lambda: train_denoising_autoencoder(
            model, X, kind=kind, level=level, epochs=1, progress=False
        ),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=message):
            call()


def test_none_is_a_kind_only_for_training_and_then_with_level_zero():
    model, X = autoencoder(), images(4)
    for call in (lambda: corrupt(X, None, 0.1), lambda: denoising_error(model, X, None, 0.0)):
        with pytest.raises(ValueError, match="kind must be one of 'gaussian', 'mask'; got None"):
            call()
    with pytest.raises(ValueError, match="level must be 0 when kind is None"):
        train_denoising_autoencoder(model, X, kind=None, level=0.3, epochs=1, progress=False)
    # a gaussian level above 1 is legal (all but saturating noise)
    assert corrupt(X, "gaussian", 5.0, gen(0)).shape == X.shape


def _nan(shape):
    t = torch.zeros(shape, dtype=F64)
    t[0, -1] = float("nan")
    return t


BAD_TENSORS = {
    "an array": (np.zeros((2, 3)), "x must be a torch.Tensor; got ndarray"),
    "integers": (torch.zeros((2, 3), dtype=torch.long), "x must hold floating-point"),
    "empty": (torch.zeros((0, 3), dtype=F64), "x is empty"),
    "NaN": (_nan((2, 3)), "x contains NaN or infinity"),
    "infinity": (torch.full((2, 3), float("inf"), dtype=F64), "x contains NaN or infinity"),
    "above 1": (torch.full((2, 3), 1.5, dtype=F64), r"x must lie in \[0, 1\]"),
    "negative": (torch.full((2, 3), -0.5, dtype=F64), r"x must lie in \[0, 1\]"),
}


@pytest.mark.parametrize("case", BAD_TENSORS, ids=list(BAD_TENSORS))
def test_corrupt_refuses_bad_images_by_name(case):
    value, message = BAD_TENSORS[case]
    for kind in ("gaussian", "mask"):
        with pytest.raises(ValueError, match=message):
            corrupt(value, kind, 0.5)


BAD_DATA = {
    "the wrong width": ([[0.0, 0.5]], "X must have 12 columns"),
    "a vector": ([0.5] * 12, "X must be 2-dimensional"),
    "empty": (np.zeros((0, 12)), "X has 0 sample"),
    "NaN": ([[float("nan")] + [0.0] * 11], "X contains NaN"),
    "above 1": ([[2.0] + [0.0] * 11], r"X must lie in \[0, 1\]"),
    "negative": ([[-1.0] + [0.0] * 11], r"X must lie in \[0, 1\]"),
    "strings": ([["a"] * 12], "X"),
}


@pytest.mark.parametrize("case", BAD_DATA, ids=list(BAD_DATA))
def test_bad_data_is_refused_by_name_at_every_entry_point(case):
    value, message = BAD_DATA[case]
    model = autoencoder()
    calls = [
        lambda: train_denoising_autoencoder(
            model, value, kind="mask", level=0.5, epochs=1, progress=False
        ),
        lambda: train_denoising_autoencoder(model, value, kind=None, epochs=1, progress=False),
        lambda: denoising_error(model, value, "gaussian", 0.1),
    ]
    if case != "the wrong width":  # noisy_input_error has no model: any width is legal
        calls.append(lambda: noisy_input_error(value, "gaussian", 0.1))
    for call in calls:
        with pytest.raises(ValueError, match=message):
            call()


@pytest.mark.parametrize("bad", [0, "seed", np.random.default_rng(0)])
def test_bad_generators_are_refused_by_name(bad):
    model, X = autoencoder(), images(4)
    for call in (
        lambda: corrupt(X, "mask", 0.5, bad),
        lambda: denoising_error(model, X, "mask", 0.5, bad),
        lambda: noisy_input_error(X, "mask", 0.5, bad),
    ):
        with pytest.raises(ValueError, match="generator must be a torch.Generator or None"):
            call()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs must be an integer >= 1"),
        ({"epochs": True}, "epochs must be an integer >= 1"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"batch_size": 2.5}, "batch_size must be an integer >= 1"),
        ({"lr": 0.0}, "lr must be > 0"),
        ({"lr": float("inf")}, "lr must be a finite number"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"seed": 2**64}, "seed must be below 2\\*\\*64"),
        ({"progress": None}, "progress must be True or False"),
    ],
)
def test_bad_training_arguments_are_refused_by_name(kwargs, message):
    args = {"kind": "mask", "level": 0.5, "epochs": 1, "progress": False} | kwargs
    with pytest.raises(ValueError, match=message):
        train_denoising_autoencoder(autoencoder(), images(4), **args)


def test_other_models_are_refused_by_name():
    torch.manual_seed(0)
    vae, X = VAE(12, 10, 3).double(), images(4)
    with pytest.raises(ValueError, match="model must be a genlab.vae.Autoencoder; got VAE"):
        train_denoising_autoencoder(vae, X, kind=None, epochs=1, progress=False)
    with pytest.raises(ValueError, match="model must be a genlab.vae.Autoencoder; got str"):
        denoising_error("model", X, "mask", 0.5)


def test_degenerate_but_legal_input():
    model = autoencoder()
    one = images(1, binary=True)
    out = train_denoising_autoencoder(
        model, one, kind="mask", level=1.0, epochs=2, batch_size=1, progress=False
    )
    assert len(out["loss"]) == 2 and all(np.isfinite(out["loss"]))
    assert 0 <= denoising_error(model, one, "mask", 1.0) <= 1
    assert corrupt(torch.zeros((1, 1), dtype=F64), "gaussian", 0.5, gen(0)).min() >= 0
    assert noisy_input_error(torch.ones((1, 1)), "mask", 1.0) == 1.0


# ------------------------------------------- 5. the oracles can tell a bug
BUGS = {
    "the corrupted image as the target": (
        "_denoising_loss",
        lambda model, clean, noisy: (
            torch.nn.functional.binary_cross_entropy_with_logits(
                model.decoder(model.encoder(noisy)), noisy, reduction="none"
            )
            .sum(-1)
            .mean()
        ),
    ),
    "a per-pixel mean instead of a per-image sum": (
        "_denoising_loss",
        lambda model, clean, noisy: torch.nn.functional.binary_cross_entropy_with_logits(
            model.decoder(model.encoder(noisy)), clean
        ),
    ),
    "no corruption at all": ("_corrupt", lambda x, kind, level, g: x.clone()),
}


@pytest.mark.parametrize("bug", BUGS, ids=list(BUGS))
@pytest.mark.parametrize(("kind", "level"), [("gaussian", 0.3), ("mask", 0.5)])
def test_plausible_bugs_would_be_caught(monkeypatch, bug, kind, level):
    first_epoch_loss_check(kind, level)  # the real code passes
    name, broken = BUGS[bug]
    monkeypatch.setattr(denoising, name, broken)
    with pytest.raises(AssertionError):
        first_epoch_loss_check(kind, level)
