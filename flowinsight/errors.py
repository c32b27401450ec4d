"""The errors the CLI prints as one line: the input or the options are wrong (UsageError), or a
worker process died under the read (WorkerDied)."""


def printable(text: str) -> str:
    """`text` without control and format characters: a message may quote a file or member name
    taken from hostile input, and must not move the cursor, recolour or reorder a terminal."""
    return "".join(c if c.isprintable() else " " if c in "\t\n" else "" for c in text)


class UsageError(Exception):
    """Bad input or options. The CLI prints the message alone and exits with status 2."""

    def __init__(self, message: str) -> None:
        super().__init__(printable(message))


class InputTooLarge(UsageError):
    """A compressed file or an archive that decompresses beyond the configured cap."""


class WorkerDied(RuntimeError):
    """A worker process ended without answering for the files it had (killed, out of memory).
    The CLI prints the message alone and exits with status 3."""
