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

namespace assignsubmission_s3video\http;

/**
 * The transport used in production: PHP's curl extension.
 *
 * Moodle's own \curl class is not used on purpose: the sidecar is an internal service that the
 * administrator configures (like the database server), usually on a private address that Moodle's
 * curl security helper blocks by default, and it must not go through the site's outgoing proxy.
 * Redirects are refused and only http and https are allowed.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class curl_transport implements transport {

    /**
     * Send a request with curl.
     *
     * @param string $method HTTP method
     * @param string $url absolute URL
     * @param array $headers header name => value
     * @param string $body body bytes ('' for none)
     * @param int $connecttimeout seconds allowed to connect
     * @param int $timeout seconds allowed for the whole request
     * @return response
     * @throws transport_exception when no answer came
     */
    public function send(string $method, string $url, array $headers, string $body, int $connecttimeout,
            int $timeout): response {
        $lines = ['Expect:'];
        foreach ($headers as $name => $value) {
            $lines[] = $name . ': ' . $value;
        }
        $received = [];
        $handle = curl_init();
        curl_setopt_array($handle, [
            CURLOPT_URL => $url,
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_HTTPHEADER => $lines,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
            CURLOPT_CONNECTTIMEOUT => max(1, $connecttimeout),
            CURLOPT_TIMEOUT => max(1, $timeout),
            CURLOPT_NOSIGNAL => true,
            CURLOPT_PROXY => '', // Never a proxy, not even one named by http_proxy in the environment.
            CURLOPT_HEADERFUNCTION => function($handle, string $line) use (&$received): int {
                $parts = explode(':', $line, 2);
                if (count($parts) === 2) {
                    $received[strtolower(trim($parts[0]))] = trim($parts[1]);
                }
                return strlen($line);
            },
        ]);
        if ($body !== '') {
            curl_setopt($handle, CURLOPT_POSTFIELDS, $body);
        }
        $answer = curl_exec($handle);
        if ($answer === false) {
            $error = curl_error($handle) ?: 'curl error ' . curl_errno($handle);
            curl_close($handle);
            throw new transport_exception($error);
        }
        $status = (int)curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
        curl_close($handle);
        return new response($status, $received, (string)$answer);
    }
}
