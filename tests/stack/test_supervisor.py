"""The supervisor with stand-in children: readiness, bounded restarts, clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.cli.supervisor import MAX_RESTARTS, Child, Supervisor
from bot.settings import PROJECT_ROOT
from bot.state.store import free_port

# Serves /health until `lifetime` seconds have passed, then exits with code 3 (a crash).
SHORT_LIVED = textwrap.dedent("""
    import http.server, sys, threading
    port, lifetime = int(sys.argv[1]), float(sys.argv[2])
    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200); self.end_headers()
        def log_message(self, *args): pass
    server = http.server.HTTPServer(("127.0.0.1", port), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    threading.Event().wait(lifetime)
    sys.exit(3)
""")


def child(tmp_path: Path, lifetime: float) -> Child:
    port = free_port()
    script = tmp_path / "child.py"
    script.write_text(SHORT_LIVED)
    return Child("stand-in", [sys.executable, str(script), str(port), str(lifetime)],
                 f"http://127.0.0.1:{port}/health", tmp_path / "logs" / "stand-in.log")


def test_a_crashing_child_is_restarted_a_bounded_number_of_times(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    supervisor = Supervisor([child(tmp_path, lifetime=1.0)], env={}, startup_timeout=20, backoff_seconds=0.05)
    code = supervisor.run(on_ready="READY")
    out = capsys.readouterr().out
    assert code == 1
    assert "READY" in out
    assert out.count("restarting in") == MAX_RESTARTS
    assert f"died {MAX_RESTARTS + 1} times" in out
    assert supervisor.children[0].exited() is not None


def test_a_child_that_dies_while_starting_stops_the_run_with_its_log(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    broken = Child("broken", [sys.executable, "-c", "import sys; print('cannot bind'); sys.exit(7)"],
                   f"http://127.0.0.1:{free_port()}/", tmp_path / "broken.log")
    code = Supervisor([broken], env={}, startup_timeout=20).run(on_ready="READY")
    out = capsys.readouterr().out
    assert code == 1
    assert "broken exited with code 7 while starting" in out and "cannot bind" in out
    assert "READY" not in out


def test_children_are_stopped_when_startup_times_out(tmp_path: Path) -> None:
    never_ready = Child("slow", [sys.executable, "-c", "import time; time.sleep(60)"],
                        f"http://127.0.0.1:{free_port()}/", tmp_path / "slow.log")
    code = Supervisor([never_ready], env={}, startup_timeout=1).run(on_ready="READY")
    assert code == 1
    assert never_ready.exited() is not None


# Serves /health; on SIGTERM it takes `linger` seconds to finish (a Rasa saving its state), then exits. Writes its pid.
LINGERING = textwrap.dedent("""
    import http.server, os, signal, sys, threading, time
    port, linger, pid_file = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200); self.end_headers()
        def log_message(self, *args): pass
    signal.signal(signal.SIGTERM, lambda *_: (time.sleep(linger), os._exit(0)))
    open(pid_file, "w").write(str(os.getpid()))
    http.server.HTTPServer(("127.0.0.1", port), Ok).serve_forever()
""")

# `caunoi run`'s supervisor in a process of its own, with two lingering stand-ins.
RUN = textwrap.dedent("""
    import sys
    from pathlib import Path
    from bot.cli.supervisor import Child, Supervisor
    script, tmp = sys.argv[1], Path(sys.argv[2])
    children = [Child(f"c{n}", [sys.executable, script, port, "1.5", str(tmp / f"c{n}.pid")],
                      f"http://127.0.0.1:{port}/health", tmp / f"c{n}.log") for n, port in enumerate(sys.argv[3:])]
    sys.exit(Supervisor(children, env={}, startup_timeout=30).run(on_ready="READY"))
""")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("signals", [(signal.SIGHUP,), (signal.SIGINT, signal.SIGINT), (signal.SIGINT, signal.SIGHUP)],
                         ids=["the terminal closed", "Ctrl-C twice", "Ctrl-C, then the terminal closed"])
def test_no_child_outlives_the_supervisor(tmp_path: Path, signals: tuple[signal.Signals, ...]) -> None:
    """A closed terminal (SIGHUP) stops the stack like Ctrl-C, and a second signal while stopping does not cut the
    stop short: no Rasa or action server is left running on its port (seen: a closed tmux left three)."""
    script = tmp_path / "child.py"
    script.write_text(LINGERING)
    run = subprocess.Popen([sys.executable, "-c", RUN, str(script), str(tmp_path), str(free_port()),
                            str(free_port())], stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT)
    assert run.stdout is not None
    for line in run.stdout:
        if line.strip() == "READY":
            break
    pids = [int((tmp_path / f"c{n}.pid").read_text()) for n in range(2)]
    run.send_signal(signals[0])
    for sig in signals[1:]:
        assert run.stdout.readline().strip() == "caunoi: stopping …"
        run.send_signal(sig)  # while the first child is still lingering
    assert run.wait(timeout=30) == 0
    assert not any(alive(pid) for pid in pids)
