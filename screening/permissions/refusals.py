"""The one kind of refusal a service raises for a person to read."""


class Refused(Exception):
    """The action is not allowed now; `str(error)` is the sentence for the person.

    Each part of screening refuses in its own words with its own subclass (ScreeningRefused,
    ImportRefused); a view shows any of them the same way (screening/permissions/actions.py)."""
