"""Runs SQL on a current ClickHouse engine (chdb, ClickHouse embedded in Python) for the dialect test.

The local stack runs Debian's ClickHouse 18.16; users run current ClickHouse. This bridge lets the test
suite run the same migrations and queries on a current engine without Docker: one JSON request per line
on stdin ({"sql": "..."}), one JSON answer per line on stdout ({"ok": true, "out": "..."} or
{"ok": false, "error": "..."}). Usage: chdb-bridge.py <session-dir> <database>
"""
import json
import sys

from chdb import session


def main() -> None:
    path, database = sys.argv[1], sys.argv[2]
    sess = session.Session(path)
    sess.query(f"CREATE DATABASE IF NOT EXISTS `{database}`")
    sess.query(f"USE `{database}`")
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            out = sess.query(request["sql"])
            answer = {"ok": True, "out": str(out) if out is not None else ""}
        except Exception as err:  # every failure goes back to the caller, who raises it
            answer = {"ok": False, "error": str(err)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
