"""The provisioning-log store, its $filter language and the auditLogs/provisioning route."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from harness.engine.logs.store import LogQueryError, LogStore, parse_filter
from harness.graph_api.provisioning_logs import create_blueprint
from mock_graph.exceptions import GraphError


def _entry(
    n: int,
    *,
    job: str = "job1",
    cycle: str = "c1",
    source: str = "u1",
    action: str = "create",
    status: str = "success",
) -> dict[str, Any]:
    return {
        "id": f"id{n}",
        "activityDateTime": f"2026-01-05T09:{n:02d}:00Z",
        "jobId": job,
        "cycleId": cycle,
        "changeId": f"ch{n}",
        "provisioningAction": action,
        "provisioningStatusInfo": {"status": status, "errorInformation": None},
        "sourceIdentity": {"id": source, "displayName": f"user {source}"},
    }


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    store = LogStore()
    store.extend(
        [
            _entry(1, source="u1"),
            _entry(2, source="u2", action="update"),
            _entry(3, source="u1", cycle="c2", action="disable"),
            _entry(4, source="u3", cycle="c2", action="other", status="skipped"),
            _entry(5, source="u1", cycle="c3", job="job2", status="failure"),
        ]
    )
    app.extensions["harness_logs"] = store
    app.register_blueprint(create_blueprint())

    @app.errorhandler(GraphError)
    def _graph_error(exc: GraphError):  # type: ignore[no-untyped-def]
        return exc.body({}), exc.status

    return app


def _ids(app: Flask, **params: str) -> list[str]:
    response = app.test_client().get("/v1.0/auditLogs/provisioning", query_string=params)
    assert response.status_code == 200, response.json
    return [e["id"] for e in response.json["value"]]


def test_newest_first_by_default_and_oldest_first_on_request(app: Flask) -> None:
    assert _ids(app) == ["id5", "id4", "id3", "id2", "id1"]
    assert _ids(app, **{"$orderby": "activityDateTime asc"}) == ["id1", "id2", "id3", "id4", "id5"]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("jobId eq 'job2'", ["id5"]),
        ("cycleId eq 'c2'", ["id4", "id3"]),
        ("sourceIdentity/id eq 'u1'", ["id5", "id3", "id1"]),
        ("provisioningAction eq 'disable'", ["id3"]),
        ("provisioningStatusInfo/status eq 'skipped'", ["id4"]),
        ("sourceIdentity/id eq 'u1' and jobId eq 'job1'", ["id3", "id1"]),
        ("provisioningAction eq 'update' or provisioningAction eq 'disable'", ["id3", "id2"]),
        ("not (jobId eq 'job1')", ["id5"]),
        ("provisioningAction ne 'create'", ["id4", "id3", "id2"]),
        ("contains(sourceIdentity/displayName, 'u3')", ["id4"]),
        ("startswith(changeId, 'ch2')", ["id2"]),
        ("activityDateTime ge 2026-01-05T09:04:00Z", ["id5", "id4"]),
        ("sourceIdentity/id eq 'nobody'", []),
    ],
)
def test_filters(app: Flask, expr: str, expected: list[str]) -> None:
    assert _ids(app, **{"$filter": expr}) == expected


def test_paging_follows_absolute_next_links(app: Flask) -> None:
    client = app.test_client()
    response = client.get(
        "/v1.0/auditLogs/provisioning", query_string={"$top": "2", "$filter": "jobId eq 'job1'"}
    )
    seen = [e["id"] for e in response.json["value"]]
    while "@odata.nextLink" in response.json:
        link = response.json["@odata.nextLink"]
        assert link.startswith("http://localhost/v1.0/auditLogs/provisioning?$skiptoken=")
        response = client.get(link.replace("http://localhost", ""))
        seen += [e["id"] for e in response.json["value"]]
    assert seen == ["id4", "id3", "id2", "id1"]


def test_get_one_entry_and_unknown_entry(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/v1.0/auditLogs/provisioning/id3").json["provisioningAction"] == "disable"
    missing = client.get("/v1.0/auditLogs/provisioning/nope")
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "Request_ResourceNotFound"


@pytest.mark.parametrize(
    "params",
    [
        {"$filter": "jobId eq"},
        {"$filter": "jobId eqq 'x'"},
        {"$filter": "(jobId eq 'x'"},
        {"$filter": "jobId eq 'x' junk"},
        {"$top": "0"},
        {"$top": "abc"},
        {"$top": "5000"},
        {"$orderby": "id desc"},
        {"$skiptoken": "!!!"},
    ],
)
def test_bad_queries_answer_400_in_graphs_envelope(app: Flask, params: dict[str, str]) -> None:
    response = app.test_client().get("/v1.0/auditLogs/provisioning", query_string=params)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "BadRequest"
    assert response.json["error"]["message"]


def test_parse_filter_errors_name_the_problem() -> None:
    with pytest.raises(LogQueryError, match="unsupported operator"):
        parse_filter("jobId like 'x'")


def test_indexed_lookup_reads_only_matching_entries() -> None:
    store = LogStore()
    store.extend(_entry(i, source=f"u{i % 100}") for i in range(50))
    page, more = store.query(parse_filter("sourceIdentity/id eq 'u7'"), limit=10)
    assert [e["id"] for _, e in page] == ["id7"]
    assert more is False


def test_stored_entries_answer_exactly_what_was_appended() -> None:
    # Entries are kept as compact JSON and decoded on read: nothing may change on the way.
    entry = {
        **_entry(1),
        "details": {"note": "é ✓ \u2028", "n": 1.5, "list": [1, None, True]},
        "modifiedProperties": [{"displayName": "a", "oldValue": None, "newValue": '["x"]'}],
    }
    store = LogStore()
    store.append(entry)
    page, _ = store.query(parse_filter("id eq 'id1'"))
    assert page == [(0, entry)]
    assert store.all() == [entry]
    assert store.all()[0] is not store.all()[0]  # a caller editing its copy changes nothing stored


def test_take_hands_over_every_entry_in_order_and_leaves_the_store_empty() -> None:
    store = LogStore()
    store.extend(_entry(i, cycle="c1") for i in range(3))
    taken = store.take()
    store.append(_entry(3, cycle="c2"))  # appended after the take: the next take's
    assert [e["id"] for e in taken] == ["id0", "id1", "id2"]
    assert len(store) == 1
    assert store.query(parse_filter("cycleId eq 'c1'")) == ([], False)  # indexes emptied too
    assert [e["id"] for e in store.take()] == ["id3"]
    assert (len(store), list(store.take())) == (0, [])


def test_a_diverted_store_hands_each_entry_to_the_sink_and_keeps_none() -> None:
    store = LogStore()
    store.append(_entry(0))
    seen: list[dict[str, Any]] = []
    with store.diverted(seen.append):
        store.extend(_entry(i) for i in (1, 2))
        assert len(store) == 1  # the entry from before stays; the diverted ones are not kept
        assert store.query(parse_filter("id eq 'id1'")) == ([], False)
    store.append(_entry(3))  # after the divert: stored again
    assert [e["id"] for e in seen] == ["id1", "id2"]
    assert [e["id"] for e in store.all()] == ["id0", "id3"]


def test_a_store_is_diverted_to_one_sink_at_a_time() -> None:
    store = LogStore()
    first, second = store.diverted(lambda entry: None), store.diverted(lambda entry: None)
    with first, pytest.raises(RuntimeError, match="already diverted"), second:
        pass
    store.append(_entry(1))  # the refused divert left the first one's end to undo it
    assert len(store) == 1


@pytest.mark.parametrize("descending", [True, False])
def test_unfiltered_pages_resume_past_the_last_position(descending: bool) -> None:
    store = LogStore()
    store.extend([_entry(n) for n in range(1, 8)])
    seen: list[str] = []
    after: int | None = None
    more = True
    while more:
        page, more = store.query(descending=descending, after=after, limit=3)
        seen += [entry["id"] for _, entry in page]
        after = page[-1][0]
    expected = [f"id{n}" for n in range(1, 8)]
    assert seen == (expected[::-1] if descending else expected)
    assert store.query(descending=descending, after=after, limit=3) == ([], False)
