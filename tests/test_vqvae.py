"""The VQ-VAE and its code priors (genlab.vqvae) against oracles that do not use its code.

* the nearest code against a brute-force loop over the codes, with exact ties (integer
  coordinates) going to the smallest index;
* the straight-through gradient against its hand-derived form: for
  L = sum(w * z_q) + codebook + beta * commitment, dL/dz_e = w + 2 beta (z_e - e) / n and
  dL/de_k = 2/n sum over the vectors assigned to k of (e_k - z_e), checked against autograd
  in float64 to 1e-12; the same through the whole model, against a surrogate loss;
* the model's encoder, decoder and loss terms recomputed from the weights by hand, the
  reconstruction against ``torch.distributions.Bernoulli`` and ``genlab.vae.bernoulli_nll``;
* the codebook's perplexity against ``scipy.stats.entropy``;
* the dead-code restart: the codes it moves land on encoder outputs, the others stay;
* the data-dependent initialisation: every code is, by a brute-force search, exactly one
  encoder output, of distinct positions, in the generator's order, and nothing else moves;
* the categorical prior against counts worked out by hand and ``torch.distributions``; the
  autoregressive prior's probabilities of all 3^3 codes sum to 1, its conditionals equal
  those computed from its joint by brute-force marginalisation, and it samples the exact
  distribution (chi-square);
* training: losses fall, runs are reproducible, restarts are counted, divergence is caught;
* bad input refused by name at every entry point; degenerate input accepted; plausible bugs
  (straight-through without detach, ties to the largest index, a leaking mask) caught.
"""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np
import pytest
import torch
from scipy import stats
from torch.distributions import Bernoulli, Categorical

from genlab import vqvae
from genlab.vae import VAE, bernoulli_nll
from genlab.vqvae import (
    VQVAE,
    AutoregressiveCodePrior,
    CategoricalCodePrior,
    VectorQuantizer,
    codebook_usage,
    initialise_codebook,
    restart_dead_codes,
    train_code_prior,
    train_vqvae,
)

F64 = torch.float64


def gen(seed):
    return torch.Generator().manual_seed(seed)


def model_of(D=6, H=8, m=2, d=3, K=5, beta=0.25, seed=0, spread=None):
    """A float64 VQ-VAE; ``spread`` replaces the codebook by standard normals times it."""
    torch.manual_seed(seed)
    model = VQVAE(D, H, n_positions=m, code_dim=d, n_codes=K, beta=beta).double()
    if spread is not None:
        with torch.no_grad():
            model.quantizer.codebook.copy_(torch.randn((K, d), generator=gen(seed + 100)) * spread)
    return model


def images(n, D=6, seed=0):
    return torch.rand((n, D), generator=gen(seed), dtype=F64)


def prototype_images(n, D=16, seed=0):
    """Noisy copies of four binary patterns, in [0, 1]: data a small VQ-VAE can learn."""
    rng = np.random.default_rng(seed)
    patterns = np.random.default_rng(1234).integers(0, 2, size=(4, D))
    x = 0.05 + 0.9 * patterns[rng.integers(0, 4, size=n)] + rng.uniform(-0.05, 0.05, (n, D))
    return torch.tensor(np.clip(x, 0, 1))


# ------------------------------------------------------------------ oracles
def brute_nearest(z, codebook):
    """The nearest code by a loop over the codes in float64; strict '<' keeps the first."""
    z = np.asarray(z.detach(), dtype=np.float64)
    codes = np.asarray(codebook.detach(), dtype=np.float64)
    flat = z.reshape(-1, z.shape[-1])
    out = np.zeros(len(flat), dtype=np.int64)
    for i, v in enumerate(flat):
        best = math.inf
        for k, e in enumerate(codes):
            dist = float(np.sum((v - e) ** 2))
            if dist < best:
                best, out[i] = dist, k
    return torch.tensor(out.reshape(z.shape[:-1]))


def oracle_encode(model, x):
    first, last = model.encoder[0], model.encoder[2]
    z = torch.relu(x @ first.weight.T + first.bias) @ last.weight.T + last.bias
    return z.reshape(len(x), model.n_positions, model.code_dim)


def oracle_logits(model, e):
    """The decoder from its specification, on quantised vectors e of shape (n, m, d)."""
    first, last = model.decoder[0], model.decoder[2]
    return torch.relu(e.flatten(1) @ first.weight.T + first.bias) @ last.weight.T + last.bias


def oracle_reconstruction(logits, x):
    return -Bernoulli(logits=logits, validate_args=False).log_prob(x).sum(-1)


def all_codes(K, m):
    return torch.tensor(list(itertools.product(range(K), repeat=m)))


# ------------------------------------------------------------- 1. nearest
def check_nearest(quantizer, z):
    got = quantizer.nearest(z)
    assert got.dtype == torch.long and got.shape == z.shape[:-1]
    assert torch.equal(got, brute_nearest(z, quantizer.codebook))


@pytest.mark.parametrize("shape", [(3,), (7, 3), (4, 5, 3), (2, 3, 4, 3)])
def test_nearest_equals_a_brute_force_loop(shape):
    q = VectorQuantizer(9, 3).double()
    with torch.no_grad():
        q.codebook.copy_(torch.randn((9, 3), generator=gen(1), dtype=F64))
    check_nearest(q, torch.randn(shape, generator=gen(2), dtype=F64) * 1.5)


def integer_ties():
    """Integer codes and vectors: the distances are exact integers, with many exact ties."""
    q = VectorQuantizer(12, 3).double()
    with torch.no_grad():
        q.codebook.copy_(torch.randint(-2, 3, (12, 3), generator=gen(3)).double())
        q.codebook[7] = q.codebook[2]  # a duplicated code: always tied with code 2
    z = torch.randint(-3, 4, (300, 3), generator=gen(4)).double()
    distances = ((z[:, None, :] - q.codebook.detach()) ** 2).sum(-1)
    n_tied = int(((distances == distances.min(1, keepdim=True).values).sum(1) > 1).sum())
    assert n_tied > 50  # the test exercises ties
    return q, z


