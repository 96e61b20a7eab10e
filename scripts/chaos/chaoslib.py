"""Helpers shared by the chaos scenarios: HTTP calls, psql queries, users with a webhook."""
import json, secrets, subprocess, time, urllib.error, urllib.parse, urllib.request


def call(method, url, body=None, token=None, form=False, timeout=10):
    """(status, JSON answer) of one request; {} when the answer has no JSON body."""
    headers, data = {}, None
    if form:
        data = urllib.parse.urlencode(body).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, {}


def query(psql, sql):
    """The text psql prints for one statement (psql is the command as a list)."""
    return subprocess.run(psql + ["-c", sql], check=True, capture_output=True, text=True).stdout.strip()


def user_with_webhook(register_base, webhook_base, email, before_webhook=None):
    """Registers and logs in a user, runs before_webhook(token) if given, rotates the webhook
    secret; returns (webhook uuid, webhook secret)."""
    password = secrets.token_urlsafe(18)
    # Registration and login hash with Bcrypt at the lowest scheduling priority (PasswordHashing):
    # on a machine busy with other work they wait for idle CPU, so they get a minute, not 10 s.
    status, _ = call("POST", f"{register_base}/auth/register", {"email": email, "password": password}, timeout=60)
    assert status in (200, 201), f"register {email}: {status}"
    status, login = call(
        "POST", f"{register_base}/auth/login", {"username": email, "password": password}, form=True, timeout=60)
    assert status == 200, f"login {email}: {status}"
    if before_webhook:
        before_webhook(login["access_token"])
    status, hook = call("POST", f"{webhook_base}/webhooks/secret", token=login["access_token"])
    assert status in (200, 201), f"webhook secret {email}: {status}"
    return hook["webhook_uuid"], hook["webhook_secret"]


def wait_settled(psql, alert_prefix, seconds):
    """Waits until no signal of these alerts is CREATED or EXECUTING; returns how many still are."""
    deadline = time.monotonic() + seconds
    while True:
        pending = int(query(psql, f"SELECT count(*) FROM signals WHERE alert_id LIKE 'id:{alert_prefix}%' "
                                  "AND status IN ('CREATED', 'EXECUTING')"))
        if pending == 0 or time.monotonic() > deadline:
            return pending
        time.sleep(0.5)
