#!/usr/bin/env python3
"""Headless-browser check of the admin page GET /ops/dashboard.

Drives Chromium through selenium like an operator would: signs in with email, password and a TOTP
code, then compares what the page shows with what GET /ops/dashboard/summary answers for the same
filters. Environment: BASE_URL, EMAIL, PASSWORD, TOTP_SECRET (base32; empty when the account has
no 2FA), optional INCIDENT_URL (the expected "Open incident" link), EXPECT_REASON_EMAILS (comma-
separated emails the status banner must name), CHROMIUM_BIN, CHROMEDRIVER. The window is 1400x900:
the page must fit it without sideways scrolling, tables included.
Prints one `PASS | ...` or `FAIL | ...` line per step and `Summary: PASS=n FAIL=m`; exits 1 on any
failure. Never prints the password, the OTP, the TOTP secret or the token.
"""
import base64
import hashlib
import hmac
import json
import os
import shutil
import signal
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

TOKEN_KEY = "signaldesk.access_token"
WAIT = 20

BASE_URL = os.environ.get("BASE_URL", "").rstrip("/")
EMAIL = os.environ.get("EMAIL", "")
PASSWORD = os.environ.get("PASSWORD", "")
TOTP_SECRET = os.environ.get("TOTP_SECRET", "")
INCIDENT_URL = os.environ.get("INCIDENT_URL")
WINDOW_WIDTH = 1400

passed = 0
failed = 0


def ok(name):
    global passed
    passed += 1
    print(f"PASS | {name}", flush=True)


def bad(name, why=""):
    global failed
    failed += 1
    print(f"FAIL | {name}" + (f" ({why})" if why else ""), flush=True)


def check(name, condition, why=""):
    if condition:
        ok(name)
    else:
        bad(name, why)
    return bool(condition)


def totp(secret, at=None):
    """RFC 6238 code: HMAC-SHA1, 30 s steps, 6 digits."""
    cleaned = secret.replace(" ", "").upper()
    key = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


def api_summary(token, params):
    """GET /ops/dashboard/summary with the page's token; returns the decoded JSON."""
    url = f"{BASE_URL}/ops/dashboard/summary?{urllib.parse.urlencode(params)}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.load(response)


def make_driver():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={WINDOW_WIDTH},900", "--no-first-run", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--mute-audio"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver_path = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    return driver


def wait_until(driver, predicate, timeout=WAIT):
    """Explicit wait; returns the predicate's value, or None on timeout."""
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1,
                             ignored_exceptions=(WebDriverException,)).until(lambda d: predicate(d))
    except TimeoutException:
        return None


def table_first_cells(driver, table_id):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#' + arguments[0] + ' tbody tr:not(.empty)'))"
        ".map(function (r) { return r.cells[0].textContent.trim(); });", table_id)


def page_query(driver):
    """The summary query the page's filter controls stand for, built from the controls' state."""
    state = driver.execute_script(
        "return {email: document.getElementById('filter-email').value.trim(),"
        " exchange: document.getElementById('filter-exchange').value,"
        " real: document.getElementById('filter-real').checked,"
        " service: document.getElementById('filter-service').checked};")
    params = {"real_only": "true" if state["real"] else "false",
              "include_service_users": "true" if state["service"] else "false",
              "exchange": state["exchange"] or "ALL"}
    if state["email"]:
        params["email_contains"] = state["email"]
    return params


def horizontal_overflow(driver):
    """What scrolls sideways: the page (scrollWidth beyond the window) and each table container."""
    return driver.execute_script("""
        var out = {innerWidth: window.innerWidth, scrollWidth: document.scrollingElement.scrollWidth, tables: []};
        document.querySelectorAll('.table-scroll').forEach(function (box) {
          if (box.scrollWidth > box.clientWidth) {
            out.tables.push((box.querySelector('table') || {}).id + ' ' + box.scrollWidth + '>' + box.clientWidth);
          }
        });
        return out;""")


