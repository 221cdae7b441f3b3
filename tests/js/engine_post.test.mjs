// The engine up to and through a presigned POST: file checks, the POST
// itself, renewal of an expired policy, and how sidecar errors are reported.

import assert from 'node:assert/strict';
import {describe, it} from 'node:test';

import {TransportError, UploadEngine, UploadError} from '../../moodle_plugin/amd/src/upload_engine.js';
import {BUCKET_URL, S3_ANSWERS, bytesOf, harness, makeFile, manualClock} from './fakes.mjs';

const isPost = request => request.method === 'POST';

describe('file checks', () => {
    const refused = async(file, engineOptions) => {
        const {s3, api, events, options} = harness({engineOptions});
        const engine = new UploadEngine(options);
        const error = await engine.upload(file).then(() => null, thrown => thrown);
        assert.ok(error instanceof UploadError, 'upload() rejects with an UploadError');
        // Refused before any byte moved, and before the sidecar was even asked.
        assert.equal(s3.requests.length, 0);
        assert.equal(api.calls.length, 0);
        assert.deepEqual(events.errors, [error]);
        assert.deepEqual(events.states, ['checking', 'failed']);
        return error;
    };

    it('refuses a file over maxBytes', async() => {
        const error = await refused(makeFile(2048), {maxBytes: 2047});
        assert.equal(error.code, 'toolarge');
        assert.equal(error.message, 'This file is too large (2 KB). The largest file you can upload is 2 KB.');
    });

    it('refuses a type that is not allowed', async() => {
        const error = await refused(makeFile(10, {name: 'notes.pdf', type: 'application/pdf'}),
            {allowedMimeTypes: ['video/mp4', 'video/webm']});
        assert.equal(error.code, 'typenotallowed');
        assert.match(error.message, /application\/pdf.*video\/mp4, video\/webm/);
    });

    it('refuses an empty file', async() => {
        const error = await refused(makeFile(0), {});
        assert.equal(error.code, 'typenotallowed');
        assert.match(error.message, /empty/);
    });

    it('accepts "video/*" and recognises a typeless .mkv by its extension', async() => {
        const {api, options} = harness({engineOptions: {allowedMimeTypes: ['video/*']}});
        await new UploadEngine(options).upload(makeFile(10, {name: 'talk.mkv', type: ''}));
        assert.equal(api.callsOf('requestUpload')[0].args.mime_type, 'video/x-matroska');
    });

    it('refuses a file over the max_size the sidecar announces, before sending it', async() => {
        const {s3, api, options} = harness({apiOptions: {maxSize: 100}});
        const error = await new UploadEngine(options).upload(makeFile(101)).catch(thrown => thrown);
        assert.equal(error.code, 'toolarge');
        assert.equal(s3.requests.length, 0);
        assert.deepEqual(api.calls.map(call => call.name), ['requestUpload']);
    });
});

