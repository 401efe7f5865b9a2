#!/usr/bin/env bash
# make install / make uninstall, from the build under test (nothing is
# rebuilt). Into DESTDIR=$T/root with PREFIX=/usr/local: exactly the
# documented tree (each file and its mode, nothing more), the example
# configuration's paths rewritten to the installed places, the units'
# placeholders filled in; make uninstall then leaves no file. Into
# PREFIX=$T/prefix (no DESTDIR, so the paths written inside are real): the
# installed gatewayd prints its version, passes -t on the installed example,
# finds its python3 runtime beside itself (lib/gatewayd/runtimes, not the
# build tree) and serves the installed hello.py with it; the units pass
# `systemd-analyze verify` where this container lets it run. Fails on the
# old code: there was no install target, and runtimes were looked for in
# the build tree only.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

BUILD_DIR=$(dirname "$GATEWAYD")

# mk TARGET ARGS...: make TARGET on the build under test.
mk() {
	make -s -C "$REPO" "$1" BUILD="$BUILD_DIR" "${@:2}" >>"$T/make.out" 2>&1 ||
		fail "make $* failed: '$(tail -c 400 "$T/make.out" | _show)'"
}

# expected_tree P: the files install puts under prefix P, "MODE PATH", sorted.
expected_tree() {
	local p=$1 f m py
	py=$p/lib/gatewayd/runtimes/python3
	{
		echo "755 $p/sbin/gatewayd"
		echo "755 $p/bin/gatewayctl"
		echo "755 $py/gatewayd-python3"
		echo "644 $py/gatewayd_runtime.py"
		for f in "$BUILD_DIR"/runtimes/python3/__pycache__/*.pyc; do
			[ -e "$f" ] && echo "644 $py/__pycache__/${f##*/}"
		done
		for f in "$REPO"/functions/*.c; do
			f=${f##*/}
			echo "755 $p/lib/gatewayd/functions/${f%.c}"
		done
		echo "755 $p/lib/gatewayd/functions/hello-cgi.sh"
		echo "644 $p/lib/gatewayd/functions/hello.php"
		echo "644 $p/lib/gatewayd/functions/hello.py"
		echo "644 $p/share/gatewayd/examples/gatewayd.ini"
		for f in "$REPO"/conf/functions.d/*.ini; do
			echo "644 $p/share/gatewayd/examples/functions.d/${f##*/}"
		done
		for m in "$REPO"/man/*.[0-9]; do
			echo "644 $p/share/man/man${m##*.}/${m##*/}"
		done
		echo "644 $p/lib/systemd/system/gatewayd.service"
		echo "644 $p/lib/systemd/system/gatewayd.socket"
	} | sort -k2
}

# installed_tree ROOT: the files under ROOT, "MODE PATH" (PATH from ROOT), sorted.
installed_tree() {
	find "$1" -type f -printf '%m /%P\n' | sort -k2
}

# ---------------------------------------------------------------- DESTDIR
mk install DESTDIR="$T/root" PREFIX=/usr/local
expected_tree /usr/local >"$T/expected"
installed_tree "$T/root" >"$T/installed"
diff -u "$T/expected" "$T/installed" >"$T/tree.diff" ||
	fail "the installed tree differs from the expected one: '$(_show <"$T/tree.diff")'"
echo "installed $(wc -l <"$T/installed") files under DESTDIR, each with its mode"

