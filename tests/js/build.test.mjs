// The JavaScript build: amd/build is current, loads as Moodle's RequireJS
// expects, and --check catches a stale tree.

import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {fileURLToPath} from 'node:url';
import vm from 'node:vm';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILD = path.join(ROOT, 'tools', 'js', 'build.mjs');
const ENGINE_SOURCE = 'moodle_plugin/amd/src/upload_engine.js';

const build = (...args) => spawnSync(process.execPath, [BUILD, ...args], {encoding: 'utf8'});

/**
 * Runs a built AMD file the way RequireJS would, with `dependencies` standing
 * in for the modules it asks for.
 *
 * @return {{id: string, deps: string[], value: *}} value is what the module exports.
 */
function loadAmd(file, dependencies = {}, {dryRun = false} = {}) {
    const defined = [];
    const context = vm.createContext({
        define: (id, deps, factory) => defined.push({id, deps, factory}),
        TextEncoder, AbortController, FormData, Blob, File, btoa, crypto: globalThis.crypto,
    });
    vm.runInContext(readFileSync(file, 'utf8'), context, {filename: file});
    assert.equal(defined.length, 1, 'exactly one define() call');
    const [{id, deps, factory}] = defined;
    if (dryRun) {
        return {id, deps: [...deps]};
    }
    const exports = {};
    const args = deps.map(dep => (dep === 'exports' ? exports : dependencies[dep]));
    const returned = factory(...args);
    // Copied out of the vm realm, so that deepEqual compares plain arrays.
    return {id, deps: [...deps], value: returned === undefined ? exports : returned};
}

