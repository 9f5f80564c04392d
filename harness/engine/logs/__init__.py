"""Provisioning logs: the entries a cycle builds and the store they are kept in."""
