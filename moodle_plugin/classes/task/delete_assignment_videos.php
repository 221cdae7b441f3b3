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

use assignsubmission_s3video\actor;
use assignsubmission_s3video\sidecar_client;
use assignsubmission_s3video\sidecar_exception;

/**
 * Tell the sidecar to delete every video of a deleted (or reset) assignment, retrying until it answers.
 *
 * The videos stay restorable until a given time (C5 retain_seconds: while Moodle's recycle bin can
 * restore the activity); a retry sends what is left of that time. The deletion is tried at once; only if the sidecar cannot be reached, or refuses, is this ad hoc
 * task queued, and Moodle's task runner retries it with its usual back-off. A 404 means the
 * sidecar holds nothing for the assignment, which is success.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class delete_assignment_videos extends \core\task\adhoc_task {

    /**
     * Delete now, or queue this task to retry.
     *
     * @param int $assignmentid assign instance id
     * @param int $courseid its course
     * @param int $restorableuntil Unix time until which the videos must stay restorable (0: no need)
     * @return void
     */
    public static function run_or_queue(int $assignmentid, int $courseid, int $restorableuntil = 0): void {
        try {
            self::delete($assignmentid, $courseid, $restorableuntil);
        } catch (sidecar_exception $e) {
            $task = new self();
            $task->set_custom_data(['assignmentid' => $assignmentid, 'courseid' => $courseid,
                'restorableuntil' => $restorableuntil]);
            \core\task\manager::queue_adhoc_task($task);
        }
    }

    /**
     * The task's name.
     *
     * @return string
     */
    public function get_name() {
        return get_string('task:deleteassignmentvideos', 'assignsubmission_s3video');
    }

    /**
     * Run the queued deletion; an exception makes Moodle retry later.
     *
     * @return void
     */
    public function execute() {
        $data = $this->get_custom_data();
        self::delete((int)$data->assignmentid, (int)$data->courseid, (int)($data->restorableuntil ?? 0));
    }

    /**
     * Ask the sidecar to delete the assignment's videos.
     *
     * @param int $assignmentid assign instance id
     * @param int $courseid its course
     * @param int $restorableuntil Unix time until which the videos must stay restorable
     * @return void
     * @throws sidecar_exception when the sidecar did not accept it
     */
    private static function delete(int $assignmentid, int $courseid, int $restorableuntil): void {
        if (empty(get_config('assignsubmission_s3video', 'sidecarurl'))) {
            return; // Never connected to a sidecar, so nothing was ever stored.
        }
        try {
            sidecar_client::from_config()->delete_assignment($assignmentid, actor::moodle($courseid),
                max(0, $restorableuntil - time()));
        } catch (sidecar_exception $e) {
            if (!$e->is_not_found()) {
                throw $e;
            }
        }
    }
}
