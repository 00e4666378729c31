"""The message of a missing optional dependency (PyTorch: genlab's ``deep`` extra)."""

from __future__ import annotations

TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def torch_missing(module: str) -> ModuleNotFoundError:
    """The error raised when ``module`` (``genlab.vae``, ...) is imported without PyTorch."""
    return ModuleNotFoundError(
        f"{module} needs PyTorch, which genlab installs only with its 'deep' extra: "
        f"pip install torch --index-url {TORCH_CPU_INDEX} (the CPU build; an unpinned torch "
        "pulls gigabytes of CUDA wheels), then pip install 'genlab[deep]' (or the wheel "
        "file followed by [deep])",
        name="torch",
    )
