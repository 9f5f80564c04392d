"""Client secrets of applications, as ``addPassword`` makes them
(https://learn.microsoft.com/en-us/graph/api/application-addpassword): the secret text is
answered once; the application keeps a ``passwordCredential`` with a three-character ``hint``
and the dates, and the fake keeps only a SHA-256 digest of the text to check it later."""

from __future__ import annotations

import enum
import hashlib
import hmac
import random
import string
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from mock_graph.exceptions import bad_request
from mock_graph.models.values import is_datetime, iso, parse_iso

# "endDateTime ... Optional. The default value is startDateTime + 2 years."
DEFAULT_SECRET_LIFETIME = timedelta(days=2 * 365)
_SECRET_ALPHABET = string.ascii_letters + string.digits + "~._-"


class ClientCheck(enum.Enum):
    """What the token endpoint makes of a client id and secret."""

    OK = "ok"
    UNKNOWN_CLIENT = "unknown_client"  # AADSTS700016
    INVALID_SECRET = "invalid_secret"  # AADSTS7000215
    EXPIRED_SECRET = "expired_secret"  # AADSTS7000222


def digest(secret_text: str) -> str:
    return hashlib.sha256(secret_text.encode("utf-8")).hexdigest()


def same_digest(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


def _new_secret_text(rng: random.Random) -> str:
    # Entra's secrets are 40 characters, the 4th to 6th being "8Q~" (a version marker).
    head = "".join(rng.choice(_SECRET_ALPHABET) for _ in range(3))
    tail = "".join(rng.choice(_SECRET_ALPHABET) for _ in range(34))
    return f"{head}8Q~{tail}"


def new_password_credential(
    body: Any, now: datetime, rng: random.Random, secret_text: str | None = None
) -> tuple[dict[str, Any], str]:
    """(the stored passwordCredential, the secret text) for an ``addPassword`` body
    ``{"passwordCredential": {"displayName", "startDateTime", "endDateTime"}}`` (all optional).
    ``secret_text``: the harness's own clients choose theirs; clients of the API never do."""
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object.")
    unknown = set(body) - {"passwordCredential"}
    if unknown:
        raise bad_request(f"Property '{sorted(unknown)[0]}' does not exist on the action.")
    spec = body.get("passwordCredential") or {}
    if not isinstance(spec, dict):
        raise bad_request("Invalid value for 'passwordCredential'.")
    allowed = {"displayName", "startDateTime", "endDateTime"}
    extra = set(spec) - allowed
    if extra:
        # The rest (keyId, secretText, hint) is read-only: Graph chooses them.
        raise bad_request(
            f"Property '{sorted(extra)[0]}' is read-only and cannot be set on passwordCredential."
        )
    name = spec.get("displayName")
    if name is not None and not isinstance(name, str):
        raise bad_request("Invalid value for 'displayName'.")
    start = _date(spec, "startDateTime", now)
    try:
        default_end = start + DEFAULT_SECRET_LIFETIME
    except OverflowError:  # a start near year 9999: only an explicit end can follow it
        default_end = datetime.max.replace(tzinfo=UTC)
    end = _date(spec, "endDateTime", default_end)
    if end <= start:
        raise bad_request("The endDateTime must be later than the startDateTime.")
    key_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    text = secret_text if secret_text is not None else _new_secret_text(rng)
    credential = {
        "customKeyIdentifier": None,
        "displayName": name,
        "endDateTime": iso(end),
        "hint": text[:3],
        "keyId": key_id,
        "secretText": None,
        "startDateTime": iso(start),
    }
    return credential, text


def _date(spec: dict[str, Any], key: str, default: datetime) -> datetime:
    value = spec.get(key)
    if value is None:
        return default
    if not isinstance(value, str) or not is_datetime(value):
        raise bad_request(f"Invalid value for '{key}': expected a date and time (ISO 8601).")
    return _aware(parse_iso(value))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def is_expired(credential: dict[str, Any], now: datetime) -> bool:
    end = credential.get("endDateTime")
    return isinstance(end, str) and _aware(parse_iso(end)) <= now
