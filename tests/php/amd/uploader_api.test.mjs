// The uploader's bridge between the upload engine and Moodle's external functions
// (moodle_plugin/amd/src/uploader.js, createApi): the engine uploads real bytes to a fake S3
// through calls that go to a fake Moodle, which checks each call's parameters against
// external_parameters.json (checked against the PHP classes by test_amd_modules.py) and answers
// with the shapes the PHP external functions return.

import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {describe, it} from 'node:test';

import {createApi} from '../../../moodle_plugin/amd/src/uploader.js';
import {UploadEngine} from '../../../moodle_plugin/amd/src/upload_engine.js';
import {FakeS3, MemoryStorage, bytesOf, makeApi, makeFile, recordingSleep} from '../../js/fakes.mjs';

const PARAMETERS = JSON.parse(readFileSync(new URL('./external_parameters.json', import.meta.url)));
const ASSIGNMENT = 7;

// What sidecar_exception turns each status into.
const ERRORCODES = {400: 'error:invalid', 403: 'error:accessdenied', 404: 'error:notfound', 409: 'error:conflict',
    413: 'error:toolarge', 415: 'error:typenotallowed', 429: 'error:ratelimited', 503: 'error:unavailable'};

/**
 * Moodle's side: the plugin's external functions over a sidecar-shaped fake api.
 *
 * @param {object} sidecar from makeApi()
 * @return {object} {calls, failures}; installs globalThis.moodleAjax
 */
function fakeMoodle(sidecar) {
    const moodle = {calls: [], failures: {}};
    const confirmed = answer => ({
        status: 'ready', s3_key: answer.s3_key, filename: answer.s3_key.split('/').pop(),
        file_size: answer.file_size, mime_type: 'video/mp4', displaysize: `${answer.file_size} bytes`,
    });
    const handlers = {
        get_upload_url: async args => {
            const answer = await sidecar.requestUpload({filename: args.filename, size: args.filesize, mime_type: args.mimetype});
            if (answer.upload) {
                answer.upload = {url: answer.upload.url,
                    fields: Object.entries(answer.upload.fields).map(([name, value]) => ({name, value}))};
            }
            return answer;
        },
        confirm_upload: async args => confirmed(await sidecar.confirm({s3_key: args.s3key})),
        start_multipart: args => sidecar.startMultipart({filename: args.filename, size: args.filesize,
            mime_type: args.mimetype, fingerprint: args.fingerprint}),
        sign_parts: args => sidecar.signParts({upload_id: args.uploadid, part_numbers: args.partnumbers,
            ...(args.checksums.length ? {checksums: Object.fromEntries(args.checksums.map(c => [c.partnumber, c.sha256]))} : {})}),
        list_parts: args => sidecar.listParts({upload_id: args.uploadid}),
        complete_multipart: async args => confirmed(await sidecar.completeMultipart({upload_id: args.uploadid,
            parts: args.parts.map(part => ({part_number: part.partnumber, etag: part.etag}))})),
        abort_multipart: async args => {
            await sidecar.abortMultipart({upload_id: args.uploadid});
            return {aborted: true};
        },
    };
    globalThis.moodleAjax = async(methodname, args) => {
        assert.match(methodname, /^assignsubmission_s3video_/);
        const name = methodname.slice('assignsubmission_s3video_'.length);
        assert.deepEqual(Object.keys(args).sort(), [...PARAMETERS[name]].sort(), `parameters of ${name}`);
        assert.equal(args.assignmentid, ASSIGNMENT);
        moodle.calls.push({name, args});
        const queued = moodle.failures[name];
        if (queued && queued.length) {
            throw queued.shift();
        }
        try {
            return await handlers[name](args);
        } catch (error) {
            // As the PHP side: a sidecar refusal becomes a Moodle exception with the plugin's code.
            throw {errorcode: ERRORCODES[error.status] || 'error:unexpected', message: `Moodle says: ${error.message}`};
        }
    };
    return moodle;
}

/**
 * An engine whose api is the uploader's bridge.
 *
 * @param {object} apiOptions makeApi options (threshold, partSize, checksum)
 * @return {object}
 */
function setUp(apiOptions = {}) {
    const s3 = new FakeS3();
    const moodle = fakeMoodle(makeApi(s3, apiOptions));
    const seen = {failures: [], errors: []};
    const engine = new UploadEngine({
        api: createApi(ASSIGNMENT, failure => seen.failures.push(failure)),
        transport: s3.transport,
        storage: new MemoryStorage(),
        sleep: recordingSleep(),
        random: () => 0.5,
        onError: error => seen.errors.push(error),
        maxBytes: 1 << 30,
        allowedMimeTypes: ['video/mp4'],
    });
    return {s3, moodle, seen, engine};
}

