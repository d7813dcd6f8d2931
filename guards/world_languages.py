"""The override rule in fourteen more languages: Russian, Ukrainian, Polish, Czech, Swedish,
Turkish, Indonesian, Vietnamese, Bosnian/Croatian/Serbian (Latin letters), Chinese, Japanese,
Korean, Arabic and Hindi.

"Игнорируй все предыдущие инструкции", "忽略之前的所有指令", "以前の指示をすべて無視して": translated
attack sets carry these, and nothing else in the guard reads them (the classifier learned English;
corral.guards.other_languages covers six European languages). Written from the languages, not from
any data set.

As in English, a verb alone or a noun alone is ordinary text ("ignore the typo in my last
e-mail"): a match needs the verb, an instruction noun and a word that points at the model's earlier
instructions ("предыдущие", "之前", "önceki"), in the language's own order (Turkish, Japanese,
Korean and Hindi put the verb last). Words are written as people write them and folded like the
text they are matched against (corral.guards.features.normalise: case, width, look-alike letters);
letters with diacritics also match without them ("wszystkie", "bo qua"), since keyboards drop them.

Every rule runs only on text that holds one of its needles, instruction nouns (RULES). Needles
outside Latin-1 cost nothing on English text: a substring search for them in a Latin-1 string
returns at once. So each language in another script is a rule of its own, while the six written in
Latin letters share one rule behind seven ASCII stems ("instruk", "talimat", ...): every English
text pays those seven searches, about 15 us per 4 KB, where one set per language cost 50.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .features import normalise
from .patterns import GAP, skip

__all__ = ["LANGUAGES", "Language", "RULES"]

# Letters whose plain form NFD does not give.
_PLAIN = {"ł": "l", "đ": "d", "ı": "i"}
# Between the parts of a rule in scripts written without spaces: a short run within one sentence.
_CJK_GAP = "[^\\n。．！？!?.]{0,%d}"  # noqa: UP031 - a regex template


def _forms(c: str) -> set[str]:
    """How ``c`` reads once folded, written in lower or upper case: normalise folds look-alikes
    before lower-casing, so Cyrillic "н" stays "н" while "Н" becomes Latin "h"."""
    return {normalise(c), normalise(c.upper())} if len(c.upper()) == 1 else {normalise(c)}


def _loose(word: str) -> str:
    """``word`` as a regex matching it folded like the text, in either case, each accented letter
    with or without its accent, each space a word gap."""
    out = []
    for c in unicodedata.normalize("NFC", word):
        if c == " ":
            out.append(GAP)
            continue
        forms = _forms(c)
        plain = _PLAIN.get(c) or unicodedata.normalize("NFD", c)[0]
        if plain != c and plain.isascii():
            forms.add(plain)
        out.append(re.escape(forms.pop()) if len(forms) == 1 else "(?:" + "|".join(map(re.escape, sorted(forms))) + ")")
    return "".join(out)


def _any(words: str, *, stem: bool = False) -> str:
    """An alternation of the ``|``-separated words; ``stem``: each may take an ending."""
    return "(?:" + "|".join(_loose(w.strip()) + (r"\w*" if stem else "") for w in words.split("|")) + ")"


@dataclass(frozen=True)
class Language:
    code: str
    pattern: re.Pattern[str]
    needles: tuple[str, ...]  # the rule runs only on text holding one of these (folded)


def _verb(verbs: str, not_before: str = "", not_after: str = "") -> str:
    """The verbs as a regex, not after a negation ("не забудь": don't forget) nor before one ("glöm
    inte", "無視しないで"): those are reminders to keep the instructions."""
    behind = "".join(f"(?<!{_loose(w.strip())} )" for w in not_before.split("|") if w.strip())
    ahead = f"(?!{not_after})" if not_after else ""
    return behind + r"(?<!\w)" + _any(verbs) + ahead


def _spaced(verb: str, before: str, nouns: str, after: str) -> re.Pattern[str]:
    """Verb first: verb, a word for "all"/"earlier", noun ("zignoruj wszystkie poprzednie instrukcje"),
    or verb, noun, a word for "earlier" after it ("abaikan instruksi sebelumnya")."""
    noun = _any(nouns, stem=True)
    return re.compile(
        verb + GAP + skip(2) + _any(before, stem=True) + GAP + skip(2) + noun
        + "|" + verb + GAP + skip(2) + noun + GAP + skip(1) + _any(after) + r"(?!\w)"
    )  # fmt: skip


def _verb_last(before: str, nouns: str, verb: str) -> re.Pattern[str]:
    """Verb last, words spaced: "önceki tüm talimatları yok say"."""
    return re.compile(
        r"(?<!\w)" + _any(before, stem=True) + GAP + skip(2) + _any(nouns, stem=True) + GAP + skip(2) + verb + r"(?!\w)"
    )


def _unspaced(before: str, nouns: str, verb: str, *, verb_first: bool) -> re.Pattern[str]:
    """No spaces between words (Chinese, Japanese; Korean and Hindi attach particles): the parts
    within a few characters of each other in one sentence, verb last; Chinese also verb first
    ("忽略之前的所有指令")."""
    b, n = _any(before), _any(nouns)
    last = b + _CJK_GAP % 12 + n + _CJK_GAP % 10 + verb
    return re.compile(verb + _CJK_GAP % 4 + b + _CJK_GAP % 8 + n + "|" + last if verb_first else last)


def _needles(words: str) -> tuple[str, ...]:
    """The words folded as written in lower case, capitalised and in capitals (see _forms)."""
    return tuple(
        dict.fromkeys(
            normalise(v) for w in words.split("|") for v in (w.strip(), w.strip().capitalize(), w.strip().upper())
        )
    )


_LANGUAGES = (
    (
        "ru",
        _spaced(
            _verb(
                "игнорируй|игнорируйте|проигнорируй|проигнорируйте|забудь|забудьте|отбрось|отбросьте|пропусти"
                "|не обращай внимания на|не обращайте внимания на|не следуй|не следуйте|перестань следовать",
                not_before="не|ни",
            ),
            "все|всё|предыдущ|прежн|прошл|вышеуказанн|вышеприведённ|свои|своих|твои|твоих|ваши|ваших|изначальн"
            "|исходн|системн",
            "инструкц|указани|правил|команд|установк|ограничени|директив|предписани",
            "выше|ранее|до этого|которые тебе дали|которые вам дали",
        ),
        "инструкц|указани|правил|команд|установк|ограничени|директив|предписани",
    ),
    (
        "uk",
        _spaced(
            _verb(
                "ігноруй|ігноруйте|проігноруй|проігноруйте|забудь|забудьте|відкинь|відкиньте|пропусти"
                "|не зважай на|не зважайте на|не звертай уваги на|не звертайте уваги на|не виконуй",
                not_before="не|ні",
            ),
            "всі|усі|все|попередн|колишн|вищезазначен|свої|твої|ваші|початков|системн",
            "інструкці|вказів|правил|команд|обмежен|директив|настанов",
            "вище|раніше|до цього",
        ),
        "інструкці|вказів|правил|команд|обмежен|директив|настанов",
    ),
    (
        "pl",
        _spaced(
            _verb(
                "zignoruj|zignorujcie|ignoruj|ignorujcie|zapomnij|zapomnijcie|pomiń|pomińcie|odrzuć|odrzućcie"
                "|nie zwracaj uwagi na|nie zwracajcie uwagi na|nie stosuj się do|przestań stosować się do",
                not_before="nie",
            ),
            "wszystkie|wszystkich|poprzedni|wcześniejsz|powyższ|swoje|twoje|wasze|dotychczasow|początkow|systemow",
            "instrukcj|poleceni|poleceń|zasad|reguł|wytyczn|ograniczeń|ograniczeni",
            "powyżej|wcześniej|z góry",
        ),
        "",  # Latin script: _LATIN_NEEDLES
    ),
    (
        "cs",
        _spaced(
            _verb(
                "ignoruj|ignorujte|zapomeň|zapomeňte|nevšímej si|nevšímejte si|přeskoč|přeskočte|zahoď|zahoďte"
                "|nedodržuj|nedodržujte|přestaň dodržovat"
            ),
            "všechny|všech|předchozí|předešl|dosavadní|výše uveden|své|svoje|tvoje|vaše|původní|systémov",
            "pokyn|instrukc|pravidl|příkaz|omezení|směrnic",
            "výše|předtím|dříve",
        ),
        "",  # Latin script: _LATIN_NEEDLES
    ),
    (
        "sv",
        _spaced(
            _verb("ignorera|glöm|strunta i|bortse från|hoppa över|sluta följa|följ inte", not_after=GAP + "inte"),
            "alla|tidigare|föregående|ovanstående|dina|era|ursprungliga|system",
            "instruktion|regl|anvisning|direktiv|kommando|begränsning|riktlinje",
            "ovan|innan|tidigare",
        ),
        "",  # Latin script: _LATIN_NEEDLES
    ),
    (
        "id",
        _spaced(
            _verb("abaikan|lupakan|jangan hiraukan|jangan pedulikan|jangan ikuti|tinggalkan", not_before="jangan"),
            "semua|seluruh|segala|setiap",
            "instruksi|perintah|aturan|petunjuk|arahan|pedoman|batasan",
            "sebelumnya|di atas|terdahulu|yang diberikan|awal|sistem",
        ),
        "",  # Latin script: _LATIN_NEEDLES
    ),
    (
        "vi",
        _spaced(
            _verb(
                "bỏ qua|phớt lờ|lờ đi|quên|quên đi|đừng làm theo|không làm theo|ngừng làm theo|đừng tuân theo",
                not_before="đừng|không|chớ",
            ),
            "tất cả|mọi|toàn bộ|hết|các|những",
            "hướng dẫn|chỉ dẫn|chỉ thị|mệnh lệnh|lệnh|quy tắc|nguyên tắc|giới hạn|yêu cầu",
            "trước đó|trước|ở trên|bên trên|ban đầu|trước đây|đã cho",
        ),
        "",  # Latin script: _LATIN_NEEDLES
    ),
    (
        "hr",  # Bosnian, Croatian, Serbian and Montenegrin, in Latin letters
        _spaced(
            _verb(
                "zanemari|zanemarite|ignoriraj|ignorirajte|ignoriši|ignorišite|zaboravi|zaboravite|preskoči"
                "|preskočite|odbaci|odbacite|ne slijedi|ne sledi|prestani slijediti|prestani da slediš",
                not_before="ne",
            ),
            "sve|sva|svih|prethodn|ranij|gornj|svoje|tvoje|vaše|izvorn|početn|sistemsk|sustavsk",
            "instrukcij|uput|naredb|pravil|smjernic|smernic|direktiv|ograničenj",
            "iznad|ranije|prije|pre|gore",
        ),
        "",  # Latin script: _LATIN_NEEDLES
    ),
    (
        "tr",
        _verb_last(
            "önceki|önceden|yukarıdaki|yukarıda|tüm|bütün|sana verilen|size verilen|ilk|orijinal|sistem",
            "talimat|komut|kural|yönerge|direktif|kısıtlama|emir|emirleri",
            _verb(
                "yok say|yok sayın|yoksay|yoksayın|görmezden gel|görmezden gelin|unut|unutun|dikkate alma"
                "|dikkate almayın|umursama|umursamayın|boşver|es geç"
            ),
        ),
        "",  # Latin script: _LATIN_NEEDLES
    ),
    (
        "hi",
        _unspaced(
            "पिछले|पिछली|पिछला|सभी|सारे|सारी|पहले|ऊपर|पूर्व|अपने|मूल|सिस्टम",
            "निर्देश|नियम|आदेश|हिदायत|दिशानिर्देश|निर्देशों|नियमों|आदेशों",
            _verb(
                "अनदेखा|नज़रअंदाज़|नजरअंदाज|भूल|उपेक्षा|मत मानो|मत मानें|न मानें|ध्यान मत दो|ध्यान न दें",
                not_before="मत|न|नहीं",
                not_after=r"\s*(?:न |मत|नहीं|ना)",
            ),
            verb_first=False,
        ),
        "निर्देश|नियम|आदेश|हिदायत",
    ),
    (
        "zh",
        _unspaced(
            "之前|以前|先前|此前|上面|上述|以上|前面|前述|所有|全部|一切|你的|您的|原来|原來|原有|原始|系统|系統",
            "指令|指示|说明|說明|规则|規則|提示|命令|要求|约束|約束|限制|设定|設定",
            # Not after a negation ("不要忽略": do not ignore) or a passive ("被跳过": are skipped), nor
            # before the past or perfect markers of a description ("忘记了": forgot).
            "".join(f"(?<!{n})" for n in ("不要", "不", "别", "別", "勿", "不可", "不能", "请勿", "請勿", "被"))
            + _any(
                "忽略|忽视|忽視|无视|無視|忘记|忘記|忘掉|不要理会|不要理會|不理会|不理會|抛开|拋開|放弃|放棄|跳过|跳過"
                "|不要遵守|不再遵守|别管|別管"
            )
            + "(?![了过過着著ぁ-ゖ])",  # nor Japanese: "無視しないで" is the Japanese rule's
            verb_first=True,
        ),
        "指令|指示|说明|說明|规则|規則|提示|命令|要求|约束|約束|限制|设定|設定",
    ),
    (
        "ja",
        _unspaced(
            "以前|前の|これまで|今まで|上記|上の|先ほど|最初の|すべての|全ての|全部の|あなたの|システム",
            "指示|命令|指令|ルール|規則|制約|指図|プロンプト",
            # Requests only: "無視して", "忘れろ"; not "無視してしまう" (ends up ignoring), "無視する"
            # (ignores) or "無視しないで" (do not ignore).
            _any("無視して|無視しろ|無視せよ|無視しなさい|忘れて|忘れろ|忘れなさい|破棄して|破棄しろ|従わないで|従うな")
            + "(?!しま|い[るまた]|お[りく])",
            verb_first=False,
        ),
        "指示|命令|指令|ルール|規則|制約|指図|プロンプト",
    ),
    (
        "ko",
        _unspaced(
            "이전|앞의|앞서|위의|위에|지금까지|모든|기존|처음|원래|시스템",
            "지시|지침|명령|규칙|제약|지령|안내|프롬프트",
            # Requests only ("무시해", "잊어버려"), not "무시합니다" (ignores) or "무시하지 마" (do not ignore).
            _any("무시하고|무시해|무시하세요|무시하십시오|무시하라|잊어|잊고|잊으세요|잊으십시오|따르지 마|따르지 말"),
            verb_first=False,
        ),
        "지시|지침|명령|규칙|제약|지령|프롬프트",
    ),
    (
        "ar",
        _spaced(
            _verb("تجاهل|تجاهلي|تجاهلوا|انس|انسى|انسي|انسوا|أهمل|اهمل|تخط|تخطى|لا تتبع|لا تلتزم ب"),
            "جميع|كل|كافة",
            "التعليمات|تعليمات|الأوامر|أوامر|الاوامر|التوجيهات|توجيهات|القواعد|قواعد|الإرشادات|ارشادات|القيود",
            "السابقة|السابق|أعلاه|اعلاه|الأصلية|الاصلية|الخاصة بك|التي تلقيتها",
        ),
        "التعليمات|تعليمات|الأوامر|أوامر|الاوامر|التوجيهات|توجيهات|القواعد|قواعد|الإرشادات|ارشادات|القيود",
    ),
)

_LATIN = ("pl", "cs", "sv", "id", "vi", "hr", "tr")
# The Latin-script languages' shared needles: each language's commonest instruction noun, as an
# ASCII stem, and its forms with diacritics (outside Latin-1, free on English text). A text that
# names its instructions only with a rarer noun ("zasady", "anvisningar") is not read in these languages.
_LATIN_NEEDLES = _needles(
    "instruk|polece|poleceń|pokyn|perintah|petunjuk|huong dan|hướng dẫn|chỉ dẫn|chỉ thị|talimat|uput"
)
LANGUAGES = tuple(
    Language(code, pattern, _LATIN_NEEDLES if code in _LATIN else _needles(needles))
    for code, pattern, needles in _LANGUAGES
)
# (pattern, needles) for corral.guards.rules.
RULES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile("|".join(lang.pattern.pattern for lang in LANGUAGES if lang.code in _LATIN)), _LATIN_NEEDLES),
    # Other scripts: only needles outside Latin-1 (a word in capitals may fold to Latin letters
    # entirely: "НАСТАНОВ" to "hactahob").
    *(
        (lang.pattern, tuple(n for n in lang.needles if max(map(ord, n)) > 255))
        for lang in LANGUAGES
        if lang.code not in _LATIN
    ),
)
