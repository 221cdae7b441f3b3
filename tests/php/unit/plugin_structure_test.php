<?php
// This file is part of the s3video project - GPL v3 or later.

namespace assignsubmission_s3video;

use PHPUnit\Framework\TestCase;

/**
 * What Moodle needs to install and run the plugin, checked without Moodle: the version file, the
 * external functions and their classes, the plugin class's methods, and the database table as
 * backup uses it.
 *
 * Classes that extend Moodle's own can not be loaded here, so their files are read with PHP's
 * tokenizer: class name, parent, methods and the calls each method makes.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @coversNothing
 */
final class plugin_structure_test extends TestCase {

    /**
     * The classes, methods and calls in a PHP file.
     *
     * @param string $file path
     * @return array class name => ['namespace' => string, 'extends' => string, 'methods' => [name => [modifiers,
     *     calls]]]
     */
    private static function outline(string $file): array {
        $tokens = token_get_all(file_get_contents($file));
        $namespace = '';
        $classes = [];
        $class = null;
        $method = null;
        $modifiers = [];
        $depth = 0;
        $classdepth = null;
        $methoddepth = null;
        $count = count($tokens);
        for ($i = 0; $i < $count; $i++) {
            $token = $tokens[$i];
            $id = is_array($token) ? $token[0] : null;
            $text = is_array($token) ? $token[1] : $token;
            if ($id === T_NAMESPACE) {
                $namespace = '';
                for ($i++; $i < $count && $tokens[$i] !== ';'; $i++) {
                    $namespace .= is_array($tokens[$i]) ? trim($tokens[$i][1]) : '';
                }
            } else if ($id === T_CLASS && ($tokens[$i - 1][0] ?? null) !== T_DOUBLE_COLON) {
                $class = $tokens[$i + 2][1];
                $extends = '';
                for ($j = $i + 3; $tokens[$j] !== '{'; $j++) {
                    if (is_array($tokens[$j]) && $tokens[$j][0] === T_EXTENDS) {
                        $extends = $tokens[$j + 2][1];
                    }
                }
                $classes[$class] = ['namespace' => $namespace, 'extends' => $extends, 'methods' => []];
                $classdepth = $depth;
            } else if ($id === T_FUNCTION && $class !== null && $methoddepth === null
                    && is_array($tokens[$i + 2]) && $tokens[$i + 2][0] === T_STRING) {
                $method = $tokens[$i + 2][1];
                $classes[$class]['methods'][$method] = ['modifiers' => $modifiers, 'calls' => []];
                $methoddepth = $depth;
                $modifiers = [];
                $i += 2; // Past the name, which is not a call.
                continue;
            } else if (in_array($id, [T_PUBLIC, T_PROTECTED, T_PRIVATE, T_STATIC, T_ABSTRACT, T_FINAL], true)) {
                $modifiers[] = strtolower($text);
            } else if ($id === T_STRING && $method !== null && ($tokens[$i + 1] ?? null) === '(') {
                $classes[$class]['methods'][$method]['calls'][] = $text;
            } else if ($text === '{' || $id === T_CURLY_OPEN || $id === T_DOLLAR_OPEN_CURLY_BRACES) {
                $depth++;
            } else if ($text === '}') {
                $depth--;
                if ($methoddepth !== null && $depth === $methoddepth) {
                    $method = null;
                    $methoddepth = null;
                } else if ($classdepth !== null && $depth === $classdepth) {
                    $class = null;
                    $classdepth = null;
                }
            }
            if ($id === T_FUNCTION || $text === ';' || $text === '{' || $text === '}') {
                $modifiers = [];
            }
        }
        return $classes;
    }

    /**
     * version.php names the component and requires Moodle 4.1 (2022112800).
     */
    public function test_version_file(): void {
        foreach (['MATURITY_ALPHA' => 50, 'MATURITY_BETA' => 100, 'MATURITY_RC' => 150, 'MATURITY_STABLE' => 200] as $name => $value) {
            if (!defined($name)) {
                define($name, $value); // Moodle's values (lib/setuplib.php).
            }
        }
        $plugin = new \stdClass();
        require(S3VIDEO_PLUGIN_DIR . '/version.php');
        $this->assertSame('assignsubmission_s3video', $plugin->component);
        $this->assertSame(2022112800, $plugin->requires);
        $this->assertMatchesRegularExpression('/^20\d{8}$/', (string)$plugin->version);
        $this->assertNotEmpty($plugin->release);
        $this->assertContains($plugin->maturity, [MATURITY_ALPHA, MATURITY_BETA, MATURITY_RC, MATURITY_STABLE]);
        $this->assertSame([401, 501], $plugin->supported);
    }

    /**
     * The external functions the uploader and the player call.
     *
     * @return array
     */
    public function services(): array {
        $functions = [];
        require(S3VIDEO_PLUGIN_DIR . '/db/services.php');
        $cases = [];
        foreach ($functions as $name => $definition) {
            $cases[$name] = [$name, $definition];
        }
        return $cases;
    }

    /**
     * The expected set of external functions is declared.
     */
    public function test_every_call_of_the_uploader_and_player_is_a_service(): void {
        $this->assertEqualsCanonicalizing([
            'get_upload_url', 'confirm_upload', 'get_playback_url', 'start_multipart', 'sign_parts', 'list_parts',
            'complete_multipart', 'abort_multipart',
        ], array_map(function($name) {
            return substr($name, strlen('assignsubmission_s3video_'));
        }, array_keys($this->services())));
    }

