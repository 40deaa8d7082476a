#!/usr/bin/env bash
# Set up everything `make demo` / `make test` need, from this repository's own files.
# Idempotent: each step is skipped when its inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }
# timed WHAT CMD...: run a long step, saying every 15 s how long it has been running (and how it ended)
timed() {
  local what=$1 start=$SECONDS pid rc; shift
  say "$what …"
  "$@" & pid=$!
  while ! wait_quietly "$pid" 15; do say "$what … $((SECONDS - start)) s"; done
  wait "$pid" && rc=0 || rc=$?
  if [ "$rc" = 0 ]; then say "$what: done in $((SECONDS - start)) s"; else say "$what: failed after $((SECONDS - start)) s"; fi
  return "$rc"
}
# wait_quietly PID SECONDS: true once PID has ended, false when SECONDS passed first
wait_quietly() { local i; for ((i = 0; i < $2 * 5; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done; return 1; }

# --- Python 3.10 (rasa 3.6.21 refuses 3.11+) -------------------------------------------
find_python310() {
  local c
  for c in "${PYTHON310:-}" "$(command -v python3.10 2>/dev/null || true)"; do
    [ -n "$c" ] && "$c" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { echo "$c"; return; }
  done
  if command -v pyenv >/dev/null 2>&1; then
    for c in "$(pyenv root)"/versions/3.10.*/bin/python3.10; do
      [ -x "$c" ] && { echo "$c"; return; }
    done
  fi
  for c in /usr/bin/python3.10 /usr/local/bin/python3.10; do
    [ -x "$c" ] && { echo "$c"; return; }
  done
}

# --- system packages: slapd + ldap-utils (LDAP), chromium + a CJK font (browser tests) -------
need_apt=()
[ -x /usr/sbin/slapd ] || need_apt+=(slapd ldap-utils)
# nginx: the load balancer of `make prod-local`; `make test` checks the compose/prod-local configs with `nginx -t`
[ -x /usr/sbin/nginx ] || need_apt+=(nginx)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# a CJK font, so the chat pages render Chinese in headless screenshots
{ command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh | grep -q .; } || need_apt+=(fonts-wqy-microhei)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing system packages: ${need_apt[*]}"
    timed "apt-get update" bash -c "apt-get update -qq >/dev/null"
    # packages must not start their services (Debian's nginx would listen on every interface): policy-rc.d says no
    own_policy=; if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; own_policy=1; fi
    timed "apt-get install ${need_apt[*]}" bash -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${need_apt[*]} >/dev/null"
    [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
  else
    die "missing system packages: ${need_apt[*]} (run: sudo apt-get install -y ${need_apt[*]})"
  fi
fi

PY=$(find_python310 || true)  # under set -e a failed lookup must reach the message below, not exit silently
[ -n "$PY" ] || die "Python 3.10 not found (rasa 3.6.21 needs 3.10, not 3.11+). Install it, e.g. 'pyenv install 3.10.13', or set PYTHON310=/path/to/python3.10."

mkdir -p var

# --- main venv -----------------------------------------------------------------------------
stamp_of() { cat "$@" | sha256sum | cut -c1-16; }
want=$(stamp_of pyproject.toml constraints.txt)
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.stamp 2>/dev/null)" != "$want" ]; then
  say "creating .venv with $PY and installing (first time ~3 min, 2.7 GB: rasa + tensorflow)"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/pip install -q --upgrade 'pip>=23.2' 'setuptools==70.3.0' 'wheel==0.45.1' 'packaging==20.9'
  timed "installing rasa, tensorflow and the rest into .venv (log: var/pip.log)" \
    bash -c ".venv/bin/pip install -q -c constraints.txt -e '.[dev]' > var/pip.log 2>&1" \
    || { tail -30 var/pip.log; die "pip install failed (full log: var/pip.log)"; }
  echo "$want" > .venv/.stamp
fi

# --- official vendor SDKs in their own venv (aiohttp pins conflict with rasa) ---------------
want_sdk=$(stamp_of requirements-sdk.txt)
if [ ! -x .venv-sdk/bin/python ] || [ "$(cat .venv-sdk/.stamp 2>/dev/null)" != "$want_sdk" ]; then
  say "creating .venv-sdk for the official DingTalk / K/3 SDKs"
  [ -x .venv-sdk/bin/python ] || "$PY" -m venv .venv-sdk
  timed "installing requirements-sdk.txt into .venv-sdk" .venv-sdk/bin/pip install -q -r requirements-sdk.txt
  echo "$want_sdk" > .venv-sdk/.stamp
fi
# --- the official DingTalk OpenAPI SDK (OA approval) in its own venv (its pins move rasa's) ----
want_oa=$(stamp_of requirements-oa.txt)
if [ ! -x .venv-oa/bin/python ] || [ "$(cat .venv-oa/.stamp 2>/dev/null)" != "$want_oa" ]; then
  say "creating .venv-oa for the official alibabacloud-dingtalk SDK"
  [ -x .venv-oa/bin/python ] || "$PY" -m venv .venv-oa
  timed "installing requirements-oa.txt into .venv-oa" .venv-oa/bin/pip install -q -r requirements-oa.txt
  echo "$want_oa" > .venv-oa/.stamp
fi
# --- kubernetes-validate (the Helm chart's manifests against the Kubernetes schemas), own venv ---
want_k8s=$(stamp_of requirements-k8s.txt)
if [ ! -x .venv-k8s/bin/kubernetes-validate ] || [ "$(cat .venv-k8s/.stamp 2>/dev/null)" != "$want_k8s" ]; then
  say "creating .venv-k8s for kubernetes-validate"
  [ -x .venv-k8s/bin/python ] || "$PY" -m venv .venv-k8s
  timed "installing requirements-k8s.txt into .venv-k8s" .venv-k8s/bin/pip install -q -r requirements-k8s.txt
  echo "$want_k8s" > .venv-k8s/.stamp
fi
# --- PostgreSQL and Redis (production-configuration tests); started if installed but down ---
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  say "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if command -v redis-server >/dev/null 2>&1 && ! listening 6379; then
  say "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /tmp >/dev/null || true
fi
# Tests that need a component fail when it is missing (tests/requirements.py); say so here first.
for service in "PostgreSQL 5432 postgres" "Redis 6379 redis"; do
  read -r label port marker <<< "$service"
  for _ in $(seq 1 50); do listening "$port" && break; sleep 0.2; done  # up to 10 s after a fresh start
  listening "$port" || printf '\033[33m[setup] %s is not listening on 127.0.0.1:%s: tests marked %s will fail (DINGK3_ALLOW_SKIP=%s skips them)\033[0m\n' \
    "$label" "$port" "$marker" "$marker" >&2
done
say "ready: .venv ($(.venv/bin/python --version))"
