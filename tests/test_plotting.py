"""The book style: colour-blind-safe cycle, wrap-around, reproducible settings."""

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl
import pytest

from genlab.plotting import LINESTYLES, MARKERS, OKABE_ITO, class_color, use_book_style


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
