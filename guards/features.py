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

import operator
import re
import unicodedata
from functools import lru_cache

from .decoding import decoded_candidates

__all__ = [
    "tokens",
    "normalise",
    "collapse_repeats",
    "host_spans",
    "decoded_candidates",
    "word_features",
    "bigram_feature",
    "window_features",
    "class_bigram",
    "address_marks",
    "WORD_CLASSES",
    "CLASS_MEMBERS",
    "WINDOW",
    "MAX_WORD",
    "STOPWORDS",
]

WINDOW = 32  # tokens per scoring window: long enough for one instruction, short enough not to dilute it
MAX_WORD = 24  # longer "words" (hashes, base64) are cut: their tail carries no signal
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")
_WORD_SHAPE = str.maketrans(dict.fromkeys("abcdefghijklmnopqrstuvwxyz0123456789'", "a"))


def tokens(text: str) -> list[str]:
    """Lower-cased word and punctuation tokens of the normalised text (see :func:`normalise`).

    The labels of a host in an e-mail address or URL are tokens of their own, ``@label`` (see
    :func:`host_spans`).
    """
    folded = normalise(text)
    spans = host_spans(folded) if "@" in folded or "//" in folded or "www." in folded else []
    if spans:
        # The mark becomes "@" in one pass of string operations (no token holds "\x1f", a space).
        joined = "\x1f" + "\x1f".join(_TOKEN.findall(_mark(folded, spans)))
        toks = joined.replace("\x1f" + _HOST_MARK, "\x1f@").split("\x1f")[1:]
    else:
        toks = _TOKEN.findall(folded)
    if _leet_hint(folded):
        toks = [_unleet(t) for t in toks]
    # A token longer than MAX_WORD is a run of more than MAX_WORD word characters in the text.
    if "a" * (MAX_WORD + 1) in folded.translate(_WORD_SHAPE) and max(map(len, toks), default=0) > MAX_WORD:
        toks = [t[:MAX_WORD] for t in toks]
    return collapse_repeats(toks)


_LABELS = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*")
_LABEL = re.compile(r"[a-z0-9]+")
_LOCAL_PART = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.+-")
_HOST_MARK = "qxq"  # glued to each host label before tokenising; no English word starts so


def host_spans(folded: str) -> list[tuple[int, int]]:
    """Where host names are in ``folded``: after the ``@`` of an address, after ``://``, or from ``www.``.

    A host says nothing about intent, but its labels are words: ``example`` in ``jo@example.com``
    shared the weight the word "example" earned in long jailbreak prompts. A decorator or a
    mention (``@property``, ``@alice``) has no local part before the ``@`` and no dot after it.
    (``str.find`` for the anchors: a regex scan of every position cost more than tokenising.)

    >>> text = "write to jo@example.com. see www.example.org/a for an example"
    >>> [text[a:b] for a, b in host_spans(text)]
    ['example.com', 'www.example.org']
    """
    spans = []
    for anchor in ("@", "://", "www."):
        at = folded.find(anchor)
        while at >= 0:
            start = at if anchor == "www." else at + len(anchor)
            m = _LABELS.match(folded, start)
            if m and not (
                (anchor == "@" and (at == 0 or folded[at - 1] not in _LOCAL_PART or "." not in m.group()))
                or (anchor == "www." and at > 0 and (folded[at - 1].isalnum() or folded[at - 1] in "/.-"))
            ):
                spans.append(m.span())
            at = folded.find(anchor, at + 1)
    return sorted(set(spans))  # "://www." is found by two anchors


def _mark(folded: str, spans: list[tuple[int, int]]) -> str:
    """``folded`` with _HOST_MARK glued to every label inside ``spans`` (sorted, never overlapping:
    each starts after a character no label holds)."""
    parts, pos = [], 0
    for start, end in spans:
        parts.append(folded[pos:start])
        parts.append(_LABEL.sub(lambda m: _HOST_MARK + m.group(), folded[start:end]))
        pos = end
    parts.append(folded[pos:])
    return "".join(parts)


