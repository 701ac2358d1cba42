#!/usr/bin/env bash
# `cmake --install` into a prefix and the CPack .deb both give a working `sitewatch` and
# `man sitewatch` (issue 14). The .deb is not installed on this machine: it is unpacked
# with dpkg-deb, its dependencies are checked by apt-get's simulation (they must resolve
# from Debian's archive), and the unpacked binary and page are run.
# Usage: install_test.sh BUILD_DIR VERSION
set -euo pipefail
build=$(cd "$1" && pwd)
version=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# ---- cmake --install ---------------------------------------------------------------------
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
"$tmp/prefix/bin/sitewatch" --version | grep -qx "$version (git .*)" ||
  fail "installed sitewatch --version: $("$tmp/prefix/bin/sitewatch" --version)"
"$tmp/prefix/bin/sitewatch" info >/dev/null || fail "installed sitewatch info"
page=$(MANPATH="$tmp/prefix/share/man" man -w sitewatch) || fail "man -w sitewatch: no page"
[[ $page == "$tmp/prefix/share/man/man1/sitewatch.1" ]] || fail "man page at $page"
text=$(MANWIDTH=100 MANPAGER=cat MANPATH="$tmp/prefix/share/man" man sitewatch 2>/dev/null)
for want in "SITEWATCH(1)" "COMMANDS" "--scenes" "--check" "$version"; do
  grep -qF -- "$want" <<<"$text" || fail "man sitewatch lacks '$want'"
done
for f in README.md CHANGELOG.md LICENSE docs/OUTPUT.md docs/CONFIG.md; do
  [[ -s "$tmp/prefix/share/doc/sitewatch/$f" ]] || fail "not installed: share/doc/sitewatch/$f"
done
echo "cmake --install: bin/sitewatch $version, man page, docs"

# ---- CPack .deb --------------------------------------------------------------------------
(cd "$tmp" && cpack --config "$build/CPackConfig.cmake" -B "$tmp/pkg" >/dev/null)
deb=$(ls "$tmp"/pkg/sitewatch_"$version"_*.deb) || fail "no .deb made"
depends=$(dpkg-deb -f "$deb" Depends)
grep -q "libgdal" <<<"$depends" || fail ".deb Depends lacks libgdal: $depends"
grep -q "libtbb" <<<"$depends" || fail ".deb Depends lacks libtbb: $depends"
apt-get install -s -qq "$deb" >/dev/null 2>"$tmp/apt.err" ||
  fail "apt-get cannot resolve the .deb's dependencies: $(cat "$tmp/apt.err")"
dpkg-deb -x "$deb" "$tmp/root"
"$tmp/root/usr/bin/sitewatch" --version | grep -qx "$version (git .*)" || fail ".deb's sitewatch"
MANPAGER=cat MANPATH="$tmp/root/usr/share/man" man sitewatch 2>/dev/null | grep -q "COMMANDS" ||
  fail ".deb's man page"
echo ".deb: $(basename "$deb"), Depends: $depends"
