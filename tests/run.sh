#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need, then runs pytest.
# Extra arguments go to pytest (e.g. `tests/run.sh -k harness -x`).
set -euo pipefail
cd "$(dirname "$0")/.."

# Installing from this checkout builds the editor bundle with the theme's pinned npm packages
# (staticjudge/theme/package-lock.json; `npm ci` runs by itself), so Node.js comes first.
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "warning: npm is not installed and cannot be installed here; the install and site builds will fail" >&2
  fi
fi

python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'

# The browser tests drive Debian's browsers (test tools cannot download their own here): Chromium
# (Playwright), Firefox ESR (puppeteer-core, installed by the tests with npm ci) and WebKitGTK's
# MiniBrowser (WebKitWebDriver, under Xvfb). An engine still missing skips its tests, saying why.
missing=()
for need in chromium:chromium firefox-esr:firefox-esr WebKitWebDriver:webkit2gtk-driver Xvfb:xvfb; do
  command -v "${need%%:*}" >/dev/null 2>&1 || missing+=("${need#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "warning: ${missing[*]} not installed and cannot be installed here; their browser tests will skip" >&2
  fi
fi

exec python3 -m pytest "$@"
