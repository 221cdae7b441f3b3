// eslint for all of the project's JavaScript (`npx eslint .`, run by `make test`): the plugin's
// AMD sources and the /demo page's scripts (browser ES modules), the build tool, the bench page
// and the Node tests. Generated files (amd/build, the /demo copies of the engine) are not linted:
// their sources are.
import js from '@eslint/js';
import globals from 'globals';

export default [
    {
        ignores: [
            'moodle_plugin/amd/build/**',
            's3video_sidecar/static/js/**',
            'bench/page/vendor/**',
            'node_modules/**',
            '.venv/**',
            'var/**',
            'test-artifacts/**',
        ],
    },
    js.configs.recommended,
    {
        files: ['**/*.js', '**/*.mjs'],
        languageOptions: {ecmaVersion: 2022, sourceType: 'module'},
        rules: {
            'eqeqeq': 'error',
            'no-var': 'error',
            'prefer-const': 'error',
            'no-unused-vars': ['error', {args: 'after-used', caughtErrors: 'none'}],
        },
    },
    {
        files: ['moodle_plugin/amd/src/**/*.js', 's3video_sidecar/static/**/*.mjs', 'bench/page/**/*.mjs'],
        languageOptions: {globals: globals.browser},
    },
    {
        files: ['tools/js/**/*.mjs', 'tests/**/*.mjs'],
        languageOptions: {globals: globals.node},
    },
];
