"""`world` built once and shared by the tests that read it, instead of once per test.

How it works (tests/conftest.py wires it in):

* Before the first non-transactional test that uses `world`, the world is built inside a
  transaction that stays open (`SharedWorld.open`). Each test's own transaction is then a
  savepoint inside it, rolled back after the test as before, so every test starts from the
  same rows. Before a test that does not use `world` (or a transactional one: browser,
  Celery worker, concurrency tests) that transaction is rolled back, so those tests find the
  database exactly as they did when each test built its own world.
* The world is built on a stopped clock, at the moment B it was built. A test gets it as if
  built on *its* clock N (frozen by time_machine or not): `Built.rebase` moves every
  date/time of the world's rows that lies within a few years of B by N - B (dates: by the
  difference of the local days), inside the test's transaction. Nothing in the world is
  dated near B except what was made from "now"/"today" (campaign dates, created_at,
  history dates, date_joined), so this is what a build at N would have written.
* If a test closes the connection inside its transaction, the database rolls the world
  back with it; that is noticed before the next test, which builds it again.
* `Built.load` gives each test new instances loaded by primary key, with the same related
  objects already attached as a fresh build leaves on them (case_a.household is house_a),
  so tests may change them freely.

ARREARS_CHECK_SHARED_WORLD=1 runs the suite the old way (a fresh world for every test) and
also builds the shared one in a savepoint on every test's clock, failing the test if the
two differ in any row, field or attached object: `pytest` with it set proves the shortcut
for every test there is. tests/test_shared_world.py checks it on a few clocks every run.
"""

import datetime
import time
from collections import defaultdict
from types import SimpleNamespace

import time_machine
from django.apps import apps
from django.db import connection, models, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

# Dates this close to the build's moment were made from "now"; the world's fixed dates
# (arrears months of 2014-2015) are far from any moment the suite runs at.
NEAR = datetime.timedelta(days=5 * 365)


def real_now() -> datetime.datetime:
    """The machine's clock, whatever time_machine pretends."""
    hatch = time_machine.escape_hatch
    seconds = hatch.time.time() if hatch.is_travelling() else time.time()
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC).replace(microsecond=0)


def clock_is_frozen() -> bool:
    stack = getattr(time_machine, "traveller_stack", [])
    return bool(stack) and not getattr(stack[-1], "_tick", True)


def _tables():
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    ]


def all_pks() -> dict:
    return {m: set(m._base_manager.values_list("pk", flat=True)) for m in _tables()}


def _key(obj) -> tuple[str, object]:
    return (obj._meta.label, obj.pk)


def _instances(value) -> list:
    if isinstance(value, models.Model):
        return [value]
    if isinstance(value, dict):
        return [v for v in value.values() if isinstance(v, models.Model)]
    return []