describe('uploader api bridge', () => {
    it('uploads by presigned POST: form fields rebuilt from Moodle\'s list, then confirmed', async() => {
        const {s3, moodle, engine} = setUp();
        const file = makeFile(3000);
        const video = await engine.upload(file);
        assert.deepEqual(moodle.calls.map(call => call.name), ['get_upload_url', 'confirm_upload']);
        assert.deepEqual(moodle.calls[0].args, {assignmentid: ASSIGNMENT, filename: 'lecture.mp4', filesize: 3000,
            mimetype: 'video/mp4'});
        assert.deepEqual(s3.objects.get(video.s3_key), await bytesOf(file));
        assert.equal(video.filename, 'lecture.mp4');
        assert.equal(video.displaysize, '3000 bytes');
    });

    it('uploads in parts with checksums, and completes with Moodle\'s part names', async() => {
        const {s3, moodle, engine} = setUp({threshold: 0, partSize: 1024, checksum: 'declared'});
        const file = makeFile(5 * 1024 + 10);
        const video = await engine.upload(file);
        assert.deepEqual(s3.objects.get(video.s3_key), await bytesOf(file));
        const signed = moodle.calls.filter(call => call.name === 'sign_parts');
        assert.ok(signed.length > 0);
        for (const call of signed) {
            assert.deepEqual(call.args.checksums.map(c => c.partnumber), call.args.partnumbers);
            call.args.checksums.forEach(c => assert.match(c.sha256, /^[A-Za-z0-9+/]{43}=$/));
        }
        const [complete] = moodle.calls.filter(call => call.name === 'complete_multipart');
        assert.deepEqual(complete.args.parts.map(part => part.partnumber), [1, 2, 3, 4, 5, 6]);
        assert.match(moodle.calls.find(call => call.name === 'start_multipart').args.fingerprint, /^[0-9a-f]{64}$/);
    });

    it('turns the assignment\'s size limit into the engine\'s "toolarge", without retrying', async() => {
        const {moodle, seen, engine} = setUp();
        moodle.failures.get_upload_url = [{errorcode: 'error:toolargeforassignment', message: 'Too large for this assignment.'}];
        await assert.rejects(engine.upload(makeFile(100)), {code: 'toolarge'});
        assert.equal(moodle.calls.length, 1);
        assert.equal(seen.failures[0].status, 413);
    });

    it('turns Moodle\'s refusals into "not allowed", keeping Moodle\'s own message for the uploader', async() => {
        const {moodle, seen, engine} = setUp();
        moodle.failures.get_upload_url = [{errorcode: 'error:submissionclosed', message: 'You cannot change this now.'}];
        await assert.rejects(engine.upload(makeFile(100)), {code: 'notallowed'});
        assert.equal(moodle.calls.length, 1);
        assert.equal(seen.failures[0].message, 'You cannot change this now.');
    });

    it('retries when Moodle did not answer, or could not reach the sidecar', async() => {
        const {moodle, engine} = setUp();
        moodle.failures.get_upload_url = [{statusText: 'error'}, {errorcode: 'error:unreachable', message: 'down'}];
        await engine.upload(makeFile(100));
        assert.deepEqual(moodle.calls.map(call => call.name), ['get_upload_url', 'get_upload_url', 'get_upload_url',
            'confirm_upload']);
    });

    it('cancels a multipart upload through abort_multipart', async() => {
        const {s3, moodle, seen, engine} = setUp({threshold: 0, partSize: 1024});
        s3.intercept(request => request.method === 'PUT', request => FakeS3.hang(request), 100);
        const upload = engine.upload(makeFile(4 * 1024));
        // The first part follows the file's fingerprint (SHA-256 on libuv's thread pool): wait for
        // it by the clock, not by event-loop turns, which a busy machine runs through first.
        const deadline = Date.now() + 10000;
        while (!s3.requests.length) {
            assert.ok(Date.now() < deadline, 'no part was sent within 10 s');
            await new Promise(resolve => setTimeout(resolve, 5));
        }
        await engine.cancel();
        await assert.rejects(upload, {code: 'cancelled'});
        assert.equal(seen.errors[0].code, 'cancelled');
        const [abort] = moodle.calls.filter(call => call.name === 'abort_multipart');
        assert.equal(abort.args.uploadid, moodle.calls.find(call => call.name === 'list_parts').args.uploadid);
    });
});
