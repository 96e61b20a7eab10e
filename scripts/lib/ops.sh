# shellcheck shell=bash
# Shared helpers of the ops scripts (run_scenario.sh, smoke_prod.sh, dual_ops_daily.sh,
# security_posture_daily.sh, cleanup_smoke_users.sh, quarterly_rotation.sh, bootstrap_dev.sh).
# Source it after `set -euo pipefail`; it defines functions and counters only, plus `ops_init`.
#
# Secrets (passwords, OTPs, TOTP seeds, access tokens, exchange API secrets) never reach a
# command line, standard output or standard error: they travel to python3 through standard input
# and to curl through files of mode 600 in a private temporary directory (`-H @file`,
# `--data-binary @file`). Answers are printed through `ops_describe`, which shows the server's
# `detail` message or the body with token and secret fields masked.

# Tracing (`bash -x`, SHELLOPTS) would print every secret the scripts handle: it stays off.
set +x

OPS_PASS=0
OPS_FAIL=0
# The interpreter itself, resolved once: version-manager shims (pyenv) cost ~0.1 s per start.
OPS_PYTHON="$(python3 -c 'import sys; print(sys.executable or "python3")' 2>/dev/null || echo python3)"
OPS_TMP=""
OPS_BASE=""
API_STATUS=""
API_BODY=""
LOGIN_DETAIL=""

pass() { OPS_PASS=$((OPS_PASS + 1)); echo "PASS | $*"; }
fail() { OPS_FAIL=$((OPS_FAIL + 1)); echo "FAIL | $*"; }
info() { echo "INFO | $*"; }
section() { echo; echo "[$1] $2"; }

# ops_summary: prints the closing line and exits 1 when any step failed, 0 otherwise.
ops_summary() {
  echo
  echo "Summary: PASS=$OPS_PASS FAIL=$OPS_FAIL"
  if [ "$OPS_FAIL" -gt 0 ]; then exit 1; fi
  exit 0
}

# ops_abort MESSAGE: a step that makes every later step meaningless failed; close the run.
ops_abort() {
  fail "$*"
  ops_summary
}

# ops_init BASE_URL: checks the tools, makes the private temporary directory (removed on exit).
ops_init() {
  local tool
  for tool in curl python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "Missing required command: $tool" >&2; exit 1; }
  done
  OPS_BASE="${1%/}"
  if [ -z "$OPS_BASE" ]; then echo "A base URL is required" >&2; exit 1; fi
  OPS_TMP="$(umask 077 && mktemp -d "${TMPDIR:-/tmp}/signaldesk-ops.XXXXXX")"
  trap 'rm -rf "$OPS_TMP"' EXIT
}

# ops_bool VALUE: exit status 0 when VALUE is true/1/yes/on (any case).
ops_bool() {
  case "${1,,}" in true | 1 | yes | on) return 0 ;; *) return 1 ;; esac
}

