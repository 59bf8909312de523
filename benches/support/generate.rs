//! Seeded generators of synthetic uplint projects: a realistic large project and the
//! adversarial shapes that once cost quadratic time, memory or the stack.
//!
//! Shared by `benches/project.rs` (in memory) and `examples/generate_project.rs` (on disk, to
//! time the whole process). Every generator is deterministic: the same seed gives the same bytes.

#![allow(dead_code)]

use std::fmt::Write;

/// A small, seeded pseudo-random source (SplitMix64): enough for varied, repeatable shapes.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

/// One generated file: a relative path and its text.
pub type File = (String, String);

/// The sizes of a generated project.
pub struct ProjectShape {
    pub files: usize,
    pub databases: usize,
    pub functions: usize,
    pub max_chain: usize,
    pub policies: usize,
}

impl Default for ProjectShape {
    /// The project of the speed goals: 10,000 files, 2,000 functions with call chains up to 20
    /// deep across 20 databases, 5,000 policies, grants and identity policies.
    fn default() -> ProjectShape {
        ProjectShape { files: 10_000, databases: 20, functions: 2_000, max_chain: 20, policies: 5_000 }
    }
}

fn guid(rng: &mut Rng) -> String {
    let a = rng.next();
    let b = rng.next();
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// A large, realistic project: per database a folder with tables, functions (each calling the
/// previous one of its chain, some in other databases), update policies with and without
/// identities, grants, identity policies, and plain query files to reach the file count.
pub fn project(seed: u64, shape: &ProjectShape) -> Vec<File> {
    let mut rng = Rng::new(seed);
    let mut files = Vec::new();
    let identities: Vec<String> = (0..8).map(|_| guid(&mut rng)).collect();
    let db = |i: usize| format!("Db{i:02}");

    // The cluster's identity policy and the tables of every database.
    let mut cluster = String::from("#connect cluster('bench.westeurope').database('Db00')\n\n");
    let allowed: Vec<String> = identities
        .iter()
        .take(6)
        .map(|id| format!("{{\"ObjectId\": \"{id}\", \"AllowedUsages\": \"AutomatedFlows\"}}"))
        .collect();
    let _ = writeln!(cluster, ".alter-merge cluster policy managed_identity ```[{}]```", allowed.join(", "));
    files.push(("cluster.kql".to_string(), cluster));

    let tables_per_db = shape.policies / shape.databases + 1;
    for d in 0..shape.databases {
        let mut text = format!("#connect cluster('bench.westeurope').database('{}')\n\n", db(d));
        for t in 0..tables_per_db {
            let _ = writeln!(text, ".create-merge table Raw{t} (Payload:dynamic, Ingested:datetime)");
            let _ = writeln!(text, ".create-merge table Clean{t} (Id:string, Value:real, Ingested:datetime)");
        }
        for (i, id) in identities.iter().enumerate() {
            if (i + d) % 3 != 0 {
                let _ = writeln!(
                    text,
                    ".add database {} viewers ('aadapp={id};72f988bf-86f1-41af-91ab-2d7cd011db47')",
                    db(d)
                );
            }
        }
        files.push((format!("{}/tables.kql", db(d)), text));
    }

    // Functions: chains of up to `max_chain` calls; a call goes to another database one time in
    // five. Each function lives in its own file, in its database's folder.
    let per_db = shape.functions / shape.databases;
    for d in 0..shape.databases {
        for f in 0..per_db {
            let chain_position = f % shape.max_chain;
            let body = if chain_position == 0 {
                format!(
                    "Raw{} | project Id = tostring(Payload.id), Value = toreal(Payload.v), Ingested",
                    f % tables_per_db
                )
            } else if rng.below(5) == 0 {
                let other = rng.below(shape.databases);
                format!("database('{}').F{}() | where Value > {}", db(other), f - 1, rng.below(100))
            } else {
                format!("F{}() | where Value > {}", f - 1, rng.below(100))
            };
            let text = format!(
                "#connect cluster('bench.westeurope').database('{}')\n\n.create-or-alter function with (folder = \"Gen\") F{f}() {{\n    {body}\n}}\n",
                db(d)
            );
            files.push((format!("{}/functions/F{f}.kql", db(d)), text));
        }
    }

    // Policies, in files of ten, on `Clean<t>` tables, with every identity flavour.
    let mut written = 0;
    let mut file_index = 0;
    while written < shape.policies {
        let d = file_index % shape.databases;
        let mut text = format!("#connect cluster('bench.westeurope').database('{}')\n\n", db(d));
        for _ in 0..10 {
            if written == shape.policies {
                break;
            }
            let t = written / shape.databases % tables_per_db;
            let function = rng.below(per_db.max(1));
            let identity = match rng.below(4) {
                0 => String::new(),
                1 => ", \"ManagedIdentity\": \"system\"".to_string(),
                _ => format!(", \"ManagedIdentity\": \"{}\"", identities[rng.below(identities.len())]),
            };
            let _ = writeln!(
                text,
                ".alter table Clean{t} policy update\n@'[{{\"IsEnabled\": true, \"Source\": \"Raw{t}\", \"Query\": \"F{function}()\", \"IsTransactional\": true{identity}}}]'\n"
            );
            written += 1;
        }
        files.push((format!("{}/policies/p{file_index}.kql", db(d)), text));
        file_index += 1;
    }

    // Plain query files up to the file count.
    let mut q = 0;
    while files.len() < shape.files {
        let d = q % shape.databases;
        let text = format!(
            "// exploration\nRaw{} | where Ingested > ago({}d) | summarize count() by bin(Ingested, 1h)\n\nClean{} | take {}\n",
            q % tables_per_db,
            rng.below(30) + 1,
            q % tables_per_db,
            rng.below(1000)
        );
        files.push((format!("{}/queries/q{q}.kql", db(d)), text));
        q += 1;
    }
    files
}

/// One policy reaching a chain of `depth` functions, each calling the next.
pub fn deep_chain(depth: usize) -> Vec<File> {
    let mut text = String::from(
        "#connect cluster('c').database('Db')\n\n.create table Source (a:string)\n.create table Target (a:string)\n\n",
    );
    for i in 0..depth {
        let body = if i + 1 == depth {
            "Source | join (database('Other').T) on a".to_string()
        } else {
            format!("F{}()", i + 1)
        };
        let _ = writeln!(text, ".create-or-alter function F{i}() {{ {body} }}\n");
    }
    text.push_str(".alter table Target policy update @'[{\"IsEnabled\": true, \"Source\": \"Source\", \"Query\": \"F0()\", \"IsTransactional\": true}]'\n");
    vec![("chain.kql".to_string(), text)]
}

/// One update policy with `entries` entries on one table, each reading another database.
pub fn many_entries(entries: usize) -> Vec<File> {
    let mut text = String::from(
        "#connect cluster('c').database('Db')\n\n.create table Source (a:string)\n.create table Target (a:string)\n\n.alter table Target policy update @'[",
    );
    for i in 0..entries {
        if i > 0 {
            text.push_str(", ");
        }
        let _ = write!(
            text,
            "{{\"IsEnabled\": true, \"Source\": \"Source\", \"Query\": \"Source | join (database(\\\"Other\\\").T{i}) on a\", \"IsTransactional\": true}}"
        );
    }
    text.push_str("]'\n");
    vec![("entries.kql".to_string(), text)]
}

/// `grants` role assignments on one database (in commands of 100 principals).
pub fn many_grants(grants: usize) -> Vec<File> {
    let mut rng = Rng::new(7);
    let mut text = String::from("#connect cluster('c').database('Db')\n\n");
    let mut written = 0;
    while written < grants {
        let batch: Vec<String> = (0..100.min(grants - written))
            .map(|_| format!("'aadapp={};72f988bf-86f1-41af-91ab-2d7cd011db47'", guid(&mut rng)))
            .collect();
        written += batch.len();
        let _ = writeln!(text, ".add database Db viewers ({})", batch.join(", "));
    }
    vec![("grants.kql".to_string(), text)]
}

/// One line of `bytes` bytes made of `x.a` member accesses.
pub fn long_member_line(bytes: usize) -> Vec<File> {
    let mut text = String::from("print v = x.a");
    while text.len() + 6 < bytes {
        text.push_str(" + x.a");
    }
    text.push('\n');
    vec![("members.kql".to_string(), text)]
}

/// `count` tiny queries separated by blank lines, in one file.
pub fn tiny_queries(count: usize) -> Vec<File> {
    let mut text = String::with_capacity(count * 12);
    for i in 0..count {
        let _ = write!(text, "T{} | take 1\n\n", i % 10);
    }
    vec![("tiny.kql".to_string(), text)]
}

/// One file of about `bytes` bytes of ordinary commands and functions.
pub fn big_file(bytes: usize) -> Vec<File> {
    let mut text = String::from("#connect cluster('c').database('Db')\n\n");
    let mut i = 0;
    while text.len() < bytes {
        let _ = writeln!(
            text,
            ".create-merge table T{i} (a:string, b:long)\n.create-or-alter function F{i}() {{ T{i} | where b > {i} | project a }}\n"
        );
        i += 1;
    }
    vec![("big.kql".to_string(), text)]
}

/// `tables` tables of names of one length, and an update policy on every fifth whose Source is
/// no table of the project but one letter away from the table before (UP203 suggests it for
/// each).
pub fn unknown_sources(tables: usize) -> Vec<File> {
    let mut text = String::from("#connect cluster('c').database('Db')\n\n");
    for i in 0..tables {
        let _ = writeln!(text, ".create table T{i:06} (a:string)");
    }
    for i in (0..tables).step_by(5) {
        let _ = writeln!(
            text,
            ".alter table T{:06} policy update @'[{{\"IsEnabled\": true, \"Source\": \"S{i:06}\", \"Query\": \"S{i:06}\", \"IsTransactional\": false}}]'",
            i + 1
        );
    }
    vec![("sources.kql".to_string(), text)]
}

/// The adversarial shape called `name`, at `scale` (1 = the size the goals name, 2 = double).
pub fn adversarial(name: &str, scale: usize) -> Option<Vec<File>> {
    Some(match name {
        "chain" => deep_chain(10_000 * scale),
        "entries" => many_entries(4_000 * scale),
        "grants" => many_grants(40_000 * scale),
        "members" => long_member_line(1_000_000 * scale),
        "tiny" => tiny_queries(500_000 * scale),
        "big" => big_file(100_000_000 * scale),
        "sources" => unknown_sources(100_000 * scale),
        _ => return None,
    })
}

/// The names `adversarial` knows.
pub const ADVERSARIAL: &[&str] = &["chain", "entries", "grants", "members", "tiny", "big", "sources"];
