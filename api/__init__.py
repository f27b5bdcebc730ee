"""The REST API (docs/api.md): what the pages show, for scripts, under the pages' own rules."""
