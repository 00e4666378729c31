"""The book's figure style: a colour-blind-safe palette and readable defaults.

Colours come from the Okabe–Ito palette (Okabe & Ito, 2008), which stays
distinguishable under the common forms of colour-vision deficiency. Figures
that separate classes also vary the marker or line style, so that nothing
depends on colour alone.

Introduced in the book's chapter "What is a generative model?"
(``book/intro/generative_models.ipynb``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from html import escape
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from matplotlib.animation import Animation
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "LINESTYLES",
    "MARKERS",
    "OKABE_ITO",
    "TOL_MUTED",
    "Explorer",
    "animation_html",
    "class_color",
    "explore",
    "gaussian_ellipse",
    "image_grid",
    "plot_confusion_matrix",
    "plot_reliability",
    "scatter_codes",
    "use_book_style",
]

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

#: Paul Tol's "muted" scheme, colour-blind safe, for plots with up to ten classes
#: (Okabe–Ito has eight colours): nine colours and a pale grey.
TOL_MUTED: Final[tuple[str, ...]] = (
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
    "#AA4499",
    "#BBBBBB",
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
    resolution, a fixed SVG hash salt and no snapping to pixel centres, so that
    saved figures are byte-for-byte reproducible, on other processors too.
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
            # No snapping of paths and markers to pixel centres: a point that falls exactly
            # between two pixels (a regular grid of values on "nice" axes does) would jump
            # by a pixel when the last bit of its coordinate differs between processors.
            "path.snap": False,
        }
    )


def image_grid(
    images: ArrayLike,
    *,
    shape: tuple[int, int] = (8, 8),
    ncols: int = 10,
    titles: Sequence[str] | None = None,
    cmap: str = "gray_r",
    vmin: float | None = None,
    vmax: float | None = None,
    scale: float = 1.0,
    title: str | None = None,
) -> Figure:
    """Show flattened images (such as 8×8 digits) in a grid, without axes.

    Introduced in the chapter "Naive Bayes"; used again wherever digits appear.

    Parameters
    ----------
    images : array_like of shape (n_images, height * width)
        One flattened image per row.
    shape : (int, int)
        Height and width of each image.
    ncols : int
        Images per row of the grid.
    titles : sequence of str, optional
        One title per image.
    cmap : str
        A matplotlib colour map; ``"gray_r"`` shows ink as dark on white.
    vmin, vmax : float, optional
        Common colour limits; by default all images share one scale, from the smallest to
        the largest value over all of them.
    scale : float
        Size of one image, in inches.
    title : str, optional
        A title above the whole grid (space is reserved for it).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    arr = np.asarray(images, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != shape[0] * shape[1]:
        raise ValueError(
            f"images must have shape (n_images, {shape[0] * shape[1]}); got {arr.shape}"
        )
    if titles is not None and len(titles) != len(arr):
        raise ValueError(f"{len(titles)} titles for {len(arr)} images")
    n = len(arr)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    lo = float(arr.min()) if vmin is None else vmin
    hi = float(arr.max()) if vmax is None else vmax
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(scale * ncols, scale * nrows * 1.15 + (0.4 if title else 0.0)),
        squeeze=False,
        layout="constrained",
    )
    if title:
        fig.suptitle(title)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < n:
            ax.imshow(arr[i].reshape(shape), cmap=cmap, vmin=lo, vmax=hi)
            if titles is not None:
                ax.set_title(titles[i], fontsize=9)
    return fig