describe('presigned POST', () => {
    it('sends the fields first and the file last, then confirms', async() => {
        const file = makeFile(5000);
        const {s3, api, events, options} = harness();
        const result = await new UploadEngine(options).upload(file);

        const [request] = s3.requests;
        assert.equal(request.url, BUCKET_URL);
        assert.deepEqual(Array.from(request.body.keys()), ['key', 'Content-Type', 'policy', 'x-amz-signature', 'file']);
        assert.equal(request.body.get('Content-Type'), 'video/mp4');
        const key = request.body.get('key');
        assert.deepEqual(s3.objects.get(key), await bytesOf(file));
        assert.deepEqual(api.callsOf('confirm').map(call => call.args), [{s3_key: key}]);
        assert.deepEqual(result, {status: 'ready', s3_key: key, file_size: 5000});
        assert.deepEqual(events.states, ['checking', 'preparing', 'uploading', 'completing', 'done']);
        assert.equal(events.errors.length, 0);
    });

    it('reports progress in file bytes, ending at 100 %', async() => {
        const {events, options} = harness();
        await new UploadEngine(options).upload(makeFile(5000));
        const sent = events.progress.map(progress => progress.bytesSent);
        assert.equal(sent[0], 0);
        assert.ok(sent.some(bytes => bytes > 0 && bytes < 5000), 'an intermediate figure was shown');
        assert.ok(sent.every(bytes => bytes <= 5000), 'form overhead is not counted as file bytes');
        assert.deepEqual(events.progress.at(-1), {
            percent: 100, bytesSent: 5000, bytesTotal: 5000, bytesPerSecond: events.progress.at(-1).bytesPerSecond,
            secondsLeft: 0,
        });
    });

    it('asks for a fresh POST once when S3 says the policy expired, and retries', async() => {
        const {s3, api, events, options} = harness();
        s3.intercept(isPost, S3_ANSWERS.policyExpired);
        await new UploadEngine(options).upload(makeFile(300));
        assert.equal(api.callsOf('requestUpload').length, 2);
        const posts = s3.requests.filter(isPost);
        assert.equal(posts.length, 2);
        // The second POST uses the second grant, and confirm names its key.
        assert.equal(posts[1].body.get('policy'), 'policy-2');
        assert.equal(api.callsOf('confirm')[0].args.s3_key, posts[1].body.get('key'));
        assert.equal(events.errors.length, 0);
    });

    it('reports "expired" when the fresh POST expires too', async() => {
        const {s3, api, events, options} = harness();
        s3.intercept(isPost, S3_ANSWERS.policyExpired, 2);
        const error = await new UploadEngine(options).upload(makeFile(300)).catch(thrown => thrown);
        assert.equal(error.code, 'expired');
        assert.equal(error.message, 'The permission to upload expired before the upload finished. ' +
            'Press Retry to get a new one.');
        assert.equal(api.callsOf('requestUpload').length, 2);
        assert.equal(api.callsOf('confirm').length, 0);
        assert.deepEqual(events.errors.map(e => e.code), ['expired']);
    });

    it('renews a grant that expired before sending without pushing the file first', async() => {
        const clock = manualClock(Date.UTC(2030, 0, 1));
        let grants = 0;
        const {s3, api, options} = harness({
            apiOptions: {expiresAt: () => (++grants === 1 ? '2029-12-31T23:59:00Z' : '2030-01-01T00:10:00Z')},
            engineOptions: {now: clock},
        });
        await new UploadEngine(options).upload(makeFile(300));
        assert.equal(api.callsOf('requestUpload').length, 2);
        assert.equal(s3.requests.length, 1);
    });

    it('retries a POST after a network failure or a 503, with backoff', async() => {
        const {s3, sleep, events, options} = harness();
        s3.intercept(isPost, S3_ANSWERS.network);
        s3.intercept(isPost, S3_ANSWERS.slowDown);
        await new UploadEngine(options).upload(makeFile(300));
        assert.equal(s3.requests.length, 3);
        assert.deepEqual(sleep.delays, [750, 1500]);
        const sent = events.progress.map(progress => progress.bytesSent);
        sent.forEach((bytes, index) => assert.ok(index === 0 || bytes >= sent[index - 1], `progress went back: ${sent}`));
    });

    it('reports another S3 refusal as s3error with S3\'s reason in the detail', async() => {
        const {s3, options} = harness();
        s3.intercept(isPost, S3_ANSWERS.signatureMismatch);
        const error = await new UploadEngine(options).upload(makeFile(300)).catch(thrown => thrown);
        assert.equal(error.code, 's3error');
        assert.match(error.detail, /403 SignatureDoesNotMatch/);
        assert.equal(s3.requests.length, 1);
    });

    it('refuses to start a second upload on a busy engine', async() => {
        const {s3, options} = harness();
        s3.intercept(isPost, request => new Promise(resolve => setTimeout(() => resolve(s3.post(request)), 5)));
        const engine = new UploadEngine(options);
        const first = engine.upload(makeFile(300));
        await assert.rejects(engine.upload(makeFile(300)), /already running/);
        await first;
    });
});

