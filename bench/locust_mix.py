"""One step of bench/load.py: N locust users for S seconds against a loopback server.

Run by load.py in a process of its own (locust patches the standard library with gevent on
import, which the parent, holding gunicorn and Django, must not be); it prints nothing but
progress and writes what it measured to --out as JSON: every request's name, time and
result in the measured window, and the contacts logged.

    python bench/locust_mix.py --host http://127.0.0.1:PORT --sessions FILE --users 10 \
        --seconds 30 --out FILE

--sessions is the JSON load.py writes after signing the users in through the login page:
{"collectors": [[username, cookies], ...], "managers": [...]}. Each locust user takes the
next one of its kind (two locust users may share one person's session past 160 collectors).
"""

import locust  # noqa: F401, I001 - first: gevent patches the standard library on this import

import argparse
import itertools
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import gevent
from locust import HttpUser, SequentialTaskSet, between, events, task
from locust.env import Environment

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mix  # noqa: E402
from harness import require_loopback  # noqa: E402

SESSIONS: dict[str, itertools.cycle] = {}
SAMPLES: list = []  # [name, milliseconds, ok]
CONTACTS: Counter = Counter()
FAILURES: Counter = Counter()
MEASURING = False


def _record(request_type, name, response_time, response_length, exception=None, **_):
    if MEASURING:
        SAMPLES.append([name, response_time, exception is None])
        if exception is not None:
            FAILURES[f"{name}: {str(exception)[:160]}"] += 1


class Person(HttpUser):
    abstract = True
    kind = ""
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.username, cookies = next(SESSIONS[self.kind])
        self.client.cookies.update(cookies)
        # Not all at once: people do not click in step.
        gevent.sleep(random.uniform(0, 1.5))  # noqa: S311 - think time, not a secret


class CollectorRound(SequentialTaskSet):
    """List my cases, open one, open the attempt form, log a lawful contact, back on the case."""

    case = None

    @task
    def list_cases(self):
        with self.client.get("/cases/", name="case list", catch_response=True) as r:
            ids = mix.case_ids(r.text) if r.ok else []
            if r.ok and not ids:
                r.failure("no cases listed")
        self.ids = ids

    @task
    def open_case(self):
        if not self.ids:
            self.interrupt(reschedule=True)
        self.case = random.choice(self.ids)  # noqa: S311
        self.client.get(f"/cases/{self.case}/", name="case page")

    @task
    def log_contact(self):
        form_url = f"/cases/{self.case}/attempts/new/"
        with self.client.get(form_url, name="attempt form", catch_response=True) as r:
            try:
                kind, data = mix.attempt_post(r.text) if r.ok else (None, None)
            except ValueError as error:
                r.failure(str(error))
                kind = None
        if kind is None:
            return
        self.wait()  # filling the form in
        with self.client.post(
            form_url,
            data=data,
            name=f"log contact ({kind})",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            if r.status_code != 302:
                r.failure(f"not saved: HTTP {r.status_code}")
                return
        with self.client.get(
            f"/cases/{self.case}/", name="case page after saving", catch_response=True
        ) as r:
            outcome = mix.saved_as(r.text) if r.ok else None
            if MEASURING and outcome:
                CONTACTS[f"{kind} {outcome}"] += 1


class Collector(Person):
    weight = 4
    kind = "collectors"
    tasks = [CollectorRound]


class ManagerRound(SequentialTaskSet):
    @task
    def desk(self):
        with self.client.get("/", name="desk (manager)", catch_response=True) as r:
            self.leaderboard = mix.leaderboard_path(r.text) if r.ok else None
            if r.ok and not self.leaderboard:
                r.failure("no leaderboard link")

    @task
    def leaderboard(self):
        if self.leaderboard:
            self.client.get(self.leaderboard, name="leaderboard")


class Manager(Person):
    weight = 1
    kind = "managers"
    tasks = [ManagerRound]


def run(host: str, users: int, seconds: float) -> dict:
    global MEASURING
    env = Environment(user_classes=[Collector, Manager], host=host, events=events)
    env.events.request.add_listener(_record)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    deadline = time.monotonic() + 30
    while runner.user_count < users and time.monotonic() < deadline:
        gevent.sleep(0.05)
    gevent.sleep(1.5)  # every user has started (on_start staggers them by up to 1.5 s)
    MEASURING = True
    started = time.monotonic()
    gevent.sleep(seconds)
    MEASURING = False
    measured = time.monotonic() - started
    counts = runner.user_classes_count
    runner.quit()
    return {
        "users": users,
        "user_classes": counts,
        "seconds": measured,
        "samples": SAMPLES,
        "contacts": dict(CONTACTS),
        "failures": dict(FAILURES.most_common(20)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--sessions", required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    require_loopback(args.host)
    sessions = json.loads(Path(args.sessions).read_text())
    for kind in ("collectors", "managers"):
        if not sessions[kind]:
            raise SystemExit(f"no {kind} signed in")
        SESSIONS[kind] = itertools.cycle(sessions[kind])
    result = run(args.host.rstrip("/"), args.users, args.seconds)
    Path(args.out).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
