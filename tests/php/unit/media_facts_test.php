<?php
// This file is part of the s3video project - GPL v3 or later.

namespace assignsubmission_s3video;

use assignsubmission_s3video\local\media_facts;
use PHPUnit\Framework\TestCase;

/**
 * The probe's facts as the Moodle views show them, with the plugin's real lang strings.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \assignsubmission_s3video\local\media_facts
 */
final class media_facts_test extends TestCase {

    /**
     * What the sidecar's probe stores for a phone's H.264 video (as GET submission and posters return it).
     *
     * @param array $more fields to change
     * @return array
     */
    private static function media(array $more = []): array {
        return $more + [
            'playable' => true, 'reason' => null, 'container' => 'mov', 'video_codec' => 'h264',
            'video_profile' => 'High', 'audio_codec' => 'aac', 'audio_profile' => 'LC',
            'duration_seconds' => 192.04, 'width' => 1920, 'height' => 1080, 'frame_rate' => 30.0,
            'bitrate' => 5123456, 'rotation' => 0, 'fast_start' => true, 'plays_everywhere' => true,
            'browsers' => ['chrome', 'edge', 'firefox', 'safari'], 'bytes_read' => 1048576,
        ];
    }

    public function test_a_probed_video_in_one_line(): void {
        $this->assertSame('3:12 · 1920×1080 · 30 fps · H.264 High / AAC LC · 5.1 Mbit/s · fast start',
            media_facts::summary(self::media()));
    }

    public function test_rotation_no_sound_slow_start_odd_rates(): void {
        $line = media_facts::summary(self::media(['audio_codec' => null, 'audio_profile' => null, 'rotation' => 90,
            'fast_start' => false, 'frame_rate' => 29.97, 'bitrate' => 640000, 'duration_seconds' => 3723.4,
            'video_codec' => 'hevc', 'video_profile' => 'Main 10']));
        $this->assertSame('1:02:03 · 1920×1080 · 29.97 fps · HEVC (H.265) Main 10 / no sound · 640 kbit/s · '
            . 'rotated 90° · no fast start (the browser loads the end of the file before playing)', $line);
    }

    public function test_what_is_unknown_is_left_out(): void {
        $this->assertSame('', media_facts::summary(null));
        $this->assertSame('0:07', media_facts::summary(null, 7));
        $this->assertSame('0:05 · VP9 / Opus', media_facts::summary(['duration_seconds' => 4.6, 'video_codec' => 'vp9',
            'audio_codec' => 'opus', 'width' => 0, 'frame_rate' => null, 'bitrate' => null, 'fast_start' => null]));
        // An unknown codec is named as FFmpeg names it, bounded, without control characters.
        $this->assertSame('WEIRD x', media_facts::codec('weird', "x\n"));
        $this->assertSame(64, strlen(media_facts::codec('h264', str_repeat('p', 200))) - strlen('H.264 '));
        $this->assertSame('', media_facts::codec(null));
    }

    public function test_the_warning_says_why(): void {
        $this->assertSame('', media_facts::warning(self::media()));
        $this->assertSame('', media_facts::warning(null));
        $this->assertSame('Not every browser plays HEVC (H.265) video (it plays in: safari, chrome on some systems).',
            media_facts::warning(self::media(['video_codec' => 'hevc', 'plays_everywhere' => false,
                'browsers' => ['safari', 'chrome on some systems']])));
        $this->assertSame('This file cannot be played: the file is cut short: upload it again',
            media_facts::warning(self::media(['playable' => false, 'reason' => 'the file is cut short: upload it again'])));
    }

    public function test_durations(): void {
        $this->assertSame('0:00', media_facts::duration(0));
        $this->assertSame('0:59', media_facts::duration(59.4));
        $this->assertSame('1:00', media_facts::duration(59.5));
        $this->assertSame('10:00:00', media_facts::duration(36000));
        $this->assertSame('', media_facts::duration(-1));
        $this->assertSame('', media_facts::duration('soon'));
    }
}
