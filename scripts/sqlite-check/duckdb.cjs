// Counts with DuckDB (@duckdb/node-api from a package registry): tries to
// open the SQLite database itself (ATTACH ... (TYPE sqlite), which needs
// DuckDB's sqlite extension) and counts the distinct primary keys of every
// table's JSONL file (read_json_objects, DuckDB's own JSON reader).
//
// usage: node duckdb.cjs NODE_MODULES_DIR KEYS.json DB.sqlite JSONL_DIR > counts.json
// KEYS.json: {"table": ["key", ...], ...}. Prints {"table": {"jsonl": n,
// "sqlite": n or null}, "_sqlite_error": "why DuckDB could not open it"}.
const path = require('path');
const fs = require('fs');
const [modules, keysFile, dbPath, jsonlDir] = process.argv.slice(2);
const { DuckDBInstance } = require(require.resolve('@duckdb/node-api', { paths: [modules] }));

const lit = (s) => "'" + String(s).replaceAll("'", "''") + "'";

(async () => {
  const keys = JSON.parse(fs.readFileSync(keysFile, 'utf8'));
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  const one = async (q) => Number((await c.runAndReadAll(q)).getRows()[0][0]);
  const out = {};
  let attached = false;
  try {
    // A copy of the extension on disk (sqlite_scanner.duckdb_extension of
    // DuckDB's version) spares the download.
    if (process.env.DUCKDB_SQLITE_EXTENSION) await c.run(`LOAD ${lit(process.env.DUCKDB_SQLITE_EXTENSION)}`);
    await c.run(`ATTACH ${lit(dbPath)} AS pd (TYPE sqlite, READ_ONLY)`);
    attached = true;
  } catch (err) {
    out._sqlite_error = err.message.split('\n')[0];
  }
  for (const [table, pk] of Object.entries(keys)) {
    const r = { jsonl: null, sqlite: null };
    const file = path.join(jsonlDir, table + '.jsonl');
    if (fs.existsSync(file)) {
      const key = '[' + pk.map((k) => `json_extract(json, ${lit('$."' + k + '"')})::VARCHAR`).join(', ') + ']';
      r.jsonl = await one(`SELECT count(DISTINCT ${key}) FROM read_json_objects(${lit(file)}, format = 'newline_delimited')`);
    }
    if (attached) {
      r.sqlite = await one(`SELECT count(*) FROM pd."${table.replaceAll('"', '""')}"`);
    }
    out[table] = r;
  }
  console.log(JSON.stringify(out));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
