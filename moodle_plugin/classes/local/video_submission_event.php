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

namespace assignsubmission_s3video\local;

/**
 * What submission_created and submission_updated share: their object, description and checks.
 *
 * @property-read array $other {
 *      Extra information about the event.
 *
 *      - int filesize: the video's size in bytes.
 *      - int groupid: the group, for a team submission (0 otherwise).
 *      - string groupname: the group's name, for a team submission.
 * }
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
trait video_submission_event {

    /**
     * Init method.
     *
     * @return void
     */
    protected function init() {
        parent::init();
        $this->data['objecttable'] = 'assignsubmission_s3video';
    }

    /**
     * Non-localised description.
     *
     * @return string
     */
    public function get_description() {
        $description = "The user with id '$this->userid' " . static::VERB . " a video submission of " .
            "'{$this->other['filesize']}' bytes in the assignment with course module id '$this->contextinstanceid'";
        if (!empty($this->other['groupid'])) {
            $description .= " for the group with id '{$this->other['groupid']}'";
        }
        return $description . '.';
    }

    /**
     * Custom validation.
     *
     * @return void
     * @throws \coding_exception
     */
    protected function validate_data() {
        parent::validate_data();
        if (!isset($this->other['filesize'])) {
            throw new \coding_exception('The \'filesize\' value must be set in other.');
        }
    }

    /**
     * The object is the plugin's own record, which restore does not map.
     *
     * @return array
     */
    public static function get_objectid_mapping() {
        return ['db' => 'assignsubmission_s3video', 'restore' => \core\event\base::NOT_MAPPED];
    }
}
