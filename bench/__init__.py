"""Benchmarks of the sidecar: run them all with ``python -m bench`` (see docs/benchmarks.md).

Rules of this package:

- Benchmarks print figures; they never fail a build (a missing tool or service is
  reported and that benchmark skipped).
- Every server they measure runs in its own process on loopback (``bench.processes``),
  so the load generator, the S3 stand-in and the sidecar never share one interpreter's
  lock, and the sidecar's memory is its own.
- The sidecar runs with ``production.ini``'s settings (PostgreSQL, Redis nonce store,
  CloudFront signing, its ``[server:main]`` waitress options); only what points at
  real AWS or at secrets is replaced by loopback stand-ins and generated keys.
"""