def plot_confusion_matrix(
    matrix: ArrayLike, labels: Sequence[Any], *, ax: Axes | None = None, title: str = ""
) -> Axes:
    """Draw a confusion matrix with its counts written in the cells.

    Introduced in the chapter "Naive Bayes".

    Parameters
    ----------
    matrix : array_like of shape (n_classes, n_classes)
        ``matrix[i, j]`` counts samples of true class ``i`` predicted as class ``j``
        (scikit-learn's ``confusion_matrix`` convention).
    labels : sequence, length n_classes
        Class names, in the order of the rows.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    title : str
        The axes title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    cm = np.asarray(matrix)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] != len(labels):
        raise ValueError(f"matrix must be square with {len(labels)} rows; got {cm.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 + 0.9 * len(labels), 1.0 + 0.8 * len(labels)))
    ax.imshow(cm, cmap="Blues")
    ax.grid(False)
    threshold = cm.max() / 2 if cm.size else 0
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            colour = "white" if cm[i, j] > threshold else "black"
            ax.text(j, i, f"{cm[i, j]:g}", ha="center", va="center", color=colour)
    ticks = range(len(labels))
    ax.set(xticks=ticks, yticks=ticks, xlabel="predicted class", ylabel="true class")
    ax.set_xticklabels([str(v) for v in labels])
    ax.set_yticklabels([str(v) for v in labels])
    if title:
        ax.set_title(title)
    return ax


# Text symbols for the player's buttons, replacing matplotlib's Font Awesome icons
# (which it loads from a CDN). Only the widely available triangles U+25B6 and U+25C0.
_BUTTON_SYMBOLS = {
    "fa fa-minus": "&minus;",
    "fa fa-plus": "+",
    "fa fa-fast-backward": "|&#x25C0;&#x25C0;",
    "fa fa-step-backward": "&#x25C0;|",
    "fa fa-play fa-flip-horizontal": "&#x25C0;",
    "fa fa-pause": "||",
    "fa fa-play": "&#x25B6;",
    "fa fa-step-forward": "|&#x25B6;",
    "fa fa-fast-forward": "&#x25B6;&#x25B6;|",
}


def plot_reliability(
    correct: ArrayLike,
    confidence: ArrayLike,
    *,
    ax: Axes | None = None,
    n_bins: int = 10,
    k: int = 0,
    label: str = "",
) -> Axes:
    """Draw a reliability diagram: accuracy against confidence, bin by bin, and the diagonal.

    Introduced in the chapter "Naive Bayes".

    The bins are those of :func:`genlab.calibration.reliability_curve`; a calibrated
    classifier's points lie on the dotted diagonal, an over-confident one's below it.
    Each point's area grows with the number of predictions in its bin.

    Parameters
    ----------
    correct : array_like of bool, shape (n,)
        Whether each prediction was right.
    confidence : array_like of shape (n,)
        The probability the model gave to its prediction.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    n_bins : int, default 10
    k : int, default 0
        Colour, marker and line style of the curve (:func:`class_color`, ``MARKERS``,
        ``LINESTYLES``).
    label : str
        The curve's legend entry.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    from genlab.calibration import reliability_curve

    prob_true, prob_pred, counts = reliability_curve(correct, confidence, n_bins=n_bins)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.8, 4.4))
    ax.plot([0, 1], [0, 1], color="0.5", ls=":", lw=1)
    ax.plot(prob_pred, prob_true, color=class_color(k), ls=LINESTYLES[k], lw=1.5, label=label)
    sizes = 20 + 280 * counts / counts.sum()
    ax.scatter(prob_pred, prob_true, s=sizes, color=class_color(k), marker=MARKERS[k], zorder=3)
    ax.set(
        xlim=(0, 1.02),
        ylim=(0, 1.02),
        aspect="equal",
        xlabel="confidence (mean predicted probability in the bin)",
        ylabel="accuracy in the bin",
    )
    return ax


