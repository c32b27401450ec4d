"""One error type for "the input or the options are wrong": caught once, printed as one line."""


class UsageError(Exception):
    """Bad input or options. The CLI prints the message alone and exits with status 2."""
