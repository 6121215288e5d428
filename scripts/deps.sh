# Sourced by run.sh and test.sh: installs the Debian packages marquee needs, only when missing.
# Quiet when everything is there; one clear line when apt cannot reach its sources.

MARQUEE_BUILD_PACKAGES=(
  g++ cmake ninja-build pkg-config
  libcurl4-openssl-dev libzip-dev libisal-dev libsqlite3-dev libpq-dev libssl-dev
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev libcpp-httplib-dev
)
MARQUEE_TEST_PACKAGES=(
  libgtest-dev libgmock-dev libbenchmark-dev clang-format
  postgresql sqlite3 zip unzip python3 nodejs chromium procps bc curl
  # the .deb test (tests/packaging/): dpkg-shlibdeps, man -w, zsh -n
  dpkg-dev man-db zsh
)

marquee_missing_packages() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  # Node.js from another channel brings its own npm; only ask apt for npm when there is none.
  command -v npm >/dev/null 2>&1 || { [[ " $* " == *" nodejs "* ]] && missing+=(npm); }
  echo "${missing[@]}"
}

marquee_install_packages() {
  local missing
  missing=$(marquee_missing_packages "$@")
  [ -z "$missing" ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "marquee: installing missing packages: $missing"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get update -qq >/tmp/marquee-apt.log 2>&1 ||
     ! $sudo apt-get install -y -qq --no-install-recommends $missing >>/tmp/marquee-apt.log 2>&1; then
    echo "marquee: error: apt could not install: $missing (see /tmp/marquee-apt.log; check the apt sources and the network)" >&2
    return 1
  fi
}

# marquee_build ROOT TARGET [CMAKE_ARGS...]: configures build/ (Release) and builds TARGET
# ("all" for everything). CMake arguments apply on the first configure and whenever given again.
marquee_build() {
  local root="$1" target="$2"; shift 2
  if [ ! -f "$root/build/build.ninja" ] || [ "$#" -gt 0 ]; then
    cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/tmp/marquee-cmake.log 2>&1 ||
      { cat /tmp/marquee-cmake.log >&2; echo "marquee: error: cmake configure failed (see above)" >&2; return 1; }
  fi
  cmake --build "$root/build" --target "$target" -- -j"$(nproc)" 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] '
  return "${PIPESTATUS[0]}"
}
