#!/usr/bin/env node
// Generates tests/data/query-schemas.jsonl: for a deterministic sample of 500 corpus queries
// (`<corpus>/queries/*.jsonl`) that read only tables of the current database, a schema for each
// table and Kusto.Language's result schema of the query given those schemas (the oracle's
// `result_columns` and `result_open`). The query texts stay in the corpus; the test
// (tests/corpus_query_schemas.rs) reads them by id and never runs the oracle.
//
// Schemas: every plain identifier of the query that is not a table, a function called, a `let`
// name or a member after `.` becomes a column of every table the query reads; its type is
// guessed from its name (`...Time` datetime, `...Count`/`...Id` long, used with `.`/`[` dynamic,
// else string). Both sides get the same schemas, so the guess only decides what is exercised.
//
// Usage: NODE_PATH=<oracle>/node_modules node tools/gen_query_schemas.js <corpus> <oracle.js> \
//            > tests/data/query-schemas.jsonl
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');

require('@kusto/language-service-next/bridge.js');
require('@kusto/language-service-next/Kusto.Language.Bridge.js');
/* global Kusto */
const K = Kusto.Language;

const [corpus, oracle] = process.argv.slice(2);
const SAMPLE = 500;
const IDENTIFIER = 323;

const expected = new Map();
for (const line of fs.readFileSync(path.join(corpus, 'expected/queries.jsonl'), 'utf8').split('\n')) {
  if (line.trim()) {
    const answer = JSON.parse(line);
    expected.set(answer.id, answer);
  }
}
const queries = [];
for (const file of fs.readdirSync(path.join(corpus, 'queries')).sort()) {
  for (const line of fs.readFileSync(path.join(corpus, 'queries', file), 'utf8').split('\n')) {
    if (line.trim()) queries.push(JSON.parse(line));
  }
}

function eligible(q) {
  const a = expected.get(q.id);
  if (!a || !a.ok || a.tables.length === 0) return false;
  const empty = ['databases', 'clusters', 'table_patterns', 'functions', 'materialized_views', 'external_tables'];
  if (empty.some((k) => (a[k] || []).length > 0)) return false;
  return a.tables.every(([c, d]) => c == null && d == null);
}

function columnsOf(q, tables) {
  const code = K.KustoCode.Parse(q.query, K.GlobalState.Default);
  const tokens = [];
  K.Syntax.SyntaxElement.WalkElements(code.Syntax, (e) => { if (e.IsToken) tokens.push(e); });
  const names = new Map();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.Kind !== IDENTIFIER) continue;
    const name = t.Text;
    const previous = i > 0 ? tokens[i - 1].Text : '';
    const next = i + 1 < tokens.length ? tokens[i + 1].Text : '';
    if (tables.has(name) || next === '(' || previous === '.' || previous === 'let' || name.startsWith('$')) continue;
    const dynamic = next === '.' || next === '[';
    names.set(name, (names.get(name) || false) || dynamic);
  }
  return [...names.entries()].map(([name, dynamic]) => {
    let type = 'string';
    if (dynamic) type = 'dynamic';
    else if (/(Time|Timestamp|Date|^ts$|^timestamp$)/.test(name)) type = 'datetime';
    else if (/(Count|Id|ID|Size|Port|Bytes|Number|Duration)$/.test(name)) type = 'long';
    else if (/(Score|Percent|Ratio|Value)$/.test(name)) type = 'real';
    return `['${name}']:${type}`;
  });
}

const hash = (id) => crypto.createHash('sha1').update(id).digest('hex');
const candidates = queries.filter(eligible).sort((a, b) => (hash(a.id) < hash(b.id) ? -1 : 1)).slice(0, SAMPLE * 2);
const requests = candidates.map((q) => {
  const tables = new Set(expected.get(q.id).tables.map(([, , t]) => t));
  const columns = columnsOf(q, tables);
  const schema = {};
  for (const t of tables) schema[t] = columns.length ? columns.join(', ') : null;
  return { id: q.id, query: q.query, schema: { databases: { db: { tables: schema } } }, tables: schema };
});
const input = requests.map((r) => JSON.stringify({ id: r.id, query: r.query, schema: r.schema })).join('\n') + '\n';
const output = execFileSync('node', [oracle, '--jobs', '2'], { input, maxBuffer: 1 << 28 }).toString();
const answers = new Map(output.split('\n').filter((l) => l.trim()).map((l) => { const a = JSON.parse(l); return [a.id, a]; }));
let written = 0;
for (const r of requests) {
  const a = answers.get(r.id);
  if (!a || !a.ok || a.result_columns == null || written >= SAMPLE) continue;
  process.stdout.write(JSON.stringify({ id: r.id, tables: r.tables, result_columns: a.result_columns, result_open: a.result_open }) + '\n');
  written++;
}
process.stderr.write(`${candidates.length} candidates, ${written} written\n`);
