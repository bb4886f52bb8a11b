"""Who this process is among the replicas: the pod's host name and the worker's process id.

Read at each use, never stored at import: ``serve --workers`` forks its workers after importing, and
each worker must claim activities and jobs under its own name.
"""

from __future__ import annotations

import os
import socket


def replica_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
