//! UP205: the update policies of a database form a cycle.

use std::collections::BTreeMap;

use super::{Context, PolicyView, Rule, RuleMeta, matches_wildcard, sources};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Database;

pub struct UpdatePolicyCycle;

static META: RuleMeta = RuleMeta {
    code: "UP205",
    name: "update-policy-cycle",
    severity: Severity::Error,
    summary: "The update policies of a database form a cycle (a table feeds itself, directly or through other tables).",
    doc: include_str!("../../rules/UP205-update-policy-cycle.md"),
    sources: &[sources::UPDATE_POLICY, sources::ERROR_CODES],
};

impl Rule for UpdatePolicyCycle {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    // A cycle is within one database: its findings are kept while the database is unchanged.
    fn per_database(&self) -> bool {
        true
    }

    fn check_database(&self, context: &Context<'_>, database: &Database, out: &mut Vec<Diagnostic>) {
        // The enabled entries of the database, as edges Source -> target.
        let mut edges: Vec<(&PolicyView<'_>, Vec<&str>)> = Vec::new();
        for view in context.policies.iter().filter(|view| std::ptr::eq(view.database, database)) {
            let Some((source, _)) = view.source() else { continue };
            if view.is_disabled() {
                continue;
            }
            let sources: Vec<&str> = if view.source_is_wildcard() && source.contains('*') {
                let db = view.database;
                db.tables
                    .keys()
                    .chain(db.known_tables().map(|(name, _)| name).filter(|name| !db.tables.contains_key(*name)))
                    .map(|k| &**k)
                    .filter(|name| matches_wildcard(source, name))
                    .collect()
            } else {
                vec![source]
            };
            edges.push((view, sources));
        }
        for cycle in cycles(&edges) {
            out.push(diagnostic(&cycle));
        }
    }
}

/// The entries of each cycle (a strongly connected component with an edge inside it), in the
/// order of the policies.
fn cycles<'v, 'a>(edges: &'v [(&'v PolicyView<'a>, Vec<&'v str>)]) -> Vec<Vec<&'v PolicyView<'a>>> {
    // Nodes are table names; `next[n]` are the targets that table `n` feeds.
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let node = |name: &'v str, index: &mut BTreeMap<&'v str, usize>| {
        let n = index.len();
        *index.entry(name).or_insert(n)
    };
    let mut arcs: Vec<(usize, usize, usize)> = Vec::new();
    for (e, (view, sources)) in edges.iter().enumerate() {
        let to = node(view.table, &mut index);
        for source in sources {
            let from = node(source, &mut index);
            arcs.push((from, to, e));
        }
    }
    let count = index.len();
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); count];
    for &(from, to, _) in &arcs {
        next[from].push(to);
    }
    let component = strongly_connected(&next);
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &(from, to, e) in &arcs {
        if component[from] == component[to] {
            let list = members.entry(component[from]).or_default();
            if !list.contains(&e) {
                list.push(e);
            }
        }
    }
    members
        .into_values()
        .map(|mut list| {
            list.sort_by_key(|&e| edges[e].0.entry.location);
            list.into_iter().map(|e| edges[e].0).collect()
        })
        .collect()
}

/// Tarjan's algorithm without recursion: the component of every node.
fn strongly_connected(next: &[Vec<usize>]) -> Vec<usize> {
    let n = next.len();
    let unvisited = usize::MAX;
    let (mut order, mut low, mut component) = (vec![unvisited; n], vec![0; n], vec![unvisited; n]);
    let mut on_stack = vec![false; n];
    let (mut stack, mut counter, mut components) = (Vec::new(), 0, 0);
    for root in 0..n {
        if order[root] != unvisited {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (v, ref mut child)) = work.last_mut() {
            if *child == 0 {
                order[v] = counter;
                low[v] = counter;
                counter += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = next[v].get(*child) {
                *child += 1;
                if order[w] == unvisited {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(order[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == order[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component[w] = components;
                    if w == v {
                        break;
                    }
                }
                components += 1;
            }
        }
    }
    component
}

fn diagnostic(cycle: &[&PolicyView<'_>]) -> Diagnostic {
    let first = cycle[0];
    let path: Vec<String> =
        cycle.iter().map(|v| format!("`{}` → `{}`", v.source().map_or("?", |(s, _)| s), v.table)).collect();
    let message = if cycle.len() == 1 && first.source().is_some_and(|(s, _)| s == first.table) {
        format!("the update policy of `{}` takes its own table as Source", first.target())
    } else {
        format!("the update policies of database `{}` form a cycle: {}", first.database.name, path.join(", "))
    };
    let mut diagnostic = META.diagnostic(
        message,
        first.property_label("Source", format!("`{}` feeds `{}`", first.source().map_or("?", |(s, _)| s), first.table)),
    );
    for view in &cycle[1..] {
        diagnostic =
            diagnostic.with_label(view.property_label(
                "Source",
                format!("`{}` feeds `{}`", view.source().map_or("?", |(s, _)| s), view.table),
            ));
    }
    diagnostic
        .with_note(META.cite("ADX detects a cycle of update policies when it runs and cuts the chain (UpdatePolicy_Cyclic_Update_Not_Allowed, a permanent failure)", sources::UPDATE_POLICY))
        .with_help("remove one entry of the cycle, or set its \"IsEnabled\" to false")
}
