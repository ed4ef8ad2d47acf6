"""The fault suite: what the server does when the ground gives way under it.

- PostgreSQL stopped and started under write load (a cluster of its own, so nothing else is
  disturbed): requests answer 503 problem+json within the pool's timeout, /health/ready says not
  ready, the server recovers by itself, every acknowledged write is there and none is half-written.
- The server killed with SIGKILL in the middle of a bulk HR sync and of an xAPI batch, on SQLite
  and on PostgreSQL: after a restart each call took effect whole or not at all, and a retry with
  the same Idempotency-Key completes it (and a second retry replays it).
- A full disk under SQLite (a small tmpfs mounted here): writes answer 503, reads go on, writes
  succeed again once there is room, and the database passes SQLite's integrity check.

Usage: python3 .ci/faults.py BINARY [POSTGRES_URL]   (needs root: it runs pg_ctlcluster and mount)
Without POSTGRES_URL only the SQLite faults run. POSTGRES_URL names a database that may be
emptied; the outage gets a cluster of its own.
"""

import base64
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

BINARY = os.path.abspath(sys.argv[1])
POSTGRES_URL = sys.argv[2] if len(sys.argv) > 2 else None
SECRET = f"faults-{uuid.uuid4()}"
# The pool's acquire timeout (crates/persistence/src/db.rs) and a margin for a loaded machine.
POOL_TIMEOUT = 10
WORK = tempfile.mkdtemp(prefix="pathway-faults-")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body, seconds):
        self.status, self.headers, self.body, self.seconds = status, headers, body, seconds

    def json(self):
        return json.loads(self.body)

    def is_problem(self):
        return self.headers.get("content-type", "").startswith("application/problem+json")


class Server:
    """The release under test, as `pathway serve` on one database."""

    def __init__(self, url, name):
        self.url, self.name, self.process = url, name, None
        self.log = os.path.join(WORK, f"{name}.log")

    def start(self):
        self.port = free_port()
        env = dict(os.environ, DATABASE_URL=self.url, PATHWAY_BIND=f"127.0.0.1:{self.port}",
                   PATHWAY_JWT_SECRET=SECRET, RUST_LOG="warn",
                   PATHWAY_RATE_LIMIT_PERSON="1000000000", PATHWAY_RATE_LIMIT_CLIENT="1000000000")
        self.process = subprocess.Popen([BINARY, "serve"], env=env, stdout=open(self.log, "a"),
                                        stderr=subprocess.STDOUT)
        for _ in range(300):
            try:
                if self.request("GET", "/health/live", timeout=1).status == 200:
                    return self
            except OSError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.fail("the server did not start")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)

    def fail(self, message):
        with open(self.log) as log:
            tail = log.read()[-3000:]
        raise SystemExit(f"FAIL ({self.name}): {message}\n--- server log ---\n{tail}")

    def request(self, method, path, body=None, headers=None, timeout=30):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        started = time.monotonic()
        try:
            data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
            all_headers = {"Content-Type": "application/json"} if data is not None else {}
            all_headers.update(headers or {})
            connection.request(method, path, body=data, headers=all_headers)
            answer = connection.getresponse()
            content = answer.read()
            return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()},
                            content, time.monotonic() - started)
        finally:
            connection.close()

    def admin(self):
        return {"Authorization": "Bearer " + subprocess.check_output(
            [BINARY, "token", "--role", "admin", "--ttl", "2h"],
            env=dict(os.environ, PATHWAY_JWT_SECRET=SECRET), text=True).strip()}

    def client(self, scopes):
        """A new integration client's id and secret."""
        made = self.request("POST", "/v1/api-clients", {"name": f"faults {uuid.uuid4()}", "scopes": scopes},
                            self.admin())
        expect(made.status == 201, f"registering a client answered {made.status}: {made.body!r}")
        return made.json()["client_id"], made.json()["client_secret"]

    def bearer(self, scopes):
        client_id, secret = self.client(scopes)
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        token = self.request("POST", "/oauth/token", b"grant_type=client_credentials",
                             {"Authorization": f"Basic {basic}",
                              "Content-Type": "application/x-www-form-urlencoded"})
        expect(token.status == 200, f"/oauth/token answered {token.status}: {token.body!r}")
        return {"Authorization": "Bearer " + token.json()["access_token"]}


