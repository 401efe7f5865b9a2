# shellcheck shell=sh
#
# scripts/nginx.sh: start a private nginx in front of gatewayd.
#
# Sourced (". scripts/nginx.sh") by scripts/run.sh (`make run`) and by the
# integration tests (tests/integration/lib.sh). Never touches the packaged
# nginx service: everything (config, pid, logs, temp files) lives in one
# directory, and nginx runs as
#
#	nginx -p DIR/ -e DIR/error.log -c DIR/nginx.conf
#
# Functions:
#	nginx_port_free PORT            0 when nothing listens on 127.0.0.1:PORT
#	nginx_pick_port [START]         prints the first free port from START
#	                                (default 18080), trying 200 ports
#	nginx_write_conf DIR PORT SOCK  writes DIR/nginx.conf: 127.0.0.1:PORT,
#	                                `location /` -> unix:SOCK
#	nginx_start DIR                 starts it (daemonized, pid in DIR/nginx.pid)
#	nginx_stop DIR                  stops it and waits for it to exit (<= 5 s)
#	nginx_running PID               0 while that process runs (not a zombie)
#
# nginx_write_conf reads two optional variables:
#	NGINX_KEEPALIVE     upstream keepalive connections (default 8); 0 turns
#	                    off both upstream keepalive and fastcgi_keep_conn
#	NGINX_EXTRA         text pasted inside the server block, e.g. more
#	                    locations; `include DIR/gatewayd_fastcgi.conf;` gives
#	                    them the same FastCGI settings as `location /`

nginx_port_free() {
	! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

nginx_pick_port() {
	_np_port=${1:-18080}
	_np_last=$((_np_port + 200))
	while [ "$_np_port" -lt "$_np_last" ]; do
		if nginx_port_free "$_np_port"; then
			echo "$_np_port"
			return 0
		fi
		_np_port=$((_np_port + 1))
	done
	echo "nginx.sh: no free port in ${1:-18080}..$_np_last" >&2
	return 1
}

nginx_write_conf() {
	_nw_dir=$1
	_nw_port=$2
	_nw_sock=$3
	_nw_keepalive=${NGINX_KEEPALIVE:-8}
	_nw_user=""
	[ "$(id -u)" -eq 0 ] && _nw_user="user root;"

	mkdir -p "$_nw_dir/www" "$_nw_dir/tmp" || return 1

	# The FastCGI settings shared by every location that talks to gatewayd.
	{
		echo "fastcgi_pass gatewayd;"
		if [ "$_nw_keepalive" -gt 0 ]; then
			echo "fastcgi_keep_conn on;"
		else
			echo "fastcgi_keep_conn off;"
		fi
		echo "include /etc/nginx/fastcgi_params;"
		echo "fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;"
	} >"$_nw_dir/gatewayd_fastcgi.conf" || return 1

	cat >"$_nw_dir/nginx.conf" <<NGINX_CONF || return 1
# Written by scripts/nginx.sh; regenerated on every start.
$_nw_user
worker_processes 1;
pid $_nw_dir/nginx.pid;
error_log $_nw_dir/error.log info;

events {
	worker_connections 1024;
}

http {
	access_log $_nw_dir/access.log;
	default_type application/octet-stream;
	client_body_temp_path $_nw_dir/tmp/body;
	fastcgi_temp_path $_nw_dir/tmp/fastcgi;
	proxy_temp_path $_nw_dir/tmp/proxy;
	uwsgi_temp_path $_nw_dir/tmp/uwsgi;
	scgi_temp_path $_nw_dir/tmp/scgi;
	client_max_body_size 16m;

	upstream gatewayd {
		server unix:$_nw_sock;
$(if [ "$_nw_keepalive" -gt 0 ]; then printf '\t\tkeepalive %s;\n' "$_nw_keepalive"; fi)
	}

	server {
		listen 127.0.0.1:$_nw_port;
		root $_nw_dir/www;

		location / {
			include $_nw_dir/gatewayd_fastcgi.conf;
		}
${NGINX_EXTRA:-}
	}
}
NGINX_CONF
}

nginx_start() {
	# With daemon on, nginx binds its listen socket before it returns.
	nginx -p "$1/" -e "$1/error.log" -c "$1/nginx.conf" -g 'daemon on;'
}

# nginx_running PID: 0 while PID runs. The daemonized master is not our
# child: once it exits it may stay a zombie until init reaps it, and kill -0
# still succeeds on a zombie, so look at its state too.
nginx_running() {
	kill -0 "$1" 2>/dev/null || return 1
	case $(ps -o stat= -p "$1" 2>/dev/null) in
	Z* | "") return 1 ;;
	esac
	return 0
}

nginx_stop() {
	[ -s "$1/nginx.pid" ] || return 0
	_ns_pid=$(cat "$1/nginx.pid")
	kill -TERM "$_ns_pid" 2>/dev/null || return 0
	_ns_i=0
	while nginx_running "$_ns_pid" && [ "$_ns_i" -lt 50 ]; do
		sleep 0.1
		_ns_i=$((_ns_i + 1))
	done
	if nginx_running "$_ns_pid"; then
		echo "nginx.sh: nginx $_ns_pid ignored SIGTERM, killing it" >&2
		_ns_workers=$(pgrep -P "$_ns_pid")
		kill -KILL "$_ns_pid" 2>/dev/null
		for _ns_w in $_ns_workers; do
			kill -KILL "$_ns_w" 2>/dev/null
		done
	fi
	rm -f "$1/nginx.pid"
	return 0
}
