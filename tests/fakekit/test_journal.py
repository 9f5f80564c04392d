"""The request journal: bounded, bodies kept as bytes and decoded on read."""

from __future__ import annotations

import json

from werkzeug.datastructures import EnvironHeaders

from fakekit import Journal, RawBody
from fakekit.journal import COMPRESS_ABOVE, request_headers


def test_bodies_decode_by_content_type() -> None:
    assert RawBody.keep(b'{"a": 1}', "application/scim+json").decode() == {"a": 1}
    assert RawBody.keep(b"{not json", "application/json").decode() == "{not json"
    assert RawBody.keep(b'{"a": 1}', "text/plain").decode() == '{"a": 1}'
    assert RawBody.keep(b"", "application/json").decode() is None
    assert RawBody.keep(b"\xff", None).decode() == "\ufffd"


def test_large_bodies_are_kept_compressed_and_read_back_whole() -> None:
    data = json.dumps({"value": ["x" * 10] * 1000}).encode()
    assert len(data) > COMPRESS_ABOVE
    kept = RawBody.keep(data, "application/json")
    assert kept.compressed and len(kept.data) < len(data)
    assert kept.decode() == json.loads(data)
    assert not RawBody.keep(b"{}", "application/json").compressed


def test_entries_are_decoded_on_read_and_stored_raw() -> None:
    journal = Journal()
    journal.record({"path": "/a", "body": RawBody.keep(b"[1]", "application/json")})
    journal.record({"path": "/b", "body": None})
    assert journal.entries() == [{"path": "/a", "body": [1]}, {"path": "/b", "body": None}]
    assert isinstance(journal.stored()[0]["body"], RawBody)
    assert len(journal) == 2


def test_the_limit_keeps_the_latest_and_can_change() -> None:
    journal = Journal(limit=2)
    for n in range(3):
        journal.record({"n": n})
    assert [e["n"] for e in journal.entries()] == [1, 2]
    journal.limit = 1
    assert journal.limit == 1 and [e["n"] for e in journal.entries()] == [2]
    journal.limit = None
    for n in range(3, 6):
        journal.record({"n": n})
    assert len(journal) == 4


def test_clear_answers_how_many_were_forgotten() -> None:
    journal = Journal()
    journal.record({"n": 1})
    journal.record({"n": 2})
    assert journal.clear() == 2 and journal.entries() == [] and journal.clear() == 0


def test_request_headers_are_werkzeugs_headers_in_werkzeugs_order() -> None:
    environ = {
        "REQUEST_METHOD": "POST",
        "HTTP_HOST": "miro.local",
        "HTTP_X_FAKE_UNMETERED": "1",
        "wsgi.input": object(),
        "CONTENT_TYPE": "application/scim+json",
        "CONTENT_LENGTH": "",  # empty: not a header
        "HTTP_CONTENT_TYPE": "ignored",  # werkzeug reads CONTENT_TYPE instead
        "HTTP_COOKIE": "a=b",
        "HTTP_ACCEPT_ENCODING": "gzip",
    }
    expected = {k: v for k, v in EnvironHeaders(environ).items() if k != "Cookie"}
    assert request_headers(environ, {"Cookie"}) == expected
    assert list(request_headers(environ, {"Cookie"})) == list(expected)
    assert list(expected) == ["Host", "X-Fake-Unmetered", "Content-Type", "Accept-Encoding"]
    assert request_headers({**environ, "CONTENT_LENGTH": "12"})["Content-Length"] == "12"
    assert request_headers(environ)["Cookie"] == "a=b"
