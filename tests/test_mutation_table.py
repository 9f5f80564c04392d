"""The mutation-score table of docs/testing.md (tools/mutation_table.py)."""

from __future__ import annotations

from tools.mutation_table import TESTING_DOC, count, listed_equivalents, row

RESULTS = """\
    harness.engine.rules.scoping.x_a__mutmut_1: killed
    harness.engine.rules.scoping.x_a__mutmut_2: timeout
    harness.engine.rules.scoping.x_a__mutmut_3: survived
    harness.engine.rules.scoping.x_a__mutmut_4: no tests
    harness.engine.rules.scoping.x_a__mutmut_5: survived
    harness.engine.rules.scoping.x_a__mutmut_6: not checked
    mock_miro.patch.xǁUserPatcherǁ_apply__mutmut_1: killed
"""


def test_score_counts_timeouts_as_killed_and_unreached_as_survived() -> None:
    equivalent = {"harness.engine.rules.scoping.x_a__mutmut_5"}
    counts = count(RESULTS, equivalent)
    assert row("scoping", counts["scoping"], "2026-12-06", "abc1234") == (
        "| scoping | 6 | 2 | 2 | 1 | 50.0 % | 2026-12-06 | abc1234 |"
    )
    assert row("Miro PATCH", counts["Miro PATCH"], "d", "c") == (
        "| Miro PATCH | 1 | 1 | 0 | 0 | 100.0 % | d | c |"
    )
    assert row("Miro filters", counts["Miro filters"], "d", "c") == (
        "| Miro filters | 0 | 0 | 0 | 0 | n/a | d | c |"
    )


def test_equivalents_are_the_names_under_their_heading() -> None:
    text = (
        "## Mutation testing\n`a.x_b__mutmut_1` survives\n### Equivalent mutants\n"
        "- `a.x_b__mutmut_2`: why; `a.xǁCǁd__mutmut_3` too\n#### One module\n"
        "- `a.x_b__mutmut_4`: why\n### Import-time code\n- `a.x_b__mutmut_5`\n"
    )
    assert listed_equivalents(text) == {"a.x_b__mutmut_2", "a.xǁCǁd__mutmut_3", "a.x_b__mutmut_4"}


def test_the_testing_page_lists_its_equivalents_under_the_heading() -> None:
    assert "### Equivalent mutants" in TESTING_DOC.read_text("utf-8")
