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
 * The site's upload limits, read from the plugin's settings (with the defaults settings.php offers).
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class limits {

    /** @var int[] Size limits offered to administrators and teachers, in bytes (100 MB to 100 GB). */
    const SIZE_CHOICES = [
        104857600, 262144000, 524288000, 1073741824, 2147483648, 5368709120, 10737418240, 21474836480,
        53687091200, 107374182400,
    ];

    /** @var int Default of the site's maximum size: 5 GB, the largest single presigned POST. */
    const DEFAULT_MAX_BYTES = 5368709120;

    /** @var string Default allowed types: the sidecar's development default. */
    const DEFAULT_TYPES = 'video/mp4 video/webm video/quicktime video/x-matroska video/ogg';

    /**
     * @var string What the allowed types setting accepts: MIME types separated by spaces, commas or semicolons.
     * Delimited by slashes, with no modifier: admin_setting_configtext treats only a '/.../' string as a pattern
     * (anything else is taken for a PARAM_ type, and an unknown one is a coding error).
     */
    const TYPES_SETTING_PATTERN = '/^\s*[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*' .
        '([\s,;]+[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*)*\s*$/';

    /**
     * The size limits up to a maximum, as a select's options.
     *
     * @param int $upto largest size to offer
     * @return array bytes => readable size
     */
    public static function size_options(int $upto = PHP_INT_MAX): array {
        $options = [];
        foreach (self::SIZE_CHOICES as $bytes) {
            if ($bytes <= $upto) {
                $options[$bytes] = display_size($bytes);
            }
        }
        return $options;
    }

    /**
     * The site's default (and largest) video size.
     *
     * @return int bytes
     */
    public static function site_max_bytes(): int {
        $configured = (int)get_config('assignsubmission_s3video', 'maxbytes');
        return $configured > 0 ? $configured : self::DEFAULT_MAX_BYTES;
    }

    /**
     * The MIME types students may upload.
     *
     * @return string[]
     */
    public static function allowed_types(): array {
        $configured = (string)get_config('assignsubmission_s3video', 'allowedtypes');
        $text = trim($configured) === '' ? self::DEFAULT_TYPES : $configured;
        return array_values(array_unique(preg_split('/[\s,;]+/', strtolower(trim($text)), -1, PREG_SPLIT_NO_EMPTY)));
    }
}
