<?php
// This file is part of the s3video project - GPL v3 or later.

namespace assignsubmission_s3video;

use assignsubmission_s3video\http\response;
use assignsubmission_s3video\http\transport_exception;
use PHPUnit\Framework\TestCase;

require_once(__DIR__ . '/fake_transport.php');
require_once(__DIR__ . '/refusal_assertions.php');

/**
 * The sidecar client without a network: what it sends, and how it reads every answer.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \assignsubmission_s3video\sidecar_client
 * @covers     \assignsubmission_s3video\sidecar_exception
 */
final class sidecar_client_test extends TestCase {
    use refusal_assertions;

    /**
     * A client over a fake transport, with a fixed date and nonce.
     *
     * @param array $answers the fake transport's answers
     * @param int $date Unix time the client's clock returns
     * @param string $nonce nonce it uses
     * @return array [sidecar_client, fake_transport]
     */
    private function client(array $answers, int $date = 1795000000, string $nonce = '9a8B7c6D5e4F3g2H'): array {
        $transport = new fake_transport($answers);
        $client = new sidecar_client('http://sidecar.test:6543/', 'moodle-2026', 'test-secret-0123456789abcdef', [
            'transport' => $transport,
            'clock' => function() use ($date) {
                return $date;
            },
            'nonce' => function() use ($nonce) {
                return $nonce;
            },
            'connecttimeout' => 3,
            'timeout' => 17,
        ]);
        return [$client, $transport];
    }

    /**
     * The shared vector of the same call.
     *
     * @param int $index position in tests/vectors/s3v1_signing.json
     * @return array
     */
    private function vector(int $index): array {
        $data = json_decode(file_get_contents(S3VIDEO_REPO_DIR . '/tests/vectors/s3v1_signing.json'), true);
        return $data['vectors'][$index];
    }

    /**
     * A JSON answer.
     *
     * @param int $status HTTP status
     * @param mixed $body data to encode, or null for an empty body
     * @param array $headers extra headers
     * @return response
     */
    private static function json(int $status, $body, array $headers = []): response {
        return new response($status, $headers + ['Content-Type' => 'application/json'],
            $body === null ? '' : json_encode($body));
    }

    /**
     * The client's own calls sign exactly as the shared vectors say: the submission GET.
     */
    public function test_get_submission_signs_like_vector(): void {
        $v = $this->vector(0);
        [$client, $transport] = $this->client([self::json(200, ['status' => 'ready'])], (int)$v['date'], $v['nonce']);
        $answer = $client->get_submission(7, 42, new actor(123, ['student'], 9));

        $this->assertSame(['status' => 'ready'], $answer);
        $sent = $transport->sent[0];
        $this->assertSame('GET', $sent['method']);
        $this->assertSame('http://sidecar.test:6543/assignments/7/submissions/42', $sent['url']);
        $this->assertSame('', $sent['body']);
        $this->assertSame($v['authorization'], $sent['headers']['Authorization']);
        $this->assertSame($v['actor'], $sent['headers']['X-S3Video-Actor']);
        $this->assertSame($v['date'], $sent['headers']['X-S3Video-Date']);
        $this->assertSame($v['nonce'], $sent['headers']['X-S3Video-Nonce']);
        $this->assertSame(3, $sent['connecttimeout']);
        $this->assertSame(17, $sent['timeout']);
    }

    /**
     * The upload-url POST: the JSON body is byte for byte the vector's.
     */
    public function test_request_upload_body_and_signature_match_vector(): void {
        $v = $this->vector(1);
        $answer = ['video_id' => 1, 's3_key' => 'videos/123/1_a/my_video.mp4', 'method' => 'post',
            'upload' => ['url' => 'http://s3/bucket', 'fields' => ['key' => 'videos/123/1_a/my_video.mp4']]];
        [$client, $transport] = $this->client([self::json(201, $answer)], (int)$v['date'], $v['nonce']);
        $this->assertSame($answer, $client->request_upload(7, 42, new actor(123, ['student'], 9), 'my video.mp4',
            1048576, 'video/mp4'));
        $sent = $transport->sent[0];
        $this->assertSame($v['body'], $sent['body']);
        $this->assertSame('application/json', $sent['headers']['Content-Type']);
        $this->assertSame($v['authorization'], $sent['headers']['Authorization']);
    }

