<?php
// This file is part of the s3video project - GPL v3 or later.

namespace assignsubmission_s3video;

use PHPUnit\Framework\TestCase;

require_once(__DIR__ . '/refusal_assertions.php');

/**
 * The calls behind Moodle's submission model, through the PHP client against the real sidecar:
 * drafts (C2), making one current (C3), the drafts listed (C4), an assignment deleted but kept
 * restorable (C5), a restore's copy (C6) and the connection check's signed no-op (C7).
 *
 * Each test walks what the plugin does: the upload form confirms a draft, save() makes it current,
 * Cancel calls nothing, delete_instance() keeps the videos for the recycle bin, the restore copies.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \assignsubmission_s3video\sidecar_client
 */
final class live_drafts_test extends TestCase {
    use refusal_assertions;

    /** @var string Sidecar URL. */
    private $url;

    /** @var int[] Fresh ids: assignment, submission, course, student. */
    private $ids;

    /**
     * Skip (the wrapper turns skips into failures) when no sidecar is given; pick fresh ids.
     */
    protected function setUp(): void {
        $this->url = (string)getenv('S3VIDEO_SIDECAR_URL');
        if ($this->url === '') {
            $this->markTestSkipped('S3VIDEO_SIDECAR_URL is not set: run tests/php/test_phpunit.py');
        }
        $base = random_int(1000000, 9000000) * 1000000 + 500000;
        $this->ids = ['assignment' => $base + 1, 'submission' => $base + 2, 'course' => $base + 3,
            'student' => $base + 4];
    }

    /**
     * The client with the test key.
     *
     * @return sidecar_client
     */
    private function client(): sidecar_client {
        return new sidecar_client($this->url, (string)getenv('S3VIDEO_KEY_ID'), (string)getenv('S3VIDEO_SECRET'),
            ['connecttimeout' => 5, 'timeout' => 30]);
    }

    /**
     * The student.
     *
     * @return actor
     */
    private function student(): actor {
        return new actor($this->ids['student'], [actor::STUDENT], $this->ids['course']);
    }

    /**
     * Random bytes, starting as an MP4 when the wrapper passes the test MP4 header (a sidecar that
     * checks the container signature on confirm: tests/php/test_phpunit.py sets it from
     * tests/support/videos.py).
     *
     * @param int $size the length wanted
     * @return string
     */
    private static function video(int $size): string {
        $header = (string)base64_decode((string)getenv('S3VIDEO_TEST_MP4_HEADER'), true);
        return $header . random_bytes($size - strlen($header));
    }

    /**
     * Upload bytes with a presigned POST and confirm them as a draft, as the upload form does.
     *
     * @param sidecar_client $client the client
     * @param string $bytes the file
     * @param string $name its name
     * @return array the confirm answer
     */
    private function upload_draft(sidecar_client $client, string $bytes, string $name): array {
        $grant = $client->request_upload($this->ids['assignment'], $this->ids['submission'], $this->student(), $name,
            strlen($bytes), 'video/mp4');
        $form = $grant['upload']['fields'];
        $form['file'] = new \CURLStringFile($bytes, $name, 'video/mp4');
        $handle = curl_init($grant['upload']['url']);
        curl_setopt_array($handle, [CURLOPT_POST => true, CURLOPT_POSTFIELDS => $form, CURLOPT_RETURNTRANSFER => true,
            CURLOPT_TIMEOUT => 30]);
        curl_exec($handle);
        $this->assertContains((int)curl_getinfo($handle, CURLINFO_RESPONSE_CODE), [200, 201, 204]);
        curl_close($handle);
        return $client->confirm_upload($this->ids['assignment'], $this->ids['submission'], $this->student(),
            $grant['s3_key'], true);
    }

