#!/usr/bin/env bash
# Makes sure PostgreSQL and RabbitMQ are installed (Debian packages) and
# running on localhost, as pancake's tests and `pancake seed` expect them,
# and that the Python SQL Server client the TDS test server's tests read it
# with (python-tds, pinned in tds-test-server/tests/clients/requirements.txt)
# is installed in a virtual environment of its own. Idempotent and quick
# when all is there. Prints how to connect.
#
#   scripts/services.sh            # install what is missing, start, wait
#   scripts/services.sh --check    # only report; exit 1 if one is down
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_PORT=5432
AMQP_PORT=5672
DATABASE_URL_DEFAULT="postgres://postgres:postgres@127.0.0.1:${PG_PORT}/postgres"
AMQP_URL_DEFAULT="amqp://guest:guest@127.0.0.1:${AMQP_PORT}/%2f"

say() { printf 'services: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root to run: $* (run this script as root or install sudo)"; fi
}

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"
  else sudo -u postgres "$@"; fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port name seconds
  local i
  for ((i = 0; i < $3 * 5; i++)); do
    port_open "$1" && return 0
    sleep 0.2
  done
  die "$2 did not open 127.0.0.1:$1 within $3 s; see its log (PostgreSQL: /var/log/postgresql, RabbitMQ: /var/log/rabbitmq)"
}

