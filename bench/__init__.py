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

import warnings

# Pyramid 2.1 imports pkg_resources (pyramid/asset.py), and setuptools >= 80.9 warns about that on
# stderr; the benchmarks' output is their figures (the commands silence it the same way).
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
