"""Starting the city simulator (the `washline_simulator` package) as a child process:
`washline simulate` becomes it, and `washline run` launches it once the server answers
`/ready` and stops it when the server exits.

A separate process (not a task in the server's loop) so the simulated clients load the
server exactly as real ones do, over sockets, and a simulator problem cannot slow or crash
the server it is driving. The app never imports the simulator: it is a client of the public
API like any other, and only its command line is shared.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
from collections.abc import Sequence

import httpx

READY_POLL_SECONDS = 0.5
STOP_SECONDS = 12.0
"""How long the simulator may take to go off duty and hang up before it is killed."""
SIMULATOR_MODULE = "washline_simulator"
SCENARIOS = ("calm", "rush-hour", "storm")
"""The days the simulator can play (its `--scenario` choices), so `washline run` refuses a
misspelt one before serving; a unit test holds this list to the simulator's own."""
DEFAULT_SCENARIO = "calm"


def local_base_url(host: str, port: int) -> str:
    """The URL a client on this machine uses for a server bound to `host`."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def simulator_command(base_url: str, *options: str) -> list[str]:
    """The simulator driving `base_url`, run by this interpreter (the same environment)."""
    return [sys.executable, "-m", SIMULATOR_MODULE, "--base-url", base_url, *options]


NOT_INSTALLED = (
    "the city simulator is not installed in this environment "
    "(`make` installs it; elsewhere: pip install clients/python clients/simulator)"
)


def simulator_installed() -> bool:
    """Whether this interpreter can run the simulator (the server image, for one, has no
    use for it and leaves it out)."""
    return importlib.util.find_spec(SIMULATOR_MODULE) is not None


def become_simulator(arguments: Sequence[str]) -> None:
    """`washline simulate ARGS`: replace this process with the simulator, so its flags,
    help, signals and exit status are exactly the simulator's own."""
    if not simulator_installed():
        print(f"washline simulate: {NOT_INSTALLED}", file=sys.stderr)
        raise SystemExit(2)
    os.execv(sys.executable, [sys.executable, "-m", SIMULATOR_MODULE, *arguments])


class SimulatorLauncher:
    """Waits in a thread for the server to be ready (serving blocks the main thread), then
    starts the simulator; `stop` ends it, whether it has started yet or not."""

    def __init__(self, base_url: str, command: list[str] | None = None) -> None:
        self.base_url = base_url
        self.command = command or simulator_command(base_url)
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._launch_when_ready, daemon=True)

    def start(self) -> bool:
        """Begin waiting for the server; False (and a word why) when there is no simulator
        to start."""
        if not simulator_installed():
            print(f"washline run: {NOT_INSTALLED}; serving without it", file=sys.stderr)
            return False
        self._thread.start()
        return True

    def _launch_when_ready(self) -> None:
        while not self._stopping.is_set():
            try:
                if httpx.get(f"{self.base_url}/ready", timeout=2.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            self._stopping.wait(READY_POLL_SECONDS)
        with self._lock:
            if not self._stopping.is_set():
                self.process = subprocess.Popen(self.command)

    def stop(self) -> int | None:
        """Terminate the simulator (SIGTERM, then SIGKILL if it lingers); its exit status,
        or None when it never started."""
        self._stopping.set()
        with self._lock:
            process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        return process.returncode
