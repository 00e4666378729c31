"""The book style: colour-blind-safe cycle, wrap-around, reproducible settings."""

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl
import pytest

from genlab.plotting import (
    LINESTYLES,
    MARKERS,
    OKABE_ITO,
    class_color,
    image_grid,
    plot_confusion_matrix,
    plot_reliability,
    use_book_style,
)


def test_class_colours_are_okabe_ito_and_wrap():
    colours = [class_color(k) for k in range(8)]
    assert len(set(colours)) == 8
    assert set(colours) == set(OKABE_ITO.values())
    assert class_color(8) == class_color(0)
    assert len(MARKERS) == len(LINESTYLES) == 8
    with pytest.raises(ValueError, match="class index"):
        class_color(-1)


def test_use_book_style_sets_the_cycle():
    with mpl.rc_context():
        use_book_style()
        cycle = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
        assert cycle[:3] == [class_color(0), class_color(1), class_color(2)]
        assert mpl.rcParams["svg.hashsalt"] == "genlab"


def test_image_grid_lays_out_images():
    import matplotlib.pyplot as plt
    import numpy as np

    fig = image_grid(
        np.arange(12 * 64).reshape(12, 64), ncols=5, titles=[str(i) for i in range(12)]
    )
    images = [ax for ax in fig.axes if ax.images]
    assert len(fig.axes) == 15 and len(images) == 12
    assert images[3].get_title() == "3"
    np.testing.assert_array_equal(images[0].images[0].get_array(), np.arange(64).reshape(8, 8))
    plt.close(fig)
    with pytest.raises(ValueError, match="shape \\(n_images, 64\\)"):
        image_grid(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="1 titles for 2 images"):
        image_grid(np.zeros((2, 64)), titles=["a"])


def test_confusion_matrix_writes_counts():
    import matplotlib.pyplot as plt

    ax = plot_confusion_matrix([[5, 1], [2, 7]], ["ham", "spam"])
    assert [t.get_text() for t in ax.texts] == ["5", "1", "2", "7"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["ham", "spam"]
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="square with 3 rows"):
        plot_confusion_matrix([[1, 2], [3, 4]], ["a", "b", "c"])


def test_animation_html_is_offline_and_reproducible():
    import re

    import matplotlib.animation as animation
    import matplotlib.pyplot as plt

    from genlab.plotting import animation_html

    def make():
        fig, ax = plt.subplots(figsize=(2, 2))
        (line,) = ax.plot([0, 1], [0, 1])
        anim = animation.FuncAnimation(fig, lambda i: line.set_ydata([0, i]), frames=3)
        html = animation_html(anim, name="demo_anim", fps=2)
        plt.close(fig)
        return html

    first, second = make(), make()
    assert first == second  # no random ids
    assert "http" not in first and '<i class="fa' not in first
    assert "demo_anim" in first and not re.search(r"[0-9a-f]{32}", first)
    # one embedded frame each, and the first again as the image's start (shown untrusted)
    assert first.count("data:image/png;base64") == 4
    with pytest.raises(ValueError, match="name must be an identifier"):
        animation_html(None, name="bad name")  # type: ignore[arg-type]


def test_gaussian_ellipse_passes_through_points_at_the_right_distance():
    import matplotlib.pyplot as plt
    import numpy as np

    from genlab.gaussian import MultivariateNormal
    from genlab.plotting import gaussian_ellipse

    mean, cov = np.array([1.0, -2.0]), np.array([[2.0, 0.8], [0.8, 1.0]])
    fig, ax = plt.subplots()
    gaussian_ellipse(ax, mean, cov, radii=(1.5,), color="k")
    (patch,) = ax.patches
    # points on the drawn ellipse, from its centre, axes and angle
    t = np.linspace(0, 2 * np.pi, 50)
    a = np.radians(patch.angle)
    rotation = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    local = np.column_stack([patch.width / 2 * np.cos(t), patch.height / 2 * np.sin(t)])
    boundary = np.asarray(patch.center) + local @ rotation.T
    distances = MultivariateNormal.from_parameters(mean, cov).mahalanobis(boundary)
    np.testing.assert_allclose(distances, 1.5, rtol=1e-6)
    plt.close(fig)
    with pytest.raises(ValueError, match="positive definite"):
        gaussian_ellipse(ax, mean, [[1.0, 2.0], [2.0, 1.0]])


