#!/usr/bin/env python3
"""Starts dbt for the Dagster dbt asset in its own process group, bound to die with its parent (D124).

dagster-dbt starts ``dbt_executable`` with a plain ``subprocess.Popen``; this file is that executable, started as
``dbt_child.py <real dbt> <dbt arguments…>`` (the real dbt comes first through dagster-dbt's
``global_config_flags``, ``defs/dbt.py:cli_flags``; no environment variable).  Before ``exec``-ing the real dbt it

- moves into a process group of its own (``setpgid``), so a Ctrl-C at the terminal reaches the build's Python
  process, which forwards an interrupt to dbt itself, and a kill of the group kills dbt with it;
- restores SIGTERM's default action and unblocks it (an ignored or blocked SIGTERM is inherited across ``exec``)
  and asks Linux to send it SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``, kept across ``exec``), so
  killing ``liangxin build`` never leaves a dbt child writing to the database after the writer lock is gone;
  if the parent already died before that, it exits at once.

Only the standard library is used: any Python 3 runs it.
"""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def main() -> None:
    if len(sys.argv) < 2 or not os.path.isabs(sys.argv[1]):
        sys.stderr.write("usage: dbt_child.py <absolute path of the real dbt> <dbt arguments...>\n")
        sys.exit(2)
    real = sys.argv[1]
    parent = os.getppid()
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    if sys.platform.startswith("linux"):
        # SIGTERM must be able to kill: a disposition of SIG_IGN and a blocked mask survive fork and exec, and
        # Dagster sets SIGTERM to the SIGINT handler, which is SIG_IGN in a process that a shell started in the
        # background (a cron job, `cmd &`): dbt would then outlive its parent (D218)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):
            pass
        if os.getppid() != parent:  # the parent died before prctl: do not start dbt at all
            sys.exit(1)
    os.execv(real, [real, *sys.argv[2:]])


if __name__ == "__main__":
    main()