def test_exact_ties_go_to_the_smallest_index():
    q, z = integer_ties()
    check_nearest(q, z)
    assert int((q.nearest(z) == 7).sum()) == 0  # the copy of code 2 is never chosen
    # a vector halfway between two codes
    with torch.no_grad():
        q.codebook.copy_(torch.tensor([[5.0, 5, 5], [1, 0, 0], [-1, 0, 0]] * 4, dtype=F64))
    assert int(q.nearest(torch.zeros(3, dtype=F64))) == 1


def test_nearest_in_chunks_equals_nearest_at_once(monkeypatch):
    q = VectorQuantizer(6, 2).double()
    z = torch.randn((101, 2), generator=gen(5), dtype=F64)
    at_once = q.nearest(z)
    monkeypatch.setattr(vqvae, "_CHUNK_BYTES", 1)  # one vector per chunk
    assert torch.equal(q.nearest(z), at_once)
    assert torch.equal(at_once, brute_nearest(z, q.codebook))


def test_ties_to_the_largest_index_would_be_caught(monkeypatch):
    def nearest_last(self, z_e):
        distances = ((z_e[..., None, :] - self.codebook) ** 2).sum(-1)
        return self.n_codes - 1 - torch.argmin(distances.flip(-1), dim=-1)

    q, z = integer_ties()
    monkeypatch.setattr(VectorQuantizer, "_nearest", nearest_last)
    with pytest.raises(AssertionError):
        check_nearest(q, z)


# -------------------------------------------------- 2. straight-through gradient
def check_straight_through(q, n=4, m=5, beta=0.3):
    """dL/dz_e and dL/de against the hand-derived gradients, L = sum(w z_q) + VQ losses."""
    d = q.code_dim
    z_e = (torch.randn((n, m, d), generator=gen(6), dtype=F64) * 2).requires_grad_()
    w = torch.randn((n, m, d), generator=gen(7), dtype=F64)
    q.codebook.grad = None
    z_q, indices, codebook_loss, commitment_loss = q(z_e)
    total = (w * z_q).sum() + codebook_loss + beta * commitment_loss
    total.backward()
    with torch.no_grad():
        k = brute_nearest(z_e, q.codebook)
        e = q.codebook[k]
        assert torch.equal(indices, k)
        np.testing.assert_allclose(z_q.detach(), e, rtol=0, atol=1e-14)
        # the losses: squared norms summed over the m d numbers, averaged over the n images
        squared = float(((z_e - e) ** 2).sum() / n)
        assert abs(float(codebook_loss) - squared) < 1e-12
        assert abs(float(commitment_loss) - squared) < 1e-12
        # w passes to z_e unchanged; the commitment term adds 2 beta (z_e - e) / n
        want_z = w + 2 * beta * (z_e - e) / n
        np.testing.assert_allclose(z_e.grad, want_z, rtol=0, atol=1e-12)
        # the codebook gets 2 (e - z_e) / n from the codebook loss, summed per code, only
        want_codebook = torch.zeros_like(q.codebook).index_add_(
            0, k.flatten(), (2 * (e - z_e) / n).reshape(-1, d)
        )
        np.testing.assert_allclose(q.codebook.grad, want_codebook, rtol=0, atol=1e-12)


def spread_quantizer(K=10, d=3, seed=8):
    q = VectorQuantizer(K, d).double()
    with torch.no_grad():
        q.codebook.copy_(torch.randn((K, d), generator=gen(seed), dtype=F64) * 2)
    return q


def test_the_straight_through_gradient_is_the_hand_derived_one():
    q = spread_quantizer()
    check_straight_through(q)
    # several codes in use, at least one not: the per-code sums are exercised
    used = brute_nearest(torch.randn((4, 5, 3), generator=gen(6), dtype=F64) * 2, q.codebook)
    assert 1 < len(torch.unique(used)) < 10
    check_straight_through(q, n=1, m=1)  # one vector


def broken_no_detach(self, z_e):
    indices = self._nearest(z_e)
    e = self.codebook[indices]
    codebook_loss = ((z_e.detach() - e) ** 2).sum(dim=(1, 2)).mean()
    commitment_loss = ((z_e - e.detach()) ** 2).sum(dim=(1, 2)).mean()
    return z_e + (e - z_e), indices, codebook_loss, commitment_loss  # no detach


def broken_no_straight_through(self, z_e):
    _, indices, codebook_loss, commitment_loss = broken_no_detach(self, z_e)
    return self.codebook[indices], indices, codebook_loss, commitment_loss  # z_q = e


def broken_losses_swapped(self, z_e):
    z_q, indices, codebook_loss, commitment_loss = vqvae.VectorQuantizer._quantize(self, z_e)
    return z_q, indices, commitment_loss, codebook_loss  # the stop-gradients swapped


@pytest.mark.parametrize(
    "broken", [broken_no_detach, broken_no_straight_through, broken_losses_swapped]
)
def test_a_broken_straight_through_would_be_caught(monkeypatch, broken):
    q = spread_quantizer()
    monkeypatch.setattr(q, "_quantize", broken.__get__(q))
    with pytest.raises(AssertionError):
        check_straight_through(q)


def test_the_whole_models_gradient_is_straight_through_plus_commitment():
    # Oracle: a surrogate built by hand, g . z_e + rec(sg[e]) + ||sg[z_e] - e||^2
    # + beta ||z_e - sg[e]||^2, where g = d rec / d z_q at z_q = e. Its gradient in every
    # weight is the model's if the model passes the decoder's gradient to the encoder
    # unchanged and none of it to the codebook.
    model = model_of(D=6, H=8, m=3, d=2, K=4, beta=0.4, spread=1.0)
    x = images(10)
    model.zero_grad()
    model(x)["loss"].backward()
    got = {name: p.grad.clone() for name, p in model.named_parameters()}
    params = dict(model.named_parameters())
    z_e = oracle_encode(model, x)
    e = model.quantizer.codebook[brute_nearest(z_e, model.quantizer.codebook)]
    e_stopped = e.detach().requires_grad_()
    rec = oracle_reconstruction(oracle_logits(model, e_stopped), x).mean()
    (g,) = torch.autograd.grad(rec, e_stopped, retain_graph=True)
    codebook_loss = ((z_e.detach() - e) ** 2).sum((1, 2)).mean()
    commitment = ((z_e - e.detach()) ** 2).sum((1, 2)).mean()
    surrogate = (g * z_e).sum() + rec + codebook_loss + 0.4 * commitment
    want = torch.autograd.grad(surrogate, list(params.values()))
    for (name, _), want_grad in zip(params.items(), want, strict=True):
        np.testing.assert_allclose(got[name], want_grad, rtol=0, atol=1e-12, err_msg=name)
    assert float(got["encoder.0.weight"].abs().max()) > 1e-3  # the encoder learns


