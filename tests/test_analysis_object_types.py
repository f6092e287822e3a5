"""Objects whose methods block (rules/knowledge/objects.toml): the knowledge they expand to, and
the loops that reach them through a name, an attribute, a parameter or a same-module function."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from advisor.analysis.detectors import detect_async_rules
from advisor.analysis.facts import module_facts
from advisor.analysis.knowledge import load_knowledge
from advisor.analysis.loops import find_loop_sites
from advisor.analysis.object_types import instance_types, object_calls, object_type
from advisor.syntax.source import Source
from conftest import fixed_once, rule_findings, script_stdout

KNOWLEDGE = load_knowledge()


def loop_calls(code: str) -> list[tuple[int, tuple[str, ...], tuple[str, ...]]]:
    """(line, blocking calls, native calls) of every loop that has either."""
    source = Source.of_text(path="m.py", text=textwrap.dedent(code))
    return [
        (site.line, site.io_calls, site.native_calls)
        for site in find_loop_sites(module_facts(source, KNOWLEDGE))
        if site.io_calls or site.native_calls
    ]


def test_a_type_expands_to_its_methods_and_its_makers_to_the_type() -> None:
    types = [
        object_type(
            {
                "type": "db.Connection",
                "made_by": ["db.connect"],
                "blocking": ["execute", "commit"],
                "use": "sequential",
            }
        ),
        object_type(
            {
                "type": "db.Cursor",
                "returned_by": ["db.Connection.cursor"],
                "blocking": ["fetchall"],
                "use": "sequential",
            }
        ),
        object_type(
            {
                "type": "cloud.Client",
                "made_by": ["cloud.client"],
                "blocking": ["*"],
                "not_blocking": ["meta"],
                "use": "concurrent",
            }
        ),
    ]
    assert instance_types(types) == {
        "db.connect()": "db.Connection()",
        "db.Connection().cursor()": "db.Cursor()",
        "cloud.client()": "cloud.Client()",
    }
    calls = object_calls(types)
    assert calls.blocking == {
        "db.Connection().execute",
        "db.Connection().commit",
        "db.Cursor().fetchall",
    }
    assert calls.one_at_a_time == calls.blocking  # the cloud client is concurrent
    assert calls.every_method == ("cloud.Client().",)
    assert calls.not_blocking == {"cloud.Client().meta"}
    assert calls.instances == ("db.Connection().", "db.Cursor().")


def test_a_type_must_say_how_it_is_used() -> None:
    with pytest.raises(ValueError, match="use must be concurrent or sequential"):
        object_type({"type": "x.Y", "blocking": ["go"]})


@pytest.mark.parametrize(
    ("qualified", "blocks"),
    [
        ("requests.Session().get", True),
        ("requests.Session().mount", False),  # configuring a session does not wait
        ("requests.Session().headers.update", False),
        ("requests.Session", False),
        ("urllib3.PoolManager", False),  # making a pool manager does not wait
        ("urllib3.PoolManager().request", True),
        ("botocore.client.BaseClient().get_object", True),
        ("botocore.client.BaseClient().get_paginator", False),
        ("botocore.client.BaseClient().meta.region_name", False),
        ("botocore.client.BaseClient()._make_api_call", False),
        ("socket.socket().recv", True),
        ("socket.socket().setblocking", False),
        ("sqlite3.connect", True),
        ("sqlite3.Cursor().fetchall", True),
    ],
)
def test_which_methods_of_known_objects_block(qualified: str, blocks: bool) -> None:
    assert KNOWLEDGE.blocking_io.matches(qualified) is blocks


def test_a_method_of_a_blocking_calls_result_is_that_calls_finding_unless_it_waits_itself() -> None:
    assert KNOWLEDGE.on_blocking_result("requests.get().json")
    assert not KNOWLEDGE.on_blocking_result("sqlite3.Connection().execute")


def test_sequential_objects_are_one_conversation() -> None:
    assert KNOWLEDGE.one_at_a_time.matches("socket.socket().recv")
    assert KNOWLEDGE.one_at_a_time.matches("hashlib._Hash().update")
    assert not KNOWLEDGE.one_at_a_time.matches("requests.Session().get")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (  # a session entered with `with`, in a function
            """
            import requests
            def fetch(urls):
                with requests.Session() as s:
                    for url in urls:
                        print(s.get(url).status_code)
            """,
            [(5, ("requests.Session().get",), ())],
        ),
        (  # ... and at module level, under the main guard, where scripts make them
            """
            import requests
            if __name__ == "__main__":
                with requests.Session() as s:
                    for url in urls:
                        print(s.get(url).status_code)
            """,
            [(5, ("requests.Session().get",), ())],
        ),
        (  # a parameter annotated with the type, optional
            """
            from typing import Optional
            import httpx
            def fetch(client: Optional[httpx.Client], urls):
                return [client.get(u) for u in urls]
            """,
            [(5, ("httpx.Client().get",), ())],
        ),
        (  # an attribute set in __init__, read in another method
            """
            import urllib3
            class Crawler:
                def __init__(self):
                    self.http = urllib3.PoolManager()
                def crawl(self, urls):
                    return [self.http.request("GET", u).data for u in urls]
            """,
            [(7, ("urllib3.PoolManager().request",), ())],
        ),
        (  # a same-module function that makes and returns one
            """
            import requests
            def new_session():
                session = requests.Session()
                session.headers["User-Agent"] = "crawler"
                return session
            def crawl(urls):
                s = new_session()
                return [s.get(u) for u in urls]
            """,
            [(9, ("requests.Session().get",), ())],
        ),
        (  # a cursor of a connection made per item: the items' conversations are their own
            """
            import sqlite3
            for path in paths:
                conn = sqlite3.connect(path)
                rows.append(conn.cursor().execute("SELECT 1").fetchall())
            """,
            [(3, ("sqlite3.Cursor().execute", "sqlite3.Cursor().fetchall", "sqlite3.connect"), ())],
        ),
    ],
)
def test_loops_reach_objects_through_names(code: str, expected: list[object]) -> None:
    assert loop_calls(code) == expected


@pytest.mark.parametrize(
    "code",
    [
        """
        import sqlite3
        conn = sqlite3.connect("shop.db")
        for row in rows:  # one connection: statements run one after the other
            conn.execute("INSERT INTO items VALUES (?)", row)
        """,
        """
        import socket
        def frames(sock: socket.socket, count):
            return [sock.recv(1024) for _ in range(count)]
        """,
        """
        import hashlib
        def digest(blocks):
            h = hashlib.sha256()
            for block in blocks:
                h.update(block)
            return h.hexdigest()
        """,
        """
        import requests
        def fetch(urls, other):
            s = requests.Session()
            s = other  # bound twice: could be anything
            return [s.get(u) for u in urls]
        """,
        """
        import requests
        class Crawler:
            def __init__(self, client):
                self.session = requests.Session()
            def reset(self, client):
                self.session = client  # the attribute may hold anything
            def crawl(self, urls):
                return [self.session.get(u) for u in urls]
        """,
        """
        import numpy
        def inverses(matrices):
            out = []
            for m in matrices:
                q = numpy.linalg.pinv(m)
                out.append(q.item())  # a result's method is not numpy.linalg's
            return out
        """,
    ],
)
def test_loops_on_one_shared_conversation_or_an_unknown_object_are_not_candidates(
    code: str,
) -> None:
    found = loop_calls(code)
    assert all("pinv().item" not in call for _, calls, native in found for call in native)
    assert [line for line, calls, _ in found if calls] == []


# Every type of objects.toml: made as real code makes it, one of its blocking methods called.
EVERY_TYPE = [
    ("import requests", "requests.session()", "get(url)", "requests.Session().get"),
    ("import httpx", "httpx.Client()", "post(url)", "httpx.Client().post"),
    (
        "import urllib3",
        "urllib3.PoolManager()",
        "request('GET', url)",
        "urllib3.PoolManager().request",
    ),
    (
        "import urllib3",
        "urllib3.connection_from_url(url)",
        "urlopen('GET', '/')",
        "urllib3.HTTPConnectionPool().urlopen",
    ),
    (
        "import boto3",
        "boto3.Session().client('s3')",
        "get_object(Bucket='b', Key=url)",
        "botocore.client.BaseClient().get_object",
    ),
    (
        "import http.client",
        "http.client.HTTPSConnection(url)",
        "request('GET', '/')",
        "http.client.HTTPConnection().request",
    ),
    (
        "import http.client",
        "http.client.HTTPConnection(url).getresponse()",
        "read()",
        "http.client.HTTPResponse().read",
    ),
    (
        "import socket",
        "socket.create_connection((url, 80))",
        "sendall(b'x')",
        "socket.socket().sendall",
    ),
    ("import ftplib", "ftplib.FTP_TLS()", "retrbinary('RETR x', print)", "ftplib.FTP().retrbinary"),
    ("import smtplib", "smtplib.SMTP_SSL()", "sendmail('a', url, 'x')", "smtplib.SMTP().sendmail"),
    ("import imaplib", "imaplib.IMAP4_SSL()", "fetch(url, '(RFC822)')", "imaplib.IMAP4().fetch"),
    ("import poplib", "poplib.POP3_SSL(url)", "retr(1)", "poplib.POP3().retr"),
    (
        "import sqlite3",
        "sqlite3.connect(url)",
        "executescript('x')",
        "sqlite3.Connection().executescript",
    ),
    (
        "import psycopg2",
        "psycopg2.connect(url).cursor()",
        "fetchall()",
        "psycopg2.extensions.cursor().fetchall",
    ),
    (
        "import pymysql",
        "pymysql.connect(host=url).cursor()",
        "execute('x')",
        "pymysql.cursors.Cursor().execute",
    ),
    (
        "import subprocess",
        "subprocess.Popen(['ls', url])",
        "communicate()",
        "subprocess.Popen().communicate",
    ),
    ("from PIL import Image", "Image.new('RGB', (1, 1))", "save(url)", "PIL.Image.Image().save"),
]


@pytest.mark.parametrize(("imports", "made", "call", "qualified"), EVERY_TYPE)
def test_every_known_object_blocks_a_coroutine_and_a_loop_that_makes_one_per_item(
    imports: str, made: str, call: str, qualified: str
) -> None:
    coroutine = f"{imports}\nasync def handle(url):\n    obj = {made}\n    return obj.{call}\n"
    source = Source.of_text(path="m.py", text=coroutine)
    found = [
        (f.line, f.message.split("`")[1])
        for f in detect_async_rules(module_facts(source, KNOWLEDGE))
        if f.rule == "CA301"
    ]
    assert (4, qualified) in found
    body = f"    for url in urls:\n        obj = {made}\n        print(obj.{call})\n"
    loop = f"{imports}\ndef run(urls):\n{body}"
    [(line, calls, _)] = loop_calls(loop)
    assert line == 3 and qualified in calls


# A urllib3 pool manager (no cookies, a thread-safe pool) is vouched for: its GETs, called
# safe above, are run before and after the fix against a local server whose answers come back
# out of order, and a refused connection ends the run as it did.
POOL_SERVER = """
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import urllib3


