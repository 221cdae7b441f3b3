<?php
// This file is part of the s3video project - GPL v3 or later.

namespace assignsubmission_s3video;

use assignsubmission_s3video\admin\admin_api;
use assignsubmission_s3video\http\response;
use PHPUnit\Framework\TestCase;

require_once(__DIR__ . '/fake_transport.php');

/**
 * The admin pages' data calls (dashboard.php, videomanagement.php) through the sidecar client:
 * what they send (fake transport), and what the real sidecar answers (live, when its URL is given).
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \assignsubmission_s3video\admin\admin_api
 */
final class admin_api_test extends TestCase {

    /**
     * An admin API over a fake transport that answers each call with ``$answer``.
     *
     * @param int $calls how many calls will be made
     * @param array $answer the JSON answer
     * @return array [admin_api, fake_transport]
     */
    private function fake(int $calls, array $answer = ['ok' => true]): array {
        $answers = array_fill(0, $calls, new response(200, ['Content-Type' => 'application/json'], json_encode($answer)));
        $transport = new fake_transport($answers);
        $client = new sidecar_client('http://sidecar.test:6543', 'moodle', 'test-secret-0123456789abcdef',
            ['transport' => $transport]);
        return [new admin_api($client, new actor(2, [actor::ADMIN], 1)), $transport];
    }

    /**
     * Each call's method, URL, body, and the admin actor it is signed as.
     */
    public function test_calls_send_the_documented_requests(): void {
        [$api, $transport] = $this->fake(6);
        $api->stats(7);
        $api->videos(['course' => 9, 'status' => ['ready', 'error'], 'user' => 0, 'from' => '2026-01-01', 'bogus' => 1], 3,
            10);
        $api->video(5);
        $api->delete_video(5);
        $api->restore_video(5);
        $api->events(['errors_only' => true, 'type' => 'rate_limited'], 1, 50);

        $sent = array_map(function(array $request): string {
            return $request['method'] . ' ' . $request['url'];
        }, $transport->sent);
        $this->assertSame([
            'GET http://sidecar.test:6543/admin/stats?days=7',
            'GET http://sidecar.test:6543/admin/videos?course=9&status=ready%2Cerror&from=2026-01-01&page=3&per_page=10',
            'GET http://sidecar.test:6543/admin/videos/5',
            'DELETE http://sidecar.test:6543/admin/videos/5',
            'POST http://sidecar.test:6543/admin/videos/5/restore',
            'GET http://sidecar.test:6543/admin/events?type=rate_limited&errors_only=true&page=1&per_page=50',
        ], $sent);
        foreach ($transport->sent as $request) {
            $this->assertSame('', $request['body']);
            $this->assertSame('{"user":2,"roles":["admin"],"course":1}', $request['headers']['X-S3Video-Actor']);
        }
    }

    /**
     * The charts' series and the template's context from a stats answer.
     */
    public function test_dashboard_data_from_stats(): void {
        $stats = [
            'days' => 2, 'videos' => ['total' => 3, 'by_status' => ['ready' => 2, 'deleting' => 1]],
            'storage' => ['bytes' => 3145728, 'gb' => 0.003],
            'per_day' => [
                ['date' => '2026-11-23', 'uploads' => 1, 'views' => 4, 'bytes_viewed' => 0, 'storage_bytes' => 1048576],
                ['date' => '2026-11-24', 'uploads' => 2, 'views' => 0, 'bytes_viewed' => 0, 'storage_bytes' => 3145728],
            ],
            'errors_by_code' => ['rate_limited' => 1, 'bad_signature' => 5],
            'today' => ['uploads' => 2, 'views' => 0, 'errors_by_code' => ['bad_signature' => 2]],
            'cost' => ['usage' => ['month' => '2026-11'], 'total_usd' => '5.40',
                'items' => [['description' => 'S3 Standard storage', 'cost_usd' => '1.15']]],
            'media' => ['codecs' => ['h264' => 2, 'hevc' => 1], 'at_risk' => 1],
        ];
        $this->assertSame(['labels' => ['2026-11-23', '2026-11-24'], 'uploads' => [1, 2], 'views' => [4, 0],
            'storagemb' => [1.0, 3.0]], admin_api::chart_series($stats));
        $context = admin_api::dashboard_context($stats);
        $this->assertSame(3, $context['total']);
        $this->assertSame(['pending' => 0, 'uploading' => 0, 'ready' => 2, 'deleting' => 1, 'deleted' => 0, 'error' => 0],
            array_column($context['statuses'], 'count', 'status'));
        $this->assertSame([['code' => 'bad_signature', 'count' => 5, 'today' => 2],
            ['code' => 'rate_limited', 'count' => 1, 'today' => 0]], $context['errors']);
        $this->assertTrue($context['hascost']);
        $this->assertSame('5.40', $context['costtotal']);
        $this->assertSame('0.003', $context['storagegb']);
        $this->assertSame([['codec' => 'h264', 'count' => 2], ['codec' => 'hevc', 'count' => 1]], $context['codecs']);
        $this->assertTrue($context['hascodecs']);
        $this->assertSame(1, $context['atrisk']);
    }

    /**
     * Against the real sidecar: a pending upload is found, its history read, deleted, and a restore refused.
     */
    public function test_live_sidecar_search_history_delete_and_refusals(): void {
        $url = (string)getenv('S3VIDEO_SIDECAR_URL');
        if ($url === '') {
            $this->markTestSkipped('S3VIDEO_SIDECAR_URL is not set: run tests/php/test_phpunit.py');
        }
        $client = new sidecar_client($url, (string)getenv('S3VIDEO_KEY_ID'), (string)getenv('S3VIDEO_SECRET'),
            ['connecttimeout' => 5, 'timeout' => 30]);
        $base = random_int(1000000, 9000000) * 1000000 + 500;
        [$assignment, $submission, $course, $student] = [$base + 1, $base + 2, $base + 3, $base + 4];
        $upload = $client->request_upload($assignment, $submission, new actor($student, [actor::STUDENT], $course),
            'talk.mp4', 1000, 'video/mp4');

        $api = new admin_api($client, new actor(2, [actor::ADMIN], 1));
        $stats = $api->stats(3);
        $this->assertCount(3, $stats['per_day']);
        $found = $api->videos(['course' => $course, 'status' => 'pending']);
        $this->assertSame(1, $found['total']);
        $this->assertSame($upload['s3_key'], $found['videos'][0]['s3_key']);
        $history = $api->video($upload['video_id']);
        $this->assertSame(['upload_requested'], array_column($history['events'], 'event_type'));

        $this->assertSame('deleting', $api->delete_video($upload['video_id'])['status']);
        try {
            $api->restore_video($upload['video_id']);
            $this->fail('a never-confirmed upload was restored');
        } catch (sidecar_exception $e) {
            $this->assertSame(409, $e->status);
        }
        $events = $api->events(['video' => $upload['video_id']]);
        $this->assertSame(['delete_requested', 'upload_requested'], array_column($events['events'], 'event_type'));

        try {
            (new admin_api($client, new actor($student, [actor::STUDENT], $course)))->stats();
            $this->fail('a student read the admin statistics');
        } catch (sidecar_exception $e) {
            $this->assertSame(403, $e->status);
        }
    }
}