class Built:
    """A world's rows (per model, the new primary keys), its namespace and related-object
    caches (by primary key), and what rebasing it to another clock must move."""

    def __init__(self, world: SimpleNamespace, before: dict, at: datetime.datetime):
        self.at = at
        self.day = timezone.localdate(at)
        after = all_pks()
        self.rows = {}
        for model, pks in after.items():
            new = pks - before.get(model, set())
            if new:
                self.rows[model] = sorted(new)
        self.attrs = {}
        for name, value in vars(world).items():
            if isinstance(value, models.Model):
                self.attrs[name] = ("obj", _key(value))
            elif isinstance(value, dict) and value and len(_instances(value)) == len(value):
                self.attrs[name] = ("dict", {k: _key(v) for k, v in value.items()})
            else:
                self.attrs[name] = ("value", value)
        # Which related objects each instance carries (as a fresh build leaves them).
        self.caches = {}
        stack = [obj for value in vars(world).values() for obj in _instances(value)]
        while stack:
            obj = stack.pop()
            if _key(obj) in self.caches:
                continue
            cached = {}
            for name, related in obj._state.fields_cache.items():
                if related is None:
                    cached[name] = None
                elif isinstance(related, models.Model):
                    cached[name] = _key(related)
                    stack.append(related)
            self.caches[_key(obj)] = cached
        self.originals = self._originals(
            {_key(obj): obj for value in vars(world).values() for obj in _instances(value)}
        )
        self.moves = self._moves()

    def _originals(self, built: dict) -> dict:
        """Field values a built instance holds in another form than the database gives back
        (Case.Status.OPEN rather than "open", Decimal("100") rather than Decimal("100.00")):
        the loaded instances get the built ones, as a fresh world would have them."""
        reachable = defaultdict(set)
        for label, pk in self.caches:
            reachable[label].add(pk)
        originals = {}
        for label, pks in reachable.items():
            for pk, loaded in apps.get_model(label)._base_manager.in_bulk(pks).items():
                obj = built.get((label, pk))
                if obj is None:
                    obj = self._cached_instance((label, pk), built)
                kept = {}
                for field in loaded._meta.concrete_fields:
                    if isinstance(field, models.DateField):
                        continue  # rebased for each test
                    mine, theirs = getattr(obj, field.attname), getattr(loaded, field.attname)
                    if repr(mine) != repr(theirs):
                        kept[field.attname] = (theirs, mine)
                if kept:
                    originals[(label, pk)] = kept
        return originals

    @staticmethod
    def _cached_instance(key, built: dict):
        """An instance reachable only through another's related-object cache."""
        stack, seen = list(built.values()), set()
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if _key(obj) == key:
                return obj
            stack += [v for v in obj._state.fields_cache.values() if isinstance(v, models.Model)]
        raise LookupError(key)

    def _moves(self) -> dict:
        """Per model: the date/time fields holding values made from the clock, and those
        values (the same for every test: each one's changes are rolled back)."""
        moves = {}
        for model, pks in self.rows.items():
            fields = {}
            for field in model._meta.concrete_fields:
                if not isinstance(field, models.DateField):  # DateTimeField is one too
                    continue
                centre = self.at if isinstance(field, models.DateTimeField) else self.day
                values = set(
                    model._base_manager.filter(
                        pk__in=pks, **{f"{field.attname}__range": (centre - NEAR, centre + NEAR)}
                    ).values_list(field.attname, flat=True)
                )
                if values:
                    fields[field] = sorted(values)
            if fields:
                moves[model] = fields
        return moves

    def rebase(self, now: datetime.datetime) -> None:
        """Date the world's rows as a build at `now` would have (inside the test)."""
        delta = now - self.at
        days = timezone.localdate(now) - self.day
        for model, fields in self.moves.items():
            changes = {}
            for field, values in fields.items():
                shift = delta if isinstance(field, models.DateTimeField) else days
                if shift:
                    changes[field.attname] = Case(
                        *[When(**{field.attname: v}, then=Value(v + shift)) for v in values],
                        default=F(field.attname),
                        output_field=field,
                    )
            if changes:
                model._base_manager.filter(pk__in=self.rows[model]).update(**changes)

    def load(self) -> SimpleNamespace:
        """New instances of the world's objects, loaded by primary key."""
        wanted = defaultdict(set)
        for label, pk in self.caches:
            wanted[label].add(pk)
        objects = {}
        for label, pks in wanted.items():
            for pk, obj in apps.get_model(label)._base_manager.in_bulk(pks).items():
                objects[(label, pk)] = obj
        for key, kept in self.originals.items():
            for attname, (stored, original) in kept.items():
                if getattr(objects[key], attname) == stored:
                    setattr(objects[key], attname, original)
        for key, cached in self.caches.items():
            for name, target in cached.items():
                objects[key]._state.fields_cache[name] = None if target is None else objects[target]
        world = SimpleNamespace()
        for name, (kind, value) in self.attrs.items():
            if kind == "obj":
                setattr(world, name, objects[value])
            elif kind == "dict":
                setattr(world, name, {k: objects[v] for k, v in value.items()})
            else:
                setattr(world, name, value)
        return world


class SharedWorld:
    """The world kept in a transaction that stays open below the tests that use it."""

    def __init__(self, build):
        self.build = build
        self.atomic = None
        self.built = None
        self.raw = None  # the database connection whose transaction holds the world

    @property
    def is_open(self) -> bool:
        return self.atomic is not None

    def open(self) -> None:
        if self.atomic is not None and connection.closed_in_transaction:
            # A test closed the connection inside its transaction (closing a streamed
            # response outside the test client fires request_finished, which does): the
            # database rolled our transaction back with it.
            self.close()
        if self.atomic is not None:
            return
        before = all_pks()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.raw = connection.connection
        try:
            at = real_now()
            with time_machine.travel(at, tick=False):
                world = self.build()
            self.built = Built(world, before, at)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.atomic is None:
            return
        atomic, raw = self.atomic, self.raw
        self.atomic = self.built = self.raw = None
        blocks = connection.atomic_blocks
        if connection.in_atomic_block and blocks and blocks[0] is atomic:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            return
        # The connection was opened again under a test (Django forgets its transaction state
        # when it reconnects): the world's transaction may live on in the old connection,
        # holding the locks of the world's rows, and every later test that writes the same
        # unique values waits on it for ever. Ending that connection rolls it back.
        if raw is not None and raw is not connection.connection:
            raw.close()  # psycopg: closing a closed connection is a no-op

    def get(self) -> SimpleNamespace:
        """Called from inside a test's own transaction (a savepoint in ours)."""
        blocks = connection.atomic_blocks
        assert blocks and blocks[0] is self.atomic and len(blocks) > 1, (
            "the shared world's transaction is not below this test's"
        )
        self.built.rebase(timezone.now())
        return self.built.load()


