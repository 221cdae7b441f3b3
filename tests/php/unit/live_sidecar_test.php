<?php
// This file is part of the s3video project - GPL v3 or later.

namespace assignsubmission_s3video;

use PHPUnit\Framework\TestCase;

require_once(__DIR__ . '/refusal_assertions.php');

/**
 * The PHP client against the real sidecar over HTTP (tests/php/test_phpunit.py starts it on
 * development-like settings and passes its URL and key in the environment).
 *
 * Every call goes through the production curl transport. The error tests check both sides of the
 * contract: the sidecar's status and code, and the Moodle exception the plugin turns it into.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \assignsubmission_s3video\sidecar_client
 * @covers     \assignsubmission_s3video\http\curl_transport
 */
final class live_sidecar_test extends TestCase {
    use refusal_assertions;

    /** @var string Sidecar URL. */
    private $url;

    /** @var int Fresh assignment id for this test. */
    private $assignment;

    /** @var int Fresh submission id. */
    private $submission;

    /** @var int Fresh course id. */
    private $course;

    /** @var int The submitting student. */
    private $student;

    /**
     * Skip (the wrapper turns skips into failures) when no sidecar is given; pick fresh ids.
     */
    protected function setUp(): void {
        $this->url = (string)getenv('S3VIDEO_SIDECAR_URL');
        if ($this->url === '') {
            $this->markTestSkipped('S3VIDEO_SIDECAR_URL is not set: run tests/php/test_phpunit.py');
        }
        // Far above the ids the Python tests use, so tests sharing the sidecar's database never meet.
        $base = random_int(1000000, 9000000) * 1000000;
        [$this->assignment, $this->submission, $this->course, $this->student] = [$base + 1, $base + 2, $base + 3, $base + 4];
    }

    /**
     * A client with the test key, or with overrides.
     *
     * @param array $options client options (clock, nonce, ...)
     * @param string|null $secret a different secret
     * @param string|null $keyid a different key id
     * @return sidecar_client
     */
    private function client(array $options = [], ?string $secret = null, ?string $keyid = null): sidecar_client {
        return new sidecar_client($this->url, $keyid ?? (string)getenv('S3VIDEO_KEY_ID'),
            $secret ?? (string)getenv('S3VIDEO_SECRET'), $options + ['connecttimeout' => 5, 'timeout' => 30]);
    }

    /**
     * The submitting student.
     *
     * @return actor
     */
    private function student(): actor {
        return new actor($this->student, [actor::STUDENT], $this->course);
    }

    /**
     * Random bytes that start as an MP4 (confirm checks the container signature): the test MP4
     * header of tests/support/videos.py, passed by tests/php/test_phpunit.py, then random padding.
     *
     * @param int $size the length wanted
     * @return string
     */
    private static function video(int $size): string {
        $header = base64_decode((string)getenv('S3VIDEO_TEST_MP4_HEADER'), true);
        if ($header === false || $header === '') {
            throw new \RuntimeException('S3VIDEO_TEST_MP4_HEADER is not set (run through tests/php/test_phpunit.py)');
        }
        return $header . random_bytes($size - strlen($header));
    }

    /**
     * Send bytes to a presigned POST as a browser would.
     *
     * @param array $upload the upload-url answer's upload (url, fields)
     * @param string $bytes the file
     * @return int HTTP status
     */
    private static function post_to_storage(array $upload, string $bytes): int {
        $form = $upload['fields'];
        $form['file'] = new \CURLStringFile($bytes, 'clip.mp4', 'video/mp4');
        $handle = curl_init($upload['url']);
        curl_setopt_array($handle, [CURLOPT_POST => true, CURLOPT_POSTFIELDS => $form, CURLOPT_RETURNTRANSFER => true,
            CURLOPT_TIMEOUT => 30]);
        curl_exec($handle);
        $status = (int)curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
        curl_close($handle);
        return $status;
    }

    /**
     * An HTTP request outside the client (storage and edge URLs).
     *
     * @param string $method method
     * @param string $url URL
     * @param string|null $body body
     * @return array [status, headers, body]
     */
    private static function http(string $method, string $url, ?string $body = null): array {
        $headers = [];
        $handle = curl_init($url);
        curl_setopt_array($handle, [CURLOPT_CUSTOMREQUEST => $method, CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 30,
            CURLOPT_HEADERFUNCTION => function($handle, $line) use (&$headers) {
                $parts = explode(':', $line, 2);
                if (count($parts) === 2) {
                    $headers[strtolower(trim($parts[0]))] = trim($parts[1]);
                }
                return strlen($line);
            }]);
        if ($body !== null) {
            curl_setopt($handle, CURLOPT_POSTFIELDS, $body);
        }
        $answer = curl_exec($handle);
        $status = (int)curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
        curl_close($handle);
        return [$status, $headers, (string)$answer];
    }

