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

namespace assignsubmission_s3video;

/**
 * S3V1: how Moodle signs its requests to the video sidecar.
 *
 * This mirrors the reference implementation (s3video_sidecar/sdk/signing.py) line by line;
 * the shared vectors in tests/vectors/s3v1_signing.json keep the two from drifting. The
 * string to sign is these lines joined by "\n": the algorithm, the method, the path as sent
 * (percent-encoded), the canonical query, the date, the nonce, the actor header exactly as
 * sent and the lowercase hex SHA-256 of the body.
 *
 * Pure functions only: no Moodle API here, so the class loads and tests outside Moodle.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class s3v1 {

    /** @var string The algorithm name, first line of the string to sign and of the Authorization header. */
    const ALGORITHM = 'S3V1-HMAC-SHA256';

    /** @var string Header carrying the Unix time of the request. */
    const HEADER_DATE = 'X-S3Video-Date';

    /** @var string Header carrying the single-use nonce. */
    const HEADER_NONCE = 'X-S3Video-Nonce';

    /** @var string Header carrying who Moodle says is calling. */
    const HEADER_ACTOR = 'X-S3Video-Actor';

    /**
     * Percent-encode everything but the RFC 3986 unreserved characters (A-Za-z0-9-_.~).
     *
     * @param string $text raw text (UTF-8)
     * @return string
     */
    public static function rfc3986(string $text): string {
        return rawurlencode($text);
    }

    /**
     * Build a request path from raw segments, each percent-encoded on its own.
     *
     * @param array $segments path segments, e.g. ['assignments', 7, 'submissions', 42]
     * @return string e.g. /assignments/7/submissions/42
     */
    public static function path(array $segments): string {
        return '/' . implode('/', array_map(function($segment) {
            return self::rfc3986((string)$segment);
        }, $segments));
    }

    /**
     * Canonicalise a raw query string: decode each pair ('+' is a space), re-encode name and
     * value per RFC 3986, sort by name then value, join with '&'.
     *
     * @param string $querystring the query as it goes on the wire, without the '?'
     * @return string
     */
    public static function canonical_query(string $querystring): string {
        $pairs = [];
        foreach (explode('&', $querystring) as $part) {
            if ($part === '') {
                continue;
            }
            $nameandvalue = explode('=', $part, 2);
            $pairs[] = [
                self::rfc3986(rawurldecode(str_replace('+', ' ', $nameandvalue[0]))),
                self::rfc3986(rawurldecode(str_replace('+', ' ', $nameandvalue[1] ?? ''))),
            ];
        }
        usort($pairs, function(array $a, array $b): int {
            return strcmp($a[0], $b[0]) ?: strcmp($a[1], $b[1]);
        });
        return implode('&', array_map(function(array $pair): string {
            return $pair[0] . '=' . $pair[1];
        }, $pairs));
    }

    /**
     * Lowercase hex SHA-256 of the body (of the empty string when there is none).
     *
     * @param string $body the exact bytes sent
     * @return string
     */
    public static function body_digest(string $body): string {
        return hash('sha256', $body);
    }

    /**
     * The text that is signed.
     *
     * @param string $method HTTP method
     * @param string $path path as sent (percent-encoded)
     * @param string $querystring raw query string, without the '?'
     * @param string $date Unix seconds as sent
     * @param string $nonce the nonce as sent
     * @param string $actor the actor header value exactly as sent
     * @param string $body the exact body bytes
     * @return string
     */
    public static function string_to_sign(string $method, string $path, string $querystring, string $date,
            string $nonce, string $actor, string $body): string {
        return implode("\n", [
            self::ALGORITHM,
            strtoupper($method),
            $path,
            self::canonical_query($querystring),
            $date,
            $nonce,
            $actor,
            self::body_digest($body),
        ]);
    }

    /**
     * Lowercase hex HMAC-SHA256 of the text with the shared secret.
     *
     * @param string $secret the key's secret
     * @param string $text the string to sign
     * @return string
     */
    public static function signature(string $secret, string $text): string {
        return hash_hmac('sha256', $text, $secret);
    }

    /**
     * The Authorization header value.
     *
     * @param string $keyid the key id the sidecar knows the secret by
     * @param string $signature lowercase hex signature
     * @return string
     */
    public static function authorization(string $keyid, string $signature): string {
        return self::ALGORITHM . ' KeyId=' . $keyid . ', Signature=' . $signature;
    }

    /**
     * A fresh nonce: 32 characters of [0-9a-f], within the contract's 16 to 64 of [A-Za-z0-9_-].
     *
     * @return string
     */
    public static function new_nonce(): string {
        return bin2hex(random_bytes(16));
    }

    /**
     * The four headers of a signed request.
     *
     * @param string $keyid key id
     * @param string $secret key secret
     * @param string $method HTTP method
     * @param string $path path as sent
     * @param string $querystring raw query string
     * @param string $actor actor header value
     * @param string $body exact body bytes
     * @param int $date Unix seconds
     * @param string $nonce single-use nonce
     * @return array header name => value
     */
    public static function sign_headers(string $keyid, string $secret, string $method, string $path,
            string $querystring, string $actor, string $body, int $date, string $nonce): array {
        $text = self::string_to_sign($method, $path, $querystring, (string)$date, $nonce, $actor, $body);
        return [
            self::HEADER_DATE => (string)$date,
            self::HEADER_NONCE => $nonce,
            self::HEADER_ACTOR => $actor,
            'Authorization' => self::authorization($keyid, self::signature($secret, $text)),
        ];
    }
}
