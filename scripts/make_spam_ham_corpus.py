"""Regenerate genlab/data/spam_ham.tsv, the course's small spam/ham corpus.

The messages were written for this project: hand-written sentence templates whose slots
are filled from hand-written word lists, with a fixed seed. No message comes from a real
person or a public corpus. Ham (ordinary messages) deliberately uses words that are
common in spam ("free", "call", "win", "today") and some spam is written plainly, so
that the classes overlap as real ones do.

Usage: python scripts/make_spam_ham_corpus.py   (writes the file; it is committed)
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from genlab.text import tokenize  # noqa: E402  (the repository's genlab, not an installed one)

OUT = ROOT / "genlab" / "data" / "spam_ham.tsv"
#: Messages this similar (token Jaccard) count as near-copies: they never straddle the split.
NEAR_COPY = 0.5
#: Share of each class's messages held out for testing (whole template groups, so about).
TEST_SHARE = 0.3

SLOTS = {
    "name": [
        "Anna",
        "Ben",
        "Chloe",
        "Dan",
        "Eva",
        "Finn",
        "Grace",
        "Hugo",
        "Isla",
        "Jon",
        "Kate",
        "Leo",
        "Maya",
        "Nick",
        "Olga",
        "Pete",
        "Rosa",
        "Sam",
        "Tom",
        "Zoe",
    ],
    "day": [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "tomorrow",
        "tonight",
        "later today",
        "this weekend",
        "next week",
    ],
    "time": ["7", "8", "half 6", "noon", "6pm", "10am", "lunchtime", "8.30"],
    "place": [
        "the cafe",
        "the station",
        "the gym",
        "the library",
        "my place",
        "the park",
        "the office",
        "the pub",
        "the cinema",
        "the market",
        "school",
        "the shop",
    ],
    "food": ["pizza", "curry", "pasta", "soup", "tacos", "sushi", "a sandwich", "cake"],
    "thing": ["charger", "keys", "umbrella", "notes", "jacket", "book", "laptop", "wallet"],
    "prize": [
        "a brand new phone",
        "a cash prize",
        "a luxury holiday",
        "a gift card",
        "a tablet",
        "free tickets",
        "a shopping voucher",
        "a new car",
    ],
    "amount": ["100", "250", "500", "1000", "2000", "5000"],
    "code": ["WIN", "PRIZE", "GO", "CLAIM", "YES", "STOP", "BONUS", "FREE"],
    "number": ["80082", "61610", "87121", "85069", "83355", "69669", "87575"],
    "product": [
        "loans",
        "ringtones",
        "weight loss pills",
        "crypto signals",
        "dating",
        "insurance",
        "a credit card",
        "phone upgrades",
    ],
    "feeling": ["tired", "happy", "stressed", "excited", "bored", "hungry", "sleepy"],
}

HAM = [
    "Are you free {day}? Thinking of {food} at {place}",
    "Running late, see you at {place} around {time}",
    "Can you call me when you get this? Nothing urgent",
    "Did you leave your {thing} at {place}? I think I saw it",
    "Thanks for {day}, it was really good to see you",
    "Mum says dinner is {food} {day}, are you coming?",
    "I'm at {place} now, where are you?",
    "We won the match!! {name} scored twice",
    "Happy birthday {name}! Have a lovely day",
    "Can you pick up some milk on the way home",
    "Feeling {feeling} today, might skip {place}",
    "Ok see you {day} then. Text me when you leave",
    "Did you finish the assignment? I'm stuck on question 3",
    "{name} is having a party {day}, want to go together?",
    "Sorry I missed your call, was at {place}. Call you back {day}",
    "The meeting moved to {time} {day}, same room",
    "Lol that was so funny. {name} still hasn't stopped laughing",
    "Got the tickets for {day}, cost me {amount} but worth it",
    "Just got home, so {feeling}. Talk {day}?",
    "Don't forget your {thing}, you left it here again",
    "Can I borrow your {thing} {day}? Mine is broken",
    "Train delayed again. Be there by {time} hopefully",
    "Let me know if you want {food} {day}, my treat",
    "Good luck with the exam {day}! You'll be fine",
    "Is {name} coming {day} or not?",
    "Free now if you want to talk",
    "Where did you park? I'm outside {place}",
    "Remember we need to pay the rent {day}",
    "I'll call you after work, around {time}",
    "Shall we try the new {food} place near {place}?",
    "Haha no way. Did {name} really say that?",
    "Please text me the address of {place}",
    "Can't make it {day}, sorry. Another time?",
    "Your parcel came, I left it by the door",
    "Great news, I got the job! Celebrate {day}?",
    "What time does {place} close {day}?",
    "Watching the game at {place} {day}, join us",
    "Miss you. Call me when you're free",
    "Doctor said it's nothing serious, just need rest",
    "Bus was full so I walked. So {feeling} now",
    "Bring your {thing}, it's going to rain {day}",
    "Who won the prize draw at school in the end?",
]

SPAM = [
    "WINNER!! You have been selected to receive {prize}. Call {number} now to claim",
    "Congratulations! You won {prize}. Text {code} to {number} to claim your reward",
    "URGENT: your account will be suspended. Verify now at our secure link",
    "FREE entry to win {prize}! Text {code} to {number}. T&Cs apply",
    "You have won a guaranteed cash award of {amount} pounds. Call {number} today",
    "Get cheap {product} now! Reply {code} for a free quote",
    "Last chance! Claim your free {prize} before midnight. Text {code} to {number}",
    "Your mobile number has won {amount} pounds in our weekly draw. Call {number}",
    "Hot singles in your area want to meet you. Text {code} to {number}",
    "Exclusive offer: {product} at 50% off. Reply {code} now",
    "You are a winner! To claim {prize} call {number}. Only 10p per minute",
    "Final notice: you have an unclaimed reward of {amount} pounds. Call {number}",
    "Dear customer, you are due a refund. Reply {code} with your bank details",
    "Win {prize} this week! Just text {code} to {number}. Free to enter",
    "Cash loans in minutes, no credit check. Text {code} to {number}",
    "Your free ringtone is waiting. Reply {code} to get it now",
    "Congratulations, you have been chosen for {prize}. Claim today, offer ends soon",
    "Limited time only: earn {amount} a week from home. Text {code} to {number}",
    "Important: a delivery is waiting for you. Pay the small fee to release it",
    "You have 1 new voicemail. Call {number} to listen now",
    "Stop paying too much for {product}! Reply {code} for free advice",
    "Our records show you are owed {amount} pounds compensation. Call {number} free",
    "Bonus! Double your money with {product}. Text {code} to {number} today",
    "Claim your {prize} now. Text {code} to {number}. Cost 150p per message",
    "Hi, I saw your profile and want to chat. Text me on {number}",
    "We tried to contact you about your prize. Call {number} before it expires",
    "Get {prize} for free, just complete a short survey. Reply {code}",
    "Your subscription has been renewed for {amount} pounds. To cancel call {number}",
    "Free msg: you have been selected for a {amount} pound bonus. Reply {code}",
    "Cheap {product} delivered today. Order now and get a free gift",
    "Urgent! Please call {number} regarding your {prize} delivery",
    "Meet new people tonight! Text {code} to {number}, first week free",
]


def fill(template: str, rng: random.Random) -> str:
    return template.format(**{k: rng.choice(v) for k, v in SLOTS.items()})


def jaccard(a: str, b: str) -> float:
    """Token Jaccard similarity |A & B| / |A | B| of two messages' sets of tokens."""
    ta, tb = set(tokenize(a)), set(tokenize(b))
    return len(ta & tb) / len(ta | tb)


