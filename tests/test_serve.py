"""`serve`: serves the build, rebuilds on change, keeps the last good build when a problem breaks."""

import socket
import threading
import time
import urllib.request

from staticjudge.site.serve import serve
from staticjudge.project import Paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def test_serve_rebuilds_on_change_and_survives_a_broken_problem(project, capsys):
    port, stop = free_port(), threading.Event()
    thread = threading.Thread(target=serve, args=(Paths(project),),
                              kwargs={"port": port, "stop_event": stop}, daemon=True)
    thread.start()
    page = f"http://127.0.0.1:{port}/self_attention/index.html"
    try:
        assert wait_for(lambda: "Self-attention" in fetch(page))
        md = project / "problems" / "self_attention.md"
        md.write_text(md.read_text().replace("title: Self-attention", "title: Self-attention, renamed"))
        assert wait_for(lambda: "Self-attention, renamed" in fetch(page)), "no rebuild after a change"
        md.write_text(md.read_text().replace("order: 2", "order: two"))
        assert wait_for(lambda: "must be an integer" in capsys.readouterr().err), "error not printed"
        assert "Self-attention, renamed" in fetch(page)  # last good build still served
        assert fetch(f"http://127.0.0.1:{port}/assets/harness.py").startswith('"""The grading harness')
    finally:
        stop.set()
        thread.join(10)
