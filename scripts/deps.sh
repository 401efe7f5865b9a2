#!/bin/sh
# Installs the Debian packages gatewayd builds, tests and benchmarks with,
# when any is missing. Run by `make run`, `make check` and .ci/run.
set -eu

PACKAGES="build-essential pkg-config clang libev-dev libfcgi-dev libinih-dev check
libseccomp-dev libssl-dev libcurl4-openssl-dev python3-dev nginx php-cgi php-fpm python3 spawn-fcgi fcgiwrap wrk curl
valgrind strace postgresql python3-psycopg2 uwsgi uwsgi-plugin-python3 gunicorn mandoc prometheus libjansson-dev apache2 systemd tmux
nats-server libnats-dev"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Tests and `make run` start their own nginx and php-fpm instances on their
# own sockets; the packaged services are not used.
$SUDO apt-get install -y -qq --no-install-recommends $missing