    /**
     * GET /health needs no signature and reports a working sidecar.
     */
    public function test_health(): void {
        $this->assertSame('ok', $this->client()->health()['status']);
    }

    /**
     * A signed GET of a submission: 404 before any upload, 200 with a status afterwards.
     */
    public function test_signed_get_submission(): void {
        $client = $this->client();
        $e = $this->refused(function() use ($client) {
            $client->get_submission($this->assignment, $this->submission, $this->student());
        });
        $this->assertSame(404, $e->status);
        $this->assertSame('error:notfound', $e->errorcode);

        $grant = $client->request_upload($this->assignment, $this->submission, $this->student(), 'talk.mp4', 2048,
            'video/mp4');
        $this->assertSame('post', $grant['method']);
        $state = $client->get_submission($this->assignment, $this->submission, $this->student());
        $this->assertArrayHasKey('status', $state);
        $this->assertSame($this->submission, $state['submission_id']);
        $this->assertSame($this->student, $state['user_id']);
    }

    /**
     * The whole flow through the PHP client: upload URL, POST to storage, confirm, play, delete.
     */
    public function test_upload_confirm_play_delete(): void {
        $client = $this->client();
        $bytes = self::video(4096);
        $grant = $client->request_upload($this->assignment, $this->submission, $this->student(), 'my talk.mp4',
            strlen($bytes), 'video/mp4');
        $this->assertStringStartsWith("videos/{$this->student}/", $grant['s3_key']);
        $this->assertGreaterThan(time(), $grant['expires_at']);
        $this->assertContains(self::post_to_storage($grant['upload'], $bytes), [200, 201, 204]);

        $confirmed = $client->confirm_upload($this->assignment, $this->submission, $this->student(), $grant['s3_key']);
        $this->assertSame('ready', $confirmed['status']);
        $this->assertSame(strlen($bytes), $confirmed['file_size']);
        $this->assertSame('video/mp4', $confirmed['mime_type']);
        // Confirming again changes nothing (the plugin's save() relies on this).
        $this->assertSame('ready', $client->confirm_upload($this->assignment, $this->submission, $this->student(),
            $grant['s3_key'])['status']);

        $playback = $client->playback_url($this->assignment, $this->submission, $this->student());
        $this->assertSame('video/mp4', $playback['mime_type']);
        [$status, , $body] = self::http('GET', $playback['url']);
        $this->assertSame(200, $status);
        $this->assertSame($bytes, $body);

        // A grader of the course may play it too; a grader of another course may not.
        $grader = new actor($this->student + 10, [actor::GRADER], $this->course);
        $this->assertArrayHasKey('url', $client->playback_url($this->assignment, $this->submission, $grader));
        $outsider = new actor($this->student + 10, [actor::GRADER], $this->course + 1);
        $this->assertSame(403, $this->refused(function() use ($client, $outsider) {
            $client->playback_url($this->assignment, $this->submission, $outsider);
        })->status);

        $deleted = $client->delete_submission($this->assignment, $this->submission, $this->student());
        $this->assertArrayHasKey('status', $deleted);
        $e = $this->refused(function() use ($client) {
            $client->playback_url($this->assignment, $this->submission, $this->student());
        });
        $this->assertSame('error:notfound', $e->errorcode);
    }

    /**
     * A team submission: one member uploads, another of the same group plays and replaces it; a
     * student of another group is refused.
     */
    public function test_team_submission_is_shared_by_its_group(): void {
        $client = $this->client();
        $first = new actor($this->student, [actor::STUDENT], $this->course, 7);
        $teammate = new actor($this->student + 1, [actor::STUDENT], $this->course, 7);
        $outsider = new actor($this->student + 2, [actor::STUDENT], $this->course, 8);
        $bytes = self::video(2048);
        $grant = $client->request_upload($this->assignment, $this->submission, $first, 'team.mp4', strlen($bytes),
            'video/mp4');
        $this->assertContains(self::post_to_storage($grant['upload'], $bytes), [200, 201, 204]);
        $client->confirm_upload($this->assignment, $this->submission, $first, $grant['s3_key']);

        [$status, , $body] = self::http('GET', $client->playback_url($this->assignment, $this->submission,
            $teammate)['url']);
        $this->assertSame([200, $bytes], [$status, $body]);
        $again = $client->request_upload($this->assignment, $this->submission, $teammate, 'better.mp4', 10,
            'video/mp4');
        $this->assertStringStartsWith('videos/' . ($this->student + 1) . '/', $again['s3_key']);
        $e = $this->refused(function() use ($client, $outsider) {
            $client->get_submission($this->assignment, $this->submission, $outsider);
        });
        $this->assertSame([403, 'error:accessdenied'], [$e->status, $e->errorcode]);
    }

