"""Text -> tokens -> n-gram features for the offline injection classifier (pure Python).

Training (corral.guards.training.train) and inference (corral.guards.injection) share these functions, so
the features a weight was learned for are exactly the features looked up at run time.

A token is a lower-cased word (letters/digits, an apostrophe suffix kept) or a single punctuation
character. Features of token ``i``: the word itself (``w:ignore``), the bigram ending at it
(``b:previous instructions``) and the character 4-grams of the padded word (``c:<ign``), which
carry over to misspellings and leetspeak.

Example::

    >>> tokens("Ignore ALL previous instructions!")
    ['ignore', 'all', 'previous', 'instructions', '!']
    >>> word_features("never")
    ['w:never', 'c:<nev', 'c:neve', 'c:ever', 'c:ver>']
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["tokens", "word_features", "bigram_feature", "window_features", "WINDOW", "MAX_WORD", "STOPWORDS"]

WINDOW = 32  # tokens per scoring window: long enough for one instruction, short enough not to dilute it
MAX_WORD = 24  # longer "words" (hashes, base64) are cut: their tail carries no signal
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")


def tokens(text: str) -> list[str]:
    """Lower-cased word and punctuation tokens (NFKC-normalised so full-width tricks fold)."""
    # ASCII is already NFKC-normal, and most text is ASCII: skip the normalisation pass.
    folded = text.lower() if text.isascii() else unicodedata.normalize("NFKC", text).lower()
    toks = _TOKEN.findall(folded)
    if max(map(len, toks), default=0) > MAX_WORD:
        return [t[:MAX_WORD] for t in toks]
    return toks


# Function words and punctuation carry no meaning alone, and summed over a window they would turn
# "long prose" into evidence; they still count inside bigrams ("in your", "brazil ?").
STOPWORDS = frozenset(
    "a an the and or but if then of in on at to for from by with about as into over under up down out "
    "is are was were be been being am do does did has have had it its this that these those there here "
    "i me my we our you your he him his she her they them their "
    "not no so than too very can will would should could may might must just also all any some each".split()
)


def word_features(word: str) -> list[str]:
    """The word's own feature and its character 4-grams (words of 3+ letters only).

    Stop words and single punctuation marks other than ``?`` have none (see STOPWORDS); question
    words and ``?`` keep theirs: a question addressed to the assistant inside a document is
    BIPIA's task-irrelevant attack.
    """
    if word in STOPWORDS or (len(word) == 1 and not word.isalnum() and word != "?"):
        return []
    feats = ["w:" + word]
    if len(word) >= 3 and word[0].isalnum():
        padded = "<" + word + ">"
        feats += ["c:" + padded[i : i + 4] for i in range(len(padded) - 3)]
    return feats


def bigram_feature(prev: str, word: str) -> str:
    return "b:" + prev + " " + word


def window_features(toks: list[str], prev: str = "^") -> list[str]:
    """Every feature occurrence in a token window (counts matter: repeated features repeat).

    ``prev`` is the token before the window (``^`` at the start of the text), so a window's
    first bigram is the same one the scorer sees when it slides over the whole text.
    """
    feats: list[str] = []
    for tok in toks:
        feats += word_features(tok)
        feats.append(bigram_feature(prev, tok))
        prev = tok
    return feats
