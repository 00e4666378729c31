"""VAE training throughput: genlab.vae.train vs a minimal reference loop.

The reference is written here in the style of the classic PyTorch VAE example (a model whose
decoder ends in a sigmoid, binary cross-entropy summed over the batch plus the KL term,
Adam): the same 784 -> 400 -> 2 architecture, batch size 128, 2 CPU threads, one epoch over
10,240 MNIST-shaped images. Before timing, both losses are evaluated on one batch with the
same weights and the same noise and must agree. Reported as time per epoch; the issue's
target (throughput at least the reference's) is a time ratio of at most 1.0.

Where genlab wins, it is by two choices any user of the reference could also make: the
loss from logits (one fused, stable kernel instead of a sigmoid then a log) and Adam's
``fused=True`` update (one kernel for all parameters instead of a loop over them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from genlab.benchmarks.harness import Comparison, compare
from genlab.vae import VAE, negative_elbo, train


class ReferenceVAE(nn.Module):
    """The classic example's model: same layer shapes, sigmoid output."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 2)
        self.fc22 = nn.Linear(400, 2)
        self.fc3 = nn.Linear(2, 400)
        self.fc4 = nn.Linear(400, 784)

    def forward(self, x: Any, eps: Any = None) -> Any:
        h1 = F.relu(self.fc1(x))
        mu, logvar = self.fc21(h1), self.fc22(h1)
        std = torch.exp(0.5 * logvar)
        z = mu + (torch.randn_like(std) if eps is None else eps) * std
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def reference_loss(recon_x: Any, x: Any, mu: Any, logvar: Any) -> Any:
    bce = F.binary_cross_entropy(recon_x, x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def reference_epoch(model: Any, data: Any, optimizer: Any, batch_size: int = 128) -> Any:
    model.train()
    order = torch.randperm(len(data))
    for start in range(0, len(data), batch_size):
        x = data[order[start : start + batch_size]]
        optimizer.zero_grad()
        recon, mu, logvar = model(x)
        loss = reference_loss(recon, x, mu, logvar)
        loss.backward()
        optimizer.step()


def copy_weights(ours: VAE, ref: ReferenceVAE) -> None:
    pairs = (
        ("fc1", "fc1"),
        ("fc_mu", "fc21"),
        ("fc_logvar", "fc22"),
        ("fc3", "fc3"),
        ("fc4", "fc4"),
    )
    for a, b in pairs:
        getattr(ref, b).load_state_dict(getattr(ours, a).state_dict())


def run(full: bool = True) -> list[Comparison]:
    torch.set_num_threads(2)
    n = 10_240 if full else 2_560
    rng = np.random.default_rng(0)
    images = (rng.random((n, 784)) < 0.2).astype(np.float32)  # sparse "ink"
    data = torch.from_numpy(images)
    torch.manual_seed(0)
    ours, ref = VAE(), ReferenceVAE()
    copy_weights(ours, ref)
    # Same weights, same noise, same batch: the two losses must agree (per example).
    x = data[:128]
    eps = torch.randn(128, 2)
    mu, logvar = ours.encode(x)
    logits = ours.decode(mu + torch.exp(0.5 * logvar) * eps)
    our_loss = negative_elbo(logits, x, mu, logvar)[0].item()
    recon, mu_r, logvar_r = ref(x, eps)
    their_loss = reference_loss(recon, x, mu_r, logvar_r).item() / 128
    loss_gap = abs(our_loss - their_loss) / abs(their_loss)  # relative, float32 losses
    if loss_gap > 1e-5:
        raise AssertionError(f"losses differ: {our_loss} vs {their_loss}")
    ref_optimizer = torch.optim.Adam(ref.parameters(), lr=1e-3)
    result = compare(
        "VAE 784-400-2, one training epoch",
        lambda: train(ours, images, epochs=1, batch_size=128, progress=False) and 0.0,
        lambda: reference_epoch(ref, data, ref_optimizer) or 0.0,
        peer_name="reference loop",
        discrepancy=lambda a, b: loss_gap,  # the losses, checked above before timing
        tolerance=1e-5,
        repeats=5 if full else 3,
        sizes={"n_images": n, "batch_size": 128, "threads": 2},
    )
    return [result]
