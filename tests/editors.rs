//! The editor set-ups of the README, run in the real editors when they are installed (each
//! test is skipped, with the reason printed, when its editor is not).
//!
//! Neovim: `editors/neovim/uplint.lua` is loaded into a headless Neovim, which opens a policy
//! file of a two-file project; the server must publish the policy's UP001, found through a
//! function in the other file.
//!
//! Helix: the README's `languages.toml` is given to Helix running in a tmux pane; the test reads
//! the screen as a user would: the UP001 found through the other file, the hover on the call,
//! the quick fix, and the re-check of the fixed buffer.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("uplint-editors-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A new folder holding the two-file project of UP001's fixture (a policy that calls a function
/// in another file) and an empty `uplint.toml`.
fn project_dir(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    let case = root().join("fixtures/rules/UP001/fires/through_function_in_another_file");
    for entry in std::fs::read_dir(&case).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(dir.join("uplint.toml"), "").unwrap();
    dir
}

/// Opens `policies.kql` in headless Neovim with the README's configuration and writes every
/// diagnostic Neovim received as `line:column code message`.
const DRIVER: &str = r#"
vim.g.uplint_command = os.getenv("UPLINT_BIN")
dofile(os.getenv("UPLINT_NVIM_CONFIG"))
vim.cmd("edit " .. os.getenv("UPLINT_FILE"))
vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 50)
local out = io.open(os.getenv("UPLINT_OUT"), "w")
for _, d in ipairs(vim.diagnostic.get(0)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or ""
  out:write(string.format("%d:%d %s %s\n", d.lnum + 1, d.col + 1, code, d.message))
end
out:close()
vim.cmd("qa!")
"#;

#[test]
fn neovim_shows_the_diagnostics_of_the_whole_project() {
    if Command::new("nvim").arg("--version").output().is_err() {
        eprintln!("nvim is not installed: skipped (apt-get install neovim runs it)");
        return;
    }
    let dir = project_dir("nvim");
    let driver = dir.join("driver.lua");
    std::fs::write(&driver, DRIVER).unwrap();
    let out = dir.join("diagnostics.txt");
    let status = Command::new("nvim")
        .args(["--headless", "--clean", "-c"])
        .arg(format!("luafile {}", driver.display()))
        .env("UPLINT_BIN", env!("CARGO_BIN_EXE_uplint"))
        .env("UPLINT_NVIM_CONFIG", root().join("editors/neovim/uplint.lua"))
        .env("UPLINT_FILE", dir.join("policies.kql"))
        .env("UPLINT_OUT", &out)
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(status.success(), "nvim exited with {status}");
    let received = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let up001: Vec<&str> = received.lines().filter(|l| l.contains(" UP001 ")).collect();
    assert_eq!(up001.len(), 1, "Neovim received: {received}");
    assert!(up001[0].starts_with("2:56 UP001 "), "{received}");
    assert!(up001[0].contains("reads database `Reference` but has no ManagedIdentity"), "{received}");
}

/// The first fenced block of `language` after the README line that starts with `heading`.
fn readme_block(heading: &str, language: &str) -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let after = &readme[readme.find(heading).expect("the README's heading")..];
    let fence = format!("```{language}\n");
    let start = after.find(&fence).expect("a fenced block") + fence.len();
    after[start..start + after[start..].find("```").unwrap()].to_string()
}

/// A tmux server of the test's own, killed when dropped (also when an assertion fails).
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Sends keys one argument at a time (tmux key names such as `Enter` and `Escape` work).
    fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", "editor", key]);
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }

    /// The screen once `seen` holds for it, else the last screen in the panic message.
    fn wait_for(&self, what: &str, seen: impl Fn(&str) -> bool) -> String {
        let mut screen = String::new();
        for _ in 0..150 {
            screen = self.run(&["capture-pane", "-p", "-t", "editor"]);
            if seen(&screen) {
                return screen;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        panic!("Helix never showed {what}; the screen was:\n{screen}");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

#[test]
fn helix_shows_diagnostics_hover_and_fixes_with_the_readme_configuration() {
    if Command::new("hx").arg("--version").output().is_err() || Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("hx or tmux is not installed: skipped (Helix is not packaged in Debian 12; build it from source)");
        return;
    }
    let dir = project_dir("helix");
    std::fs::create_dir_all(dir.join("config/helix")).unwrap();
    std::fs::write(dir.join("config/helix/languages.toml"), readme_block("**Helix**, in", "toml")).unwrap();
    // The README's configuration runs `uplint` from PATH.
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_uplint"), dir.join("bin/uplint")).unwrap();
    let path = format!("{}:{}", dir.join("bin").display(), std::env::var("PATH").unwrap_or_default());
    let tmux = Tmux { socket: format!("uplint-helix-{}", std::process::id()) };
    let command = format!("env PATH='{path}' XDG_CONFIG_HOME='{}' hx policies.kql", dir.join("config").display());
    tmux.run(&["new-session", "-d", "-s", "editor", "-x", "220", "-y", "40", "-c", dir.to_str().unwrap(), &command]);

    tmux.wait_for("UP001 on the policy", |s| {
        s.contains("the update policy of `default.Orders` reads database `Reference` but has no ManagedIdentity")
    });
    tmux.keys(&["/", "EnrichOrders", "Enter", " ", "k"]);
    tmux.wait_for("the hover of the function call", |s| {
        s.contains("function defined at functions.kql:1") && s.contains("default.Orders[0] (policies.kql:2)")
    });
    tmux.keys(&["Escape", " ", "a"]);
    tmux.wait_for("the quick fixes", |s| {
        s.contains("Set \"ManagedIdentity\": \"system\" on this update policy entry")
            && s.contains("Copy the command that fixes UP001 on the cluster")
    });
    tmux.keys(&["Enter"]);
    let fixed = tmux.wait_for("the fixed buffer checked again", |s| {
        s.contains(r#""IsTransactional": true, "ManagedIdentity": "system"}]'"#) && s.contains("is not allowed for")
    });
    assert!(!fixed.contains("but has no ManagedIdentity"), "UP001 is still shown:\n{fixed}");
    tmux.keys(&["Escape", ":q!", "Enter"]);
    drop(tmux);
    std::fs::remove_dir_all(&dir).unwrap();
}
