"""The errata appendix: every entry has one severity, and the lists by severity agree with it.

Each entry of ``book/errata/errata.md`` (``**L1**``, ``**T24**``, ...) carries an anchor
``(erratum-l1)=`` and exactly one severity badge on its heading line; the three anchored lists
"by severity" must link every entry once, under the severity of its badge, with the count in
the list's heading.
"""

from __future__ import annotations

import re
from pathlib import Path

ERRATA = Path(__file__).resolve().parents[1] / "book" / "errata" / "errata.md"
BADGES = {
    "result": "{bdg-danger}`changes a result`",
    "digit": "{bdg-warning}`changes a last digit`",
    "wording": "{bdg-info}`wording`",
}
HEADINGS = {"result": "Changes a result", "digit": "Changes a last digit", "wording": "Wording"}


def entries(text: str) -> dict[str, str]:
    """Each entry's key (L1, T3, ...) mapped to its severity, read from its badge."""
    found: dict[str, str] = {}
    for match in re.finditer(r"^\(erratum-([lt]\d+)\)=\n\*\*([LT]\d+)\*\* · (.*)$", text, re.M):
        anchor, key, heading = match.groups()
        assert anchor == key.lower(), f"{key} has the anchor erratum-{anchor}"
        severities = [s for s, badge in BADGES.items() if badge in heading]
        assert len(severities) == 1, f"{key} has {len(severities)} severity badges: {heading}"
        assert key not in found, f"{key} appears twice"
        found[key] = severities[0]
    return found


def severity_lists(text: str) -> dict[str, list[str]]:
    lists = {}
    for severity, title in HEADINGS.items():
        match = re.search(
            rf"^\(errata-severity-{severity}\)=\n### {title} \((\d+) entries\)\n\n(.*)$",
            text,
            re.M,
        )
        assert match, f"no anchored list for {title!r}"
        keys = re.findall(r"\{ref\}`([LT]\d+) <erratum-([lt]\d+)>`", match.group(2))
        assert all(key.lower() == anchor for key, anchor in keys), keys
        assert int(match.group(1)) == len(keys), f"{title}: count {match.group(1)} != {len(keys)}"
        lists[severity] = [key for key, _ in keys]
    return lists


def test_every_entry_has_an_anchor_and_one_severity() -> None:
    text = ERRATA.read_text(encoding="utf-8")
    found = entries(text)
    plain = set(re.findall(r"^\*\*([LT]\d+)\*\* · ", text, re.M))
    assert plain == set(found), f"entries without anchor or badge: {plain - set(found)}"
    # The page's own count: "52 errata in the paper and 24 in the notes".
    counted = re.search(r"(\d+) errata in the paper and (\d+) in the notes", text)
    assert counted
    assert sum(k.startswith("L") for k in found) == int(counted.group(1))
    assert sum(k.startswith("T") for k in found) == int(counted.group(2))


def mismatches(text: str) -> list[str]:
    """What is wrong with the lists by severity (empty when they agree with the badges)."""
    found = entries(text)
    lists = severity_lists(text)
    problems = []
    linked = [key for keys in lists.values() for key in keys]
    if sorted(linked) != sorted(found):
        problems.append("an entry is missing from, or repeated in, the lists")
    order = list(found)
    for severity, keys in lists.items():
        wrong = [key for key in keys if found.get(key) != severity]
        if wrong:
            problems.append(f"listed under {severity!r} but badged otherwise: {wrong}")
        if keys != sorted(keys, key=lambda k: order.index(k) if k in order else -1):
            problems.append(f"{severity}: not in page order")
    return problems


def test_the_lists_by_severity_link_every_entry_once_under_its_badge() -> None:
    problems = mismatches(ERRATA.read_text(encoding="utf-8"))
    assert not problems, "\n".join(problems)


def test_the_checks_catch_a_changed_badge_and_a_missing_link() -> None:
    text = ERRATA.read_text(encoding="utf-8")
    heading = "**L1** · Eq. 7, used in Eq. 14 and the class-1 product · "
    flipped = text.replace(heading + BADGES["result"], heading + BADGES["wording"])
    assert flipped != text
    assert any("badged otherwise: ['L1']" in p for p in mismatches(flipped))
    dropped = text.replace("{ref}`L1 <erratum-l1>`, ", "", 1)
    assert dropped != text
    try:
        problems = mismatches(dropped)
    except AssertionError:  # the count in the heading no longer matches: also caught
        problems = ["count"]
    assert problems
