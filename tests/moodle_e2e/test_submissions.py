"""Students upload (POST and resumable multipart), Cancel keeps the submitted video, the teacher
plays and seeks in the grader, and another student is refused."""

from s3video_sidecar.services import parts_of
from tests.moodle_e2e.conftest import assert_clean, sidecar_state, submission_of
from tests.moodle_e2e.pages import PLAYER, choose, open_edit_form, play_and_seek, save, wait_uploaded


def test_a_small_upload_is_saved_as_the_submission(moodle, site, submitted, clips, e2e_sidecar, as_user):
    assert submitted["status"] == "submitted"
    assert submitted["video"]["filename"] == clips["first"].name
    state = sidecar_state(e2e_sidecar, site, submitted["id"])
    assert state["video"]["file_size"] == clips["first"].stat().st_size
    page = as_user(site["users"]["student1"]["username"])
    page.goto(f"/mod/assign/view.php?id={site['cmid']}")
    assert_clean(page)
    assert clips["first"].name in page.inner_text("#region-main")


def test_cancel_keeps_the_submitted_video(moodle, site, submitted, clips, e2e_sidecar, as_user):
    page = as_user(site["users"]["student1"]["username"])
    open_edit_form(page, site["cmid"])
    choose(page, clips["second"])
    wait_uploaded(page, clips["second"])
    page.click("#id_cancel")
    page.wait_for_load_state()
    after = submission_of(moodle, site["assign"], site["users"]["student1"]["id"])
    assert after["video"]["filename"] == clips["first"].name
    state = sidecar_state(e2e_sidecar, site, submitted["id"])
    assert state["video"]["filename"] == clips["first"].name
    assert state["video"]["file_size"] == clips["first"].stat().st_size
    page.goto(f"/mod/assign/view.php?id={site['cmid']}")
    assert clips["first"].name in page.inner_text("#region-main")
    assert clips["second"].name not in page.inner_text("#region-main")


def test_a_multipart_upload_resumes_after_a_reload(moodle, site, clips, e2e_sidecar, as_user):
    big = clips["big"]
    part_size = parts_of(e2e_sidecar.app.registry).settings.multipart_part_size_bytes
    assert big.stat().st_size > 2 * part_size, "the clip must take several parts"
    endpoint = parts_of(e2e_sidecar.app.registry).settings.s3_endpoint_url
    page = as_user(site["users"]["student2"]["username"])
    puts = []

    def cut_after_two_parts(route):
        if route.request.method == "PUT":
            if len(puts) >= 2:
                return route.abort("internetdisconnected")
            puts.append(route.request.url)
        return route.continue_()

    page.route(f"{endpoint}/**", cut_after_two_parts)
    open_edit_form(page, site["cmid"])
    choose(page, big)
    page.wait_for_selector(
        '[data-region="assignsubmission_s3video-upload"] [data-region="message"].alert-danger', timeout=180_000
    )
    sent_before = {url.split("partNumber=")[1].split("&")[0] for url in puts}
    assert len(sent_before) == 2

    page.unroute(f"{endpoint}/**")
    resent = []
    page.on("request", lambda r: resent.append(r.url) if r.method == "PUT" and r.url.startswith(endpoint) else None)
    page.reload()
    open_edit_form(page, site["cmid"])
    choose(page, big)
    wait_uploaded(page, big)
    sent_after = {url.split("partNumber=")[1].split("&")[0] for url in resent}
    assert sent_after and not sent_after & sent_before  # the finished parts were not sent again
    save(page)
    saved = submission_of(moodle, site["assign"], site["users"]["student2"]["id"])
    assert saved["video"]["filename"] == big.name
    assert sidecar_state(e2e_sidecar, site, saved["id"])["video"]["file_size"] == big.stat().st_size


def test_the_teacher_plays_and_seeks_in_the_grader(site, submitted, as_user):
    page = as_user(site["users"]["teacher"]["username"])
    page.goto(f"/mod/assign/view.php?id={site['cmid']}&action=grader&userid={site['users']['student1']['id']}")
    page.wait_for_selector(f'[data-region="assignsubmission_s3video-player"][data-submissionid="{submitted["id"]}"]')
    assert_clean(page)
    play_and_seek(page, submitted["id"], to=3.0)


def test_the_grading_table_and_the_settings_form_load_clean(site, submitted, as_user):
    """The teacher's pages that call the plugin without playing: the grading table (view_summary) and the
    assignment's settings form (get_settings), both at DEVELOPER debugging."""
    page = as_user(site["users"]["teacher"]["username"])
    page.goto(f"/mod/assign/view.php?id={site['cmid']}&action=grading")
    assert_clean(page)
    assert page.locator(f'{PLAYER}[data-submissionid="{submitted["id"]}"]').count() == 1
    page.goto(f"/course/modedit.php?update={site['cmid']}")
    assert_clean(page)
    assert page.locator("#id_assignsubmission_s3video_enabled").is_checked()
    assert page.locator("#id_assignsubmission_s3video_maxbytes").count() == 1


def test_another_student_is_refused(moodle, site, submitted, as_user):
    page = as_user(site["users"]["student2"]["username"])
    page.goto(f"/mod/assign/view.php?id={site['cmid']}")
    answer = page.evaluate(
        """([assignmentid, submissionid]) => new Promise(resolve => require(['core/ajax'], Ajax =>
        Ajax.call([{methodname: 'assignsubmission_s3video_get_playback_url', args: {assignmentid, submissionid}}])[0]
            .then(result => resolve({ok: result}), error => resolve({error: error.errorcode || error.message}))))""",
        [site["assign"], submitted["id"]],
    )
    assert "error" in answer and answer.get("ok") is None, answer
    # and the grader is not theirs to open
    page.goto(f"/mod/assign/view.php?id={site['cmid']}&action=grader&userid={site['users']['student1']['id']}")
    assert page.locator(f'[data-submissionid="{submitted["id"]}"]').count() == 0


def test_the_student_plays_their_own_video(site, submitted, as_user):
    page = as_user(site["users"]["student1"]["username"])
    page.goto(f"/mod/assign/view.php?id={site['cmid']}")
    play_and_seek(page, submitted["id"])
    assert_clean(page)
