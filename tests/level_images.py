"""Bad images of integer levels, shared by the tests of every model that takes them.

MADE, the DDPM and the categorical VAE check their images with one function,
``genlab._training.check_level_images``; each model's tests run every entry point over
this one table (images of 3 pixels with 3 levels), so the three cannot drift apart.
"""

from __future__ import annotations

import numpy as np

#: case -> (images of 3 pixels, a regular expression the error for argument ``x`` matches)
BAD_LEVEL_IMAGES: dict[str, tuple[object, str]] = {
    "a level too large": ([[0, 3, 0]], r"x must hold integer levels 0..2; x\[0, 1\] is 3"),
    "a negative level": ([[0, -1, 0]], r"x\[0, 1\] is -1"),
    "a fraction": ([[0, 1.5, 0]], "x must hold integer levels 0..2; got dtype .* non-integer"),
    "NaN": ([[0, float("nan"), 0]], "x must hold integer levels 0..2; got dtype .* non-integer"),
    "infinity": ([[0, float("inf"), 0]], "x must hold integer levels 0..2; got dtype .* non-int"),
    "booleans": (
        np.ones((1, 3), dtype=bool),
        "x must hold integer levels 0..2; got dtype torch.bool",
    ),
    "complex numbers": ([[0j, 1, 2]], "x must hold integer levels 0..2; got dtype torch.complex"),
    "the wrong width": ([[0, 1]], r"x must have shape \(n_images, 3\); got \(1, 2\)"),
    "one image as a vector": ([0, 1, 2], r"x must have shape \(n_images, 3\); got \(3,\)"),
}


def as_argument(message: str, name: str) -> str:
    """The same error, for an argument called ``name`` instead of ``x``."""
    return message.replace("x must", f"{name} must").replace("x\\[", f"{name}\\[")
