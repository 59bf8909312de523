#!/usr/bin/env bash
# Checks the VS Code extension in a real VS Code: code-server (VS Code 1.100 in the browser),
# driven by headless Chromium through drive.js. Needs node 20, npm, a C++ compiler and
# Chromium (Debian: apt-get install chromium libkrb5-dev libsecret-1-dev libxkbfile-dev
# ripgrep). Everything it installs goes under WORK (default: a new temporary folder).
#
#   editors/vscode/test/check-in-code-server.sh [path/to/uplint]
#
# Not part of `cargo test`: it downloads code-server and playwright-core from npm.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
uplint="$(realpath "${1:-$repo/target/release/uplint}")"
work="${WORK:-$(mktemp -d)}"
port="${PORT:-8089}"
echo "working in $work"
cd "$work"

# code-server without its install scripts: they fetch prebuilt binaries from GitHub. Its
# native modules are built from source instead, and ripgrep comes from the system.
if [ ! -d node_modules/code-server ]; then
  npm install --no-audit --no-fund --ignore-scripts code-server@4.100.3 playwright-core@1
  npm rebuild argon2 --build-from-source
  (
    cd node_modules/code-server/lib/vscode
    npm install --omit=dev --ignore-scripts --no-audit --no-fund
    npm rebuild @vscode/spdlog @parcel/watcher native-watchdog kerberos @vscode/deviceid || true
    npm rebuild node-pty || true # the terminal only; its post-install step needs the network
    mkdir -p node_modules/@vscode/ripgrep/bin
    ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
    ln -sfn node_modules node_modules.asar
  )
fi

# The extension, packaged as the README says.
rm -rf extension && cp -r "$repo/editors/vscode" extension
(cd extension && npm install --no-audit --no-fund && npx --yes @vscode/vsce package --allow-missing-repository --skip-license -o ../uplint.vsix)
rm -rf user extensions project && mkdir -p user/User project
node node_modules/code-server/out/node/entry.js --user-data-dir user --extensions-dir extensions \
  --install-extension "$work/uplint.vsix"
printf '{"uplint.path": "%s", "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off"}\n' "$uplint" \
  > user/User/settings.json

# The two-file project of UP001's fixture: the policy calls a function in another file.
cp "$repo"/fixtures/rules/UP001/fires/through_function_in_another_file/* project/
touch project/uplint.toml

node node_modules/code-server/out/node/entry.js --auth none --bind-addr "127.0.0.1:$port" --disable-telemetry \
  --disable-update-check --disable-workspace-trust --user-data-dir user --extensions-dir extensions \
  "$work/project" > code-server.log 2>&1 &
server=$!
trap 'kill $server' EXIT
sleep 4
NODE_PATH="$work/node_modules" node "$here/drive.js" "http://127.0.0.1:$port/?folder=$work/project"
