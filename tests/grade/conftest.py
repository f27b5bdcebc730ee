from tests.extraction.conftest import included  # noqa: F401  (the included reports fixture)
