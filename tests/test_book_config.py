"""The repository buttons of the rendered book follow one setting, ``repository.url``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("build_book", ROOT / "scripts" / "build_book.py")
assert spec is not None and spec.loader is not None
build_book = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_book)

BUTTONS = ("use_repository_button", "use_issues_button", "use_edit_page_button")
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


def with_url(url):
    return {**CONFIG, "repository": {**CONFIG.get("repository", {}), "url": url}}


def test_the_shipped_book_has_no_repository_and_no_button():
    assert CONFIG["repository"]["url"] == ""
    out = build_book.configure_repository(CONFIG)
    assert out["repository"]["url"] == ""  # not Jupyter Book's default (its own repository)
    assert all(out["html"][b] is False for b in BUTTONS)
    assert out["launch_buttons"]["binderhub_url"] == ""
    assert out["launch_buttons"]["colab_url"] == ""
    assert out["launch_buttons"]["thebe"] is False


def test_a_real_url_switches_every_button_on():
    out = build_book.configure_repository(with_url("https://github.com/someone/genlab-course/"))
    assert out["repository"]["url"] == "https://github.com/someone/genlab-course"
    assert out["repository"]["branch"] == CONFIG["repository"]["branch"]
    assert all(out["html"][b] is True for b in BUTTONS)
    assert out["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert out["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert out["launch_buttons"]["notebook_interface"] == "jupyterlab"
    # everything else is the book's own configuration, untouched
    for key in set(CONFIG) - {"repository", "html", "launch_buttons"}:
        assert out[key] == CONFIG[key]
    assert out["html"]["extra_footer"] == CONFIG["html"]["extra_footer"]
    assert CONFIG["repository"]["url"] == ""  # the input is not modified


@pytest.mark.parametrize("url", [None, "", "   "])
def test_an_empty_or_absent_url_means_no_button(url):
    config = (
        {k: v for k, v in CONFIG.items() if k != "repository"} if url is None else with_url(url)
    )
    out = build_book.configure_repository(config)
    assert not any(out["html"][b] for b in BUTTONS)
    assert out["launch_buttons"]["binderhub_url"] == ""


@pytest.mark.parametrize(
    "url", ["http://github.com/a/b", "github.com/a/b", "https://github.com", "ftp://x/y", 3]
)
def test_a_url_that_is_not_a_repository_is_refused(url):
    with pytest.raises(ValueError, match="repository.url must be"):
        build_book.configure_repository(with_url(url))


def test_jupyter_book_turns_the_result_into_theme_options():
    """The switched-on configuration is what Jupyter Book needs for its buttons."""
    from jupyter_book.config import get_final_config

    def theme_options(config):
        sphinx, _ = get_final_config(
            user_yaml=config,
            cli_config={"latex_individualpages": False},
            sourcedir=ROOT,
            use_external_toc=False,
            raise_on_invalid=True,
        )
        return sphinx["html_theme_options"]

    theme = theme_options(build_book.configure_repository(with_url("https://github.com/a/b")))
    assert theme["repository_url"] == "https://github.com/a/b"
    assert all(theme[b] is True for b in BUTTONS)
    assert theme["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    off = theme_options(build_book.configure_repository(CONFIG))
    assert off["repository_url"] == ""
    assert not any(off[b] for b in BUTTONS)
    assert off["launch_buttons"]["binderhub_url"] == ""
