"""The end-to-end suite inside a real, already-installed Moodle (see DEVELOPERS.md).

Given by the environment:
- ``S3VIDEO_MOODLE_URL``: the site's wwwroot, e.g. ``http://127.0.0.1:8051``;
- ``S3VIDEO_MOODLE_DIR``: its code root (the folder with ``config.php`` and ``admin/cli/``; on 5.1
  the web root is its ``public/`` folder);
- ``S3VIDEO_MOODLE_ADMIN``: an administrator's ``user:password``;
- ``S3VIDEO_MOODLE_PHP`` (optional): the PHP binary Moodle runs with (default ``php``).

The suite starts its own live sidecar (embedded S3, local edge) that accepts the Moodle origin,
copies ``moodle_plugin/`` from this checkout into the Moodle tree, runs ``admin/cli/upgrade.php``,
points the plugin at the sidecar with ``admin/cli/cfg.php``, and makes its course, users and
assignments through Moodle's own APIs (PHP snippets run with the site's ``config.php``, from a
temporary folder). It never installs Moodle itself. Without the variables every test skips.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import secrets
import shutil
import subprocess
import textwrap
from dataclasses import dataclass

import pytest

from s3video_sidecar.services import parts_of
from tests.conftest import serve_sidecar
from tests.support.databases import fresh_database
from tests.support.videos import h264_clip

REPO = pathlib.Path(__file__).resolve().parents[2]
PLUGIN = REPO / "moodle_plugin"
COMPONENT = "assignsubmission_s3video"
VARIABLES = ("S3VIDEO_MOODLE_URL", "S3VIDEO_MOODLE_DIR", "S3VIDEO_MOODLE_ADMIN")
MISSING = [name for name in VARIABLES if not os.environ.get(name)]
SKIP_REASON = (
    "the end-to-end suite needs an installed Moodle: set "
    + ", ".join(VARIABLES)
    + " (and optionally S3VIDEO_MOODLE_PHP); DEVELOPERS.md says how to get one"
)
PASSWORD = "E2e-pass-1!"  # every user the suite makes


def pytest_collection_modifyitems(config, items):
    here = pathlib.Path(__file__).parent
    for item in items:
        if here in pathlib.Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.moodle_e2e)
            if MISSING:
                item.add_marker(pytest.mark.skip(reason=f"{SKIP_REASON} (missing: {', '.join(MISSING)})"))


class MoodleError(AssertionError):
    pass


@dataclass
class Moodle:
    url: str
    root: pathlib.Path  # the code root: config.php, admin/cli/
    admin: str
    password: str
    php_binary: str
    scratch: pathlib.Path

    @property
    def web_root(self) -> pathlib.Path:
        """Where URLs are served from: ``public/`` from 5.1 on, the code root before."""
        public = self.root / "public"
        return public if (public / "mod" / "assign").is_dir() else self.root

    @property
    def plugin_dir(self) -> pathlib.Path:
        return self.web_root / "mod" / "assign" / "submission" / "s3video"

    def cli(self, script: str, *args: str, check: bool = True, timeout: int = 900) -> subprocess.CompletedProcess:
        """Run one of Moodle's admin/cli scripts."""
        path = self.root / "admin" / "cli" / script
        if not path.exists():
            path = self.web_root / "admin" / "cli" / script
        done = subprocess.run(
            [self.php_binary, str(path), *args], capture_output=True, text=True, cwd=self.root, timeout=timeout
        )
        if check and done.returncode != 0:
            raise MoodleError(
                f"{script} {' '.join(args)} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done

    def set_config(self, name: str, value, component: str | None = None) -> None:
        args = [f"--name={name}", f"--set={value}"]
        if component:
            args.insert(0, f"--component={component}")
        self.cli("cfg.php", *args)

    def get_config(self, name: str, component: str | None = None) -> str | None:
        args = [f"--name={name}"] + ([f"--component={component}"] if component else [])
        done = self.cli("cfg.php", *args, check=False)
        return done.stdout.rstrip("\n") if done.returncode == 0 else None

    def php(self, body: str, **values):
        """Run a PHP snippet inside Moodle (CLI, as the admin) and return what it prints as JSON.

        ``values`` arrive as ``$in`` (decoded JSON). The snippet lives in a temporary file only.
        """
        script = self.scratch / f"snippet-{secrets.token_hex(4)}.php"
        script.write_text(
            textwrap.dedent("""\
            <?php
            define('CLI_SCRIPT', true);
            require(%s);
            require_once($CFG->libdir . '/clilib.php');
            \\core\\session\\manager::set_user(get_admin());
            $in = json_decode(%s, false);
            $out = (function() use ($in) {
                global $CFG, $DB, $USER;
            %s
            })();
            echo "\\n@@RESULT@@", json_encode($out), "\\n";
            """)
            % (
                json.dumps(str(self.root / "config.php")),
                php_string(json.dumps(values)),
                textwrap.indent(textwrap.dedent(body), "    "),
            )
        )
        done = subprocess.run(
            [self.php_binary, str(script)], capture_output=True, text=True, cwd=self.root, timeout=900
        )
        if done.returncode != 0 or "@@RESULT@@" not in done.stdout:
            raise MoodleError(f"PHP snippet failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
        before, _, result = done.stdout.rpartition("@@RESULT@@")
        if before.strip():
            raise MoodleError(f"the PHP snippet printed more than its result (debugging?):\n{before[-4000:]}")
        return json.loads(result)


def php_string(text: str) -> str:
    """A PHP single-quoted string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


@pytest.fixture(scope="session")
def moodle(tmp_path_factory):
    if MISSING:
        pytest.skip(SKIP_REASON)
    admin, _, password = os.environ["S3VIDEO_MOODLE_ADMIN"].partition(":")
    root = pathlib.Path(os.environ["S3VIDEO_MOODLE_DIR"]).resolve()
    if not (root / "config.php").exists():
        pytest.fail(f"S3VIDEO_MOODLE_DIR={root} has no config.php: point it at an installed Moodle's code root")
    return Moodle(
        url=os.environ["S3VIDEO_MOODLE_URL"].rstrip("/"),
        root=root,
        admin=admin,
        password=password,
        php_binary=os.environ.get("S3VIDEO_MOODLE_PHP", "php"),
        scratch=tmp_path_factory.mktemp("moodle-snippets"),
    )


@pytest.fixture(scope="session")
def e2e_sidecar(moodle, embedded_s3_url, signing_key_file, tmp_path_factory):
    """A live sidecar of its own (SQLite) that accepts the Moodle site's origin (CORS)."""
    with (
        fresh_database("sqlite", tmp_path_factory.mktemp("e2e-db")) as database_url,
        serve_sidecar(database_url, embedded_s3_url, signing_key_file, origins=(moodle.url,)) as sidecar,
    ):
        yield sidecar


def plugin_version() -> int:
    return int(re.search(r"\$plugin->version\s*=\s*(\d+)", (PLUGIN / "version.php").read_text()).group(1))


@pytest.fixture(scope="session")
def installed(moodle, e2e_sidecar):
    """This checkout's plugin in the Moodle tree, upgraded, pointed at the suite's sidecar."""
    if moodle.plugin_dir.exists():
        shutil.rmtree(moodle.plugin_dir)
    shutil.copytree(PLUGIN, moodle.plugin_dir)
    upgrade = moodle.cli("upgrade.php", "--non-interactive")
    moodle.cli("purge_caches.php")
    for name, value in {
        "sidecarurl": e2e_sidecar.url,
        "keyid": e2e_sidecar.key_id,
        "secret": e2e_sidecar.secret,
        "default": 1,
    }.items():
        moodle.set_config(name, value, COMPONENT)
    # Everything the suite loads is looked at with debugging shown at DEVELOPER level.
    moodle.set_config("debug", 32767)
    moodle.set_config("debugdisplay", 1)
    return upgrade


@pytest.fixture(scope="session")
def site(moodle, installed):
    """A course, a teacher, two students and an assignment with video submissions."""
    return make_site(moodle, "e2e")


def make_site(moodle: Moodle, label: str, students: int = 2) -> dict:
    """Make a course, a teacher, ``students`` students and an assignment (video submissions only)."""
    return moodle.php(
        r"""
        require_once($CFG->dirroot . '/course/lib.php');
        require_once($CFG->libdir . '/testing/classes/util.php');
        require_once($CFG->dirroot . '/user/lib.php');
        require_once($CFG->dirroot . '/enrol/manual/lib.php');
        $tag = $in->label . '_' . time() . '_' . random_string(4);
        $course = create_course((object)['fullname' => 'Video course ' . $tag, 'shortname' => 'vc_' . $tag,
            'category' => $DB->get_field_select('course_categories', 'MIN(id)', '1=1'), 'numsections' => 1]);
        $users = [];
        $manual = enrol_get_plugin('manual');
        $instance = $DB->get_record('enrol', ['courseid' => $course->id, 'enrol' => 'manual'], '*', MUST_EXIST);
        // No welcome mails from this made-up site (and no "email is invalid" debugging about them).
        [$debug, $CFG->debug, $CFG->noemailever] = [$CFG->debug, DEBUG_NORMAL, true];
        $roles = ['teacher' => 'editingteacher'];
        for ($i = 1; $i <= $in->students; $i++) {
            $roles['student' . $i] = 'student';
        }
        foreach ($roles as $name => $archetype) {
            $username = strtolower($name . '_' . $tag);
            $id = user_create_user((object)['username' => $username, 'password' => $in->password,
                'firstname' => ucfirst($name), 'lastname' => $tag, 'email' => $username . '@example.invalid',
                'auth' => 'manual', 'confirmed' => 1, 'mnethostid' => $CFG->mnet_localhost_id]);
            $roleid = $DB->get_field('role', 'id', ['shortname' => $archetype], MUST_EXIST);
            $manual->enrol_user($instance, $id, $roleid);
            $users[$name] = ['id' => (int)$id, 'username' => $username];
        }
        $CFG->debug = $debug;
        // Moodle's data generator fills in every module field the form would (as tool_generator uses it).
        $module = \testing_util::get_data_generator()->create_module('assign', [
            'course' => $course->id, 'section' => 1, 'name' => 'Video assignment ' . $tag,
            'intro' => 'Upload your video.', 'introformat' => FORMAT_HTML, 'grade' => 100,
            'submissiondrafts' => 0, 'requiresubmissionstatement' => 0, 'sendnotifications' => 0,
            'sendlatenotifications' => 0, 'sendstudentnotifications' => 0, 'duedate' => 0, 'cutoffdate' => 0,
            'gradingduedate' => 0, 'allowsubmissionsfromdate' => 0, 'teamsubmission' => 0,
            'assignsubmission_s3video_enabled' => 1, 'assignsubmission_onlinetext_enabled' => 0,
            'assignsubmission_file_enabled' => 0, 'assignfeedback_comments_enabled' => 1,
        ]);
        return ['course' => (int)$course->id, 'cmid' => (int)$module->cmid, 'assign' => (int)$module->id,
                'users' => $users];
    """,
        label=label,
        students=students,
        password=PASSWORD,
    )


def submission_of(moodle: Moodle, assign: int, userid: int) -> dict | None:
    """Moodle's latest submission of a user and the plugin's record of its video."""
    return moodle.php(
        r"""
        $submission = $DB->get_records('assign_submission', ['assignment' => $in->assign, 'userid' => $in->userid,
            'latest' => 1]);
        $submission = reset($submission);
        if (!$submission) {
            return null;
        }
        $video = $DB->get_record('assignsubmission_s3video', ['submission' => $submission->id]);
        return ['id' => (int)$submission->id, 'status' => $submission->status,
                'video' => $video ? (array)$video : null];
    """,
        assign=assign,
        userid=userid,
    )


# -- the browser -----------------------------------------------------------------------------------


def login(browser, moodle: Moodle, username: str, password: str = PASSWORD):
    """A page of a fresh browser context, logged in as ``username``."""
    context = browser.new_context(base_url=moodle.url)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.on("dialog", lambda dialog: dialog.accept())  # "leave the page?" during an upload
    for _ in range(3):
        # Now and then the login form's token is refused under the built-in server's parallel workers
        # ("Invalid login" although the password is right): a fresh session, and the page settled, then.
        context.clear_cookies()
        page.goto("/login/index.php", wait_until="networkidle")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("#loginbtn")
        page.wait_for_load_state()
        if "/login/" not in page.url:
            return page
    raise MoodleError(f"{username} could not log in: {page.inner_text('body')[:500]}")


@pytest.fixture
def as_user(browser, moodle, installed):
    """``as_user(username)`` -> a logged-in page of a fresh browser context (closed after the test)."""
    pages = []

    def open_as(username: str, password: str = PASSWORD):
        pages.append(login(browser, moodle, username, password))
        return pages[-1]

    yield open_as
    for page in pages:
        page.context.close()


@pytest.fixture(scope="session")
def submitted(browser, moodle, site, clips):
    """Student 1 of the shared site has uploaded the first clip and saved it (a small POST upload)."""
    from tests.moodle_e2e.pages import upload_and_save

    page = login(browser, moodle, site["users"]["student1"]["username"])
    try:
        upload_and_save(page, site["cmid"], clips["first"])
    finally:
        page.context.close()
    return submission_of(moodle, site["assign"], site["users"]["student1"]["id"])


def sidecar_state(sidecar, site: dict, submissionid: int) -> dict:
    """The sidecar's view of a submission, asked as a site administrator."""
    admin = sidecar.client.acting_as(2, ["admin"], site["course"])
    return admin.submission(site["assign"], submissionid)


@pytest.fixture
def as_admin(as_user, moodle):
    return lambda: as_user(moodle.admin, moodle.password)


DEBUGGING = re.compile(
    r"Coding error detected|Notice: |Warning: |Deprecated: |Fatal error|Stack trace|Debug info:|"
    r"Exception - |\$PAGE->context was not set",
    re.I,
)


def assert_clean(page) -> None:
    """No debugging output and no error page (the site runs at DEVELOPER debugging, shown)."""
    text = page.inner_text("body")
    found = DEBUGGING.search(text)
    assert not found, (
        f"{page.url} shows debugging or an error: …{text[max(0, found.start() - 300) : found.end() + 600]}…"
    )
    assert page.locator(".debuggingmessage, .errorbox, .errormessage").count() == 0, page.url


def make_clip(path: pathlib.Path, seconds: int = 4, noisy: bool = False) -> pathlib.Path:
    """A real H.264/AAC MP4 from Debian's ffmpeg; ``noisy`` makes it big (lossless noise: ~16 MB a second)."""
    return h264_clip(path, seconds, noisy=noisy)


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    return {
        "first": make_clip(folder / "first-take.mp4", seconds=6),
        "second": make_clip(folder / "second-take.mp4", seconds=3),
        "big": make_clip(folder / "long-lecture.mp4", seconds=1, noisy=True),
    }


def run_probe(sidecar) -> dict:
    """One cycle of the worker's probe job on the suite's sidecar (it runs no worker of its own)."""
    from s3video_sidecar.services import video_service
    from s3video_sidecar.tasks.runner import JobRunner

    registry = sidecar.app.registry
    parts = parts_of(registry)
    runner = JobRunner(
        parts.settings, parts.session_factory, parts.storage, parts.url_signer, video_service=video_service
    )
    report = runner.run("probe")
    return report.counts
