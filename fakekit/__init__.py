"""What both fakes share: fault rules (:mod:`fakekit.faults`), the request journal
(:mod:`fakekit.journal`) and the ``/_fake/`` control plane (:mod:`fakekit.control`, the only
module that needs Flask). Imports neither fake (an import contract checks it); each fake passes
in what is its own."""

from fakekit.errors import ControlError
from fakekit.faults import ANY_METHOD, Fault, FaultBook
from fakekit.journal import Journal, RawBody

__all__ = ["ANY_METHOD", "ControlError", "Fault", "FaultBook", "Journal", "RawBody"]
