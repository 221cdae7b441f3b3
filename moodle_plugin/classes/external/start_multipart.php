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
 * Start (or resume, for the same file) a multipart upload of a large video.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class start_multipart extends base {

    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return self::file_parameters([
            'fingerprint' => new external_value(PARAM_RAW_TRIMMED,
                'The browser\'s fingerprint of the file (8-128 of A-Za-z0-9_.:-), to resume it later', VALUE_DEFAULT, ''),
        ]);
    }

    /**
     * Check the file against the assignment's limits, then ask the sidecar.
     *
     * @param int $assignmentid assign instance id
     * @param string $filename file name
     * @param int $filesize bytes
     * @param string $mimetype MIME type
     * @param string $fingerprint the file's fingerprint, '' for none
     * @return array
     */
    public static function execute(int $assignmentid, string $filename, int $filesize, string $mimetype,
            string $fingerprint = ''): array {
        $params = self::validate_parameters(self::execute_parameters(), compact('assignmentid', 'filename', 'filesize',
            'mimetype', 'fingerprint'));
        [$assign, $plugin, $submission, $actor] = self::own_submission($params['assignmentid']);
        $plugin->check_file($params['filesize'], $params['mimetype']);
        $answer = sidecar_client::from_config()->start_multipart((int)$assign->get_instance()->id,
            (int)$submission->id, $actor, $params['filename'], $params['filesize'], $params['mimetype'],
            $params['fingerprint'] === '' ? null : $params['fingerprint']);
        return [
            'video_id' => (int)$answer['video_id'],
            's3_key' => (string)$answer['s3_key'],
            'upload_id' => (string)$answer['upload_id'],
            'part_size' => (int)$answer['part_size'],
            'part_count' => (int)$answer['part_count'],
            'expires_at' => (int)$answer['expires_at'],
            'checksum_algorithm' => (string)($answer['checksum_algorithm'] ?? ''),
            'resumed' => !empty($answer['resumed']),
        ];
    }

    /**
     * Returns.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'video_id' => new external_value(PARAM_INT, 'The sidecar\'s id of the video'),
            's3_key' => new external_value(PARAM_RAW, 'Where the video goes'),
            'upload_id' => new external_value(PARAM_RAW, 'The multipart upload id'),
            'part_size' => new external_value(PARAM_INT, 'Bytes per part (the last part may be smaller)'),
            'part_count' => new external_value(PARAM_INT, 'Number of parts'),
            'expires_at' => new external_value(PARAM_INT, 'Unix time when the upload expires'),
            'checksum_algorithm' => new external_value(PARAM_ALPHANUM, 'Checksum each part carries, e.g. SHA256, or ""'),
            'resumed' => new external_value(PARAM_BOOL, 'Whether an earlier upload of the same file goes on'),
        ]);
    }
}
