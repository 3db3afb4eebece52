"""A local stand-in for PhysioNet: an HTTP server on 127.0.0.1 that counts the files it serves.

The served folder mimics PhysioNet's layout (``<root>/mitdb/1.0.0/<files>``), so the download
code under test builds the same URLs as against ``https://physionet.org/files/``.
"""

from __future__ import annotations

import functools
import shutil
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATABASE = "mitdb/1.0.0"


@dataclass
class LocalPhysioNet:
    root: Path
    base_url: str
    requests: Counter[str] = field(default_factory=Counter)

    @property
    def folder(self) -> Path:
        """The served database folder (edit files here to simulate a broken server)."""
        return self.root / DATABASE

    def served(self, name: str) -> int:
        """How many GET requests asked for file `name`."""
        return self.requests[f"/{DATABASE}/{name}"]


def fill_database(root: Path, source: Path, records: Iterable[str]) -> Path:
    """Copy the records' .hea/.dat/.atr from `source` into PhysioNet's layout under `root`."""
    folder = root / DATABASE
    folder.mkdir(parents=True, exist_ok=True)
    for record in records:
        for extension in (".hea", ".dat", ".atr"):
            shutil.copy(source / f"{record}{extension}", folder / f"{record}{extension}")
    return folder


@contextmanager
def serve(root: Path) -> Iterator[LocalPhysioNet]:
    """Serve `root` over HTTP on a random local port for the duration of the block."""
    state = LocalPhysioNet(root=root, base_url="")
    lock = threading.Lock()

    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            with lock:
                state.requests[self.path.split("?")[0]] += 1
            super().do_GET()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # keep pytest output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=root))
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens: connections are refused (offline)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}/"
