"""Support cases: a YAML file rebuilds a customer's situation, runs it and checks expectations.

- ``loader.load_case(path)`` reads and validates a file (``CaseError`` names file, line, field);
- ``runner.run_case(case, backend)`` plays it in a fresh lab and returns a ``CaseResult``;
- ``report`` renders the result for a terminal, as JSON or as a self-contained HTML page;
- ``command.run`` is the ``harness run CASE.yaml`` click command.
"""
