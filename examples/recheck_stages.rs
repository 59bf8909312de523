//! Processor time of each stage of a one-file re-check with a warm workspace, on the generated
//! 10,000-file project (`benches/support/generate.rs`): `Workspace::set_texts` (parse the file,
//! its units, contexts, model), then resolution, type checking, the rules, and the whole check.
//! Medians and minimums of the main thread's processor time (from the kernel's scheduler
//! statistics, so other load on the machine matters less than for wall clock). The re-check
//! keeps the previous check's results (`check::Cache`); the stages after it measure the same
//! work done afresh, for comparison.
//!
//! ```sh
//! cargo run --release --example recheck_stages -- 20     # 20 re-checks (Linux only)
//! ```
#[path = "../benches/support/generate.rs"]
mod generate;
/// On-CPU time of this thread, from the kernel's scheduler statistics.
struct Instant(u64);
impl Instant {
    fn now() -> Instant {
        let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
        Instant(s.split_whitespace().next().unwrap().parse().unwrap())
    }
    fn elapsed(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(Instant::now().0 - self.0)
    }
}
use uplint::workspace::{LoadOptions, from_texts};

fn main() {
    let files = generate::project(42, &generate::ProjectShape::default());
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let options = LoadOptions::default();
    let t = Instant::now();
    let mut workspace = from_texts(&borrowed, &options);
    eprintln!("load {:?}  units {}", t.elapsed(), workspace.units.len());
    let (id, _) = workspace.sources.files().find(|(_, f)| f.display.ends_with("functions/F3.kql")).unwrap();
    let original = workspace.sources.get(id).text.to_string();
    let edited = original.replace("where Value >", "where Value >=");
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let mut stages: Vec<Vec<f64>> = vec![Vec::new(); 6];
    let mut cache = uplint::check::Cache::default();
    uplint::check::run_cached(&workspace, &Default::default(), &mut cache);
    for i in 0..n {
        let text = if i % 2 == 0 { edited.clone() } else { original.clone() };
        let t = Instant::now();
        workspace.set_texts(vec![(id, text)], &options);
        stages[0].push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let d = uplint::check::run_cached(&workspace, &Default::default(), &mut cache);
        stages[5].push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(d);
        let t = Instant::now();
        let resolution = uplint::resolve::resolve(&workspace);
        stages[1].push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let outputs = uplint::typecheck::check(&workspace);
        stages[2].push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(outputs);
        let t = Instant::now();
        let d = uplint::rules::run(&workspace, &resolution, &Default::default());
        stages[3].push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(d);
        let t = Instant::now();
        let d = uplint::check::check(&workspace, &Default::default());
        stages[4].push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(d);
    }
    let names = [
        "set_texts",
        "afresh: resolve",
        "afresh: typecheck",
        "afresh: rules (incl typecheck)",
        "afresh: check",
        "check keeping results",
    ];
    for (name, mut v) in names.into_iter().zip(stages) {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        eprintln!("{name:32} median {:7.2} ms  min {:7.2}", v[v.len() / 2], v[0]);
    }
}
