#!/usr/bin/env bash
# setup-postgres.sh: make a local PostgreSQL ready for housecall, idempotently.
#
#   1. If a server already answers on the URL's host:port (default
#      127.0.0.1:5432), leave it alone.
#   2. Otherwise install PostgreSQL with apt-get if it is missing (Debian and
#      Ubuntu), start its cluster and wait until it accepts connections.
#      Only when this run installed PostgreSQL does it also switch loopback
#      connections to trust auth (local development) and say so.
#   3. Create the database named by HOUSECALL_DATABASE_URL (default
#      housecall) if it does not exist.
#
# Environment:
#   HOUSECALL_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/housecall?sslmode=disable
#   SETUP_POSTGRES_TIMEOUT  seconds to wait for the server (default 60)
#   PGPASSWORD              used by psql if the server asks for a password
#                           (taken from the URL when the URL's user is postgres)
#
# Uses sudo for system changes when not run as root.
set -euo pipefail

DEFAULT_URL='postgres://postgres@127.0.0.1:5432/housecall?sslmode=disable'
ADMIN_USER=postgres
HBA_MARKER='# housecall scripts/setup-postgres.sh: trust loopback (local development only)'

log() { printf 'setup-postgres: %s\n' "$*"; }
die() {
	printf 'setup-postgres: error: %s\n' "$*" >&2
	exit 1
}

# as_root runs a command as root: directly, or through sudo.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root to run '$*' and sudo is not installed; re-run as root"
	fi
}

