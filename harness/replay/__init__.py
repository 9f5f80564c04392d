"""Replaying a customer's exported provisioning logs (docs/replay.md).

- ``sources.read_export`` reads any export (JSON download, Graph pages, CSV three-file set, Log
  Analytics rows) into normalised ``records.Record``s; ``read_csv.write_csv_set`` writes the set;
- ``importer.import_export`` turns them (and optionally the job's schema) into a case file,
  ``anonymise.Pseudonymiser`` first replaces identifiers if asked;
- ``replay.replay`` runs the case and ``compare`` diffs our decisions with theirs; ``report``
  renders the verdict; ``command`` holds ``harness import`` and ``harness replay``.
"""
