#!/usr/bin/env bash
# Builds oneTBB's libtbb with ThreadSanitizer for the `tsan` preset, from Debian's own
# source of the installed libtbb-dev (same version, so its headers are the ones sitewatch
# compiles against: checked below), and installs it in build/tsan-deps/onetbb. The preset
# points TBB_DIR there; the test binaries then load this libtbb.so.12 through their RPATH.
# Why: Debian's libtbb is not instrumented, so TSan does not see a task handed from one
# thread to another and reports a "data race on vptr" in start_for on every parallel_for
# (docs/RELIABILITY.md, "ThreadSanitizer").
# Only libtbb: no tbbmalloc (libtbb then falls back to malloc, which TSan intercepts; it
# looks for libtbbmalloc.so.2 only beside itself), no tbbbind, no tests, no examples.
# Idempotent: when the library for the installed version is there it prints one line.
# Needs root or sudo the first time (a deb-src entry for Debian's mirror, apt-get update).
# Usage: scripts/build-tsan-tbb.sh [BUILD_DIR]   (default: build/tsan-deps)
set -euo pipefail
cd "$(dirname "$0")/.."

deps=$(realpath -m "${1:-build/tsan-deps}")
prefix=$deps/onetbb
version=$(dpkg-query -W -f='${Version}' libtbb-dev 2>/dev/null || true)
if [[ -z "$version" ]]; then
  echo "build-tsan-tbb: libtbb-dev is not installed (run scripts/setup.sh)" >&2
  exit 1
fi
stamp=$prefix/.sitewatch-onetbb-version
if [[ -f "$prefix/lib/cmake/TBB/TBBConfig.cmake" && -f "$prefix/lib/libtbb.so.12" &&
      "$(cat "$stamp" 2>/dev/null)" == "$version" ]]; then
  echo "build-tsan-tbb: oneTBB $version with ThreadSanitizer already in $prefix"
  exit 0
fi

t0=$SECONDS
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)

# Debian's source of the installed version. apt needs a deb-src entry: the same mirrors as
# the binary packages (debian.sources), Types: deb-src.
src=$deps/src
mkdir -p "$src"
dsc=$src/onetbb_${version#*:}.dsc
if [[ ! -f "$dsc" ]]; then
  if ! apt-cache showsrc onetbb 2>/dev/null | grep -qx "Version: $version"; then
    list=/etc/apt/sources.list.d/sitewatch-deb-src.sources
    if [[ ! -f $list ]]; then
      base=/etc/apt/sources.list.d/debian.sources
      if [[ ! -f $base ]]; then
        echo "build-tsan-tbb: no $base to copy a deb-src entry from; add one for Debian's mirror" >&2
        exit 1
      fi
      echo "build-tsan-tbb: adding $list (deb-src of $base)"
      sed 's/^Types:.*/Types: deb-src/' "$base" | "${sudo_cmd[@]}" tee "$list" >/dev/null
    fi
    "${sudo_cmd[@]}" apt-get update -qq -o DPkg::Lock::Timeout=300
  fi
  # --download-only: no dpkg-dev needed; apt checks the files against the signed .dsc
  (cd "$src" && apt-get source -qq --download-only "onetbb=$version")
fi

# the upstream tarball and Debian's patches (none touches the library or its headers on
# amd64, but this way the source is exactly the package's)
orig=$(sed -n 's/^ [0-9a-f]\{64\} [0-9]* \(onetbb_.*\.orig\.tar\.[a-z0-9]*\)$/\1/p' "$dsc" | head -1)
debian=$(sed -n 's/^ [0-9a-f]\{64\} [0-9]* \(onetbb_.*\.debian\.tar\.[a-z0-9]*\)$/\1/p' "$dsc" | head -1)
tree=$src/onetbb-$version
rm -rf "$tree" "$tree.tmp"
mkdir -p "$tree.tmp"
tar -xf "$src/$orig" -C "$tree.tmp" --strip-components=1
tar -xf "$src/$debian" -C "$tree.tmp"
if [[ -f "$tree.tmp/debian/patches/series" ]]; then
  while read -r patch _; do
    [[ -z "$patch" || "$patch" == \#* ]] && continue
    patch -s -p1 -d "$tree.tmp" <"$tree.tmp/debian/patches/$patch"
  done <"$tree.tmp/debian/patches/series"
fi
mv "$tree.tmp" "$tree"

# sitewatch compiles against /usr/include's oneTBB headers: they must be this source's
for dir in oneapi tbb; do
  if ! diff -rq "$tree/include/$dir" "/usr/include/$dir" >/dev/null; then
    echo "build-tsan-tbb: $tree/include/$dir differs from /usr/include/$dir" >&2
    exit 1
  fi
done

# clang, -fsanitize=thread through oneTBB's own TBB_SANITIZE (it also turns IPO off),
# -O1 -g1 like the tsan preset (line numbers in the reports)
build=$deps/onetbb-build
rm -rf "$build" "$prefix"
cmake -S "$tree" -B "$build" -G Ninja -Wno-dev \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG -fno-omit-frame-pointer" \
  -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
  -DTBB_SANITIZE=thread -DTBB_TEST=OFF -DTBB_EXAMPLES=OFF -DTBB_STRICT=OFF \
  -DTBBMALLOC_BUILD=OFF -DTBBMALLOC_PROXY_BUILD=OFF -DTBB4PY_BUILD=OFF \
  -DTBB_DISABLE_HWLOC_AUTOMATIC_SEARCH=ON >"$deps/onetbb-configure.log"
cmake --build "$build" -j "${SW_JOBS:-2}" >"$deps/onetbb-build.log"
cmake --install "$build" >"$deps/onetbb-install.log"

# the library must carry TSan's instrumentation
if ! nm -D "$prefix/lib/libtbb.so.12" | grep -q ' U __tsan_func_entry'; then
  echo "build-tsan-tbb: $prefix/lib/libtbb.so.12 is not instrumented with ThreadSanitizer" >&2
  exit 1
fi
echo "$version" >"$stamp"
echo "build-tsan-tbb: oneTBB $version with ThreadSanitizer in $prefix ($((SECONDS - t0)) s)"
