"""Maximum-likelihood training of genlab's PyTorch density models (MADE, RealNVP, ...).

One loop for the models whose loss is their own negative log-likelihood (or a bound on it):
seeded shuffling, Adam, divergence checks after every epoch, and optional early stopping on
validation data; and the checks of their arguments, images of integer levels included.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm


def check_size(value: object, name: str, minimum: int) -> int:
    """An integer (not a bool) of at least ``minimum``, or a ValueError naming it."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    if int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def check_level_images(
    x: Any, n_pixels: int, n_levels: int, device: torch.device, name: str = "x"
) -> Tensor:
    """Images of integer levels ``0 .. n_levels - 1``, as a LongTensor on ``device``.

    ``x`` (a tensor or array_like) must have shape (n_images, n_pixels) and hold integers,
    possibly stored as finite floats (``1.0``), not booleans or complex numbers; otherwise
    a ValueError naming it (and, for a level out of range, the first offending entry).
    Shared by MADE, the DDPM and the categorical VAE.
    """
    t = torch.as_tensor(np.asarray(x) if not isinstance(x, Tensor) else x)
    if t.dim() != 2 or t.shape[1] != n_pixels:
        raise ValueError(f"{name} must have shape (n_images, {n_pixels}); got {tuple(t.shape)}")
    if t.dtype.is_complex or t.dtype == torch.bool:
        raise ValueError(f"{name} must hold integer levels 0..{n_levels - 1}; got dtype {t.dtype}")
    if t.dtype.is_floating_point and not (
        bool(torch.isfinite(t).all()) and bool(torch.all(t == t.round()))
    ):
        raise ValueError(
            f"{name} must hold integer levels 0..{n_levels - 1}; got dtype {t.dtype} with "
            "non-integer values"
        )
    t = t.long()
    bad = (t < 0) | (t >= n_levels)
    if torch.any(bad):
        i, j = (int(v) for v in torch.nonzero(bad)[0])
        raise ValueError(
            f"{name} must hold integer levels 0..{n_levels - 1}; {name}[{i}, {j}] is "
            f"{int(t[i, j])}"
        )
    return t.to(device)


def check_rate(value: object, name: str, *, positive: bool) -> float:
    """A finite real number, >= 0 (or > 0 with ``positive``), or a ValueError naming it."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    if not ok or not math.isfinite(float(value)) or float(value) < 0:  # type: ignore[arg-type]
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    if positive and float(value) == 0:  # type: ignore[arg-type]
        raise ValueError(f"{name} must be > 0; got {value!r}")
    return float(value)  # type: ignore[arg-type]


def fit_by_likelihood(
    model: nn.Module,
    x: Tensor,
    x_val: Tensor | None,
    batch_nll: Callable[[Tensor, torch.Generator], Tensor],
    val_nll: Callable[[Tensor], Tensor],
    *,
    epochs: object,
    batch_size: object,
    lr: object,
    weight_decay: object,
    seed: object,
    progress: bool,
    desc: str,
    patience: object = None,
) -> dict[str, Any]:
    """Adam on ``batch_nll`` (mean NLL of a batch); see ``train_made`` for the contract."""
    if patience is not None:
        patience = check_size(patience, "patience", 1)
        if x_val is None:
            raise ValueError("patience needs X_val: it counts epochs without a validation gain")
    if x.shape[0] == 0:
        raise ValueError("X is empty; it needs at least one image")
    if x_val is not None and x_val.shape[0] == 0:
        raise ValueError("X_val is empty; it needs at least one image")
    n_epochs = check_size(epochs, "epochs", 1)
    size = check_size(batch_size, "batch_size", 1)
    rate = check_rate(lr, "lr", positive=True)
    decay = check_rate(weight_decay, "weight_decay", positive=False)
    seed_ = check_size(seed, "seed", 0)
    if seed_ >= 2**63:
        raise ValueError(f"seed must be below 2**63; got {seed_}")
    g = torch.Generator().manual_seed(seed_)
    optimiser = torch.optim.Adam(model.parameters(), lr=rate, weight_decay=decay, fused=True)
    history: list[float] = []
    val_history: list[float] = []
    best_state: dict[str, Tensor] | None = None
    model.train()
    # Without an explicit ``disable``, tqdm reads TQDM_DISABLE from the environment.
    bar_options: dict[str, Any] = {} if progress else {"disable": True}
    for epoch in tqdm(range(n_epochs), desc=desc, unit="epoch", **bar_options):
        order = torch.randperm(x.shape[0], generator=g).to(x.device)
        total = 0.0
        for start in range(0, x.shape[0], size):
            batch = x[order[start : start + size]]
            loss = batch_nll(batch, g)
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimiser.step()
            total += float(loss.detach()) * batch.shape[0]
        history.append(total / x.shape[0])
        bad = not math.isfinite(history[-1]) or any(
            not bool(torch.isfinite(p).all()) for p in model.parameters()
        )
        if bad:
            raise ValueError(
                f"training diverged at epoch {epoch + 1}: the loss or the weights are NaN or "
                f"infinite; lower lr (now {lr})"
            )
        if x_val is not None:
            model.eval()
            with torch.no_grad():
                val_history.append(float(val_nll(x_val)))
            model.train()
            if val_history[-1] < min(val_history[:-1], default=math.inf):  # ties: earlier
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            since_best = len(val_history) - 1 - val_history.index(min(val_history))
            if patience is not None and since_best >= patience:
                break  # early stopping: ``patience`` epochs in a row without a gain
    model.eval()
    if x_val is None:
        return {"loss": history}
    assert best_state is not None
    model.load_state_dict(best_state)
    best_epoch = 1 + val_history.index(min(val_history))
    return {"loss": history, "val_loss": val_history, "best_epoch": best_epoch}
