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

namespace assignsubmission_s3video;

use assignsubmission_s3video\http\curl_transport;
use assignsubmission_s3video\http\transport;
use assignsubmission_s3video\http\transport_exception;

/**
 * The client of the video sidecar's HTTP API: signs every call with S3V1 and turns every refusal
 * into a {@see sidecar_exception} with its own message.
 *
 * Rules of this class:
 * - one method per call of the contract (ARCHITECTURE.md, "HTTP API"); paths are built from the
 *   Moodle assignment instance id and the submission id, each segment percent-encoded;
 * - the signing and HTTP core uses no Moodle API, so it loads and is tested outside Moodle; only
 *   {@see self::from_config()} reads Moodle's settings;
 * - nothing secret is ever put in an exception or a log line.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class sidecar_client {

    /** @var string Base URL without the trailing slash, e.g. http://127.0.0.1:6543. */
    private $baseurl;

    /** @var string The key id the sidecar knows our secret by. */
    private $keyid;

    /** @var string The shared secret. */
    private $secret;

    /** @var int Seconds allowed to connect. */
    private $connecttimeout;

    /** @var int Seconds allowed for a whole call. */
    private $timeout;

    /** @var transport Sends the requests. */
    private $transport;

    /** @var callable Returns the current Unix time. */
    private $clock;

    /** @var callable Returns a fresh nonce. */
    private $noncesource;

    /** @var int The most submission ids one posters() call may name (the sidecar refuses more). */
    const MAX_POSTER_IDS = 500;

    /** @var transport|null In Moodle's PHPUnit tests only: the transport {@see self::from_config()} uses. */
    public static $testtransport = null;

    /**
     * Constructor.
     *
     * @param string $baseurl the sidecar's URL, e.g. https://video.school.example
     * @param string $keyid key id
     * @param string $secret shared secret
     * @param array $options connecttimeout (seconds, default 5), timeout (seconds, default 30),
     *     transport ({@see transport}), clock (callable returning Unix seconds),
     *     nonce (callable returning a nonce) — the last two for tests
     */
    public function __construct(string $baseurl, string $keyid, string $secret, array $options = []) {
        $this->baseurl = rtrim($baseurl, '/');
        $this->keyid = $keyid;
        $this->secret = $secret;
        $this->connecttimeout = (int)($options['connecttimeout'] ?? 5);
        $this->timeout = (int)($options['timeout'] ?? 30);
        $this->transport = $options['transport'] ?? new curl_transport();
        $this->clock = $options['clock'] ?? 'time';
        $this->noncesource = $options['nonce'] ?? [s3v1::class, 'new_nonce'];
    }

    /**
     * The client configured by the site administrator (Site administration > Plugins > Submission
     * plugins > S3 video submissions).
     *
     * @return self
     * @throws sidecar_exception when the sidecar URL, key id or secret is missing
     */
    public static function from_config(): self {
        $config = get_config('assignsubmission_s3video');
        if (empty($config->sidecarurl) || empty($config->keyid) || empty($config->secret)) {
            throw new sidecar_exception(sidecar_exception::NOTCONFIGURED);
        }
        $options = [
            'connecttimeout' => (int)($config->connecttimeout ?? 0) ?: 5,
            'timeout' => (int)($config->timeout ?? 0) ?: 30,
        ];
        if (self::$testtransport !== null && defined('PHPUNIT_TEST') && PHPUNIT_TEST) {
            $options['transport'] = self::$testtransport;
        }
        return new self($config->sidecarurl, $config->keyid, $config->secret, $options);
    }

    /**
     * The headers of a signed request, as {@see self::request()} sends them.
     *
     * @param string $method HTTP method
     * @param string $path path as sent
     * @param string $querystring raw query string
     * @param actor $actor who is calling
     * @param string $body exact body bytes
     * @return array header name => value
     */
    public function sign(string $method, string $path, string $querystring, actor $actor, string $body): array {
        return s3v1::sign_headers($this->keyid, $this->secret, $method, $path, $querystring, $actor->to_header(),
            $body, (int)call_user_func($this->clock), (string)call_user_func($this->noncesource));
    }

    /**
     * Make one call and return its decoded JSON answer.
     *
     * @param string $method HTTP method
     * @param array $segments raw path segments, encoded here one by one
     * @param actor|null $actor who is calling; null for the unsigned calls (GET /health)
     * @param array|null $body JSON body, or null for none
     * @param array $query query parameters name => value
     * @return array the decoded answer ([] for an empty one, e.g. 202 or 204)
     * @throws sidecar_exception for any error status or when no answer came
     */
    public function request(string $method, array $segments, ?actor $actor, ?array $body = null,
            array $query = []): array {
        $path = parse_url($this->baseurl, PHP_URL_PATH) . s3v1::path($segments);
        $querystring = http_build_query($query, '', '&', PHP_QUERY_RFC3986);
        $bodytext = $body === null ? '' : json_encode($body,
            JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE | JSON_THROW_ON_ERROR);
        $headers = ['Accept' => 'application/json'];
        if ($body !== null) {
            $headers['Content-Type'] = 'application/json';
        }
        if ($actor !== null) {
            $headers += $this->sign($method, $path, $querystring, $actor, $bodytext);
        }
        $url = $this->baseurl . s3v1::path($segments) . ($querystring === '' ? '' : '?' . $querystring);
        $request = $method . ' ' . $path;
        try {
            $response = $this->transport->send($method, $url, $headers, $bodytext, $this->connecttimeout,
                $this->timeout);
        } catch (transport_exception $e) {
            throw sidecar_exception::unreachable($request, $e->getMessage());
        }

        $decoded = $response->body === '' ? [] : json_decode($response->body, true);
        if ($response->status >= 200 && $response->status < 300) {
            if (!is_array($decoded)) {
                throw new sidecar_exception(sidecar_exception::UNEXPECTED, $response->status,
                    "{$request}: the answer is not a JSON object", $response->status);
            }
            return $decoded;
        }
        $retryafter = $response->header('Retry-After');
        throw sidecar_exception::from_response($response->status, is_array($decoded) ? $decoded : [],
            $retryafter !== null && ctype_digit($retryafter) ? (int)$retryafter : null, $request);
    }

    /**
     * GET /health (unsigned): the sidecar checks its database and storage.
     *
     * @return array e.g. ['status' => 'ok', ...]
     */
    public function health(): array {
        return $this->request('GET', ['health'], null);
    }

    /**
     * GET /assignments/{a}/submissions/{s}: the submission's current video.
     *
     * @param int $assignment Moodle assign instance id
     * @param int $submission Moodle assign_submission id
     * @param actor $actor who is asking
     * @return array the video state, e.g. ['status' => 'ready', ...]
     */
    public function get_submission(int $assignment, int $submission, actor $actor): array {
        return $this->request('GET', self::submission_path($assignment, $submission), $actor);
    }

    /**
     * POST .../upload-url: permission to upload one file.
     *
     * @param int $assignment assign instance id
     * @param int $submission submission id
     * @param actor $actor the student
     * @param string $filename the file's name
     * @param int $size its size in bytes
     * @param string $mimetype its MIME type
     * @return array video_id, s3_key, expires_at, max_size, method ("post" with upload.url and
     *     upload.fields, or "multipart")
     */
    public function request_upload(int $assignment, int $submission, actor $actor, string $filename, int $size,
            string $mimetype): array {
        return $this->request('POST', self::submission_path($assignment, $submission, 'upload-url'), $actor,
            ['filename' => $filename, 'size' => $size, 'mime_type' => $mimetype]);
    }

    /**
     * POST .../confirm: the sidecar checks the uploaded object and marks the video ready.
     *
     * @param int $assignment assign instance id
     * @param int $submission submission id
     * @param actor $actor the student
     * @param string $s3key the key the upload went to
     * @param bool $draft keep it a draft: ready, but not (yet) the submission's current video (C2)
     * @return array status, video_id, file_size, mime_type, checksum_sha256, checksum_type, current, ...
     */
    public function confirm_upload(int $assignment, int $submission, actor $actor, string $s3key,
            bool $draft = false): array {
        $body = ['s3_key' => $s3key];
        if ($draft) {
            $body['draft'] = true;
        }
        return $this->request('POST', self::submission_path($assignment, $submission, 'confirm'), $actor, $body);
    }

    /**
     * POST .../current: make a ready video of the submission (a draft) its current video (C3).
     *
     * The previous current video and any other drafts go to deletion. Idempotent.
     *
     * @param int $assignment assign instance id
     * @param int $submission submission id
     * @param actor $actor the owner, a team member or admin
     * @param int $videoid the sidecar's video id (confirm's video_id)
     * @return array as {@see self::confirm_upload()}, with current true
     */
    public function make_current(int $assignment, int $submission, actor $actor, int $videoid): array {
        return $this->request('POST', self::submission_path($assignment, $submission, 'current'), $actor,
            ['video_id' => $videoid]);
    }

    /**
     * POST .../copy-from: give this submission a current video that shares another submission's (C6).
     *
     * Admin only (Moodle's restore, acting as the site for the target course). Idempotent.
     *
     * @param int $assignment the target assign instance id
     * @param int $submission the target submission id
     * @param actor $actor admin, course = the target course
     * @param int $sourceassignment the source assign instance id
     * @param int $sourcesubmission the source submission id
     * @param int $userid the owner of the target submission
     * @param int|null $groupid the team submission's group, if it is one
     * @return array as {@see self::get_submission()}
     */
    public function copy_from(int $assignment, int $submission, actor $actor, int $sourceassignment,
            int $sourcesubmission, int $userid, ?int $groupid = null): array {
        $body = ['assignment_id' => $sourceassignment, 'submission_id' => $sourcesubmission, 'user_id' => $userid];
        if ($groupid !== null) {
            $body['group_id'] = $groupid;
        }
        return $this->request('POST', self::submission_path($assignment, $submission, 'copy-from'), $actor, $body);
    }

    /**
     * GET /whoami (signed, changes nothing): proves the sidecar accepts our key (C7).
     *
     * @param actor $actor who is asking
     * @return array key_id, actor
     */
    public function whoami(actor $actor): array {
        return $this->request('GET', ['whoami'], $actor);
    }

    /**
     * GET .../playback-url: a signed URL to play the current video.
     *
     * @param int $assignment assign instance id
     * @param int $submission submission id
     * @param actor $actor owner, grader or admin
     * @param bool $renew a fresh URL for a video the player already shows (not counted as a view)
     * @return array url, expires_at, mime_type
     */
    public function playback_url(int $assignment, int $submission, actor $actor, bool $renew = false): array {
        return $this->request('GET', self::submission_path($assignment, $submission, 'playback-url'), $actor,
            null, $renew ? ['renew' => 'true'] : []);
    }

    /**
     * POST /assignments/{a}/posters: for a page of the grading table, in one call, each submission's
     * signed poster URL and the probe's media facts (graders of the course and admins).
     *
     * @param int $assignment assign instance id
     * @param int[] $submissionids 1 to {@see self::MAX_POSTER_IDS} distinct submission ids
     * @param actor $actor a grader of the course, or admin
     * @return array assignment_id, expires_at, posters (each submission_id, status, video_id, poster_url,
     *     duration, media, error; in the order asked)
     */
    public function posters(int $assignment, array $submissionids, actor $actor): array {
        return $this->request('POST', ['assignments', $assignment, 'posters'], $actor,
            ['submission_ids' => array_map('intval', array_values($submissionids))]);
    }

    /**
     * DELETE /assignments/{a}/submissions/{s}: the video is scheduled for deletion.
     *
     * @param int $assignment assign instance id
     * @param int $submission submission id
     * @param actor $actor owner or admin
     * @return array
     */
    public function delete_submission(int $assignment, int $submission, actor $actor): array {
        return $this->request('DELETE', self::submission_path($assignment, $submission), $actor);
    }

    /**
     * DELETE /assignments/{a}: every video of the assignment is scheduled for deletion.
     *
     * @param int $assignment assign instance id
     * @param actor $actor admin
     * @param int $retainseconds keep the videos restorable at least this long (C5: Moodle's recycle bin)
     * @return array
     */
    public function delete_assignment(int $assignment, actor $actor, int $retainseconds = 0): array {
        return $this->request('DELETE', ['assignments', $assignment], $actor, null,
            $retainseconds > 0 ? ['retain_seconds' => $retainseconds] : []);
    }

    /**
     * POST .../multipart: start a multipart upload.
     *
     * @param int $assignment assign instance id
     * @param int $submission submission id
     * @param actor $actor the student
     * @param string $filename file name
     * @param int $size size in bytes
     * @param string $mimetype MIME type
     * @param string|null $fingerprint the browser's fingerprint of the file, to resume after a reload
     * @return array video_id, s3_key, upload_id, part_size, part_count, expires_at
     */
    public function start_multipart(int $assignment, int $submission, actor $actor, string $filename, int $size,
            string $mimetype, ?string $fingerprint = null): array {
        $body = ['filename' => $filename, 'size' => $size, 'mime_type' => $mimetype];
        if ($fingerprint !== null && $fingerprint !== '') {
            $body['fingerprint'] = $fingerprint;
        }
        return $this->request('POST', self::submission_path($assignment, $submission, 'multipart'), $actor, $body);
    }

    /**
     * POST .../multipart/{upload_id}/parts: presigned URLs for some parts.
     *
     * @param int $assignment assign instance id
     * @param int $submission submission id
     * @param actor $actor the student
     * @param string $uploadid the multipart upload id
     * @param int[] $partnumbers part numbers (1-based)
     * @param array $checksums part number => base64 SHA-256 of the part, bound into its URL (optional)
     * @return array parts (part_number, url), expires_at
     */
    public function sign_parts(int $assignment, int $submission, actor $actor, string $uploadid,
            array $partnumbers, array $checksums = []): array {
        $body = ['part_numbers' => array_map('intval', array_values($partnumbers))];
        if ($checksums) {
            $body['checksums'] = (object)array_map('strval', $checksums);
        }
        return $this->request('POST', self::submission_path($assignment, $submission, 'multipart', $uploadid, 'parts'),
            $actor, $body);
    }

    /**
     * GET .../multipart/{upload_id}: the parts S3 already holds, for resuming.
     *
     * @param int $assignment assign instance id
     * @param int $submission submission id
     * @param actor $actor the student
     * @param string $uploadid the multipart upload id
     * @return array parts (part_number, etag, size)
     */
    public function list_parts(int $assignment, int $submission, actor $actor, string $uploadid): array {
        return $this->request('GET', self::submission_path($assignment, $submission, 'multipart', $uploadid), $actor);
    }

    /**
     * POST .../multipart/{upload_id}/complete: assemble the parts, then check like confirm.
     *
     * @param int $assignment assign instance id
     * @param int $submission submission id
     * @param actor $actor the student
     * @param string $uploadid the multipart upload id
     * @param array $parts each ['part_number' => int, 'etag' => string]
     * @param bool $draft keep it a draft (see {@see self::confirm_upload()})
     * @return array as {@see self::confirm_upload()}
     */
    public function complete_multipart(int $assignment, int $submission, actor $actor, string $uploadid,
            array $parts, bool $draft = false): array {
        $body = ['parts' => array_map(function(array $part): array {
            return ['part_number' => (int)$part['part_number'], 'etag' => (string)$part['etag']];
        }, array_values($parts))];
        if ($draft) {
            $body['draft'] = true;
        }
        return $this->request('POST',
            self::submission_path($assignment, $submission, 'multipart', $uploadid, 'complete'), $actor, $body);
    }

    /**
     * DELETE .../multipart/{upload_id}: abort the upload.
     *
     * @param int $assignment assign instance id
     * @param int $submission submission id
     * @param actor $actor the student
     * @param string $uploadid the multipart upload id
     * @return array [] (204)
     */
    public function abort_multipart(int $assignment, int $submission, actor $actor, string $uploadid): array {
        return $this->request('DELETE', self::submission_path($assignment, $submission, 'multipart', $uploadid),
            $actor);
    }

    /**
     * GET /privacy/users/{u}: everything the sidecar holds about a user (in one assignment, if given).
     *
     * @param int $userid Moodle user id
     * @param actor $actor admin
     * @param int|null $assignment only this assign instance id
     * @return array user_id, submissions, videos (each with assignment_id, submission_id, download_url), events
     */
    public function privacy_export_user(int $userid, actor $actor, ?int $assignment = null): array {
        return $this->request('GET', ['privacy', 'users', $userid], $actor, null,
            $assignment === null ? [] : ['assignment' => $assignment]);
    }

    /**
     * DELETE /privacy/users/{u}: erase a user (videos deleted, events anonymised).
     *
     * @param int $userid Moodle user id
     * @param actor $actor admin
     * @return array
     */
    public function privacy_erase_user(int $userid, actor $actor): array {
        return $this->request('DELETE', ['privacy', 'users', $userid], $actor);
    }

    /**
     * POST /privacy/assignments/{a}/erase: erase some users' data in one assignment.
     *
     * @param int $assignment assign instance id
     * @param int[] $userids Moodle user ids
     * @param actor $actor admin
     * @return array
     */
    public function privacy_erase_assignment_users(int $assignment, array $userids, actor $actor): array {
        return $this->request('POST', ['privacy', 'assignments', $assignment, 'erase'], $actor,
            ['users' => array_map('intval', array_values($userids))]);
    }

    /**
     * Erase every user's videos and events in an assignment (privacy: a whole context goes).
     *
     * @param int $assignment assign instance id
     * @param actor $actor who asks
     * @return array the sidecar's answer
     */
    public function privacy_erase_assignment(int $assignment, actor $actor): array {
        return $this->request('POST', ['privacy', 'assignments', $assignment, 'erase'], $actor, ['all_users' => true]);
    }

    /**
     * Path segments of a submission resource.
     *
     * @param int $assignment assign instance id
     * @param int $submission submission id
     * @param string ...$more further segments
     * @return array
     */
    private static function submission_path(int $assignment, int $submission, string ...$more): array {
        return array_merge(['assignments', $assignment, 'submissions', $submission], $more);
    }
}
