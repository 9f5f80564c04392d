"""Helpers the tests import (clients, clocks, request bodies, assertions). Fixtures stay in the
conftest.py files; no test imports from a conftest or from another test module."""
