from tests.screening.permissions.world import world  # noqa: F401  (the blind-screening fixture)
