"""Compares a pdx SQLite database with a JSONL export of the same account.

usage: counts.py keys DB.sqlite > keys.json
       counts.py compare DB.sqlite JSONL_DIR [DUCKDB.json]

keys prints every table's primary key (as SQLite reports it, PRAGMA
table_info), for duckdb.cjs. compare checks that every table of the
database holds exactly one row per distinct primary key of its JSONL file:
rows counted with Python's sqlite3 and again with pandas.read_sql, keys
with Python's json, and, when DUCKDB.json (duckdb.cjs) is given, both again
with DuckDB. It prints one line per table and exits 1 on any difference.
"""
import json
import os
import sqlite3
import sys


def tables(db):
    q = "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE '\\_pdx\\_%' ESCAPE '\\' ORDER BY name"
    out = {}
    for (t,) in db.execute(q):
        info = sorted(db.execute(f'PRAGMA table_info("{t}")'), key=lambda r: r[5])
        out[t] = [r[1] for r in info if r[5] > 0]
    return out


def jsonl_keys(path, pk):
    keys = set()
    with open(path) as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                keys.add(tuple(json.dumps(rec.get(k)) for k in pk))
    return len(keys)


def compare(db_path, jsonl_dir, duck):
    import pandas  # Debian's python3-pandas

    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    bad = compared = 0
    has_duck_sqlite = any(isinstance(v, dict) and v.get("sqlite") is not None for v in duck.values())
    print(f"{'table':28} {'sqlite3':>8} {'pandas':>8} {'duckdb':>8} | {'jsonl keys':>10} {'duckdb':>8}")
    for t, pk in tables(db).items():
        n_sq = db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
        n_pd = len(pandas.read_sql(f'SELECT * FROM "{t}"', db))
        d = duck.get(t, {})
        d_sq, d_jl = d.get("sqlite"), d.get("jsonl")
        path = os.path.join(jsonl_dir, t + ".jsonl")
        n_jl = jsonl_keys(path, pk) if os.path.exists(path) else None
        counts = [n_sq, n_pd] + ([d_sq] if has_duck_sqlite else []) + ([n_jl, d_jl] if n_jl is not None else [])
        counts = [c for c in counts if c is not None]
        ok = len(set(counts)) == 1 and n_jl is not None
        compared += n_jl is not None
        bad += not ok
        show = lambda v: "-" if v is None else str(v)
        note = "" if ok else ("no JSONL file" if n_jl is None else "MISMATCH")
        print(f"{t:28} {n_sq:8} {n_pd:8} {show(d_sq):>8} | {show(n_jl):>10} {show(d_jl):>8}  key ({', '.join(pk)}) {note}")
    for (v,) in db.execute("SELECT name FROM sqlite_schema WHERE type = 'view' ORDER BY name"):
        n = db.execute(f'SELECT count(*) FROM "{v}"').fetchone()[0]
        print(f"{v:28} {n:8} (view: every version seen)")
    if "_sqlite_error" in duck:
        print(f"DuckDB could not open the database: {duck['_sqlite_error']}")
    print(f"{compared} tables compared with the JSONL export, {bad} differ")
    return 1 if bad or not compared else 0


def main():
    if sys.argv[1] == "keys":
        db = sqlite3.connect(f"file:{sys.argv[2]}?mode=ro", uri=True)
        print(json.dumps(tables(db)))
        return 0
    duck = {}
    if len(sys.argv) > 4:
        with open(sys.argv[4]) as f:
            duck = json.load(f)
    return compare(sys.argv[2], sys.argv[3], duck)


if __name__ == "__main__":
    sys.exit(main())
