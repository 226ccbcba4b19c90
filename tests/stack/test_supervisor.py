"""The supervisor with stand-in children: readiness, bounded restarts, clean stop."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from bot.cli.supervisor import MAX_RESTARTS, Child, Supervisor
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