def test_scatter_codes_labels_sit_on_medoids_even_for_split_classes():
    import matplotlib.pyplot as plt
    import numpy as np

    from genlab.plotting import TOL_MUTED, scatter_codes

    # Class 1 is split into two far-apart groups: its mean (5, 0) lies in empty space,
    # between them; the medoid must be one of its own points.
    codes = np.array([[0, 0], [0.2, 0], [0.1, 0.1], [0, 0.5], [10, 0], [10.2, 0], [0.0, 5]])
    labels = np.array([1, 1, 1, 1, 1, 1, 0])
    fig, ax = plt.subplots()
    scatter_codes(ax, codes, labels, title="codes")
    written = {t.get_text(): t.get_position() for t in ax.texts}
    assert set(written) == {"0", "1"}
    own = codes[labels == 1]
    sums = [sum(float(np.hypot(*(p - q))) for q in own) for p in own]  # brute force
    assert tuple(written["1"]) == tuple(own[int(np.argmin(sums))]) == (0.2, 0.0)
    assert tuple(written["1"]) != tuple(own.mean(axis=0))  # not the mean (in empty space)
    assert tuple(written["0"]) == (0.0, 5.0)
    assert ax.get_title() == "codes"
    plt.close(fig)
    assert len(set(TOL_MUTED)) == 10
    fig, ax = plt.subplots()
    scatter_codes(ax, np.random.default_rng(0).normal(size=(30, 2)), np.arange(30) % 10)
    assert len(ax.texts) == 10
    plt.close(fig)
    with pytest.raises(ValueError, match="at most 10 classes"):
        scatter_codes(ax, np.zeros((11, 2)), np.arange(11))
    with pytest.raises(ValueError, match=r"codes must have shape \(n_samples, 2\)"):
        scatter_codes(ax, np.zeros((3, 3)), np.arange(3))


def test_scatter_codes_moves_a_label_that_would_hide_another():
    import matplotlib.pyplot as plt
    import numpy as np

    from genlab.plotting import scatter_codes

    # Two classes whose medoids coincide at the origin, plus a third far away.
    codes = np.array([[0, 0], [0.01, 0], [-0.01, 0], [0, 0.001], [0, -0.001], [5, 5]])
    labels = np.array([0, 0, 0, 1, 1, 2])
    fig, ax = plt.subplots()
    scatter_codes(ax, codes, labels)
    positions = {t.get_text(): np.array(t.get_position()) for t in ax.texts}
    assert np.abs(positions["0"] - positions["1"]).max() > 0.05 * 5  # readable apart
    assert tuple(positions["2"]) == (5.0, 5.0)  # not moved: nothing near it
    plt.close(fig)


def test_reliability_diagram_draws_the_curve_of_reliability_curve():
    import numpy as np

    from genlab.calibration import reliability_curve

    rng = np.random.default_rng(0)
    confidence = rng.uniform(0.5, 1.0, 300)
    correct = rng.random(300) < confidence
    ax = plot_reliability(correct, confidence, k=1, label="model")
    diagonal, curve = ax.get_lines()
    assert list(diagonal.get_xdata()) == [0, 1]
    prob_true, prob_pred, _ = reliability_curve(correct, confidence)
    assert np.allclose(curve.get_xdata(), prob_pred) and np.allclose(curve.get_ydata(), prob_true)
    assert curve.get_label() == "model" and curve.get_color() == class_color(1)


def test_animation_html_works_untrusted_and_the_script_removes_the_note():
    """JupyterLab strips scripts from an untrusted notebook's HTML: the player's image must
    already show a frame, and a note must say what to do; where scripts run, it goes."""
    import base64
    import html as html_lib
    import io
    import re

    import matplotlib.animation as animation
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    from genlab.plotting import ANIMATION_UNTRUSTED_NOTE, animation_html

    colours = ["red", "blue"]
    fig = plt.figure(figsize=(1, 1), dpi=40)
    ax = fig.add_axes((0, 0, 1, 1), xticks=[], yticks=[])
    anim = animation.FuncAnimation(fig, lambda i: ax.set_facecolor(colours[i]), frames=2)
    page = animation_html(anim, name="sq", dpi=40, alt='a "square"')
    plt.close(fig)
    (img,) = re.findall(
        r'<img id="_anim_imgsq" src="data:image/png;base64,([^"]+)" alt="([^"]*)">', page
    )
    assert html_lib.unescape(img[1]) == 'a "square"'
    pixels = mpimg.imread(io.BytesIO(base64.b64decode(img[0])), format="png")  # PIL decodes
    assert pixels.shape[:2] == (40, 40) and tuple(pixels[20, 20, :3]) == (1.0, 0.0, 0.0)
    note = f'<p id="sq_untrusted"><em>{ANIMATION_UNTRUSTED_NOTE}</em></p>'
    assert page.count(note) == 1 and page.index(note) < page.index('<div class="animation">')
    script = page[page.rindex("<script") :]
    assert 'document.getElementById("sq_untrusted").remove();' in script
    assert "Trust Notebook" in ANIMATION_UNTRUSTED_NOTE


