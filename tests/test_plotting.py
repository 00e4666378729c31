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
    assert first.count("data:image/png;base64") == 3  # one embedded frame each
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
