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
use core_external\external_multiple_structure;
use core_external\external_single_structure;
use core_external\external_value;

/**
 * Finish a multipart upload: the sidecar totals and assembles the parts, checks the video like
 * confirm_upload, and keeps it as a draft until the submission is saved.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class complete_multipart extends base {

    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return self::multipart_parameters([
            'parts' => new external_multiple_structure(new external_single_structure([
                'partnumber' => new external_value(PARAM_INT, 'Part number'),
                'etag' => new external_value(PARAM_RAW, 'The ETag storage returned for it'),
            ]), 'Every part, in order'),
        ]);
    }

    /**
     * Complete and record.
     *
     * @param int $assignmentid assign instance id
     * @param string $uploadid multipart upload id
     * @param array $parts each ['partnumber' => int, 'etag' => string]
     * @return array
     */
    public static function execute(int $assignmentid, string $uploadid, array $parts): array {
        $params = self::validate_parameters(self::execute_parameters(), compact('assignmentid', 'uploadid', 'parts'));
        [$assign, $plugin, $submission, $actor] = self::own_submission($params['assignmentid']);
        $answer = sidecar_client::from_config()->complete_multipart((int)$assign->get_instance()->id,
            (int)$submission->id, $actor, $params['uploadid'], array_map(function(array $part): array {
                return ['part_number' => $part['partnumber'], 'etag' => $part['etag']];
            }, $params['parts']), true);
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
