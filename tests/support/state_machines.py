"""Budgets for the model-based tests (hypothesis ``RuleBasedStateMachine``): CI runs a small,
derandomised profile (the same steps every run); ``MODEL_STEPS=10000`` runs at least that many
steps per machine, randomised (hypothesis's own seed, printed on a failure)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

LONG_RUN_STEPS = int(os.environ.get("MODEL_STEPS", "0") or 0)


def machine_settings(*, examples: int, steps: int) -> settings:
    """``examples`` runs of ``steps`` steps in CI; with ``MODEL_STEPS`` set, enough runs of
    ``steps`` steps for at least that many steps in all (hypothesis may end a run early when a
    rule cannot apply, so the count is rounded up by a quarter)."""
    if LONG_RUN_STEPS:
        runs = -(-LONG_RUN_STEPS * 5 // 4 // steps)
        return settings(
            max_examples=runs,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
        print_blob=True,
    )


# Steps taken per machine in this process; a long run prints them at each machine's teardown.
STEPS_TAKEN: dict[str, int] = {}


def count_step(machine: str) -> None:
    STEPS_TAKEN[machine] = STEPS_TAKEN.get(machine, 0) + 1


def report_steps(machine: str) -> None:
    if LONG_RUN_STEPS:
        print(f"{machine}: {STEPS_TAKEN.get(machine, 0)} steps")
