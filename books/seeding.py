"""Generated books for load tests: deterministic, valid, cheap to make a million of.

    rows = generated_books(start=0, count=3, seed=0)
    # ("The Silent Harbor", "Mara Okafor", 1931, "9799000000005", datetime(...)), ...

Row `n` of a run always holds the same values for the same `seed`, so two
databases seeded alike answer the same pages (benchmarks compare like with
like). Values obey books.rules: titles and authors 1..200 characters, years
in YEAR_MIN..2025, ISBN-13s with a valid check digit, unique because they
carry the row's serial number; every tenth book has no ISBN (NULL), like
real catalogues.

Framework-free on purpose: `manage.py seed_books` writes these rows with
COPY on PostgreSQL and batched INSERTs elsewhere.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from common.constraints import YEAR_MIN

# Generated ISBNs live under 979-9 (9 digits after "979", then the check
# digit): no real book in books/data/books.csv starts that way, so seeding
# never collides with the demo data, and the 8-digit serial allows 10**8 books.
ISBN_PREFIX = "9799"
SERIAL_DIGITS = 8
MAX_SERIAL = 10**SERIAL_DIGITS - 1
# created_at of generated row n: this instant plus n seconds. Fixed, not
# "now", so the data (and every page sorted by created_at) is reproducible.
CREATED_AT_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
YEAR_LAST = 2025
# One book in this many has no ISBN.
NO_ISBN_EVERY = 10

_ADJECTIVES = (
    "Silent", "Hidden", "Broken", "Golden", "Last", "Winter", "Crimson", "Quiet", "Lost",
    "Burning", "Forgotten", "Distant", "Iron", "Secret", "Wild", "Glass", "Paper", "Hollow",
    "Northern", "Bright", "Long", "Little", "Dark", "Salt", "Velvet", "Stone", "Restless",
    "Painted", "Endless", "Sleeping", "Wandering", "Bitter", "Sunlit", "Drowned", "Copper",
)
_NOUNS = (
    "Harbor", "Garden", "River", "Kingdom", "Letter", "Orchard", "Mirror", "Voyage", "House",
    "Island", "Forest", "Tower", "Winter", "Bridge", "Map", "Clockmaker", "Lighthouse", "Road",
    "Promise", "Shadow", "Empire", "Archive", "Violin", "Station", "Desert", "Season", "Ocean",
    "Lantern", "Library", "Festival", "Compass", "Daughter", "Engine", "Meadow", "Citadel",
    "Chronicle", "Storm", "Valley", "Machine", "Pilgrim", "Cartographer", "Night", "Sparrow",
)
_FIRST_NAMES = (
    "Mara", "Jonas", "Amara", "Leo", "Ines", "Tomasz", "Yuki", "Priya", "Elena", "Omar",
    "Sofia", "Kwame", "Hanna", "Diego", "Aiko", "Nils", "Fatima", "Ravi", "Clara", "Mateo",
    "Zara", "Felix", "Lucia", "Emeka", "Ingrid", "Pablo", "Mei", "Anton", "Noor", "Hugo",
    "Olga", "Samir", "Greta", "Kenji", "Lena", "Tariq", "Rosa", "Ivan", "Adele", "Bruno",
)
_LAST_NAMES = (
    "Okafor", "Lindqvist", "Moreau", "Tanaka", "Kowalski", "Haddad", "Fernandes", "Novak",
    "Achebe", "Schulz", "Ivanova", "Okonkwo", "Rossi", "Nakamura", "Petrov", "Silva", "Berg",
    "Dubois", "Kaur", "Mensah", "Horvat", "Jansen", "Costa", "Yilmaz", "Andersen", "Weber",
    "Quispe", "Murphy", "Abara", "Castillo", "Lehmann", "Sato", "Ferreira", "Nowak", "Hassan",
    "Virtanen", "Park", "Ortiz", "Keller", "Mwangi", "Romano", "Larsen", "Chen", "Duarte",
)
_TITLE_SHAPES = (
    "The {adj} {noun}",
    "{noun} of the {adj} {noun2}",
    "A {noun} in {noun2}",
    "The {noun} and the {noun2}",
    "{adj} {noun}",
)

BookRow = tuple[str, str, int, str | None, datetime]


def isbn13(serial: int) -> str:
    """The ISBN-13 of generated book `serial`: ISBN_PREFIX, the serial, a check digit."""
    if not 0 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial {serial} outside 0..{MAX_SERIAL}")
    first12 = f"{ISBN_PREFIX}{serial:0{SERIAL_DIGITS}d}"
    # Weights alternate 1, 3 (books.rules does the same when it validates).
    total = sum((3 if i % 2 else 1) * int(digit) for i, digit in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def serial_of_isbn(isbn: str) -> int:
    """The inverse of `isbn13`: which generated book an ISBN belongs to."""
    return int(isbn[len(ISBN_PREFIX) : len(ISBN_PREFIX) + SERIAL_DIGITS])


def generated_books(*, start: int, count: int, seed: int = 0) -> Iterator[BookRow]:
    """`count` rows for serials start..start+count-1: (title, author, year, isbn, created_at).

    :raise ValueError: the serials would not fit in the ISBN range.
    """
    if start < 0 or count < 0 or start + count - 1 > MAX_SERIAL:
        raise ValueError(f"serials {start}..{start + count - 1} outside 0..{MAX_SERIAL}")
    # One generator for the run, seeded by (seed, start): sequential draws are
    # far cheaper than a generator per row, and a run is still reproducible.
    rng = random.Random(f"{seed}:{start}")
    choice, randint = rng.choice, rng.randint
    for serial in range(start, start + count):
        title = choice(_TITLE_SHAPES).format(
            adj=choice(_ADJECTIVES), noun=choice(_NOUNS), noun2=choice(_NOUNS)
        )
        # A middle initial multiplies the distinct authors (~45,000), so an
        # `author=` filter or an author sort meets small groups, as in life.
        author = f"{choice(_FIRST_NAMES)} {chr(65 + randint(0, 25))}. {choice(_LAST_NAMES)}"
        year = randint(YEAR_MIN, YEAR_LAST)
        isbn = None if serial % NO_ISBN_EVERY == NO_ISBN_EVERY - 1 else isbn13(serial)
        yield title, author, year, isbn, CREATED_AT_EPOCH + timedelta(seconds=serial)
