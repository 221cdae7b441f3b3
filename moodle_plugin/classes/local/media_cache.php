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

use assignsubmission_s3video\actor;
use assignsubmission_s3video\sidecar_client;

/**
 * A submission's poster URL and media facts for the page being rendered, fetched once per request.
 *
 * The grading table renders one summary per row. For a grader the first row asks the sidecar once
 * (POST .../posters) for every video of the assignment Moodle has recorded, in chunks of
 * {@see sidecar_client::MAX_POSTER_IDS} (only the chunk holding the row's submission is fetched), and
 * the other rows read the answer; on any other page only the one submission is asked for. A student
 * (who may not call posters) gets their own submission through GET submission. The answers are kept in
 * a static for the rest of the request; a sidecar that cannot answer costs one try a request, and the
 * page shows the video without its poster and details.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class media_cache {

    /** @var array "{sidecar assignment}/{sidecar submission}" => the sidecar's entry, or null when unknown. */
    private static $entries = [];

    /** @var array Chunks already asked for: "{sidecar assignment}/{chunk}" => true. */
    private static $asked = [];

    /** @var int How many sidecar calls this request made (tests and the e2e suite read it). */
    public static $calls = 0;

    /**
     * Forget what this request fetched (tests).
     *
     * @return void
     */
    public static function reset(): void {
        self::$entries = [];
        self::$asked = [];
        self::$calls = 0;
    }

    /**
     * The sidecar's entry for a submission's video: status, poster_url, duration, media, error.
     *
     * @param \assign $assign the assignment
     * @param \stdClass $submission assign_submission record
     * @param \stdClass $video Moodle's record of its video
     * @return array|null null when the sidecar could not say
     */
    public static function for_video(\assign $assign, \stdClass $submission, \stdClass $video): ?array {
        $sidecarassignment = (int)($video->sidecarassignment ?: $assign->get_instance()->id);
        $sidecarsubmission = (int)($video->sidecarsubmission ?: $submission->id);
        $key = "{$sidecarassignment}/{$sidecarsubmission}";
        if (array_key_exists($key, self::$entries)) {
            return self::$entries[$key];
        }
        $context = $assign->get_context();
        $courseid = (int)$assign->get_course()->id;
        if (has_capability('mod/assign:grade', $context)) {
            self::fetch_posters($sidecarassignment, $sidecarsubmission, actor::for_user_in_context($context, $courseid));
        } else {
            self::fetch_own($sidecarassignment, $sidecarsubmission,
                actor::for_user_in_context($context, $courseid, $submission));
        }
        return self::$entries[$key] ?? null;
    }

    /**
     * The ids to ask for with a submission: on the grading table every recorded video of the assignment
     * (the chunk holding this one), elsewhere this one alone.
     *
     * @param int $sidecarassignment the sidecar's assignment id
     * @param int $sidecarsubmission the sidecar's submission id of the row
     * @return array [chunk key, submission ids]
     */
    private static function batch(int $sidecarassignment, int $sidecarsubmission): array {
        global $DB, $PAGE;
        if ($PAGE->pagetype !== 'mod-assign-grading') { // A magic property: isset() would say no.
            return ["one:{$sidecarsubmission}", [$sidecarsubmission]];
        }
        $ids = array_map('intval', $DB->get_fieldset_select('assignsubmission_s3video', 'sidecarsubmission',
            'sidecarassignment = ? ORDER BY sidecarsubmission', [$sidecarassignment]));
        $ids = array_values(array_unique(array_filter($ids)));
        $position = array_search($sidecarsubmission, $ids, true);
        if ($position === false) {
            return ["one:{$sidecarsubmission}", [$sidecarsubmission]];
        }
        $chunk = intdiv((int)$position, sidecar_client::MAX_POSTER_IDS);
        return ["chunk:{$chunk}", array_slice($ids, $chunk * sidecar_client::MAX_POSTER_IDS,
            sidecar_client::MAX_POSTER_IDS)];
    }

    /**
     * Ask the sidecar for the posters of the batch holding a submission (one call), as a grader.
     *
     * @param int $sidecarassignment the sidecar's assignment id
     * @param int $sidecarsubmission the sidecar's submission id
     * @param actor $actor the grader
     * @return void
     */
    private static function fetch_posters(int $sidecarassignment, int $sidecarsubmission, actor $actor): void {
        [$chunk, $ids] = self::batch($sidecarassignment, $sidecarsubmission);
        if (isset(self::$asked["{$sidecarassignment}/{$chunk}"])) {
            self::$entries["{$sidecarassignment}/{$sidecarsubmission}"] = null;
            return;
        }
        self::$asked["{$sidecarassignment}/{$chunk}"] = true;
        foreach ($ids as $id) {
            self::$entries["{$sidecarassignment}/{$id}"] = null;
        }
        try {
            self::$calls++;
            $answer = sidecar_client::from_config()->posters($sidecarassignment, $ids, $actor);
        } catch (\moodle_exception $e) {
            return; // The page shows the videos without posters and details.
        }
        foreach ((array)($answer['posters'] ?? []) as $entry) {
            if (is_array($entry) && in_array((int)($entry['submission_id'] ?? 0), $ids, true)) {
                self::$entries["{$sidecarassignment}/" . (int)$entry['submission_id']] = self::entry($entry);
            }
        }
    }

    /**
     * Ask the sidecar about one's own submission (GET submission), as its student.
     *
     * @param int $sidecarassignment the sidecar's assignment id
     * @param int $sidecarsubmission the sidecar's submission id
     * @param actor $actor the student
     * @return void
     */
    private static function fetch_own(int $sidecarassignment, int $sidecarsubmission, actor $actor): void {
        $key = "{$sidecarassignment}/{$sidecarsubmission}";
        self::$entries[$key] = null;
        try {
            self::$calls++;
            $state = sidecar_client::from_config()->get_submission($sidecarassignment, $sidecarsubmission, $actor);
        } catch (\moodle_exception $e) {
            return;
        }
        $video = is_array($state['video'] ?? null) ? $state['video'] : [];
        self::$entries[$key] = self::entry([
            'status' => $video ? ($video['status'] ?? '') : 'empty',
            'poster_url' => $state['poster_url'] ?? null,
            'duration' => $video['duration'] ?? null,
            'media' => $video['media'] ?? null,
            'error' => $video['error'] ?? null,
        ]);
    }

    /**
     * The fields of an entry the views use, typed.
     *
     * @param array $entry the sidecar's entry
     * @return array
     */
    private static function entry(array $entry): array {
        return [
            'status' => (string)($entry['status'] ?? ''),
            'poster_url' => is_string($entry['poster_url'] ?? null) ? $entry['poster_url'] : '',
            'duration' => is_numeric($entry['duration'] ?? null) ? (int)$entry['duration'] : null,
            'media' => is_array($entry['media'] ?? null) ? $entry['media'] : null,
            'error' => is_string($entry['error'] ?? null) ? $entry['error'] : '',
        ];
    }
}
