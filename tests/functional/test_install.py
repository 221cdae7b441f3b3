"""A production install (``pip install .``) carries the PostgreSQL driver and not the development
stand-in (moto, Flask, werkzeug); ``s3video.storage = embedded`` without it says which extra to install."""

import configparser
import pathlib
import subprocess
import sys
import textwrap

ROOT = pathlib.Path(__file__).parents[2]


def requirements(section: str, name: str) -> list[str]:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    lines = [line.split("#")[0].strip() for line in parser[section][name].splitlines()]
    return [line for line in lines if line]


def test_the_production_requirements():
    install = requirements("options", "install_requires")
    assert any(line.startswith("psycopg") for line in install)
    assert not any(line.startswith(("moto", "flask", "werkzeug")) for line in install)
    assert any(line.startswith("moto") for line in requirements("options.extras_require", "development"))


def test_an_aws_app_never_imports_the_stand_in(tmp_path, signing_key_file):
    script = textwrap.dedent(f"""
        import sys
        from s3video_sidecar.app import main
        main({{}}, **{{
            "sqlalchemy.url": "sqlite:///{tmp_path}/x.sqlite", "s3video.hmac_keys": "k:{"s" * 40}",
            "s3video.storage": "aws", "s3video.bucket": "school-videos", "s3video.region": "eu-west-1",
            "s3video.cdn": "cloudfront", "s3video.cloudfront.domain": "d1.cloudfront.net",
            "s3video.cloudfront.key_id": "K1", "s3video.cloudfront.private_key_file": "{signing_key_file}",
        }})
        loaded = sorted(name for name in ("moto", "flask", "werkzeug") if name in sys.modules)
        print(",".join(loaded) or "none")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "none"


def test_embedded_storage_without_the_development_extra_names_it():
    script = textwrap.dedent("""
        import sys
        sys.modules["werkzeug"] = None  # as if the development extra were not installed
        sys.modules["moto"] = None
        from s3video_sidecar import services
        from s3video_sidecar.settings import SettingsError
        try:
            services.embedded_s3_module()
        except SettingsError as exc:
            print(exc)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "s3video.storage = embedded needs the development stand-in" in done.stdout
    assert "pip install 's3video-sidecar[development]'" in done.stdout