    /**
     * The multipart abort: an upload id with reserved characters is encoded as the vector's path.
     */
    public function test_abort_multipart_encodes_upload_id_like_vector(): void {
        $v = $this->vector(3);
        [$client, $transport] = $this->client([new response(204, [], '')], (int)$v['date'], $v['nonce']);
        $this->assertSame([], $client->abort_multipart(7, 42, new actor(123, ['student', 'grader'], 9),
            '2~abc.DEF_ghi-+/='));
        $this->assertSame('http://sidecar.test:6543' . $v['path'], $transport->sent[0]['url']);
        $this->assertSame('DELETE', $transport->sent[0]['method']);
        $this->assertSame($v['authorization'], $transport->sent[0]['headers']['Authorization']);
    }

    /**
     * The grading table's posters: one POST naming the page's submission ids, signed as the vector says.
     */
    public function test_posters_body_and_signature_match_vector(): void {
        $v = $this->vector(6);
        $answer = ['assignment_id' => 7, 'expires_at' => 1795003600, 'posters' => [
            ['submission_id' => 42, 'status' => 'ready', 'video_id' => 3, 'poster_url' => 'https://cdn/p.jpg?Signature=x',
                'duration' => 192, 'media' => ['video_codec' => 'h264'], 'error' => null],
            ['submission_id' => 43, 'status' => 'empty', 'video_id' => null, 'poster_url' => null, 'duration' => null,
                'media' => null, 'error' => null],
        ]];
        [$client, $transport] = $this->client([self::json(200, $answer)], (int)$v['date'], $v['nonce']);
        $this->assertSame($answer, $client->posters(7, ['42', 43, 44], new actor(5, ['grader'], 9)));
        $sent = $transport->sent[0];
        $this->assertSame('POST', $sent['method']);
        $this->assertSame('http://sidecar.test:6543' . $v['path'], $sent['url']);
        $this->assertSame($v['body'], $sent['body']);
        $this->assertSame($v['authorization'], $sent['headers']['Authorization']);
        $this->assertSame($v['actor'], $sent['headers']['X-S3Video-Actor']);
    }

    /**
     * A student asking for posters gets the sidecar's 403 as an access-denied exception.
     */
    public function test_posters_refused_to_a_student(): void {
        [$client] = $this->client([self::json(403, ['error' => 'not allowed'])]);
        try {
            $client->posters(7, [42], new actor(123, ['student'], 9));
            $this->fail('a 403 must throw');
        } catch (sidecar_exception $e) {
            $this->assertSame(403, $e->status);
        }
    }

    /**
     * The privacy erase body lists user ids as integers.
     */
    public function test_privacy_erase_body(): void {
        [$client, $transport] = $this->client([self::json(202, ['erased' => 2])]);
        $client->privacy_erase_assignment_users(7, ['123', 456], new actor(2, ['admin'], 1));
        $this->assertSame('{"users":[123,456]}', $transport->sent[0]['body']);
        $this->assertSame('http://sidecar.test:6543/privacy/assignments/7/erase', $transport->sent[0]['url']);
    }

    /**
     * Erasing a whole assignment (a privacy context) asks for all users, not a list.
     */
    public function test_privacy_erase_whole_assignment_body(): void {
        [$client, $transport] = $this->client([self::json(202, ['erased' => 3])]);
        $client->privacy_erase_assignment(7, new actor(2, ['admin'], 1));
        $this->assertSame('{"all_users":true}', $transport->sent[0]['body']);
        $this->assertSame('http://sidecar.test:6543/privacy/assignments/7/erase', $transport->sent[0]['url']);
    }

    /**
     * Part checksums go as a JSON object keyed by part number; without them the key is left out.
     */
    public function test_sign_parts_body(): void {
        [$client, $transport] = $this->client([self::json(200, ['parts' => [], 'expires_at' => 1]),
            self::json(200, ['parts' => [], 'expires_at' => 1])]);
        $student = new actor(123, ['student'], 9);
        $client->sign_parts(7, 42, $student, 'up/1', ['1', 2], [1 => 'AAAA', 2 => 'BBBB']);
        $client->sign_parts(7, 42, $student, 'up/1', [3]);
        $this->assertSame('{"part_numbers":[1,2],"checksums":{"1":"AAAA","2":"BBBB"}}', $transport->sent[0]['body']);
        $this->assertSame('{"part_numbers":[3]}', $transport->sent[1]['body']);
        $this->assertSame('http://sidecar.test:6543/assignments/7/submissions/42/multipart/up%2F1/parts',
            $transport->sent[0]['url']);
    }

