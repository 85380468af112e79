"""The console script's front ends: `hptune [options]` opens the TUI, `hptune serve` warns off-machine binds,
and nothing the TUI imports at start-up pulls in Keras."""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from hptune.tui import serve as serve_module
from hptune.tui.cli import tui_argv

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], []),
        (["--dataset", "mnist-5k"], ["tui", "--dataset", "mnist-5k"]),
        (["tui", "--preset", "seed-2x10"], ["tui", "--preset", "seed-2x10"]),
        (["run", "--epochs", "1"], ["run", "--epochs", "1"]),
        (["--help"], ["--help"]),
        (["--version"], ["--version"]),
    ],
)
def test_options_without_a_command_mean_the_tui(argv: list[str], expected: list[str]) -> None:
    assert tui_argv(argv) == expected


class FakeServer:
    made: list[FakeServer] = []

    def __init__(self, command: str, host: str, port: int, title: str, templates_path: Any = None) -> None:
        self.command, self.host, self.port, self.templates_path = command, host, port, templates_path
        FakeServer.made.append(self)

    def serve(self) -> None:
        pass


@pytest.mark.parametrize(("host", "warned"), [("127.0.0.1", False), ("localhost", False), ("0.0.0.0", True)])
def test_serve_warns_when_binding_beyond_this_machine(monkeypatch, capsys, host: str, warned: bool) -> None:
    import textual_serve.server

    monkeypatch.setattr(textual_serve.server, "Server", FakeServer)
    args = argparse.Namespace(host=host, port=8123, store="/tmp/x/runs.journal")
    assert serve_module.serve_app(args) == 0
    server = FakeServer.made[-1]
    assert (server.host, server.port) == (host, 8123)
    assert "tui --store /tmp/x/runs.journal" in server.command
    assert (Path(server.templates_path) / "app_index.html").is_file()
    assert ("warning" in capsys.readouterr().err) is warned


def test_importing_the_whole_tui_does_not_import_keras() -> None:
    code = (
        "import sys, hptune.tui.app, hptune.tui.screens, hptune.tui.widgets, hptune.tui.serve, hptune.tui.cli;"
        " print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_hptune_help_runs() -> None:
    out = subprocess.run([sys.executable, "-c", "from hptune.tui.cli import main; main()", "--help"], cwd=REPO,
                         capture_output=True, text=True)
    assert out.returncode == 0 and "tui" in out.stdout


def test_the_served_page_fills_the_window_and_never_scrolls(tmp_path: Path) -> None:
    """The real server on a loopback port: its page is hptune's own (the page cannot scroll a row under the
    header) and the terminal's script is served beside it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, HPTUNE_STORE=str(tmp_path / "runs.journal"))
    server = subprocess.Popen([sys.executable, "-m", "hptune.tui.cli_entry", "serve", "--port", str(port)],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        page = None
        deadline = time.monotonic() + 60
        while page is None and time.monotonic() < deadline and server.poll() is None:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
            except OSError:
                time.sleep(0.2)
        assert page is not None, f"hptune serve never answered on port {port} (exit code {server.poll()})"
        assert "overflow: hidden" in page and "data-session-websocket-url" in page
        assert "fonts.googleapis" not in page  # nothing is fetched from outside the machine
        script = re.search(r'src="([^"]+textual\.js)"', page)
        assert script and urllib.request.urlopen(script.group(1), timeout=5).status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
def test_a_sweep_from_the_sweep_screen_trains_in_worker_processes(tmp_path: Path) -> None:
    """Every trial trains in a worker process, even with one worker: the UI's process never imports Keras."""
    script = REPO / "tests" / "tui" / "sweep_from_the_screen.py"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "runs.journal")], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"the sweep screen's script failed:\n{done.stderr[-3000:]}"
    result = json.loads(done.stdout.splitlines()[-1])
    assert not result["running"], "the sweep did not finish within the script's 600 s"
    assert result["states"] == ["COMPLETE"], f"the one grid point did not complete: {result['states']}"
    assert result["imported"] == [], f"the UI's process imported {result['imported']}"
