"""Videos survive Moodle's backup/restore into a new course and a recycle-bin restore, and play there."""

from tests.moodle_e2e.conftest import make_site, submission_of
from tests.moodle_e2e.pages import play_and_seek, upload_and_save


def site_with_a_video(moodle, browser, clips, label):
    from tests.moodle_e2e.conftest import login

    site = make_site(moodle, label, students=1)
    page = login(browser, moodle, site["users"]["student1"]["username"])
    try:
        upload_and_save(page, site["cmid"], clips["first"])
    finally:
        page.context.close()
    return site


def grader_plays(browser, moodle, site, cmid, assign):
    from tests.moodle_e2e.conftest import login

    student = site["users"]["student1"]["id"]
    restored = submission_of(moodle, assign, student)
    assert restored and restored["video"], restored
    # the course's teacher (restored with the users), not an administrator whom the sidecar lets see everything
    page = login(browser, moodle, site["users"]["teacher"]["username"])
    try:
        page.goto(f"/mod/assign/view.php?id={cmid}&action=grader&userid={student}")
        play_and_seek(page, restored["id"])
    finally:
        page.context.close()


def test_backup_restored_into_a_new_course_plays(moodle, installed, browser, clips):
    site = site_with_a_video(moodle, browser, clips, "backup")
    restored = moodle.php(
        """
        require_once($CFG->dirroot . '/backup/util/includes/backup_includes.php');
        require_once($CFG->dirroot . '/backup/util/includes/restore_includes.php');
        $bc = new backup_controller(backup::TYPE_1COURSE, $in->course, backup::FORMAT_MOODLE, backup::INTERACTIVE_NO,
            backup::MODE_GENERAL, $USER->id);
        $bc->get_plan()->get_setting('users')->set_value(true);
        $bc->execute_plan();
        $file = $bc->get_results()['backup_destination'];
        $bc->destroy();
        $folder = 'e2e_' . random_string(10);
        $file->extract_to_pathname(get_file_packer('application/vnd.moodle.backup'),
            make_backup_temp_directory($folder));
        $category = $DB->get_field('course', 'category', ['id' => $in->course]);
        $courseid = restore_dbops::create_new_course('Restored ' . $folder, 'r_' . $folder, $category);
        $rc = new restore_controller($folder, $courseid, backup::INTERACTIVE_NO, backup::MODE_GENERAL, $USER->id,
            backup::TARGET_NEW_COURSE);
        $rc->get_plan()->get_setting('users')->set_value(true);
        if (!$rc->execute_precheck()) {
            throw new moodle_exception('restore precheck: ' . json_encode($rc->get_precheck_results()));
        }
        $rc->execute_plan();
        $rc->destroy();
        $cm = $DB->get_record_sql("SELECT cm.id, cm.instance FROM {course_modules} cm
            JOIN {modules} m ON m.id = cm.module AND m.name = 'assign' WHERE cm.course = ?", [$courseid]);
        return ['course' => (int)$courseid, 'cmid' => (int)$cm->id, 'assign' => (int)$cm->instance];
    """,
        course=site["course"],
    )
    assert restored["assign"] != site["assign"]
    # deleting the original course never removes what the restored one references
    moodle.php(
        """
        delete_course($in->course, false);
        return true;
    """,
        course=site["course"],
    )
    moodle.cli("adhoc_task.php", "--execute")
    grader_plays(browser, moodle, site, restored["cmid"], restored["assign"])


def test_a_recycle_bin_restore_plays(moodle, installed, browser, clips):
    site = site_with_a_video(moodle, browser, clips, "recycle")
    restored = moodle.php(
        """
        require_once($CFG->dirroot . '/course/lib.php');
        set_config('coursebinenable', 1, 'tool_recyclebin');
        $name = $DB->get_field('assign', 'name', ['id' => $in->assign]);
        course_delete_module($in->cmid);
        $bin = new \\tool_recyclebin\\course_bin($in->course);
        $items = array_filter($bin->get_items(), fn($item) => $item->name === $name);
        if (count($items) !== 1) {
            throw new moodle_exception('the deleted assignment is not in the recycle bin');
        }
        $bin->restore_item(reset($items));
        $cm = $DB->get_record_sql("SELECT cm.id, cm.instance FROM {course_modules} cm
            JOIN {modules} m ON m.id = cm.module AND m.name = 'assign'
            WHERE cm.course = ? AND cm.deletioninprogress = 0",
            [$in->course]);
        return ['cmid' => (int)$cm->id, 'assign' => (int)$cm->instance];
    """,
        course=site["course"],
        cmid=site["cmid"],
        assign=site["assign"],
    )
    assert restored["assign"] != site["assign"]
    grader_plays(browser, moodle, site, restored["cmid"], restored["assign"])
