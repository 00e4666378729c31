"""Regenerate genlab/data/tagged_sentences.tsv, the course's small part-of-speech corpus.

Every sentence is generated, with a fixed seed, from a small English grammar written for
this project; every word carries its tag from the Universal part-of-speech tagset of
Petrov, Das and McDonald (2012): NOUN, VERB, ADJ, ADV, PRON, DET, ADP, NUM, CONJ, PRT,
"." (punctuation) and X (other: here, foreign words). No sentence comes from a real text
or a public corpus. Licence: MIT, as the rest of the project (see LICENSE).

The grammar is small but not trivial for a tagger:

* many words have two tags, and only the context tells which: "book", "watch", "train",
  "fish", "plant", "light" and their "-s" forms are nouns or verbs; "that" and "her" are
  determiners or pronouns; "to" is a preposition ("to the park", ADP) or the infinitive
  marker ("to read", PRT); "fast", "early" and "hard" are adjectives or adverbs;
* words are lower case (only "I" is capitalised), so that "The" and "the" are one word;
* the open classes (nouns, verbs, adjectives) have a long tail of rare words drawn with
  Zipf-like weights, so the test sentences contain words never seen in training.

Usage: python scripts/make_tagged_corpus.py   (writes the file; it is committed)
"""

from __future__ import annotations

import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "genlab" / "data" / "tagged_sentences.tsv"
SEED = 2026
#: Distinct sentences to generate, and how many of them (a random choice) are for testing.
N_SENTENCES = 500
N_TEST = 150

# Nouns: (singular, plural). The first ones are common, the tail is rare.
NOUNS = [
    ("dog", "dogs"),
    ("cat", "cats"),
    ("child", "children"),
    ("teacher", "teachers"),
    ("book", "books"),
    ("letter", "letters"),
    ("garden", "gardens"),
    ("house", "houses"),
    ("train", "trains"),
    ("watch", "watches"),
    ("fish", "fish"),
    ("plant", "plants"),
    ("light", "lights"),
    ("park", "parks"),
    ("river", "rivers"),
    ("city", "cities"),
    ("ball", "balls"),
    ("song", "songs"),
    ("farmer", "farmers"),
    ("apple", "apples"),
    ("window", "windows"),
    ("market", "markets"),
    ("bird", "birds"),
    ("road", "roads"),
    ("doctor", "doctors"),
    ("boat", "boats"),
    ("lamp", "lamps"),
    ("kettle", "kettles"),
    ("violin", "violins"),
    ("meadow", "meadows"),
    ("lantern", "lanterns"),
    ("harbour", "harbours"),
    ("pebble", "pebbles"),
    ("tortoise", "tortoises"),
    ("blanket", "blankets"),
    ("compass", "compasses"),
    ("orchard", "orchards"),
    ("pilgrim", "pilgrims"),
    ("walnut", "walnuts"),
    ("glacier", "glaciers"),
    ("sparrow", "sparrows"),
    ("chimney", "chimneys"),
    ("ferret", "ferrets"),
    ("quarry", "quarries"),
    ("saddle", "saddles"),
    ("thimble", "thimbles"),
    ("canyon", "canyons"),
    ("parcel", "parcels"),
    ("beetle", "beetles"),
    ("turnip", "turnips"),
]
# Transitive verbs: (base, third person singular). Those also in NOUNS are ambiguous.
VERBS_T = [
    ("see", "sees"),
    ("like", "likes"),
    ("read", "reads"),
    ("find", "finds"),
    ("open", "opens"),
    ("watch", "watches"),
    ("book", "books"),
    ("train", "trains"),
    ("plant", "plants"),
    ("light", "lights"),
    ("carry", "carries"),
    ("paint", "paints"),
    ("fish", "fishes"),
    ("build", "builds"),
    ("visit", "visits"),
    ("answer", "answers"),
    ("polish", "polishes"),
    ("borrow", "borrows"),
    ("sketch", "sketches"),
    ("mend", "mends"),
    ("gather", "gathers"),
    ("admire", "admires"),
    ("inspect", "inspects"),
    ("scatter", "scatters"),
    ("weigh", "weighs"),
]
VERBS_I = [
    ("sleep", "sleeps"),
    ("run", "runs"),
    ("sing", "sings"),
    ("wait", "waits"),
    ("laugh", "laughs"),
    ("work", "works"),
    ("fish", "fishes"),
    ("swim", "swims"),
    ("wander", "wanders"),
    ("shiver", "shivers"),
    ("giggle", "giggles"),
    ("yawn", "yawns"),
]
ADJECTIVES = [
    "old",
    "small",
    "green",
    "happy",
    "quiet",
    "light",
    "fast",
    "early",
    "hard",
    "red",
    "tall",
    "bright",
    "young",
    "cold",
    "gentle",
    "muddy",
    "crooked",
    "velvet",
    "hollow",
    "brisk",
    "drowsy",
    "amber",
    "rusty",
    "nimble",
]
ADVERBS_MANNER = ["quickly", "slowly", "quietly", "fast", "early", "hard", "well", "gladly"]
ADVERBS_TIME = ["often", "never", "always", "sometimes", "today"]
SUBJECT_PRONOUNS = [
    ("I", False),
    ("you", False),
    ("we", False),
    ("they", False),
    ("she", True),
    ("he", True),
    ("it", True),
]
OBJECT_PRONOUNS = ["her", "him", "them", "it", "me", "us", "that"]
DETERMINERS_SG = ["the", "a", "this", "that", "every", "her", "his", "my", "their"]
DETERMINERS_PL = ["the", "some", "these", "her", "his", "my", "their"]
PREPOSITIONS = ["in", "on", "near", "with", "under", "to", "behind", "from"]
NUMBERS = ["two", "three", "five", "ten"]
MODALS = ["can", "will", "must"]
FOREIGN = [("bon", "voyage"), ("et", "cetera"), ("per", "se")]