def _solid(colour: str):
    """A 1-inch figure filled with one colour (drawn at 40 dpi: 40 x 40 pixels)."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(1, 1), dpi=40, facecolor=colour)
    return fig


def _decoded(png: bytes):
    import io

    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png")  # PIL decodes it, not genlab


def test_explorer_sends_the_drawn_figure_and_redraws_on_change():
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    import numpy as np

    from genlab.plotting import Explorer, explore

    calls = []

    def draw(red: float, blue: int):
        calls.append((red, blue))
        return _solid((red, 0.0, blue / 2))

    before = set(plt.get_fignums())
    ex = explore(
        draw,
        alt="a square",
        red=widgets.FloatSlider(value=1.0, min=0, max=1),
        blue=widgets.IntSlider(0, 0, 2),
    )
    assert isinstance(ex, Explorer) and calls == [(1.0, 0)]
    assert ex.values == {"red": 1.0, "blue": 0} and ex.image.tooltip == "a square"
    pixels = _decoded(ex.image.value)
    assert pixels.shape[:2] == (40, 40)
    np.testing.assert_allclose(pixels[..., :3], np.broadcast_to([1.0, 0.0, 0.0], (40, 40, 3)))
    ex.controls["blue"].value = 2
    ex.controls["red"].value = 0.0
    assert calls == [(1.0, 0), (1.0, 2), (0.0, 2)]
    np.testing.assert_allclose(
        _decoded(ex.image.value)[..., :3], np.broadcast_to([0.0, 0.0, 1.0], (40, 40, 3))
    )
    assert set(plt.get_fignums()) == before  # every figure closed: nothing else is shown
    # the controls are labelled with their names, then the image, in one box
    assert [c.description for c in ex.widget.children[:2]] == ["red", "blue"]
    assert ex.widget.children[2] is ex.image


def test_explorer_text_form_is_one_readable_line():
    import ipywidgets as widgets
    from IPython.core.formatters import DisplayFormatter

    from genlab.plotting import explore

    ex = explore(
        lambda x1, x2: _solid("white"), x1=widgets.FloatSlider(), x2=widgets.FloatSlider()
    )
    hint = "Interactive explorer (x1, x2): run this cell in JupyterLab to get the sliders."
    assert repr(ex) == hint
    data, _ = DisplayFormatter().format(ex)  # what IPython stores as the cell's output
    assert data["text/plain"] == hint and "\n" not in hint
    view = data["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == ex.widget.model_id


def test_explorer_rejects_bad_input():
    import ipywidgets as widgets

    from genlab.plotting import explore

    with pytest.raises(ValueError, match="at least one control"):
        explore(lambda: _solid("white"))
    with pytest.raises(ValueError, match="control 'x' must be an ipywidgets value widget"):
        explore(lambda x: _solid("white"), x=0.5)
    with pytest.raises(ValueError, match="draw must be a function"):
        explore(None, x=widgets.FloatSlider())  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match="must return the matplotlib Figure it drew; got NoneType"
    ):
        explore(lambda x: None, x=widgets.FloatSlider())


@pytest.mark.slow
def test_explorer_cell_has_one_output_the_same_on_every_run():
    """In a real kernel with the inline backend, as nbval runs it: the cell's only output is
    the explorer's line (no figure escapes as a display output), identical across runs."""
    import nbformat
    from nbclient import NotebookClient

    source = (
        "import ipywidgets as widgets\n"
        "import matplotlib.pyplot as plt\n"
        "from genlab.plotting import explore\n"
        "def draw(a):\n"
        "    fig, ax = plt.subplots(figsize=(2, 2))\n"
        "    ax.plot([0, a])\n"
        "    return fig\n"
        "explore(draw, a=widgets.FloatSlider(value=1.0, min=0, max=2))"
    )
    runs = []
    for _ in range(2):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        NotebookClient(nb, timeout=120, kernel_name="python3").execute()
        runs.append(nb.cells[0].outputs)
    for outputs in runs:
        assert [o["output_type"] for o in outputs] == ["execute_result"]
        assert outputs[0]["data"]["text/plain"] == (
            "Interactive explorer (a): run this cell in JupyterLab to get the sliders."
        )
    assert runs[0][0]["data"]["text/plain"] == runs[1][0]["data"]["text/plain"]
