"""Issue 15's rule, measured: the GET's two reads as ORM entities against frozen read models (Core).

``python -m bench.orm_or_core`` (needs PostgreSQL and Redis, as ``python -m bench``): in the benchmark's
environment, a GET submission's two reads — the traversal's submission with its assignment and current
video, and the submission's live videos — each on a fresh session from the app's session factory, in
CPU time, as ORM entities (``read_only=False``) and as read models (``read_only=True``), alternating
in rounds of 40 so both forms run under the same load; prints ORM / Core (total, and the rounds'
median and range). The hot path may take the plainer (ORM) form unless it costs more than 10 %.
"""

from __future__ import annotations

import os
import statistics
import time

from . import call_cost, environment, processes

ROUNDS = 30
SUBMISSIONS = [call_cost.ASSIGNMENT * 100_000 + i for i in range(1, 21)]


def main() -> None:
    with environment.environment(with_bare=False) as env:
        os.environ.update(processes.STANDIN_ENVIRONMENT)
        from s3video_sidecar.app import main as make_app
        from s3video_sidecar.models import LIVE_STATUSES
        from s3video_sidecar.models.repository import SqlVideoRepository
        from s3video_sidecar.services import parts_of

        app = make_app({}, **env.settings)
        sidecar = call_cost.App(app)
        for s in SUBMISSIONS:
            sidecar(call_cost.json_environ("POST", call_cost.submission_path(s, "/upload-url"), s, call_cost.UPLOAD))
        factory = parts_of(app.registry).session_factory

        def reads(read_only: bool):
            def read(submission_id: int) -> None:
                with factory() as session:
                    repository = SqlVideoRepository(session)
                    _, submission = repository.get_assignment_and_submission(
                        call_cost.ASSIGNMENT, submission_id, read_only=read_only
                    )
                    repository.videos(submission_id=submission.id, statuses=LIVE_STATUSES, read_only=read_only)

            return read

        orm, core = reads(False), reads(True)
        for s in SUBMISSIONS * 5:  # warm both
            orm(s)
            core(s)
        spent = {"orm": 0.0, "core": 0.0}
        ratios = []
        for _ in range(ROUNDS):
            round_spent = {}
            for name, form in (("orm", orm), ("core", core)):
                started = time.process_time()
                for s in SUBMISSIONS * 2:
                    form(s)
                round_spent[name] = time.process_time() - started
                spent[name] += round_spent[name]
            ratios.append(round_spent["orm"] / round_spent["core"])
        calls = ROUNDS * len(SUBMISSIONS) * 2
        print(
            f"GET's two reads: ORM {spent['orm'] / calls * 1e6:,.0f} µs, read models (Core)"
            f" {spent['core'] / calls * 1e6:,.0f} µs CPU; ORM / Core {spent['orm'] / spent['core']:.2f}"
            f" (rounds: median {statistics.median(ratios):.2f}, {min(ratios):.2f}–{max(ratios):.2f})"
        )


if __name__ == "__main__":
    main()
