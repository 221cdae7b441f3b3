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

namespace assignsubmission_s3video\external;

use assignsubmission_s3video\sidecar_client;
use core_external\external_function_parameters;
use core_external\external_single_structure;
use core_external\external_value;

/**
 * After the browser's upload: the sidecar checks the object in storage and keeps it as a draft, which the
 * submission form's "Save changes" makes the submission's video.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class confirm_upload extends base {

    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'assignmentid' => self::assignment_parameter(),
            's3key' => new external_value(PARAM_RAW_TRIMMED, 'The s3_key get_upload_url returned'),
        ]);
    }

    /**
     * Confirm and record.
     *
     * @param int $assignmentid assign instance id
     * @param string $s3key the upload's key
     * @return array
     */
    public static function execute(int $assignmentid, string $s3key): array {
        $params = self::validate_parameters(self::execute_parameters(), compact('assignmentid', 's3key'));
        [$assign, $plugin, $submission, $actor] = self::own_submission($params['assignmentid']);
        $answer = sidecar_client::from_config()->confirm_upload((int)$assign->get_instance()->id,
            (int)$submission->id, $actor, $params['s3key'], true);
        return self::confirmed($plugin, $answer);
    }

    /**
     * Returns.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return self::confirmed_returns();
    }
}