def zipf(rng: random.Random, items: list, s: float = 1.1):  # type: ignore[type-arg]
    """One item, the k-th (from 1) with probability proportional to 1 / k**s."""
    weights = [1 / (k + 1) ** s for k in range(len(items))]
    return rng.choices(items, weights)[0]


def noun_phrase(rng: random.Random, depth: int = 0) -> tuple[list[tuple[str, str]], bool]:
    """Tokens of a noun phrase, and whether it is third person singular."""
    r = rng.random()
    if r < 0.12:
        return [(rng.choice(OBJECT_PRONOUNS[:5]), "PRON")], True
    singular = r < 0.62
    tokens: list[tuple[str, str]] = []
    if singular:
        tokens.append((rng.choice(DETERMINERS_SG), "DET"))
    elif r < 0.75:
        tokens.append((rng.choice(NUMBERS), "NUM"))
    else:
        tokens.append((rng.choice(DETERMINERS_PL), "DET"))
    if rng.random() < 0.45:
        if rng.random() < 0.15:
            tokens.append(("very", "ADV"))
        tokens.append((zipf(rng, ADJECTIVES), "ADJ"))
    sg, pl = zipf(rng, NOUNS)
    tokens.append((sg if singular else pl, "NOUN"))
    if depth == 0 and rng.random() < 0.2:
        tokens += prepositional_phrase(rng, depth + 1)
    return tokens, singular


def prepositional_phrase(rng: random.Random, depth: int = 1) -> list[tuple[str, str]]:
    np_tokens, _ = noun_phrase(rng, depth)
    return [(rng.choice(PREPOSITIONS), "ADP"), *np_tokens]


def subject(rng: random.Random) -> tuple[list[tuple[str, str]], bool]:
    if rng.random() < 0.35:
        word, third = rng.choice(SUBJECT_PRONOUNS)
        return [(word, "PRON")], third
    tokens, singular = noun_phrase(rng, 1)
    if tokens[0][1] == "PRON":  # an object pronoun cannot be a subject: use a name-less NP
        return [("the", "DET"), (zipf(rng, NOUNS)[0], "NOUN")], True
    return tokens, singular


