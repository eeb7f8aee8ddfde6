"""Process facts for the tests that kill processes (Linux ``/proc``)."""

from __future__ import annotations

from pathlib import Path


def cmdline(pid: int) -> str:
    """The command line of ``pid``, or '' when it exited since it was listed (a short-lived child)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """True while ``pid`` runs.  An exited process nobody reaped yet (a zombie: PID 1 here reaps orphans seconds
    later, longer under load) is not alive, although ``os.kill(pid, 0)`` still succeeds for it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