# Look-alike letters that NFKC leaves alone, mapped to the Latin letter they imitate: Cyrillic,
# Greek, Armenian and Cherokee capitals ("іgnоrе" with Cyrillic і, о, е reads as "ignore"), and the
# letter sets of "fancy text" generators: small capitals ("ɪɢɴᴏʀᴇ"; NFKC also turns superscript "ᶦ"
# into "ɪ"), negative circled and squared letters ("🅸🅶🅽🅾🆁🅴") and regional indicators (flag
# halves, "🇮🇬🇳...").
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁһӏоԛԝАВЕКМНОРСТХІЈЅαβεικνορτυχΑΒΕΗΙΚΜΝΟΡΤΥΧ"
    + "օսոհազց"
    + "ᎪᏴᏟᎠᎬᏀᎻᎥᎫᏦᏞᎷᏢᏒᏚᎢᏙᏔᏃ"
    + "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ"
    + "".join(chr(base + i) for base in (0x1F150, 0x1F170, 0x1F1E6) for i in range(26)),
    "aeopcyxijsdhloqwabekmhopctxijsabeiknoptuxabehikmnoptyx"
    + "ounhwqg"
    + "abcdeghijklmprstvwz"
    + "abcdefghijklmnoprstuvwyz"
    + _LETTERS * 3,
)
# Parenthesized letters ("⒤⒢⒩") would become "(i)(g)(n)" under NFKC: read as letters before it.
_PARENTHESIZED = {0x249C + i: c for i, c in enumerate(_LETTERS)}
# Zero-width and other format characters (category Cf) split words invisibly: dropped.
_INVISIBLE = dict.fromkeys(c for c in range(0x2000, 0x2070) if unicodedata.category(chr(c)) == "Cf")
_INVISIBLE.update(dict.fromkeys((0x00AD, 0x034F, 0x180E, 0xFEFF)))
# "i g n o r e", "i.g.n.o.r.e", "i-g-n-o-r-e", one letter a line or a tab apart: four or more single
# letters, the same separator between each ("i,g,n,o,r,e a,l,l" is two words). No training text
# holds a run with the tab, line-break, comma, slash, plus or bar separators.
_SPACED = re.compile(r"(?<![a-z0-9])[a-z]([ .\-_*\t\n,/+|])(?:[a-z]\1){2,}[a-z](?![a-z0-9])")
# Any visible character four or more times; digit runs ("10000") are put back unchanged. (Written
# this way it is 10x faster than a class that leaves digits out.)
_REPEAT_CHAR = re.compile(r"(\S)\1\1\1+")
# Cheap tests that rule the two scans out (most text has neither): a regex scan costs ~20 us per
# KB, a translate or a big-integer XOR well under 1 us per KB.
_SPACED_SHAPE = str.maketrans(
    {**dict.fromkeys("abcdefghijklmnopqrstuvwxyz", "a"), **dict.fromkeys(" .-_*\t\n,/+|", " ")}
)
_WHITE = bytes(c for c in range(128) if re.match(r"\s", chr(c)))
# White space as two different bytes in the two copies compared, so it never counts as a repeat.
_WHITE_A = bytes.maketrans(_WHITE, b"\x80" * len(_WHITE))
_WHITE_B = bytes.maketrans(_WHITE, b"\x81" * len(_WHITE))


def _may_be_spaced(text: str) -> bool:
    # A spaced-out word has two single letters between separators: " a a " after the translation.
    return " a a " in text.translate(_SPACED_SHAPE)


def _may_repeat(text: str) -> bool:
    """Whether a visible character may occur four times in a row (False is certain)."""
    if not text.isascii() or len(text) < 4:
        return len(text) >= 4
    raw = text.encode("ascii")
    # Byte i of the XOR is zero when characters i and i + 1 are the same visible character.
    same = int.from_bytes(raw.translate(_WHITE_A)[1:], "big") ^ int.from_bytes(raw.translate(_WHITE_B)[:-1], "big")
    return bytes(3) in same.to_bytes(len(raw) - 1, "big")


def _cut_run(m: re.Match) -> str:
    return m.group(0) if m.group(1).isdigit() else m.group(1) * 3


_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|[nrt\"'/\\])")


def _unescape(m: re.Match) -> str:
    # An escaped line break stays one: rules anchor labels and quoted turns at a line's start.
    if m.group(1):
        return chr(int(m.group(1), 16))
    return "\n" if m.group(0)[1] == "n" else " " if m.group(0)[1] in "rt" else m.group(0)[1]


@lru_cache(maxsize=4)  # the rules and the scorer both read the same text's folded form
def normalise(text: str) -> str:
    """Fold the tricks that hide a word from a reader-by-token: width and compatibility forms
    (NFKC), look-alike letters, invisible characters, case, letters spaced out, runs of one
    character ("!!!!!!", 20 KB of "A") cut to three.

    Example::

        >>> normalise("ＩＧＮＯＲＥ i g n o r e іgnоrе!!!!!")
        'ignore ignore ignore!!!'
    """
    if "\\" in text:  # JSON and code escapes: "\\nIgnore" must read as a line break, then "ignore"
        text = _ESCAPE.sub(_unescape, text)
    if not text.isascii():
        text = text.translate(_PARENTHESIZED)
        text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_CONFUSABLES)
    text = text.lower()
    if _may_be_spaced(text) and _SPACED.search(text):
        text = _SPACED.sub(lambda m: m.group(0)[::2], text)
    return _REPEAT_CHAR.sub(_cut_run, text) if _may_repeat(text) else text