def expect(condition, message):
    if not condition:
        raise SystemExit(f"FAIL: {message}")


def learner(n, prefix="fault"):
    return {"kind": "employee", "given_name": "Test", "family_name": f"{prefix} {n}",
            "email": f"{prefix}.{n}.{uuid.uuid4().hex[:8]}@council.gov.uk", "department": "Finance"}


class Database:
    """Counts read straight from the database, past the server."""

    def __init__(self, url):
        self.url = url

    def scalar(self, sql):
        if self.url.startswith("sqlite:"):
            path = urllib.parse.urlparse(self.url.replace("sqlite://", "file://", 1)).path
            with sqlite3.connect(path) as db:
                return db.execute(sql).fetchone()[0]
        parts = urllib.parse.urlparse(self.url)
        out = subprocess.check_output(
            ["psql", "-h", parts.hostname, "-p", str(parts.port or 5432), "-U", parts.username,
             "-d", parts.path.lstrip("/"), "-tAc", sql],
            env=dict(os.environ, PGPASSWORD=parts.password or ""), text=True)
        return int(out.strip())


def sqlite_url(name):
    return f"sqlite://{WORK}/{name}.db?mode=rwc"


def fresh_postgres(name):
    """A database of its own in POSTGRES_URL's cluster."""
    parts = urllib.parse.urlparse(POSTGRES_URL)
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name} OWNER {parts.username}"):
        subprocess.run(["su", "postgres", "-c", f'psql -q -p {parts.port or 5432} -c "{sql}"'], check=True,
                       env=dict(os.environ, PGOPTIONS="--client-min-messages=warning"))
    return parts._replace(path=f"/{name}").geturl()


# -- SIGKILL in the middle of a call -------------------------------------------------------------


def killed_mid_call(url, name, table, call):
    """`call(server)` gives (method, path, body, headers, rows it adds to `table`). Kills the
    server half-way through the call, restarts it, and checks that the call took effect whole or
    not at all, that a retry with its key completes it, and that a second retry replays it."""
    database = Database(url)
    server = Server(url, name).start()
    method, path, body, headers, rows = call(server, "calibration")
    started = time.monotonic()
    first = server.request(method, path, body, headers, timeout=300)
    took = time.monotonic() - started
    expect(first.status == 200, f"{name}: the calibration call answered {first.status}: {first.body[:300]!r}")

    method, path, body, headers, rows = call(server, "killed")
    key = {"Idempotency-Key": f"{name}-{uuid.uuid4()}"}
    before = database.scalar(f"SELECT count(*) FROM {table}")
    sent = threading.Event()
    answered = []

    def send():
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
        connection.request(method, path, body=body, headers={**headers, **key, "Content-Type": "application/json"})
        sent.set()
        try:
            answered.append(connection.getresponse().status)
        except (OSError, http.client.HTTPException):
            pass

    sender = threading.Thread(target=send)
    sender.start()
    sent.wait(60)
    time.sleep(took / 2)
    server.kill()
    sender.join()
    after = database.scalar(f"SELECT count(*) FROM {table}")
    expect(after in (before, before + rows),
           f"{name}: after SIGKILL {table} holds {after - before} of the call's {rows} rows: half-written")
    whole = after == before + rows
    print(f"  {name}: killed {took / 2:.1f}s into a {took:.1f}s call; it had "
          f"{'taken effect whole' if whole else 'not taken effect'}"
          f"{' (its answer had been sent)' if answered else ''}")

    server.start()
    retry = server.request(method, path, body, {**headers, **key}, timeout=300)
    expect(retry.status == 200, f"{name}: the retry answered {retry.status}: {retry.body[:300]!r}")
    expect(database.scalar(f"SELECT count(*) FROM {table}") == before + rows,
           f"{name}: after the retry {table} does not hold the call's {rows} rows")
    again = server.request(method, path, body, {**headers, **key}, timeout=300)
    expect(again.status == 200 and again.headers.get("idempotent-replayed") == "true" and again.body == retry.body,
           f"{name}: a second retry was not the first retry's answer replayed")
    expect(database.scalar(f"SELECT count(*) FROM {table}") == before + rows,
           f"{name}: the second retry changed {table}")
    server.stop()


