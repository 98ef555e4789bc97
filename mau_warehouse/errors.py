"""Errors that the `mau` command reports as one line and a non-zero exit."""


class MauError(Exception):
    """Bad arguments or bad input: the message is the one line the user sees."""
