//! The editor set-ups of the README, run in the real editors when they are installed (each
//! test is skipped, with the reason printed, when its editor is not).
//!
//! Neovim: `editors/neovim/uplint.lua` is loaded into a headless Neovim, which opens a policy
//! file of a two-file project; the server must publish the policy's UP001, found through a
//! function in the other file.

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
    let dir = temp_dir("nvim");
    let case = root().join("fixtures/rules/UP001/fires/through_function_in_another_file");
    for entry in std::fs::read_dir(&case).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(dir.join("uplint.toml"), "").unwrap();
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
