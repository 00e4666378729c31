"""The book's figure style: a colour-blind-safe palette and readable defaults.

Colours come from the Okabe–Ito palette (Okabe & Ito, 2008), which stays
distinguishable under the common forms of colour-vision deficiency. Figures
that separate classes also vary the marker or line style, so that nothing
depends on colour alone.

Introduced in the book's chapter "What is a generative model?"
(``book/intro/generative_models.ipynb``).
"""

from __future__ import annotations

from typing import Final

__all__ = ["LINESTYLES", "MARKERS", "OKABE_ITO", "class_color", "use_book_style"]

#: The eight Okabe–Ito colours, by name.
OKABE_ITO: Final[dict[str, str]] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky_blue": "#56B4E9",
    "reddish_purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}

# The order in which classes or components get colours: strong contrasts first,
# yellow (weak on white) last.
_CYCLE: Final[tuple[str, ...]] = (
    OKABE_ITO["blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["green"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
    OKABE_ITO["yellow"],
)

#: Marker shapes paired with the colour cycle, so classes differ in shape too.
MARKERS: Final[tuple[str, ...]] = ("o", "s", "^", "D", "v", "P", "X", "*")
#: Line styles paired with the colour cycle.
LINESTYLES: Final[tuple[str, ...]] = ("-", "--", "-.", ":", "-", "--", "-.", ":")


def class_color(k: int) -> str:
    """Return the colour used for class (or component) ``k`` throughout the book.

    Introduced in the chapter "What is a generative model?".

    Parameters
    ----------
    k : int
        A non-negative class index; indices beyond 7 wrap around.

    Returns
    -------
    str
        A hex colour string.
    """
    if k < 0:
        raise ValueError(f"class index must be >= 0; got {k}")
    return _CYCLE[k % len(_CYCLE)]


def use_book_style() -> None:
    """Set matplotlib defaults for the book's figures.

    Introduced in the chapter "What is a generative model?". Sets the
    Okabe–Ito colour cycle, readable font sizes, a light grid, a fixed
    resolution, and a fixed SVG hash salt so that saved figures are
    byte-for-byte reproducible.
    """
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(
        {
            "axes.prop_cycle": cycler(color=list(_CYCLE)),
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "legend.fontsize": 10,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "image.cmap": "viridis",
            "svg.hashsalt": "genlab",
        }
    )