# as_postgres runs a command as the postgres OS user (peer auth on the socket).
as_postgres() {
	if [ "$(id -un)" = postgres ]; then
		"$@"
	elif [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		sudo -u postgres "$@"
	fi
}

# parse_url sets DB_USER, DB_PASS, DB_HOST, DB_PORT and DB_NAME from $1.
parse_url() {
	local url=$1 rest auth hostport
	case $url in
	postgres://* | postgresql://*) rest=${url#*://} ;;
	*) die "HOUSECALL_DATABASE_URL must start with postgres:// (got '$url')" ;;
	esac
	rest=${rest%%\?*}
	auth=
	if [[ $rest == *@* ]]; then
		auth=${rest%@*}
		rest=${rest##*@}
	fi
	hostport=${rest%%/*}
	DB_NAME=
	[[ $rest == */* ]] && DB_NAME=${rest#*/}
	DB_USER=${auth%%:*}
	DB_PASS=
	[[ $auth == *:* ]] && DB_PASS=${auth#*:}
	if [[ $hostport == \[*\]* ]]; then # [::1]:5432
		DB_HOST=${hostport%%]*}
		DB_HOST=${DB_HOST#[}
		DB_PORT=${hostport##*]}
		DB_PORT=${DB_PORT#:}
	else
		DB_HOST=${hostport%%:*}
		DB_PORT=
		[[ $hostport == *:* ]] && DB_PORT=${hostport#*:}
	fi
	DB_HOST=${DB_HOST:-127.0.0.1}
	[ "$DB_HOST" = localhost ] && DB_HOST=127.0.0.1
	DB_PORT=${DB_PORT:-5432}
	DB_USER=${DB_USER:-$ADMIN_USER}
	DB_NAME=${DB_NAME:-housecall}

	case $DB_HOST in
	127.0.0.1 | ::1) ;;
	*) die "HOUSECALL_DATABASE_URL points at host '$DB_HOST'; this script only manages a PostgreSQL on this machine (127.0.0.1)" ;;
	esac
	[[ $DB_PORT =~ ^[0-9]+$ ]] || die "bad port '$DB_PORT' in HOUSECALL_DATABASE_URL"
	[[ $DB_NAME =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] ||
		die "database name '$DB_NAME' in HOUSECALL_DATABASE_URL: use letters, digits and _ only"
}

# ready returns pg_isready's status for the target: 0 accepting, 1 starting
# up / rejecting, 2 no response, 3 no attempt (bad parameters).
ready() {
	local rc=0
	pg_isready -q -h "$DB_HOST" -p "$DB_PORT" || rc=$?
	return "$rc"
}

server_installed() {
	compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

install_postgres() {
	command -v apt-get >/dev/null 2>&1 ||
		die "PostgreSQL is not installed and apt-get is not available: install PostgreSQL 15+ yourself, then re-run"
	log "installing PostgreSQL with apt-get"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
		die "apt-get update failed"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-client >/dev/null ||
		die "apt-get install postgresql failed"
	server_installed || die "apt-get installed postgresql but no server binary is under /usr/lib/postgresql"
}

# find_cluster sets PG_VERSION and PG_CLUSTER: the cluster on DB_PORT, creating
# one ("main") only when there is none at all.
find_cluster() {
	command -v pg_lsclusters >/dev/null 2>&1 ||
		die "pg_lsclusters not found (postgresql-common missing): cannot find the cluster to start"
	local line ver name port
	PG_VERSION=''
	PG_CLUSTER=''
	while read -r ver name port _; do
		if [ "$port" = "$DB_PORT" ]; then
			PG_VERSION=$ver PG_CLUSTER=$name
			return 0
		fi
	done < <(pg_lsclusters --no-header 2>/dev/null)
	line=$(pg_lsclusters --no-header 2>/dev/null | head -n1 || true)
	if [ -n "$line" ]; then
		die "no PostgreSQL cluster uses port $DB_PORT (clusters: $(pg_lsclusters --no-header | awk '{printf "%s/%s:%s ", $1, $2, $3}'))"
	fi
	ver=$(basename "$(dirname "$(dirname "$(compgen -G '/usr/lib/postgresql/*/bin/postgres' | sort -V | tail -n1)")")")
	log "creating cluster $ver/main on port $DB_PORT"
	as_root pg_createcluster "$ver" main --port "$DB_PORT" >/dev/null ||
		die "pg_createcluster $ver main failed"
	PG_VERSION=$ver PG_CLUSTER=main
}

start_cluster() {
	log "starting cluster $PG_VERSION/$PG_CLUSTER"
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 &&
		as_root systemctl start "postgresql@$PG_VERSION-$PG_CLUSTER" 2>/dev/null; then
		return 0
	fi
	if as_root pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PG_CLUSTER" start 2>/dev/null; then
		return 0
	fi
	# Already running (pg_ctlcluster exits 2) or another init system.
	if as_root service postgresql start >/dev/null 2>&1; then
		return 0
	fi
	log "start commands failed; waiting in case the cluster is already starting"
}

# configure_trust puts trust lines for 127.0.0.1 and ::1 at the top of the
# cluster's pg_hba.conf (once) and reloads it.
configure_trust() {
	local hba=/etc/postgresql/$PG_VERSION/$PG_CLUSTER/pg_hba.conf tmp
	as_root test -f "$hba" || die "pg_hba.conf not found at $hba"
	if as_root grep -qF "$HBA_MARKER" "$hba"; then
		log "loopback trust auth already configured in $hba"
		return 0
	fi
	tmp=$(mktemp)
	{
		printf '%s\n' "$HBA_MARKER"
		printf 'host    all    all    127.0.0.1/32    trust\n'
		printf 'host    all    all    ::1/128         trust\n'
		printf '\n'
		as_root cat "$hba"
	} >"$tmp"
	as_root cp "$tmp" "$hba" || {
		rm -f "$tmp"
		die "cannot write $hba"
	}
	rm -f "$tmp"
	log "NOTE: changed $hba: any local user may now connect over 127.0.0.1/::1 as any role without a password (local development only)"
	if ready; then
		as_root pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PG_CLUSTER" reload 2>/dev/null ||
			as_postgres psql -XqAtc 'SELECT pg_reload_conf()' >/dev/null ||
			die "could not reload PostgreSQL after changing $hba"
		log "reloaded cluster $PG_VERSION/$PG_CLUSTER"
	fi
}

wait_ready() {
	local timeout=${SETUP_POSTGRES_TIMEOUT:-60} waited=0
	until ready; do
		if [ "$waited" -ge "$timeout" ]; then
			die "PostgreSQL did not accept connections on $DB_HOST:$DB_PORT within ${timeout}s; see /var/log/postgresql/postgresql-${PG_VERSION:-*}-${PG_CLUSTER:-*}.log"
		fi
		sleep 1
		waited=$((waited + 1))
	done
	log "PostgreSQL is accepting connections on $DB_HOST:$DB_PORT"
}

# psql_admin runs SQL from stdin as the admin role over TCP.
psql_admin() {
	psql -X -q -At -w -v ON_ERROR_STOP=1 -h "$DB_HOST" -p "$DB_PORT" -U "$ADMIN_USER" -d postgres "$@"
}

ensure_database() {
	local out
	if ! out=$(printf "SELECT 1 FROM pg_database WHERE datname = :'db';\n" | psql_admin -v db="$DB_NAME" 2>&1); then
		die "cannot connect to $DB_HOST:$DB_PORT as $ADMIN_USER: ${out//$'\n'/ } (set PGPASSWORD, or allow loopback auth in pg_hba.conf)"
	fi
	if [ "$out" = 1 ]; then
		log "database $DB_NAME exists"
		return 0
	fi
	if ! out=$(printf 'CREATE DATABASE :"db";\n' | psql_admin -v db="$DB_NAME" 2>&1); then
		die "CREATE DATABASE $DB_NAME failed: ${out//$'\n'/ }"
	fi
	log "created database $DB_NAME"
}

main() {
	parse_url "${HOUSECALL_DATABASE_URL:-$DEFAULT_URL}"
	if [ "$DB_USER" = "$ADMIN_USER" ] && [ -n "$DB_PASS" ] && [ -z "${PGPASSWORD:-}" ]; then
		export PGPASSWORD=$DB_PASS
	fi

	local fresh=0 rc=0
	if command -v pg_isready >/dev/null 2>&1; then
		ready || rc=$?
	else
		rc=127
	fi

	case $rc in
	0)
		log "PostgreSQL already running on $DB_HOST:$DB_PORT; skipping install and start"
		;;
	1)
		log "PostgreSQL on $DB_HOST:$DB_PORT is starting up"
		wait_ready
		;;
	*)
		if server_installed; then
			log "PostgreSQL is installed but not answering on $DB_HOST:$DB_PORT"
			if ! command -v psql >/dev/null 2>&1 || ! command -v pg_isready >/dev/null 2>&1; then
				die "PostgreSQL server is installed but psql/pg_isready are missing: apt-get install postgresql-client"
			fi
		else
			install_postgres
			fresh=1
		fi
		find_cluster
		if [ "$fresh" = 1 ]; then
			configure_trust
		fi
		if ! ready; then
			start_cluster
		fi
		wait_ready
		;;
	esac

	ensure_database
}

# Run main unless sourced (the functions can then be used on their own).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