    /**
     * A base URL with a path prefix: the prefix is part of the signed path.
     */
    public function test_base_path_prefix_is_signed(): void {
        $transport = new fake_transport([self::json(200, [])]);
        $client = new sidecar_client('https://school.example/s3video', 'k', 'test-secret-0123456789abcdef', [
            'transport' => $transport, 'clock' => function() {
                return 1795000000;
            }, 'nonce' => function() {
                return 'abcdefghijklmnop';
            }]);
        $actor = new actor(1, ['admin'], 1);
        $client->delete_assignment(7, $actor);
        $expected = s3v1::sign_headers('k', 'test-secret-0123456789abcdef', 'DELETE', '/s3video/assignments/7', '',
            $actor->to_header(), '', 1795000000, 'abcdefghijklmnop');
        $this->assertSame('https://school.example/s3video/assignments/7', $transport->sent[0]['url']);
        $this->assertSame($expected['Authorization'], $transport->sent[0]['headers']['Authorization']);
    }

    /**
     * GET /health is sent without any S3V1 header.
     */
    public function test_health_is_unsigned(): void {
        [$client, $transport] = $this->client([self::json(200, ['status' => 'ok'])]);
        $this->assertSame(['status' => 'ok'], $client->health());
        $this->assertArrayNotHasKey('Authorization', $transport->sent[0]['headers']);
        $this->assertArrayNotHasKey('X-S3Video-Actor', $transport->sent[0]['headers']);
    }

    /**
     * Each error status of the contract, with the message the user reads.
     *
     * @return array
     */
    public function statuses(): array {
        return [
            '400' => [400, ['error' => 'invalid request', 'fields' => ['size' => 'must be positive']], 'error:invalid',
                'size: must be positive'],
            '401' => [401, ['error' => 'the signature does not match', 'code' => 'bad_signature'], 'error:auth',
                'authenticate'],
            '403' => [403, ['error' => 'not the owner'], 'error:accessdenied', 'Access denied'],
            '404' => [404, ['error' => 'no such submission'], 'error:notfound', 'not found'],
            '409' => [409, ['error' => 'object absent'], 'error:conflict', 'not in a state'],
            '413' => [413, ['error' => 'too large'], 'error:toolarge', 'too large'],
            '415' => [415, ['error' => 'type'], 'error:typenotallowed', 'not accepted'],
            '503' => [503, ['error' => 'storage down'], 'error:unavailable', 'temporarily unavailable'],
            '500' => [500, ['error' => 'boom'], 'error:unexpected', 'HTTP 500'],
            '502 not JSON' => [502, null, 'error:unexpected', 'HTTP 502'],
        ];
    }

    /**
     * Every status maps to its own lang string, keeps the sidecar's details for debugging only.
     *
     * @dataProvider statuses
     * @param int $status HTTP status
     * @param array|null $body JSON body
     * @param string $errorcode expected lang string identifier
     * @param string $fragment expected part of the user's message
     */
    public function test_error_status_mapping(int $status, ?array $body, string $errorcode, string $fragment): void {
        $answer = $body === null ? new response($status, [], '<html>Bad gateway</html>') : self::json($status, $body);
        [$client, ] = $this->client([$answer]);
        $e = $this->refused(function() use ($client) {
            $client->confirm_upload(7, 42, new actor(123, ['student'], 9), 'videos/123/x/a.mp4');
        });
        $this->assertSame($errorcode, $e->errorcode);
        $this->assertSame('assignsubmission_s3video', $e->module);
        $this->assertSame($status, $e->status);
        $this->assertStringContainsString($fragment, $e->getMessage());
        $this->assertStringContainsString("HTTP {$status} from POST /assignments/7/submissions/42/confirm",
            $e->debuginfo);
        $this->assertStringNotContainsString('test-secret', $e->debuginfo . $e->getMessage());
        if ($body !== null && isset($body['code'])) {
            $this->assertSame($body['code'], $e->sidecarcode);
        }
    }

    /**
     * The 400 keeps its fields for the caller.
     */
    public function test_invalid_keeps_fields(): void {
        [$client, ] = $this->client([self::json(400, ['error' => 'invalid', 'fields' => [
            'filename' => 'Required', 'size' => 'must be at least 1']])]);
        $e = $this->refused(function() use ($client) {
            $client->request_upload(7, 42, new actor(123, ['student'], 9), '', 0, 'video/mp4');
        });
        $this->assertSame(['filename' => 'Required', 'size' => 'must be at least 1'], $e->fields);
        $this->assertStringContainsString('filename: Required; size: must be at least 1', $e->getMessage());
    }

