#!/usr/bin/env bash
# Install the system packages the book and its tests need, if they are missing:
#   npm      (MathJax for the rendered book comes from the npm registry)
#   chromium (Debian's browser, driven by Playwright in the browser test)
#   cc       (a C compiler: the portability pass builds tests/foreign_kernels.c)
# Usage: scripts/ensure_system_deps.sh [npm] [chromium] [cc]   (default: all three)
set -euo pipefail

wanted=("$@")
[ ${#wanted[@]} -eq 0 ] && wanted=(npm chromium cc)

missing=()
for dep in "${wanted[@]}"; do
  case "$dep" in
    npm) command -v npm >/dev/null 2>&1 || missing+=(nodejs npm) ;;
    chromium) [ -x /usr/bin/chromium ] || missing+=(chromium) ;;
    cc) command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev) ;;
    *) echo "ensure_system_deps: unknown dependency '$dep'" >&2; exit 2 ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "missing system packages: ${missing[*]}" >&2
  echo "install them first, e.g.: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
