"""The override rule in Spanish, German, French, Italian, Portuguese and Dutch.

"Ignora todas las instrucciones anteriores", "Ignoriere alle vorherigen Anweisungen", "oubliez tout
ce qui précède": public injection sets carry these, and nothing else in the guard reads them (the
classifier learned English). Written from the languages, not from any data set.

As in English, a verb alone or a noun alone is ordinary text ("ignora las reglas de ortografía"):
a match needs the verb, an instruction noun and a word that points at the model's earlier
instructions ("anteriores", "alle", "tus"), or a "forget everything before" form. Text reaches the
patterns lower-cased and NFKC-folded, with its accents; each accented letter is matched with and
without its accent, since attackers and keyboards drop them.
"""

from __future__ import annotations

import re

from .patterns import GAP, FirstMatch, skip

__all__ = ["OVERRIDE", "OVERRIDE_NEEDS", "FORGET_ALL", "FORGET_ALL_NEEDS", "Rule"]

_ACCENTS = {"á": "[aá]", "à": "[aà]", "â": "[aâ]", "ã": "[aã]", "ç": "[cç]", "é": "[eé]", "è": "[eè]", "ê": "[eê]",
            "í": "[ií]", "ó": "[oó]", "ô": "[oô]", "õ": "[oõ]", "ú": "[uú]", "ü": "(?:ü|ue|u)", "ö": "(?:ö|oe|o)",
            "ä": "(?:ä|ae|a)", "ß": "(?:ß|ss)"}  # fmt: skip


def _letter(c: str) -> str:
    if c == " ":
        return GAP
    if c == "'":
        return "['’ ]?"  # "qu'on", "qu’on", "qu on"
    return _ACCENTS.get(c, re.escape(c))


def _alt(*words: str) -> str:
    return "(?:" + "|".join("".join(map(_letter, w)) for w in words) + ")"


_VERB_WORDS = (
    # es
    "ignora", "ignore", "ignoren", "ignorar", "olvida", "olvide", "olviden", "olvidar", "descarta", "descarte",
    "omite", "omita", "haz caso omiso de", "haz caso omiso a", "no hagas caso de", "no hagas caso a", "pasa por alto",
    "deja de seguir", "no sigas",
    # de
    "ignoriere", "ignorier", "ignorieren", "vergiss", "vergesse", "vergessen", "missachte", "missachten",
    "überspringe", "verwirf", "verwerfe", "abweichend von", "abweichend zu",
    # fr
    "ignorez", "ignorer", "oublie", "oubliez", "oublier", "ne tiens pas compte des", "ne tenez pas compte des",
    "fais abstraction des", "faites abstraction des", "passe outre", "passez outre", "ne suis plus", "ne suivez plus",
    # it
    "ignori", "ignorare", "dimentica", "dimentichi", "dimenticare", "trascura", "non seguire", "non considerare",
    # pt
    "esqueça", "esquece", "esquecer", "desconsidere", "desconsidera", "despreze", "não siga", "deixe de seguir",
    # nl
    "negeer", "negeren", "vergeet", "vergeten",
)  # fmt: skip
_VERBS = _alt(*_VERB_WORDS)
_NOUNS = _alt(
    "instrucciones", "instrucción", "indicaciones", "reglas", "órdenes", "directrices", "normas", "directivas",
    "pautas", "restricciones",
    "anweisungen", "anweisung", "anleitungen", "regeln", "vorgaben", "befehle", "instruktionen", "richtlinien",
    "einschränkungen", "aufgaben", "aufträge",
    "instructions", "consignes", "règles", "directives", "ordres", "indications",
    "istruzioni", "regole", "direttive", "indicazioni", "ordini", "restrizioni",
    "instruções", "regras", "diretrizes", "ordens", "orientações", "restrições",
    "instructies", "regels", "opdrachten", "aanwijzingen", "richtlijnen",
)  # fmt: skip
# Before the noun: "todas las", "alle vorherigen", "tes", "le tue", "je".
_BEFORE = _alt(
    "todas las", "tus", "sus", "todas",
    "alle", "deine", "ihre", "vorherigen", "vorherige", "vorigen", "obigen", "bisherigen", "früheren",
    "ursprünglichen", "vorangegangenen",
    "toutes les", "tes", "vos",
    "tutte le", "le tue", "tue",
    "todas as", "suas", "tuas",
    "je", "jouw", "uw", "eerdere", "vorige", "bovenstaande",
)  # fmt: skip
# After the noun: "anteriores", "précédentes", "ci-dessus", "von oben".
_AFTER = _alt(
    "anteriores", "previas", "precedentes", "de arriba", "iniciales", "originales",
    "von oben", "von vorher", "von zuvor", "davor",
    "précédentes", "antérieures", "ci dessus", "initiales",
    "precedenti", "sopra", "iniziali", "originali",
    "acima", "prévias", "iniciais", "originais",
    "hierboven", "van hiervoor", "van eerder",
)  # fmt: skip

