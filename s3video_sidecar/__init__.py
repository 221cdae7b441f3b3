"""s3video sidecar: large video submissions for Moodle assignments, straight to S3.

Importing the package (or its SDK, ``s3video_sidecar.sdk``) loads no Pyramid: the web app's
factory is :func:`s3video_sidecar.app.main`, the PasteDeploy entry point of ``development.ini``
and ``production.ini``.
"""

__version__ = "0.1.0"
