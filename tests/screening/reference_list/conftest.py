from tests.screening.permissions.world import world, world_module  # noqa: F401  (the blind-screening fixtures)