def fits_window(driver, name):
    """Checks that nothing scrolls sideways at the window's width (the tables have their rows)."""
    layout = horizontal_overflow(driver)
    return check(name, layout["innerWidth"] == WINDOW_WIDTH and layout["scrollWidth"] <= WINDOW_WIDTH and not layout["tables"],
                 str(layout))


def token_of(driver):
    return driver.execute_script("return sessionStorage.getItem(arguments[0]);", TOKEN_KEY)


def user_table_matches_api(driver, params, name):
    """Waits until the user table lists exactly the API's users for `params`, in order."""
    expected = [u.get("email") for u in api_summary(token_of(driver), params).get("users", [])]
    shown = wait_until(driver, lambda d: table_first_cells(d, "user-table") == expected)
    return check(name, shown is not None,
                 f"table shows {table_first_cells(driver, 'user-table')}, API answers {expected}") , expected


def login(driver, otp):
    driver.find_element(By.ID, "email").clear()
    driver.find_element(By.ID, "email").send_keys(EMAIL)
    driver.find_element(By.ID, "password").clear()
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "otp").clear()
    if otp:
        driver.find_element(By.ID, "otp").send_keys(otp)
    driver.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()

    def outcome(d):
        if d.find_element(By.ID, "status-banner").is_displayed() and \
                d.find_element(By.ID, "status-banner").get_attribute("data-status") in ("green", "yellow", "red"):
            return "dashboard"
        error = d.find_element(By.ID, "login-error")
        if error.is_displayed() and error.text.strip():
            return "error:" + error.text.strip()
        return False
    return wait_until(driver, outcome) or "timeout"


