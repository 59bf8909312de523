// Starts `uplint server` for Kusto files; everything else is the server's.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("uplint").get("path") || "uplint";
  client = new LanguageClient(
    "uplint",
    "uplint",
    { command, args: ["server"] },
    {
      documentSelector: [{ scheme: "file", language: "kusto" }],
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/{*.kql,*.csl,*.kusto,uplint.toml}") },
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
