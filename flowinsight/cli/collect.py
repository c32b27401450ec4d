"""`flowinsight collect`: receive Ray's event export (the aggregator agent's POSTs) into the
session folders, for `analyze`/`export` to read with the rest (flowinsight/collect.py)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType

import click

from flowinsight.errors import UsageError
from flowinsight.units import counted


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback must be asked for: the events "
                   "name every task of the cluster.")
@click.option("--port", type=click.IntRange(0, 65535), default=0,
              help="Port to listen on (default 0: a free one, printed).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None,
              help="Write every event here (default: <ray temp>/<event's session>/logs/"
                   "ray_events, the ray temp folder from RAY_TMPDIR or /tmp/ray).")
@click.option("--max-request-mb", type=click.IntRange(min=1), default=64, show_default=True,
              help="Largest request accepted (413 above).")
@click.option("--max-output-mb", type=click.IntRange(min=1), default=4096, show_default=True,
              help="Most bytes written in all (507 once reached).")
@click.option("--fsync", is_flag=True, help="fsync each batch before answering it.")
def collect(host: str, port: int, out_dir: Path | None, max_request_mb: int,
            max_output_mb: int, fsync: bool) -> None:
    """Receive Ray's event export and append it as NDJSON to the session's logs/ray_events.

    \b
    Examples (Ray 2.49+; Ray's aggregator agent needs ray[default]):
      flowinsight collect --port 8787 &
      RAY_enable_core_worker_ray_event_to_aggregator=1 RAY_enable_ray_event=1 \\
      RAY_DASHBOARD_AGGREGATOR_AGENT_EVENTS_EXPORT_ADDR=http://127.0.0.1:8787 python job.py
    Add RAY_record_task_actor_creation_sites=1 for call sites. Stop with Ctrl-C or SIGTERM.
    """
    from flowinsight.collect import Receiver, Sink, is_loopback, ray_temp_dir

    sink = Sink(out_dir, ray_temp_dir(), max_output_mb << 20, fsync)
    try:
        receiver = Receiver(sink, host, port, max_request_mb << 20)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    if not is_loopback(host):
        click.echo(f"flowinsight collect: listening on {host}, not only loopback", err=True)
    where = out_dir if out_dir is not None else f"{ray_temp_dir()}/<session>/logs/ray_events"
    click.echo(f"flowinsight collect: listening on {receiver.url}, writing to {where}")
    click.echo(f"  RAY_enable_core_worker_ray_event_to_aggregator=1 "
               f"RAY_DASHBOARD_AGGREGATOR_AGENT_EVENTS_EXPORT_ADDR={receiver.url}")
    sys.stdout.flush()

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        receiver.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        receiver.server_close()
        sink.close()
    counts = sink.counts
    click.echo(f"flowinsight collect: {counted(counts.batches, 'batch', 'batches')}, "
               f"{counted(counts.events, 'event')}, {counted(counts.bytes, 'byte')} into "
               f"{counted(len(counts.files), 'file')}; "
               f"{counted(counts.rejected, 'request')} refused", err=True)