def run(driver):
    # --- the page and its sign-in form ---------------------------------------------------------
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
        window.__sdIntervals = [];
        (function () {
          var original = window.setInterval;
          window.setInterval = function (fn, ms) {
            window.__sdIntervals.push({ms: ms, fn: fn});
            return original.apply(window, arguments);
          };
        })();"""})
    driver.get(f"{BASE_URL}/ops/dashboard")
    form = wait_until(driver, lambda d: d.find_element(By.ID, "login-form").is_displayed())
    if not check("GET /ops/dashboard shows the login form", form):
        return
    fields_ok = all(driver.find_element(By.ID, i).is_displayed() for i in ("email", "password", "otp"))
    check("the login form has email, password and OTP fields", fields_ok)
    check("the password field is masked", driver.find_element(By.ID, "password").get_attribute("type") == "password")
    external = driver.execute_script("""
        var out = [];
        document.querySelectorAll('script[src], link[rel~=stylesheet], img[src], iframe, object, embed').forEach(function (n) {
          out.push(n.tagName + ' ' + (n.src || n.href || ''));
        });
        performance.getEntriesByType('resource').forEach(function (e) {
          if (new URL(e.name).origin !== location.origin) { out.push('loads ' + e.name); }
        });
        return out;""")
    check("the page is self-contained (no external scripts, styles, images or requests)", not external, "; ".join(external))

    # --- a wrong password shows the API's message ----------------------------------------------
    driver.find_element(By.ID, "email").send_keys(EMAIL)
    driver.find_element(By.ID, "password").send_keys("not-the-password-" + str(int(time.time())))
    driver.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()
    shown = wait_until(driver, lambda d: d.find_element(By.ID, "login-error").is_displayed() and d.find_element(By.ID, "login-error").text.strip())
    check("a wrong password shows the API's 401 detail", shown == "Incorrect email or password", f"shown: {shown!r}")
    check("...and stores no token", token_of(driver) is None)

    # --- sign in with email, password and OTP --------------------------------------------------
    result = login(driver, totp(TOTP_SECRET) if TOTP_SECRET else "")
    if result == "error:Invalid OTP" and TOTP_SECRET:
        # A code is accepted once per user: the current step may have been used just before us.
        step_left = 30 - (time.time() % 30) + 0.5
        print(f"INFO | the current TOTP step was already used; waiting {step_left:.0f} s for the next one", flush=True)
        time.sleep(step_left)
        result = login(driver, totp(TOTP_SECRET))
    if not check("signing in with email, password and OTP opens the dashboard", result == "dashboard",
                 result if result.startswith("error:") or result == "timeout" else ""):
        return

    token = token_of(driver)
    check("the access token is kept in sessionStorage", bool(token) and len(token) > 20)
    in_local = driver.execute_script(
        "var t = sessionStorage.getItem(arguments[0]); for (var i = 0; i < localStorage.length; i++) {"
        " if (localStorage.getItem(localStorage.key(i)) === t) return true; } return localStorage.length > 0;", TOKEN_KEY)
    check("...and not in localStorage (localStorage is empty)", not in_local)
    check("...nor in a cookie", token and token not in driver.execute_script("return document.cookie;"))
    check("the password and OTP fields are cleared after sign-in",
          driver.find_element(By.ID, "password").get_attribute("value") == "" and
          driver.find_element(By.ID, "otp").get_attribute("value") == "")

    try:
        api = api_summary(token, page_query(driver))
    except (urllib.error.URLError, ValueError) as error:
        bad("GET /ops/dashboard/summary answers with the page's token", type(error).__name__)
        return
    ok("GET /ops/dashboard/summary answers with the page's token")
    # The page may have loaded a moment before our call; wait for it to show the same numbers.

    # --- status banner -------------------------------------------------------------------------
    banner = driver.find_element(By.ID, "status-banner")
    status = banner.get_attribute("data-status")
    check("the status banner shows green, yellow or red", status in ("green", "yellow", "red") and banner.is_displayed(), status)
    check("...the API's overall_status", status == api.get("overall_status"), f"page {status}, API {api.get('overall_status')}")
    check("...colour-coded (class status-" + str(status) + ") and named in text",
          f"status-{status}" in (banner.get_attribute("class") or "") and status in banner.text.lower())
    check("...announced to screen readers (aria-live)", banner.get_attribute("aria-live") in ("polite", "assertive"))
    reasons = api.get("status_reasons")
    check("the API's status_reasons is a list, empty only when green",
          isinstance(reasons, list) and (not reasons) == (api.get("overall_status") == "green"), str(reasons)[:300])
    named = sorted({e for r in reasons or [] for e in r.get("emails", [])})
    expected_names = sorted(filter(None, os.environ.get("EXPECT_REASON_EMAILS", "").split(",")))
    if expected_names:
        check(f"...naming {', '.join(expected_names)}", named == expected_names, f"API names {named}")
    shown = wait_until(driver, lambda d: all(e in d.find_element(By.ID, "status-reasons").text for e in named), timeout=5)
    check(f"the banner names the users behind {status} ({len(named)} emails)", bool(named) == (status != "green") and shown,
          f"banner: {driver.find_element(By.ID, 'status-reasons').text[:300]!r}")
    codes = driver.execute_script(
        "return Array.from(document.querySelectorAll('#status-reasons [data-code]')).map(function (n) { return n.getAttribute('data-code'); });")
    check("...one line per reason, in the API's order", codes == [r.get("code") for r in reasons or []], str(codes))
    icon = driver.execute_script("""
        return fetch('/favicon.ico', {credentials: 'omit'}).then(function (r) {
          return {status: r.status, type: r.headers.get('Content-Type') || ''};
        }).catch(function (e) { return {status: 0, type: String(e)}; });""")
    check("/favicon.ico answers 200 with an image", icon["status"] == 200 and icon["type"].startswith("image/"), str(icon))

    # --- cards -----------------------------------------------------------------------------------
    for card_id, section in (("card-security", "security"), ("card-operations", "operations"), ("card-events", "recent_events")):
        values = api.get(section) or {}

        def card_state(d, card_id=card_id, values=values):
            cells = d.find_elements(By.CSS_SELECTOR, f"#{card_id} dd[data-field]")
            wrong = []
            for cell in cells:
                field = cell.get_attribute("data-field")
                expected = values.get(field)
                if isinstance(expected, bool):
                    continue
                if cell.text.strip() != str(expected):
                    wrong.append(f"{field}: page {cell.text.strip()!r}, API {expected!r}")
            numeric = [k for k, v in values.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
            shown = {c.get_attribute("data-field") for c in cells}
            missing = [k for k in numeric if k not in shown]
            return (wrong + [f"{k} not shown" for k in missing]) or True
        state = wait_until(driver, lambda d: card_state(d) is True, timeout=5)
        detail = "" if state else "; ".join(card_state(driver))
        check(f"the {section.replace('_', ' ')} card (#{card_id}) shows the API's numbers ({len(values)} fields)",
              driver.find_element(By.ID, card_id).is_displayed() and bool(values) and state, detail)

    # --- 7-day trend charts ----------------------------------------------------------------------
    trends = api.get("trends_7d") or []
    charts = driver.execute_script("""
        return Array.from(document.querySelectorAll('#trend-charts svg')).map(function (svg) {
          return {series: svg.getAttribute('data-series'), role: svg.getAttribute('role'),
                  label: svg.getAttribute('aria-label') || '', title: (svg.querySelector('title') || {}).textContent || '',
                  points: Array.from(svg.querySelectorAll('circle')).map(function (c) { return Number(c.getAttribute('data-value')); }),
                  width: svg.getBoundingClientRect().width};
        });""")
    check("the API's trends_7d has 7 days, oldest first",
          len(trends) == 7 and [t.get("day") for t in trends] == sorted(t.get("day") for t in trends))
    check("#trend-charts holds inline SVG charts", len(charts) >= 1 and all(c["width"] > 0 for c in charts), f"{len(charts)} charts")
    seven = [c for c in charts if len(c["points"]) == 7]
    check("...each with 7 data points", charts and len(seven) == len(charts), str([len(c["points"]) for c in charts]))
    for key in ("trades_total", "blocked_open_attempts_total", "errors_total"):
        chart = next((c for c in charts if c["series"] == key), None)
        expected = [t.get(key) for t in trends]
        check(f"...the {key} chart plots the API's values oldest first",
              chart is not None and chart["points"] == expected, f"page {chart and chart['points']}, API {expected}")
    check("...labelled for screen readers (role=img, aria-label, title)",
          charts and all(c["role"] == "img" and c["label"] and c["title"] for c in charts))

    # --- tables ----------------------------------------------------------------------------------
    profiles = [p.get("risk_profile") for p in api.get("profile_productivity") or []]
    check("the per-profile table lists the API's profile_productivity",
          wait_until(driver, lambda d: table_first_cells(d, "profile-table") == profiles, timeout=5) is not None,
          f"page {table_first_cells(driver, 'profile-table')}, API {profiles}")
    emails = [u.get("email") for u in api.get("users") or []]
    check("the user table lists the API's users", bool(emails) and
          wait_until(driver, lambda d: table_first_cells(d, "user-table") == emails, timeout=5) is not None,
          f"page {table_first_cells(driver, 'user-table')}, API {emails}")
    fits_window(driver, f"at {WINDOW_WIDTH} px wide nothing scrolls sideways (page and tables, default view)")
    structure = driver.execute_script("""
        return ['profile-table', 'user-table'].map(function (id) {
          var t = document.getElementById(id);
          return {caption: !!(t.caption && t.caption.textContent.trim()),
                  scoped: Array.from(t.tHead.rows[0].cells).every(function (c) { return c.tagName === 'TH' && c.getAttribute('scope') === 'col'; }),
                  scroller: getComputedStyle(t.parentElement).overflowX,
                  foreign: t.querySelectorAll('img, script, iframe, svg').length};
        });""")
    check("both tables have a caption and column headers with scope=col",
          all(s["caption"] and s["scoped"] for s in structure), str(structure))
    check("both tables scroll inside their own container", all(s["scroller"] in ("auto", "scroll") for s in structure))
    check("the tables hold only text from the API (no markup injected)", all(s["foreign"] == 0 for s in structure))
    unlabeled = driver.execute_script("""
        return Array.from(document.querySelectorAll('input, select, textarea')).filter(function (i) {
          return !(i.labels && i.labels.length && i.labels[0].textContent.trim()) && !i.getAttribute('aria-label');
        }).map(function (i) { return i.id || i.name; });""")
    check("every input and select has a label", not unlabeled, str(unlabeled))

    # --- filters re-query the summary ------------------------------------------------------------
    check("the filters default to real users only, all exchanges, no service users",
          page_query(driver) == {"real_only": "true", "include_service_users": "false", "exchange": "ALL"}, str(page_query(driver)))
    needle = os.environ.get("FILTER_EMAIL")
    if not needle:
        # Something that matches some but not all of the listed users: the local part of the last one.
        needle = emails[-1].split("@")[0] if len(emails) > 1 else (emails[0] if emails else "x")
    field = driver.find_element(By.ID, "filter-email")
    field.clear()
    field.send_keys(needle)
    matched, expected = user_table_matches_api(driver, page_query(driver), f"filter 'email contains {needle}': the user table matches the API's answer")
    check("...and the table changed (fewer rows than unfiltered)", matched and 0 < len(expected) < len(emails),
          f"{len(expected)} of {len(emails)} rows")
    check("...every row contains the text", all(needle.lower() in e.lower() for e in table_first_cells(driver, "user-table")))
    field.clear()
    field.send_keys(" ")  # an input event; the page trims it to "no filter"
    user_table_matches_api(driver, page_query(driver), "clearing the filter brings the rows back")

    Select(driver.find_element(By.ID, "filter-exchange")).select_by_value("BINANCE")
    _, binance = user_table_matches_api(driver, page_query(driver), "exchange BINANCE: the user table matches the API's answer")
    if os.environ.get("EXPECT_BINANCE_USERS"):
        check("...which lists the users with BINANCE credentials",
              sorted(binance) == sorted(os.environ["EXPECT_BINANCE_USERS"].split(",")), str(binance))
    Select(driver.find_element(By.ID, "filter-exchange")).select_by_value("ALL")
    driver.find_element(By.ID, "filter-real").click()
    _, everyone = user_table_matches_api(driver, page_query(driver), "unticking 'real users only': the user table matches the API's answer")
    check("...which lists at least as many users", len(everyone) >= len(emails), f"{len(everyone)} vs {len(emails)}")
    driver.find_element(By.ID, "filter-service").click()
    user_table_matches_api(driver, page_query(driver), "ticking 'include service users': the user table matches the API's answer")
    fits_window(driver, f"...and with every user listed nothing scrolls sideways at {WINDOW_WIDTH} px")
    driver.find_element(By.ID, "filter-service").click()
    driver.find_element(By.ID, "filter-real").click()
    user_table_matches_api(driver, page_query(driver), "back to the defaults: the user table matches the API's answer")

    # --- incident link ---------------------------------------------------------------------------
    link = driver.find_element(By.ID, "incident-link")
    want = INCIDENT_URL if INCIDENT_URL is not None else api.get("incident_url")
    check("the API's incident_url is the configured INCIDENT_URL", INCIDENT_URL is None or api.get("incident_url") == INCIDENT_URL,
          f"API {api.get('incident_url')!r}")
    if want:
        check(f"the 'Open incident' link points to {want}",
              link.is_displayed() and link.get_attribute("href") == want and "incident" in link.text.lower(),
              f"href {link.get_attribute('href')!r}, shown {link.is_displayed()}")
        check("...and opens safely in a new tab (rel noopener)", "noopener" in (link.get_attribute("rel") or ""))
    else:
        check("the 'Open incident' link is hidden when incident_url is null", not link.is_displayed())

    # --- auto-refresh ----------------------------------------------------------------------------
    count_js = ("return performance.getEntriesByType('resource').filter(function (e) {"
                " return e.name.indexOf('/ops/dashboard/summary') >= 0; }).length;")
    before = driver.execute_script(count_js)
    fired = driver.execute_script(
        "var t = (window.__sdIntervals || []).filter(function (i) { return i.ms === 60000; });"
        " if (t.length) { t[t.length - 1].fn(); } return t.length;")
    refreshed = wait_until(driver, lambda d: d.execute_script(count_js) > before, timeout=10)
    check("the page schedules a refresh every 60 s that re-queries the summary", fired >= 1 and refreshed,
          f"{fired} 60 s timers")

    # --- phone width -----------------------------------------------------------------------------
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True})
    layout = wait_until(driver, lambda d: (lambda m: m if m["innerWidth"] == 390 else False)(d.execute_script(
        "return {innerWidth: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,"
        " bodyWidth: document.body.scrollWidth};")), timeout=5)
    if layout is None:
        layout = driver.execute_script("return {innerWidth: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,"
                                       " bodyWidth: document.body.scrollWidth, timedOut: true};")
    check("at 390x844 (phone) the page has no horizontal scroll",
          not layout.get("timedOut") and layout["scrollWidth"] <= layout["innerWidth"] and layout["bodyWidth"] <= layout["innerWidth"],
          str(layout))
    visible = all(driver.find_element(By.ID, i).is_displayed() for i in ("status-banner", "card-security", "user-table", "filter-email"))
    check("...and the banner, cards, filters and user table are still shown", visible)
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    # --- console: no script errors or CSP violations ---------------------------------------------
    try:
        logs = driver.get_log("browser")
    except WebDriverException:
        logs = []
    problems = [e["message"] for e in logs if e.get("level") == "SEVERE"
                and "status of 401" not in e["message"] and "status of 403" not in e["message"]]
    check("no JavaScript errors or Content-Security-Policy violations in the console", not problems, "; ".join(problems)[:500])

    # --- an expired token goes back to the login form --------------------------------------------
    driver.execute_script("sessionStorage.setItem(arguments[0], 'expired.' + 'x'.repeat(120));", TOKEN_KEY)
    driver.find_element(By.ID, "filter-apply").click()
    back = wait_until(driver, lambda d: d.find_element(By.ID, "login-form").is_displayed() and not d.find_element(By.ID, "dashboard-view").is_displayed())
    check("a 401 from the summary (bad token) goes back to the login form", back)
    check("...and forgets the token", token_of(driver) is None)

    # --- reload keeps the session in the tab; logout clears it ------------------------------------
    driver.execute_script("sessionStorage.setItem(arguments[0], arguments[1]);", TOKEN_KEY, token)
    driver.refresh()
    again = wait_until(driver, lambda d: d.find_element(By.ID, "status-banner").get_attribute("data-status") in ("green", "yellow", "red"))
    check("reloading the tab keeps the session (sessionStorage)", again)
    driver.find_element(By.ID, "logout").click()
    out = wait_until(driver, lambda d: d.find_element(By.ID, "login-form").is_displayed())
    check("the logout button returns to the login form", out)
    check("...and clears sessionStorage", driver.execute_script("return sessionStorage.length;") == 0)


def main():
    missing = [n for n, v in (("BASE_URL", BASE_URL), ("EMAIL", EMAIL), ("PASSWORD", PASSWORD)) if not v]
    if missing:
        print(f"FAIL | missing environment: {', '.join(missing)}")
        print("Summary: PASS=0 FAIL=1")
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    driver = None
    try:
        driver = make_driver()
        run(driver)
    except Exception as error:  # a crash is a failed step, never a stack trace with page data
        bad("the browser check ran to the end", f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}")
    finally:
        if driver is not None:
            try:
                driver.quit()
            except WebDriverException:
                pass
    print(f"Summary: PASS={passed} FAIL={failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
