<?php
// This file is part of Moodle - https://moodle.org/
//
// Moodle is free software: you can redistribute it and/or modify
// it under the terms of the GNU General Public License as published by
// the Free Software Foundation, either version 3 of the License, or
// (at your option) any later version.
//
// Moodle is distributed in the hope that it will be useful,
// but WITHOUT ANY WARRANTY; without even the implied warranty of
// MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
// GNU General Public License for more details.
//
// You should have received a copy of the GNU General Public License
// along with Moodle.  If not, see <https://www.gnu.org/licenses/>.

namespace assignsubmission_s3video\task;

use assignsubmission_s3video\sidecar_exception;

/**
 * Give a restored submission its video (C6 copy-from), retrying until the sidecar answers.
 *
 * Tried at once when the restore finishes; only if the sidecar cannot be reached, or fails, is this
 * ad hoc task queued, and Moodle's task runner retries it with its usual back-off. A source without a
 * video (404) is not an error: there is nothing to copy. A source the sidecar can no longer copy (409:
 * purged, or never confirmed) will not become copyable by waiting: that is said once, not retried.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class copy_restored_video extends \core\task\adhoc_task {

    /**
     * Copy now, or queue this task to retry.
     *
     * @param int $cmid the restored assignment's course module id
     * @param int $submissionid the restored assign_submission id
     * @param int $sourceassignment the sidecar assignment id of the original
     * @param int $sourcesubmission the sidecar submission id of the original
     * @return string|null why the video cannot be copied (for the restore's log), or null
     */
    public static function run_or_queue(int $cmid, int $submissionid, int $sourceassignment,
            int $sourcesubmission): ?string {
        try {
            self::copy($cmid, $submissionid, $sourceassignment, $sourcesubmission);
        } catch (sidecar_exception $e) {
            if ($e->status === 409) {
                return "the video of submission {$sourcesubmission} can no longer be copied: {$e->debuginfo}";
            }
            $task = new self();
            $task->set_custom_data(['cmid' => $cmid, 'submissionid' => $submissionid,
                'sourceassignment' => $sourceassignment, 'sourcesubmission' => $sourcesubmission]);
            \core\task\manager::queue_adhoc_task($task);
        }
        return null;
    }

    /**
     * The task's name.
     *
     * @return string
     */
    public function get_name() {
        return get_string('task:copyrestoredvideo', 'assignsubmission_s3video');
    }

    /**
     * Run the queued copy; an exception makes Moodle retry later.
     *
     * @return void
     */
    public function execute() {
        $data = $this->get_custom_data();
        try {
            self::copy((int)$data->cmid, (int)$data->submissionid, (int)$data->sourceassignment,
                (int)$data->sourcesubmission);
        } catch (sidecar_exception $e) {
            if ($e->status !== 409) {
                throw $e;
            }
            mtrace("The video of submission {$data->sourcesubmission} can no longer be copied: {$e->debuginfo}");
        }
    }

    /**
     * Ask the sidecar for the copy and record it.
     *
     * @param int $cmid the restored assignment's course module id
     * @param int $submissionid the restored assign_submission id
     * @param int $sourceassignment the sidecar assignment id of the original
     * @param int $sourcesubmission the sidecar submission id of the original
     * @return void
     * @throws sidecar_exception when the sidecar did not answer
     */
    private static function copy(int $cmid, int $submissionid, int $sourceassignment, int $sourcesubmission): void {
        global $CFG, $DB;
        require_once($CFG->dirroot . '/mod/assign/locallib.php');
        $cm = get_coursemodule_from_id('assign', $cmid);
        $submission = $cm ? $DB->get_record('assign_submission', ['id' => $submissionid,
            'assignment' => $cm->instance]) : null;
        if (!$submission) {
            return; // The restored activity or submission is gone again: nothing to give a video to.
        }
        $assign = new \assign(\context_module::instance($cmid), $cm, null);
        $assign->get_submission_plugin_by_type('s3video')->copy_video_from($submission, $sourceassignment,
            $sourcesubmission);
    }
}