    /**
     * A 429 says how long to wait.
     */
    public function test_rate_limited_reads_retry_after(): void {
        [$client, ] = $this->client([self::json(429, ['error' => 'slow down'], ['Retry-After' => '42'])]);
        $e = $this->refused(function() use ($client) {
            $client->playback_url(7, 42, new actor(123, ['student'], 9));
        });
        $this->assertSame('error:ratelimited', $e->errorcode);
        $this->assertSame(42, $e->retryafter);
        $this->assertStringContainsString('Wait 42 seconds', $e->getMessage());
    }

    /**
     * No answer at all: unreachable, with the transport's reason for debugging.
     */
    public function test_unreachable(): void {
        [$client, ] = $this->client([new transport_exception('Failed to connect to sidecar.test port 6543')]);
        $e = $this->refused(function() use ($client) {
            $client->get_submission(7, 42, new actor(123, ['student'], 9));
        });
        $this->assertSame('error:unreachable', $e->errorcode);
        $this->assertSame(0, $e->status);
        $this->assertStringContainsString('Failed to connect', $e->debuginfo);
    }

    /**
     * A success status with a body that is not a JSON object is a broken contract, not a success.
     */
    public function test_success_without_json_is_unexpected(): void {
        [$client, ] = $this->client([new response(200, [], 'OK')]);
        $this->expectException(sidecar_exception::class);
        $this->expectExceptionMessage('HTTP 200');
        $client->get_submission(7, 42, new actor(123, ['student'], 9));
    }

    /**
     * The real curl transport reports a refused connection as unreachable, within the timeout.
     */
    public function test_curl_transport_refused_connection(): void {
        $socket = stream_socket_server('tcp://127.0.0.1:0');
        $port = (int)substr(strrchr(stream_socket_get_name($socket, false), ':'), 1);
        fclose($socket); // Nothing listens there any more.
        $client = new sidecar_client("http://127.0.0.1:{$port}", 'k', 'test-secret-0123456789abcdef',
            ['connecttimeout' => 2, 'timeout' => 3]);
        $started = microtime(true);
        $e = $this->refused(function() use ($client) {
            $client->get_submission(7, 42, new actor(123, ['student'], 9));
        });
        $this->assertSame('error:unreachable', $e->errorcode);
        $this->assertLessThan(3.5, microtime(true) - $started);
    }

    /**
     * The draft calls (C2): confirm and complete send "draft": true only when asked; without it the
     * body is what it always was.
     */
    public function test_confirm_and_complete_send_draft_only_when_asked(): void {
        $answer = ['status' => 'ready', 'video_id' => 5, 'current' => false];
        [$client, $transport] = $this->client([self::json(200, $answer), self::json(200, $answer),
            self::json(200, $answer), self::json(200, $answer)]);
        $student = new actor(123, ['student'], 9);
        $this->assertSame($answer, $client->confirm_upload(7, 42, $student, 'videos/123/1_a/a.mp4', true));
        $client->confirm_upload(7, 42, $student, 'videos/123/1_a/a.mp4');
        $client->complete_multipart(7, 42, $student, 'up1', [['part_number' => 1, 'etag' => '"e1"']], true);
        $client->complete_multipart(7, 42, $student, 'up1', [['part_number' => 1, 'etag' => '"e1"']]);
        $this->assertSame('http://sidecar.test:6543/assignments/7/submissions/42/confirm', $transport->sent[0]['url']);
        $this->assertSame('{"s3_key":"videos/123/1_a/a.mp4","draft":true}', $transport->sent[0]['body']);
        $this->assertSame('{"s3_key":"videos/123/1_a/a.mp4"}', $transport->sent[1]['body']);
        $this->assertSame('http://sidecar.test:6543/assignments/7/submissions/42/multipart/up1/complete',
            $transport->sent[2]['url']);
        $this->assertSame('{"parts":[{"part_number":1,"etag":"\\"e1\\""}],"draft":true}', $transport->sent[2]['body']);
        $this->assertSame('{"parts":[{"part_number":1,"etag":"\\"e1\\""}]}', $transport->sent[3]['body']);
    }

    /**
     * Making a draft current (C3) is a signed POST of the video id.
     */
    public function test_make_current(): void {
        [$client, $transport] = $this->client([self::json(200, ['status' => 'ready', 'current' => true])]);
        $this->assertTrue($client->make_current(7, 42, new actor(123, ['student'], 9), 5)['current']);
        $sent = $transport->sent[0];
        $this->assertSame('POST', $sent['method']);
        $this->assertSame('http://sidecar.test:6543/assignments/7/submissions/42/current', $sent['url']);
        $this->assertSame('{"video_id":5}', $sent['body']);
        $this->assertArrayHasKey('Authorization', $sent['headers']);
    }

