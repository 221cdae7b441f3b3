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

/**
 * Restore of the S3 video submission plugin.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

/**
 * Restores each submission's video into the restored submission.
 *
 * A restore (into a new course, a course copy, an import, the same course, or from the recycle bin)
 * gives the new submission its own current video on the sidecar, sharing the original's stored
 * object (C6 copy-from, as the site for the new course, owned by the user the restore mapped). The
 * original may be deleted later: the sidecar keeps an object as long as a video references it.
 *
 * The sidecar is called once the whole restore is done (after_restore), when the new assignment,
 * its submissions and their users exist; if it cannot be reached then, an ad hoc task retries.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class restore_assignsubmission_s3video_subplugin extends restore_subplugin {

    /** @var array[] new submission id => [source assignment id, source submission id] on the sidecar */
    private $tocopy = [];

    /**
     * The paths this subplugin restores.
     *
     * @return restore_path_element[]
     */
    protected function define_submission_subplugin_structure() {
        return [new restore_path_element($this->get_namefor('submission'), $this->get_pathfor('/submission_s3video'))];
    }

    /**
     * Note one backed-up video for copying once the restore is done.
     *
     * @param array $data the backed-up record
     * @return void
     */
    public function process_assignsubmission_s3video_submission($data) {
        $data = (object)$data;
        $newsubmission = $this->get_mappingid('submission', $data->submission);
        if (!$newsubmission) {
            return;
        }
        // Where the sidecar holds the original: recorded in the backup (older records may point at an
        // earlier attempt's video), else the original assignment and submission.
        $this->tocopy[(int)$newsubmission] = [
            (int)($data->sidecarassignment ?: $this->task->get_old_activityid()),
            (int)($data->sidecarsubmission ?: $data->submission),
        ];
    }

    /**
     * The restore is done: copy each video into its restored submission.
     *
     * @return void
     */
    public function after_restore_submission() {
        if (!$this->tocopy) {
            return;
        }
        $cmid = (int)$this->task->get_moduleid();
        foreach ($this->tocopy as $newsubmission => [$sourceassignment, $sourcesubmission]) {
            $problem = \assignsubmission_s3video\task\copy_restored_video::run_or_queue($cmid, $newsubmission,
                $sourceassignment, $sourcesubmission);
            if ($problem !== null) {
                $this->log('assignsubmission_s3video: ' . $problem, backup::LOG_WARNING);
            }
        }
        $this->tocopy = [];
    }
}
