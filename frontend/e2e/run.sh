#!/usr/bin/env bash
# End-to-end tests of the web app in Debian's Chromium (never a downloaded browser), against the
# full local stack. With E2E_APP_URL, E2E_API_URL and E2E_AUTH_EMULATOR_URL set (a running
# `make run`, a CI fixture) it uses that stack; otherwise it starts a private one on free ports,
# with the web app built against it, and stops it afterwards. Extra arguments go to Playwright.
set -euo pipefail
cd "$(dirname "$0")/.."
FRONTEND=$PWD
REPO=$(cd .. && pwd)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export E2E_CHROMIUM=${E2E_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$E2E_CHROMIUM" ]; then
  echo "Chromium not found at $E2E_CHROMIUM: apt-get install -y chromium (make deps does)" >&2
  exit 1
fi
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error

cleanup=()
# A killed server's `wait` returns 143; under `set -e` that would become the script's status.
trap 'for c in "${cleanup[@]}"; do eval "$c" || true; done' EXIT

if [ -z "${E2E_APP_URL:-}" ] && [ -n "${E2E_API_URL:-}" ] && [ -n "${E2E_AUTH_EMULATOR_URL:-}" ]; then
  # A stack without the web app (the pytest fixture's): build the app against it and serve it
  # with devstack/static_site.py — index.html fallback, gzip and cache headers like the CDN, so
  # the performance spec measures what production sends.
  work=$(mktemp -d -t kwetter-e2e-web.XXXXXX)
  cleanup+=("rm -rf '$work'")
  VITE_API_BASE=$E2E_API_URL VITE_AUTH_EMULATOR_URL=$E2E_AUTH_EMULATOR_URL \
    VITE_FIREBASE_PROJECT_ID=${E2E_PROJECT_ID:-demo-kwetter} VITE_POLL_MS=${VITE_POLL_MS:-2000} \
    ./node_modules/.bin/vite build --outDir "$work/dist" --emptyOutDir --logLevel warn
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  (cd "$REPO" && PYTHONPATH="$REPO" exec python3 -m devstack.static_site --dir "$work/dist" --port "$port") >"$work/preview.log" 2>&1 &
  preview_pid=$!
  cleanup+=("kill $preview_pid 2>/dev/null; wait $preview_pid 2>/dev/null || true")
  export E2E_APP_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 60); do
    curl -fs -o /dev/null "$E2E_APP_URL/" && break
    kill -0 "$preview_pid" 2>/dev/null || { cat "$work/preview.log" >&2; exit 1; }
    sleep 0.5
  done
fi

if [ -z "${E2E_APP_URL:-}" ]; then
  work=$(mktemp -d -t kwetter-e2e.XXXXXX)
  echo "e2e: starting a private local stack (log: $work/stack.log)"
  # Faster polling makes the "appears without reload" checks quicker; the app default is 5 s.
  VITE_POLL_MS=${VITE_POLL_MS:-2000} PYTHONPATH="$REPO" python3 - "$work" >"$work/stack.log" 2>&1 <<'PY' &
import signal, sys, threading
from pathlib import Path
from devstack.stack import LocalStack, Ports

work = Path(sys.argv[1])
stack = LocalStack(work / "stack", Ports.free(), "demo-kwetter-e2e", persist=False,
                   tick_seconds=1.0, with_web=True)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
try:
    stack.start(progress=True)
    (work / "ready").write_text("ok")
    stop.wait()
finally:
    stack.stop()
PY
  stack_pid=$!
  cleanup+=("kill -TERM $stack_pid 2>/dev/null; wait $stack_pid 2>/dev/null || true; rm -rf '$work'")
  t0=$SECONDS
  until [ -f "$work/ready" ]; do
    if ! kill -0 "$stack_pid" 2>/dev/null; then
      echo "e2e: the local stack failed to start:" >&2
      tail -40 "$work/stack.log" >&2
      exit 1
    fi
    if ((SECONDS - t0 > 420)); then
      echo "e2e: the local stack did not start within 420 s" >&2
      tail -40 "$work/stack.log" >&2
      exit 1
    fi
    sleep 1
  done
  echo "e2e: stack up in $((SECONDS - t0)) s"
  eval "$(python3 - "$work/stack/stack.json" <<'PY'
import json, shlex, sys
d = json.load(open(sys.argv[1]))
print(f"export E2E_APP_URL={shlex.quote(d['web'])}")
print(f"export E2E_API_URL={shlex.quote(d['gateway'])}")
print(f"export E2E_AUTH_EMULATOR_URL={shlex.quote(d['auth_emulator'])}")
PY
)"
  # The folder of its stack.json: devstack/grant_role.py grants the moderation spec's moderator.
  export E2E_STACK_DIR="$work/stack"
fi

echo "e2e: app $E2E_APP_URL  api ${E2E_API_URL:-?}  auth ${E2E_AUTH_EMULATOR_URL:-?}"
cd "$FRONTEND"
status=0
npx playwright test "$@" || status=$?
if [ "$status" != 0 ] && [ -n "${stack_pid:-}" ] && [ -d "$work/stack" ]; then
  # The private stack's logs vanish with it: keep them beside Playwright's traces.
  mkdir -p test-results/e2e-stack-logs
  cp "$work/stack.log" test-results/e2e-stack-logs/ 2>/dev/null || true
  (cd "$work/stack" && find . -name '*.log' -exec cp --parents {} "$FRONTEND/test-results/e2e-stack-logs/" \;) || true
  echo "e2e: stack logs kept in frontend/test-results/e2e-stack-logs" >&2
fi
# UPDATE_DOCS_SCREENSHOTS=1 refreshes the few committed, README-linked screenshots.
if [ "$status" = 0 ] && [ "${UPDATE_DOCS_SCREENSHOTS:-}" = 1 ]; then
  mkdir -p "$REPO/docs/screenshots"
  for s in 01-sign-up 03-home-empty 04-profile-phone 05-home-timeline-phone 06-home-timeline 07-suggestions-phone 08-post-with-image 10-composer-with-image \
    tour-home-desktop tour-home-phone tour-home-dark tour-post-desktop tour-post-dark tour-profile-dark tour-sign-in-dark \
    image-viewer-phone new-posts-pill-phone phone-header-long-handle welcome-phone \
    conversation-liked conversation-reposted-by conversation-thread conversation-deleted-phone profile-likes-phone \
    profile-edit-errors profile-edited \
    search-typeahead search-results search-hashtag search-trends search-phone-dark \
    notifications mention-typeahead safety-post-menu safety-report safety-blocked-profile moderation \
    account-export-ready account-delete account-phone account-goodbye; do
    # Only the shots of the specs that ran (npm run metrics runs a subset).
    [ -f "e2e/screenshots/$s.png" ] && cp "e2e/screenshots/$s.png" "$REPO/docs/screenshots/$s.png"
  done
  echo "e2e: docs/screenshots updated"
fi
exit "$status"