    /**
     * The bytes a signed playback URL serves.
     *
     * @param array $playback the playback-url answer
     * @return string
     */
    private static function fetch(array $playback): string {
        $handle = curl_init($playback['url']);
        curl_setopt_array($handle, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 30]);
        $body = (string)curl_exec($handle);
        curl_close($handle);
        return $body;
    }

    /**
     * A draft is not the submission's video until made current; a second draft (Cancel, then a new
     * upload) leaves the submitted video alone; making it current replaces the submitted video.
     */
    public function test_draft_then_current_then_cancelled_draft(): void {
        $client = $this->client();
        [$a, $s] = [$this->ids['assignment'], $this->ids['submission']];
        $first = self::video(3000);
        $draft = $this->upload_draft($client, $first, 'first.mp4');
        $this->assertSame(['ready', false], [$draft['status'], $draft['current']]);
        $state = $client->get_submission($a, $s, $this->student());
        $this->assertNull($state['video'], 'a never-saved submission has no current video');
        $this->assertSame([$draft['video_id']], array_column($state['drafts'], 'video_id'));

        // Save: the draft becomes current (twice: idempotent).
        $current = $client->make_current($a, $s, $this->student(), $draft['video_id']);
        $this->assertSame([true, $draft['video_id']], [$current['current'], $current['video_id']]);
        $this->assertSame($draft['video_id'], $client->make_current($a, $s, $this->student(),
            $draft['video_id'])['video_id']);
        $this->assertSame($first, self::fetch($client->playback_url($a, $s, $this->student())));

        // A new upload, then Cancel (nothing called): the submitted video plays on.
        $second = $this->upload_draft($client, self::video(2000), 'second.mp4');
        $this->assertFalse($second['current']);
        $state = $client->get_submission($a, $s, $this->student());
        $this->assertSame($draft['video_id'], $state['video']['video_id']);
        $this->assertSame($first, self::fetch($client->playback_url($a, $s, $this->student())));
    }

    /**
     * The receipt the plugin stores and shows (C1): a draft's confirm answer carries the SHA-256 of the
     * bytes as storage computed it, and making it current keeps it. Needs the integrity branch's C1.
     */
    public function test_draft_carries_the_receipt(): void {
        $client = $this->client();
        $bytes = self::video(3000);
        $draft = $this->upload_draft($client, $bytes, 'receipt.mp4');
        $this->assertSame(base64_encode(hash('sha256', $bytes, true)), $draft['checksum_sha256'] ?? null);
        $this->assertSame('full_object', $draft['checksum_type'] ?? null);
        $current = $client->make_current($this->ids['assignment'], $this->ids['submission'], $this->student(),
            $draft['video_id']);
        $this->assertSame([$draft['checksum_sha256'], 'full_object'], [$current['checksum_sha256'],
            $current['checksum_type'] ?? null]);
    }

    /**
     * Making current is refused for another submission's video (404) and for nobody's business (403).
     */
    public function test_make_current_refusals(): void {
        $client = $this->client();
        [$a, $s] = [$this->ids['assignment'], $this->ids['submission']];
        $draft = $this->upload_draft($client, self::video(1000), 'clip.mp4');
        $e = $this->refused(function() use ($client, $a, $s) {
            $client->make_current($a, $s, $this->student(), 2147483000);
        });
        $this->assertSame(404, $e->status);
        $other = new actor($this->ids['student'] + 1, [actor::STUDENT], $this->ids['course']);
        $e = $this->refused(function() use ($client, $a, $s, $other, $draft) {
            $client->make_current($a, $s, $other, $draft['video_id']);
        });
        $this->assertSame(403, $e->status);
    }

    /**
     * A restore's copy: the target submission plays the source's bytes, under the new course's ACL;
     * deleting the source assignment (kept restorable, C5) leaves the copy playing.
     */
    public function test_copy_from_then_source_deleted(): void {
        $client = $this->client();
        [$a, $s] = [$this->ids['assignment'], $this->ids['submission']];
        $bytes = self::video(2500);
        $draft = $this->upload_draft($client, $bytes, 'talk.mp4');
        $client->make_current($a, $s, $this->student(), $draft['video_id']);

        $newcourse = $this->ids['course'] + 100;
        $site = new actor(2, [actor::ADMIN], $newcourse);
        $copy = $client->copy_from($a + 100, $s + 100, $site, $a, $s, $this->ids['student']);
        $this->assertSame('ready', $copy['video']['status']);
        $this->assertSame($draft['checksum_sha256'], $copy['video']['checksum_sha256'] ?? $draft['checksum_sha256']);
        // Idempotent for the same target.
        $this->assertSame($copy['video']['video_id'],
            $client->copy_from($a + 100, $s + 100, $site, $a, $s, $this->ids['student'])['video']['video_id']);

        $teacher = new actor($this->ids['student'] + 50, [actor::GRADER], $newcourse);
        $this->assertSame($bytes, self::fetch($client->playback_url($a + 100, $s + 100, $teacher)));
        $client->delete_assignment($a, new actor(2, [actor::ADMIN], $this->ids['course']), 86400);
        $this->assertSame($bytes, self::fetch($client->playback_url($a + 100, $s + 100, $teacher)));

        // Still copyable from the deleted (restorable) source: a recycle-bin restore.
        $again = $client->copy_from($a + 200, $s + 200, new actor(2, [actor::ADMIN], $this->ids['course']), $a, $s,
            $this->ids['student']);
        $this->assertSame('ready', $again['video']['status']);
        $e = $this->refused(function() use ($client, $a, $s) {
            $client->copy_from($a + 300, $s + 300, $this->student(), $a, $s, $this->ids['student']);
        });
        $this->assertSame(403, $e->status);
    }

    /**
     * retain_seconds out of range is refused with a clear error and changes nothing.
     */
    public function test_retain_seconds_bounds(): void {
        $client = $this->client();
        $e = $this->refused(function() use ($client) {
            $client->delete_assignment($this->ids['assignment'], new actor(2, [actor::ADMIN], $this->ids['course']),
                31622401);
        });
        $this->assertSame(400, $e->status);
    }

    /**
     * The connection check's signed no-op answers who we are; a wrong secret is refused.
     */
    public function test_whoami(): void {
        $answer = $this->client()->whoami(new actor(2, [actor::ADMIN], 1));
        $this->assertSame((string)getenv('S3VIDEO_KEY_ID'), $answer['key_id']);
        $bad = new sidecar_client($this->url, (string)getenv('S3VIDEO_KEY_ID'), getenv('S3VIDEO_SECRET') . 'x');
        $this->assertSame(401, $this->refused(function() use ($bad) {
            $bad->whoami(new actor(2, [actor::ADMIN], 1));
        })->status);
    }
}