def template_groups(messages: dict[str, str], threshold: float = NEAR_COPY) -> dict[str, str]:
    """Merge templates that produce near-copies of each other into one group.

    Two templates go into the same group if any message of one has a token Jaccard
    similarity of at least ``threshold`` with any message of the other (union-find over
    all pairs); a group is named after its first template. Splitting by group then
    guarantees that no held-out message is a near-copy of a training message.
    """
    parent = {t: t for t in sorted(set(messages.values()))}

    def root(t: str) -> str:
        while parent[t] != t:
            t = parent[t]
        return t

    items = sorted(messages.items())
    for i, (a, ta) in enumerate(items):
        for b, tb in items[i + 1 :]:
            if root(ta) != root(tb) and jaccard(a, b) >= threshold:
                first, second = sorted((root(ta), root(tb)))
                parent[second] = first
    return {t: root(t) for t in parent}


def split_by_group(
    messages: dict[str, str], groups: dict[str, str], rng: random.Random
) -> dict[str, str]:
    """ "train" or "test" for every message: whole groups are held out, about 30 %."""
    by_group: dict[str, list[str]] = {}
    for message, template in sorted(messages.items()):
        by_group.setdefault(groups[template], []).append(message)
    order = sorted(by_group)
    rng.shuffle(order)
    split, held_out = {}, 0
    for group in order:
        side = "test" if held_out < TEST_SHARE * len(messages) else "train"
        held_out += len(by_group[group]) if side == "test" else 0
        split.update((m, side) for m in by_group[group])
    return split


def main(n_ham: int = 250, n_spam: int = 150, seed: int = 2026) -> None:
    rng = random.Random(seed)
    split_rng = random.Random(seed + 1)  # its own stream: the messages stay as they were
    rows: dict[tuple[str, str], tuple[str, str]] = {}
    for label, templates, n in (("ham", HAM, n_ham), ("spam", SPAM, n_spam)):
        messages: dict[str, str] = {}  # message -> the template that produced it
        while len(messages) < n:
            t = rng.randrange(len(templates))
            messages.setdefault(fill(templates[t], rng), f"{label}{t:02d}")
        groups = template_groups(messages)
        split = split_by_group(messages, groups, split_rng)
        rows.update(((label, m), (groups[t], split[m])) for m, t in messages.items())
    ordered = sorted(rows)
    rng.shuffle(ordered)
    header = (
        "# genlab spam/ham corpus: short messages written for this course (template-based,\n"
        "# seed 2026; see scripts/make_spam_ham_corpus.py). No real person's messages.\n"
        "# Licence: CC0 1.0 (public domain dedication).\n"
        "# Columns: label<TAB>group<TAB>split<TAB>text. group: the template (or the templates\n"
        "# merged because they produce near-copies) that generated the message; split: train or\n"
        "# test, whole groups held out, so no test message is a near-copy of a training one.\n"
    )
    body = "".join(
        f"{label}\t{rows[label, text][0]}\t{rows[label, text][1]}\t{text}\n"
        for label, text in ordered
    )
    OUT.write_text(header + body, encoding="utf-8")
    print(f"wrote {len(ordered)} messages to {OUT}")


if __name__ == "__main__":
    main()