# --------------------------------------------------------- 3. the model
def test_the_model_follows_its_specification():
    model = model_of(D=6, H=8, m=3, d=2, K=5, beta=0.3, spread=1.0)
    x = images(12)
    with torch.no_grad():
        z_e = oracle_encode(model, x)
        np.testing.assert_allclose(model.encode(x), z_e, rtol=0, atol=1e-13)
        k = brute_nearest(z_e, model.quantizer.codebook)
        assert torch.equal(model.quantize(x), k)
        e = model.quantizer.codebook[k]
        logits = oracle_logits(model, e)
        np.testing.assert_allclose(model.decode(k), logits, rtol=0, atol=1e-13)
        np.testing.assert_allclose(model.reconstruct(x), torch.sigmoid(logits), atol=1e-13)
        out = model(x)
        assert set(out) == {
            "logits",
            "indices",
            "reconstruction",
            "codebook",
            "commitment",
            "loss",
        }
        assert torch.equal(out["indices"], k)
        np.testing.assert_allclose(out["logits"], logits, rtol=0, atol=1e-12)
        rec = float(oracle_reconstruction(logits, x).mean())
        assert abs(float(out["reconstruction"]) - rec) < 1e-10
        assert abs(float(out["reconstruction"]) - float(bernoulli_nll(logits, x).mean())) < 1e-10
        squared = float(((z_e - e) ** 2).sum((1, 2)).mean())
        assert abs(float(out["codebook"]) - squared) < 1e-12
        assert abs(float(out["commitment"]) - squared) < 1e-12
        assert abs(float(out["loss"]) - (rec + squared + 0.3 * squared)) < 1e-10
        assert all(out[key].shape == () for key in ("reconstruction", "codebook", "loss"))
    assert model.bits == 3 * math.log2(5)
    assert VQVAE().bits == 40.0


def test_plausible_loss_bugs_would_be_caught():
    model = model_of(spread=1.0)
    x = images(8)
    with torch.no_grad():
        out = model(x)
        z_e = oracle_encode(model, x)
        e = model.quantizer.codebook[out["indices"]]
        logits = oracle_logits(model, e)
        # the squared error averaged over the m d numbers instead of summed
        assert abs(float(out["codebook"]) - float(((z_e - e) ** 2).mean())) > 1e-3
        # the reconstruction averaged over pixels instead of summed
        per_pixel = -Bernoulli(logits=logits, validate_args=False).log_prob(x).mean()
        assert abs(float(out["reconstruction"]) - float(per_pixel)) > 1e-2
        # the reconstruction of the unquantised z_e instead of the codes
        unquantised = oracle_reconstruction(oracle_logits(model, z_e), x).mean()
        assert abs(float(out["reconstruction"]) - float(unquantised)) > 1e-3


# ------------------------------------------------------ 4. codebook usage
def test_perplexity_is_the_exponential_of_scipys_entropy():
    codes = torch.randint(0, 7, (40, 3), generator=gen(9))
    codes[codes == 4] = 5  # code 4 dead
    usage = codebook_usage(codes, 9)  # codes 7 and 8 dead too
    counts = np.bincount(codes.flatten().numpy(), minlength=9)
    np.testing.assert_array_equal(usage["counts"], counts)
    assert usage["counts"].shape == (9,)
    assert abs(usage["perplexity"] - math.exp(stats.entropy(counts))) < 1e-12
    assert usage["dead"] == [4, 7, 8] and usage["used"] == 6
    # array_like input, any shape, integers stored as floats
    same = codebook_usage(codes.numpy().astype(float).ravel().tolist(), 9)
    assert same["perplexity"] == usage["perplexity"] and same["dead"] == usage["dead"]


def test_perplexity_is_one_for_one_code_and_k_for_uniform_use():
    one = codebook_usage(torch.full((10, 4), 3), 8)
    assert one["perplexity"] == 1.0 and one["used"] == 1 and one["dead"] == [0, 1, 2, 4, 5, 6, 7]
    uniform = codebook_usage(torch.arange(8).repeat(5), 8)
    assert abs(uniform["perplexity"] - 8) < 1e-12 and uniform["dead"] == []
    # the exponential of an entropy in bits instead of nats would be caught
    skewed = codebook_usage([0, 0, 0, 1], 2)
    h = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert abs(skewed["perplexity"] - math.exp(h)) < 1e-12
    assert abs(skewed["perplexity"] - math.exp(h / math.log(2))) > 1e-2
    single = codebook_usage([0], 1)
    assert single["perplexity"] == 1.0 and single["used"] == 1


# ------------------------------------------------------ 5. dead-code restarts
def test_restart_moves_the_dead_codes_onto_encoder_outputs():
    model = model_of(D=6, H=8, m=2, d=3, K=10)  # the paper's tiny init: most codes dead
    x = images(30)
    with torch.no_grad():
        z_e = oracle_encode(model, x).reshape(-1, 3)
    before = model.quantizer.codebook.detach().clone()
    dead = sorted(set(range(10)) - set(brute_nearest(z_e, before).flatten().tolist()))
    assert 0 < len(dead) < 10
    twin = copy.deepcopy(model)
    assert restart_dead_codes(model, x, gen(0)) == len(dead)
    after = model.quantizer.codebook.detach()
    used = [k for k in range(10) if k not in dead]
    assert torch.equal(after[used], before[used])
    rows = [int(torch.nonzero((z_e == after[k]).all(1))[0, 0]) for k in dead]  # exact rows
    assert len(set(rows)) == len(dead)  # distinct vectors
    # every restarted code is now some vector's nearest
    assert set(dead) <= set(brute_nearest(z_e, after).flatten().tolist())
    # reproducible with the generator, different with another seed
    assert restart_dead_codes(twin, x, gen(0)) == len(dead)
    assert torch.equal(twin.quantizer.codebook, model.quantizer.codebook)
    other = copy.deepcopy(twin)
    with torch.no_grad():
        other.quantizer.codebook.copy_(before)
    restart_dead_codes(other, x, gen(1))
    assert not torch.equal(other.quantizer.codebook, model.quantizer.codebook)


