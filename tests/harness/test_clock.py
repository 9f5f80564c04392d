from datetime import timedelta

import pytest

from harness.clock import EPOCH, VirtualClock, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("40m", timedelta(minutes=40)),
        ("0", timedelta(0)),
        ("1d", timedelta(days=1)),
        ("30d", timedelta(days=30)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("250ms", timedelta(milliseconds=250)),
        ("PT40M", timedelta(minutes=40)),
        ("P1DT2H", timedelta(days=1, hours=2)),
        (90, timedelta(seconds=90)),
    ],
)
def test_parse_duration(text: str | int, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["", "forty", "40x", "m40", "P", "-5", -5, None, "40m junk"])
def test_parse_duration_rejects(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)  # type: ignore[arg-type]


def test_format_duration_round_trips() -> None:
    for text in ("PT40M", "P1D", "PT6H", "P1DT1H1M1S", "PT0S"):
        assert format_duration(parse_duration(text)) == text


def test_virtual_clock_moves_only_when_told() -> None:
    clock = VirtualClock()
    assert clock.now() == EPOCH
    assert clock.now() == EPOCH
    assert clock.advance("40m") == EPOCH + timedelta(minutes=40)
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError):
        clock.set(EPOCH)


@pytest.mark.parametrize("huge", ["99999999999999999d", 1e300, "P99999999999D"])
def test_a_duration_too_large_for_a_timedelta_is_a_value_error(huge: object) -> None:
    with pytest.raises(ValueError, match="too large"):
        parse_duration(huge)  # type: ignore[arg-type]
