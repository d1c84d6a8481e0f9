"""Starting, watching and stopping the executor process (see :mod:`qhpc.server.executor`)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import uuid

log = logging.getLogger("qhpc.server")

#: Seconds the executor is given, beyond its drain period, to exit when the server stops.
STOP_MARGIN = 10.0


class Supervisor:
    def __init__(self, config: str | None, *, drain_seconds: float = 10.0) -> None:
        self.config = config
        self.drain_seconds = drain_seconds
        self.process: subprocess.Popen[bytes] | None = None
        self.owner = ""
        self.restarts = 0
        self._wake_w: int | None = None

    def start(self) -> None:
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        self.owner = f"{os.uname().nodename}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        command = [sys.executable, "-m", "qhpc.server.executor", "--owner", self.owner, "--wake-fd", str(read_end)]
        if self.config is not None:
            command += ["--config", self.config]
        self.process = subprocess.Popen(command, pass_fds=(read_end,), stdin=subprocess.DEVNULL)
        os.close(read_end)
        if self._wake_w is not None:
            os.close(self._wake_w)
        self._wake_w = write_end
        log.info("executor started (pid %d)", self.process.pid)

    def wake(self) -> None:
        """Tell the executor new jobs are waiting (never blocks)."""
        if self._wake_w is None:
            return
        try:
            os.write(self._wake_w, b"w")
        except (BlockingIOError, BrokenPipeError):
            pass

    def check(self) -> None:
        """Restart the executor if it died (its jobs are recovered by the new one)."""
        if self.process is not None and self.process.poll() is not None:
            log.error("the executor exited with status %s; starting a new one", self.process.returncode)
            self.restarts += 1
            self.start()

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        self.process = None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(self.drain_seconds + STOP_MARGIN)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._wake_w is not None:
            os.close(self._wake_w)
            self._wake_w = None
