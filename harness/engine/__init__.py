"""The simulation of the Entra provisioning service: cycles, scope, matching, exports, logs.

Entry points: :class:`harness.engine.service.ProvisioningService` (runs cycles on the lab's
clock) and :class:`harness.engine.cycle.Cycle` (one cycle). The engine reaches Graph and the SCIM
target only over HTTP, through the transport it is given (:mod:`harness.http`).
"""
