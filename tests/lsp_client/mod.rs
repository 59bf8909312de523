//! A Language Server Protocol client of `uplint server` over its standard input and output, as
//! an editor drives it: shared by the server's tests (`tests/server.rs`) and its benchmark
//! (`benches/server.rs`, which includes this file by path).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub struct Client {
    pub child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    /// Notifications and server requests received while waiting for something else.
    backlog: Vec<Value>,
    next_id: i64,
    /// How long to wait for any one answer before failing.
    timeout: Duration,
}

/// The `file:` URI of a path.
pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

impl Client {
    /// Starts the server (its standard error shown when `show_stderr`), not yet initialized.
    pub fn spawn(timeout: Duration, show_stderr: bool) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_uplint"))
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if show_stderr { Stdio::inherit() } else { Stdio::null() })
            .spawn()
            .expect("the server starts");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (sender, messages) = channel();
        // Messages are read on their own thread, so a test can wait for one with a deadline.
        std::thread::spawn(move || {
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                if stdout.read_exact(&mut body).is_err() {
                    return;
                }
                if sender.send(serde_json::from_slice(&body).expect("JSON")).is_err() {
                    return;
                }
            }
        });
        Client { child, stdin, messages, backlog: Vec::new(), next_id: 0, timeout }
    }

    /// `initialize` with `root` as the one workspace folder, then `initialized`; returns the
    /// server's capabilities.
    pub fn initialize(&mut self, root: &Path, capabilities: Value) -> Value {
        let result = self.request(
            "initialize",
            json!({"processId": null, "rootUri": uri(root), "capabilities": capabilities,
                   "workspaceFolders": [{"uri": uri(root), "name": "project"}]}),
        );
        self.notify("initialized", json!({}));
        result["capabilities"].clone()
    }

    pub fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its response (`result` or `error`).
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait(|m| m["id"] == id && m.get("method").is_none())
    }

    /// Sends a request and returns its result; an error response fails the test.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.call(method, params);
        assert!(response.get("error").is_none(), "{response}");
        response["result"].clone()
    }

    /// The first message (from the backlog, then new ones) that `wanted` accepts.
    pub fn wait(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(index) = self.backlog.iter().position(&wanted) {
            return self.backlog.remove(index);
        }
        let deadline = Instant::now() + self.timeout;
        loop {
            match self.messages.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(message) if wanted(&message) => return message,
                Ok(message) => self.backlog.push(message),
                Err(RecvTimeoutError::Timeout) => panic!("timed out; received: {:#?}", self.backlog),
                Err(RecvTimeoutError::Disconnected) => panic!("the server exited; received: {:#?}", self.backlog),
            }
        }
    }

    /// The messages received but not waited for yet.
    pub fn backlog(&self) -> &[Value] {
        &self.backlog
    }

    /// Forgets the messages received but not waited for (a benchmark measures only what
    /// follows its own edit).
    pub fn discard_backlog(&mut self) {
        self.backlog.clear();
        while self.messages.try_recv().is_ok() {}
    }

    /// The next diagnostics published for `path`.
    pub fn diagnostics(&mut self, path: &Path) -> Vec<Value> {
        let uri = uri(path);
        let message =
            self.wait(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri.as_str());
        message["params"]["diagnostics"].as_array().unwrap().clone()
    }

    /// True when diagnostics for `path` arrive within `wait`.
    pub fn publishes_within(&mut self, path: &Path, wait: Duration) -> bool {
        let uri = uri(path);
        let deadline = Instant::now() + wait;
        while let Ok(message) = self.messages.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            let found = message["method"] == "textDocument/publishDiagnostics" && message["params"]["uri"] == uri;
            self.backlog.push(message);
            if found {
                return true;
            }
        }
        false
    }

    /// `shutdown`, then `exit`; the server must end with success.
    pub fn shutdown(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status}");
                return;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