def animation_html(
    anim: Animation, *, name: str, fps: int = 1, dpi: int = 72, alt: str = ""
) -> str:
    """A self-contained, offline, reproducible HTML player for a matplotlib animation.

    Introduced in the chapter "Gaussian mixtures and the EM algorithm". The rendered book
    has no kernel, so interactive figures become animations that play in the browser. matplotlib's
    ``to_jshtml`` embeds every frame as a PNG, but it also links a stylesheet on a CDN
    (a request leaving the book's host) and names its JavaScript object with a random
    id (so the output changes on every run). This helper removes the link, replaces the
    icons with text symbols and uses ``name`` as the id.

    The player needs JavaScript, which JupyterLab runs only in a trusted notebook (one the
    reader ran or trusted, not one just downloaded). So that an untrusted notebook shows no
    broken image, the player's image starts at the first frame, and a note above it says
    how to get the buttons working; the player's script removes the note, so the rendered
    book and a trusted notebook never show it.

    Parameters
    ----------
    anim : matplotlib.animation.Animation
    name : str
        Letters, digits and underscores; unique on the page.
    fps : int
        Frames per second when playing.
    dpi : int
        Resolution of the embedded frames (they make up most of the HTML's size).
    alt : str
        Alternative text of the player's image.

    Returns
    -------
    str
        HTML to display with ``IPython.display.HTML``.
    """
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"name must be an identifier (letters, digits, _); got {name!r}")
    import matplotlib as mpl

    with mpl.rc_context({"savefig.dpi": dpi}):
        html = anim.to_jshtml(fps=fps, embed_frames=True, default_mode="once")
    html = re.sub(r"<link rel=\"stylesheet\"\s+href=\"https?://[^\"]*\">", "", html)
    for random_id in set(re.findall(r"[0-9a-f]{32}", html)):
        html = html.replace(random_id, name)
    for icon, symbol in _BUTTON_SYMBOLS.items():
        html = html.replace(f'<i class="{icon}"></i>', symbol)
    html = _works_untrusted(html, name, alt)
    if re.search(r"https?://", html):
        raise RuntimeError("the animation HTML still refers to an outside address")
    return html


#: Shown above an animation where its script does not run (an untrusted notebook).
ANIMATION_UNTRUSTED_NOTE: Final[str] = (
    "The buttons of this animation need JavaScript, which JupyterLab runs only in a trusted"
    " notebook: run this cell, or trust the notebook (Command Palette: Trust Notebook)."
    " Until then the first frame is shown."
)


def _works_untrusted(html: str, name: str, alt: str) -> str:
    """Start the player's image at its first frame and add the note its script removes."""
    first = re.search(r'frames\[0\] = "(data:image/png;base64,[^"]*)"', html)
    img = f'<img id="_anim_img{name}">'
    if first is None or html.count(img) != 1:
        raise RuntimeError("matplotlib's animation HTML has changed: no first frame or image")
    src = first.group(1).replace("\\\n", "")
    html = html.replace(img, f'<img id="_anim_img{name}" src="{src}" alt="{escape(alt)}">')
    note = f'<p id="{name}_untrusted"><em>{ANIMATION_UNTRUSTED_NOTE}</em></p>'
    html = html.replace('<div class="animation">', note + '\n<div class="animation">', 1)
    remove = f'document.getElementById("{name}_untrusted").remove();'
    instantiate = "setTimeout(function() {"
    if html.count(instantiate) != 1:
        raise RuntimeError("matplotlib's animation HTML has changed: no instantiation")
    return html.replace(instantiate, f"{remove}\n    {instantiate}")


def gaussian_ellipse(
    ax: Axes,
    mean: ArrayLike,
    covariance: ArrayLike,
    *,
    radii: Sequence[float] = (1.0, 2.0),
    **line_style: Any,
) -> None:
    r"""Draw the contours of a 2-D normal density at given Mahalanobis radii.

    The contour at radius :math:`r` is the ellipse :math:`(x-\mu)^\top \Sigma^{-1}
    (x-\mu) = r^2`, whose axes point along the eigenvectors of :math:`\Sigma` with
    half-lengths :math:`r \sqrt{\lambda_i}`.

    Introduced in the chapter "The multivariate Gaussian and the Gaussian Bayes classifier";
    used for mixtures too.

    Parameters
    ----------
    ax : matplotlib Axes
    mean : array_like of shape (2,)
    covariance : array_like of shape (2, 2)
    radii : sequence of float
        Mahalanobis radii of the ellipses to draw.
    **line_style
        Passed to ``matplotlib.patches.Ellipse`` (``color``, ``ls``, ``lw``, ...).
    """
    from matplotlib.patches import Ellipse

    mu = np.asarray(mean, dtype=np.float64)
    cov = np.asarray(covariance, dtype=np.float64)
    if mu.shape != (2,) or cov.shape != (2, 2):
        raise ValueError(f"need a 2-D mean and a 2x2 covariance; got {mu.shape}, {cov.shape}")
    values, vectors = np.linalg.eigh(cov)
    if np.any(values <= 0):
        raise ValueError("covariance must be positive definite")
    angle = float(np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1])))  # largest axis
    style = {"fill": False, "lw": 1.5} | line_style
    for r in radii:
        width, height = 2 * r * np.sqrt(values[::-1])
        ax.add_patch(Ellipse((float(mu[0]), float(mu[1])), width, height, angle=angle, **style))


