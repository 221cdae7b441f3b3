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
 * How long the videos of a deleted assignment must stay restorable: as long as Moodle's recycle bin
 * (tool_recyclebin) keeps the deleted activity (course bin) or the deleted course (category bin).
 *
 * Moodle does not tell a plugin whether its activity is deleted alone or with its course, so the
 * longer of the two enabled bins counts. A bin kept forever (expiry 0) counts as the longest
 * retention the sidecar accepts (C5). A day is added: the bin's clean-up task runs on cron, after
 * the expiry.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class recycle_bin {

    /** @var int The longest retention the sidecar accepts (C5: 366 days). */
    const MAX_RETAIN_SECONDS = 31622400;

    /**
     * Seconds the sidecar keeps a deleted assignment's videos restorable.
     *
     * @return int 0 when no recycle bin can restore the activity
     */
    public static function retain_seconds(): int {
        if (!\core_component::get_component_directory('tool_recyclebin')
                || !get_config('tool_recyclebin', 'version')) {
            return 0;
        }
        $longest = 0;
        foreach (['coursebin', 'categorybin'] as $bin) {
            if (!get_config('tool_recyclebin', $bin . 'enable')) {
                continue;
            }
            $expiry = (int)get_config('tool_recyclebin', $bin . 'expiry');
            $longest = max($longest, $expiry > 0 ? $expiry + DAYSECS : self::MAX_RETAIN_SECONDS);
        }
        return min($longest, self::MAX_RETAIN_SECONDS);
    }
}
