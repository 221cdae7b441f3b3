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

/**
 * What the sidecar's probe found about a video, readable: "3:12 · 1920×1080 · 30 fps · H.264 High / AAC LC".
 *
 * Reads the sidecar's `media` object (GET submission's video, playback-url, POST .../posters): duration,
 * width and height, frame rate, video and audio codecs with their profiles, bitrate, rotation and
 * whether an MP4 starts fast. Uses no Moodle API but get_string(), so it is tested outside Moodle.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class media_facts {

    /** @var string Between two facts. */
    const SEPARATOR = ' · ';

    /** @var array FFmpeg's codec names as people know them. */
    const CODECS = [
        'h264' => 'H.264', 'hevc' => 'HEVC (H.265)', 'vp8' => 'VP8', 'vp9' => 'VP9', 'av1' => 'AV1',
        'mpeg4' => 'MPEG-4 Part 2', 'prores' => 'ProRes', 'mjpeg' => 'Motion JPEG', 'mpeg2video' => 'MPEG-2',
        'aac' => 'AAC', 'mp3' => 'MP3', 'opus' => 'Opus', 'vorbis' => 'Vorbis', 'flac' => 'FLAC',
        'pcm_s16le' => 'PCM', 'alac' => 'ALAC', 'ac3' => 'AC-3', 'eac3' => 'E-AC-3',
    ];

    /**
     * A codec's common name with its profile ("H.264 High"), or '' when unknown.
     *
     * @param mixed $codec FFmpeg's codec name
     * @param mixed $profile its profile, if known
     * @return string
     */
    public static function codec($codec, $profile = null): string {
        if (!is_string($codec) || $codec === '') {
            return '';
        }
        $name = self::CODECS[$codec] ?? self::text(strtoupper($codec));
        if (is_string($profile) && $profile !== '' && strcasecmp($profile, 'unknown') !== 0) {
            $name .= ' ' . self::text($profile);
        }
        return $name;
    }

    /**
     * A duration as a clock: 0:07, 3:12, 1:02:03.
     *
     * @param mixed $seconds seconds (a number), or null
     * @return string '' when unknown
     */
    public static function duration($seconds): string {
        if (!is_numeric($seconds) || $seconds < 0) {
            return '';
        }
        $total = (int)round((float)$seconds);
        $hours = intdiv($total, 3600);
        $minutes = intdiv($total % 3600, 60);
        $rest = $total % 60;
        return $hours > 0 ? sprintf('%d:%02d:%02d', $hours, $minutes, $rest) : sprintf('%d:%02d', $minutes, $rest);
    }

    /**
     * The facts of a probed video, in one line; '' before its probe (no media).
     *
     * @param array|null $media the sidecar's media object
     * @param int|null $duration the video's duration in whole seconds, when media has none
     * @return string
     */
    public static function summary(?array $media, ?int $duration = null): string {
        if (!$media) {
            return $duration !== null ? self::duration($duration) : '';
        }
        $facts = [];
        $clock = self::duration($media['duration_seconds'] ?? $duration);
        if ($clock !== '') {
            $facts[] = $clock;
        }
        $width = (int)($media['width'] ?? 0);
        $height = (int)($media['height'] ?? 0);
        if ($width > 0 && $height > 0) {
            $facts[] = $width . '×' . $height;
        }
        if (is_numeric($media['frame_rate'] ?? null) && $media['frame_rate'] > 0) {
            $rate = round((float)$media['frame_rate'], 2);
            $facts[] = get_string('media:fps', 'assignsubmission_s3video', rtrim(rtrim(sprintf('%.2f', $rate), '0'), '.'));
        }
        $video = self::codec($media['video_codec'] ?? null, $media['video_profile'] ?? null);
        $audio = self::codec($media['audio_codec'] ?? null, $media['audio_profile'] ?? null);
        if ($video !== '' || $audio !== '') {
            $facts[] = ($video !== '' ? $video : '-') . ' / '
                . ($audio !== '' ? $audio : get_string('media:noaudio', 'assignsubmission_s3video'));
        }
        if (is_numeric($media['bitrate'] ?? null) && $media['bitrate'] > 0) {
            $facts[] = self::bitrate((int)$media['bitrate']);
        }
        $rotation = (int)($media['rotation'] ?? 0);
        if ($rotation !== 0) {
            $facts[] = get_string('media:rotation', 'assignsubmission_s3video', $rotation);
        }
        if (array_key_exists('fast_start', $media) && $media['fast_start'] !== null) {
            $facts[] = $media['fast_start'] ? get_string('media:faststart', 'assignsubmission_s3video')
                : get_string('media:nofaststart', 'assignsubmission_s3video');
        }
        return implode(self::SEPARATOR, $facts);
    }

    /**
     * Bits per second as megabits (or kilobits below one), e.g. "8.2 Mbit/s".
     *
     * @param int $bitspersecond bits per second
     * @return string
     */
    public static function bitrate(int $bitspersecond): string {
        if ($bitspersecond >= 1000000) {
            return get_string('media:mbps', 'assignsubmission_s3video', round($bitspersecond / 1000000, 1));
        }
        return get_string('media:kbps', 'assignsubmission_s3video', max(1, (int)round($bitspersecond / 1000)));
    }

    /**
     * Why the video may not play everywhere, or why it can not play at all; '' when it plays everywhere
     * (or before its probe).
     *
     * @param array|null $media the sidecar's media object
     * @return string
     */
    public static function warning(?array $media): string {
        if (!$media) {
            return '';
        }
        if (array_key_exists('playable', $media) && $media['playable'] === false) {
            return get_string('media:unplayable', 'assignsubmission_s3video',
                self::text((string)($media['reason'] ?? ''), 300));
        }
        if (!empty($media['video_codec']) && array_key_exists('plays_everywhere', $media)
                && $media['plays_everywhere'] === false) {
            $browsers = array_map('strval', (array)($media['browsers'] ?? []));
            return get_string('media:noteverywhere', 'assignsubmission_s3video', (object)[
                'codec' => self::codec($media['video_codec']),
                'browsers' => $browsers ? implode(', ', $browsers) : '-',
            ]);
        }
        return '';
    }

    /**
     * A text from the sidecar, bounded and without control characters (the templates escape it).
     *
     * @param string $text the text
     * @param int $max at most this many bytes
     * @return string
     */
    private static function text(string $text, int $max = 64): string {
        $clean = trim(preg_replace('/[\x00-\x1f\x7f]+/', ' ', $text) ?? '');
        return mb_strcut($clean, 0, $max, 'UTF-8');
    }
}