    /**
     * Each external function has its class, with execute_parameters, execute and execute_returns, and
     * execute checks the context and capability first (through base::load_assignment or own_submission).
     *
     * @dataProvider services
     * @param string $name function name
     * @param array $definition its services.php entry
     */
    public function test_service_has_its_class(string $name, array $definition): void {
        $this->assertStringStartsWith('assignsubmission_s3video_', $name);
        foreach (['classname', 'methodname', 'description', 'type', 'ajax', 'capabilities'] as $key) {
            $this->assertArrayHasKey($key, $definition, $name);
        }
        $this->assertSame('execute', $definition['methodname']);
        $this->assertTrue($definition['ajax']);
        $this->assertContains($definition['type'], ['read', 'write']);

        $prefix = 'assignsubmission_s3video\\';
        $this->assertStringStartsWith($prefix . 'external\\', $definition['classname']);
        $relative = str_replace('\\', '/', substr($definition['classname'], strlen($prefix)));
        $file = S3VIDEO_PLUGIN_DIR . "/classes/{$relative}.php";
        $this->assertFileExists($file);
        $short = basename($relative);
        $outline = self::outline($file);
        $this->assertArrayHasKey($short, $outline, "{$file} declares {$short}");
        $this->assertSame('assignsubmission_s3video\\external', $outline[$short]['namespace']);
        $this->assertSame('base', $outline[$short]['extends']);
        foreach (['execute_parameters', 'execute', 'execute_returns'] as $method) {
            $this->assertArrayHasKey($method, $outline[$short]['methods'], "{$short}::{$method}");
            $this->assertContains('public', $outline[$short]['methods'][$method]['modifiers'], "{$short}::{$method}");
            $this->assertContains('static', $outline[$short]['methods'][$method]['modifiers'], "{$short}::{$method}");
        }
        // The calls that build validate_parameters' arguments do not count.
        $calls = array_values(array_diff($outline[$short]['methods']['execute']['calls'], ['execute_parameters', 'compact']));
        $this->assertSame('validate_parameters', $calls[0], "{$short}::execute validates its parameters first");
        $this->assertContains($calls[1], ['load_assignment', 'own_submission'],
            "{$short}::execute checks context and capability before anything else");
    }

    /**
     * The base class checks the context and the capability before it returns the assignment.
     */
    public function test_base_validates_context_and_capability(): void {
        $base = self::outline(S3VIDEO_PLUGIN_DIR . '/classes/external/base.php')['base'];
        $this->assertSame('external_api', $base['extends']);
        $load = $base['methods']['load_assignment']['calls'];
        $this->assertLessThan(array_search('assign', $load, true) ?: PHP_INT_MAX,
            array_search('validate_context', $load, true));
        $this->assertContains('require_capability', $load);
        $own = $base['methods']['own_submission']['calls'];
        $this->assertSame('load_assignment', $own[0]);
        $this->assertSame('require_capability', $own[1]);
        $this->assertContains('for_user_in_context', $own);
    }

    /**
     * The plugin class has every method Moodle calls on a submission plugin.
     */
    public function test_plugin_class_methods(): void {
        $outline = self::outline(S3VIDEO_PLUGIN_DIR . '/locallib.php');
        $this->assertSame('assign_submission_plugin', $outline['assign_submission_s3video']['extends']);
        $methods = $outline['assign_submission_s3video']['methods'];
        foreach (['get_name', 'get_settings', 'save_settings', 'get_form_elements_for_user', 'save', 'view_summary', 'view',
                'submission_summary_for_messages', 'is_empty', 'submission_is_empty', 'remove', 'delete_instance',
                'copy_submission', 'format_for_log', 'get_external_parameters', 'get_config_for_external'] as $method) {
            $this->assertArrayHasKey($method, $methods, $method);
            $this->assertContains('public', $methods[$method]['modifiers'], $method);
        }
        $this->assertContains('run_or_queue', $methods['delete_instance']['calls']);
        $this->assertContains('delete_submission', $methods['remove']['calls']);
        $this->assertContains('confirm_upload', $methods['save']['calls']);
    }

    /**
     * Backup names only columns that the table has, and the restore code writes the same table.
     */
    public function test_backup_matches_table(): void {
        $xml = simplexml_load_file(S3VIDEO_PLUGIN_DIR . '/db/install.xml');
        $columns = [];
        foreach ($xml->TABLES->TABLE as $table) {
            $this->assertSame('assignsubmission_s3video', (string)$table['NAME']);
            foreach ($table->FIELDS->FIELD as $field) {
                $columns[] = (string)$field['NAME'];
            }
        }
        $backup = file_get_contents(S3VIDEO_PLUGIN_DIR .
            '/backup/moodle2/backup_assignsubmission_s3video_subplugin.class.php');
        $this->assertSame(1, preg_match("/'submission_s3video', null, \[(.*?)\]\)/s", $backup, $match));
        preg_match_all("/'([a-z0-9]+)'/", $match[1], $names);
        $this->assertNotEmpty($names[1]);
        $this->assertSame([], array_diff($names[1], $columns), 'backed-up columns the table lacks');
        $this->assertSame([], array_diff($columns, $names[1], ['id', 'assignment']),
            'columns backup leaves out (id and assignment are set on restore)');
    }
}
