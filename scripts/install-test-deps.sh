#!/usr/bin/env bash
# Makes sure the real servers and clients the tests start are installed (Debian packages).
# Runs before `npm test` and in CI; installs with apt-get when run as root, otherwise says what to install.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v redis-benchmark >/dev/null 2>&1 || missing+=(redis-tools)
command -v memcached >/dev/null 2>&1 || missing+=(memcached)
# twemproxy's own memcached test cases run with the client they were written for.
/usr/bin/python3 -c 'import memcache' >/dev/null 2>&1 || missing+=(python3-memcache)
# The client tests drive redis-py as Debian ships it, with the system python.
/usr/bin/python3 -c 'import redis' >/dev/null 2>&1 || missing+=(python3-redis)
# The command-line tests look the proxy up as operators do, with ps and pgrep.
command -v pgrep >/dev/null 2>&1 || missing+=(procps)
command -v ps >/dev/null 2>&1 || missing+=(procps)
# The DNS tests serve a hosts file with dnsmasq (not on the PATH of a normal user).
[ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
# The TLS tests make their CA and certificates with the openssl command (not in a minimal Debian).
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# The tcp pool tests relay real MariaDB servers (mariadb-install-db, mariadbd) driven by the mariadb client.
command -v mariadbd >/dev/null 2>&1 || missing+=(mariadb-server)
command -v mariadb >/dev/null 2>&1 || missing+=(mariadb-client)
[ "${#missing[@]}" -eq 0 ] && exit 0

packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
if [ "$(id -u)" -ne 0 ]; then
  echo "The tests need these Debian packages: ${packages}" >&2
  echo "Install them with: sudo apt-get install -y ${packages}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq ${packages} >/dev/null
