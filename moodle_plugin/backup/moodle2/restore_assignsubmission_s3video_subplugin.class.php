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
 * Restores each submission's video record under the new assignment and submission ids.
 *
 * The record keeps pointing at the video where the sidecar holds it (the original assignment and
 * submission), so the restored submission plays the original video and never deletes it.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class restore_assignsubmission_s3video_subplugin extends restore_subplugin {

    /**
     * The paths this subplugin restores.
     *
     * @return restore_path_element[]
     */
    protected function define_submission_subplugin_structure() {
        return [new restore_path_element($this->get_namefor('submission'), $this->get_pathfor('/submission_s3video'))];
    }

    /**
     * Restore one video record.
     *
     * @param array $data the backed-up record
     * @return void
     */
    public function process_assignsubmission_s3video_submission($data) {
        global $DB;
        $data = (object)$data;
        $data->assignment = $this->get_new_parentid('assign');
        $data->submission = $this->get_mappingid('submission', $data->submission);
        if (!$data->submission) {
            return;
        }
        $DB->insert_record('assignsubmission_s3video', $data);
    }
}
