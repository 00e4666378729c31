"""The glossary's "Introduced in" pointers name the chapter that first uses each term.

For every entry of ``book/glossary.md`` that ends with "Introduced in {ref}`chap-...`", the
named chapter must be the first chapter, in the order of ``_toc.yml``, whose notebook prose
(its markdown cells) uses the term: case-insensitive, on word boundaries, in the singular or the
plural, or in one of the spellings listed in ``ALIASES`` (an abbreviation such as "EM", a
hyphen written as a dash). The oracle is a plain search of the notebooks' text, independent
of the glossary; a test below checks that the search finds and misses what it should.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "book" / "glossary.md"

# Other spellings under which a term is used in the prose (the term itself, its plural and
# its hyphen/dash variants are always searched).
ALIASES: dict[str, list[str]] = {
    "Akaike information criterion": ["AIC"],
    "Bayesian information criterion": ["BIC"],
    "Beta-VAE": ["β-VAE", r"\beta-VAE"],
    "ELBO": ["evidence lower bound"],
    "Expectation-maximisation": ["EM", "expectation-maximization"],
    "Hidden Markov model": ["HMM"],
    "KL divergence": ["Kullback-Leibler divergence"],
    "Laplace smoothing": ["Laplace", "Lidstone"],
    "Log-sum-exp": ["logsumexp"],
    "Naive assumption": ["naive independence assumption", "independent given the class"],
    "Naive Bayes": ["naive-Bayes"],
    "Quadratic discriminant analysis": ["QDA"],
    "Reparameterisation trick": ["reparameterization trick"],
    "Variational autoencoder": ["VAE"],
    "Viterbi algorithm": ["Viterbi"],
    "Baum–Welch algorithm": ["Baum–Welch"],
    "Forward algorithm": ["forward recursion"],
    "Forward–backward algorithm": ["forward–backward"],
    "Cholesky factorisation": ["Cholesky factor", "Cholesky decomposition"],
    "Mixture discriminant analysis": ["mixture discriminant"],
    "Generative model": ["generative"],
    "Validation set": ["validation", "validation split"],
    "Discriminative model": ["discriminative"],
    "Uniform dequantization": ["dequantization", "dequantized"],
    "Autoregressive model": ["autoregressive"],
    "Importance-weighted bound": ["importance-weighted"],
    "Fréchet inception distance": ["FID", "digit FID"],
}

ENTRY = re.compile(r"^(\S.*)\n((?:[ \t]+.*\n?)+)", re.MULTILINE)
POINTER = re.compile(r"Introduced\s+in\s+\{ref\}`(chap-[\w-]+)`")
# An optional second pointer, for a term that a chapter only names before another treats it.
TREATED = re.compile(r"treated\s+in\s+\{ref\}`(chap-[\w-]+)`")


def glossary_entries() -> dict[str, str]:
    """Each glossary term mapped to its definition text."""
    text = GLOSSARY.read_text(encoding="utf-8")
    body = text.split("```{glossary}", 1)[1].split("\n```", 1)[0]
    return {
        m.group(1).strip(): m.group(2)
        for m in ENTRY.finditer(body)
        if not m.group(1).startswith(":")
    }


def glossary_pointers(pattern: re.Pattern[str] = POINTER) -> dict[str, str]:
    """Each glossary term that has a pointer (by default "Introduced in"), to its chapter."""
    pointers = {}
    for term, definition in glossary_entries().items():
        found = pattern.search(definition)
        if found:
            pointers[term] = found.group(1)
    return pointers


def chapters_in_toc_order() -> list[tuple[str, str]]:
    """(label, prose) for each chapter notebook, in table-of-contents order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files: list[str] = []

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part["chapters"])
    chapters = []
    for file in files:
        notebook = ROOT / f"{file}.ipynb"
        if not notebook.is_file():
            continue
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        prose = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        label = re.search(r"^\((chap-[\w-]+)\)=", prose, re.MULTILINE)
        assert label, f"{notebook} has no (chap-...)= label"
        chapters.append((label.group(1), prose))
    return chapters


def spellings(term: str) -> list[str]:
    words = [term, *ALIASES.get(term, [])]
    out = []
    for word in words:
        out += [word, word.replace("-", "–"), word.replace("–", "-"), word.replace("-", " ")]
        if word.endswith("y"):  # boundary -> boundaries
            out.append(word[:-1] + "ies")
    return sorted(set(out), key=len, reverse=True)


def term_pattern(term: str) -> re.Pattern[str]:
    """The term (or an alias) as a whole word, optionally plural, case-insensitive."""
    alternatives = "|".join(re.escape(s) for s in spellings(term))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?:s|es)?(?![\w])", re.IGNORECASE)


def first_chapter_using(term: str, chapters: list[tuple[str, str]]) -> str | None:
    pattern = term_pattern(term)
    for label, prose in chapters:
        if pattern.search(prose):
            return label
    return None


def test_the_search_finds_words_plurals_and_aliases_and_nothing_else() -> None:
    chapters = [("chap-a", "A Markov chain here."), ("chap-b", "Two validation sets and BIC.")]
    assert first_chapter_using("Markov chain", chapters) == "chap-a"
    assert first_chapter_using("Validation set", chapters) == "chap-b"  # plural, case
    assert first_chapter_using("Bayesian information criterion", chapters) == "chap-b"  # alias
    assert first_chapter_using("Chain", [("chap-c", "chains, unchained")]) == "chap-c"
    assert first_chapter_using("Chain", [("chap-c", "unchained; chainsaw")]) is None
    assert first_chapter_using("Epoch", [("chap-c", "an epochal change")]) is None


def test_the_glossary_has_pointers_and_the_book_has_chapters() -> None:
    pointers = glossary_pointers()
    labels = [label for label, _ in chapters_in_toc_order()]
    assert len(pointers) >= 50
    assert labels[:2] == ["chap-intro", "chap-naive-bayes"] and "chap-choosing" in labels
    assert set(pointers.values()) <= set(labels), set(pointers.values()) - set(labels)


@pytest.mark.parametrize("term", sorted(glossary_pointers()))
def test_introduced_in_points_to_the_first_chapter_that_uses_the_term(term: str) -> None:
    chapters = chapters_in_toc_order()
    named = glossary_pointers()[term]
    first = first_chapter_using(term, chapters)
    assert first is not None, f"glossary term {term!r} is used in no chapter's prose"
    assert named == first, (
        f"glossary term {term!r} says it is introduced in {named}, "
        f"but the first chapter whose prose uses it is {first}"
    )


@pytest.mark.parametrize("term", sorted(glossary_pointers(TREATED)))
def test_treated_in_points_to_a_later_chapter_that_uses_the_term(term: str) -> None:
    chapters = chapters_in_toc_order()
    labels = [label for label, _ in chapters]
    introduced, treated = glossary_pointers()[term], glossary_pointers(TREATED)[term]
    assert labels.index(treated) > labels.index(introduced), (
        f"glossary term {term!r}: treated in {treated}, not after its introduction ({introduced})"
    )
    prose = dict(chapters)[treated]
    assert term_pattern(term).search(prose), f"{treated} does not use glossary term {term!r}"