    /**
     * A large file goes multipart: start, sign, PUT the parts, list them, complete.
     */
    public function test_multipart_upload(): void {
        $client = $this->client();
        // Just above the sidecar's single-POST threshold (a setting, read from its answer).
        $probe = $client->request_upload($this->assignment, $this->submission, $this->student(), 'long.mp4',
            $client->request_upload($this->assignment, $this->submission, $this->student(), 'a.mp4', 100,
                'video/mp4')['max_size'], 'video/mp4');
        $this->assertSame('multipart', $probe['method']);
        $size = min($probe['max_size'], $probe['multipart_threshold'] + 1024 * 1024);
        $grant = $client->request_upload($this->assignment, $this->submission, $this->student(), 'long.mp4', $size,
            'video/mp4');
        $this->assertSame('multipart', $grant['method']);

        $bytes = self::video($size);
        $started = $client->start_multipart($this->assignment, $this->submission, $this->student(), 'long.mp4', $size,
            'video/mp4', 'fp-' . bin2hex(random_bytes(8)));
        $this->assertSame((int)ceil($size / $started['part_size']), $started['part_count']);
        $this->assertGreaterThan(1, $started['part_count']);
        $numbers = range(1, $started['part_count']);
        $checksums = [];
        foreach ($numbers as $number) {
            $chunk = substr($bytes, ($number - 1) * $started['part_size'], $started['part_size']);
            $checksums[$number] = base64_encode(hash('sha256', $chunk, true));
        }
        $signed = $client->sign_parts($this->assignment, $this->submission, $this->student(), $started['upload_id'],
            $numbers, $started['checksum_algorithm'] ?? false ? $checksums : []);
        $this->assertCount($started['part_count'], $signed['parts']);

        $parts = [];
        foreach ($signed['parts'] as $part) {
            $number = $part['part_number'];
            $chunk = substr($bytes, ($number - 1) * $started['part_size'], $started['part_size']);
            $handle = curl_init($part['url']);
            $headers = [];
            curl_setopt_array($handle, [CURLOPT_CUSTOMREQUEST => 'PUT', CURLOPT_POSTFIELDS => $chunk,
                CURLOPT_RETURNTRANSFER => true, CURLOPT_HTTPHEADER => !empty($started['checksum_algorithm'])
                    ? ['x-amz-checksum-sha256: ' . $checksums[$number], 'Content-Type:'] : ['Content-Type:'],
                CURLOPT_HEADERFUNCTION => function($handle, $line) use (&$headers) {
                    $pieces = explode(':', $line, 2);
                    if (count($pieces) === 2) {
                        $headers[strtolower(trim($pieces[0]))] = trim($pieces[1]);
                    }
                    return strlen($line);
                }]);
            curl_exec($handle);
            $this->assertSame(200, (int)curl_getinfo($handle, CURLINFO_RESPONSE_CODE));
            curl_close($handle);
            $parts[] = ['part_number' => $number, 'etag' => $headers['etag']];
        }
        $listed = $client->list_parts($this->assignment, $this->submission, $this->student(), $started['upload_id']);
        $this->assertSame($numbers, array_column($listed['parts'], 'part_number'));
        $this->assertSame($size, array_sum(array_column($listed['parts'], 'size')));

        $done = $client->complete_multipart($this->assignment, $this->submission, $this->student(),
            $started['upload_id'], $parts);
        $this->assertSame('ready', $done['status']);
        $this->assertSame($size, $done['file_size']);
    }

    /**
     * Aborting a multipart upload answers 204, and the upload is gone.
     */
    public function test_abort_multipart(): void {
        $client = $this->client();
        $started = $client->start_multipart($this->assignment, $this->submission, $this->student(), 'long.mp4',
            6 * 1024 * 1024, 'video/mp4');
        $this->assertSame([], $client->abort_multipart($this->assignment, $this->submission, $this->student(),
            $started['upload_id']));
        $e = $this->refused(function() use ($client, $started) {
            $client->list_parts($this->assignment, $this->submission, $this->student(), $started['upload_id']);
        });
        $this->assertSame(409, $e->status);
        $this->assertSame('error:conflict', $e->errorcode);
    }

