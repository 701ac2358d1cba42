#!/usr/bin/env bash
# Installs every build and test dependency of sitewatch from Debian packages (but Slurm:
# scripts/slurm/test-slurm.sh installs slurm-wlm and munge itself, keeping their services
# from starting).
# Idempotent: when everything is present it prints one line and touches nothing.
# Usage: scripts/setup.sh [--peers] [--browser]
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-dev  # the asan preset: the sanitizers and libFuzzer (tests/fuzz)
  libgdal-dev gdal-bin libtiff-dev libzstd-dev
  libtbb-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev
  libspdlog-dev libfmt-dev
  sqlite3 libssl-dev
  help2man man-db  # the man page, generated at build time from --help
  python3-gdal python3-numpy
  libopencv-imgproc-dev  # bench only: the OpenCV side of the labelling comparison
)

# --peers: also what scripts/compare-peers.sh runs (the Python and Orfeo ToolBox peers)
# --browser: also Debian's chromium, for the report's browser test (tests/report/) and
# scripts/report-screenshot.sh; they run this when chromium is missing, so CI installs it
# only when those run (chromium and 22 libraries, about 360 MB installed; 73 s here)
for arg in "$@"; do
  case "$arg" in
    --peers) packages+=(python3-opencv otb-bin) ;;
    --browser) packages+=(chromium) ;;
    *) echo "setup: unknown option $arg (allowed: --peers, --browser)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  # waits for another apt (a second build on the machine) rather than failing at once
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 \
    "${missing[@]}" >/dev/null
fi

# CCCL (Thrust, CUB, libcu++): the CUDA toolkit's copy is preferred; CMake finds it
# through scripts/find-cccl.sh. Say which one a CPU build will use.
cccl=$("$(dirname "$0")/find-cccl.sh" || true)
if [[ -n "$cccl" ]]; then
  echo "setup: all dependencies present; CCCL from $cccl"
else
  echo "setup: all dependencies present; no CCCL found: installing libthrust-dev as CPU fallback"
  apt-get install -y -qq --no-install-recommends libthrust-dev libcub-dev >/dev/null
fi
