"""What was uploaded, in Moodle's pages: the grading table shows each probed video's poster as a lazy
thumbnail (one sidecar call for the page), and the status page, the grader and the privacy export show
the media details ("0:06 · 320×240 · 25 fps · H.264 High / AAC LC · …")."""

import re

from tests.moodle_e2e.conftest import assert_clean, run_probe
from tests.moodle_e2e.pages import PLAYER

# What Debian's ffmpeg makes of the suite's first clip (make_clip): 6 s of 320×240 at 25 fps, H.264 and
# AAC, fast start.
DETAILS = re.compile(r"0:0[56] · 320×240 · 25 fps · H\.264 [A-Za-z ]+ / AAC( LC)? · [0-9.]+ (k|M)bit/s · fast start")


def probed(e2e_sidecar, submitted):
    run_probe(e2e_sidecar)
    return submitted


def thumbnail_of(page, submissionid):
    return page.locator(f'{PLAYER}[data-submissionid="{submissionid}"] [data-region="thumbnail"] img')


def test_the_grading_table_shows_the_poster_as_a_thumbnail(site, submitted, e2e_sidecar, as_user):
    probed(e2e_sidecar, submitted)
    page = as_user(site["users"]["teacher"]["username"])
    page.goto(f"/mod/assign/view.php?id={site['cmid']}&action=grading")
    assert_clean(page)

    image = thumbnail_of(page, submitted["id"])
    assert image.count() == 1
    assert image.get_attribute("loading") == "lazy"
    assert image.get_attribute("alt") == f"A frame of the video {submitted['video']['filename']}"
    assert "/posters/" in image.get_attribute("src") and "Signature=" in image.get_attribute("src")
    image.scroll_into_view_if_needed()
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=image.element_handle())
    assert image.evaluate("image => image.naturalWidth") == 320  # the probe's poster frame, served by the edge
    details = page.inner_text(f'{PLAYER}[data-submissionid="{submitted["id"]}"] [data-region="media"]')
    assert DETAILS.fullmatch(details.strip()), details

    # Pressing the thumbnail plays the video (it is the player's play button).
    image.click()
    page.wait_for_function(
        "id => { const v = document.querySelector("
        '`[data-region="assignsubmission_s3video-player"][data-submissionid="${id}"] video`);'
        " return v && v.readyState >= 1; }",
        arg=submitted["id"],
    )


def second_video(moodle, site, e2e_sidecar, clip):
    """Student 2 has a video too: uploaded straight to the sidecar as the browser would, recorded in Moodle."""
    student = site["users"]["student2"]
    submissionid = moodle.php(
        r"""
        require_once($CFG->dirroot . '/mod/assign/locallib.php');
        [$course, $cm] = get_course_and_cm_from_instance($in->assign, 'assign');
        $assign = new \assign(\context_module::instance($cm->id), $cm, $course);
        return (int)$assign->get_user_submission($in->userid, true)->id;
    """,
        assign=site["assign"],
        userid=student["id"],
    )
    client = e2e_sidecar.client.acting_as(student["id"], ["student"], site["course"])
    content = clip.read_bytes()
    upload = client.request_upload(site["assign"], submissionid, clip.name, size=len(content), mime_type="video/mp4")
    client.upload_file(upload, content, clip.name)
    confirmed = client.confirm(site["assign"], submissionid, upload["s3_key"])
    moodle.php(
        r"""
        require_once($CFG->dirroot . '/mod/assign/locallib.php');
        require_once($CFG->dirroot . '/mod/assign/submission/s3video/locallib.php');
        \assign_submission_s3video::store_current($in->assign, $in->submission, (array)$in->confirmed);
        return true;
    """,
        assign=site["assign"],
        submission=submissionid,
        confirmed=confirmed,
    )
    return submissionid


def test_the_grading_table_asks_the_sidecar_once_a_page(moodle, site, submitted, e2e_sidecar, clips):
    """The summaries of a whole grading table cost one posters call, whatever the number of rows."""
    if (
        moodle.php(
            """return (int)$DB->count_records('assignsubmission_s3video', ['assignment' => $in->assign]);""",
            assign=site["assign"],
        )
        < 2
    ):
        second_video(moodle, site, e2e_sidecar, clips["second"])
    probed(e2e_sidecar, submitted)
    answer = moodle.php(
        r"""
        global $PAGE;
        require_once($CFG->dirroot . '/mod/assign/locallib.php');
        $teacher = $DB->get_record('user', ['id' => $in->teacher], '*', MUST_EXIST);
        \core\session\manager::set_user($teacher);
        [$course, $cm] = get_course_and_cm_from_instance($in->assign, 'assign');
        $assign = new \assign(\context_module::instance($cm->id), $cm, $course);
        $PAGE->set_context($assign->get_context());
        $PAGE->set_pagetype('mod-assign-grading');
        $plugin = $assign->get_submission_plugin_by_type('s3video');
        \assignsubmission_s3video\local\media_cache::reset();
        $html = [];
        foreach ($DB->get_records('assign_submission', ['assignment' => $in->assign, 'latest' => 1]) as $row) {
            $show = false;
            $html[] = $plugin->view_summary($row, $show);
        }
        return ['calls' => \assignsubmission_s3video\local\media_cache::$calls, 'rows' => count($html),
                'thumbnails' => substr_count(implode('', $html), 'loading="lazy"')];
    """,
        assign=site["assign"],
        teacher=site["users"]["teacher"]["id"],
    )
    assert answer["rows"] >= 2 and answer["thumbnails"] >= 1, answer
    assert answer["calls"] == 1, answer


def test_the_status_page_shows_the_media_details(site, submitted, e2e_sidecar, as_user):
    probed(e2e_sidecar, submitted)
    page = as_user(site["users"]["student1"]["username"])
    page.goto(f"/mod/assign/view.php?id={site['cmid']}")
    assert_clean(page)
    player = f'{PLAYER}[data-submissionid="{submitted["id"]}"]'
    details = page.inner_text(f'{player} [data-region="media"]')
    assert DETAILS.fullmatch(details.strip()), details
    assert thumbnail_of(page, submitted["id"]).count() == 1
    assert page.locator(f'{player} [data-region="mediawarning"]').count() == 0  # H.264/AAC plays everywhere


def test_the_grader_shows_the_media_details(site, submitted, e2e_sidecar, as_user):
    probed(e2e_sidecar, submitted)
    page = as_user(site["users"]["teacher"]["username"])
    page.goto(f"/mod/assign/view.php?id={site['cmid']}&action=grader&userid={site['users']['student1']['id']}")
    region = f'{PLAYER}[data-submissionid="{submitted["id"]}"] [data-region="media"]'
    page.wait_for_selector(region)
    assert_clean(page)
    assert DETAILS.fullmatch(page.inner_text(region).strip())