    /**
     * A tampered secret: 401 bad_signature.
     */
    public function test_tampered_secret_is_bad_signature(): void {
        $client = $this->client([], getenv('S3VIDEO_SECRET') . 'x');
        $e = $this->refused(function() use ($client) {
            $client->get_submission($this->assignment, $this->submission, $this->student());
        });
        $this->assertSame(401, $e->status);
        $this->assertSame('bad_signature', $e->sidecarcode);
        $this->assertSame('error:auth', $e->errorcode);
        $this->assertStringNotContainsString((string)getenv('S3VIDEO_SECRET'), $e->debuginfo . $e->getMessage());
    }

    /**
     * An unknown key id: 401 unknown_key.
     */
    public function test_unknown_key(): void {
        $client = $this->client([], null, 'no-such-key');
        $e = $this->refused(function() use ($client) {
            $client->get_submission($this->assignment, $this->submission, $this->student());
        });
        $this->assertSame(401, $e->status);
        $this->assertSame('unknown_key', $e->sidecarcode);
    }

    /**
     * During a key rotation the sidecar accepts the second key as well.
     */
    public function test_rotated_key_is_accepted(): void {
        if (!getenv('S3VIDEO_OTHER_KEY_ID')) {
            $this->markTestSkipped('S3VIDEO_OTHER_KEY_ID is not set');
        }
        $client = $this->client([], (string)getenv('S3VIDEO_OTHER_SECRET'), (string)getenv('S3VIDEO_OTHER_KEY_ID'));
        $grant = $client->request_upload($this->assignment, $this->submission, $this->student(), 'a.mp4', 10, 'video/mp4');
        $this->assertSame('post', $grant['method']);
    }

    /**
     * A date more than 300 s off the sidecar's clock: 401 stale_date, either way.
     */
    public function test_stale_date(): void {
        foreach ([-301 - 5, 301 + 5] as $skew) {
            $client = $this->client(['clock' => function() use ($skew) {
                return time() + $skew;
            }]);
            $e = $this->refused(function() use ($client) {
                $client->get_submission($this->assignment, $this->submission, $this->student());
            });
            $this->assertSame(401, $e->status, "skew {$skew}");
            $this->assertSame('stale_date', $e->sidecarcode, "skew {$skew}");
        }
    }

    /**
     * The same nonce twice: the second request is 401 replayed_nonce.
     */
    public function test_replayed_nonce(): void {
        $nonce = 'replay_' . bin2hex(random_bytes(12));
        $client = $this->client(['nonce' => function() use ($nonce) {
            return $nonce;
        }]);
        $first = $this->refused(function() use ($client) {
            $client->get_submission($this->assignment, $this->submission, $this->student());
        });
        $this->assertSame(404, $first->status); // Accepted: the submission just does not exist.
        $second = $this->refused(function() use ($client) {
            $client->get_submission($this->assignment, $this->submission, $this->student());
        });
        $this->assertSame(401, $second->status);
        $this->assertSame('replayed_nonce', $second->sidecarcode);
    }

    /**
     * Each error status of the contract the sidecar can be driven to, and its Moodle exception.
     */
    public function test_error_statuses_map_to_exceptions(): void {
        $client = $this->client();
        $student = $this->student();

        // The sidecar's limit is a setting: read it from an accepted request, then go one byte over.
        $maxsize = $client->request_upload($this->assignment, $this->submission, $student, 'a.mp4', 100,
            'video/mp4')['max_size'];
        $e = $this->refused(function() use ($client, $student, $maxsize) {
            $client->request_upload($this->assignment, $this->submission, $student, 'huge.mp4', $maxsize + 1,
                'video/mp4');
        });
        $this->assertSame([413, 'error:toolarge'], [$e->status, $e->errorcode]);

        $e = $this->refused(function() use ($client, $student) {
            $client->request_upload($this->assignment, $this->submission, $student, 'clip.xyz', 1000,
                'video/x-never-allowed');
        });
        $this->assertSame([415, 'error:typenotallowed'], [$e->status, $e->errorcode]);

        $e = $this->refused(function() use ($client, $student) {
            $client->request_upload($this->assignment, $this->submission, $student, '', 0, 'video/mp4');
        });
        $this->assertSame([400, 'error:invalid'], [$e->status, $e->errorcode]);
        $this->assertArrayHasKey('filename', $e->fields);
        $this->assertArrayHasKey('size', $e->fields);

        $grant = $client->request_upload($this->assignment, $this->submission, $student, 'a.mp4', 100, 'video/mp4');
        $e = $this->refused(function() use ($client, $student, $grant) {
            $client->confirm_upload($this->assignment, $this->submission, $student, $grant['s3_key']);
        });
        $this->assertSame([409, 'error:conflict'], [$e->status, $e->errorcode]);

        $other = new actor($this->student + 1, [actor::STUDENT], $this->course);
        $e = $this->refused(function() use ($client, $other) {
            $client->get_submission($this->assignment, $this->submission, $other);
        });
        $this->assertSame([403, 'error:accessdenied'], [$e->status, $e->errorcode]);

        $e = $this->refused(function() use ($client, $student) {
            $client->get_submission($this->assignment + 100, $this->submission + 100, $student);
        });
        $this->assertSame([404, 'error:notfound'], [$e->status, $e->errorcode]);
    }

