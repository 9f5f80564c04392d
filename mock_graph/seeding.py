"""Faker-generated tenants: realistic users (names, UPNs, mail, departments, titles, employee
ids, managers), security groups with members, and optional "tricky" users of the kind support
cases come from. This module only plans them; ``GraphBackend.seed`` creates them, so the same
seed gives the same directory and the same ids.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

from mock_graph.exceptions import bad_request

DEFAULT_DOMAIN = "contoso.onmicrosoft.com"
MAX_SEED_USERS = 200_000
DEPARTMENTS = [
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "Human Resources",
    "Customer Success",
    "Legal",
    "Operations",
    "Product",
    "Design",
    "IT",
    "Support",
]
EXTRA_GROUPS = [
    "Miro Users",
    "Miro Admins",
    "All Staff",
    "Project Phoenix",
    "Contractors",
    "Leadership",
]

# Each tricky user: what makes it hard, and the properties that do it.
TRICKY: list[tuple[str, dict[str, Any]]] = [
    (
        "apostrophe in name, UPN and mail",
        {
            "givenName": "Siobhán",
            "surname": "O'Connor",
            "displayName": "Siobhán O'Connor",
            "local": "siobhan.o'connor",
        },
    ),
    (
        "diacritics in every name part",
        {
            "givenName": "José",
            "surname": "Núñez-Łukasiewicz",
            "displayName": "José Núñez-Łukasiewicz",
            "local": "jose.nunez",
        },
    ),
    (
        "display name longer than 60 characters",
        {
            "givenName": "Maximiliana Alexandra Konstantina",
            "surname": "von Hohenzollern-Sigmaringen-Württemberg",
            "displayName": "Maximiliana Alexandra Konstantina von Hohenzollern-Sigmaringen-Württemberg",
            "local": "maximiliana.vonhohenzollern",
        },
    ),
    (
        "no mail",
        {
            "givenName": "Nomail",
            "surname": "Person",
            "displayName": "Nomail Person",
            "local": "nomail.person",
            "mail": None,
        },
    ),
    (
        "duplicate display name (1 of 2)",
        {
            "givenName": "Alex",
            "surname": "Johnson",
            "displayName": "Alex Johnson",
            "local": "alex.johnson",
        },
    ),
    (
        "duplicate display name (2 of 2)",
        {
            "givenName": "Alex",
            "surname": "Johnson",
            "displayName": "Alex Johnson",
            "local": "alex.johnson2",
        },
    ),
    (
        "disabled account",
        {
            "givenName": "Dana",
            "surname": "Disabled",
            "displayName": "Dana Disabled",
            "local": "dana.disabled",
            "accountEnabled": False,
        },
    ),
    (
        "userPrincipalName different from mail",
        {
            "givenName": "Jonathan",
            "surname": "Smith",
            "displayName": "Jonathan Smith",
            "local": "jsmith",
            "mail_local": "jonathan.smith",
            "mail_domain": "contoso.com",
        },
    ),
    (
        "guest user (#EXT# UPN, external mail)",
        {
            "givenName": "Gail",
            "surname": "Guest",
            "displayName": "Gail Guest",
            "local": "gail.guest_fabrikam.com#EXT#",
            "mail_local": "gail.guest",
            "mail_domain": "fabrikam.com",
            "userType": "Guest",
        },
    ),
    (
        "no given name, surname, department or job title",
        {
            "givenName": None,
            "surname": None,
            "displayName": "Reception Desk",
            "local": "reception",
            "bare": True,
        },
    ),
]


def ascii_local(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("Ł", "L").replace("ł", "l"))
    plain = decomposed.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9.'_-]", "", plain.replace(" ", ""))


def _nickname(local: str) -> str:
    return re.sub(r"[^A-Za-z0-9_'-]", "", local.replace(".", "_"))[:64] or "user"


@dataclass
class SeedGroup:
    """A security group to create (its POST body) and its members, as indexes into the plan's
    users followed by its tricky users."""

    body: dict[str, Any]
    members: list[int]


@dataclass
class SeedPlan:
    """What a seed creates, before it has ids: the generated users' properties, who manages
    whom (``(report, manager)`` indexes into ``users``), the tricky users (why each is tricky,
    and its properties) and the groups."""

    seed: int
    domain: str
    users: list[dict[str, Any]] = field(default_factory=list)
    managers: list[tuple[int, int]] = field(default_factory=list)
    tricky: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    groups: list[SeedGroup] = field(default_factory=list)


def plan_tenant(
    *,
    seed: int,
    users: int,
    groups: int,
    tricky: bool,
    taken: Callable[[str], bool],
    domain: str = DEFAULT_DOMAIN,
    locale: str = "en_US",
) -> SeedPlan:
    """The users and groups a seed creates; ``taken`` says whether a (casefolded)
    userPrincipalName is already in the tenant. Bad options raise Graph's 400."""
    for name, value in (("users", users), ("groups", groups)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise bad_request(f"'{name}' must be a non-negative integer.")
    if users > MAX_SEED_USERS:
        raise bad_request(f"'users' must be at most {MAX_SEED_USERS}.")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise bad_request("'seed' must be an integer.")
    if not isinstance(tricky, bool):
        raise bad_request("'tricky' must be true or false.")
    if not isinstance(domain, str) or not re.fullmatch(
        r"[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,}", domain
    ):
        raise bad_request("'domain' must be a domain name.")
    try:
        fake = Faker(locale)
    except AttributeError as exc:
        raise bad_request(f"Unknown Faker locale '{locale}'.") from exc
    fake.seed_instance(seed)
    rng = random.Random(seed)
    plan = SeedPlan(seed, domain)
    company = fake.company()
    used_upns: set[str] = set()
    employee_base = rng.randint(100000, 400000)

    def unique_local(local: str) -> str:
        candidate, n = local, 1
        while f"{candidate}@{domain}".casefold() in used_upns or taken(
            f"{candidate}@{domain}".casefold()
        ):
            n += 1
            candidate = f"{local}{n}"
        used_upns.add(f"{candidate}@{domain}".casefold())
        return candidate

    # Faker is slow per call; draw pools once and sample them (100,000 users in seconds).
    pool = max(1, min(users, 1500))
    first_names = [fake.first_name() for _ in range(pool)]
    last_names = [fake.last_name() for _ in range(pool)]
    jobs = [fake.job() for _ in range(min(pool, 400))]
    cities = [fake.city() for _ in range(min(pool, 200))]

    def phone() -> str:
        return f"+1 {rng.randint(200, 989)}-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"

    def password() -> str:
        return "".join(
            rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!@#$%")
            for _ in range(16)
        )

    for i in range(users):
        given, surname = rng.choice(first_names), rng.choice(last_names)
        local = unique_local(ascii_local(f"{given}.{surname}"))
        upn = f"{local}@{domain}"
        department = rng.choice(DEPARTMENTS)
        plan.users.append(
            {
                "accountEnabled": rng.random() >= 0.02,
                "displayName": f"{given} {surname}",
                "givenName": given,
                "surname": surname,
                "userPrincipalName": upn,
                "mail": upn,
                "mailNickname": _nickname(local),
                "department": department,
                "jobTitle": rng.choice(jobs),
                "companyName": company,
                "employeeId": str(employee_base + i),
                "usageLocation": "US",
                "city": rng.choice(cities),
                "country": "United States",
                "officeLocation": f"{rng.randint(1, 12)}/{rng.randint(100, 999)}",
                "businessPhones": [phone()],
                "mobilePhone": phone(),
                "preferredLanguage": "en-US",
                "passwordProfile": {
                    "password": password(),
                    "forceChangePasswordNextSignIn": False,
                },
            }
        )
    # Managers: the first user leads; about one in eight users manages the rest.
    leads = list(range(max(1, users // 8))) if users else []
    for index in range(1, users):
        plan.managers.append((index, leads[0] if index < len(leads) else rng.choice(leads)))

    if tricky:
        for why, spec in TRICKY:
            local = unique_local(spec["local"])
            upn = f"{local}@{domain}"
            mail: str | None = upn
            if "mail_local" in spec:
                mail = f"{spec['mail_local']}@{spec['mail_domain']}"
            if "mail" in spec:
                mail = spec["mail"]
            props: dict[str, Any] = {
                "accountEnabled": spec.get("accountEnabled", True),
                "displayName": spec["displayName"],
                "givenName": spec["givenName"],
                "surname": spec["surname"],
                "userPrincipalName": upn,
                "mail": mail,
                "mailNickname": _nickname(local.split("#", 1)[0]),
                "userType": spec.get("userType", "Member"),
                "usageLocation": "US",
                "passwordProfile": {"password": password(), "forceChangePasswordNextSignIn": False},
            }
            if not spec.get("bare"):
                props.update(
                    {
                        "department": rng.choice(DEPARTMENTS),
                        "jobTitle": fake.job(),
                        "companyName": company,
                        "employeeId": str(employee_base + users + len(plan.tricky)),
                    }
                )
            plan.tricky.append((why, props))

    everyone = plan.users + [props for _why, props in plan.tricky]
    names = [f"{d} Team" for d in DEPARTMENTS] + EXTRA_GROUPS
    for g in range(groups):
        name = names[g] if g < len(names) else f"{fake.color_name()} {fake.word().title()} Team {g}"
        body = {
            "displayName": name,
            "mailEnabled": False,
            "securityEnabled": True,
            "mailNickname": _nickname(name.replace(" ", "")),
            "description": f"{name} (seeded)",
        }
        if name.endswith(" Team") and name[: -len(" Team")] in DEPARTMENTS:
            department = name[: -len(" Team")]
            chosen = [i for i, u in enumerate(everyone) if u.get("department") == department]
        else:
            chosen = [i for i, _u in enumerate(everyone) if rng.random() < 0.3]
        plan.groups.append(SeedGroup(body, chosen))
    return plan
