"""The per-object pipelines of a cycle: users, then groups and their memberships."""