def test_restart_with_no_dead_code_and_with_more_dead_codes_than_vectors():
    model = model_of(D=6, m=2, d=3, K=4)
    x = images(10)
    with torch.no_grad():  # each code on an encoder output: all in use
        model.quantizer.codebook.copy_(oracle_encode(model, x).reshape(-1, 3)[[0, 5, 11, 17]])
    before = model.quantizer.codebook.detach().clone()
    assert len(torch.unique(brute_nearest(oracle_encode(model, x), before))) == 4
    assert restart_dead_codes(model, x, gen(0)) == 0
    assert torch.equal(model.quantizer.codebook, before)
    # one image, two vectors, eight codes: codes 3 and 6 on the two vectors (each used
    # once, and kept), six dead codes drawn with replacement from two vectors
    model = model_of(D=6, m=2, d=3, K=8, spread=5.0)
    x = images(1)
    with torch.no_grad():
        z_e = oracle_encode(model, x).reshape(-1, 3)
        model.quantizer.codebook[[3, 6]] = z_e
    before = model.quantizer.codebook.detach().clone()
    assert brute_nearest(z_e, before).tolist() == [3, 6]
    dead = [0, 1, 2, 4, 5, 7]
    assert restart_dead_codes(model, x, gen(0)) == 6
    assert torch.equal(model.quantizer.codebook[[3, 6]], before[[3, 6]])
    assert all(bool((z_e == model.quantizer.codebook[k]).all(1).any()) for k in dead)


# ------------------------------------------- 5b. data-dependent initialisation
def rows_equal_to(z_e, code):
    """The rows of z_e equal to a code, found by a loop (the oracle of 'is an encoder output')."""
    return [i for i in range(len(z_e)) if torch.equal(z_e[i], code)]


