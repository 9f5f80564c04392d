"""The simulation of the Entra provisioning service: cycles, scope, matching, exports, logs.

Entry points: :class:`harness.engine.service.ProvisioningService` (runs cycles on the lab's
clock) and :class:`harness.engine.cycle.Cycle` (one cycle). The engine reaches Graph and the SCIM
target only over HTTP, through the transport it is given (:mod:`harness.http`).

How a cycle is put together: :class:`~harness.engine.cycle.Cycle` builds one
:class:`~harness.engine.context.CycleContext` (what the cycle knows and the bookkeeping it
keeps) and hands it to the parts that do the work, each taking its collaborators in its
constructor: :mod:`~harness.engine.delta_import` (read the directory's changes),
:mod:`~harness.engine.pipelines` (one user or group at a time, with the shared steps),
:mod:`~harness.engine.failures` (escrows, held deletions, quarantine) and
:mod:`~harness.engine.recorder` (each object's log entry and counters).
:mod:`~harness.engine.rules` holds the pure rules (expressions, scoping, schema, mappings, SCIM
payloads); it imports nothing of the engine around it.
"""
