"""Output shared by the validation and benchmark harnesses: whole files, lines that fit."""
from __future__ import annotations

import os
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Callable

__all__ = ["atomic_write", "fit", "clip", "clock", "Heartbeat", "WIDTH", "HEARTBEAT_S"]

#: The width, in columns, of every line the ``pdeopt`` command prints.
WIDTH = 100
#: Seconds of silence after which a running validation or benchmark says it still runs.
HEARTBEAT_S = 5.0


def atomic_write(path, data: bytes | str) -> None:
    """Write ``path`` through a temporary file and a rename: never half-written.

    A reader (or a run interrupted by Ctrl-C) sees the old file or the new one,
    never a mix: the temporary file lives in the same folder, so ``os.replace``
    is one atomic rename.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; its folder must exist.
    data : str or bytes
        Text (written as UTF-8) or bytes.

    Examples
    --------
    >>> import os, tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> atomic_write(folder / "a.txt", "one")
    >>> atomic_write(folder / "a.txt", b"two")
    >>> (folder / "a.txt").read_text(), os.listdir(folder)
    ('two', ['a.txt'])
    >>> import shutil; shutil.rmtree(folder)
    """
    path = Path(path)
    mode = "w" if isinstance(data, str) else "wb"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def fit(line: str, width: int = WIDTH, indent: int = 8) -> str:
    """``line`` wrapped at spaces into lines of at most ``width`` columns.

    The first line keeps its leading spaces, the others are indented by ``indent``
    (or as much as the first); runs of spaces inside a line (aligned columns) are kept, and
    so is a word longer than the line (a path stays whole, to be copied).

    Examples
    --------
    >>> print(fit("  PASS  a check with a long name and a note", width=24, indent=8))
      PASS  a check with
            a long name and
            a note
    >>> fit("short", width=24)
    'short'
    """
    if len(line) <= width:
        return line
    lead = len(line) - len(line.lstrip(" "))
    return "\n".join(textwrap.wrap(line, width, subsequent_indent=" " * max(indent, lead),
                                   break_long_words=False, break_on_hyphens=False))


def clip(line: str, width: int = WIDTH) -> str:
    """``line`` cut to ``width`` columns, ending in ``…`` where it was cut (table rows).

    Examples
    --------
    >>> clip("| a | b | c |", width=8)
    '| a | b…'
    """
    return line if len(line) <= width else line[:width - 1] + "…"


def clock(seconds: float) -> str:
    """A duration for a progress line: ``0.4 s``, ``42 s``, ``3 min 05 s``, ``2 h 07 min``.

    Examples
    --------
    >>> clock(0.42), clock(41.6), clock(185), clock(7640)
    ('0.4 s', '42 s', '3 min 05 s', '2 h 07 min')
    """
    if seconds < 9.95:
        return f"{seconds:.1f} s"
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class Heartbeat:
    """Prints through ``echo``, and says what is running is still running after ``interval``
    seconds of silence (default :data:`HEARTBEAT_S`): a long step (a training run, a large
    solve) shows it is alive. Use it as a context; :meth:`watch` names what runs.

    A daemon thread waits on an Event; a lock keeps its lines whole between the others.

    Examples
    --------
    >>> import time
    >>> lines = []
    >>> with Heartbeat(lines.append, interval=0.05) as beat:
    ...     beat.watch("demo")
    ...     time.sleep(0.3)
    >>> lines[0]
    '  ...   demo still running  [0 s]'
    """

    def __init__(self, echo: Callable[[str], None], interval: float | None = None):
        self._print = echo
        self._interval = HEARTBEAT_S if interval is None else interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._last = time.perf_counter()
        self._name, self._t0 = None, 0.0
        self._thread = threading.Thread(target=self._beat, name="pdeopt-heartbeat", daemon=True)

    def echo(self, text: str) -> None:
        with self._lock:
            self._print(text)
            self._last = time.perf_counter()

    def watch(self, name: str | None) -> None:
        """Name what runs now (a validation, a benchmark group; None: nothing)."""
        with self._lock:
            self._name, self._t0 = name, time.perf_counter()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        wait = self._interval
        while not self._stop.wait(wait):
            with self._lock:
                now = time.perf_counter()
                if self._name is not None and now - self._last >= self._interval:
                    try:
                        self._print(f"  ...   {self._name} still running  "
                                    f"[{now - self._t0:.0f} s]")
                    except (OSError, ValueError):  # stdout closed: the main thread will see it
                        return
                    self._last = now
                wait = max(self._last + self._interval - now, 0.01)
