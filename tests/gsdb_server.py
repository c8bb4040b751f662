"""A GSDB stand-in for the tests: two hosts on 127.0.0.1, laid out exactly as gsdb.md says.

* the structure host (S3 layout): ``{base}{ID}/{Filename}/{norm}/{algorithm}/chr{N}.pdb`` and ``.log``;
* the older host, the mirror: the same paths under ``/genome3d/GSDB/Database/``;
* the dataset archives: ``/genome3d/GSDB/Dataset/{ID}/{Filename}.tar.gz`` on the older host.

It serves the synthetic dataset of :func:`chromapipe.synthetic.synthetic_gsdb_dataset`
(not the shipped example). Switches: ``primary_down`` (the structure host answers 404
to structures), ``mirror_down`` (the mirror too), ``leading_folder`` (the archive puts
its members under ``{Filename}/`` or at the top). Every request is logged.
"""

import io
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from chromapipe.synthetic import synthetic_gsdb_dataset

GSDB_ID = "ZZ0001SY"
FILENAME = "SYN0001_TEST500KB"
NORM = "VC"
ALGORITHM = "3DMax"


def build_archive(dataset, filename=FILENAME, norm=NORM, leading_folder=True):
    """The dataset archive (.tar.gz bytes) as GSDB's normaliser lays it out."""
    prefix = f"{filename}/" if leading_folder else ""
    members = {f"{prefix}{filename}_mapping.txt": dataset["mapping"]}
    members[f"{prefix}{norm}/{filename}_mapping.txt"] = dataset["mapping"]
    members[f"{prefix}{norm}/{filename}_chrom_sequence_length.txt"] = "synthetic\n"
    all_rows = "".join(dataset["lists"].values())
    members[f"{prefix}{norm}/{filename}_All_Genome_list.txt"] = all_rows
    for stem, text in dataset["lists"].items():
        members[f"{prefix}{norm}/{stem}_list.txt"] = text
        members[f"{prefix}{norm}/{stem}_matrix.txt"] = "0\n"  # present in real archives, unused here
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in members.items():
            data = text.encode("ascii")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class GsdbTestServer:
    """Both GSDB hosts on one 127.0.0.1 server (a thread of the test process)."""

    STRUCTURES = "/mu/eecs/cheng/gsdb/"
    MIRROR = "/genome3d/GSDB/Database/"
    DATASETS = "/genome3d/GSDB/Dataset/"

    def __init__(self, dataset=None, leading_folder=True):
        self.dataset = dataset or synthetic_gsdb_dataset()
        self.leading_folder = leading_folder
        self.primary_down = False
        self.mirror_down = False
        self.log = []  # (method, path, status)
        self.files = {}  # more paths served as they are (e.g. reference files): path -> bytes
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"state": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)

    @property
    def section(self):
        """A ``gsdb:`` config section pointing at this server."""
        return {
            "id": GSDB_ID,
            "filename": FILENAME,
            "algorithm": ALGORITHM,
            "structures": self.url + self.STRUCTURES,
            "mirror": self.url + self.MIRROR,
            "datasets": self.url + self.DATASETS,
            "assembly": "GRCh37",
        }

    def requests_for(self, fragment):
        with self.lock:
            return [entry for entry in self.log if fragment in entry[1]]

    def answer(self, path):
        """``(status, body)`` for a GET of ``path``."""
        for base, down in ((self.STRUCTURES, self.primary_down), (self.MIRROR, self.mirror_down)):
            if path.startswith(base):
                if down:
                    return 404, b"NoSuchKey"
                return self._structure(path[len(base) :])
        if path in self.files:
            return 200, self.files[path]
        if path == f"{self.DATASETS}{GSDB_ID}/{FILENAME}.tar.gz":
            return 200, build_archive(self.dataset, leading_folder=self.leading_folder)
        return 404, b"not found"

    def _structure(self, rest):
        parts = rest.split("/")
        if len(parts) != 5 or parts[:4] != [GSDB_ID, FILENAME, NORM, ALGORITHM]:
            return 404, b"NoSuchKey"
        stem, _, ext = parts[4].rpartition(".")
        if stem not in self.dataset["pdbs"]:
            return 404, b"NoSuchKey"
        if ext == "pdb":
            return 200, self.dataset["pdbs"][stem].encode("ascii")
        if ext == "log":
            return 200, f"synthetic 3DMax log of {stem}\n".encode("ascii")
        return 404, b"NoSuchKey"


class _Handler(BaseHTTPRequestHandler):
    state = None

    def log_message(self, *args):
        pass

    def _reply(self, method):
        status, body = self.state.answer(self.path)
        with self.state.lock:
            self.state.log.append((method, self.path, status))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Last-Modified", "Mon, 02 Feb 2026 10:00:00 GMT")  # what storage plugins compare
        self.end_headers()
        if method == "GET":
            self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server's name)
        self._reply("GET")

    def do_HEAD(self):  # noqa: N802
        self._reply("HEAD")
