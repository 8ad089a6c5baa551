"""Load test: 50 people at once against gunicorn, PostgreSQL and a Celery worker on 127.0.0.1 (issue 16, item 9).

    .venv/bin/python bench/load.py                  # 50 people for 2 minutes (the figures in bench/README.md)
    .venv/bin/python bench/load.py -u 10 -t 20s     # a smoke run

One command, on this machine only:
1. a fresh PostgreSQL database with a name of its own (bench_load_<time>_<pid>), migrated, the demo loaded;
2. the static files collected (kept in bench/results/static-<digest> for the next run while they do not change);
3. a Celery worker against Redis (database 11 by default, emptied before and after) and gunicorn as the image runs
   it (3 sync workers by default), both with the production settings;
4. locust (bench/locustfile.py) headless: `-u` people, `-r` new people a second, for `-t`, CSV and HTML reports;
5. everything stopped, also on Ctrl+C or an error, the database dropped, then the summary: per request name the
   requests, failures, median, p95, p99 and max at the client, over the whole run and from `--settle` seconds on
   (after the log-ins); the same per 10 s beside the CPU used by gunicorn, Celery, locust, PostgreSQL and the rest
   of the machine (someone else's work skews a run: compare runs with the machine to themselves); gunicorn's own
   time per route (its access log: no queueing in the backlog); the load average before and after; what the Celery
   worker ran.

Settings: `cluster_platform.settings.production` unchanged, in a wrapper written to a temporary directory that only
sets STATIC_ROOT (to the directory above, under the git-ignored bench/results/). Production expects a TLS
proxy in front of gunicorn; the locust clients play that proxy (X-Forwarded-Proto: https and X-Forwarded-For, see
bench/locustfile.py), so HTTPS redirects, secure cookies, HSTS, the CSRF origin check and the per-address log-in
limits all run as in production, over plain HTTP on 127.0.0.1. SITE_URL is an https address under the reserved
.invalid domain (only e-mails link to it; they go to the console backend, into the logs).

Results (CSV, HTML report, logs of every process) go to bench/results/load-<time>/ (git-ignored).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
GOAL_P95_MS = 500
# Keys a run of this script leaves in its Redis database (Celery's queue and results, the cache's log-in counts).
OUR_REDIS_KEYS = re.compile(r"^(_kombu\.|celery|unacked|:1:)")


def free_port(first: int) -> int:
    for port in range(first, first + 100):
        with socket.socket() as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port on {HOST} from {first} to {first + 99}")


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def busiest(limit: int = 6) -> str:
    """The processes using the most CPU right now (is someone else's work running beside the test?)."""
    out = subprocess.run(
        ["ps", "-eo", "pid,pcpu,etime,args", "--sort=-pcpu"], capture_output=True, text=True
    ).stdout.splitlines()
    return "\n".join(line[:160] for line in out[: limit + 1])


def cpu_seconds(groups: dict[str, int]) -> dict[str, float]:
    """CPU time so far (s) of this run's process groups (label → group id), of PostgreSQL's processes, and of the
    whole machine ("busy"). A process counts with its children that have ended (PostgreSQL's backends)."""
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    children = os.times()
    # locust, once it has ended, counts in this process's children (the set-up steps too: compare two readings).
    seconds = {
        "busy": (user + nice + system + irq + softirq + steal) / tick,
        "locust": children.children_user + children.children_system,
    }
    labels = {group: label for label, group in groups.items()}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        rest = text[text.rindex(")") + 2 :].split()
        used = sum(int(x) for x in rest[11:15]) / tick  # utime, stime, cutime, cstime
        label = labels.get(int(rest[2])) or ("postgres" if name == "postgres" else None)
        if label:
            seconds[label] = seconds.get(label, 0.0) + used
    return seconds


CPU_PARTS = ("busy", "gunicorn", "celery", "locust", "postgres")


def cpu_timeline(out: Path, requests: list[tuple[float, str, str, float, int]]) -> list[str]:
    """Per 10 s of the run: requests, their median and p95 at the client, and the CPU of each part (in cores)."""
    path = out / "cpu.tsv"
    if not path.exists():
        return []
    readings = [[float(x) for x in line.split("\t")] for line in path.read_text().splitlines()[1:] if line.strip()]
    if len(readings) < 2:
        return []
    first = min(r[0] for r in requests)
    lines = [
        "",
        "Per 10 s: requests, client median / p95 (ms), and cores in use (2 in all) by gunicorn, Celery, locust, "
        "PostgreSQL (every database) and the rest of the machine",
        f"{'seconds':>9} {'requests':>8} {'median':>7} {'p95':>6} {'gunicorn':>8} {'celery':>6} {'locust':>6} "
        f"{'postgres':>8} {'others':>6}",
    ]
    end = max(r[0] for r in requests)
    for start in range(0, int(end - first) + 1, 10):
        window = [ms for s, _k, _n, ms, _f in requests if start <= s - first < start + 10]
        a = [r for r in readings if r[0] <= first + start]
        b = [r for r in readings if r[0] >= first + start + 10]
        if not window or not a or not b:
            continue
        low, high = a[-1], b[0]
        span = high[0] - low[0]
        use = {part: (high[i + 1] - low[i + 1]) / span for i, part in enumerate(CPU_PARTS)}
        others = use["busy"] - sum(use[p] for p in CPU_PARTS[1:])
        lines.append(
            f"{start:>4}–{start + 10:<4} {len(window):>8} {statistics.median(window):>7.0f} "
            f"{percentile(window, 0.95):>6.0f} "
            f"{use['gunicorn']:>8.2f} {use['celery']:>6.2f} {use['locust']:>6.2f} {use['postgres']:>8.2f} "
            f"{max(0.0, others):>6.2f}"
        )
    return lines


def cpu_report(before: dict[str, float], after: dict[str, float], wall: float) -> str:
    spent = {label: after.get(label, 0.0) - before.get(label, 0.0) for label in after}
    ours = sum(v for k, v in spent.items() if k != "busy")
    parts = [f"{label} {spent[label]:.0f}" for label in ("gunicorn", "celery", "locust", "postgres") if label in spent]
    cores = os.cpu_count() or 1
    return (
        f"CPU seconds while locust ran ({wall:.0f} s × {cores} cores = {wall * cores:.0f} available): "
        f"{', '.join(parts)}; everything else on the machine {max(0.0, spent['busy'] - ours):.0f}; "
        f"busy {spent['busy']:.0f} ({100 * spent['busy'] / (wall * cores):.0f} %)"
    )


# --- PostgreSQL and Redis ----------------------------------------------------------------------------------


def admin_connection():
    import psycopg2

    connection = psycopg2.connect(dbname="postgres", user="postgres", host=HOST, port=5432)
    connection.autocommit = True
    return connection


def database_command(statement: str) -> None:
    """CREATE or DROP DATABASE: outside a transaction (psycopg2's `with connection` would open one)."""
    connection = admin_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


def empty_redis(db: int) -> None:
    """Empty the run's Redis database, refusing when it holds keys that are not a run's of this script."""
    import redis

    client = redis.Redis(host=HOST, port=6379, db=db)
    foreign = [key for key in client.scan_iter(count=1000) if not OUR_REDIS_KEYS.match(key.decode("utf-8", "replace"))]
    if foreign:
        raise SystemExit(f"Redis database {db} holds keys of something else ({foreign[:3]}): choose another --redis-db")
    client.flushdb()


# --- The plan the locustfile reads ---------------------------------------------------------------------------


def write_plan(path: str) -> None:
    """Run inside the test's settings: the demo cluster's accounts by role, and for the accountants one account per
    enterprise whose open month it may still edit (draft, returned or not started), one enterprise per account."""
    import django

    django.setup()
    from django.utils import timezone

    from governance.choices import EnterpriseStatus, Role
    from governance.models import Cluster, ClusterRole
    from kpi.choices import ENTERPRISE_EDITABLE, PeriodStatus
    from kpi.models import ReportingPeriod, Submission

    cluster = Cluster.objects.order_by("pk").first()
    assert cluster is not None, "no cluster: was the demo loaded?"
    now = timezone.now()
    open_periods = [p for p in ReportingPeriod.objects.filter(cluster=cluster) if p.status_at(now) == PeriodStatus.OPEN]
    period = max(open_periods, key=lambda p: p.month)
    roles = list(
        ClusterRole.objects.filter(cluster=cluster, is_active=True, user__is_active=True)
        .select_related("user")
        .prefetch_related("enterprises")
        .order_by("user__username")
    )
    office = sorted({r.user.username for r in roles if r.role == Role.OFFICE})
    council = sorted({r.user.username for r in roles if r.role == Role.COUNCIL} - set(office))
    statuses = dict(Submission.objects.filter(period=period).values_list("enterprise_id", "status"))
    taken: set[int] = set()
    accountants = []
    for role in roles:
        if role.role != Role.ENTERPRISE or role.user.username in {a["username"] for a in accountants}:
            continue
        for enterprise in sorted(role.enterprises.all(), key=lambda e: e.pk):
            editable = statuses.get(enterprise.pk, ENTERPRISE_EDITABLE[0]) in ENTERPRISE_EDITABLE
            if enterprise.status == EnterpriseStatus.ACTIVE and editable and enterprise.pk not in taken:
                taken.add(enterprise.pk)
                accountants.append(
                    {"username": role.user.username, "taxpayer_id": enterprise.taxpayer_id, "month": period.key}
                )
                break
    plan = {"office": office, "council": council, "accountants": accountants, "erp": office, "erp_slices": 3}
    Path(path).write_text(json.dumps(plan, indent=1), encoding="utf-8")


def static_key() -> str:
    """Run inside the test's settings: a digest of every static file the finders collect (path, size, time)."""
    import hashlib

    import django

    django.setup()
    from django.contrib.staticfiles import finders

    digest = hashlib.sha256()
    entries = []
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            entries.append(f"{path}\t{stat.st_size}\t{stat.st_mtime_ns}")
    for entry in sorted(entries):
        digest.update(entry.encode() + b"\n")
    return digest.hexdigest()[:16]


# --- Processes -----------------------------------------------------------------------------------------------


class Processes:
    """The servers this run started, stopped in reverse order: each in a session of its own, so that Ctrl+C reaches
    this script only and the servers are stopped here, by their process group."""

    def __init__(self):
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, label: str, command: list[str], env: dict, log: Path) -> subprocess.Popen:
        with open(log, "ab") as output:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.started.append((label, process))
        return process

    def stop_all(self) -> None:
        for label, process in reversed(self.started):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    print(f"{label} did not stop in 30 s: killed")
                    try:
                        os.killpg(process.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    process.wait(timeout=10)
            # The group may outlive its leader (a worker process whose master died first).
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.started.clear()


def run_step(command: list[str], env: dict, log: Path, label: str) -> None:
    started = time.perf_counter()
    with open(log, "ab") as output:
        result = subprocess.run(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    if result.returncode:
        raise SystemExit(f"{label} failed (exit {result.returncode}): see {log}")
    print(f"  {label}: {time.perf_counter() - started:.1f} s")


def wait_for_log(log: Path, marker: str, process: subprocess.Popen, seconds: float, label: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{label} exited (code {process.returncode}): see {log}")
        if marker in log.read_text(errors="replace"):
            return
        time.sleep(0.3)
    raise SystemExit(f"{label} not ready after {seconds:.0f} s: see {log}")


def warm_up(base: str, workers: int) -> None:
    """Every gunicorn worker imports the views, templates and catalogues on its first requests: a server in
    production has done so long before. Log in once (the demo's viewer, who is not among the simulated people) and
    open the main pages a few times each, outside the measurement."""
    import requests

    session = requests.Session()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.15.0.1"}
    for _ in range(100):
        try:
            page = session.get(f"{base}/accounts/login/", headers=headers, timeout=5)
            break
        except requests.ConnectionError:
            time.sleep(0.2)
    else:
        raise SystemExit("gunicorn does not answer")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the log-in page"
    # requests sends secure cookies over https only: the proxy's hop is http, as in the locustfile.
    for cookie in session.cookies:
        cookie.secure = False
    origin = "https://" + base.split("://", 1)[1]
    answer = session.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token.group(1), "username": "viewer", "password": "demo12345"},
        headers={**headers, "Origin": origin, "Referer": origin + "/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, f"warm-up log-in refused: {answer.status_code}"
    for cookie in session.cookies:
        cookie.secure = False
    for _ in range(2 * workers):
        for path in ("/", "/data/kpis/", "/data/kpis/DEFECT/", "/incentives/", "/roadmap/", "/roadmap/phases/2/"):
            session.get(base + path, headers=headers, timeout=30)


# --- Reading the results -------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


ROUTE_RULES = [
    (re.compile(r"^/static/.*"), "/static/[asset]"),
    (re.compile(r"/\d{4}-\d{2}\.pdf$"), "/[month].pdf"),
    (re.compile(r"/\d{4}-\d{2}/"), "/[month]/"),
    (re.compile(r"/\d+/"), "/[id]/"),
    (re.compile(r"^/data/kpis/[A-Z][A-Z0-9_]*/$"), "/data/kpis/[code]/"),
]


def route(path: str) -> str:
    for pattern, replacement in ROUTE_RULES:
        path = pattern.sub(replacement, path)
    return path


def server_times(log: Path) -> dict[str, list[float]]:
    """gunicorn's time per request (ms) by route, from the access log ("%(m)s %(U)s %(s)s %(D)s")."""
    times: dict[str, list[float]] = {}
    for line in log.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) != 4 or not parts[3].isdigit():
            continue
        method, path, _status, micros = parts
        name = route(path) + (" (POST)" if method == "POST" else "")
        times.setdefault(name, []).append(int(micros) / 1000)
    return times


def request_table(requests: list[tuple[float, str, str, float, int]], settled: float) -> list[str]:
    """Per request name: requests, failures, median, p95, p99, max over the whole run, and p95 from `settled` on."""
    by_name: dict[str, list[tuple[float, float, int]]] = {}
    for start, kind, name, ms, failed in requests:
        label = name if kind in ("GET", "CHECK") or "(" in name else f"{name} ({kind})"
        by_name.setdefault(label, []).append((start, ms, failed))
    by_name["TOTAL"] = [(start, ms, failed) for start, _kind, _name, ms, failed in requests]
    head = f"{'request (locust name)':<44} {'requests':>8} {'fails':>5} {'median':>7} {'p95':>7} {'p99':>7} {'max':>7}"
    lines = [head + f" {'p95 later':>9}"]
    for label, rows in sorted(by_name.items(), key=lambda item: (item[0] == "TOTAL", item[0])):
        times = [ms for _s, ms, _f in rows]
        later = [ms for s, ms, _f in rows if s >= settled]
        p95 = percentile(times, 0.95)
        lines.append(
            f"{label[:44]:<44} {len(rows):>8} {sum(f for _s, _ms, f in rows):>5} {statistics.median(times):>7.0f} "
            f"{p95:>7.0f} {percentile(times, 0.99):>7.0f} {max(times):>7.0f} "
            f"{(f'{percentile(later, 0.95):.0f}' if later else '-'):>9}"
            + ("  <- p95 over the goal" if p95 > GOAL_P95_MS else "")
        )
    return lines


def summary(out: Path) -> str:
    """The tables of a run's results directory (run.json, requests.tsv, the locust CSVs, the logs)."""
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    requests = []
    for line in (out / "requests.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        start, kind, name, ms, failed = line.split("\t")
        requests.append((float(start), kind, name, float(ms), int(failed)))
    first = min(r[0] for r in requests)
    last = max(r[0] for r in requests)
    settled = first + run["settle"]
    total = requests
    lines = [
        f"Load test of {run['date']}: {run['users']} people (+{run['spawn_rate']:g}/s) for {run['run_time']}, "
        f"think time {run['think']} s, gunicorn {run['workers']} workers × {run.get('threads', 1)} threads, "
        "Celery 2 processes, "
        f"{os.cpu_count()} cores ({run['seconds']} s with the set-up)",
        f"load before the set-up: {run.get('at_start', '')}",
        f"load before locust:     {run['before']}",
        f"load after locust:      {run['after']}",
        run["cpu"],
        "",
        f"Times in ms at the client (queueing included); 'p95 later': requests from {run['settle']:g} s on, after "
        "the log-ins",
        *request_table(total, settled),
        f"{len(total)} requests, {len(total) / max(1.0, last - first):.1f} a second; goal: no failures, p95 under "
        f"{GOAL_P95_MS} ms",
    ]
    lines += cpu_timeline(out, requests)
    failures = list(csv.DictReader(open(out / "locust_failures.csv", encoding="utf-8")))
    if failures:
        lines += ["", "failures:"]
        lines += [f"  {f['Occurrences']:>5} × {f['Method']} {f['Name']}: {f['Error'][:150]}" for f in failures]
    exceptions_file = out / "locust_exceptions.csv"
    exceptions = list(csv.DictReader(open(exceptions_file, encoding="utf-8"))) if exceptions_file.exists() else []
    if exceptions:
        lines += ["", "errors in the simulated people (a person that failed to start stops):"]
        lines += [f"  {e['Count']:>5} × {e['Message'][:150]}" for e in exceptions]
    times = server_times(out / "access.log")
    every = [t for ts in times.values() for t in ts]
    if every:
        lines += [
            "",
            f"gunicorn's own time (request read to response written, no client queueing), {len(every)} requests: "
            f"median {statistics.median(every):.0f} ms, p95 {percentile(every, 0.95):.0f} ms, "
            f"p99 {percentile(every, 0.99):.0f} ms",
            f"{'route (server)':<44} {'requests':>8} {'median':>7} {'p95':>7} {'max':>7}",
        ]
        for name, ts in sorted(times.items(), key=lambda item: -percentile(item[1], 0.95)):
            lines.append(
                f"{name[:44]:<44} {len(ts):>8} {statistics.median(ts):>7.0f} {percentile(ts, 0.95):>7.0f} "
                f"{max(ts):>7.0f}"
            )
    celery_log = (out / "celery.log").read_text(errors="replace")
    tasks = re.findall(r"Task (\S+)\[[^\]]+\] succeeded in ([0-9.]+)s", celery_log)
    failed = len(re.findall(r"Task \S+\[[^\]]+\] raised", celery_log))
    if tasks or failed:
        durations = [float(d) for _name, d in tasks]
        names = sorted({name.rsplit(".", 1)[-1] for name, _d in tasks})
        lines += [
            "",
            f"Celery: {len(tasks)} tasks succeeded ({', '.join(names)}), {failed} failed"
            + (f"; median {statistics.median(durations):.2f} s, longest {max(durations):.2f} s" if durations else ""),
        ]
    return "\n".join(lines)


# --- The run -------------------------------------------------------------------------------------------------


def collect_static(env: dict, log: Path) -> Path:
    """The collected static files, kept between runs in bench/results/static-<digest of the sources>: WhiteNoise
    compresses every file again on each collectstatic (Brotli and gzip, the Plotly bundle too), a minute or two
    on this machine. A change to any static file makes a new directory (and the old ones are removed)."""
    python = str(BIN / "python")
    key = subprocess.run(
        [python, str(Path(__file__).resolve()), "--static-key"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if key.returncode:
        raise SystemExit(f"static files: {key.stderr[-2000:]}")
    root = ROOT / "bench" / "results" / f"static-{key.stdout.strip()}"
    if (root / "staticfiles.json").exists():
        print(f"  collectstatic: kept from an earlier run ({root.name})")
        return root
    for old in root.parent.glob("static-*"):
        shutil.rmtree(old, ignore_errors=True)
    run_step([python, "manage.py", "collectstatic", "--noinput"], {**env, "BENCH_STATIC_ROOT": str(root)}, log,
             "collectstatic")  # fmt: skip
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-u", "--users", type=int, default=50, help="people at once (default 50)")
    parser.add_argument(
        "-r", "--spawn-rate", type=float, default=5, help="people started a second (default 5: all 50 within 10 s)"
    )
    parser.add_argument("-t", "--run-time", default="2m", help="how long, as locust reads it: 20s, 2m (default 2m)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3, as the image)")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per gunicorn worker (1: sync workers; more: gthread)"
    )
    parser.add_argument("--port", type=int, default=18431, help="first port tried on 127.0.0.1 (default 18431)")
    parser.add_argument("--redis-db", type=int, default=11, help="Redis database of the run (default 11; emptied)")
    parser.add_argument("--think", default="1,5", help="seconds between a person's clicks, low,high (default 1,5)")
    parser.add_argument(
        "--settle", type=float, default=30, help="seconds after the first request from which 'p95 later' counts"
    )
    parser.add_argument("--out", type=Path, help="results directory (default bench/results/load-<time>)")
    parser.add_argument("--keep-db", action="store_true", help="leave the database (its name is printed)")
    parser.add_argument(
        "--serve", action="store_true", help="set up and serve without locust, until Ctrl+C (to profile by hand)"
    )
    parser.add_argument("--write-plan", help=argparse.SUPPRESS)
    parser.add_argument("--static-key", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--summary", type=Path, metavar="DIR", help="print the tables of an earlier run's results")
    args = parser.parse_args()
    if args.write_plan:
        write_plan(args.write_plan)
        return
    if args.static_key:
        print(static_key())
        return
    if args.summary:
        print(summary(args.summary))
        return

    stamp = time.strftime("%Y%m%d-%H%M%S")
    database = f"bench_load_{stamp.replace('-', '_')}_{os.getpid()}"
    out = args.out or ROOT / "bench" / "results" / f"load-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix="bench-load-"))
    (temporary / "bench_load_settings.py").write_text(
        "import os\n\n"
        "from cluster_platform.settings.production import *  # noqa: F403\n\n"
        "STATIC_ROOT = os.environ.get('BENCH_STATIC_ROOT', '')\n",
        encoding="utf-8",
    )
    port = free_port(args.port)
    base = f"http://{HOST}:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(temporary), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "bench_load_settings",
        "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{database}",
        "REDIS_URL": f"redis://{HOST}:6379/{args.redis_db}",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "SITE_URL": "https://cluster.bench.invalid",
        "DEBUG": "false",
        "TRUSTED_PROXIES": "1",
        "PYTHONUNBUFFERED": "1",
        "BENCH_PLAN": str(out / "plan.json"),
        "BENCH_THINK": args.think,
        "BENCH_REQUESTS": str(out / "requests.tsv"),
    }
    for name in ("LOGIN_RATE_ACCOUNT", "LOGIN_RATE_ADDRESS", "SECURE_SSL_REDIRECT", "EMAIL_BACKEND", "LOG_LEVEL"):
        env.pop(name, None)  # the production defaults, whatever this shell sets

    def interrupted(_signum, _frame):
        raise KeyboardInterrupt

    # Both, explicitly: a shell starts a background job with SIGINT ignored, and Python then leaves it ignored.
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    processes = Processes()
    created = False
    locust = None
    before = after = cpu = ""
    at_start = uptime()
    started = time.perf_counter()
    print(f"results in {out}")
    try:
        empty_redis(args.redis_db)
        database_command(f'CREATE DATABASE "{database}"')
        created = True
        print(f"database {database} on {HOST}:5432, server {base}")
        setup_log = out / "setup.log"
        python = str(BIN / "python")
        run_step([python, "manage.py", "migrate", "--noinput"], env, setup_log, "migrate")
        run_step([python, "manage.py", "load_demo"], env, setup_log, "load_demo")
        env["BENCH_STATIC_ROOT"] = str(collect_static(env, setup_log))
        run_step([python, str(Path(__file__).resolve()), "--write-plan", env["BENCH_PLAN"]], env, setup_log, "plan")
        plan = json.loads(Path(env["BENCH_PLAN"]).read_text(encoding="utf-8"))
        print(
            f"  plan: office {plan['office']}, council {len(plan['council'])} accounts, "
            f"{len(plan['accountants'])} editable forms of {plan['accountants'][0]['month']}"
        )

        celery_log = out / "celery.log"
        worker = processes.start(
            "celery",
            [str(BIN / "celery"), "-A", "cluster_platform", "worker", "--loglevel", "INFO", "--concurrency", "2",
             "-n", f"bench-load-{os.getpid()}@%h"],
            env,
            celery_log,
        )  # fmt: skip
        access_log = out / "access.log"
        server = processes.start(
            "gunicorn",
            [str(BIN / "gunicorn"), "cluster_platform.wsgi:application", "--bind", f"{HOST}:{port}",
             "--workers", str(args.workers), "--threads", str(args.threads), "--access-logfile", str(access_log),
             "--access-logformat", "%(m)s %(U)s %(s)s %(D)s"],
            env,
            out / "gunicorn.log",
        )  # fmt: skip
        wait_for_log(celery_log, " ready.", worker, 60, "celery worker")
        warm_up(base, args.workers)
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited: see {out / 'gunicorn.log'}")
        access_log.write_text("")  # the warm-up is not measured
        if args.serve:
            print(f"serving {base} (send X-Forwarded-Proto: https; demo passwords demo12345); Ctrl+C stops")
            while server.poll() is None:
                time.sleep(1)
            raise SystemExit("gunicorn exited")

        (out / "machine-before.txt").write_text(uptime() + "\n\n" + busiest() + "\n", encoding="utf-8")
        before = uptime()
        print(f"  load before: {before}")
        print(f"locust: {args.users} people (+{args.spawn_rate:g}/s) for {args.run_time} against {base} ...")
        groups = {label: process.pid for label, process in processes.started}
        cpu_before, wall_before = cpu_seconds(groups), time.monotonic()
        with open(out / "locust.log", "ab") as output:
            locust = subprocess.Popen(
                [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                 "-u", str(args.users), "-r", str(args.spawn_rate), "-t", args.run_time, "--host", base,
                 "--csv", str(out / "locust"), "--html", str(out / "report.html"), "--only-summary",
                 "--stop-timeout", "15"],
                cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            # The CPU of each part every 5 s, to read the times against (is someone else's work running too?).
            watched = {**groups, "locust": locust.pid}
            with open(out / "cpu.tsv", "w", encoding="utf-8") as timeline:
                timeline.write("time\t" + "\t".join(CPU_PARTS) + "\n")
                while locust.poll() is None:
                    reading = cpu_seconds(watched)
                    timeline.write(f"{time.time():.1f}\t" + "\t".join(f"{reading.get(k, 0):.2f}" for k in CPU_PARTS))
                    timeline.write("\n")
                    timeline.flush()
                    try:
                        locust.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        pass
        after = uptime()
        cpu = cpu_report(cpu_before, cpu_seconds(groups), time.monotonic() - wall_before)
        (out / "machine-after.txt").write_text(after + "\n\n" + busiest() + "\n", encoding="utf-8")
    except KeyboardInterrupt:
        print("\ninterrupted: stopping")
        after = uptime()
        if locust is not None and locust.poll() is None:
            os.killpg(locust.pid, signal.SIGINT)  # locust writes its reports on the way out
            try:
                locust.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
    finally:
        if locust is not None and locust.poll() is None:
            os.killpg(locust.pid, signal.SIGKILL)
            locust.wait()
        processes.stop_all()
        if created and not args.keep_db:
            database_command(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        elif created:
            print(f"database kept: {database}")
        try:
            empty_redis(args.redis_db)
        except SystemExit as refusal:
            print(refusal)
        shutil.rmtree(temporary, ignore_errors=True)

    if args.serve:
        return
    if not (out / "requests.tsv").exists():
        raise SystemExit(f"no results: see {out / 'locust.log'}")
    run = {
        "users": args.users,
        "spawn_rate": args.spawn_rate,
        "run_time": args.run_time,
        "think": args.think,
        "workers": args.workers,
        "threads": args.threads,
        "settle": args.settle,
        "at_start": at_start,
        "before": before,
        "after": after,
        "cpu": cpu,
        "seconds": round(time.perf_counter() - started),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    (out / "run.json").write_text(json.dumps(run, indent=1), encoding="utf-8")
    text = summary(out)
    (out / "summary.txt").write_text(text + "\n", encoding="utf-8")
    print()
    print(text)


if __name__ == "__main__":
    main()