class Slow(BaseHTTPRequestHandler):
    def do_GET(self):
        n = int(self.path.strip("/"))
        time.sleep(0.01 * (6 - n))  # later items answer first
        body = f"page {n} " .encode() * n
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
threading.Thread(target=server.serve_forever, daemon=True).start()
BASE = f"http://127.0.0.1:{server.server_address[1]}"
"""

POOL_SHAPES = {
    "parameter": """
def download(http: urllib3.PoolManager, urls):
    return [http.request("GET", url).data for url in urls]


def run(urls):
    return download(urllib3.PoolManager(retries=False), urls)
""",
    "attribute": """
class Mirror:
    def __init__(self):
        self.http = urllib3.PoolManager(retries=False)

    def fetch(self, urls):
        return [self.http.request("GET", url).data for url in urls]


def run(urls):
    return Mirror().fetch(urls)
""",
}

POOL_MAIN = """
for page in run([f"{BASE}/{n}" for n in range(1, 6)]):
    print(page.decode())
try:
    run([f"{BASE}/1", "http://127.0.0.1:1/refused"])
except Exception as error:
    print("failed:", type(error).__name__)
"""


@pytest.mark.parametrize("shape", sorted(POOL_SHAPES))
def test_a_pool_managers_gets_are_safe_and_run_the_same_after_the_fix(
    shape: str, tmp_path: Path
) -> None:
    before = POOL_SERVER + POOL_SHAPES[shape] + POOL_MAIN
    (finding,) = rule_findings(before, "CA101")
    assert (finding.fix_safety, finding.reasons) == ("safe", ())
    after = fixed_once(before, "CA101")
    assert "ThreadPoolExecutor" in after
    expected = script_stdout(before, tmp_path, "before.py")
    assert expected.endswith("page 5 page 5 page 5 page 5 page 5 \nfailed: NewConnectionError\n")
    assert script_stdout(after, tmp_path, "after.py") == expected