def test_initialise_codebook_puts_the_codes_on_distinct_encoder_outputs():
    model = model_of(D=6, H=8, m=2, d=3, K=10)
    x = images(30)
    with torch.no_grad():
        z_e = oracle_encode(model, x).reshape(-1, 3)  # 60 candidate vectors
    others = {k: v.clone() for k, v in model.state_dict().items() if "codebook" not in k}
    twin, another = copy.deepcopy(model), copy.deepcopy(model)
    assert initialise_codebook(model, x, gen(0)) is None
    codebook = model.quantizer.codebook.detach()
    rows = []
    for k in range(10):
        matches = rows_equal_to(z_e, codebook[k])
        assert len(matches) == 1  # an encoder output, and the vectors are all different
        rows.append(matches[0])
    assert len(set(rows)) == 10  # distinct positions
    assert rows == torch.randperm(60, generator=gen(0))[:10].tolist()  # the generator's order
    assert {i // 2 for i in rows} - {0}  # the candidates are the vectors of every image
    # every code is its own vector's nearest: all in use from the first step
    assert sorted(brute_nearest(z_e, codebook)[rows].tolist()) == list(range(10))
    # the encoder and the decoder are untouched
    after = {k: v for k, v in model.state_dict().items() if "codebook" not in k}
    assert after.keys() == others.keys()
    assert all(torch.equal(after[k], others[k]) for k in others)
    # reproducible with the generator, different with another seed
    initialise_codebook(twin, x, gen(0))
    assert torch.equal(twin.quantizer.codebook, model.quantizer.codebook)
    initialise_codebook(another, x, gen(1))
    assert not torch.equal(another.quantizer.codebook, model.quantizer.codebook)


def test_initialise_codebook_with_as_many_codes_as_vectors_uses_each_once():
    model = model_of(D=6, m=2, d=3, K=12)
    x = images(6)  # 12 vectors for 12 codes: a permutation of the vectors
    initialise_codebook(model, x, gen(3))
    with torch.no_grad():
        z_e = oracle_encode(model, x).reshape(-1, 3)
    rows = [rows_equal_to(z_e, e) for e in model.quantizer.codebook.detach()]
    assert sorted(r[0] for r in rows) == list(range(12))
    assert codebook_usage(model.quantize(x), 12)["dead"] == []


def test_initialise_codebook_with_more_codes_than_vectors_draws_with_replacement():
    # one image, two vectors, eight codes: each code is one of the two vectors; the copies
    # lose their ties to the smallest index, so they are dead and the restart moves them
    model = model_of(D=6, m=2, d=3, K=8, spread=5.0)
    x = images(1)
    initialise_codebook(model, x, gen(0))
    with torch.no_grad():
        z_e = oracle_encode(model, x).reshape(-1, 3)
    codebook = model.quantizer.codebook.detach()
    rows = [rows_equal_to(z_e, e) for e in codebook]
    assert all(len(r) == 1 for r in rows)
    rows = [r[0] for r in rows]
    assert rows == torch.randint(2, (8,), generator=gen(0)).tolist()  # uniform draws
    first = [rows.index(i) for i in sorted(set(rows))]  # the smallest code on each vector
    assert brute_nearest(z_e, codebook).tolist() == [rows.index(0), rows.index(1)]
    assert restart_dead_codes(model, x, gen(0)) == 8 - len(first)


# ------------------------------------------------------- 6. training
@pytest.fixture(scope="module")
def synthetic():
    return prototype_images(96, seed=10)


def tiny_vqvae(seed=0):
    return model_of(D=16, H=16, m=2, d=2, K=8, seed=seed)


def test_training_lowers_the_loss_and_is_reproducible(synthetic):
    runs = []
    for _ in range(2):
        model = tiny_vqvae()
        runs.append(
            (
                model,
                train_vqvae(model, synthetic, epochs=12, batch_size=16, lr=1e-2, progress=False),
            )
        )
    (model, history), (again, history_again) = runs
    assert set(history) == {
        "loss",
        "reconstruction",
        "commitment",
        "perplexity",
        "used_codes",
        "restarted",
    }
    assert all(len(v) == 12 for v in history.values())
    assert history["loss"][-1] < 0.7 * history["loss"][0]
    assert history["reconstruction"][-1] < 0.7 * history["reconstruction"][0]
    assert history == history_again
    for a, b in zip(model.state_dict().values(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    other = tiny_vqvae()
    train_vqvae(other, synthetic, epochs=2, batch_size=16, lr=1e-2, seed=1, progress=False)
    assert not torch.equal(other.quantizer.codebook, model.quantizer.codebook)


def test_an_epoch_is_adam_on_seeded_shuffled_batches(synthetic):
    # The documented loop, written out: batches in the order of torch.randperm(n) drawn
    # from a generator seeded by ``seed``, one Adam step on forward()["loss"] per batch.
    model = tiny_vqvae()
    oracle = copy.deepcopy(model)
    history = train_vqvae(
        model,
        synthetic,
        epochs=1,
        batch_size=20,
        lr=1e-2,
        seed=5,
        restart_dead=False,
        progress=False,
    )
    optimiser = torch.optim.Adam(oracle.parameters(), lr=1e-2)
    order = torch.randperm(len(synthetic), generator=gen(5))
    losses = []
    for start in range(0, len(synthetic), 20):
        batch = synthetic[order[start : start + 20]]
        loss = oracle(batch)["loss"]
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(float(loss.detach()) * len(batch))
    assert abs(history["loss"][0] - sum(losses) / len(synthetic)) < 1e-10
    for a, b in zip(model.parameters(), oracle.parameters(), strict=True):
        np.testing.assert_allclose(a.detach(), b.detach(), rtol=0, atol=1e-12)


def test_the_restarts_are_counted(synthetic):
    kwargs = {"epochs": 1, "batch_size": 16, "lr": 1e-2, "progress": False}
    plain = tiny_vqvae()
    h_plain = train_vqvae(plain, synthetic, restart_dead=False, **kwargs)
    with torch.no_grad():
        z_e = oracle_encode(plain, synthetic)
    codes = brute_nearest(z_e, plain.quantizer.codebook)
    dead = sorted(set(range(8)) - set(codes.flatten().tolist()))
    assert dead and h_plain["restarted"] == [0.0]
    usage = codebook_usage(codes, 8)
    assert h_plain["used_codes"] == [8.0 - len(dead)]
    assert abs(h_plain["perplexity"][0] - math.exp(stats.entropy(usage["counts"]))) < 1e-12
    # the same run with restarts: the same weights until the restart, after the epoch
    model = tiny_vqvae()
    history = train_vqvae(model, synthetic, **kwargs)
    assert history["restarted"] == [float(len(dead))]
    assert history["used_codes"] == h_plain["used_codes"]
    used = [k for k in range(8) if k not in dead]
    after = model.quantizer.codebook.detach()
    assert torch.equal(after[used], plain.quantizer.codebook.detach()[used])
    flat = z_e.reshape(-1, 2)
    assert all(bool((flat == after[k]).all(1).any()) for k in dead)


def test_divergence_stops_with_a_clear_error(synthetic):
    model = tiny_vqvae().float()  # float64 holds the weights' 1e30 steps without overflow
    with pytest.raises(ValueError, match="training diverged at epoch [12]: .*lower lr"):
        train_vqvae(model, synthetic, epochs=2, lr=1e30, progress=False)
    broken = tiny_vqvae()
    with torch.no_grad():
        broken.decoder[0].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"model's weights decoder.0.weight hold NaN"):
        train_vqvae(broken, synthetic, epochs=1, progress=False)


# ------------------------------------------------------ 7. categorical prior
def test_the_categorical_prior_by_hand():
    prior = CategoricalCodePrior(3, 2, alpha=0.5).fit([[0, 1], [0, 2], [2, 1]])
    np.testing.assert_array_equal(prior.counts_, [[2, 0, 1], [0, 2, 1]])
    # (count + 0.5) / (3 + 3 * 0.5)
    want = math.log(0.5 / 4.5) + math.log(2.5 / 4.5)
    assert abs(float(prior.log_prob([[1, 1]])[0]) - want) < 1e-14
    # against torch.distributions with the smoothed counts, for all 9 codes
    codes = all_codes(3, 2)
    pos0 = Categorical(probs=torch.tensor([2.5, 0.5, 1.5], dtype=F64) / 4.5)
    pos1 = Categorical(probs=torch.tensor([0.5, 2.5, 1.5], dtype=F64) / 4.5)
    oracle = pos0.log_prob(codes[:, 0]) + pos1.log_prob(codes[:, 1])
    got = prior.log_prob(codes)
    assert got.dtype == F64 and got.shape == (9,)
    np.testing.assert_allclose(got, oracle, rtol=0, atol=1e-14)
    assert abs(float(torch.logsumexp(got, 0))) < 1e-14


def test_the_categorical_prior_samples_its_distribution():
    codes = torch.stack(
        [
            torch.randint(0, 2, (50,), generator=gen(11)),
            torch.randint(0, 4, (50,), generator=gen(12)),
        ],
        1,
    )
    prior = CategoricalCodePrior(4, 2).fit(codes)
    n = 20000
    draws = prior.sample(n, gen(13))
    assert draws.shape == (n, 2) and draws.dtype == torch.long
    assert torch.equal(draws, prior.sample(n, gen(13)))
    # the joint frequencies of the 16 codes against the exact probabilities
    probs = prior.log_prob(all_codes(4, 2)).exp().numpy()
    observed = np.bincount((draws[:, 0] * 4 + draws[:, 1]).numpy(), minlength=16)
    assert stats.chisquare(observed, probs * n).pvalue > 1e-3


def test_the_categorical_prior_must_be_fitted():
    prior = CategoricalCodePrior(3, 2)
    with pytest.raises(ValueError, match="not fitted"):
        prior.log_prob([[0, 1]])
    with pytest.raises(ValueError, match="not fitted"):
        prior.sample(3, gen(0))


# --------------------------------------------------- 8. autoregressive prior
def sharp_prior(K=3, m=3, hidden=16, seed=0, scale=3.0):
    torch.manual_seed(seed)
    prior = AutoregressiveCodePrior(K, m, hidden=hidden).double()
    with torch.no_grad():
        for p in prior.net.parameters():
            p.mul_(scale)
    return prior


def check_normalised_and_autoregressive(prior):
    K, m = prior.n_codes, prior.n_positions
    codes = all_codes(K, m)
    with torch.no_grad():
        log_p = prior.log_prob(codes)
        assert abs(float(log_p.exp().sum()) - 1) < 1e-12
        # the conditionals by brute-force marginalisation of the joint equal the network's
        joint = log_p.exp().reshape((K,) * m)
        conditionals = prior._log_conditionals(codes).exp()  # (K^m, m, K)
        for i, c in enumerate(codes.tolist()):
            for j in range(m):
                prefix = joint[tuple(c[:j])]  # shape (K,) * (m - j)
                marginal = prefix.reshape(K, -1).sum(1)
                want = marginal / marginal.sum()
                np.testing.assert_allclose(conditionals[i, j], want, rtol=0, atol=1e-12)
    return log_p


def test_the_autoregressive_prior_sums_to_one_over_all_codes():
    log_p = check_normalised_and_autoregressive(sharp_prior())
    assert float(log_p.max() - log_p.min()) > 2  # far from uniform
    check_normalised_and_autoregressive(sharp_prior(K=4, m=1))
    check_normalised_and_autoregressive(sharp_prior(K=2, m=4, seed=1))


def test_changing_a_code_leaves_the_earlier_conditionals_unchanged():
    prior = sharp_prior(K=5, m=4)
    codes = torch.randint(0, 5, (50, 4), generator=gen(14))
    with torch.no_grad():
        base = prior._log_conditionals(codes)
        for j in range(4):
            changed = codes.clone()
            changed[:, j:] = torch.randint(0, 5, (50, 4 - j), generator=gen(15 + j))
            assert bool((changed[:, j] != codes[:, j]).any())
            new = prior._log_conditionals(changed)
            assert torch.equal(new[:, : j + 1], base[:, : j + 1])  # positions <= j
            if j < 3:  # and the later ones do move: the test can see a change
                assert float((new[:, j + 1 :] - base[:, j + 1 :]).abs().max()) > 1e-3


def test_a_mask_that_leaks_the_current_code_would_be_caught():
    prior = sharp_prior()
    with torch.no_grad():
        prior.prefix_mask[1, : 2 * 3] = 1.0  # position 2 (index 1) sees its own code
    with pytest.raises(AssertionError):
        check_normalised_and_autoregressive(prior)


def test_the_samplers_single_conditional_is_a_row_of_all_of_them():
    prior = sharp_prior(K=5, m=4)
    codes = torch.randint(0, 5, (50, 4), generator=gen(20))
    with torch.no_grad():
        every = prior._log_conditionals(codes)
        for j in range(4):
            one = prior._log_conditional(codes, j)
            np.testing.assert_allclose(one, every[:, j], rtol=0, atol=1e-12)
            if j > 0:  # a wrong position would be seen
                assert float((one - every[:, j - 1]).abs().max()) > 1e-3


def test_the_autoregressive_prior_samples_its_distribution():
    prior = sharp_prior()
    n = 20000
    draws = prior.sample(n, gen(16))
    assert draws.shape == (n, 3) and draws.dtype == torch.long
    assert torch.equal(draws, prior.sample(n, gen(16)))
    with torch.no_grad():
        probs = prior.log_prob(all_codes(3, 3)).exp().numpy()
    observed = np.bincount((draws[:, 0] * 9 + draws[:, 1] * 3 + draws[:, 2]).numpy(), minlength=27)
    assert stats.chisquare(observed, probs * n).pvalue > 1e-3


def dependent_codes(n, seed):
    """c_1 uniform on 4 codes, c_2 = c_1, c_3 = c_1 + c_2 mod 4 (10% of codes random)."""
    rng = np.random.default_rng(seed)
    c1 = rng.integers(0, 4, n)
    codes = np.stack([c1, c1, (2 * c1) % 4], 1)
    noise = rng.random((n, 3)) < 0.1
    return np.where(noise, rng.integers(0, 4, (n, 3)), codes)


def test_training_the_autoregressive_prior_beats_the_independent_one():
    train, val = dependent_codes(400, 17), dependent_codes(300, 18)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        prior = AutoregressiveCodePrior(4, 3, hidden=32).double()
        out = train_code_prior(
            prior, train, epochs=25, batch_size=32, lr=1e-2, indices_val=val, progress=False
        )
        runs.append((prior, out))
    (prior, out), (again, out_again) = runs
    assert out["loss"][-1] < out["loss"][0] - 1.0
    assert out == out_again
    for a, b in zip(prior.state_dict().values(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    with torch.no_grad():
        ar_nll = -float(prior.log_prob(val).mean())
    assert ar_nll == min(out["val_loss"])  # the best epoch's weights
    independent = -float(CategoricalCodePrior(4, 3).fit(train).log_prob(val).mean())
    assert ar_nll < independent - 1.0  # about 1.9 against 3.9 nats
    # patience stops early; without validation codes, the loss only
    short = train_code_prior(
        AutoregressiveCodePrior(4, 3, hidden=8).double(),
        train,
        epochs=50,
        indices_val=train[:5],
        patience=1,
        progress=False,
    )
    assert len(short["val_loss"]) == min(50, short["best_epoch"] + 1)
    only = train_code_prior(
        AutoregressiveCodePrior(4, 3).double(), train, epochs=1, progress=False
    )
    assert set(only) == {"loss"}


def test_training_the_prior_stops_when_it_diverges():
    prior = AutoregressiveCodePrior(4, 3)
    with pytest.raises(ValueError, match="training diverged at epoch [12]: .*lower lr"):
        train_code_prior(prior, dependent_codes(64, 19), epochs=2, lr=1e30, progress=False)


# ------------------------------------------------------------ 9. bad input
BAD_IMAGES = {
    "the wrong width": (np.zeros((2, 5)), r"x must have shape \(n_images, 6\); got \(2, 5\)"),
    "one image as a vector": (np.zeros(6), r"x must have shape \(n_images, 6\); got \(6,\)"),
    "empty": (np.zeros((0, 6)), "x is empty"),
    "NaN": ([[0.5, float("nan"), 0, 0, 0, 0]], "x contains NaN or infinity"),
    "infinity": ([[0.5, float("inf"), 0, 0, 0, 0]], "x contains NaN or infinity"),
    "above 1": ([[0, 255, 0, 0, 0, 0]], r"x must lie in \[0, 1\].*range from 0 to 255"),
    "negative": ([[0, -0.5, 0, 0, 0, 0]], r"x must lie in \[0, 1\]"),
    "booleans": (np.ones((1, 6), dtype=bool), "x must hold pixel intensities.*torch.bool"),
    "complex numbers": (np.zeros((1, 6), dtype=complex), "x must hold .*torch.complex"),
    "strings": ([["a"] * 6], "x must hold pixel intensities in .*; got dtype <U1"),
    "ragged": ([[0.0] * 6, [0.0] * 5], "x must be a numeric array"),
    "a boolean tensor": (torch.ones((1, 6), dtype=torch.bool), "got dtype torch.bool"),
}


@pytest.mark.parametrize("case", BAD_IMAGES, ids=list(BAD_IMAGES))
def test_bad_images_are_refused_by_name(case):
    value, message = BAD_IMAGES[case]
    model = model_of()
    for call in (model.encode, model.quantize, model.forward, model.reconstruct):
        with pytest.raises(ValueError, match=message):
            call(value)
    as_X = message.replace("x must", "X must").replace("x is", "X is").replace("x con", "X con")
    with pytest.raises(ValueError, match=as_X):
        restart_dead_codes(model, value, gen(0))
    with pytest.raises(ValueError, match=as_X):
        initialise_codebook(model, value, gen(0))
    with pytest.raises(ValueError, match=as_X):
        train_vqvae(model, value, epochs=1, progress=False)


BAD_CODES = {  # for codes of 2 positions and 5 codes
    "a code too large": ([[0, 5]], r"indices must hold integer codes 0..4; indices\[0, 1\] is 5"),
    "a negative code": ([[0, 1], [-1, 0]], r"indices\[1, 0\] is -1"),
    "a fraction": ([[0, 1.5]], "indices must hold integer codes 0..4; got dtype .* non-integer"),
    "NaN": ([[0, float("nan")]], "got dtype .* non-integer"),
    "infinity": ([[float("inf"), 0]], "got dtype .* non-integer"),
    "booleans": (np.ones((1, 2), dtype=bool), "indices must hold integer .*torch.bool"),
    "complex numbers": ([[0j, 1]], "indices must hold integer codes 0..4; got dtype torch.compl"),
    "strings": ([["a", "b"]], "indices must hold integer codes 0..4; got dtype <U1"),
    "the wrong width": ([[0, 1, 2]], r"indices must have shape \(n, 2\); got \(1, 3\)"),
    "one code as a vector": ([0, 1], r"indices must have shape \(n, 2\); got \(2,\)"),
    "empty": (np.zeros((0, 2), dtype=int), "indices is empty"),
}
SHAPE_CASES = {"the wrong width", "one code as a vector"}


@pytest.mark.parametrize("case", BAD_CODES, ids=list(BAD_CODES))
def test_bad_codes_are_refused_by_name(case):
    value, message = BAD_CODES[case]
    model = model_of(m=2, K=5)
    fitted = CategoricalCodePrior(5, 2).fit([[0, 1]])
    prior = AutoregressiveCodePrior(5, 2, hidden=4)
    calls = [
        lambda: model.decode(value),
        lambda: CategoricalCodePrior(5, 2).fit(value),
        lambda: fitted.log_prob(value),
        lambda: prior.log_prob(value),
        lambda: train_code_prior(prior, value, epochs=1, progress=False),
    ]
    if case not in SHAPE_CASES:  # codebook_usage takes codes of any shape
        calls.append(lambda: codebook_usage(value, 5))
    for call in calls:
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(ValueError, match=message.replace("indices", "indices_val")):
        train_code_prior(prior, [[0, 1]], indices_val=value, epochs=1, progress=False)


def test_bad_vectors_are_refused_by_name():
    q = VectorQuantizer(4, 3).double()
    ok = torch.zeros((2, 5, 3), dtype=F64)
    nan = ok.clone()
    nan[1, 2, 0] = float("nan")
    cases = [
        (ok.numpy(), "z_e must be a torch.Tensor; got ndarray"),
        (ok.float(), "z_e must have the codebook's dtype torch.float64"),
        (torch.zeros((2, 5, 2), dtype=F64), r"z_e must have shape \((\.\.\.|n, m), 3\)"),
        (torch.zeros((0, 5, 3), dtype=F64), "z_e is empty"),
        (nan, "z_e contains NaN or infinity"),
    ]
    for z, message in cases:
        for call in (q.nearest, q.forward):
            with pytest.raises(ValueError, match=message):
                call(z)
    with pytest.raises(ValueError, match=r"z_e must have shape \(n, m, 3\); got \(5, 3\)"):
        q(ok[0])
    with pytest.raises(ValueError, match=r"z_e must have shape \(\.\.\., 3\); got \(\)"):
        q.nearest(torch.tensor(1.0, dtype=F64))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: VectorQuantizer(0, 3), "n_codes must be an integer >= 1"),
        (lambda: VectorQuantizer(4, True), "code_dim must be an integer >= 1"),
        (lambda: VQVAE(input_dim=0), "input_dim must be an integer >= 1"),
        (lambda: VQVAE(hidden_dim=2.0), "hidden_dim must be an integer"),
        (lambda: VQVAE(n_positions=0), "n_positions must be an integer >= 1"),
        (lambda: VQVAE(code_dim=-1), "code_dim must be an integer >= 1"),
        (lambda: VQVAE(n_codes=False), "n_codes must be an integer >= 1"),
        (lambda: VQVAE(beta=-0.1), "beta must be a finite number >= 0"),
        (lambda: VQVAE(beta=float("nan")), "beta must be a finite number >= 0"),
        (lambda: VQVAE(beta=True), "beta must be a finite number >= 0"),
        (lambda: VQVAE(hidden_dim=10**9), "VQVAE's sizes is too large"),
        (lambda: CategoricalCodePrior(0, 2), "n_codes must be an integer >= 1"),
        (lambda: CategoricalCodePrior(3, 0), "n_positions must be an integer >= 1"),
        (lambda: CategoricalCodePrior(3, 2, alpha=0.0), "alpha must be > 0"),
        (lambda: CategoricalCodePrior(3, 2, alpha=math.inf), "alpha must be a finite number"),
        (lambda: AutoregressiveCodePrior(0, 2), "n_codes must be an integer >= 1"),
        (lambda: AutoregressiveCodePrior(3, 1.5), "n_positions must be an integer"),
        (lambda: AutoregressiveCodePrior(3, 2, hidden=0), "hidden must be an integer >= 1"),
        (lambda: codebook_usage([0], 0), "n_codes must be an integer >= 1"),
    ],
)
def test_bad_sizes_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_generators_and_sample_sizes_are_refused():
    model = model_of()
    prior = AutoregressiveCodePrior(3, 2)
    fitted = CategoricalCodePrior(3, 2).fit([[0, 1]])
    for bad in (0, None, np.random.default_rng(0), "seed"):
        for call in (
            lambda g: restart_dead_codes(model, images(2), g),
            lambda g: initialise_codebook(model, images(2), g),
            lambda g: prior.sample(2, g),
            lambda g: fitted.sample(2, g),
        ):
            with pytest.raises(ValueError, match="generator must be a torch.Generator"):
                call(bad)
    for bad in (0, -1, 2.5, True, "3"):
        for sampler in (prior, fitted):
            with pytest.raises(ValueError, match="n must be an integer >= 1"):
                sampler.sample(bad, gen(0))
    with pytest.raises(ValueError, match="n is too large"):
        fitted.sample(10**12, gen(0))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs must be an integer >= 1"),
        ({"epochs": 1.0}, "epochs must be an integer >= 1"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"lr": 0.0}, "lr must be > 0"),
        ({"lr": float("nan")}, "lr must be a finite number"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"seed": 2**63}, "seed must be below"),
        ({"seed": True}, "seed must be an integer >= 0"),
        ({"restart_dead": "yes"}, "restart_dead must be True or False"),
        ({"progress": 1}, "progress must be True or False"),
    ],
)
def test_bad_training_arguments_are_refused(kwargs, message):
    args = {"epochs": 1, "progress": False} | kwargs
    with pytest.raises(ValueError, match=message):
        train_vqvae(model_of(), images(4), **args)
    if "restart_dead" not in kwargs:
        with pytest.raises(ValueError, match=message):
            train_code_prior(AutoregressiveCodePrior(3, 2), [[0, 1]], **args)