# ops_number NAME VALUE: refuses a value that is not a plain non-negative decimal number.
ops_number() {
  if ! [[ "$2" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
    echo "$1 must be a non-negative number (got '$2')" >&2
    exit 1
  fi
}

# ops_symbol NAME VALUE: refuses a symbol that is not letters, digits and . _ / : -
ops_symbol() {
  if ! [[ "$2" =~ ^[A-Za-z0-9._/:-]+$ ]]; then
    echo "$1 must be a trading symbol such as BTCUSDT (got '$2')" >&2
    exit 1
  fi
}

# ops_require NAME...: every named variable must be non-empty (names only are printed).
ops_require() {
  local name missing=()
  for name in "$@"; do [ -n "${!name:-}" ] || missing+=("$name"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Missing required variables: ${missing[*]}" >&2
    exit 1
  fi
}

# --- HTTP -------------------------------------------------------------------------------------

# api METHOD PATH [SESSION] [BODY] [CONTENT_TYPE] [HEADER]: one request to $OPS_BASE.
# SESSION names a session made by ops_login or ops_use_token ("" for none). BODY is JSON text or
# @FILE (a file written by ops_write_json for anything secret), sent as CONTENT_TYPE (default
# application/json). Sets API_STATUS ("000" when the server could not be reached) and API_BODY;
# the body also stays in "$OPS_TMP/body".
api() {
  local method="$1" path="$2" session="${3:-}" body="${4:-}" type="${5:-application/json}" header="${6:-}"
  local args=(-sS -X "$method" -o "$OPS_TMP/body" -w '%{http_code}' --max-time "${OPS_HTTP_TIMEOUT:-30}")
  if [ -n "$session" ]; then
    if [ ! -s "$OPS_TMP/auth.$session" ]; then
      API_STATUS="000"; API_BODY='{"detail":"no session '"$session"'"}'
      printf '%s' "$API_BODY" >"$OPS_TMP/body"
      return 0
    fi
    args+=(-H "@$OPS_TMP/auth.$session")
  fi
  if [ -n "$body" ]; then args+=(-H "Content-Type: $type" --data-binary "$body"); fi
  if [ -n "$header" ]; then args+=(-H "$header"); fi
  rm -f "$OPS_TMP/body"
  API_STATUS="$(curl "${args[@]}" "$OPS_BASE$path" 2>"$OPS_TMP/curl.err" || true)"
  [ -n "$API_STATUS" ] || API_STATUS="000"
  if [ -f "$OPS_TMP/body" ]; then API_BODY="$(cat "$OPS_TMP/body")"; else API_BODY=""; : >"$OPS_TMP/body"; fi
  if [ "$API_STATUS" = "000" ] && [ -z "$API_BODY" ]; then
    API_BODY="no answer: $(head -c 300 "$OPS_TMP/curl.err" | tr '\n' ' ')"
    printf '%s' "$API_BODY" >"$OPS_TMP/body"
  fi
}

# api_keep NAME: keeps the last answer's body as "$OPS_TMP/NAME.json" and prints that path.
api_keep() {
  cp "$OPS_TMP/body" "$OPS_TMP/$1.json"
  echo "$OPS_TMP/$1.json"
}

# ops_describe: "HTTP <status>: <detail>" for the last answer, with any token or secret field
# masked and the text cut to 300 characters.
ops_describe() {
  local text
  text="$("$OPS_PYTHON" - "$OPS_TMP/body" <<'PY'
import json, sys
SECRET = ("token", "secret", "password", "otp", "otpauth_uri", "api_key")
def mask(v):
    if isinstance(v, dict):
        return {k: ("***" if any(s in k.lower() for s in SECRET) and k != "telegram_configured" else mask(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [mask(x) for x in v]
    return v
try:
    raw = open(sys.argv[1], encoding="utf-8", errors="replace").read()
except OSError:
    raw = ""
try:
    d = json.loads(raw)
    if isinstance(d, dict) and isinstance(d.get("detail"), str):
        out = d["detail"]
    else:
        out = json.dumps(mask(d), separators=(",", ":"), sort_keys=True)
except ValueError:
    out = " ".join(raw.split()) or "(empty body)"
print(out[:300])
PY
)"
  echo "HTTP $API_STATUS: $text"
}

# jget EXPR [ARG...]: evaluates a Python expression over the JSON `d` of the last answer; the
# ARGs are the list `a`. Booleans print as true/false, null as nothing, objects and lists as JSON.
# Exit 1 when the body is not JSON or the expression fails. JGET_FILE reads another file instead.
jget() {
  "$OPS_PYTHON" - "${JGET_FILE:-$OPS_TMP/body}" "$@" <<'PY'
import json, sys
SAFE = {"len": len, "any": any, "all": all, "sum": sum, "str": str, "int": int, "float": float,
        "isinstance": isinstance, "dict": dict, "list": list, "sorted": sorted, "max": max, "min": min}
try:
    d = json.load(open(sys.argv[1], encoding="utf-8"))
    v = eval(sys.argv[2], {"__builtins__": SAFE, "d": d, "a": sys.argv[3:]})
except Exception:
    sys.exit(1)
if isinstance(v, bool):
    print("true" if v else "false")
elif v is None:
    print("")
elif isinstance(v, (dict, list)):
    print(json.dumps(v, separators=(",", ":")))
else:
    print(v)
PY
}

# jhas_action ACTION... : exit 0 when the last answer (a JSON list of audit rows) holds a row with
# any of the given actions.
jhas_action() {
  "$OPS_PYTHON" - "$OPS_TMP/body" "$@" <<'PY'
import json, sys
try:
    rows = json.load(open(sys.argv[1], encoding="utf-8"))
except Exception:
    sys.exit(1)
wanted = set(sys.argv[2:])
sys.exit(0 if isinstance(rows, list) and any(isinstance(r, dict) and r.get("action") in wanted for r in rows) else 1)
PY
}

# ops_write_json FILE KEY VALUE [KEY VALUE...]: writes a JSON object of strings to FILE (mode 600).
# The values travel through python's standard input (shell function arguments never appear on a
# command line), so FILE is how a secret reaches curl: api POST PATH SESSION @FILE.
ops_write_json() {
  local file="$1"; shift
  printf '%s\0' "$@" | (umask 077 && "$OPS_PYTHON" -c '
import json, sys
parts = sys.stdin.buffer.read().decode("utf-8").split("\0")[:-1]
json.dump(dict(zip(parts[0::2], parts[1::2])), open(sys.argv[1], "w"))
' "$file")
}

# --- TOTP and login ---------------------------------------------------------------------------

# ops_totp SECRET [STEP]: prints the RFC 6238 code (SHA-1, 6 digits, 30 s) of STEP (default: now).
# SECRET is raw base32, an otpauth:// URI or a fragment holding `secret=...`; it reaches python
# through standard input. Exit 2 when it is not valid base32.
ops_totp() {
  "$OPS_PYTHON" -c '
import base64, hashlib, hmac, struct, sys, time, urllib.parse
raw = sys.stdin.read().strip()
low = raw.lower()
if low.startswith("otpauth://"):
    raw = urllib.parse.parse_qs(urllib.parse.urlparse(raw).query).get("secret", [""])[0]
elif "secret=" in low:
    raw = urllib.parse.unquote(raw[low.index("secret=") + 7:].split("&", 1)[0])
s = "".join(raw.split()).replace("-", "").upper().rstrip("=")
try:
    key = base64.b32decode(s + "=" * (-len(s) % 8))
except Exception:
    sys.exit(2)
if not key:
    sys.exit(2)
step = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] else int(time.time() // 30)
h = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
o = h[-1] & 0x0F
print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1000000))
' "${2:-}" <<<"$1"
}

ops_now() { printf '%(%s)T' -1; }

# _ops_login_once SESSION EMAIL PASSWORD OTP: one POST /auth/login. Keeps the token on success.
_ops_login_once() {
  local session="$1"
  printf '%s\0%s\0%s\0' "$2" "$3" "$4" | (umask 077 && "$OPS_PYTHON" -c '
import sys, urllib.parse
email, password, otp = sys.stdin.buffer.read().decode("utf-8").split("\0")[:3]
fields = [("username", email), ("password", password)] + ([("otp", otp)] if otp else [])
open(sys.argv[1], "w").write(urllib.parse.urlencode(fields))
' "$OPS_TMP/login.form")
  api POST /auth/login "" "@$OPS_TMP/login.form" application/x-www-form-urlencoded
  rm -f "$OPS_TMP/login.form"
  if [ "$API_STATUS" = "200" ] && (umask 077 && "$OPS_PYTHON" -c '
import json, sys
try:
    t = json.load(open(sys.argv[1])).get("access_token")
except Exception:
    sys.exit(1)
if not isinstance(t, str) or not t.strip():
    sys.exit(1)
open(sys.argv[2], "w").write("Authorization: Bearer " + t.strip() + "\n")
' "$OPS_TMP/body" "$OPS_TMP/auth.$session"); then
    : >"$OPS_TMP/body"; API_BODY=""
    return 0
  fi
  LOGIN_DETAIL="$(ops_describe)"
  : >"$OPS_TMP/body"; API_BODY=""
  return 1
}

# ops_login SESSION EMAIL PASSWORD [OTP] [TOTP_SECRET]: logs in once and keeps the access token as
# SESSION for `api`. Succeeds only when an access_token came back; otherwise LOGIN_DETAIL says why
# (the server's message, never the credentials).
# With a TOTP secret the code is computed here. A code is accepted once per user: when the server
# answers "Invalid OTP" to a computed code (another job of the same user used this 30 s step), the
# login waits for the next step and tries once more.
ops_login() {
  local session="$1" email="$2" password="$3" otp="${4:-}" totp_secret="${5:-}"
  local step code attempt
  LOGIN_DETAIL=""
  if [ -n "$otp" ] || [ -z "$totp_secret" ]; then
    _ops_login_once "$session" "$email" "$password" "$otp" && return 0
    [ -n "$totp_secret" ] || return 1
    case "$LOGIN_DETAIL" in *"Invalid OTP"* | *"OTP required"*) ;; *) return 1 ;; esac
  fi
  for attempt in 1 2; do
    step=$(($(ops_now) / 30))
    if ! code="$(ops_totp "$totp_secret" "$step")"; then
      LOGIN_DETAIL="the TOTP secret is not base32, an otpauth:// URI or a secret= fragment"
      return 1
    fi
    _ops_login_once "$session" "$email" "$password" "$code" && return 0
    case "$LOGIN_DETAIL" in *"Invalid OTP"*) ;; *) return 1 ;; esac
    if [ "$attempt" -eq 1 ]; then
      info "$email: this 30 s code was already used; waiting for the next one"
      while [ $(($(ops_now) / 30)) -le "$step" ]; do sleep 1; done
    fi
  done
  return 1
}

# ops_use_token SESSION TOKEN: keeps a token given by the operator (TOKEN=...) as SESSION.
ops_use_token() {
  (umask 077 && printf 'Authorization: Bearer %s\n' "$2" >"$OPS_TMP/auth.$1")
}

# --- shared checks ----------------------------------------------------------------------------

# ops_healthz: the PASS/FAIL step every script starts with. Returns 1 when the server is down.
ops_healthz() {
  api GET /healthz
  if [ "$API_STATUS" = "200" ] && [ "$(jget 'd.get("status")' 2>/dev/null)" = "ok" ]; then
    pass "healthz"
    return 0
  fi
  fail "healthz unreachable or not ok: $(ops_describe)"
  return 1
}

# ops_preventive_verdict SNAPSHOT_FILE MIN_ERRORS: the preventive rule of the daily posture.
# Reads the dashboard summary's trends_7d (oldest first). Prints "ok <text>" or "alert <text>":
# alert when errors_total rose two days running and today's count reaches MIN_ERRORS; the text says
# "priority=high" when pretrade blocks happened in the last 24 hours.
ops_preventive_verdict() {
  "$OPS_PYTHON" - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
threshold = float(sys.argv[2])
trend = d.get("trends_7d") or []
errors = [int(x.get("errors_total") or 0) for x in trend]
blocked = int(((d.get("recent_events") or {}).get("pretrade_blocked_last_24h")) or 0)
if len(errors) < 3:
    print("ok trends_7d has %d day(s): not enough history for the preventive rule" % len(errors))
    sys.exit(0)
a, b, c = errors[-3:]
days = "%s=%d, %s=%d, %s=%d" % (trend[-3].get("day"), a, trend[-2].get("day"), b, trend[-1].get("day"), c)
if a < b < c and c >= threshold:
    priority = "high" if blocked > 0 else "normal"
    print("alert errors_total rose two days running (%s) and today's %d reaches PREVENTIVE_MIN_ERRORS=%g; priority=%s (pretrade_blocked_last_24h=%d)" % (days, c, threshold, priority, blocked))
else:
    print("ok errors_total %s; PREVENTIVE_MIN_ERRORS=%g; pretrade_blocked_last_24h=%d" % (days, threshold, blocked))
PY
}
