"""The directory's search index, kept up to date with what changed since it was built.

Any directory change moves the generation counter, and the next search reloads the rows
the index is made from: a narrow query of plain columns. A row that did not change keeps
its entry, so only new or changed people have their names folded again. Then the word
lists are rebuilt, which is the cheap part.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from appliance.directory.queries import generation, live_people
from appliance.directory.search import Entry, SearchIndex, make_entry
from appliance.models import IssuedAddress, Person, Unit

# The columns an entry is made from; a row equal to the last one gives the same entry.
Row = tuple[int, str, str, str | None, bool, str, bool, int]

# Ties in the search ranking fall back to the order the directory lists people in.
_ROWS = live_people(
    Person.id,
    Person.full_name,
    Person.given,
    IssuedAddress.local_part,
    Person.external,
    Unit.name,
    Person.is_leader,
    Person.rank,
)


class SearchCache:
    """The index of the current directory generation, and the entries it was made of."""

    def __init__(self) -> None:
        self._index: SearchIndex | None = None
        self._generation = -1
        self._entries: dict[Row, Entry] = {}

    async def current(self, session: AsyncSession) -> SearchIndex:
        """Return the index of the directory read through `session`, rebuilt if it changed."""
        now = await generation(session)
        if self._index is not None and now == self._generation:
            return self._index
        rows = [cast(Row, tuple(row)) for row in await session.execute(_ROWS)]
        entries = {row: self._entries.get(row) or _entry(row) for row in rows}
        self._entries = entries
        self._index = SearchIndex(entries[row] for row in rows)
        self._generation = now
        return self._index


def _entry(row: Row) -> Entry:
    person_id, full_name, given, local, external, unit_name, is_leader, rank = row
    address = "" if external or local is None else local
    return make_entry(person_id, full_name, given, address, unit_name, is_leader, rank)
