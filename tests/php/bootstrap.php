<?php
// This file is part of the s3video project - GPL v3 or later.

/**
 * PHPUnit bootstrap: loads the plugin's Moodle-independent classes outside Moodle.
 *
 * The stand-ins below are the least of Moodle the sidecar client touches: moodle_exception (the
 * parent of sidecar_exception) and get_string, which reads the plugin's real English lang file and
 * fails loudly on a missing identifier, so a test can not pass with a message that does not exist.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

define('MOODLE_INTERNAL', true);
define('S3VIDEO_PLUGIN_DIR', dirname(__DIR__, 2) . '/moodle_plugin');
define('S3VIDEO_REPO_DIR', dirname(__DIR__, 2));

spl_autoload_register(function(string $class): void {
    $prefix = 'assignsubmission_s3video\\';
    if (strpos($class, $prefix) === 0) {
        $file = S3VIDEO_PLUGIN_DIR . '/classes/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require_once($file);
        }
    }
});

/**
 * Stand-in for Moodle's get_string(): the plugin's own strings only.
 *
 * @param string $identifier string identifier
 * @param string $component component (must be assignsubmission_s3video)
 * @param mixed $a placeholder value
 * @return string
 */
function get_string($identifier, $component = '', $a = null) {
    static $strings = null;
    if ($strings === null) {
        $string = [];
        require(S3VIDEO_PLUGIN_DIR . '/lang/en/assignsubmission_s3video.php');
        $strings = $string;
    }
    if ($component !== 'assignsubmission_s3video' || !array_key_exists($identifier, $strings)) {
        throw new LogicException("Missing lang string {$component}/{$identifier}");
    }
    $text = $strings[$identifier];
    if ($a !== null && is_scalar($a)) {
        $text = str_replace('{$a}', (string)$a, $text);
    } else if (is_object($a) || is_array($a)) {
        foreach ((array)$a as $name => $value) {
            $text = str_replace('{$a->' . $name . '}', (string)$value, $text);
        }
    }
    return $text;
}

/**
 * Stand-in for Moodle's moodle_exception: same constructor, same public fields.
 */
class moodle_exception extends Exception {
    /** @var string */
    public $errorcode;
    /** @var string */
    public $module;
    /** @var mixed */
    public $a;
    /** @var string */
    public $link;
    /** @var string|null */
    public $debuginfo;

    /**
     * Constructor.
     *
     * @param string $errorcode lang string identifier
     * @param string $module component
     * @param string $link URL to continue
     * @param mixed $a placeholder value
     * @param string|null $debuginfo developer details
     */
    public function __construct($errorcode, $module = '', $link = '', $a = null, $debuginfo = null) {
        $this->errorcode = $errorcode;
        $this->module = $module;
        $this->link = $link;
        $this->a = $a;
        $this->debuginfo = $debuginfo;
        parent::__construct(get_string($errorcode, $module, $a));
    }
}