def _medoid(points: np.ndarray) -> np.ndarray:
    """The point with the smallest summed distance to the others (one of the points)."""
    distances = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=-1)
    return np.asarray(points[np.argmin(distances.sum(axis=1))])


def scatter_codes(
    ax: Axes,
    codes: ArrayLike,
    labels: ArrayLike,
    *,
    title: str | None = None,
    size: float = 8.0,
) -> None:
    """Scatter 2-D latent codes coloured by label, each label written on its medoid.

    The label of each class sits on its *medoid*, the code with the smallest summed
    distance to the other codes of that class: always on a real code of the class, even
    when the class is split into separate groups (where a mean could fall in empty space
    or on another class). Where two medoids nearly coincide, the later label is moved up
    until both can be read. Up to eight classes use the Okabe–Ito colours, up to ten Paul
    Tol's muted colours; the written labels make colour unnecessary for reading.

    Introduced in the chapter "Autoencoders and variational autoencoders".

    Parameters
    ----------
    ax : matplotlib Axes
    codes : array_like of shape (n_samples, 2)
    labels : array_like of shape (n_samples,)
        Integer class labels, at most ten distinct values.
    title : str, optional
    size : float
        Marker size.
    """
    z = np.asarray(codes, dtype=np.float64)
    y = np.asarray(labels)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"codes must have shape (n_samples, 2); got {z.shape}")
    if y.shape != (len(z),):
        raise ValueError(f"labels must have shape ({len(z)},); got {y.shape}")
    classes = np.unique(y)
    if len(classes) > len(TOL_MUTED):
        raise ValueError(f"at most {len(TOL_MUTED)} classes can be told apart; got {len(classes)}")
    palette = [class_color(k) for k in range(8)] if len(classes) <= 8 else list(TOL_MUTED)
    colour_of = {c: palette[i] for i, c in enumerate(classes)}
    ax.scatter(z[:, 0], z[:, 1], c=[colour_of[c] for c in y], s=size, alpha=0.7)
    # Labels whose medoids nearly coincide would hide each other: move a later one up
    # by a label's height until it is clear of the earlier ones.
    span = np.ptp(z, axis=0) + 1e-12
    placed: list[np.ndarray] = []
    for c in classes:
        position = _medoid(z[y == c])
        while any(np.all(np.abs(position - p) / span < 0.05) for p in placed):
            position = position + np.array([0.0, 0.06 * span[1]])
        placed.append(position)
        cx, cy = position
        ax.text(
            cx,
            cy,
            str(c),
            fontsize=13,
            weight="bold",
            ha="center",
            va="center",
            bbox={"boxstyle": "circle", "fc": "white", "ec": colour_of[c], "alpha": 0.85},
        )
    ax.set(xlabel="$z_1$", ylabel="$z_2$")
    if title is not None:
        ax.set_title(title)


#: What a stored notebook shows for an explorer before it is run: one readable line.
EXPLORER_HINT: Final[str] = (
    "Interactive explorer ({names}): run this cell in JupyterLab to get the sliders."
)


