"""The one error the demo raises: an outcome that differs from the how-to."""


class ScenarioFailed(Exception):
    """A step's outcome differs from the how-to (the message says which and how)."""