def object_(rng: random.Random) -> list[tuple[str, str]]:
    if rng.random() < 0.15:
        return [(rng.choice(OBJECT_PRONOUNS), "PRON")]
    return noun_phrase(rng)[0]


def verb_phrase(rng: random.Random, third: bool) -> list[tuple[str, str]]:
    r = rng.random()
    tokens: list[tuple[str, str]] = []
    if rng.random() < 0.15:
        tokens.append((rng.choice(ADVERBS_TIME), "ADV"))
    if r < 0.15:  # modal + base form ("can read the book")
        tokens.append((rng.choice(MODALS), "VERB"))
        if rng.random() < 0.3:
            tokens.append(("not", "PRT"))
        base, _ = zipf(rng, VERBS_T)
        return [*tokens, (base, "VERB"), *object_(rng)]
    if r < 0.3:  # "likes to read the book": to is the infinitive marker
        tokens.append(("likes" if third else "like", "VERB"))
        tokens.append(("to", "PRT"))
        base, _ = zipf(rng, VERBS_T)
        return [*tokens, (base, "VERB"), *object_(rng)]
    if r < 0.4:  # a phrasal verb: "picks up the ball"
        tokens.append(("picks" if third else "pick", "VERB"))
        tokens.append(("up", "PRT"))
        return tokens + object_(rng)
    if r < 0.65:  # intransitive, with an adverb or a place
        base, s3 = zipf(rng, VERBS_I)
        tokens.append((s3 if third else base, "VERB"))
        if rng.random() < 0.4:
            tokens.append((rng.choice(ADVERBS_MANNER), "ADV"))
        if rng.random() < 0.5:
            tokens += prepositional_phrase(rng)
        return tokens
    base, s3 = zipf(rng, VERBS_T)
    tokens.append((s3 if third else base, "VERB"))
    tokens += object_(rng)
    if rng.random() < 0.25:
        tokens.append((rng.choice(ADVERBS_MANNER), "ADV"))
    return tokens


def sentence(rng: random.Random) -> list[tuple[str, str]]:
    if rng.random() < 0.04:  # a foreign phrase (tag X)
        first, second = rng.choice(FOREIGN)
        subj, third = subject(rng)
        return [
            *subj,
            ("says" if third else "say", "VERB"),
            (first, "X"),
            (second, "X"),
            (".", "."),
        ]
    subj, third = subject(rng)
    tokens = [*subj, *verb_phrase(rng, third)]
    if rng.random() < 0.2:
        second, third2 = subject(rng)
        conj = rng.choice(["and", "but", "or"])
        tokens += [(",", "."), (conj, "CONJ"), *second, *verb_phrase(rng, third2)]
    for i in range(len(tokens) - 1):  # "a old dog" -> "an old dog"
        if tokens[i][0] == "a" and tokens[i + 1][0][0] in "aeiou":
            tokens[i] = ("an", "DET")
    return [*tokens, (rng.choice([".", ".", ".", "!"]), ".")]


def main() -> None:
    rng = random.Random(SEED)
    sentences: list[list[tuple[str, str]]] = []
    seen: set[str] = set()
    while len(sentences) < N_SENTENCES:
        s = sentence(rng)
        text = " ".join(word for word, _ in s)
        if text not in seen:  # distinct sentences: none is in both train and test
            seen.add(text)
            sentences.append(s)
    test = set(rng.sample(range(N_SENTENCES), N_TEST))
    lines = [
        "# genlab tagged corpus: English sentences generated for this course from a small",
        "# grammar (seed 2026; see scripts/make_tagged_corpus.py). No real text. Tags: the",
        "# Universal part-of-speech tagset (Petrov, Das and McDonald, 2012).",
        "# Licence: MIT, as the genlab project (see LICENSE).",
        "# Columns: split<TAB>tokens, each token word/TAG, separated by spaces.",
    ]
    for i, s in enumerate(sentences):
        split = "test" if i in test else "train"
        lines.append(split + "\t" + " ".join(f"{w}/{t}" for w, t in s))
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