describe('the committed build', () => {
    it('is up to date with moodle_plugin/amd/src and the engine copy (build.mjs --check)', () => {
        const result = build('--check');
        assert.equal(result.status, 0, result.stderr);
    });

    it('defines assignsubmission_s3video/upload_engine with working exports, from its local/upload modules', () => {
        const modules = new Map();
        const load = name => {
            if (!modules.has(name)) {
                const file = path.join(ROOT, 'moodle_plugin/amd/build', `${name.replace(/^assignsubmission_s3video\//, '')}.min.js`);
                const {deps} = loadAmd(file, {}, {dryRun: true});
                const dependencies = Object.fromEntries(deps.filter(dep => dep !== 'exports').map(dep => [dep, load(dep)]));
                modules.set(name, loadAmd(file, dependencies));
            }
            return modules.get(name).value;
        };
        const value = load('assignsubmission_s3video/upload_engine');
        const {id, deps} = modules.get('assignsubmission_s3video/upload_engine');
        assert.equal(id, 'assignsubmission_s3video/upload_engine');
        assert.ok(deps.includes('assignsubmission_s3video/local/upload/part_transfer') ||
            deps.includes('assignsubmission_s3video/local/upload/multipart'), deps.join(', '));
        assert.ok(deps.every(dep => dep === 'exports' || dep.startsWith('assignsubmission_s3video/local/upload/')));
        assert.equal(value.planParts(2500, 1000).length, 3);
        assert.equal(typeof value.UploadEngine, 'function');
        assert.equal(value.ERROR_CODES.NETWORK, 'network');
        assert.ok(modules.has('assignsubmission_s3video/local/upload/part_transfer'));
    });

    it('maps the minified engine back to its source', () => {
        const map = JSON.parse(readFileSync(path.join(ROOT, 'moodle_plugin/amd/build/upload_engine.min.js.map'), 'utf8'));
        assert.deepEqual(map.sources, ['../src/upload_engine.js']);
        assert.equal(map.sourcesContent[0], readFileSync(path.join(ROOT, ENGINE_SOURCE), 'utf8'));
        assert.match(readFileSync(path.join(ROOT, 'moodle_plugin/amd/build/upload_engine.min.js'), 'utf8'),
            /\n\/\/# sourceMappingURL=upload_engine\.min\.js\.map$/);
    });

    it('gives the development page the player\'s recovery rules as the same ES module', async() => {
        const copy = await import('../../s3video_sidecar/static/js/playback.mjs');
        const source = await import('../../moodle_plugin/amd/src/playback.js');
        assert.deepEqual(Object.keys(copy).sort(), Object.keys(source).sort());
        const {id, deps, value} = loadAmd(path.join(ROOT, 'moodle_plugin/amd/build/playback.min.js'));
        assert.equal(id, 'assignsubmission_s3video/playback');
        assert.deepEqual(deps, ['exports']);
        assert.equal(value.classifyFailure({status: 404, mediaErrorCode: 4}), 'missing');
    });

    it('gives the development page the same engine as an ES module', async() => {
        const copy = await import('../../s3video_sidecar/static/js/upload_engine.mjs');
        const source = await import('../../moodle_plugin/amd/src/upload_engine.js');
        assert.deepEqual(Object.keys(copy).sort(), Object.keys(source).sort());
        assert.equal(copy.planParts(10, 3).length, 4);
        // Its modules import one another by relative paths a browser loads.
        const transfer = readFileSync(path.join(ROOT, 's3video_sidecar/static/js/local/upload/part_transfer.mjs'), 'utf8');
        assert.match(transfer, /from '\.\/checksums\.mjs'/);
        assert.doesNotMatch(transfer, /from 'assignsubmission_s3video/);
    });
});

describe('build.mjs on a scratch tree', () => {
    let root;
    const amd = (...parts) => path.join(root, 'moodle_plugin', 'amd', ...parts);

    before(() => {
        root = mkdtempSync(path.join(tmpdir(), 's3video-build-'));
        mkdirSync(amd('src', 'local'), {recursive: true});
        cpSync(path.join(ROOT, ENGINE_SOURCE), amd('src', 'upload_engine.js'));
        // A module in Moodle's older style: a default export only.
        writeFileSync(amd('src', 'local', 'legacy.js'),
            "import Ajax from 'core/ajax';\nexport default {init: () => Ajax.name};\n");
        const result = build('--root', root);
        assert.equal(result.status, 0, result.stderr);
    });

    after(() => rmSync(root, {recursive: true, force: true}));

    it('builds nested modules with their path in the id, returning a default export itself', () => {
        const {id, deps, value} = loadAmd(amd('build', 'local', 'legacy.min.js'), {'core/ajax': {name: 'ajax'}});
        assert.equal(id, 'assignsubmission_s3video/local/legacy');
        assert.deepEqual(deps, ['exports', 'core/ajax']);
        // Moodle's js_call_amd() calls module.init(): the default export must be the module.
        assert.equal(value.init(), 'ajax');
        const map = JSON.parse(readFileSync(amd('build', 'local', 'legacy.min.js.map'), 'utf8'));
        assert.deepEqual(map.sources, ['../../src/local/legacy.js']);
    });

    it('finds nothing stale right after a build', () => {
        const result = build('--check', '--root', root);
        assert.equal(result.status, 0, result.stderr);
    });

    it('fails --check when a source changed, a build file has no source, or the engine copy differs', () => {
        const engine = amd('src', 'upload_engine.js');
        writeFileSync(engine, `${readFileSync(engine, 'utf8')}\nexport const ADDED = 1;\n`);
        writeFileSync(amd('build', 'gone.min.js'), 'define("assignsubmission_s3video/gone",[],function(){});');
        const copies = path.join(root, 's3video_sidecar', 'static', 'js', 'local', 'upload');
        mkdirSync(copies, {recursive: true});
        writeFileSync(path.join(copies, 'gone.mjs'), 'export const GONE = 1;\n');
        const result = build('--check', '--root', root);
        assert.equal(result.status, 1);
        assert.match(result.stderr, /stale: moodle_plugin\/amd\/build\/upload_engine\.min\.js\n/);
        assert.match(result.stderr, /stale: s3video_sidecar\/static\/js\/upload_engine\.mjs/);
        assert.match(result.stderr, /no source: moodle_plugin\/amd\/build\/gone\.min\.js/);
        assert.match(result.stderr, /no source: s3video_sidecar\/static\/js\/local\/upload\/gone\.mjs/);
        assert.doesNotMatch(result.stderr, /legacy/);

        // Building again repairs all of it.
        assert.equal(build('--root', root).status, 0);
        assert.equal(build('--check', '--root', root).status, 0);
    });
});