    /**
     * The privacy calls the provider makes: export one assignment's data of a user (a signed query
     * string), then erase that user in the assignment.
     */
    public function test_privacy_export_and_erase(): void {
        $client = $this->client();
        $bytes = self::video(1000);
        $grant = $client->request_upload($this->assignment, $this->submission, $this->student(), 'mine.mp4',
            strlen($bytes), 'video/mp4');
        $this->assertContains(self::post_to_storage($grant['upload'], $bytes), [200, 201, 204]);
        $client->confirm_upload($this->assignment, $this->submission, $this->student(), $grant['s3_key']);

        $admin = new actor(2, [actor::ADMIN], 1);
        $export = $client->privacy_export_user($this->student, $admin, $this->assignment);
        $this->assertSame($this->student, $export['user_id']);
        $this->assertSame($this->assignment, $export['assignment_id']);
        $this->assertCount(1, $export['videos']);
        $this->assertSame($this->submission, $export['videos'][0]['submission_id']);
        $this->assertSame($grant['s3_key'], $export['videos'][0]['s3_key']);
        [$status, , $body] = self::http('GET', $export['videos'][0]['download_url']);
        $this->assertSame([200, $bytes], [$status, $body]);
        $this->assertNotEmpty($export['events']);
        $this->assertSame([], $client->privacy_export_user($this->student, $admin, $this->assignment + 1)['videos']);

        $e = $this->refused(function() use ($client) {
            $client->privacy_export_user($this->student, new actor(3, [actor::GRADER], $this->course), $this->assignment);
        });
        $this->assertSame(403, $e->status);

        $erased = $client->privacy_erase_assignment_users($this->assignment, [$this->student], $admin);
        $this->assertSame(1, $erased['videos'] ?? null);
        $e = $this->refused(function() use ($client) {
            $client->playback_url($this->assignment, $this->submission, $this->student());
        });
        $this->assertContains($e->status, [403, 404]);
    }

    /**
     * Past the per-user limit on upload URLs: 429 with Retry-After, as error:ratelimited.
     */
    public function test_rate_limited(): void {
        $client = $this->client();
        for ($call = 1; $call <= 100; $call++) {
            try {
                $client->request_upload($this->assignment, $this->submission, $this->student(), 'a.mp4', 100, 'video/mp4');
            } catch (sidecar_exception $e) {
                $this->assertSame([429, 'error:ratelimited'], [$e->status, $e->errorcode]);
                $this->assertGreaterThan(0, $e->retryafter);
                $this->assertStringContainsString("Wait {$e->retryafter} seconds", $e->getMessage());
                $this->assertGreaterThan(1, $call, 'the first call was refused');
                return;
            }
        }
        $this->fail('100 upload URLs in a row were never rate limited');
    }

    /**
     * An admin deletes a whole assignment's videos (what delete_instance() asks).
     */
    public function test_delete_assignment(): void {
        $client = $this->client();
        $client->request_upload($this->assignment, $this->submission, $this->student(), 'a.mp4', 100, 'video/mp4');
        $admin = new actor(2, [actor::ADMIN], $this->course);
        $this->assertArrayHasKey('status', $client->delete_assignment($this->assignment, $admin));
        $e = $this->refused(function() use ($client) {
            $client->delete_assignment($this->assignment, new actor(3, [actor::GRADER], $this->course));
        });
        $this->assertSame(403, $e->status);
    }
}
