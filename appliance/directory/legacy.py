"""Recognise Vietnamese text typed in the legacy TCVN3 (ABC) or VNI fonts.

Before Unicode, Vietnamese was typed with 8-bit fonts. A spreadsheet made that way stores
each byte as the Windows-1252 character at the same position, so "Nguyễn" reads as
"NguyÔn" (TCVN3) or "Nguyeãn" (VNI). Folded to ASCII, such text gives a wrong address
without any error, so names are checked here first.

The check is a comparison. Text that already reads as plausible Vietnamese (or plain ASCII)
is genuine. Otherwise it is decoded with each legacy table. A table qualifies when every
word it changed became a Vietnamese syllable and fewer words stay implausible than in the
input. Of the qualifying tables, the one that leaves the fewest implausible words wins.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

# TCVN3 (ABC) code points as Windows-1252 characters, and the letters they stand for.
# TCVN3 has only lower-case letters with tone marks; capitals with tone marks came from
# a second font that reused the same code points.
_TCVN3_SOURCE = "µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞßãáâä«åèæçé¬êíëìîïóñòô\xadõøö÷ùúýûüþ¡¢§£¤¥¦"
_TCVN3_TARGET = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂĐÊÔƠƯ"
TCVN3_TABLE: dict[str, str] = dict(zip(_TCVN3_SOURCE, _TCVN3_TARGET, strict=True))

# VNI-Windows writes most letters as a base vowel followed by a mark character. The mark
# character's case follows the base letter's case, because the font has separate glyphs.
_VNI_TONES = {"ù": "\u0301", "ø": "\u0300", "û": "\u0309", "õ": "\u0303", "ï": "\u0323"}
_VNI_CIRCUMFLEX = {
    "â": "",
    "á": "\u0301",
    "à": "\u0300",
    "å": "\u0309",
    "ã": "\u0303",
    "ä": "\u0323",
}
_VNI_BREVE = {"ê": "", "é": "\u0301", "è": "\u0300", "ú": "\u0309", "ü": "\u0303", "ë": "\u0323"}
# Letters that VNI writes as one character of their own.
_VNI_SINGLE = {
    "ô": "ơ",
    "ö": "ư",
    "ñ": "đ",
    "í": "í",
    "ì": "ì",
    "æ": "ỉ",
    "ó": "ĩ",
    "ò": "ị",
    "î": "ỵ",
}
_VNI_TONE_BASES = set("aeouyơư")

_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_QUALITY_MARKS = frozenset("\u0302\u0306\u031b")
VIETNAMESE_MARKS = _TONE_MARKS | _QUALITY_MARKS
_SEPARATORS = frozenset(" \t-‐‑–—'’ʼ.")

# Vowel nuclei of Vietnamese syllables, without tone marks, after the onsets "qu" and "gi".
_NUCLEI_LIST = (
    "a ă â e ê i o ô ơ u ư y "
    "ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi oo ôô ua uâ uê ui uô uơ uy ưa ưi ươ ưu "
    "ya yê iêu yêu oai oay oeo oao uây uôi ươi ươu uya uyê uyu"
)
_NUCLEI = frozenset(_NUCLEI_LIST.split())
_VOWELS = frozenset("aăâeêioôơuưy")
# The only vowel and mark pairs Vietnamese writes: â ă ê ô ơ ư.
_VOWEL_QUALITIES = frozenset(
    {
        ("a", "\u0302"),
        ("a", "\u0306"),
        ("e", "\u0302"),
        ("o", "\u0302"),
        ("o", "\u031b"),
        ("u", "\u031b"),
    }
)


def _is_vietnamese_letter(char: str) -> bool:
    """Tell whether `char` is an ASCII letter or digit, đ, or a vowel with Vietnamese marks."""
    if char.isascii():
        return char.isalnum()
    if char in "đĐ":
        return True
    decomposed = unicodedata.normalize("NFD", char)
    base, marks = decomposed[0], decomposed[1:]
    if not base.isascii() or base.lower() not in "aeiouy" or not marks:
        return False
    if any(mark not in VIETNAMESE_MARKS for mark in marks):
        return False
    tones = sum(mark in _TONE_MARKS for mark in marks)
    qualities = [mark for mark in marks if mark in _QUALITY_MARKS]
    if len(qualities) > 1 or tones > 1:
        return False
    return not qualities or (base.lower(), qualities[0]) in _VOWEL_QUALITIES


def _without_tone(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.lower())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))


def _tone_count(word: str) -> int:
    return sum(c in _TONE_MARKS for c in unicodedata.normalize("NFD", word))


def _vowel_runs(word: str) -> list[str]:
    """Return the runs of vowels in a lower-case word without tones, onsets qu/gi removed."""
    if len(word) > 2 and word[:2] in ("qu", "gi") and word[2] in _VOWELS:
        word = word[2:]
    runs, current = [], ""
    for char in word:
        if char in _VOWELS:
            current += char
        elif current:
            runs.append(current)
            current = ""
    if current:
        runs.append(current)
    return runs


def is_plausible_word(word: str) -> bool:
    """Tell whether `word` could be written in Unicode Vietnamese (or plain ASCII).

    It checks the characters, casing (no capital after a small letter), at most one tone
    mark and the vowel clusters. Minority-language names may fail this; a failure alone
    rejects nothing, it only lets the legacy decoders compete.
    """
    if not all(_is_vietnamese_letter(char) for char in word):
        return False
    if any(a.islower() and b.isupper() for a, b in itertools.pairwise(word)):
        return False
    if _tone_count(word) > 1:
        return False
    return all(run in _NUCLEI for run in _vowel_runs(_without_tone(word)))


_SYLLABLE = re.compile(
    "^(?:b|ch|c|d|đ|gh|gi|g|h|kh|k|l|m|ngh|ng|nh|n|ph|p|qu|r|s|th|tr|t|v|x)?"
    "([aăâeêioôơuưy]+)(?:ch|c|m|ng|nh|n|p|t)?$"
)


def is_syllable(word: str) -> bool:
    """Tell whether `word` is a Vietnamese syllable: onset, vowel nucleus and final."""
    if not is_plausible_word(word):
        return False
    match = _SYLLABLE.match(_without_tone(word))
    return match is not None and match.group(1) in _NUCLEI


def _words(text: str) -> list[str]:
    words, current = [], ""
    for char in text:
        if char in _SEPARATORS:
            if current:
                words.append(current)
            current = ""
        else:
            current += char
    if current:
        words.append(current)
    return words


def _implausible(text: str) -> int:
    return sum(not is_plausible_word(word) for word in _words(text))


def decode_tcvn3(text: str) -> str:
    """Decode TCVN3 text read as Windows-1252; a word in capitals gets capital letters."""
    words = []
    for word in text.split(" "):
        decoded = "".join(TCVN3_TABLE.get(char, char) for char in word)
        letters = [char for char in word if char.isascii() and char.isalpha()]
        if len(letters) > 1 and all(char.isupper() for char in letters):
            decoded = decoded.upper()
        words.append(decoded)
    return " ".join(words)


def _vni_mark(base: str, mark: str) -> str | None:
    """Return the combining marks that VNI `mark` adds to `base`, or None if it adds none."""
    if base.isupper() != mark.isupper():
        return None
    lower_base, lower_mark = base.lower(), mark.lower()
    if lower_base in _VNI_TONE_BASES and lower_mark in _VNI_TONES:
        return _VNI_TONES[lower_mark]
    if lower_base in "aeo" and lower_mark in _VNI_CIRCUMFLEX:
        return "\u0302" + _VNI_CIRCUMFLEX[lower_mark]
    if lower_base == "a" and lower_mark in _VNI_BREVE:
        return "\u0306" + _VNI_BREVE[lower_mark]
    return None


def decode_vni(text: str) -> str:
    """Decode VNI-Windows text read as Windows-1252."""
    out: list[str] = []
    for char in text:
        previous = out[-1] if out else ""
        marks = _vni_mark(previous, char) if len(previous) == 1 else None
        if marks is not None:
            out[-1] = unicodedata.normalize("NFC", previous + marks)
            continue
        single = _VNI_SINGLE.get(char.lower())
        if single is not None:
            char = single.upper() if char.isupper() else single
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def detect_legacy_encoding(text: str) -> str | None:
    """Return "TCVN3" or "VNI" when `text` looks typed in that legacy font, else None."""
    text = unicodedata.normalize("NFC", text)
    before = _implausible(text)
    if before == 0:
        return None
    best: tuple[int, str] | None = None
    for name, decode in (("VNI", decode_vni), ("TCVN3", decode_tcvn3)):
        decoded = decode(text)
        if decoded == text:
            continue
        changed = [
            new for old, new in zip(_words(text), _words(decoded), strict=True) if old != new
        ]
        if not all(is_syllable(word) for word in changed):
            continue
        after = _implausible(decoded)
        if after < before and (best is None or after < best[0]):
            best = (after, name)
    return None if best is None else best[1]
