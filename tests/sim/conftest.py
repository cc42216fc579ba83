"""Makes the conformance suite's ``vehicle_target`` fixture (built-in simulator always, real PX4 SITL
when ``PX4_SITL_BUILD`` is set) available to every ``sitl`` test of the simulator package."""

from tests.sim.conformance.conftest import vehicle_target

__all__ = ["vehicle_target"]
