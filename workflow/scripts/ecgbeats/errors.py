"""The one exception type for bad input: its message names the record or file and the setting in
plain words (the workflow's config checks are the ones that name config keys)."""


class InputError(ValueError):
    """Bad input data or configuration, explained in terms the user can act on."""


def raise_problems(what: str, problems: list[str]) -> None:
    """Raise one InputError listing every problem found in `what` (e.g. "training settings"),
    so the user sees them all at once; nothing when there are none."""
    if problems:
        raise InputError(f"{what}: " + "; ".join(problems))
