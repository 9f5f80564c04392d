"""Simulation of the Entra ID provisioning engine between the Graph and Miro fakes."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("entra-miro-harness")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
