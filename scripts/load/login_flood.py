#!/usr/bin/env python3
"""The login flood (issue 15 item 3; BENCHMARKS.md, "Login flood"). Standard library only.

    scripts/load/login_flood.py [--backend sqlite|postgres] [--samples N]
                                [--clients 64] [--seconds 15]

Seeds a fresh database with demo data (`lims seed --demo --samples N`), starts the
release build of `lims serve` with LIMS_TRUSTED_PROXIES=127.0.0.1, logs the demo
supervisor in, and measures one logged-in user listing samples
(`GET /api/v1/samples`, one request after the other) in three phases of --seconds each:

  baseline        no flood;
  flood-one-addr  --clients clients post wrong passwords as fast as the server answers,
                  all from one address (the per-address limit refuses them after 20);
  flood-spread    the same, each request from a new address (X-Forwarded-For through
                  the trusted proxy), so every attempt passes the limits and is hashed:
                  the worst case, a botnet.

Prints the median and p90 of the user's list requests per phase and what the flood got
(answers by status). The flood runs in separate processes so that it does not share an
interpreter lock with the measurement. Environment: CARGO_TARGET_DIR (default ./target),
PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres; the database
lims_flood is created and dropped there). Only loopback addresses are used.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "login flood benchmark secret, long enough for hmac"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, env):
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return out.stdout + out.stderr


def flood_worker(port, seconds, spread, seed, out):
    """Posts wrong passwords until `seconds` have passed; puts {status: count}."""
    rnd = random.Random(seed)
    counts = {}
    end = time.monotonic() + seconds
    conn = None
    while time.monotonic() < end:
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": "application/json"}
        if spread:
            headers["X-Forwarded-For"] = "10.%d.%d.%d" % (
                rnd.randrange(256), rnd.randrange(256), rnd.randrange(1, 255))
        body = json.dumps({"username": "admin", "password": "wrong-%d" % rnd.randrange(10**9)})
        try:
            conn.request("POST", "/api/v1/auth/login", body, headers)
            r = conn.getresponse()
            r.read()
            counts[r.status] = counts.get(r.status, 0) + 1
        except (OSError, http.client.HTTPException) as e:
            counts[type(e).__name__] = counts.get(type(e).__name__, 0) + 1
            conn = None
    out.put(counts)


def measure(port, token, seconds):
    """One user listing samples, one request after the other; latencies in ms."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    lat = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.perf_counter()
        conn.request("GET", "/api/v1/samples", headers={"Authorization": "Bearer " + token})
        r = conn.getresponse()
        r.read()
        lat.append((time.perf_counter() - t) * 1000)
        if r.status != 200:
            sys.exit("list answered %d" % r.status)
    return lat


def p90(xs):
    return statistics.quantiles(xs, n=10)[-1]


def phase(name, port, token, seconds, clients, spread):
    procs, q = [], multiprocessing.Queue()
    if clients:
        for i in range(clients):
            p = multiprocessing.Process(target=flood_worker, args=(port, seconds + 1, spread, i, q))
            p.start()
            procs.append(p)
        time.sleep(1)  # let the flood build up before measuring
    lat = measure(port, token, seconds)
    flood = {}
    for _ in procs:
        for k, v in q.get().items():
            flood[k] = flood.get(k, 0) + v
    for p in procs:
        p.join()
    print("%-15s list: %5d requests, median %7.1f ms, p90 %7.1f ms; flood answers: %s" % (
        name, len(lat), statistics.median(lat), p90(lat), json.dumps(flood, sort_keys=True)),
        flush=True)
    return lat


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", default="sqlite", choices=["sqlite", "postgres"])
    ap.add_argument("--samples", type=int, default=10000)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--binary", help="the lims binary (default: the release build)")
    a = ap.parse_args()
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    lims = a.binary or os.path.join(target, "release", "lims")
    if not os.path.exists(lims):
        sys.exit("build it first: cargo build --release")
    work = tempfile.mkdtemp()
    pg_admin = os.environ.get("PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if a.backend == "postgres":
        base = pg_admin.rsplit("/", 1)[0]
        subprocess.run(["psql", pg_admin, "-qc", "DROP DATABASE IF EXISTS lims_flood"], check=True)
        subprocess.run(["psql", pg_admin, "-qc", "CREATE DATABASE lims_flood"], check=True)
        db_url = base + "/lims_flood"
    else:
        db_url = "sqlite://" + os.path.join(work, "lims.db")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIMS_")}
    env.update({
        "DATABASE_URL": db_url, "LIMS_DATA_DIR": work, "LIMS_SECRET": SECRET,
        "LIMS_BIND": "127.0.0.1:%d" % port, "LIMS_TRUSTED_PROXIES": "127.0.0.1",
        "RUST_LOG": "warn",
    })
    seeded = run([lims, "seed", "--demo", "--samples", str(a.samples)], env)
    password = re.search(r"demo password: (\S+)", seeded).group(1)
    server = subprocess.Popen([lims, "serve"], env=env, stdout=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("POST", "/api/v1/auth/login",
                  json.dumps({"username": "supervisor", "password": password}),
                  {"Content-Type": "application/json",
                   # its own address, which the flood never uses
                   "X-Forwarded-For": "192.0.2.1"})
        r = c.getresponse()
        token = json.loads(r.read())["token"]
        print("backend %s, %d demo samples, %d flood clients, %d s per phase, %d cores" % (
            a.backend, a.samples, a.clients, a.seconds, os.cpu_count()), flush=True)
        phase("baseline", port, token, a.seconds, 0, False)
        phase("flood-one-addr", port, token, a.seconds, a.clients, False)
        phase("flood-spread", port, token, a.seconds, a.clients, True)
    finally:
        server.terminate()
        server.wait()
        if a.backend == "postgres":
            subprocess.run(["psql", pg_admin, "-qc", "DROP DATABASE IF EXISTS lims_flood WITH (FORCE)"])


if __name__ == "__main__":
    main()
