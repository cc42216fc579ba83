"""Launch and supervise a real PX4 SITL (SIH, no Gazebo) wired like the built-in simulator.

Point ``PX4_SITL_BUILD`` at a PX4-Autopilot build directory (the one containing ``bin/px4`` and
``etc/``, e.g. ``PX4-Autopilot/build/px4_sitl_default``). Tests marked ``sitl`` then run against it too.
"""

from sim.px4.launcher import Px4SitlInstance, Px4SitlNotConfigured, px4_build_dir, start_px4_sitl

__all__ = ["Px4SitlInstance", "Px4SitlNotConfigured", "px4_build_dir", "start_px4_sitl"]
