"""``python3 tasks.py lab`` as a learner runs it: it starts (as root too, as in a container), serves the
chapters, and runs a notebook's cells in a kernel of the book's environment."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "01_tensors/pytorch.ipynb"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _post(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


async def _execute(url: str, code: str) -> tuple[str, str]:
    """Run ``code`` on the kernel's websocket; return its standard output and the reply's status."""
    from tornado.websocket import websocket_connect

    connection = await websocket_connect(url)
    msg_id = uuid.uuid4().hex
    header = {"msg_id": msg_id, "msg_type": "execute_request", "username": "test", "session": uuid.uuid4().hex}
    header["version"] = "5.3"
    content = {"code": code, "silent": False, "store_history": False, "user_expressions": {}}
    request = {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell"}
    await connection.write_message(json.dumps(request))
    output, status, idle = "", "", False
    deadline = time.monotonic() + 120
    while not (idle and status) and time.monotonic() < deadline:
        text = await asyncio.wait_for(connection.read_message(), timeout=120)
        assert text is not None, "the kernel's websocket closed"
        message = json.loads(text)
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = message["msg_type"]
        if kind == "stream" and message["content"].get("name") == "stdout":
            output += message["content"]["text"]
        elif kind == "error":
            output += "\n".join(message["content"].get("traceback", []))
        elif kind == "status" and message["content"]["execution_state"] == "idle":
            idle = True
        elif kind == "execute_reply":
            status = message["content"]["status"]
    connection.close()
    return output, status


def test_lab_starts_serves_a_chapter_and_runs_its_cells(tmp_path: Path) -> None:
    port, token = _free_port(), secrets.token_hex(16)
    log_path = tmp_path / "lab.log"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}  # a container
    options = [f"--port={port}", f"--IdentityProvider.token={token}", "--ServerApp.ip=127.0.0.1"]
    with open(log_path, "w", encoding="utf-8") as log_file:  # a file: a full pipe would stop the server
        server = subprocess.Popen(
            [sys.executable, ROOT / "tasks.py", "lab", "--", *options],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, f"tasks.py lab exited:\n{log_path.read_text()[-3000:]}"
            try:
                _get(f"{base}/api/status?token={token}")
                break
            except OSError:
                assert time.monotonic() < deadline, "JupyterLab did not answer within 120 s"
                time.sleep(0.5)
        with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=10) as page:
            assert page.status == 200 and b"JupyterLab" in page.read()
        notebook = _get(f"{base}/api/contents/{NOTEBOOK}?token={token}&content=1")
        cells = [c for c in notebook["content"]["cells"] if c["cell_type"] == "code"]
        assert cells and notebook["type"] == "notebook"
        session = _post(
            f"{base}/api/sessions?token={token}",
            {"path": NOTEBOOK, "type": "notebook", "name": "", "kernel": {"name": "python3"}},
        )
        channels = f"ws://127.0.0.1:{port}/api/kernels/{session['kernel']['id']}/channels?token={token}"
        first = "".join(cells[0]["source"])  # the Colab cell: on this machine, it installs nothing
        output, status = asyncio.run(_execute(channels, first))
        assert status == "ok", output
        probe = "import sys, twice\nprint(sys.prefix, twice.__file__)"
        output, status = asyncio.run(_execute(channels, probe))
        assert status == "ok", output
        prefix, package = output.split()
        assert Path(prefix).resolve() == (ROOT / ".venv").resolve(), output  # the book's environment
        assert Path(package).resolve().is_relative_to(ROOT / "src"), output
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    # Stopping `tasks.py lab` stops JupyterLab itself: nothing answers on its port any more.
    deadline = time.monotonic() + 30
    while True:
        try:
            _get(f"{base}/api/status?token={token}")
        except OSError:
            break
        assert time.monotonic() < deadline, "JupyterLab still answers after `tasks.py lab` was stopped"
        time.sleep(0.5)
    log = log_path.read_text(encoding="utf-8")
    if os.geteuid() == 0:
        assert "Running as root is not recommended" not in log
    assert f"127.0.0.1:{port}/lab" in log and "JupyterLab serves" in log, log[-3000:]  # where to open it