class Explorer:
    """Sliders and the figure they redraw, with a readable text form.

    Introduced in the chapter "What is a generative model?"; every chapter's explorer is one.
    Build it with :func:`explore`. In JupyterLab it shows as the controls above the
    figure that ``draw`` returns for their values, redrawn whenever one moves. Wherever there
    are no widgets (a stored notebook opened before it is run, a terminal, nbval) its
    text form is one line, such as "Interactive explorer (x1, x2): run this cell in
    JupyterLab to get the sliders.", instead of ``ipywidgets.interact``'s
    ``interactive(children=(FloatSlider(...``.

    The figure is sent to the browser as a PNG inside an ``ipywidgets.Image``, never as a
    display output: the cell's only output is the explorer itself, the same on every run, so
    strict nbval compares it like any other output.

    Parameters
    ----------
    draw : callable
        ``draw(**values)`` draws one figure for the controls' values (keyword arguments
        named as the controls) and returns its ``matplotlib.figure.Figure``; the explorer
        saves it as a PNG and closes it.
    alt : str
        Alternative text of the figure (the image's tooltip).
    **controls : ipywidgets value widgets
        The sliders (or any widgets with a ``value``), by the name of ``draw``'s argument
        they set. A control without a description is labelled with its name.

    Attributes
    ----------
    controls : dict of str to widget
        The controls, in the given order.
    image : ipywidgets.Image
        The current figure, as PNG bytes in ``image.value``.
    widget : ipywidgets.VBox
        The controls above the image: what JupyterLab shows.
    """

    def __init__(self, draw: Callable[..., Figure], /, *, alt: str = "", **controls: Any) -> None:
        import ipywidgets as widgets

        if not callable(draw):
            raise ValueError(f"draw must be a function returning a Figure; got {draw!r}")
        if not controls:
            raise ValueError("an explorer needs at least one control, e.g. x=FloatSlider(...)")
        for name, control in controls.items():
            if not isinstance(control, widgets.ValueWidget):
                raise ValueError(
                    f"control {name!r} must be an ipywidgets value widget (a slider, ...); "
                    f"got {type(control).__name__}"
                )
            if hasattr(control, "description") and not control.description:
                control.description = name
        self._draw = draw
        self.controls: dict[str, Any] = dict(controls)
        self.image = widgets.Image(format="png", tooltip=alt or None)
        self.widget = widgets.VBox([*self.controls.values(), self.image])
        self.redraw()
        for control in self.controls.values():
            control.observe(lambda _change: self.redraw(), names="value")

    @property
    def values(self) -> dict[str, Any]:
        """The controls' current values, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self) -> None:
        """Draw the figure for the current values and show it (called on every change)."""
        import matplotlib.pyplot as plt
        from matplotlib.figure import Figure

        fig = self._draw(**self.values)
        if not isinstance(fig, Figure):
            raise ValueError(
                f"draw must return the matplotlib Figure it drew; got {type(fig).__name__}"
            )
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        plt.close(fig)
        self.image.value = buffer.getvalue()

    def __repr__(self) -> str:
        return EXPLORER_HINT.format(names=", ".join(self.controls))

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle: dict[str, Any] = dict(self.widget._repr_mimebundle_(**kwargs))
        bundle["text/plain"] = repr(self)
        return bundle


def explore(draw: Callable[..., Figure], /, *, alt: str = "", **controls: Any) -> Explorer:
    """An interactive figure for JupyterLab: ``controls`` redraw ``draw``'s figure.

    Introduced in the chapter "What is a generative model?". Use it as the last line of a
    cell, in place of ``ipywidgets.interact``::

        def draw(prior: float) -> Figure:
            fig, ax = plt.subplots()
            ...
            return fig

        explore(draw, prior=widgets.FloatSlider(value=0.4, min=0.05, max=0.95, step=0.05))

    A stored notebook then shows one readable line for the cell until it is run (see
    :class:`Explorer`), and strict nbval checks that line.

    Parameters
    ----------
    draw : callable
        ``draw(**values)`` returns the ``matplotlib.figure.Figure`` for the controls' values.
    alt : str
        Alternative text of the figure.
    **controls : ipywidgets value widgets
        The controls, by the name of ``draw``'s argument they set.

    Returns
    -------
    Explorer
        Displayed as the controls and the figure where widgets work, as one line elsewhere.
    """
    return Explorer(draw, alt=alt, **controls)
