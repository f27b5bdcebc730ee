from .world import world, world_module  # noqa: F401  (the fixtures)
