"""What reading a capture produced: the events, and an account of every file and skipped line."""

from __future__ import annotations

from dataclasses import dataclass

from flowinsight.model.events import Event


@dataclass(frozen=True, slots=True)
class Skipped:
    """One line that was not used, and why (for one-line diagnostics)."""

    path: str
    line: int
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class FileReport:
    """The account of one event file."""

    path: str  # relative to the argument it was found under, with that argument's name first
    lines: int
    events: int
    skipped: tuple[tuple[str, int], ...]  # (reason, count), sorted by reason
    ignored: tuple[tuple[str, int], ...]  # valid lines of kinds flowinsight does not use
    truncated: bool  # ends in a cut-off line
    # events left out because an earlier file (or line) already held them: the same event id
    # and content, as when a rotated file and the live one overlap. Not counted in `events`.
    duplicates: int = 0

    @property
    def skipped_total(self) -> int:
        return sum(n for _, n in self.skipped)

    @property
    def empty(self) -> bool:
        return self.lines == 0


@dataclass(frozen=True, slots=True)
class ReadAccount:
    """What reading the inputs amounted to, without the events themselves: what a reader that
    reduces events as it goes (in parallel, or file by file) hands on with its partial results."""

    files: tuple[FileReport, ...]
    examples: tuple[Skipped, ...]  # the first few skipped lines, to show the user
    events: int  # events kept (duplicates left out)

    @property
    def lines(self) -> int:
        return sum(f.lines for f in self.files)

    @property
    def skipped_total(self) -> int:
        return sum(f.skipped_total for f in self.files)

    @property
    def duplicates(self) -> int:
        """Events read twice (same event_id and content, e.g. rotated and live file)."""
        return sum(f.duplicates for f in self.files)

    def event_log_folders(self, source: str) -> int:
        """How many folders hold an event log of this Ray component (`event_RAYLET.log`,
        rotated or compressed too): one per Ray node whose `logs/events` was read, for a
        process every node runs. An empty log counts: it says the component wrote none."""
        name = f"event_{source}.log"
        return len({f.path.rpartition("/")[0] for f in self.files
                    if f.path.rpartition("/")[2].startswith(name)})

    def skipped_by_reason(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for f in self.files:
            for reason, n in f.skipped:
                totals[reason] = totals.get(reason, 0) + n
        return dict(sorted(totals.items()))


@dataclass(frozen=True, slots=True)
class Capture:
    """Everything read from the inputs, in a deterministic order."""

    events: tuple[Event, ...]
    files: tuple[FileReport, ...]
    examples: tuple[Skipped, ...]  # the first few skipped lines, to show the user

    @property
    def skipped_total(self) -> int:
        return self.account.skipped_total

    @property
    def duplicates(self) -> int:
        return self.account.duplicates

    @property
    def account(self) -> ReadAccount:
        return ReadAccount(self.files, self.examples, len(self.events))
