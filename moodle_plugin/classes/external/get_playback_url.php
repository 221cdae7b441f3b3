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

use assignsubmission_s3video\actor;
use assignsubmission_s3video\sidecar_client;
use core_external\external_function_parameters;
use core_external\external_single_structure;
use core_external\external_value;

/**
 * A fresh signed URL to play a submission's video (for its student, the course's graders, admins).
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class get_playback_url extends base {

    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'assignmentid' => self::assignment_parameter(),
            'submissionid' => new external_value(PARAM_INT, 'The submission id (assign_submission.id)'),
            'renew' => new external_value(PARAM_BOOL,
                'A fresh URL for a video the player already shows (not counted as a view)', VALUE_DEFAULT, false),
        ]);
    }

    /**
     * Check that the user may see the submission, then ask the sidecar.
     *
     * @param int $assignmentid assign instance id
     * @param int $submissionid submission id
     * @param bool $renew the player renews the URL of the video it shows
     * @return array
     */
    public static function execute(int $assignmentid, int $submissionid, bool $renew = false): array {
        global $DB;
        $params = self::validate_parameters(self::execute_parameters(),
            compact('assignmentid', 'submissionid', 'renew'));
        [$assign, $plugin] = self::load_assignment($params['assignmentid']);
        $submission = $DB->get_record('assign_submission',
            ['id' => $params['submissionid'], 'assignment' => $assign->get_instance()->id]);
        if (!$submission) {
            throw new \moodle_exception('error:wrongsubmission', 'assignsubmission_s3video');
        }
        $allowed = $submission->userid ? $assign->can_view_submission($submission->userid)
            : $assign->can_view_group_submission($submission->groupid);
        if (!$allowed) {
            throw new \moodle_exception('error:accessdenied', 'assignsubmission_s3video');
        }
        [$sidecarassignment, $sidecarsubmission] = $plugin->sidecar_location($submission);
        $actor = actor::for_user_in_context($assign->get_context(), (int)$assign->get_course()->id, $submission);
        $answer = sidecar_client::from_config()->playback_url($sidecarassignment, $sidecarsubmission, $actor,
            $params['renew']);
        $media = is_array($answer['media'] ?? null) ? $answer['media'] : [];
        return [
            'url' => (string)$answer['url'],
            'expires_at' => (int)$answer['expires_at'],
            'mime_type' => (string)($answer['mime_type'] ?? ''),
            'poster_url' => (string)($answer['poster_url'] ?? ''),
            'codec' => (string)($media['video_codec'] ?? ''),
            'playseverywhere' => !empty($media['plays_everywhere']) || empty($media['video_codec']),
            'browsers' => implode(', ', array_map('strval', (array)($media['browsers'] ?? []))),
        ];
    }

    /**
     * Returns.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'url' => new external_value(PARAM_RAW, 'The signed URL'),
            'expires_at' => new external_value(PARAM_INT, 'Unix time when it stops working'),
            'mime_type' => new external_value(PARAM_RAW, 'The video\'s MIME type, for the player'),
            'poster_url' => new external_value(PARAM_RAW, 'A signed URL of its poster frame, or empty'),
            'codec' => new external_value(PARAM_RAW, 'Its video codec as the sidecar\'s probe found it, or empty'),
            'playseverywhere' => new external_value(PARAM_BOOL, 'Whether every common browser plays it (or unknown)'),
            'browsers' => new external_value(PARAM_RAW, 'The browsers that play it, when not every one does'),
        ]);
    }
}