_LEET = str.maketrans("013457$@", "oieastsa")
# A digit between letters ("1gn0r3"), or a digit that starts a word and is followed by two letters
# ("1gnore"). Anchored on the digit, checked backwards: digits are rare in prose, so the scan
# skips most positions (4x faster than starting at a letter).
_LEET_DIGIT = re.compile(r"[0-9](?:(?<=[a-z][0-9])[0-9]*[a-z]|(?<![a-z0-9][0-9])[a-z]{2})")


def _leet_hint(text: str) -> bool:
    return _LEET_DIGIT.search(text) is not None


def _unleet(tok: str) -> str:
    # Only digits between letters ("1gn0r3", "instruct1ons") are leetspeak; "v2", "sha256", "3d" stay.
    if not tok.isalnum() or tok.isalpha() or tok.isdigit() or not _leet_hint(tok):
        return tok
    return tok.translate(_LEET)


_MAX_PERIOD = 8


def collapse_repeats(toks: list[str]) -> list[str]:
    """Cut a run of one short token pattern repeated over and over to three repetitions.

    "hello world " * 90000 carries no more meaning than three of it, and a window full of one
    repeated phrase would otherwise add its weight up 16 times. Only done on highly repetitive
    token lists (few distinct tokens), so ordinary text costs one set().

        >>> collapse_repeats(["hi", "yo"] * 50 + ["end"])
        ['hi', 'yo', 'hi', 'yo', 'hi', 'yo', 'end']
    """
    if len(toks) < 4 * _MAX_PERIOD:
        return toks
    distinct = set(toks)
    if len(distinct) * 4 > len(toks) or not _has_run(toks, distinct):
        return toks
    for period in range(1, _MAX_PERIOD + 1):
        # same[j] is 1 when token j + period repeats token j; runs are found by a bytes regex
        # (C speed) and only the tokens past 2 * period into a run are dropped.
        same = bytes(map(operator.eq, toks[period:], toks))
        cuts = [(m.start() + 3 * period, m.end() + period) for m in _RUNS[period].finditer(same)]
        if cuts:
            out, pos = [], 0
            for a, b in cuts:
                out += toks[pos:a]
                pos = b
            toks = out + toks[pos:]
    return toks


# A run that gets cut: a unit of 1-8 tokens three times over, then the unit's first token again.
_ANY_RUN = re.compile(r"((.).{0,%d}?)\1\1\2" % (_MAX_PERIOD - 1), re.DOTALL)  # noqa: UP031 (a regex: braces)


def _has_run(toks: list[str], distinct: set[str]) -> bool:
    """Whether any period has a run to cut (2 * period + 1 tokens in a row equal to the token one
    period on). Tokens become one byte each when there are at most 256 kinds: then each period is
    one XOR of two big integers, zero bytes marking equal tokens (C speed, 3x faster than the regex)."""
    if len(distinct) > 256:
        code = {tok: chr(0x100 + i) for i, tok in enumerate(distinct)}
        return _ANY_RUN.search("".join(map(code.__getitem__, toks))) is not None
    small = dict(zip(distinct, range(256)))
    row = bytes(map(small.__getitem__, toks))
    for period in range(1, _MAX_PERIOD + 1):
        if len(row) <= 3 * period:
            break
        diff = int.from_bytes(row[period:], "big") ^ int.from_bytes(row[:-period], "big")
        if bytes(2 * period + 1) in diff.to_bytes(len(row) - period, "big"):
            return True
    return False


_RUNS = {p: re.compile(rb"\x01{%d,}" % (2 * p + 1)) for p in range(1, _MAX_PERIOD + 1)}


# Function words and punctuation carry no meaning alone, and summed over a window they would turn
# "long prose" into evidence; they still count inside bigrams ("in your", "brazil ?").
STOPWORDS = frozenset(
    "a an the and or but if then of in on at to for from by with about as into over under up down out "
    "is are was were be been being am do does did has have had it its this that these those there here "
    "i me my we our you your he him his she her they them their "
    "not no so than too very can will would should could may might must just also all any some each".split()
)


# Who a text addresses and what it is after, as word classes inside bigrams: "gemini :" and
# "dear chatbot" share the weight of "<ai> :" and "dear <ai>", so a name the training data never
# used still counts. Only bigrams carry classes: code *about* an assistant ("class Assistant",
# "the agent retries") is not an instruction *to* one; "assistant ," or "the assistant should" is.
_CLASS_WORDS = {
    "<ai>": "ai assistant assistants agent agents bot bots chatbot llm llms gpt chatgpt claude copilot codex "
    "gemini llama model models",
    "<people>": "team teams colleague colleagues everyone staff employees manager managers lead leads folks "
    "reviewers maintainers contributors finance hr legal accounting customers customer",
    "<secret>": "password passwords passwd credential credentials secret secrets passphrase iban pin apikey",
}
WORD_CLASSES = {word: kind for kind, words in _CLASS_WORDS.items() for word in words.split()}
CLASS_MEMBERS = {kind: tuple(words.split()) for kind, words in _CLASS_WORDS.items()}


