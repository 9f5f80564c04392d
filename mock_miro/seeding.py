"""Generated people for /_fake/seed: the same seed gives the same names, in the same order."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from typing import Any

from faker.providers.person.en_US import Provider as PersonNames

from .rules import ADMIN_VALUE, USER_VALUE
from .schemas import ORG_USER_ROLE

# Faker's en_US name lists, drawn with a seeded random.Random: Faker's own weighted draw costs
# ~70 microseconds per name, which made a 100,000-user seed take 14 s.
FIRST_NAMES = tuple(PersonNames.first_names)
LAST_NAMES = tuple(PersonNames.last_names)


def _free(local: str, domain: str, taken: Callable[[str], bool]) -> str:
    username, n = f"{local}@{domain}", 1
    while taken(username):
        n += 1
        username = f"{local}{n}@{domain}"
    return username


def members(
    seed: int, count: int, domain: str, admins: int, taken: Callable[[str], bool]
) -> Iterator[dict[str, Any]]:
    """User attribute dicts; ``taken`` must see the names already handed out."""
    rng = random.Random(seed)
    for i in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        username = _free(re.sub(r"[^a-z0-9.]", "", f"{first}.{last}".lower()), domain, taken)
        yield {
            "userName": username,
            "name": {"givenName": first, "familyName": last, "formatted": f"{first} {last}"},
            "displayName": f"{first} {last}",
            "userType": "Full",
            "active": True,
            "emails": [{"value": username, "type": "work", "primary": True}],
            "roles": [
                {
                    "value": ADMIN_VALUE if i < admins else USER_VALUE,
                    "type": ORG_USER_ROLE,
                    "primary": True,
                }
            ],
        }


def guest_names(seed: int, count: int, taken: Callable[[str], bool]) -> Iterator[str]:
    rng = random.Random(seed + 1)
    for _ in range(count):
        yield _free(f"guest.{rng.choice(LAST_NAMES).lower()}", "partner.example", taken)
