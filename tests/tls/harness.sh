#!/usr/bin/env bash
# TLS test harness: makes a throwaway CA with server and client certificates (openssl
# command) in a temp dir, then for each given program starts two fresh redis-servers, each
# with a plain port beside a TLS port:
#   server A: --tls-auth-clients no   (TLS_PORT, plain PLAIN_PORT)
#   server B: --tls-auth-clients yes  (TLS_MTLS_PORT: a client certificate is required)
# and runs the program with these in the environment:
#   REDIS_HOST PLAIN_PORT TLS_PORT TLS_MTLS_PORT REDIS_PIDFILE TLS_MTLS_PIDFILE REDIS_CONF TEST_TMPDIR
#   TLS_CA (the CA that signed everything), TLS_CA_DIR (the same CA as a hashed directory),
#   TLS_CLIENT_CERT/TLS_CLIENT_KEY (signed by TLS_CA), TLS_OTHER_CA (an unrelated CA),
#   TLS_OTHER_CERT/TLS_OTHER_KEY (a client pair signed by TLS_OTHER_CA),
#   TLS_SERVER_NAME (the name in the server certificate: localhost; 127.0.0.1 is also in it).
# Each program prints "N passed, M failed" last. TEST_WRAPPER wraps each run (valgrind).
# Only the servers started here are stopped, by pid.
set -u

command -v redis-server >/dev/null || { echo "tls harness: redis-server not found"; exit 2; }
command -v openssl >/dev/null || { echo "tls harness: openssl not found"; exit 2; }

. "$(dirname "$0")/../harness-lib.sh"
harness_setup hiredis-rs-tls

# --- certificates --------------------------------------------------------------------------
certs=$top/certs; mkdir -p "$certs"
gen() { openssl "$@" >/dev/null 2>&1 || { echo "tls harness: openssl $1 failed"; exit 2; }; }
make_ca() { # name
    gen genrsa -out "$certs/$1.key" 2048
    gen req -x509 -new -nodes -sha256 -key "$certs/$1.key" -days 2 -subj "/O=hiredis-rs test/CN=$1" \
        -out "$certs/$1.crt"
}
make_cert() { # name ca subject [extfile]
    gen genrsa -out "$certs/$1.key" 2048
    gen req -new -sha256 -key "$certs/$1.key" -subj "$3" -out "$certs/$1.csr"
    gen x509 -req -sha256 -days 2 -in "$certs/$1.csr" -CA "$certs/$2.crt" -CAkey "$certs/$2.key" \
        -CAcreateserial -out "$certs/$1.crt" ${4:+-extfile "$4"}
}
make_ca ca
make_ca other-ca
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > "$certs/server.ext"
printf 'keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' > "$certs/client.ext"
make_cert server ca "/O=hiredis-rs test/CN=localhost" "$certs/server.ext"
make_cert client ca "/O=hiredis-rs test/CN=client" "$certs/client.ext"
make_cert other-client other-ca "/O=hiredis-rs test/CN=other" "$certs/client.ext"
mkdir -p "$certs/cadir"; cp "$certs/ca.crt" "$certs/cadir/"
gen rehash "$certs/cadir" || { h=$(openssl x509 -hash -noout -in "$certs/ca.crt"); ln -s ca.crt "$certs/cadir/$h.0"; }

# --- servers -------------------------------------------------------------------------------
start_server() { # dir name auth-clients -> sets plain, tls
    local dir=$1 name=$2 auth=$3
    plain=$(free_port); tls=$(free_port)
    cat > "$dir/$name.conf" <<CONF
port $plain
tls-port $tls
bind 127.0.0.1
tls-cert-file $certs/server.crt
tls-key-file $certs/server.key
tls-ca-cert-file $certs/ca.crt
tls-auth-clients $auth
dir $dir
pidfile $dir/$name.pid
logfile $dir/$name.log
daemonize no
save ""
appendonly no
enable-debug-command yes
CONF
    redis-server "$dir/$name.conf" &
    pids+=($!)
    for _ in $(seq 1 200); do
        redis-cli -h 127.0.0.1 -p "$plain" ping >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "tls harness: redis-server did not start"; cat "$dir/$name.log"; return 1
}

start_servers() { # dir -> sets a_plain, a_tls (server A), plain, tls (server B)
    start_server "$1" redis no || return 1
    a_plain=$plain a_tls=$tls
    start_server "$1" mtls yes
}

run_program() { # program
    REDIS_HOST=127.0.0.1 PLAIN_PORT=$a_plain TLS_PORT=$a_tls TLS_MTLS_PORT=$tls \
    REDIS_CONF=$dir/redis.conf REDIS_PIDFILE=$dir/redis.pid TLS_MTLS_PIDFILE=$dir/mtls.pid TEST_TMPDIR=$dir \
    TLS_CA=$certs/ca.crt TLS_CA_DIR=$certs/cadir TLS_CLIENT_CERT=$certs/client.crt TLS_CLIENT_KEY=$certs/client.key \
    TLS_OTHER_CA=$certs/other-ca.crt TLS_OTHER_CERT=$certs/other-client.crt TLS_OTHER_KEY=$certs/other-client.key \
    TLS_SERVER_NAME=localhost \
        ${TEST_WRAPPER:-} "$1"
}

harness_run "TLS tests" "$@"
