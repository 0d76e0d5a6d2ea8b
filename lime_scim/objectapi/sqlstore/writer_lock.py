"""The queue that SQLite write transactions wait in, shared by every process of one database file.

SQLite lets one transaction write at a time. A writer that finds the database locked waits in
SQLite's default busy handler (sqliteDefaultBusyCallback in SQLite's main.c), which sleeps 1,
2, 5, ... up to 100 ms between tries. The waiter therefore often sleeps long after the lock was
freed, and with several gunicorn workers on one file, two workers wrote less per second than
one. Here writers queue on a thread lock within the process and on an flock(2) of a lock file
next to the database across processes. The thread lock wakes the next writer as soon as it is
released, and a writer of another process tries the lock file again within half a millisecond.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time

logger = logging.getLogger(__name__)

# Appended to the database file's path to name the lock file. The file stays empty.
LOCK_FILE_SUFFIX = "-writer.lock"
# Pauses between tries of a lock held by another process: the first, then doubling up to the
# last. flock(2) has no time limit, so a waiter polls. A write transaction held the lock for
# about a millisecond in the benchmarks (an estimate), so the pauses stay shorter than that.
FIRST_PAUSE_SECONDS = 0.00005
MAX_PAUSE_SECONDS = 0.0005


class WriterLock:
    """Queue of the write transactions on one SQLite file, within and across processes.

    The lock file is opened at the first write of each process, so a process that forks keeps
    no descriptor in common with its children: flock(2) locks belong to the open file, which a
    fork would share. When the file cannot be opened, writers of other processes meet in
    SQLite's busy handler as before, and a warning is logged.
    """

    def __init__(self, database_path: str) -> None:
        self._path = database_path + LOCK_FILE_SUFFIX
        self._thread_lock = threading.Lock()
        self._descriptor: int | None = None
        self._owner_pid: int | None = None
        self._file_locked = False
        self._warned = False

    @property
    def path(self) -> str:
        return self._path

    def acquire(self, timeout_seconds: float) -> bool:
        """Wait for the lock; return False, holding nothing, when ``timeout_seconds`` pass first.

        The time limit covers the wait for the other threads of this process and the wait for
        other processes apart. When only the second runs out, the call returns True holding
        the thread lock alone, and the transaction meets the other process in SQLite's busy
        handler.
        """
        started = time.monotonic()
        if not self._thread_lock.acquire(timeout=timeout_seconds):
            return False
        try:
            descriptor = self._lock_file_descriptor()
            if descriptor is not None:
                self._file_locked = _lock_before(descriptor, started + timeout_seconds)
        except BaseException:
            self._thread_lock.release()
            raise
        return True

    def release(self) -> None:
        """Release the lock that :meth:`acquire` returned True for."""
        try:
            if self._file_locked and self._descriptor is not None:
                self._file_locked = False
                fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def close(self) -> None:
        """Close the lock file; the kernel releases an flock that is still held."""
        if self._descriptor is not None and self._owner_pid == os.getpid():
            os.close(self._descriptor)
        self._descriptor = None
        self._owner_pid = None

    def _lock_file_descriptor(self) -> int | None:
        """Return this process's descriptor of the lock file, opening the file when needed."""
        pid = os.getpid()
        if self._descriptor is not None and self._owner_pid == pid:
            return self._descriptor
        # A descriptor inherited through fork() would share the parent's flock, so the child
        # opens the file again and leaves the inherited descriptor to the parent.
        try:
            # Readable by the owner only, like the database file. The file contains no data.
            self._descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as error:
            if not self._warned:
                self._warned = True
                logger.warning(
                    "cannot open the SQLite writer lock file %s (%s); writers in other processes "
                    "wait in SQLite's busy handler instead, which lowers write throughput",
                    self._path, error,
                )
            return None
        self._owner_pid = pid
        return self._descriptor


def _lock_before(descriptor: int, deadline: float) -> bool:
    """Take an exclusive flock on ``descriptor``; return False when ``deadline`` passes first.

    NOTE: a waiting process tries again after a pause, so a busy process that takes the lock
    again right after releasing it can make the others wait longer than in a fair queue.
    """
    pause = FIRST_PAUSE_SECONDS
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pass
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, MAX_PAUSE_SECONDS)
