"""The one error the kit raises: bad control-plane input. Each fake renders it in its own wire
format (a Graph error envelope, or the Miro fake's ``{"error": ...}`` body)."""

from __future__ import annotations


class ControlError(Exception):
    """A control-plane request the fake refuses: an HTTP status and a message for people."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_input(message: str) -> ControlError:
    return ControlError(400, message)
