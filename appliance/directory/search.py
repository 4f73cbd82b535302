"""Directory search: accent-insensitive matching, accent-aware ranking.

The index lives in memory and is rebuilt when the directory's change counter moves. A
SQL index cannot serve this: matches are word prefixes anywhere in a name ("van" finds
"Nguyễn Văn An"), which a B-tree on a column serves only for the first word. Here each
folded word maps to the entries that contain it, and a sorted word list finds every word
with a given prefix by bisection, so a query costs about the size of its result.
"""

from __future__ import annotations

import bisect
import heapq
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_SPLIT = re.compile(r"[^a-z0-9]+")


def search_key(text: str) -> str:
    """Fold `text` for matching: marks removed, đ to d, lower case, words split by spaces.

    Unlike naming.fold_ascii this never raises; characters without an ASCII form split
    words, so any query can be searched.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    plain = plain.replace("\u00f0", "d")  # ð, from Ð (U+00D0) lowered
    return " ".join(word for word in _SPLIT.split(plain) if word)


def accent_words(text: str) -> list[str]:
    """Return the words of `text` in lower case with their marks kept (NFC)."""
    return unicodedata.normalize("NFC", text).lower().split()


@dataclass(frozen=True)
class Entry:
    """One searchable person. `words` are folded; `accented` keeps the name's marks."""

    person_id: int
    full_name: str
    given: str  # folded given name, words joined without spaces
    address: str  # local part, empty when the person has no mailbox here
    unit_name: str
    is_leader: bool
    rank: int
    words: tuple[str, ...]
    accented: tuple[str, ...]


def make_entry(
    person_id: int,
    full_name: str,
    given: str,
    address: str,
    unit_name: str,
    is_leader: bool,
    rank: int,
) -> Entry:
    words = set(search_key(full_name).split()) | set(search_key(unit_name).split())
    words.update(label for label in address.split(".") if label)
    return Entry(
        person_id=person_id,
        full_name=full_name,
        given=search_key(given).replace(" ", ""),
        address=address,
        unit_name=unit_name,
        is_leader=is_leader,
        rank=rank,
        words=tuple(sorted(words)),
        accented=tuple(accent_words(full_name)),
    )


@dataclass(frozen=True)
class SearchResult:
    """One search hit, best first. `score` orders the results; higher is better."""

    person_id: int
    full_name: str
    address: str
    unit_name: str
    score: tuple[int, int, int, int]


class SearchIndex:
    """An inverted index from folded words to entries."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = list(entries)
        postings: dict[str, set[int]] = {}
        for position, entry in enumerate(self.entries):
            for word in entry.words:
                postings.setdefault(word, set()).add(position)
        self._words = sorted(postings)
        self._postings = postings

    def _matching(self, prefix: str) -> set[int]:
        found: set[int] = set()
        start = bisect.bisect_left(self._words, prefix)
        for word in self._words[start:]:
            if not word.startswith(prefix):
                break
            found |= self._postings[word]
        return found

    def search(self, query: str, limit: int = 20) -> list[SearchResult]:
        """Return the entries matching every word of `query` as a word prefix, best first.

        Ranking: words typed with their accents that match the name's accents, then the
        given name or address starting with a query word, then leaders, then rank.
        """
        tokens = search_key(query).split()
        if not tokens or limit <= 0:
            return []
        matches: set[int] | None = None
        for token in sorted(set(tokens), key=len, reverse=True):
            found = self._matching(token)
            matches = found if matches is None else matches & found
            if not matches:
                return []
        assert matches is not None
        accented = [word for word in accent_words(query) if word != search_key(word)]
        keys = [self._sort_key(index, tokens, accented) for index in matches]
        return [self._result(key) for key in heapq.nsmallest(limit, keys)]

    def _sort_key(
        self, index: int, tokens: list[str], accented: list[str]
    ) -> tuple[int, int, int, int, str, int]:
        """Return the ascending sort key of one match: the negated score, name, position."""
        entry = self.entries[index]
        exact = 0
        if accented:
            exact = sum(any(word.startswith(t) for word in entry.accented) for t in accented)
        first_label = entry.address.split(".", 1)[0]
        prefix = sum(entry.given.startswith(t) or first_label.startswith(t) for t in tokens)
        return (-exact, -prefix, -int(entry.is_leader), entry.rank, entry.full_name, index)

    def _result(self, key: tuple[int, int, int, int, str, int]) -> SearchResult:
        entry = self.entries[key[-1]]
        return SearchResult(
            person_id=entry.person_id,
            full_name=entry.full_name,
            address=entry.address,
            unit_name=entry.unit_name,
            score=(-key[0], -key[1], -key[2], -key[3]),
        )
