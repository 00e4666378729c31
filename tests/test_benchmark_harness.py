"""The benchmark harness refuses to time results that disagree, and reports ratios."""

import json

import numpy as np
import pytest

from genlab.benchmarks.harness import Comparison, compare, write_results


def max_abs(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def test_disagreeing_results_are_never_timed():
    calls = []

    def ours():
        calls.append("ours")
        return np.array([1.0, 2.0])

    def peer():
        calls.append("peer")
        return np.array([1.0, 2.1])

    with pytest.raises(AssertionError, match="not timed"):
        compare("x", ours, peer, peer_name="p", discrepancy=max_abs, tolerance=1e-8)
    assert calls == ["ours", "peer"]  # only the checking run, no timed repeats


def test_nan_discrepancy_is_a_failure():
    with pytest.raises(AssertionError):
        compare(
            "x",
            lambda: 0,
            lambda: 0,
            peer_name="p",
            discrepancy=lambda a, b: float("nan"),
            tolerance=1.0,
        )


def test_agreeing_results_are_timed_and_written(tmp_path):
    c = compare(
        "sum",
        lambda: np.arange(10).sum(),
        lambda: sum(range(10)),
        peer_name="python",
        discrepancy=max_abs,
        tolerance=0.0,
        repeats=3,
        sizes={"n": 10},
    )
    assert c.discrepancy == 0.0 and c.repeats == 3
    assert c.genlab_s > 0 and c.peer_s > 0
    assert c.ratio == pytest.approx(c.genlab_s / c.peer_s)
    write_results([c], tmp_path / "r.json")
    payload = json.loads((tmp_path / "r.json").read_text())
    assert payload["results"][0]["name"] == "sum"
    assert payload["machine"]["cpu_count"] >= 1


def test_ratio_definition():
    c = Comparison("n", "p", genlab_s=1.0, peer_s=4.0, discrepancy=0, tolerance=0, repeats=1)
    assert c.ratio == 0.25
