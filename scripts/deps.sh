#!/usr/bin/env bash
# Installs the Debian 12 packages the build needs, and only those that are missing.
# Idempotent: prints nothing but a one-line summary when everything is present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libonnx-dev libprotobuf-dev libprotoc-dev protobuf-compiler
  libeigen3-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libsentencepiece-dev libcurl4-openssl-dev libcpp-httplib-dev libsqlite3-dev
  libpq-dev postgresql  # tuning studies in PostgreSQL; make test runs a throwaway server (tests/tune/with_postgres.sh)
  nodejs npm
  clang libfuzzer-14-dev
  chromium chromium-driver  # the serving pages in headless Chromium (tests/serve/browser_test.cpp, chat_page_test.cpp)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # A tool installed outside apt (e.g. node from nodesource or a tarball) satisfies its package.
    case "$p" in
      nodejs) command -v node >/dev/null 2>&1 && continue ;;
      npm) command -v npm >/dev/null 2>&1 && continue ;;
      cmake) command -v cmake >/dev/null 2>&1 && continue ;;
      ninja-build) command -v ninja >/dev/null 2>&1 && continue ;;
      chromium) command -v chromium >/dev/null 2>&1 && continue ;;
    esac
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "deps: missing packages (${missing[*]}) and not root; install them or run as root" >&2
    exit 1
  fi
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed ${#missing[@]} package(s)"
