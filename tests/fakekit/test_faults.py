"""Fault rules: one vocabulary and one validation for both fakes."""

from __future__ import annotations

import random
from typing import Any

import pytest

from fakekit import ANY_METHOD, ControlError, FaultBook
from fakekit.faults import MAX_LATENCY_MS, parse_fault

DRAWS = random.Random(0)


@pytest.mark.parametrize("spec", [{}, {"method": None}, {"method": "*"}])
def test_any_method_is_written_star_and_accepted_in_every_form(spec: dict[str, Any]) -> None:
    fault = parse_fault({"path": "^/x$", "status": 500, **spec}, "fault-1")
    assert fault.method == ANY_METHOD == "*"
    assert fault.public()["method"] == "*"
    assert fault.fires("GET", "/x", DRAWS) and fault.fires("PATCH", "/x", DRAWS)


def test_a_named_method_matches_only_itself_in_any_case() -> None:
    fault = parse_fault({"method": "post", "path": "Users", "status": 503}, "fault-1")
    assert fault.method == "POST"
    assert not fault.fires("GET", "/api/v1/scim/Users", DRAWS)
    assert fault.fires("POST", "/api/v1/scim/Users", DRAWS)


@pytest.mark.parametrize(
    "spec",
    [
        [1],
        "fault",
        {"path": "(", "status": 500},
        {"path": 5, "status": 500},
        {"status": 99},
        {"status": 600},
        {"status": True},
        {"status": "500"},
        {"method": "FETCH", "status": 500},
        {"method": 5, "status": 500},
        {"status": 500, "times": 1, "probability": 0.1},
        {"status": 500, "times": 0},
        {"status": 500, "times": 1.5},
        {"status": 500, "probability": 1.5},
        {"status": 500, "probability": True},
        {"status": 500, "retry_after": -1},
        {"status": 500, "retry_after": 1.5},
        {"latency_ms": MAX_LATENCY_MS + 1},
        {"latency_ms": -1},
        {"latency_ms": "10"},
        {},
        {"path": ".*"},
        {"status": 500, "extra": 1},
    ],
)
def test_bad_specs_are_refused_with_a_400(spec: Any) -> None:
    with pytest.raises(ControlError) as refused:
        parse_fault(spec, "fault-1")
    assert refused.value.status == 400 and refused.value.message


def test_the_latency_cap_is_ten_minutes() -> None:
    assert parse_fault({"latency_ms": MAX_LATENCY_MS}, "fault-1").latency_ms == 600_000
    assert parse_fault({"latency_ms": 0.5, "status": 500}, "fault-1").latency_ms == 0.5


def test_any_json_body_is_kept_as_given() -> None:
    for body in ({"error": "x"}, ["a"], "text", 5, True):
        assert parse_fault({"status": 500, "body": body}, "fault-1").body == body


def test_times_counts_hits_and_the_exhausted_fault_stays_listed() -> None:
    book = FaultBook()
    book.add({"path": "^/a$", "status": 500, "times": 2})
    assert [book.match("GET", "/a") is not None for _ in range(3)] == [True, True, False]
    (listed,) = book.list()
    assert listed["hits"] == 2 and listed["times"] == 2


def test_the_first_fault_that_fires_wins() -> None:
    book = FaultBook()
    first = book.add({"path": "^/a", "status": 500, "times": 1})
    second = book.add({"path": "^/a", "status": 503})
    assert book.match("GET", "/a") is first
    assert book.match("GET", "/a") is second
    assert book.match("GET", "/b") is None


def test_probability_draws_are_seeded_per_book_and_start_over_on_reset() -> None:
    def outcomes(book: FaultBook) -> list[bool]:
        book.add({"path": "^/a", "status": 500, "probability": 0.5})
        return [book.match("GET", "/a") is not None for _ in range(40)]

    book = FaultBook()
    first = outcomes(book)
    assert first == outcomes(FaultBook()) and set(first) == {True, False}
    assert outcomes(FaultBook(seed=1)) != first
    book.reset()
    assert outcomes(book) == first


def test_only_matching_faults_draw() -> None:
    book = FaultBook()
    book.add({"path": "^/elsewhere", "status": 500, "probability": 0.5})
    book.add({"path": "^/a", "status": 500, "probability": 0.5})
    outcomes = [book.match("GET", "/a") is not None for _ in range(40)]
    alone = FaultBook()
    alone.add({"path": "^/a", "status": 500, "probability": 0.5})
    assert outcomes == [alone.match("GET", "/a") is not None for _ in range(40)]


def test_retry_after_for_429_is_the_books_choice() -> None:
    assert FaultBook().add({"status": 429}).retry_after is None
    graph_like = FaultBook(retry_after_for_429=1)
    assert graph_like.add({"status": 429}).retry_after == 1
    assert graph_like.add({"status": 429, "retry_after": 7}).retry_after == 7
    assert graph_like.add({"status": 503}).retry_after is None


def test_ids_count_on_after_clear_and_restart_after_reset() -> None:
    book = FaultBook()
    assert book.add({"status": 500}).id == "fault-1"
    book.clear()
    assert len(book) == 0 and book.add({"status": 500}).id == "fault-2"
    assert book.remove("fault-2") and not book.remove("fault-2")
    book.add({"status": 500})
    book.reset()
    assert book.list() == [] and book.add({"status": 500}).id == "fault-1"


def test_a_refused_spec_uses_no_id() -> None:
    book = FaultBook()
    with pytest.raises(ControlError):
        book.add({"status": 1})
    assert book.add({"status": 500}).id == "fault-1"


def test_public_form_has_every_field() -> None:
    fault = FaultBook().add({"method": "GET", "path": "^/a$", "status": 429, "retry_after": 2})
    assert fault.public() == {
        "id": "fault-1",
        "method": "GET",
        "path": "^/a$",
        "status": 429,
        "body": None,
        "retry_after": 2,
        "latency_ms": 0,
        "times": None,
        "probability": None,
        "hits": 0,
    }
