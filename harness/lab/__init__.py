"""Labs: both fakes, one virtual clock and the engine, in this process (:class:`Lab`) or
reached over HTTP (:class:`RemoteLab`); the backends that choose between them; state files."""

from harness.lab.local import Lab
from harness.lab.surface import LAB_USER_AGENT

__all__ = ["LAB_USER_AGENT", "Lab"]
