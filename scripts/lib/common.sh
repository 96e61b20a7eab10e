# shellcheck shell=bash
# Shared helpers for SignalDesk's scripts. Source it; it defines functions only.

# Puts the Swift toolchain on PATH (the machines keep it in /opt/swift).
ensure_swift() {
  if ! command -v swift >/dev/null 2>&1; then
    for dir in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
      if [ -x "$dir/swift" ]; then export PATH="$dir:$PATH"; break; fi
    done
  fi
  command -v swift >/dev/null 2>&1 || { echo "swift not found: install Swift 6.3 (https://swift.org/install)" >&2; return 1; }
}

# ensure_packages CHECK:PACKAGE ...: installs each Debian package whose check fails, when root.
# A check is a command name or pkgconfig:NAME.
ensure_packages() {
  local missing=() spec check package
  for spec in "$@"; do
    check="${spec%%:*}"; package="${spec#*:}"
    case "$check" in
      pkgconfig=*) pkg-config --exists "${check#pkgconfig=}" 2>/dev/null || missing+=("$package") ;;
      path=*) [ -e "${check#path=}" ] || missing+=("$package") ;;
      *) command -v "$check" >/dev/null 2>&1 || missing+=("$package") ;;
    esac
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    return 1
  fi
  echo "Installing ${missing[*]}..."
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Prints a free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_for_http URL SECONDS: polls until URL answers 200.
wait_for_http() {
  local url="$1" deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}
