"""Repository-wide pytest configuration: how nbval compares the book's notebooks.

nbval skips PNG outputs unless told otherwise. The course promises that every stored
output is what the code produces, figures included, so PNG (and JPEG) outputs are
compared byte for byte as well: the figures are rendered by matplotlib's Agg backend
with versions pinned by constraints.txt, and are deterministic given the fixed seeds.
"""

from __future__ import annotations

from typing import Any

COMPARED_IMAGE_TYPES = ("image/png", "image/jpeg")


def pytest_collectstart(collector: Any) -> None:
    """Make nbval compare PNG and JPEG outputs too."""
    if (
        collector.fspath
        and collector.fspath.ext == ".ipynb"
        and hasattr(collector, "skip_compare")
    ):
        collector.skip_compare = tuple(
            key for key in collector.skip_compare if key not in COMPARED_IMAGE_TYPES
        )