def hr_sync_call(server, run):
    headers = server.bearer(["learners:sync"])
    rows = 10_000
    body = {"learners": [{"external_ref": f"{run}-{n}", "given_name": "Test", "family_name": f"{run} {n}",
                          "email": f"{run}.{n}@council.gov.uk", "department": "Finance"}
                         for n in range(rows)]}
    return "POST", "/v1/integrations/hr/learners/sync", json.dumps(body).encode(), headers, rows


def xapi_call(server, run):
    client_id, secret = server.client(["xapi:write"])
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}", "X-Experience-API-Version": "1.0.3"}
    rows = 5_000
    body = [{"actor": {"mbox": f"mailto:{run}.{n}@council.gov.uk"},
             "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
             "object": {"id": f"https://learnpool.example/courses/{run}-{n % 50}"}}
            for n in range(rows)]
    return "POST", "/xapi/statements", json.dumps(body).encode(), headers, rows


# -- PostgreSQL stopped under load ---------------------------------------------------------------


def postgres_outage():
    cluster, port = "pathway_faults", free_port()
    subprocess.run(["pg_dropcluster", "15", cluster, "--stop"], capture_output=True)
    subprocess.run(["pg_createcluster", "-q", "15", cluster, "-p", str(port)], check=True, capture_output=True)
    try:
        pg = ["pg_ctlcluster", "15", cluster]
        subprocess.run(pg + ["start"], check=True)
        psql = f"psql -q -p {port} -c"
        subprocess.run(["su", "postgres", "-c", f"{psql} \"CREATE ROLE pathway LOGIN PASSWORD 'pathway'\""], check=True)
        subprocess.run(["su", "postgres", "-c", f"{psql} 'CREATE DATABASE pathway_faults OWNER pathway'"], check=True)
        url = f"postgres://pathway:pathway@127.0.0.1:{port}/pathway_faults"
        outage_under_load(Server(url, "postgres-outage").start(), Database(url), pg)
    finally:
        subprocess.run(["pg_dropcluster", "15", cluster, "--stop"], capture_output=True)


def outage_under_load(server, database, pg):
    admin = server.admin()
    answers, acknowledged, stop = [], [], threading.Event()
    lock = threading.Lock()

    def writer(w):
        n = 0
        while not stop.is_set():
            n += 1
            try:
                answer = server.request("POST", "/v1/learners", learner(f"{w}-{n}"), admin, timeout=3 * POOL_TIMEOUT)
            except OSError as error:
                answer = Response(f"no answer: {error}", {}, b"", 0)
            with lock:
                answers.append((time.monotonic(), answer))
                if answer.status == 201:
                    acknowledged.append(answer.json()["id"])

    writers = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in writers:
        thread.start()
    time.sleep(3)
    subprocess.run(pg + ["stop", "-m", "fast"], check=True)
    stopped = time.monotonic()
    time.sleep(2)
    ready = server.request("GET", "/health/ready", timeout=3 * POOL_TIMEOUT)
    live = server.request("GET", "/health/live", timeout=5)
    time.sleep(4)
    subprocess.run(pg + ["start"], check=True)
    restarted = time.monotonic()
    for _ in range(120):
        if server.request("GET", "/health/ready", timeout=3 * POOL_TIMEOUT).status == 200:
            break
        time.sleep(0.5)
    recovered = time.monotonic()
    time.sleep(3)
    stop.set()
    for thread in writers:
        thread.join()

    if ready.status != 503 or not ready.is_problem():
        server.fail(f"/health/ready answered {ready.status} with the database stopped")
    if live.status != 200:
        server.fail(f"/health/live answered {live.status} with the database stopped")
    wrong = [a for _, a in answers if a.status not in (201, 503)]
    if wrong:
        server.fail(f"{len(wrong)} answers were neither 201 nor 503, e.g. {wrong[0].status}: {wrong[0].body[:300]!r}")
    unavailable = [a for _, a in answers if a.status == 503]
    if not unavailable:
        server.fail("no request answered 503 while the database was stopped")
    if any(not a.is_problem() or "retry-after" not in a.headers for a in unavailable):
        server.fail("a 503 was not problem+json with Retry-After")
    slowest = max(a.seconds for a in unavailable)
    if slowest > POOL_TIMEOUT + 2:
        server.fail(f"a 503 took {slowest:.1f}s, past the pool's {POOL_TIMEOUT}s timeout")
    if not any(at > recovered and a.status == 201 for at, a in answers):
        server.fail("no write succeeded after the database came back")
    missing = [i for i in acknowledged if server.request("GET", f"/v1/learners/{i}", headers=admin).status != 200]
    if missing:
        server.fail(f"{len(missing)} acknowledged learners are missing after the outage")
    orphans = database.scalar("SELECT count(*) FROM learners l WHERE NOT EXISTS "
                              "(SELECT 1 FROM audit_events a WHERE a.resource_id = l.id)")
    if orphans:
        server.fail(f"{orphans} learners were written without their audit event: half-written")
    server.stop()
    print(f"  postgres outage: {len(answers)} writes, {len(acknowledged)} acknowledged and all there, "
          f"{len(unavailable)} answered 503 (slowest {slowest:.1f}s); ready again "
          f"{recovered - restarted:.1f}s after the database restarted ({restarted - stopped:.0f}s down)")


