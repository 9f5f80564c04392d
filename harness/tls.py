"""A per-run certificate authority for serving the fakes over HTTPS (``harness serve --tls``).

Made with ``trustme`` (a well-kept library for exactly this: a throwaway CA and leaf
certificates for tests) rather than hand-written ``cryptography`` code. The CA certificate is
written to ``ca.pem`` in a directory of its own; clients trust it through that path (the ready
file's ``ca_bundle``) or through :meth:`RunAuthority.client_context`. Nothing here turns
certificate verification off: a client context verifies the chain and the host name.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
from collections.abc import Iterable
from pathlib import Path

import trustme

# Names every run's server certificate covers; ``harness serve --host NAME`` adds NAME.
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
# A wildcard bind is not a name a client can reach or verify.
WILDCARD_HOSTS = {"0.0.0.0", "::", ""}


class RunAuthority:
    """A CA made for this run, one server certificate for ``names``, and their files."""

    def __init__(self, names: Iterable[str] = (), directory: Path | None = None) -> None:
        wanted = [*LOOPBACK_NAMES, *(n for n in names if n not in WILDCARD_HOSTS)]
        self.names: tuple[str, ...] = tuple(dict.fromkeys(wanted))
        self._ca = trustme.CA(organization_name="Entra-Miro harness (per-run test CA)")
        self._leaf = self._ca.issue_cert(*self.names)
        self._own_directory = directory is None
        self.directory = directory or Path(tempfile.mkdtemp(prefix="harness-tls-"))
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ca_bundle = self.directory / "ca.pem"
        self.certificate = self.directory / "server.pem"
        self.private_key = self.directory / "server.key"
        self._ca.cert_pem.write_to_path(str(self.ca_bundle))
        # The leaf first, then the CA: the chain a server sends.
        self.certificate.write_bytes(b"".join(blob.bytes() for blob in self._leaf.cert_chain_pems))
        self._leaf.private_key_pem.write_to_path(str(self.private_key))
        self.private_key.chmod(0o600)

    def server_context(self) -> ssl.SSLContext:
        """What a listener wraps its socket with."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._leaf.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this run's CA (and verifies host names)."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        self._ca.configure_trust(context)
        return context

    def close(self) -> None:
        """Remove the files (only a directory this object made itself)."""
        if self._own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)
