"""Processes that read submitted files: they must not outlive the process that started them, and they read
under a memory ceiling.

A ``ProcessPoolExecutor`` worker waits on a queue whose write end its siblings also hold, so when the parent is
killed (SIGKILL, OOM) the workers would wait forever.  :func:`exit_with_parent` watches the parent's sentinel
(readable once the parent has exited) in a daemon thread and ends the worker at once.

:func:`reader_init` (the initializer of every reading process: the batch workers of ``ingest_paths`` and the
single reader of :func:`liangxin.validate.core.prepare_file_bounded`) does that and caps the process's address
space (``RLIMIT_AS``) at its size once the reading modules are imported plus ``memory_mb`` (its argument:
``Settings.read_memory_mb``, i.e. ``LIANGXIN_READ_MEMORY_MB``, default :data:`READ_MEMORY_MB`): a file that gets past
every check of ``validate.reader`` and still asks for more memory makes the read fail (``MemoryError``, an F1
rejection) or, inside the Rust cell reader, ends that process only; the ingesting process turns that into an F1
rejection of the file and carries on.  See ``docs/security-input.md``.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from multiprocessing.connection import wait

from liangxin.settings import READ_MEMORY_MB  # address space a read may add; the largest accepted file needs ~500 MB

_limited: int | None = None  # the ceiling (bytes) set in this process by limit_memory
_limited_mb: int | None = None  # … and the ``mb`` it was given (named in the F1 message)


def exit_with_parent() -> None:
    parent = multiprocessing.parent_process()
    if parent is None:  # pragma: no cover - only ever run as a pool initializer
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="liangxin-parent-watch", daemon=True).start()


def _address_space() -> int:
    """This process's current address space (VmSize) in bytes; 0 where /proc is not available."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return 0


def limit_memory(mb: int = READ_MEMORY_MB) -> int | None:
    """Cap this process's address space at its current size plus ``mb`` MiB; the cap in bytes, or None where
    the platform has no ``RLIMIT_AS``.  Never raises the hard limit."""
    global _limited, _limited_mb
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return None
    limit = _address_space() + mb * 1024 * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    _limited, _limited_mb = limit, mb
    return limit


def ceiling_mb() -> int:
    """The ``mb`` of this process's ceiling (:func:`limit_memory`), else the default."""
    return _limited_mb if _limited_mb is not None else READ_MEMORY_MB


def memory_limited() -> bool:
    """Whether this process reads under the ceiling already (a worker or the bounded reader)."""
    return _limited is not None


def reader_init(memory_mb: int = READ_MEMORY_MB) -> None:
    """Initializer of every process that reads submitted files (``initargs=(settings.read_memory_mb,)``): the
    reading modules are imported first, so that the ceiling bounds what a file costs, never the process's own
    start-up."""
    exit_with_parent()
    import python_calamine  # noqa: F401
    import liangxin.validate.core  # noqa: F401

    limit_memory(memory_mb)