apt_updated=""
install() { # packages...
  if [ -z "$apt_updated" ]; then
    say "installing $* (apt-get update first)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

postgres() {
  if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    install postgresql postgresql-client
  fi
  if ! port_open "$PG_PORT"; then
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    say "starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_port "$PG_PORT" PostgreSQL 60
  fi
  # The tests log in as postgres/postgres over TCP. Where the server asks
  # for a password (a fresh Debian install does), make that one valid.
  if ! PGPASSWORD=postgres psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; then
    say "setting the password of the postgres role for TCP logins"
    as_postgres psql -q -d postgres -c "ALTER ROLE postgres PASSWORD 'postgres'" >/dev/null
    PGPASSWORD=postgres psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc 'select 1' >/dev/null \
      || die "cannot log in to PostgreSQL as postgres on 127.0.0.1:$PG_PORT; check pg_hba.conf"
  fi
  # The wrong-password test needs one role whose password is checked even
  # where the server trusts local logins (as many dev machines do): the
  # role pancake_password_check, password "right-password", nothing else.
  local hba
  hba=$(PGPASSWORD=postgres psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc 'show hba_file')
  if ! as_root grep -q pancake_password_check "$hba"; then
    say "asking for passwords from role pancake_password_check ($hba)"
    as_root sed -i '1i host all pancake_password_check 127.0.0.1/32 scram-sha-256' "$hba"
    PGPASSWORD=postgres psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c 'select pg_reload_conf()' >/dev/null
  fi
  PGPASSWORD=postgres psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres >/dev/null <<'SQL'
SET password_encryption = 'scram-sha-256';
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pancake_password_check') THEN
    CREATE ROLE pancake_password_check LOGIN PASSWORD 'right-password';
  END IF;
END $$;
SQL
  # The loader's TLS test (a server that pauses reading mid-COPY) connects
  # with sslmode=require: the server must offer TLS. Debian's package does,
  # with the snakeoil certificate; where it does not, a self-signed one.
  local pg=(psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres)
  if [ "$(PGPASSWORD=postgres "${pg[@]}" -tAc 'show ssl')" != on ]; then
    local data
    data=$(PGPASSWORD=postgres "${pg[@]}" -tAc 'show data_directory')
    say "turning TLS on, with a self-signed certificate in $data"
    command -v openssl >/dev/null || install openssl
    as_postgres openssl req -new -x509 -days 3650 -nodes -subj /CN=localhost \
      -keyout "$data/server.key" -out "$data/server.crt" >/dev/null 2>&1
    as_postgres chmod 600 "$data/server.key"
    PGPASSWORD=postgres "${pg[@]}" -q >/dev/null <<'SQL'
ALTER SYSTEM SET ssl_cert_file = 'server.crt';
ALTER SYSTEM SET ssl_key_file = 'server.key';
ALTER SYSTEM SET ssl = on;
SELECT pg_reload_conf();
SQL
    sleep 1
    [ "$(PGPASSWORD=postgres "${pg[@]}" -tAc 'show ssl')" = on ] \
      || die "could not turn TLS on in PostgreSQL; see /var/log/postgresql"
  fi
}

rabbitmq() {
  if ! command -v rabbitmq-server >/dev/null; then
    install rabbitmq-server
  fi
  if ! port_open "$AMQP_PORT"; then
    say "starting RabbitMQ"
    as_root rabbitmq-server -detached >/dev/null 2>&1 || true
    wait_port "$AMQP_PORT" RabbitMQ 120
    as_root rabbitmqctl -q await_startup >/dev/null 2>&1 || true
  fi
}

# The Python clients' virtual environment, one per checkout (so that two
# checkouts pinning different versions never undo each other's install);
# the tests find it through pancake_tds_test_server::python_clients(), by the
# same rule.
PYTHON_CLIENTS_REQUIREMENTS="$ROOT/tds-test-server/tests/clients/requirements.txt"
PYTHON_CLIENTS="${PANCAKE_PYTHON_CLIENTS:-$ROOT/target/python-clients}"

# Installed means: the environment's copy of the requirements equals the
# pinned file (written only after a whole install).
python_clients_installed() {
  [ -x "$PYTHON_CLIENTS/bin/python" ] && cmp -s "$PYTHON_CLIENTS_REQUIREMENTS" "$PYTHON_CLIENTS/requirements.txt"
}

python_clients() {
  python_clients_installed && return 0
  if [ -e "$PYTHON_CLIENTS" ] && [ -n "$(ls -A "$PYTHON_CLIENTS")" ] && [ ! -f "$PYTHON_CLIENTS/pyvenv.cfg" ]; then
    die "$PYTHON_CLIENTS is not a Python virtual environment; remove it, or set PANCAKE_PYTHON_CLIENTS to another folder"
  fi
  command -v python3 >/dev/null || install python3 python3-venv
  say "installing the Python test clients (python-tds, prometheus_client) into $PYTHON_CLIENTS"
  mkdir -p "$(dirname "$PYTHON_CLIENTS")"
  if ! python3 -m venv --clear "$PYTHON_CLIENTS" >/dev/null 2>&1; then
    # Debian's python3 makes environments only with python3-venv.
    install python3-venv
    python3 -m venv --clear "$PYTHON_CLIENTS" >/dev/null || die "python3 cannot make a virtual environment in $PYTHON_CLIENTS"
  fi
  "$PYTHON_CLIENTS/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    -r "$PYTHON_CLIENTS_REQUIREMENTS" \
    || die "could not install $PYTHON_CLIENTS_REQUIREMENTS into $PYTHON_CLIENTS (is PyPI reachable?)"
  cp "$PYTHON_CLIENTS_REQUIREMENTS" "$PYTHON_CLIENTS/requirements.txt"
}

if [ "${1:-}" = "--check" ]; then
  ok=0
  port_open "$PG_PORT" && say "PostgreSQL is up on 127.0.0.1:$PG_PORT" || { say "PostgreSQL is down"; ok=1; }
  port_open "$AMQP_PORT" && say "RabbitMQ is up on 127.0.0.1:$AMQP_PORT" || { say "RabbitMQ is down"; ok=1; }
  python_clients_installed && say "python-tds is installed in $PYTHON_CLIENTS" || { say "python-tds is not installed"; ok=1; }
  exit $ok
fi

# A URL from the environment may carry a real password: never print it.
mask() { printf '%s' "$1" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#'; }

postgres
rabbitmq
python_clients
if [ -n "${DATABASE_URL:-}" ]; then db=$(mask "$DATABASE_URL"); else db=$DATABASE_URL_DEFAULT; fi
if [ -n "${AMQP_URL:-}" ]; then amqp=$(mask "$AMQP_URL"); else amqp=$AMQP_URL_DEFAULT; fi
cat >&2 <<TXT
services: PostgreSQL and RabbitMQ are running. Connect with:
  DATABASE_URL=$db
  AMQP_URL=$amqp
  psql "\$DATABASE_URL"    (or: PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres)
services: python-tds for the TDS test server's tests is in $PYTHON_CLIENTS
TXT
