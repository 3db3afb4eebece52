"""The one exception type for bad input: its message names the record, file or config key."""


class InputError(ValueError):
    """Bad input data or configuration, explained in terms the user can act on."""
