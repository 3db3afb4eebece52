"""The one exception type for bad input: its message names the record or file and the setting in
plain words (the workflow's config checks are the ones that name config keys)."""


class InputError(ValueError):
    """Bad input data or configuration, explained in terms the user can act on."""
