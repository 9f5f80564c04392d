"""How many examples a property test tries: ``@settings(max_examples=examples(400))``.

In ordinary runs a test tries the count it names. Under mutmut every surviving mutant runs every
property test that reaches it, so ``tests/support/mutation_order.py`` (loaded only by mutmut)
sets ``MUTATION_MAX_EXAMPLES`` and the count is capped to it: the derandomised first examples
of a test find what a mutant breaks as well as its hundreds do (docs/testing.md, "Mutation
testing", says how that was checked). ``MUTATION_MAX_EXAMPLES=0`` keeps the named counts.
"""

from __future__ import annotations

import os

MUTATION_MAX_EXAMPLES = "MUTATION_MAX_EXAMPLES"


def examples(count: int) -> int:
    """``count``, or the mutation run's cap when that is smaller. Read when the test module is
    imported, i.e. after pytest's plugins are configured."""
    cap = int(os.environ.get(MUTATION_MAX_EXAMPLES, "0") or 0)
    return min(count, cap) if cap > 0 else count
