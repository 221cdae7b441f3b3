"""Moodle's privacy API exports a student's video and deletes it (in Moodle and in the sidecar)."""

import re

from s3video_sidecar.sdk.client import SidecarError
from tests.moodle_e2e.conftest import make_site, run_probe, sidecar_state, submission_of
from tests.moodle_e2e.pages import upload_and_save

PRIVACY = """
    $user = \\core_user::get_user($in->userid, '*', MUST_EXIST);
    // Moodle's privacy manager, without its progress lines on standard output (its unit tests' tracer).
    $manager = new class extends \\core_privacy\\manager {
        protected static function get_log_tracer() {
            return new \\null_progress_trace();
        }
    };
    $approved = new \\core_privacy\\local\\request\\contextlist_collection($user->id);
    foreach ($manager->get_contexts_for_userid($user->id) as $contextlist) {
        $approved->add_contextlist(new \\core_privacy\\local\\request\\approved_contextlist($user,
            $contextlist->get_component(), $contextlist->get_contextids()));
    }
"""


def test_privacy_export_and_deletion(moodle, installed, e2e_sidecar, browser, clips):
    from tests.moodle_e2e.conftest import login

    site = make_site(moodle, "privacy", students=1)
    student = site["users"]["student1"]
    page = login(browser, moodle, student["username"])
    try:
        upload_and_save(page, site["cmid"], clips["second"])
    finally:
        page.context.close()
    before = submission_of(moodle, site["assign"], student["id"])
    assert before["video"]["filename"] == clips["second"].name
    run_probe(e2e_sidecar)  # the export shows what the probe found (JSON: "/" may be written "\\/")

    exported = moodle.php(
        PRIVACY
        + """
        $zip = $manager->export_user_data($approved);
        $archive = new ZipArchive();
        $archive->open($zip);
        $text = '';
        for ($i = 0; $i < $archive->numFiles; $i++) {
            $text .= $archive->getFromIndex($i);
        }
        return ['files' => $archive->numFiles, 'text' => $text];
    """,
        userid=student["id"],
    )
    assert clips["second"].name in exported["text"]
    assert re.search(
        r'"media": "0:0[23] · 320×240 · 25 fps · H\.264 [^"]+? \\?/ AAC[^"]*fast start"', exported["text"]
    ), exported["text"][:3000]

    moodle.php(
        PRIVACY
        + """
        $manager->delete_data_for_user($approved);
        return true;
    """,
        userid=student["id"],
    )
    after = submission_of(moodle, site["assign"], student["id"])
    assert after is None or after["video"] is None
    try:
        state = sidecar_state(e2e_sidecar, site, before["id"])
    except SidecarError as error:
        assert error.status == 404
    else:
        assert state.get("video") is None, state
