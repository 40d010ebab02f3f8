#!/usr/bin/env bash
# Sets up a Debian 12 machine for switchboard, builds it, and then runs the broker or the tests.
#
#   ops/bootstrap.sh run [broker flags...]   install, build, run the broker on its defaults
#   ops/bootstrap.sh test                    install, build, run every test
#   ops/bootstrap.sh build                   install and build only
#
# Environment: BUILD_DIR (default: build), SANITIZE=1 for an ASan+UBSan build (default build
# dir then build-asan), JOBS (default: number of CPUs).
set -euo pipefail

cd "$(dirname "$0")/.."
mode="${1:-}"
[ $# -gt 0 ] && shift
case "$mode" in
  run|test|build) ;;
  *) echo "usage: ops/bootstrap.sh run|test|build [broker flags...]" >&2; exit 2 ;;
esac

packages=(build-essential cmake pkg-config ninja-build libzmq3-dev cppzmq-dev
          libflatbuffers-dev flatbuffers-compiler librocksdb-dev prometheus-cpp-dev
          libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libtomlplusplus-dev curl prometheus)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
    "${missing[@]}" >&2
fi

sanitize="${SANITIZE:-0}"
if [ "$sanitize" = 1 ]; then
  build_dir="${BUILD_DIR:-build-asan}"
  cmake_flags=(-DSWITCHBOARD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
else
  build_dir="${BUILD_DIR:-build}"
  cmake_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
fi
jobs="${JOBS:-$(nproc)}"

cmake -S . -B "$build_dir" -G Ninja -DSWITCHBOARD_WERROR=ON "${cmake_flags[@]}" >&2
cmake --build "$build_dir" -j "$jobs" >&2

case "$mode" in
  run)
    exec "$build_dir/broker/switchboard-broker" "$@"
    ;;
  test)
    ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" --timeout 300
    ;;
  build) ;;
esac
