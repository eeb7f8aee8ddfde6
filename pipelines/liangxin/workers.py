"""Worker processes of a batch (``ingest_paths``): they must not outlive the process that started them.

A ``ProcessPoolExecutor`` worker waits on a queue whose write end its siblings also hold, so when the parent is
killed (SIGKILL, OOM) the workers would wait forever.  :func:`exit_with_parent`, the pool's initializer, watches
the parent's sentinel (readable once the parent has exited) in a daemon thread and ends the worker at once.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from multiprocessing.connection import wait


def exit_with_parent() -> None:
    parent = multiprocessing.parent_process()
    if parent is None:  # pragma: no cover - only ever run as a pool initializer
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="liangxin-parent-watch", daemon=True).start()
