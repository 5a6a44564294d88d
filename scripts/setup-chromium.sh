#!/usr/bin/env bash
# setup-chromium.sh: make a headless Chromium ready for the console's browser
# tests (console/browsertest), idempotently.
#
#   1. If chromium, chromium-browser, google-chrome or $HOUSECALL_CHROMIUM is
#      there, leave it alone.
#   2. Otherwise install Debian's chromium with apt-get (Debian and Ubuntu).
#
# Uses sudo for the install when not run as root. HOUSECALL_SKIP_BROWSER=1
# skips this (the browser tests are then skipped too).
set -euo pipefail

log() { printf 'setup-chromium: %s\n' "$*"; }
die() {
	printf 'setup-chromium: error: %s\n' "$*" >&2
	exit 1
}

if [ "${HOUSECALL_SKIP_BROWSER:-}" = 1 ]; then
	log "HOUSECALL_SKIP_BROWSER=1: not installing Chromium (the console's browser tests are skipped)"
	exit 0
fi
have_browser() {
	if [ -n "${HOUSECALL_CHROMIUM:-}" ] && [ -x "${HOUSECALL_CHROMIUM}" ]; then
		return 0
	fi
	for b in chromium chromium-browser google-chrome google-chrome-stable; do
		command -v "$b" >/dev/null 2>&1 && return 0
	done
	return 1
}
# The console is bilingual: without a CJK font the Chinese labels are boxes
# in the browser tests' screenshots.
have_cjk_font() {
	command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .
}
# …and without an emoji font the engineer's call and map buttons lose their icons.
have_emoji_font() {
	command -v fc-list >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi emoji
}
if have_browser && have_cjk_font && have_emoji_font; then
	exit 0
fi

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root to run '$*' and sudo is not installed; re-run as root, or set HOUSECALL_SKIP_BROWSER=1"
	fi
}

command -v apt-get >/dev/null 2>&1 ||
	die "Chromium is not installed and apt-get is not available: install Chromium yourself (or set HOUSECALL_CHROMIUM), then re-run"
pkgs=()
have_browser || pkgs+=(chromium)
have_cjk_font || pkgs+=(fonts-noto-cjk)
have_emoji_font || pkgs+=(fonts-noto-color-emoji)
log "installing ${pkgs[*]} with apt-get (for the console's browser tests)"
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed"
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null ||
	die "apt-get install ${pkgs[*]} failed"
have_browser || die "apt-get installed chromium but it is not on the PATH"
log "installed ${pkgs[*]}"