# --- the proof: a shared world equals a fresh one ------------------------------------------


def _normal(model, rows_index, field, value):
    if value is None:
        return None
    if field.attname == "password" and isinstance(value, str):  # salted: the hasher only
        return value.split("$", 1)[0]
    if field.primary_key:
        return rows_index.get((model._meta.label, value), ("foreign", value))
    target = None
    if field.is_relation and (field.many_to_one or field.one_to_one):
        target = field.related_model._meta.label
    elif field.attname == "id" and hasattr(model, "instance_type"):  # a history row's id
        target = model.instance_type._meta.label
    if target is not None:
        return ("ref", target, rows_index.get((target, value), ("foreign", value)))
    return value


def snapshot(rows: dict, world: SimpleNamespace) -> dict:
    """A world's rows and namespace with primary keys replaced by creation order."""
    index = {}
    for model, pks in rows.items():
        for i, pk in enumerate(sorted(pks)):
            index[(model._meta.label, pk)] = i
    tables = {}
    for model, pks in rows.items():
        fields = model._meta.concrete_fields
        values = model._base_manager.filter(pk__in=pks).order_by("pk")
        tables[model._meta.label] = [
            tuple((f.attname, _normal(model, index, f, getattr(row, f.attname))) for f in fields)
            for row in values
        ]
    names = {}
    seen = {}

    def describe(obj):
        key = _key(obj)
        if key in seen:
            return ("ref", key[0], index.get(key, ("foreign", key[1])))
        seen[key] = True
        model = type(obj)
        state = tuple(
            (f.attname, _normal(model, index, f, getattr(obj, f.attname)))
            for f in model._meta.concrete_fields
        )
        extra = tuple(
            sorted(
                (k, repr(v))
                for k, v in vars(obj).items()
                if k != "_state"
                and k not in {f.attname for f in model._meta.concrete_fields}
                and v is not None
            )
        )
        cached = tuple(
            sorted(
                (k, None if v is None else describe(v)) for k, v in obj._state.fields_cache.items()
            )
        )
        return ("obj", key[0], index.get(key, ("foreign", key[1])), state, extra, cached)

    for name, value in sorted(vars(world).items()):
        if isinstance(value, models.Model):
            names[name] = describe(value)
        elif isinstance(value, dict) and value and len(_instances(value)) == len(value):
            names[name] = {k: describe(v) for k, v in sorted(value.items())}
        else:
            names[name] = ("value", value)
        seen.clear()
    return {"tables": tables, "names": names}


def differences(shared, fresh, tolerance: datetime.timedelta, path="") -> list[str]:
    if isinstance(shared, datetime.datetime) and isinstance(fresh, datetime.datetime):
        return [] if abs(shared - fresh) <= tolerance else [f"{path}: {shared!r} != {fresh!r}"]
    if isinstance(shared, dict) and isinstance(fresh, dict):
        if set(shared) != set(fresh):
            return [f"{path}: keys {sorted(map(str, shared))} != {sorted(map(str, fresh))}"]
        out = []
        for k in shared:
            out += differences(shared[k], fresh[k], tolerance, f"{path}/{k}")
        return out
    if isinstance(shared, list | tuple) and isinstance(fresh, list | tuple):
        if len(shared) != len(fresh):
            return [f"{path}: {len(shared)} items != {len(fresh)}"]
        out = []
        for i, (a, b) in enumerate(zip(shared, fresh, strict=True)):
            out += differences(a, b, tolerance, f"{path}[{i}]")
        return out
    if shared != fresh or type(shared) is not type(fresh):
        return [f"{path}: {shared!r} != {fresh!r}"]
    return []


def check_against_fresh(build, at: datetime.datetime | None = None) -> SimpleNamespace:
    """Build the shared way (at `at`, then rebased to now) in a savepoint and compare with
    a fresh build on the test's clock; return the fresh world (the test runs on it)."""
    now = timezone.now()
    frozen = clock_is_frozen()
    at = at or real_now()
    sid = transaction.savepoint()
    before = all_pks()
    with time_machine.travel(at, tick=False):
        built = Built(build(), before, at)
    built.rebase(now)
    shared = snapshot(built.rows, built.load())
    transaction.savepoint_rollback(sid)
    before = all_pks()
    world = build()
    after = all_pks()
    rows = {m: sorted(pks - before.get(m, set())) for m, pks in after.items()}
    fresh = snapshot({m: pks for m, pks in rows.items() if pks}, world)
    # A running clock moves on while the world is built (and we built it twice).
    tolerance = datetime.timedelta(0) if frozen else datetime.timedelta(seconds=10)
    found = differences(shared, fresh, tolerance)
    assert not found, "the shared world differs from a fresh one:\n" + "\n".join(found[:30])
    return world