ex=$T/root/usr/local/share/gatewayd/examples
assert_file_contains "$ex/gatewayd.ini" "listen = /run/gatewayd/gatewayd.sock" "the installed gatewayd.ini"
assert_file_contains "$ex/gatewayd.ini" "run_dir = /run/gatewayd/workers" "the installed gatewayd.ini"
assert_file_contains "$ex/gatewayd.ini" "admin_listen = /run/gatewayd/admin.sock" "the installed gatewayd.ini"
assert_file_contains "$ex/gatewayd.ini" "async.journal = /var/lib/gatewayd/async.journal" "the installed gatewayd.ini"
assert_file_contains "$ex/functions.d/hello.ini" "exec = /usr/local/lib/gatewayd/functions/hello" "the installed hello.ini"
assert_file_contains "$ex/functions.d/py-hello.ini" "handler = /usr/local/lib/gatewayd/functions/hello.py" "the installed py-hello.ini"
if grep -nE '^[^;]*(= *\.\./|build/)' "$ex/gatewayd.ini" "$ex"/functions.d/*.ini >"$T/relative"; then
	fail "a path of the build tree is left in the installed example: '$(_show <"$T/relative")'"
fi
units=$T/root/usr/local/lib/systemd/system
assert_file_contains "$units/gatewayd.service" "ExecStart=/usr/local/sbin/gatewayd -c /etc/gatewayd/gatewayd.ini" "the installed gatewayd.service"
assert_file_contains "$units/gatewayd.socket" "ListenStream=/run/gatewayd/gatewayd.sock" "the installed gatewayd.socket"
if grep -n '@[A-Z]*@' "$units"/* >"$T/placeholders"; then
	fail "a placeholder is left in the units: '$(_show <"$T/placeholders")'"
fi

mk uninstall DESTDIR="$T/root" PREFIX=/usr/local
left=$(find "$T/root" -type f)
[ -z "$left" ] || fail "make uninstall left files: '$(_show <<<"$left")'"
[ ! -e "$T/root/usr/local/lib/gatewayd" ] || fail "make uninstall left lib/gatewayd"
[ ! -e "$T/root/usr/local/share/gatewayd" ] || fail "make uninstall left share/gatewayd"
echo "make uninstall removed every file"

# ------------------------------------------------- a real PREFIX, and run
prefix=$T/prefix
mk install PREFIX="$prefix"
out=$("$prefix/sbin/gatewayd" -v) || fail "the installed gatewayd -v exited $?"
[[ $out =~ ^gatewayd\ [0-9]+\.[0-9]+\.[0-9]+ ]] || fail "the installed gatewayd -v printed '$out'"
"$prefix/sbin/gatewayd" -t -c "$prefix/share/gatewayd/examples/gatewayd.ini" >"$T/check.out" 2>&1 ||
	fail "gatewayd -t on the installed example failed: '$(_show <"$T/check.out")'"
echo "installed: $out; $(tail -n 1 "$T/check.out")"

if systemd-analyze verify --man=no "$prefix"/lib/systemd/system/gatewayd.{socket,service} \
	>"$T/verify.out" 2>&1; then
	echo "systemd-analyze verify: the units are clean"
elif grep -qE 'Failed to (connect|create)|not found\.$|System has not been booted' "$T/verify.out"; then
	echo "systemd-analyze verify cannot run here, skipped: $(head -n 1 "$T/verify.out")"
else
	fail "systemd-analyze verify: '$(_show <"$T/verify.out")'"
fi

# The installed gatewayd runs the installed runtime on the installed example handler.
GATEWAYD=$prefix/sbin/gatewayd
gw_config <<EOF
[py]
runtime = python3
handler = $prefix/lib/gatewayd/functions/hello.py
pm.max_children = 1
EOF
gw_start
assert_file_contains "$GW_LOG" "workers of $prefix/lib/gatewayd/runtimes/python3/gatewayd-python3" "the installed gatewayd runs the installed runtime"
rc=0
body=$(fcgi_client --timeout 10 request "$GW_SOCK" -p SCRIPT_NAME=/function/py \
	-p REQUEST_METHOD=GET 2>/dev/null) || rc=$?
[ "$rc" -eq 0 ] || fail "no answer from the installed runtime (rc $rc)"
assert_contains "$body" '"greeting": "hello, ' "the installed hello.py's answer"
gw_stop
echo "served by $prefix/lib/gatewayd/runtimes/python3/gatewayd-python3"

mk uninstall PREFIX="$prefix"
left=$(find "$prefix" -type f)
[ -z "$left" ] || fail "make uninstall left files: '$(_show <<<"$left")'"
