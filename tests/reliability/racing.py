"""Racing requests for the reliability suite: threads held at a chosen SQL statement so that a race
that a lock must prevent happens every time the lock is missing."""

from __future__ import annotations

import contextlib
import threading

from sqlalchemy import event

HOLD_SECONDS = 2  # how long a held racer waits for the others (a lock may be keeping them)


def hold_at(engine, racers, hold_seconds: float = HOLD_SECONDS):
    """Run each racer's function in a thread of its own, holding it before its first statement that
    ``matches`` until every racer has reached theirs (or ``hold_seconds`` have passed: a racer is
    waiting on a lock, or has stopped before the statement).
    ``racers``: ``[(matches(sql) -> bool, function()), ...]``; returns the functions' results."""
    barrier = threading.Barrier(len(racers), timeout=hold_seconds)
    held = threading.local()

    def hold(conn, cursor, sql, parameters, context, executemany):
        matches = getattr(held, "matches", None)
        if matches is not None and matches(sql):
            held.matches = None
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()

    event.listen(engine, "before_cursor_execute", hold)
    results = [None] * len(racers)

    def run(index):
        held.matches = racers[index][0]
        results[index] = racers[index][1]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(racers))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        event.remove(engine, "before_cursor_execute", hold)
    assert all(r is not None for r in results), "a racer did not finish"
    return results


def meanwhile(engine, matches, first, then):
    """Run ``first()`` here; right after its first statement that ``matches`` has run, run ``then()``
    in another thread and give it HOLD_SECONDS to finish (it may be waiting on a lock ``first`` holds)
    before ``first`` goes on. Returns both results."""
    here, results, other = threading.get_ident(), {}, []

    def after(conn, cursor, sql, parameters, context, executemany):
        if threading.get_ident() == here and not other and matches(sql):
            other.append(threading.Thread(target=lambda: results.setdefault("then", then())))
            other[0].start()
            other[0].join(HOLD_SECONDS)

    event.listen(engine, "after_cursor_execute", after)
    try:
        results["first"] = first()
    finally:
        event.remove(engine, "after_cursor_execute", after)
    assert other, "the statement to run the other call after never ran"
    other[0].join(60)
    return results["first"], results.get("then")
