#!/usr/bin/env node
// Generates src/kql/types/builtin_table.rs: every built-in scalar function's and aggregate's
// signatures, return-type rule and result-naming rule, read from Kusto.Language's own function
// table (GlobalState.Default.Functions / .Aggregates) as published on npm in
// @kusto/language-service-next (the oracle's copy, see the oracle's README).
//
// Usage: NODE_PATH=<oracle>/node_modules node tools/gen_builtin_types.js > src/kql/types/builtin_table.rs
//
// Return rules that Kusto.Language computes in code (`Custom`, `Computed`) are probed: the
// signature is called once with a representative argument of each declared parameter type
// (`print r = f(...)`, `summarize r = agg(...)`) and the type Kusto.Language gives is recorded.
'use strict';

require('@kusto/language-service-next/bridge.js');
require('@kusto/language-service-next/Kusto.Language.Bridge.js');
/* global Kusto, System */
const K = Kusto.Language;
const S = K.Symbols;

function toArray(list) {
  const out = [];
  if (list == null) return out;
  const n = System.Array.getCount(list, System.Object);
  for (let i = 0; i < n; i++) out.push(System.Array.getItem(list, i, System.Object));
  return out;
}

const g = K.GlobalState.Default;
const RTK = S.ReturnTypeKind.$names;
const PTK = S.ParameterTypeKind.$names;
const AK = S.ArgumentKind.$names;
const RNK = S.ResultNameKind.$names;

const SCALARS = ['bool', 'int', 'long', 'real', 'decimal', 'string', 'datetime', 'timespan', 'guid', 'dynamic'];
const RUST_SCALAR = {
  bool: 'Bool', int: 'Int', long: 'Long', real: 'Real', decimal: 'Decimal', string: 'String',
  datetime: 'DateTime', timespan: 'TimeSpan', guid: 'Guid', dynamic: 'Dynamic',
};
// Columns of the probe table, one per scalar type.
const PROBE_COLUMNS = {
  bool: 'c_bool', int: 'c_int', long: 'c_long', real: 'c_real', decimal: 'c_decimal', string: 'c_string',
  datetime: 'c_datetime', timespan: 'c_timespan', guid: 'c_guid', dynamic: 'c_dynamic',
};
const PROBE_LITERALS = {
  bool: 'true', int: 'int(1)', long: 'long(1)', real: 'real(1)', decimal: 'decimal(1)', string: '"a"',
  datetime: 'datetime(2020-01-01)', timespan: '1d', guid: 'guid(00000000-0000-0000-0000-000000000000)',
  dynamic: 'dynamic([1])',
};
const PROBE_TABLE = 'datatable(' + SCALARS.map((t) => PROBE_COLUMNS[t] + ':' + t).join(', ') + ')[]';

// The scalar type name as Kusto.Language gives it, or null for anything else (tables, `type`).
function scalarName(type) {
  if (type == null) return null;
  const name = type.Name;
  return SCALARS.includes(name) ? name : null;
}

// A representative type for a parameter kind without declared types.
function kindType(kind, previous) {
  switch (kind) {
    case 'Integer': case 'Number': case 'NumberOrBool': case 'Summable': case 'Orderable': case 'NotRealOrBool':
    case 'NotDynamic': case 'NotBool': case 'Scalar': case 'Any': case 'CommonScalar': case 'CommonNumber':
    case 'CommonSummable': case 'CommonOrderable': case 'CommonScalarOrDynamic': case 'IntegerOrArray':
      return 'long';
    case 'RealOrDecimal': return 'real';
    case 'StringOrDynamic': case 'StringOrArray': return 'string';
    case 'DynamicArray': return 'dynamic';
    case 'DynamicBag': return 'bag';
    case 'Parameter0': return previous[0] || 'long';
    case 'Parameter1': return previous[1] || 'long';
    case 'Parameter2': return previous[2] || 'long';
    default: return null;
  }
}

function probeArgument(p, previous, aggregate) {
  const values = toArray(p.Values);
  if (values.length > 0 && typeof values[0] === 'string') return { text: JSON.stringify(values[0]), type: 'string' };
  if (values.length > 0 && typeof values[0] === 'number') return { text: String(values[0]), type: 'long' };
  const kind = PTK[p.TypeKind];
  let type = null;
  if (kind === 'Declared') type = scalarName(toArray(p.DeclaredTypes)[0]);
  else type = kindType(kind, previous);
  if (type == null) return null;
  const literal = AK[p.ArgumentKind].startsWith('Literal') || AK[p.ArgumentKind] === 'Constant';
  if (type === 'bag') return { text: 'dynamic({"a": 1})', type: 'dynamic' };
  const text = aggregate && !literal ? PROBE_COLUMNS[type] : PROBE_LITERALS[type];
  return { text, type };
}

