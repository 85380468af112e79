"""The wheel: built with `python -m build`, installed into a fresh virtual environment with no checkout around, it
holds only `hptune` and works on its own (the command line, a real training run, the TUI's first screen)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import sysconfig
import termios
import time
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|\x1b[()][0-9A-Za-z]")

#: A label of the form on the first screen.
MARKER = b"Learn rate"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"python -m build failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    (found,) = out.glob("hptune-*.whl")
    return found


@pytest.fixture(scope="module")
def fresh(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with the wheel installed. Its dependencies (TensorFlow, Textual, ...) are those of
    the environment running the tests, put on its path by a .pth file, so the test needs no download; hptune itself
    comes only from the wheel (the checkout's editable install is not on that path: its own .pth is not read)."""
    env_dir = tmp_path_factory.mktemp("venv") / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True, timeout=120)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                           str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"installing the wheel failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return env_dir


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "HPTUNE_", "VIRTUAL_ENV"))}
    env.update(HPTUNE_STORE=str(tmp_path / "runs.journal"), TF_CPP_MIN_LOG_LEVEL="3", HOME=str(tmp_path))
    return env


def test_the_wheel_holds_only_hptune(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    version = wheel.name.split("-")[1]
    assert tops == {"hptune", f"hptune-{version}.dist-info"}, f"the wheel installs more than hptune: {sorted(tops)}"
    assert any(name.startswith("hptune/tui/styles/") and name.endswith(".tcss") for name in names)
    assert "hptune/core/__init__.py" in names and "hptune/tui/app.py" in names


def test_the_installed_package_runs_without_the_checkout(fresh: Path, tmp_path: Path) -> None:
    bin_dir = fresh / "bin"
    env = clean_env(tmp_path)
    where = subprocess.run([str(bin_dir / "python"), "-c", "import hptune.core, hptune.tui; "
                            "print(hptune.core.__file__); print(hptune.tui.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert all(path.startswith(str(fresh)) for path in where), f"hptune imported from outside the wheel: {where}"

    version = subprocess.run([str(bin_dir / "hptune"), "--version"], cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=60)
    assert version.returncode == 0 and re.fullmatch(r"hptune \d+\.\d+\.\d+\s*", version.stdout), version
    helped = subprocess.run([str(bin_dir / "hptune"), "--help"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=60)
    assert helped.returncode == 0 and "run" in helped.stdout, helped

    trained = subprocess.run([str(bin_dir / "hptune"), "run", "--dataset", "mnist-5k", "--epochs", "1", "--json"],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert trained.returncode == 0, f"hptune run failed:\n{trained.stderr[-3000:]}"
    assert '"status": "completed"' in trained.stdout.replace('"status":"completed"', '"status": "completed"')
    listed = subprocess.run([str(bin_dir / "hptune"), "runs", "--format", "json"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and "completed" in listed.stdout, listed


def test_the_installed_tui_draws_its_form(fresh: Path, tmp_path: Path) -> None:
    """The TUI's first screen, in a real pseudo-terminal: the styles come from the wheel, the form's labels show."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen([str(fresh / "bin" / "hptune"), "--dataset", "mnist-5k"], stdin=slave, stdout=slave,
                            stderr=slave, cwd=tmp_path, env={**clean_env(tmp_path), "TERM": "xterm-256color"},
                            close_fds=True, start_new_session=True)
    os.close(slave)
    raw = bytearray()
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and MARKER not in ESCAPES.sub(b"", bytes(raw)):
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                raw += chunk
        screen = ESCAPES.sub(b"", bytes(raw))
        assert MARKER in screen, f"the form never appeared; the terminal showed:\n{screen[-2000:]!r}"
        os.write(master, b"\x11")  # ctrl+q
        quit_by = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < quit_by:  # keep reading, or the app blocks on a full pty
            if select.select([master], [], [], 0.1)[0]:
                try:
                    os.read(master, 65536)
                except OSError:
                    break
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
