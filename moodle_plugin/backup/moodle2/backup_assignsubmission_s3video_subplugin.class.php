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
 * Backup of the S3 video submission plugin.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

/**
 * Backs up Moodle's record of each submission's video, including where the sidecar holds it.
 *
 * The video itself stays in the sidecar's storage (it is not a Moodle file). The backup records where
 * the sidecar holds it (sidecarassignment, sidecarsubmission, sidecarvideo) and its receipt; a restore
 * asks the sidecar to give the restored submission a copy sharing the same stored object.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class backup_assignsubmission_s3video_subplugin extends backup_subplugin {

    /**
     * The subplugin structure attached to each submission.
     *
     * @return backup_subplugin_element
     */
    protected function define_submission_subplugin_structure() {
        $subplugin = $this->get_subplugin_element();
        $wrapper = new backup_nested_element($this->get_recommended_name());
        $video = new backup_nested_element('submission_s3video', null, [
            'submission', 'sidecarassignment', 'sidecarsubmission', 'sidecarvideo', 's3key', 'filename', 'mimetype',
            'filesize', 'checksum', 'checksumtype', 'timeconfirmed', 'timecreated', 'timemodified',
        ]);
        $subplugin->add_child($wrapper);
        $wrapper->add_child($video);
        $video->set_source_table('assignsubmission_s3video', ['submission' => backup::VAR_PARENTID]);
        return $subplugin;
    }
}
