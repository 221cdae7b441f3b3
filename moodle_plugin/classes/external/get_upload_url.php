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
 * Permission to upload one video: a presigned POST, or the answer "go multipart" for a large file.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class get_upload_url extends base {

    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return self::file_parameters();
    }

    /**
     * Check the file against the assignment's limits, then ask the sidecar.
     *
     * @param int $assignmentid assign instance id
     * @param string $filename file name
     * @param int $filesize bytes
     * @param string $mimetype MIME type
     * @return array
     */
    public static function execute(int $assignmentid, string $filename, int $filesize, string $mimetype): array {
        $params = self::validate_parameters(self::execute_parameters(), compact('assignmentid', 'filename', 'filesize',
            'mimetype'));
        [$assign, $plugin, $submission, $actor] = self::own_submission($params['assignmentid']);
        $plugin->check_file($params['filesize'], $params['mimetype']);

        $answer = sidecar_client::from_config()->request_upload((int)$assign->get_instance()->id,
            (int)$submission->id, $actor, $params['filename'], $params['filesize'], $params['mimetype']);
        $result = [
            'method' => (string)$answer['method'],
            'max_size' => (int)($answer['max_size'] ?? 0),
        ];
        foreach (['video_id', 'expires_at', 'multipart_threshold'] as $name) {
            if (isset($answer[$name])) {
                $result[$name] = (int)$answer[$name];
            }
        }
        if (isset($answer['s3_key'])) {
            $result['s3_key'] = (string)$answer['s3_key'];
        }
        if (isset($answer['upload']['url'])) {
            $fields = [];
            foreach ($answer['upload']['fields'] ?? [] as $name => $value) {
                $fields[] = ['name' => (string)$name, 'value' => (string)$value];
            }
            $result['upload'] = ['url' => (string)$answer['upload']['url'], 'fields' => $fields];
        }
        return $result;
    }

    /**
     * Returns.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'method' => new external_value(PARAM_ALPHA, '"post" (use upload) or "multipart" (use start_multipart)'),
            'max_size' => new external_value(PARAM_INT, 'The sidecar\'s size limit in bytes'),
            'video_id' => new external_value(PARAM_INT, 'The sidecar\'s id of the new video', VALUE_OPTIONAL),
            's3_key' => new external_value(PARAM_RAW, 'Where the upload goes; pass it to confirm_upload', VALUE_OPTIONAL),
            'expires_at' => new external_value(PARAM_INT, 'Unix time when the permission expires', VALUE_OPTIONAL),
            'multipart_threshold' => new external_value(PARAM_INT, 'Files above this size go multipart',
                VALUE_OPTIONAL),
            'upload' => new external_single_structure([
                'url' => new external_value(PARAM_RAW, 'The storage URL to POST the form to'),
                'fields' => new external_multiple_structure(new external_single_structure([
                    'name' => new external_value(PARAM_RAW, 'Form field name'),
                    'value' => new external_value(PARAM_RAW, 'Form field value'),
                ]), 'Form fields to send before the file, in this order'),
            ], 'The presigned POST, for method "post"', VALUE_OPTIONAL),
        ]);
    }
}
