"""What both fakes share: fault rules, the request journal and the control-plane kit.

Imports neither fake: each fake passes in its own error type, so errors keep its wire format."""
