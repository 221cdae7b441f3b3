<?php
// This file is part of the s3video project - GPL v3 or later.

namespace assignsubmission_s3video;

use PHPUnit\Framework\TestCase;

/**
 * The PHP signer against the shared S3V1 vectors (tests/vectors/s3v1_signing.json), which the
 * Python reference implementation also reads: the two can not drift apart.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \assignsubmission_s3video\s3v1
 */
final class s3v1_test extends TestCase {

    /**
     * The vectors, keyed by a readable name.
     *
     * @return array
     */
    public function vectors(): array {
        $data = json_decode(file_get_contents(S3VIDEO_REPO_DIR . '/tests/vectors/s3v1_signing.json'), true,
            512, JSON_THROW_ON_ERROR);
        $this->assertSame('S3V1-HMAC-SHA256', $data['algorithm']);
        $cases = [];
        foreach ($data['vectors'] as $vector) {
            $cases[$vector['method'] . ' ' . $vector['path'] . ' ' . $vector['query_string']] = [$vector];
        }
        return $cases;
    }

    /**
     * Every intermediate and final value of every vector.
     *
     * @dataProvider vectors
     * @param array $v one vector
     */
    public function test_vector(array $v): void {
        $this->assertSame($v['canonical_query'], s3v1::canonical_query($v['query_string']));
        $this->assertSame($v['body_sha256'], s3v1::body_digest($v['body']));
        $text = s3v1::string_to_sign($v['method'], $v['path'], $v['query_string'], $v['date'], $v['nonce'],
            $v['actor'], $v['body']);
        $this->assertSame($v['string_to_sign'], $text);
        $this->assertSame($v['signature'], s3v1::signature($v['secret'], $text));
        $headers = s3v1::sign_headers($v['key_id'], $v['secret'], $v['method'], $v['path'], $v['query_string'],
            $v['actor'], $v['body'], (int)$v['date'], $v['nonce']);
        $this->assertSame($v['authorization'], $headers['Authorization']);
        $this->assertSame($v['date'], $headers['X-S3Video-Date']);
        $this->assertSame($v['nonce'], $headers['X-S3Video-Nonce']);
        $this->assertSame($v['actor'], $headers['X-S3Video-Actor']);
    }

    /**
     * The vectors' actors are exactly what the actor class writes.
     *
     * @dataProvider vectors
     * @param array $v one vector
     */
    public function test_actor_header_matches_vector(array $v): void {
        $parsed = json_decode($v['actor'], true);
        $actor = new actor($parsed['user'], $parsed['roles'], $parsed['course'], $parsed['group'] ?? null);
        $this->assertSame($v['actor'], $actor->to_header());
    }

    /**
     * Canonical query edge cases, each checked against what signing.py does.
     */
    public function test_canonical_query_rules(): void {
        $this->assertSame('', s3v1::canonical_query(''));
        $this->assertSame('a=', s3v1::canonical_query('a'));
        $this->assertSame('a=1', s3v1::canonical_query('&&a=1&'));
        $this->assertSame('a=b%3Dc', s3v1::canonical_query('a=b=c'));
        $this->assertSame('x=%20%2B~', s3v1::canonical_query('x=+%2B%7E'));
        $this->assertSame('B=1&a=1', s3v1::canonical_query('a=1&B=1'));
        $this->assertSame('a=%E2%82%AC', s3v1::canonical_query('a=€'));
    }

    /**
     * Paths are percent-encoded segment by segment, with the unreserved characters kept.
     */
    public function test_path_encodes_each_segment(): void {
        $this->assertSame('/assignments/7/submissions/42/multipart/2~abc.DEF_ghi-%2B%2F%3D',
            s3v1::path(['assignments', 7, 'submissions', 42, 'multipart', '2~abc.DEF_ghi-+/=']));
        $this->assertSame('/a%20b/%C3%A9', s3v1::path(['a b', 'é']));
    }

    /**
     * Nonces fit the contract and are not repeated.
     */
    public function test_nonce_fits_contract(): void {
        $seen = [];
        for ($i = 0; $i < 50; $i++) {
            $nonce = s3v1::new_nonce();
            $this->assertMatchesRegularExpression('/^[A-Za-z0-9_-]{16,64}$/', $nonce);
            $seen[$nonce] = true;
        }
        $this->assertCount(50, $seen);
    }

    /**
     * The actor refuses what the sidecar would refuse, instead of sending it.
     */
    public function test_actor_rejects_bad_values(): void {
        $this->assertSame('{"user":5,"roles":["grader","admin"],"course":3}',
            (new actor(5, ['grader', 'admin', 'grader'], 3))->to_header());
        $this->assertSame('{"user":5,"roles":[],"course":3}', (new actor(5, [], 3))->to_header());
        $this->expectException(\InvalidArgumentException::class);
        new actor(5, ['teacher'], 3);
    }

    /**
     * A team submission's group goes last in the header, 0 included; a student's own submission names none.
     */
    public function test_actor_names_a_team_submissions_group(): void {
        $this->assertSame('{"user":5,"roles":["student"],"course":3,"group":12}',
            (new actor(5, ['student'], 3, 12))->to_header());
        $this->assertSame('{"user":5,"roles":["student"],"course":3,"group":0}',
            (new actor(5, ['student'], 3, 0))->to_header());
        $this->assertSame(12, actor::team_group((object)['userid' => 0, 'groupid' => 12]));
        $this->assertSame(0, actor::team_group((object)['userid' => 0, 'groupid' => 0]));
        $this->assertNull(actor::team_group((object)['userid' => 5, 'groupid' => 0]));
        $this->assertNull(actor::team_group(null));
        $this->expectException(\InvalidArgumentException::class);
        new actor(5, ['student'], 3, -1);
    }

    /**
     * A zero user id is refused.
     */
    public function test_actor_rejects_zero_user(): void {
        $this->expectException(\InvalidArgumentException::class);
        new actor(0, ['student'], 3);
    }
}