# -- A full disk under SQLite --------------------------------------------------------------------


def full_disk():
    mount = os.path.join(WORK, "small-disk")
    os.makedirs(mount)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mount], check=True)
    try:
        url = f"sqlite://{mount}/pathway.db?mode=rwc"
        server = Server(url, "sqlite-full-disk").start()
        admin = server.admin()
        acknowledged = []
        for n in range(20):
            answer = server.request("POST", "/v1/learners", learner(n), admin)
            expect(answer.status == 201, f"full disk: writing before the disk filled answered {answer.status}")
            acknowledged.append(answer.json()["id"])
        filler = os.path.join(mount, "filler")
        with open(filler, "wb", buffering=0) as f:
            for chunk in (1 << 20, 1 << 12, 1 << 9):
                try:
                    while True:
                        f.write(b"\0" * chunk)
                except OSError:
                    pass
        refused = None
        for n in range(2000):
            answer = server.request("POST", "/v1/learners", learner(f"full-{n}"), admin)
            if answer.status == 201:
                acknowledged.append(answer.json()["id"])
                continue
            refused = answer
            break
        if refused is None:
            server.fail("2,000 writes on a full disk all succeeded: the disk never filled")
        if refused.status != 503 or not refused.is_problem():
            server.fail(f"a write on a full disk answered {refused.status}: {refused.body[:300]!r}")
        read = server.request("GET", f"/v1/learners/{acknowledged[0]}", headers=admin)
        if read.status != 200:
            server.fail(f"a read on a full disk answered {read.status}")
        os.remove(filler)
        again = server.request("POST", "/v1/learners", learner("after"), admin)
        if again.status != 201:
            server.fail(f"a write once there was room again answered {again.status}: {again.body[:300]!r}")
        acknowledged.append(again.json()["id"])
        server.stop()
        with sqlite3.connect(f"{mount}/pathway.db") as db:
            check = db.execute("PRAGMA integrity_check").fetchone()[0]
            # Uuids are 16-byte blobs in SQLite.
            held = {row[0] for row in db.execute("SELECT lower(hex(id)) FROM learners")}
        expect(check == "ok", f"full disk: integrity_check says {check}")
        lost = [i for i in acknowledged if i.replace("-", "") not in held]
        expect(not lost, f"full disk: {len(lost)} acknowledged learners are not in the database")
        print(f"  sqlite full disk: {len(acknowledged) - 1} writes acknowledged before a 503, reads went on, "
              f"writes succeeded once there was room; integrity_check ok, nothing lost")
    finally:
        subprocess.run(["umount", "-l", mount])


def main():
    print("-- SQLite")
    killed_mid_call(sqlite_url("hr-sync"), "sqlite-hr-sync", "learners", hr_sync_call)
    killed_mid_call(sqlite_url("xapi"), "sqlite-xapi", "xapi_statements", xapi_call)
    full_disk()
    if POSTGRES_URL:
        print("-- PostgreSQL")
        killed_mid_call(fresh_postgres("pathway_faults_sync"), "postgres-hr-sync", "learners", hr_sync_call)
        killed_mid_call(fresh_postgres("pathway_faults_xapi"), "postgres-xapi", "xapi_statements", xapi_call)
        postgres_outage()
    print("faults: all passed")


if __name__ == "__main__":
    main()