def test_other_arguments_of_the_training_functions_are_checked():
    with pytest.raises(ValueError, match="patience needs indices_val"):
        train_code_prior(
            AutoregressiveCodePrior(3, 2), [[0, 1]], epochs=1, patience=2, progress=False
        )
    with pytest.raises(ValueError, match="patience must be an integer >= 1"):
        train_code_prior(
            AutoregressiveCodePrior(3, 2),
            [[0, 1]],
            epochs=1,
            patience=0,
            indices_val=[[0, 1]],
            progress=False,
        )
    with pytest.raises(ValueError, match="model must be a genlab.vqvae.VQVAE; got Sequential"):
        train_vqvae(torch.nn.Sequential(), images(2), epochs=1, progress=False)
    with pytest.raises(ValueError, match="model must be a genlab.vqvae.VQVAE; got str"):
        restart_dead_codes("model", images(2), gen(0))
    with pytest.raises(ValueError, match="model must be a genlab.vqvae.VQVAE; got VAE"):
        initialise_codebook(VAE(6, 8, 2), images(2), gen(0))
    broken = model_of()
    with torch.no_grad():
        broken.encoder[0].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="model.encoder's weights 0.weight hold NaN"):
        initialise_codebook(broken, images(2), gen(0))
    with pytest.raises(ValueError, match="prior must be a genlab.vqvae.AutoregressiveCodePrior"):
        train_code_prior(CategoricalCodePrior(3, 2), [[0, 1]], epochs=1, progress=False)