# "No olvides", "não esqueça", "n'oubliez pas", "vergiss nicht", "vergeet niet": a reminder to
# follow them, not an override.
_NOT_BEFORE = r"(?<!\bno )(?<!\bnão )(?<!\bnao )(?<!\bnon )(?<!n')(?<!n’)(?<!\bne )"
_NOT_AFTER = r"(?!" + GAP + _alt("nicht", "niet", "pas", "mai", "nunca", "jamais") + r"\b)"
_VERB = r"\b" + _NOT_BEFORE + _VERBS + _NOT_AFTER
_OVERRIDE = re.compile(
    _VERB + GAP + skip(2) + _BEFORE + GAP + skip(1) + _NOUNS + r"\b"
    r"|" + _VERB + GAP + skip(3) + _NOUNS + GAP + skip(1) + _AFTER + r"\b"
)
# "olvida todo lo anterior", "vergiss alles davor", "oubliez tout ce qui précède", "dimentica tutto
# quello che ti è stato detto", "esqueça tudo o que foi dito", "vergeet alles hierboven".
_FORGET_ALL = re.compile(
    _VERB
    + GAP
    + r"(?:"
    + _alt("todo lo anterior", "todo lo que te dijeron", "todo lo que te han dicho", "todo lo dicho")
    + "|"
    + _alt("alles davor", "alles zuvor", "alles vorher", "alles bisherige", "alles oben", "alles was man dir gesagt")
    + "|"
    + _alt("tout ce qui précède", "tout ce qui est au dessus", "tout ce qu'on t'a dit", "tout ce qu'on vous a dit")
    + "|"
    + _alt("tutto quello che ti è stato detto", "tutto ciò che ti è stato detto", "tutto quanto sopra")
    + "|"
    + _alt("tudo o que foi dito", "tudo o que te disseram", "tudo acima", "tudo o que lhe disseram")
    + "|"
    + _alt("alles hierboven", "alles wat je is verteld", "alles wat eerder")
    + r")\b"
)
# Where a pattern may start: a short part of each verb (substrings of the lower-cased text). Few and
# short, because every text is scanned for them: each costs about 2 us per 4 KB.
_VERB_NEEDS = (
    "ignor", "olvid", "descar", "omit", "caso ", "alto", "segu", "siga", "verg", "missacht", "berspring", "verw",
    "abweich", "oubli", "compte", "abstraction", "outre", "suis plus", "suivez plus", "dimentic", "trascur", "considerare",
    "esqu", "desconsider", "desprez", "negeer", "negere",
)  # fmt: skip
_NOUN_NEEDS = (
    "instruc", "instruç", "instruk", "istruz", "indicacion", "indicazion", "indications", "regla", "regel", "règle",
    "regle", "regol", "regra", "ordenes", "órdenes", "ordres", "ordini", "ordens", "directric", "directiv", "dirett",
    "diretriz", "normas", "pautas", "restricc", "restriz", "restriç", "restrico", "anweisung", "anleitung", "vorgabe",
    "befehl", "richtlin", "einschr", "aufgabe", "auftr", "consigne", "opdracht", "aanwijzing", "orientaç", "orientac",
)  # fmt: skip
_ALL_NEEDS = ("todo", "alles", "tout", "tutto", "tudo")
# Needles inside their verb: it starts up to 20 characters before them ("haz caso omiso",
# "überspringe"). Every other verb starts with its needle.
_INSIDE = frozenset(
    ("caso ", "alto", "segu", "siga", "compte", "abstraction", "outre", "suis plus", "suivez plus", "considerare")
    + ("berspring",)
)


class Rule(FirstMatch):
    """A pattern tried only where one of the verbs occurs, and only in texts that hold one of its
    nouns. Searched whole, the accent-tolerant verb alternation cost 0.65 ms per 4 KB of text;
    English text holds "ignore" often, and an instruction noun seldom beside it."""

    def __init__(self, pattern: re.Pattern[str], nouns: tuple[str, ...]) -> None:
        self._pattern = pattern
        self._nouns = nouns

    def search(self, low: str) -> re.Match[str] | None:
        if not any(noun in low for noun in self._nouns):
            return None
        for needle in _VERB_NEEDS:
            at = low.find(needle)
            back = 20 if needle in _INSIDE else 0
            while at != -1:
                for start in range(max(0, at - back), at + 1):
                    if start == 0 or not low[start - 1].isalnum():
                        m = self._pattern.match(low, start)
                        if m:
                            return m
                at = low.find(needle, at + 1)
        return None


OVERRIDE = Rule(_OVERRIDE, _NOUN_NEEDS)
FORGET_ALL = Rule(_FORGET_ALL, _ALL_NEEDS)
# For the rules' cheap pre-check: a text holding none of these cannot match.
OVERRIDE_NEEDS = (_VERB_NEEDS,)
FORGET_ALL_NEEDS = (_ALL_NEEDS,)
