<?php
// This file is part of the s3video project - GPL v3 or later.

namespace assignsubmission_s3video;

use assignsubmission_s3video\local\limits;
use PHPUnit\Framework\TestCase;

/**
 * The allowed-types setting's pattern, as Moodle's admin_setting_configtext uses it.
 *
 * admin_setting_configtext::validate() treats its PARAM type as a pattern only when the string starts
 * and ends with a slash (so no modifier); anything else goes to clean_param(), where an unknown type is
 * a coding error that stops both the install ("Setting new default values") and the settings page.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers \assignsubmission_s3video\local\limits
 */
final class limits_test extends TestCase {

    public function test_the_pattern_is_one_moodle_treats_as_a_pattern(): void {
        $this->assertSame(1, preg_match('#^/.*/$#', limits::TYPES_SETTING_PATTERN));
    }

    public function test_the_default_types_pass_their_own_setting(): void {
        $this->assertSame(1, preg_match(limits::TYPES_SETTING_PATTERN, limits::DEFAULT_TYPES));
    }

    /**
     * @dataProvider typelists
     */
    public function test_type_lists(string $text, int $expected): void {
        $this->assertSame($expected, preg_match(limits::TYPES_SETTING_PATTERN, $text), $text);
    }

    public static function typelists(): array {
        return [
            'spaces' => ['video/mp4 video/webm', 1],
            'commas and semicolons' => [' video/mp4, video/webm;video/x-matroska ', 1],
            'one type' => ['video/quicktime', 1],
            'no subtype' => ['video', 0],
            'extension' => ['mp4', 0],
            'empty' => ['', 0],
            'markup' => ['video/mp4 <b>', 0],
            'upper case' => ['Video/MP4', 0],
        ];
    }
}