    /**
     * The copy for a restore (C6): the source, the owner, and the group only for a team submission.
     */
    public function test_copy_from_body(): void {
        [$client, $transport] = $this->client([self::json(200, ['status' => 'ready']), self::json(200, [])]);
        $site = new actor(2, ['admin'], 30);
        $client->copy_from(70, 420, $site, 7, 42, 123);
        $client->copy_from(70, 421, $site, 7, 43, 124, 0);
        $this->assertSame('http://sidecar.test:6543/assignments/70/submissions/420/copy-from', $transport->sent[0]['url']);
        $this->assertSame('{"assignment_id":7,"submission_id":42,"user_id":123}', $transport->sent[0]['body']);
        $this->assertSame('{"assignment_id":7,"submission_id":43,"user_id":124,"group_id":0}',
            $transport->sent[1]['body']);
        $this->assertSame('{"user":2,"roles":["admin"],"course":30}', $transport->sent[0]['headers']['X-S3Video-Actor']);
    }

    /**
     * Deleting an assignment sends retain_seconds (C5) only when the videos must stay restorable,
     * and signs the query string.
     */
    public function test_delete_assignment_retain_seconds(): void {
        [$client, $transport] = $this->client([self::json(202, []), self::json(202, [])]);
        $admin = new actor(2, ['admin'], 9);
        $client->delete_assignment(7, $admin, 691200);
        $client->delete_assignment(7, $admin);
        $this->assertSame('http://sidecar.test:6543/assignments/7?retain_seconds=691200', $transport->sent[0]['url']);
        $this->assertSame('http://sidecar.test:6543/assignments/7', $transport->sent[1]['url']);
        $this->assertSame('DELETE', $transport->sent[0]['method']);
        $this->assertNotSame($transport->sent[0]['headers']['Authorization'], $transport->sent[1]['headers']['Authorization']);
    }

    /**
     * A player renewing its URL says so (renew=true, signed in the query): the sidecar does not count it as a view.
     */
    public function test_playback_url_renewal(): void {
        [$client, $transport] = $this->client([self::json(200, ['url' => 'u', 'expires_at' => 1]),
            self::json(200, ['url' => 'u', 'expires_at' => 1])]);
        $teacher = new actor(5, ['grader'], 9);
        $client->playback_url(7, 42, $teacher);
        $client->playback_url(7, 42, $teacher, true);
        $this->assertSame('http://sidecar.test:6543/assignments/7/submissions/42/playback-url', $transport->sent[0]['url']);
        $this->assertSame('http://sidecar.test:6543/assignments/7/submissions/42/playback-url?renew=true',
            $transport->sent[1]['url']);
    }

    /**
     * The connection check's signed no-op (C7): a signed GET /whoami.
     */
    public function test_whoami_is_signed_get(): void {
        [$client, $transport] = $this->client([self::json(200, ['key_id' => 'moodle-2026', 'actor' => []])]);
        $this->assertSame('moodle-2026', $client->whoami(new actor(2, ['admin'], 1))['key_id']);
        $this->assertSame('GET', $transport->sent[0]['method']);
        $this->assertSame('http://sidecar.test:6543/whoami', $transport->sent[0]['url']);
        $this->assertArrayHasKey('Authorization', $transport->sent[0]['headers']);
    }

    /**
     * The total timeout holds when a server accepts the connection and never answers.
     */
    public function test_curl_transport_total_timeout(): void {
        $server = stream_socket_server('tcp://127.0.0.1:0');
        $port = (int)substr(strrchr(stream_socket_get_name($server, false), ':'), 1);
        $client = new sidecar_client("http://127.0.0.1:{$port}", 'k', 'test-secret-0123456789abcdef',
            ['connecttimeout' => 1, 'timeout' => 1]);
        $started = microtime(true);
        try {
            $client->get_submission(7, 42, new actor(123, ['student'], 9));
            $this->fail('no exception');
        } catch (sidecar_exception $e) {
            $this->assertSame('error:unreachable', $e->errorcode);
            $this->assertStringContainsString('timed out', $e->debuginfo);
        } finally {
            fclose($server);
        }
        $elapsed = microtime(true) - $started;
        $this->assertGreaterThanOrEqual(0.9, $elapsed);
        $this->assertLessThan(2.5, $elapsed);
    }
}
