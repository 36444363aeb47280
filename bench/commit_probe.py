#!/usr/bin/env python3
"""What a durable commit costs on this disk, without berth: the floor of
bench/remove_latency.py's figure.

In a directory on the data root's file system (default /var/tmp):
  1. fdatasync after rewriting the same 4 KiB block (remove_latency.py's
     fsync probe);
  2. fdatasync after writing N WAL-shaped frames (a 24-byte header and a
     4 KiB page each, SQLite's layout) into blocks the file already has,
     N = 1, 6, 10 (a removal's COMMIT writes 7 to 10 pages);
  3. SQLite's own COMMIT (WAL, synchronous=FULL) of a removal-like
     transaction (delete a record and its three root rows, decrement seven
     counters), with page_size 4096 and 1024.
Medians of --rounds each, in microseconds.

Usage: bench/commit_probe.py [--dir /var/tmp] [--rounds 300]
"""

import argparse
import os
import random
import sqlite3
import statistics
import tempfile
import time


def median_us(samples):
    return statistics.median(samples) * 1e6


def same_block(fd, rounds):
    ts = []
    for _ in range(rounds):
        os.pwrite(fd, os.urandom(4096), 0)
        t = time.perf_counter()
        os.fdatasync(fd)
        ts.append(time.perf_counter() - t)
    return median_us(ts)


def wal_frames(fd, frames, rounds, span):
    ts, off = [], 0
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(frames):
            os.pwrite(fd, os.urandom(24), off)
            os.pwrite(fd, os.urandom(4096), off + 24)
            off += 4120
        os.fdatasync(fd)
        ts.append(time.perf_counter() - t)
        if off > span - 16 * 4120:
            off = 0
    return median_us(ts)


def sqlite_commit(directory, page_size, rounds):
    path = os.path.join(directory, "probe-%d.db" % page_size)
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA page_size=%d" % page_size)
    c.execute("PRAGMA journal_mode=WAL")
    c.execute("PRAGMA synchronous=FULL")
    c.execute("CREATE TABLE images(name TEXT PRIMARY KEY, target TEXT, js TEXT)")
    c.execute("CREATE INDEX by_target ON images(target)")
    c.execute("CREATE TABLE refs(kind TEXT, root TEXT, digest TEXT, PRIMARY KEY(kind, root, digest)) WITHOUT ROWID")
    c.execute("CREATE TABLE blobs(id INTEGER PRIMARY KEY, digest TEXT UNIQUE, refs INTEGER)")
    c.execute("BEGIN")
    names = []
    for i in range(2000):
        target = os.urandom(32).hex()
        names.append(("docker.io/rm/img%d:1" % i, target))
        c.execute("INSERT INTO images VALUES(?,?,?)", (names[-1][0], target, "x" * 300))
        for _ in range(3):
            c.execute("INSERT INTO refs VALUES('image',?,?)", (target, os.urandom(32).hex()))
        for _ in range(7):
            c.execute("INSERT INTO blobs(digest, refs) VALUES(?,1)", (os.urandom(32).hex(),))
    c.execute("COMMIT")
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    random.shuffle(names)
    ts = []
    for name, target in names[:rounds]:
        c.execute("BEGIN IMMEDIATE")
        c.execute("DELETE FROM images WHERE name=?", (name,))
        c.execute("DELETE FROM refs WHERE kind='image' AND root=?", (target,))
        base = random.randrange(1, 13000)
        for k in range(7):
            c.execute("UPDATE blobs SET refs=refs-1 WHERE id=?", (base + k,))
        t = time.perf_counter()
        c.execute("COMMIT")
        ts.append(time.perf_counter() - t)
    c.close()
    return median_us(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="/var/tmp")
    ap.add_argument("--rounds", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="berth-commit-probe-", dir=args.dir) as d:
        span = 8 << 20
        fd = os.open(os.path.join(d, "frames"), os.O_RDWR | os.O_CREAT, 0o600)
        os.write(fd, os.urandom(span))
        os.fsync(fd)
        print("fdatasync, same 4 KiB block rewritten: %.0f us" % same_block(fd, args.rounds))
        for n in (1, 6, 10):
            print("fdatasync after %2d WAL-shaped frames (existing blocks): %.0f us" %
                  (n, wal_frames(fd, n, args.rounds, span)))
        os.close(fd)
        for page_size in (4096, 1024):
            print("SQLite COMMIT of a removal-like transaction, page_size %d: %.0f us" %
                  (page_size, sqlite_commit(d, page_size, min(args.rounds, 1500))))


if __name__ == "__main__":
    main()