// The types Kusto.Language gives the probe call of a signature, or null.
function probe(name, signature, aggregate) {
  const args = [];
  const types = [];
  for (const p of toArray(signature.Parameters)) {
    if (p.MinOccurring === 0) break;
    const arg = probeArgument(p, types, aggregate);
    if (arg == null) return null;
    for (let i = 0; i < p.MinOccurring; i++) {
      args.push(arg.text);
      types.push(arg.type);
    }
  }
  const call = name + '(' + args.join(', ') + ')';
  const text = aggregate ? PROBE_TABLE + ' | summarize ' + call : 'print ' + call;
  const code = K.KustoCode.ParseAndAnalyze(text, g);
  const errors = toArray(code.GetDiagnostics()).filter((d) => d.Severity === 'Error');
  const result = code.ResultType;
  if (errors.length > 0 || result == null || result.Columns == null) return null;
  const columns = toArray(result.Columns).map((c) => scalarName(c.Type));
  if (columns.length !== 1 || columns[0] == null) return null;
  return columns[0];
}

function returnRule(name, signature, aggregate) {
  const kind = RTK[signature.ReturnKind];
  switch (kind) {
    case 'Declared': {
      const type = scalarName(signature.DeclaredReturnType);
      return type ? `Return::Declared(ScalarType::${RUST_SCALAR[type]})` : 'Return::Unknown';
    }
    case 'Parameter0': case 'Parameter0Literal': return 'Return::Parameter(0)';
    case 'Parameter1': case 'Parameter1Literal': return 'Return::Parameter(1)';
    case 'Parameter2': return 'Return::Parameter(2)';
    case 'ParameterN': case 'ParameterNLiteral': return 'Return::LastParameter';
    case 'Parameter0Promoted': return 'Return::Promoted';
    case 'Parameter0Array': return 'Return::Declared(ScalarType::Dynamic)';
    case 'Common': return 'Return::Common';
    case 'CommonNonDynamic': return 'Return::CommonNonDynamic';
    case 'Widest': return 'Return::Widest';
    case 'Custom': case 'Computed': {
      const type = probe(name, signature, aggregate);
      return type ? `Return::Probed(ScalarType::${RUST_SCALAR[type]})` : 'Return::Unknown';
    }
    default: return 'Return::Tabular';
  }
}

function param(p) {
  const types = toArray(p.DeclaredTypes).map(scalarName).filter((t) => t != null).map((t) => 'ScalarType::' + RUST_SCALAR[t]);
  const max = Math.min(p.MaxOccurring, 65535);
  return `Param { name: ${JSON.stringify(p.Name)}, kind: ParamKind::${PTK[p.TypeKind]}, types: &[${types.join(', ')}], min: ${p.MinOccurring}, max: ${max}, literal: ${AK[p.ArgumentKind].startsWith('Literal') || AK[p.ArgumentKind] === 'Constant'}, star: ${AK[p.ArgumentKind].startsWith('Star')} }`;
}

function table(symbols, aggregate) {
  const byName = new Map();
  for (const f of symbols) {
    if (!byName.has(f.Name)) byName.set(f.Name, f);
  }
  const names = [...byName.keys()].sort();
  const lines = [];
  for (const name of names) {
    const f = byName.get(name);
    const signatures = toArray(f.Signatures).map((s) => {
      const params = toArray(s.Parameters).map(param);
      return `        Signature { ret: ${returnRule(name, s, aggregate)}, params: &[${params.length ? '\n                ' + params.join(',\n                ') + ',\n            ' : ''}] },`;
    });
    const naming = `Naming::${RNK[f.ResultNameKind]}`;
    const prefix = f.ResultNamePrefix == null ? 'None' : `Some(${JSON.stringify(f.ResultNamePrefix)})`;
    lines.push(`    Builtin {\n        name: ${JSON.stringify(name)},\n        naming: ${naming},\n        prefix: ${prefix},\n        signatures: &[\n${signatures.join('\n')}\n        ],\n    },`);
  }
  return lines.join('\n');
}

const functions = toArray(g.Functions);
const aggregates = toArray(g.Aggregates);
const out = [];
out.push('// @generated by tools/gen_builtin_types.js: do not edit by hand.');
out.push('//');
out.push('// Facts from Kusto.Language 12.4.1 (npm @kusto/language-service-next), the function table of');
out.push('// `GlobalState.Default`: `Functions` (built-in scalar functions) and `Aggregates`, each with its');
out.push('// signatures (parameter types, counts, literal-only arguments), its return-type rule');
out.push('// (`ReturnTypeKind`) and its result-naming rule (`ResultNameKind`, `ResultNamePrefix`).');
out.push('// Rules Kusto.Language computes in code are probed once with representative arguments.');
out.push('//');
out.push('// Regenerate: NODE_PATH=/path/to/oracle/node_modules node tools/gen_builtin_types.js \\');
out.push('//     > src/kql/types/builtin_table.rs && cargo fmt');
out.push('');
out.push('use super::builtin::{Builtin, Naming, Param, ParamKind, Return, Signature};');
out.push('use super::scalar::ScalarType;');
out.push('');
out.push(`/// Built-in scalar functions (${new Set(functions.map((f) => f.Name)).size}), sorted by name.`);
out.push('pub static FUNCTIONS: &[Builtin] = &[');
out.push(table(functions, false));
out.push('];');
out.push('');
out.push(`/// Aggregate functions (${new Set(aggregates.map((f) => f.Name)).size}), sorted by name.`);
out.push('pub static AGGREGATES: &[Builtin] = &[');
out.push(table(aggregates, true));
out.push('];');
process.stdout.write(out.join('\n') + '\n');