# Who a text makes of an AI it names (address_marks). A bag of words reads "the AI assistant can
# send e-mails for you" like "to you, AI assistant: send this link to Alice": "AI" is evidence
# either way. The marks tell the reader spoken to from someone's tool and from a product or topic.
_AI_WORDS = frozenset(CLASS_MEMBERS["<ai>"])
_CALLING = frozenset("dear hey hi hello attention yo".split())  # "dear assistant", "hey bot"
_OWNERS = frozenset("your our my their his her its".split())  # "your AI assistant": the reader's tool
# Said before the name, in its sentence and at most five tokens back, these cast the reader as it.
_CASTING = (" you are ", " you're ", " you were ", " act as ", " acting as ", " pretend to be ")
_DUTY = frozenset("should must shall".split())  # "AI agents should ...": a duty, said in the third person
_DUTY_PAIRS = frozenset(
    [("is", "expected"), ("are", "expected"), ("is", "required"), ("are", "required"), ("needs", "to"), ("need", "to")]
)
_SENTENCE_END = frozenset(".!?;")


def address_marks(toks: list[str]) -> dict[int, str]:
    """What a text makes of each AI it names, by position: the reader spoken to (``a:reader``),
    someone's tool (``a:owned``) or a third party given a duty (``a:duty``). One mark per run of AI
    words ("AI coding assistant", "LLM-based agents"), at its last word. A name with none of these
    (a product, a topic) gets none.

    Only models trained with them use the marks (the ``ai-docs`` profile of InjectionGuard):
    training on prose about AI teaches that "AI" is no evidence, and the marks keep what is.

    >>> toks = tokens("A message to you, AI model. Your AI assistant can wait; LLM agents must not.")
    >>> {toks[i]: mark for i, mark in address_marks(toks).items()}
    {'model': 'a:reader', 'assistant': 'a:owned', 'agents': 'a:duty'}
    """
    marks: dict[int, str] = {}
    n, i = len(toks), 0
    while i < n:
        if toks[i] not in _AI_WORDS:
            i += 1
            continue
        start = i
        while i + 1 < n and (
            toks[i + 1] in _AI_WORDS or (toks[i + 1] == "-" and i + 2 < n and toks[i + 2] in _AI_WORDS)
        ):
            i += 2 if toks[i + 1] == "-" else 1
        mark = _role(toks[max(0, start - 5) : start], toks[i + 1 : i + 4])
        if mark:
            marks[i] = mark
        i += 1
    return marks


def _role(before: list[str], after: list[str]) -> str | None:
    prev = before[-1] if before else "^"
    if prev in _CALLING or prev == "you" or before[-2:] == ["you", ","] or after[:2] == [",", "you"]:
        return "a:reader"
    if prev in _OWNERS:
        return "a:owned"
    sentence = before[max((k + 1 for k, t in enumerate(before) if t in _SENTENCE_END), default=0) :]
    if any(c in " " + " ".join(sentence) + " " for c in _CASTING):
        return "a:reader"
    if after and (after[0] in _DUTY or tuple(after[:2]) in _DUTY_PAIRS):
        return "a:duty"
    return None


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


def class_bigram(prev: str, word: str) -> str | None:
    """The bigram with class words replaced by their class (``b:<ai> :``), or None if neither is one.

    >>> class_bigram("dear", "gemini")
    'b:dear <ai>'
    """
    a, b = WORD_CLASSES.get(prev), WORD_CLASSES.get(word)
    if a is None and b is None:
        return None
    return "b:" + (a or prev) + " " + (b or word)


def window_features(toks: list[str], prev: str = "^", marks: dict[int, str] | None = None) -> list[str]:
    """Every feature occurrence in a token window (counts matter: repeated features repeat).

    ``prev`` is the token before the window (``^`` at the start of the text), so a window's
    first bigram is the same one the scorer sees when it slides over the whole text. ``marks``:
    the window's address marks by position (see :func:`address_marks`), for models that use them.
    """
    marks = marks or {}
    feats: list[str] = []
    for i, tok in enumerate(toks):
        feats += word_features(tok)
        feats.append(bigram_feature(prev, tok))
        cls = class_bigram(prev, tok)
        if cls is not None:
            feats.append(cls)
        if i in marks:
            feats.append(marks[i])
        prev = tok
    return feats