describe('sidecar errors', () => {
    const failWith = async(error, {times = 1, maxRetries = 5} = {}) => {
        const {api, sleep, events, options} = harness({engineOptions: {maxRetries}});
        api.failures.requestUpload = Array.from({length: times}, () => error);
        const outcome = await new UploadEngine(options).upload(makeFile(300)).then(() => null, thrown => thrown);
        return {outcome, api, sleep, events};
    };

    it('maps 413 to toolarge and 415 to typenotallowed without retrying', async() => {
        const tooLarge = await failWith({status: 413, message: 'too large'});
        assert.equal(tooLarge.outcome.code, 'toolarge');
        assert.equal(tooLarge.api.callsOf('requestUpload').length, 1);
        const badType = await failWith({status: 415, message: 'type'});
        assert.equal(badType.outcome.code, 'typenotallowed');
        const fieldError = await failWith({status: 400, error: 'invalid', fields: {size: 'too big'}});
        assert.equal(fieldError.outcome.code, 'toolarge');
    });

    it('retries a sidecar that cannot be reached, then reports a network error', async() => {
        const {outcome, api, sleep, events} = await failWith({status: 0, message: 'offline'}, {times: 3, maxRetries: 2});
        assert.equal(outcome.code, 'network');
        assert.equal(api.callsOf('requestUpload').length, 3);
        assert.deepEqual(sleep.delays, [750, 1500]);
        assert.deepEqual(events.errors.map(e => e.code), ['network']);
    });

    it('waits as long as a 503 says in Retry-After, then succeeds', async() => {
        const {outcome, api, sleep} = await failWith({status: 503, retryAfter: 7, message: 'busy'});
        assert.equal(outcome, null);
        assert.equal(api.callsOf('requestUpload').length, 2);
        assert.deepEqual(sleep.delays, [7000]);
    });

    it('treats a fetch TypeError as a network failure', async() => {
        const {outcome} = await failWith(new TypeError('Failed to fetch'), {times: 6});
        assert.equal(outcome.code, 'network');
    });

    it('reports a 409 from confirm as s3error and anything odd as unknown', async() => {
        const {s3, api, options} = harness();
        s3.intercept(isPost, () => ({status: 204, headers: {get: () => null}, body: ''}));
        const missing = await new UploadEngine(options).upload(makeFile(300)).catch(thrown => thrown);
        assert.equal(missing.code, 's3error');
        assert.match(missing.detail, /confirm failed with 409/);

        api.failures.requestUpload = [{status: 418, message: 'a teapot'}];
        const odd = await new UploadEngine(options).upload(makeFile(300)).catch(thrown => thrown);
        assert.equal(odd.code, 'unknown');
        assert.match(odd.detail, /a teapot/);
    });

    it('names a 403 "not allowed" and a 404 "missing", without retrying either', async() => {
        const refused = await failWith({status: 403, message: 'not your submission'});
        assert.equal(refused.outcome.code, 'notallowed');
        assert.equal(refused.outcome.message, 'You are not allowed to upload a video here.');
        assert.match(refused.outcome.detail, /not your submission/);
        assert.equal(refused.api.callsOf('requestUpload').length, 1);
        const gone = await failWith({status: 404, message: 'no such upload'});
        assert.equal(gone.outcome.code, 'missing');
        assert.match(gone.outcome.message, /no longer exists/);
        assert.equal(gone.api.callsOf('requestUpload').length, 1);
    });
});

describe('what a storage that never answers means', () => {
    const noAnswer = async({online = true, progressFirst = false} = {}) => {
        const {s3, api, events, options} = harness({engineOptions: {maxRetries: 2, isOnline: () => online}});
        s3.intercept(isPost, request => {
            if (progressFirst) {
                request.onUploadProgress(100, 500); // the preflight passed: bytes left the browser
            }
            throw new TransportError('network', 'status 0');
        }, 3);
        const outcome = await new UploadEngine(options).upload(makeFile(300)).catch(thrown => thrown);
        return {outcome, s3, api, events};
    };

    it('blames the site\'s storage CORS when the sidecar answered and the storage never did', async() => {
        const {outcome, s3, api, events} = await noAnswer();
        assert.equal(outcome.code, 'misconfigured');
        assert.equal(outcome.message, 'The site is misconfigured: the browser may not send videos to the video storage. ' +
            'Tell your administrator (storage CORS).');
        assert.match(outcome.detail, /sidecar answered, the storage never did/);
        assert.equal(s3.requests.length, 3); // retried as a network failure first
        assert.deepEqual(api.calls.map(call => call.name), ['requestUpload']);
        assert.deepEqual(events.errors, [outcome]);
    });

    it('blames the connection when the browser is offline, or once bytes reached the storage', async() => {
        assert.equal((await noAnswer({online: false})).outcome.code, 'network');
        assert.equal((await noAnswer({progressFirst: true})).outcome.code, 'network');
    });

    it('blames the connection when the sidecar cannot be reached either', async() => {
        const {api, options} = harness({engineOptions: {maxRetries: 1}});
        api.failures.requestUpload = [{status: 0, message: 'offline'}, {status: 0, message: 'offline'}];
        const outcome = await new UploadEngine(options).upload(makeFile(300)).catch(thrown => thrown);
        assert.equal(outcome.code, 'network');
        assert.match(outcome.message, /Check your internet connection/);
    });
});