# ---------------------------------------------------- 10. degenerate input
def test_degenerate_but_legal_input():
    model = model_of()
    one = images(1)
    out = model(one)
    assert out["logits"].shape == (1, 6) and torch.isfinite(out["loss"])
    history = train_vqvae(model, one, epochs=2, batch_size=1, progress=False)
    assert len(history["loss"]) == 2
    train_vqvae(model, images(5), epochs=1, batch_size=100, progress=False)  # one batch
    assert model.decode([[0, 4]]).shape == (1, 6)
    assert model.decode(np.array([[1.0, 2.0]])).shape == (1, 6)  # integers stored as floats
    # one code, one position, one dimension: 0 bits, every image the same code
    single = model_of(m=1, d=1, K=1)
    assert single.bits == 0.0
    assert torch.equal(single.quantize(images(4)), torch.zeros((4, 1), dtype=torch.long))
    train_vqvae(single, images(4), epochs=1, progress=False)
    assert codebook_usage(single.quantize(images(4)), 1)["perplexity"] == 1.0
    # binary images (integers) and plain lists are pixel intensities too
    assert model.encode(torch.ones((2, 6), dtype=torch.long)).shape == (2, 2, 3)
    assert model.quantize([[0.0] * 6]).shape == (1, 2)
    # priors on a single training code
    cat = CategoricalCodePrior(1, 1).fit([[0]])
    assert float(cat.log_prob([[0]])[0]) == 0.0 and cat.sample(3, gen(0)).tolist() == [[0]] * 3
    prior = AutoregressiveCodePrior(1, 1).double()
    with torch.no_grad():
        assert float(prior.log_prob([[0]])[0]) == 0.0
    out = train_code_prior(
        AutoregressiveCodePrior(3, 2),
        [[2, 1]],
        epochs=2,
        batch_size=1,
        indices_val=[[2, 1]],
        progress=False,
    )
    assert out["best_epoch"] in (1, 2)


def test_float32_by_default_and_float64_after_double():
    torch.manual_seed(0)
    model = VQVAE(input_dim=6, hidden_dim=8, n_positions=2, code_dim=3, n_codes=4)
    x64 = np.random.default_rng(0).random((3, 6))
    assert model.encode(x64).dtype == torch.float32  # converted to the model's dtype
    assert model(x64)["loss"].dtype == torch.float32
    assert model.reconstruct(x64).dtype == torch.float32
    assert model.double().encode(x64).dtype == F64
    prior = AutoregressiveCodePrior(3, 2)
    assert prior.log_prob([[0, 1]]).dtype == torch.float32
    assert prior.double().log_prob([[0, 1]]).dtype == F64
