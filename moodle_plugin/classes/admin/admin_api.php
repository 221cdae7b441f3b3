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

namespace assignsubmission_s3video\admin;

use assignsubmission_s3video\actor;
use assignsubmission_s3video\sidecar_client;

/**
 * The sidecar's admin API as the dashboard and the video management page use it.
 *
 * Every call is signed as the Moodle admin (role admin); the sidecar refuses anyone else. Errors
 * arrive as sidecar_exception, with a message for the page to show.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class admin_api {

    /** @var string[] Video statuses the sidecar knows, in lifecycle order. */
    const STATUSES = ['pending', 'uploading', 'ready', 'deleting', 'deleted', 'error'];

    /** @var string[] Filters of the video search (query parameter names). */
    const VIDEO_FILTERS = ['course', 'assignment', 'user', 'status', 'from', 'to', 'min_size', 'max_size'];

    /** @var sidecar_client */
    private $client;

    /** @var actor */
    private $actor;

    /**
     * Constructor.
     *
     * @param sidecar_client $client the configured client
     * @param actor $actor the admin acting
     */
    public function __construct(sidecar_client $client, actor $actor) {
        $this->client = $client;
        $this->actor = $actor;
    }

    /**
     * The API with the site's sidecar settings, acting as the current admin.
     *
     * @return self
     */
    public static function from_config(): self {
        return new self(sidecar_client::from_config(), actor::moodle());
    }

    /**
     * Set up one of the plugin's admin pages (dashboard.php, videomanagement.php).
     *
     * settings.php registers the pages, and Moodle includes a submission plugin's settings.php only when
     * it builds the full admin tree. So the full tree is built first, in the system context every admin
     * page runs in (without a context Moodle warns "$PAGE->context was not set"); then
     * admin_externalpage_setup() finds the page and does the rest: login, the page's capability,
     * layout, navigation.
     *
     * @param string $section the admin_externalpage's name
     * @return void
     */
    public static function page_setup(string $section): void {
        global $PAGE;
        $PAGE->set_context(\context_system::instance());
        admin_get_root(false, true);
        admin_externalpage_setup($section);
    }

    /**
     * GET /admin/stats: videos by status, storage, per-day figures, errors by code, the month's cost.
     *
     * @param int $days days of history
     * @return array
     */
    public function stats(int $days = 30): array {
        return $this->client->request('GET', ['admin', 'stats'], $this->actor, null, ['days' => $days]);
    }

    /**
     * GET /admin/videos: one page of the video search, newest first.
     *
     * @param array $filters name => value (see VIDEO_FILTERS); empty values are left out
     * @param int $page page number, from 1
     * @param int $perpage rows a page
     * @return array videos, total, page, per_page, pages
     */
    public function videos(array $filters, int $page = 1, int $perpage = 25): array {
        $query = self::clean_filters($filters, self::VIDEO_FILTERS);
        return $this->client->request('GET', ['admin', 'videos'], $this->actor, null,
            $query + ['page' => max(1, $page), 'per_page' => $perpage]);
    }

    /**
     * GET /admin/videos/{id}: a video and its history.
     *
     * @param int $videoid sidecar video id
     * @return array video, events
     */
    public function video(int $videoid): array {
        return $this->client->request('GET', ['admin', 'videos', $videoid], $this->actor);
    }

    /**
     * DELETE /admin/videos/{id}: schedule the video for deletion (restorable during the grace period).
     *
     * @param int $videoid sidecar video id
     * @return array the video
     */
    public function delete_video(int $videoid): array {
        return $this->client->request('DELETE', ['admin', 'videos', $videoid], $this->actor);
    }

    /**
     * POST /admin/videos/{id}/restore: bring a deleted video back within the grace period.
     *
     * @param int $videoid sidecar video id
     * @return array the video
     */
    public function restore_video(int $videoid): array {
        return $this->client->request('POST', ['admin', 'videos', $videoid, 'restore'], $this->actor);
    }

    /**
     * GET /admin/events: one page of the event log, newest first.
     *
     * @param array $filters user, assignment, submission, video, type, error_code, errors_only, since, until
     * @param int $page page number, from 1
     * @param int $perpage rows a page
     * @return array events, total, page, per_page, pages
     */
    public function events(array $filters, int $page = 1, int $perpage = 50): array {
        $names = ['user', 'assignment', 'submission', 'video', 'type', 'error_code', 'errors_only', 'since', 'until'];
        return $this->client->request('GET', ['admin', 'events'], $this->actor, null,
            self::clean_filters($filters, $names) + ['page' => max(1, $page), 'per_page' => $perpage]);
    }

    /**
     * Known, non-empty filters only; lists joined with commas, booleans as true.
     *
     * @param array $filters name => value
     * @param string[] $names the names allowed
     * @return array
     */
    public static function clean_filters(array $filters, array $names): array {
        $query = [];
        foreach ($names as $name) {
            $value = $filters[$name] ?? null;
            if (is_array($value)) {
                $value = implode(',', array_filter($value, 'strlen'));
            }
            if ($value === true) {
                $value = 'true';
            }
            if ($value === null || $value === '' || $value === false || $value === 0) {
                continue;
            }
            $query[$name] = (string)$value;
        }
        return $query;
    }

    /**
     * The per-day series of the stats for the charts: labels, uploads, views, storage in MB.
     *
     * @param array $stats the answer of stats()
     * @return array labels, uploads, views, storagemb
     */
    public static function chart_series(array $stats): array {
        $series = ['labels' => [], 'uploads' => [], 'views' => [], 'storagemb' => []];
        foreach ($stats['per_day'] ?? [] as $day) {
            $series['labels'][] = (string)$day['date'];
            $series['uploads'][] = (int)$day['uploads'];
            $series['views'][] = (int)$day['views'];
            $series['storagemb'][] = round($day['storage_bytes'] / 1048576, 1);
        }
        return $series;
    }

    /**
     * The dashboard template's context: the figures, ready to show.
     *
     * @param array $stats the answer of stats()
     * @return array
     */
    public static function dashboard_context(array $stats): array {
        $statuses = [];
        foreach (self::STATUSES as $status) {
            $statuses[] = ['status' => $status, 'count' => (int)($stats['videos']['by_status'][$status] ?? 0)];
        }
        $errors = [];
        foreach ($stats['errors_by_code'] ?? [] as $code => $count) {
            $errors[] = ['code' => $code, 'count' => (int)$count,
                'today' => (int)($stats['today']['errors_by_code'][$code] ?? 0)];
        }
        usort($errors, function(array $a, array $b): int {
            return $b['count'] <=> $a['count'] ?: strcmp($a['code'], $b['code']);
        });
        $cost = $stats['cost'] ?? null;
        return [
            'total' => (int)$stats['videos']['total'],
            'statuses' => $statuses,
            'storagegb' => number_format((float)$stats['storage']['gb'], 3),
            'days' => (int)$stats['days'],
            'uploadstoday' => (int)$stats['today']['uploads'],
            'viewstoday' => (int)$stats['today']['views'],
            'errors' => $errors,
            'haserrors' => !empty($errors),
            'hascost' => $cost !== null,
            'costmonth' => $cost['usage']['month'] ?? '',
            'costtotal' => $cost['total_usd'] ?? '',
            'costitems' => array_map(function(array $item): array {
                return ['description' => $item['description'], 'cost' => $item['cost_usd']];
            }, $cost['items'] ?? []),
        ];
    }
}
