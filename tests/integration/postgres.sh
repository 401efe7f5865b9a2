# shellcheck shell=bash
#
# tests/integration/postgres.sh: a private PostgreSQL 15 for a test, sourced
# after lib.sh:
#
#	. "$REPO/tests/integration/lib.sh"
#	. "$REPO/tests/integration/postgres.sh"
#	pg_require               # skips the test without PostgreSQL or psycopg2
#	pg_start                 # initdb + start; its EXIT cleanup stops it
#	pg_create_db orders orders "$PG_PASSWORD"
#	pg_psql orders "SELECT count(*) FROM orders"
#
# The server listens on a unix socket only (listen_addresses = ''), in
# $PG_SOCK_DIR, and every connection needs a password (scram-sha-256, also
# the superuser's: $PG_SUPER_PASSWORD). Functions connect with
# postgres_host = $PG_SOCK_DIR.
#
# PostgreSQL refuses to run as root: run as root (as the tests are), the
# server runs as the Debian package's user postgres. Its data directory is
# private to that user; the socket directory is 0755 and $T is 0711 (lib.sh),
# so a worker under any dynamic uid can reach the socket (the socket file
# itself is 0777, PostgreSQL's default unix_socket_permissions): the
# password, not the file mode, is what keeps others out, as with TCP.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DATA=$T/pg-data		# the cluster: postgresql.conf, pg_hba.conf, the data
PG_SOCK_DIR=$T/pg		# where .s.PGSQL.5432 is
PG_LOG=$T/pg.log		# the server's log (pg_ctl -l)
PG_STARTED=0
# The superuser's password: random, so a test can grep for it.
PG_SUPER_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

# pg_require: skips the test unless PostgreSQL 15's server programs, psql
# and Debian's psycopg2 (for /usr/bin/python3, whose libpython the python3
# runtime embeds) are installed, and, as root, the user postgres exists.
pg_require() {
	local prog
	for prog in initdb pg_ctl postgres psql; do
		[ -x "$PG_BIN/$prog" ] || skip "PostgreSQL 15 is not installed ($PG_BIN/$prog)"
	done
	/usr/bin/python3 -c 'import psycopg2' 2>/dev/null ||
		skip "psycopg2 is not installed for /usr/bin/python3 (Debian: python3-psycopg2)"
	if [ "$(id -u)" -eq 0 ]; then
		id -u postgres >/dev/null 2>&1 ||
			skip "no user postgres to run PostgreSQL as (root may not)"
	fi
}

# _pg_as PROGRAM ARGS...: runs one of PostgreSQL's programs as the user the
# server runs as (postgres when we are root, else ourselves), from /, which
# that user can read ($T it may only cross).
_pg_as() {
	local prog=$PG_BIN/$1
	shift
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && exec runuser -u postgres -- "$prog" "$@")
	else
		(cd / && exec "$prog" "$@")
	fi
}

# pg_start: creates the cluster (once) and starts the server; waits until it
# accepts connections. Hooks pg_stop into the test's EXIT cleanup.
pg_start() {
	[ -f "$PG_DATA/PG_VERSION" ] || _pg_init
	_pg_as pg_ctl -D "$PG_DATA" -l "$PG_LOG" -w -t 30 start >>"$T/pg_ctl.out" 2>&1 ||
		fail "PostgreSQL did not start: '$(tail -c 300 "$PG_LOG" | _show)'"
	PG_STARTED=1
}

# _pg_init: initdb into $PG_DATA with password authentication for every
# connection, a unix socket in $PG_SOCK_DIR and no TCP at all.
_pg_init() {
	local owner=postgres
	[ "$(id -u)" -eq 0 ] || owner=$(id -un)
	mkdir -m 0700 "$PG_DATA"
	mkdir -m 0755 "$PG_SOCK_DIR"
	: >"$PG_LOG"
	printf '%s\n' "$PG_SUPER_PASSWORD" >"$T/pg-super.pw"
	chmod 0600 "$T/pg-super.pw"
	chown "$owner" "$PG_DATA" "$PG_SOCK_DIR" "$PG_LOG" "$T/pg-super.pw"
	_pg_as initdb -D "$PG_DATA" -U postgres --pwfile="$T/pg-super.pw" \
		--auth-local=scram-sha-256 --auth-host=scram-sha-256 \
		--encoding=UTF8 --locale=C.UTF-8 >"$T/initdb.out" 2>&1 ||
		fail "initdb failed: '$(tail -c 300 "$T/initdb.out" | _show)'"
	rm -f "$T/pg-super.pw"
	# fsync off: a test's data need not outlive a machine crash, and the
	# disk is shared with other tests.
	{
		printf "listen_addresses = ''\n"
		printf "unix_socket_directories = '%s'\n" "$PG_SOCK_DIR"
		printf "fsync = off\n"
		printf "synchronous_commit = off\n"
		printf "full_page_writes = off\n"
		printf "max_connections = 50\n"
	} >>"$PG_DATA/postgresql.conf"
}

# pg_stop: a fast shutdown (clients are disconnected), 10 s at most, then an
# immediate one. Does nothing when the server is not running.
pg_stop() {
	[ "$PG_STARTED" -eq 1 ] || return 0
	PG_STARTED=0
	_pg_as pg_ctl -D "$PG_DATA" -m fast -w -t 10 stop >>"$T/pg_ctl.out" 2>&1 ||
		_pg_as pg_ctl -D "$PG_DATA" -m immediate -w -t 10 stop >>"$T/pg_ctl.out" 2>&1
}

# pg_restart: stops the server (fast: open connections are cut, as when a
# database server is restarted for real) and starts it again; returns once it
# accepts connections.
pg_restart() {
	_pg_as pg_ctl -D "$PG_DATA" -l "$PG_LOG" -m fast -w -t 30 restart >>"$T/pg_ctl.out" 2>&1 ||
		fail "PostgreSQL did not restart: '$(tail -c 300 "$PG_LOG" | _show)'"
}

# pg_psql DATABASE SQL: runs SQL as the superuser; prints the result
# unaligned, without headers (a count is just its number). Fails the test on
# an SQL error.
pg_psql() {
	local out
	out=$(PGPASSWORD=$PG_SUPER_PASSWORD _pg_as psql -X -q -At -v ON_ERROR_STOP=1 \
		-h "$PG_SOCK_DIR" -U postgres -d "$1" -c "$2" 2>"$T/psql.err") ||
		fail "psql -d $1 -c '$2': '$(_show <"$T/psql.err")'"
	printf '%s\n' "$out"
}

# pg_create_db NAME ROLE PASSWORD: a role that may log in with PASSWORD and a
# database NAME it owns (so it may create tables in its public schema, which
# PostgreSQL 15 no longer lets everyone do).
pg_create_db() {
	pg_psql postgres "CREATE ROLE \"$2\" LOGIN PASSWORD '$3'" >/dev/null
	pg_psql postgres "CREATE DATABASE \"$1\" OWNER \"$2\"" >/dev/null
}

# Stops the server before lib.sh's cleanup: that may end the EXIT trap early
# with a failed assertion (gw_stop), and a server left running would outlive
# the test and its directory. A fast shutdown does not wait for gatewayd's
# workers to hang up.
trap 'pg_stop; _cleanup' EXIT
