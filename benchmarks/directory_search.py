"""Measure directory search on 20,000 people through the real service and database.

Usage: .venv/bin/python benchmarks/directory_search.py [--people 20000] [--rounds 20]

It fills a fresh SQLite database in a temporary folder with people spread over the city's
units (inserted directly, without accounts, so filling takes seconds), then times
`core.directory.search` for queries typed with and without diacritics, with the
autocomplete limit of 20 results (every match is still scored to rank it). Untimed, it
fetches every match of both spellings and checks they are the same people. The first search
builds the in-memory index, and its time is reported separately.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from pathlib import Path
from typing import cast

from sqlalchemy import Table, insert, select

from appliance.config import Settings
from appliance.core import Core
from appliance.directory.queries import bump_generation, person_search_text
from appliance.directory.records import PersonInput
from appliance.directory.search import search_key
from appliance.models import IssuedAddress, Person, Unit
from appliance.store.writer import Transaction

FAMILIES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Tôn Nữ"]
MIDDLES = ["Văn", "Thị", "Đình", "Hữu", "Ngọc", "Quang", "Thanh", "Minh", "Xuân", "Đức", "Thị Thu"]
GIVENS = ["An", "Hà", "Hạ", "Bình", "Đức", "Hương", "Minh", "Phúc", "Lan", "Dũng", "Ý", "Thu Hà"]
LIMIT = 20  # results shown by an autocomplete list; ranking still scores every match
QUERIES = [
    ("Nguyễn Văn An", "nguyen van an"),
    ("Hương", "huong"),
    ("Đặng Đình", "dang dinh"),
    ("Tôn Nữ Thị Hà", "ton nu thi ha"),
    ("Vỹ Dạ", "vy da"),
    ("Lê", "le"),
    ("Ng", "ng"),
    ("Sở Y tế Bùi", "so y te bui"),
]


async def fill(core: Core, count: int) -> None:
    """Insert `count` people with live addresses, spread over every unit."""
    async with core.sessions() as session:
        rows = await session.scalars(select(Unit))
        units = [(unit.id, unit.name, unit.mailbox or "") for unit in rows]
    names = itertools.cycle(itertools.product(FAMILIES, MIDDLES, GIVENS))
    now = core.clock.now()
    people, issued = [], []
    for number in range(1, count + 1):
        family, middle, given = next(names)
        unit_id, unit_name, mailbox = units[number % len(units)]
        full_name = f"{family} {middle} {given}"
        local = f"{search_key(given).replace(' ', '')}{number}.{mailbox}"
        people.append(
            {
                "id": number,
                "family": family,
                "middle": middle,
                "given": given,
                "full_name": full_name,
                "search_text": person_search_text(full_name, local, unit_name),
                "unit_id": unit_id,
                "is_leader": number % 50 == 0,
                "rank": number % 50,
                "created_at": now,
            }
        )
        issued.append(
            {"local_part": local, "role": "person", "person_id": number, "issued_at": now}
        )

    async def write(tx: Transaction) -> None:
        await tx.session.execute(insert(cast(Table, Person.__table__)), people)
        await tx.session.execute(insert(cast(Table, IssuedAddress.__table__)), issued)
        await bump_generation(tx.session)

    await core.writer.run(write)


async def measure(count: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        core = await Core.open(Settings(data_dir=Path(folder)))
        try:
            await core.directory.load_units()
            await fill(core, count)
            started = time.perf_counter()
            await core.directory.search("an")
            print(f"index build on first search: {1000 * (time.perf_counter() - started):.0f} ms")
            await core.directory.add_person(
                PersonInput(family="Tôn Nữ", middle="Minh", given="Châu", unit="skhcn")
            )
            started = time.perf_counter()
            hits = await core.directory.search("tôn nữ minh châu")
            print(
                "index update after one person is added: "
                f"{1000 * (time.perf_counter() - started):.0f} ms, {len(hits)} found"
            )
            timings: list[float] = []
            for accented, plain in QUERIES:
                found = {}
                for query in (accented, plain):
                    for _ in range(rounds):
                        started = time.perf_counter()
                        await core.directory.search(query, limit=LIMIT)
                        timings.append(time.perf_counter() - started)
                    everyone = await core.directory.search(query, limit=count)
                    found[query] = {result.person_id for result in everyone}
                same = found[accented] == found[plain]
                print(f"{accented!r:22} {len(found[plain]):6} people, same without accents: {same}")
                if not same:
                    raise SystemExit(f"error: {accented!r} and {plain!r} found different people")
            timings.sort()
            print(
                f"{len(timings)} searches (limit {LIMIT}) on {count} people: "
                f"median {1000 * statistics.median(timings):.1f} ms, "
                f"p95 {1000 * timings[int(0.95 * len(timings))]:.1f} ms, "
                f"max {1000 * timings[-1]:.1f} ms"
            )
        finally:
            await core.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=20_000, help="directory size")
    parser.add_argument("--rounds", type=int, default=20, help="repeats of each query")
    args = parser.parse_args()
    asyncio.run(measure(args.people, args.rounds))


if __name__ == "__main__":
    main()
