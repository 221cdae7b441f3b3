"""Fixtures of the functional tests (those of every suite are in ``tests/conftest.py``)."""

from __future__ import annotations

import pytest

from tests.support.jobs import open_world


@pytest.fixture(scope="module", params=["immediate", pytest.param("redis", marks=pytest.mark.redis)])
def world(request, backend, embedded_s3_url, signing_key_file, tmp_path_factory):
    """The jobs' world (``tests/support/jobs.py``) in immediate mode, and with a real Redis queue
    where one is configured: a committed database of its own, which the queue's tasks read."""
    with open_world(
        backend,
        request.param,
        embedded_s3_url,
        signing_key_file,
        tmp_path_factory.mktemp(f"jobs-{backend}-{request.param}"),
    ) as jobs_world:
        yield jobs_world
