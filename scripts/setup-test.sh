#!/usr/bin/env bash
# Install what the test suite needs into the venv given as $1 (default .venv/bin):
# Python test dependencies and the optional extras, and the system programs the tests drive.
set -euo pipefail
BIN="${1:-.venv/bin}"
"$BIN/pip" install --quiet -e ".[test,pdf,dev]"

# The accessibility test injects axe-core (npm) into that Chromium; it lives beside the venv,
# never in the product, and is read from there by tests/test_site_a11y.py.
AXE_DIR="$(dirname "$BIN")/axe"
if [ ! -f "$AXE_DIR/node_modules/axe-core/axe.min.js" ]; then
  if command -v npm >/dev/null; then
    mkdir -p "$AXE_DIR"
    npm install --silent --no-audit --no-fund --prefix "$AXE_DIR" "axe-core@^4.10" >/dev/null
  else
    echo "setup-test: please install npm (for axe-core)" >&2
  fi
fi

need_apt=()
command -v git >/dev/null || need_apt+=(git)
# The site's end-to-end test drives Debian's Chromium over DevTools (tests/test_site_browser.py).
command -v chromium >/dev/null || need_apt+=(chromium)
# The language server's editor test runs the documented set-up in Debian's Neovim.
command -v nvim >/dev/null || need_apt+=(neovim)
# ... and in Emacs with eglot (Debian's packages for Emacs 28: eglot and markdown-mode).
command -v emacs >/dev/null || need_apt+=(emacs-nox)
# Quotes: WeasyPrint's system libraries (Pango) and fonts for the PDF, poppler's pdftoppm and
# pdftotext for the PDF tests. Debian package names; only the missing ones are installed.
have_deb() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
if command -v dpkg-query >/dev/null; then
  for pkg in libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-liberation2 poppler-utils \
    elpa-eglot elpa-markdown-mode; do
    have_deb "$pkg" || need_apt+=("$pkg")
  done
else
  command -v pdftoppm >/dev/null || need_apt+=(poppler-utils)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup-test: please install: ${need_apt[*]}" >&2
  fi
fi
