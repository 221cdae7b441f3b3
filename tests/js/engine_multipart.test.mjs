// The engine's multipart path: parts in flight, retries, just-in-time
// signing, resume, cancel, checksums.

import assert from 'node:assert/strict';
import {describe, it} from 'node:test';

import {UploadEngine} from '../../moodle_plugin/amd/src/upload_engine.js';
import {FakeS3, MemoryStorage, S3_ANSWERS, bytesOf, harness, makeFile, manualClock, sha256Base64Of} from './fakes.mjs';

const PART = 1024;
const multipart = (engineOptions = {}, apiOptions = {}, extra = {}) =>
    harness({apiOptions: {threshold: 0, partSize: PART, ...apiOptions}, engineOptions, ...extra});
const partIs = number => request => request.method === 'PUT' && request.partNumber === number;
const assertNeverBackwards = progress => {
    const sent = progress.map(entry => entry.bytesSent);
    sent.forEach((bytes, index) => assert.ok(index === 0 || bytes >= sent[index - 1], `went back at ${index}: ${sent}`));
};

describe('multipart upload', () => {
    it('sends parts in parallel up to partsInFlight and assembles exactly the file', async() => {
        const file = makeFile(10 * PART - 100);
        const {s3, api, storage, events, options} = multipart({partsInFlight: 3});
        const result = await new UploadEngine(options).upload(file);

        assert.equal(s3.maxInFlight, 3);
        assert.deepEqual(s3.partRequests().map(request => request.partNumber).sort((a, b) => a - b),
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        const [complete] = api.callsOf('completeMultipart');
        assert.deepEqual(complete.args.parts.map(part => part.part_number), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert.equal(complete.args.parts[9].etag, `"etag-10-${PART - 100}"`);
        assert.deepEqual(s3.objects.get(result.s3_key), await bytesOf(file));
        assert.equal(result.file_size, file.size);
        // The resume record goes once the upload is complete.
        assert.equal(storage.items.size, 0);
        assert.deepEqual(events.states, ['checking', 'preparing', 'uploading', 'completing', 'done']);
        assert.equal(events.progress.at(-1).percent, 100);
        assertNeverBackwards(events.progress);
    });

    it('passes the fingerprint to the sidecar and signs URLs in small batches, each part once', async() => {
        const {api, options} = multipart({partsInFlight: 2, signBatchSize: 2});
        await new UploadEngine(options).upload(makeFile(7 * PART));
        assert.match(api.callsOf('startMultipart')[0].args.fingerprint, /^[0-9a-f]{64}$/);
        const batches = api.callsOf('signParts').map(call => call.args.part_numbers);
        assert.ok(batches.every(batch => batch.length <= 2), JSON.stringify(batches));
        assert.deepEqual(batches.flat().sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7]);
        // Just in time: the first batch does not sign the whole file.
        assert.ok(batches.length >= 4);
    });

    it('retries a part after network errors and 5xx with growing backoff', async() => {
        const file = makeFile(4 * PART);
        const {s3, sleep, events, options} = multipart({partsInFlight: 1});
        // The first attempt dies three quarters in: its bytes are lost, the bar must not go back.
        s3.intercept(partIs(2), request => {
            request.onUploadProgress(PART * 3 / 4, PART);
            return S3_ANSWERS.network();
        });
        s3.intercept(partIs(2), S3_ANSWERS.network);
        s3.intercept(partIs(2), S3_ANSWERS.slowDown);
        const result = await new UploadEngine(options).upload(file);
        assert.deepEqual(s3.partRequests().map(request => request.partNumber), [1, 2, 2, 2, 2, 3, 4]);
        assert.deepEqual(sleep.delays, [750, 1500, 3000]);
        assert.deepEqual(s3.objects.get(result.s3_key), await bytesOf(file));
        assertNeverBackwards(events.progress);
        assert.equal(events.errors.length, 0);
    });

    it('gives up after maxRetries, reports a network error and keeps the upload for resume', async() => {
        const {s3, api, storage, events, options} = multipart({partsInFlight: 1, maxRetries: 2});
        s3.intercept(partIs(2), S3_ANSWERS.network, 3);
        const error = await new UploadEngine(options).upload(makeFile(4 * PART)).catch(thrown => thrown);
        assert.equal(error.code, 'network');
        assert.deepEqual(events.errors.map(e => e.code), ['network']);
        assert.equal(events.states.at(-1), 'failed');
        assert.equal(s3.partRequests().filter(partIs(2)).length, 3);
        assert.equal(api.callsOf('abortMultipart').length, 0);
        assert.equal(api.callsOf('completeMultipart').length, 0);
        assert.equal(storage.items.size, 1);
    });

    it('stops the other parts when one fails for good', async() => {
        const {s3, options} = multipart({partsInFlight: 3, maxRetries: 0});
        s3.intercept(partIs(1), S3_ANSWERS.signatureMismatch, 3);
        s3.intercept(partIs(2), FakeS3.hang);
        s3.intercept(partIs(3), FakeS3.hang);
        const error = await new UploadEngine(options).upload(makeFile(8 * PART)).catch(thrown => thrown);
        assert.equal(error.code, 's3error');
        assert.equal(s3.aborted, 2);
        assert.equal(s3.inFlight, 0);
        assert.ok(s3.partRequests().every(request => request.partNumber <= 3));
    });

    it('says the site is misconfigured when the ETag header cannot be read (CORS)', async() => {
        const {s3, options} = multipart();
        s3.sendEtag = false;
        const error = await new UploadEngine(options).upload(makeFile(2 * PART)).catch(thrown => thrown);
        assert.equal(error.code, 'misconfigured');
        assert.match(error.message, /misconfigured.*administrator \(storage CORS\)/);
        assert.match(error.detail, /CORS rule must expose ETag/);
    });
});

describe('part URLs', () => {
    it('re-signs a part whose URL S3 finds expired, and sends it again', async() => {
        const {s3, api, events, options} = multipart({partsInFlight: 1});
        s3.intercept(partIs(2), S3_ANSWERS.urlExpired);
        await new UploadEngine(options).upload(makeFile(3 * PART));
        const part2 = s3.partRequests().filter(partIs(2));
        assert.equal(part2.length, 2);
        assert.notEqual(part2[0].url, part2[1].url);
        const signedFor2 = api.callsOf('signParts').filter(call => call.args.part_numbers.includes(2));
        assert.equal(signedFor2.length, 2);
        assert.equal(events.errors.length, 0);
    });

    it('re-signs on a 403 at most twice, then reports the error', async() => {
        const {s3, api, options} = multipart({partsInFlight: 1});
        s3.intercept(partIs(1), S3_ANSWERS.urlExpired, 10);
        const error = await new UploadEngine(options).upload(makeFile(2 * PART)).catch(thrown => thrown);
        assert.equal(error.code, 'expired');
        assert.equal(s3.partRequests().length, 3);
        // Signed once, then re-signed twice (part 2's URL is signed ahead meanwhile).
        assert.equal(api.callsOf('signParts').filter(call => call.args.part_numbers.includes(1)).length, 3);
    });

    it('signs again before use when a URL is about to expire', async() => {
        const clock = manualClock(Date.UTC(2030, 0, 1));
        // Each batch is valid for 5 minutes from the moment it is signed.
        const {s3, api, options} = multipart({partsInFlight: 1, signBatchSize: 3, now: clock},
            {expiresAt: () => new Date(clock.time + 5 * 60 * 1000).toISOString()});
        // Part 1 is slow: 4.5 minutes pass while it is sent.
        s3.intercept(partIs(1), request => {
            clock.advance(4.5 * 60 * 1000);
            return s3.putPart(request, new URL(request.url));
        });
        await new UploadEngine(options).upload(makeFile(3 * PART));
        const batches = api.callsOf('signParts').map(call => call.args.part_numbers);
        // Parts 2 and 3 were signed with part 1, but only 30 s were left when
        // their turn came: they were signed again rather than sent to fail.
        assert.deepEqual(batches, [[1, 2, 3], [2, 3]]);
        assert.equal(s3.partRequests().length, 3);
    });
});

describe('resume', () => {
    const interruptedUpload = async(file, {storage = new MemoryStorage(), s3 = new FakeS3(), failAt = 4} = {}) => {
        const first = multipart({partsInFlight: 1, maxRetries: 0}, {}, {storage, s3});
        s3.intercept(partIs(failAt), S3_ANSWERS.network);
        const error = await new UploadEngine(first.options).upload(file).catch(thrown => thrown);
        assert.equal(error.code, 'network');
        return {storage, s3, uploadId: first.api.callsOf('startMultipart')[0].args && [...s3.uploads.keys()][0]};
    };

    it('skips the parts S3 already holds when the same file is chosen again', async() => {
        const file = makeFile(6 * PART + 10);
        const {storage, s3, uploadId} = await interruptedUpload(file);
        const sentBefore = s3.partRequests().length;

        // A new page, a new engine: only the storage and S3 remain.
        const second = multipart({partsInFlight: 2}, {}, {storage, s3});
        const again = makeFile(6 * PART + 10);
        const result = await new UploadEngine(second.options).upload(again);

        assert.equal(second.api.callsOf('startMultipart').length, 0);
        assert.deepEqual(second.api.callsOf('listParts').map(call => call.args), [{upload_id: uploadId}]);
        const resent = s3.partRequests().slice(sentBefore).map(request => request.partNumber).sort((a, b) => a - b);
        assert.deepEqual(resent, [4, 5, 6, 7]);
        assert.deepEqual(s3.objects.get(result.s3_key), await bytesOf(file));
        // Progress starts from the parts already there.
        assert.equal(second.events.progress[0].bytesSent, 3 * PART);
        assertNeverBackwards(second.events.progress);
        assert.equal(storage.items.size, 0);
    });

    it('sends again a listed part whose size is not the planned one', async() => {
        const file = makeFile(4 * PART);
        const {storage, s3, uploadId} = await interruptedUpload(file);
        const truncated = s3.uploads.get(uploadId).parts.get(2);
        truncated.bytes = truncated.bytes.slice(0, 100);
        const sentBefore = s3.partRequests().length;

        const second = multipart({partsInFlight: 1}, {}, {storage, s3});
        const result = await new UploadEngine(second.options).upload(file);
        assert.deepEqual(s3.partRequests().slice(sentBefore).map(request => request.partNumber), [2, 4]);
        assert.deepEqual(s3.objects.get(result.s3_key), await bytesOf(file));
    });

    it('starts afresh when the stored upload is gone', async() => {
        const file = makeFile(3 * PART);
        const {storage, s3, uploadId} = await interruptedUpload(file, {failAt: 2});
        s3.uploads.delete(uploadId); // Aborted by the sidecar's cleanup meanwhile.

        const second = multipart({}, {}, {storage, s3});
        await new UploadEngine(second.options).upload(file);
        assert.equal(second.api.callsOf('startMultipart').length, 1);
        assert.equal(s3.partRequests().filter(request => request.url.includes(uploadId)).length, 2);
        assert.equal(storage.items.size, 0);
    });

    it('does not resume a different file', async() => {
        const {storage, s3} = await interruptedUpload(makeFile(3 * PART), {failAt: 3});
        const second = multipart({}, {}, {storage, s3});
        await new UploadEngine(second.options).upload(makeFile(3 * PART, {lastModified: 1}));
        assert.equal(second.api.callsOf('startMultipart').length, 1);
    });

    it('resumes an upload the sidecar hands back for the fingerprint, with no local record', async() => {
        const file = makeFile(3 * PART);
        const {s3, uploadId} = await interruptedUpload(file, {failAt: 3});
        const second = multipart({}, {}, {storage: null, s3});
        // The sidecar recognises the fingerprint and returns the upload it holds.
        const start = second.api.startMultipart;
        second.api.startMultipart = async args => ({...await start(args), upload_id: uploadId});
        const sentBefore = s3.partRequests().length;
        const result = await new UploadEngine(second.options).upload(file);
        assert.deepEqual(s3.partRequests().slice(sentBefore).map(request => request.partNumber), [3]);
        assert.deepEqual(s3.objects.get(result.s3_key), await bytesOf(file));
    });

    it('still uploads when storage refuses to store anything', async() => {
        const storage = {
            getItem: () => {
                throw new Error('SecurityError');
            },
            setItem: () => {
                throw new Error('QuotaExceededError');
            },
            removeItem: () => undefined,
        };
        const {options} = multipart({}, {}, {storage});
        const result = await new UploadEngine(options).upload(makeFile(2 * PART));
        assert.equal(result.status, 'ready');
    });
});

describe('cancel', () => {
    it('aborts the parts in flight, aborts the multipart upload and forgets it', async() => {
        const {s3, api, storage, events, options} = multipart({partsInFlight: 3});
        s3.intercept(request => request.method === 'PUT', FakeS3.hang, 3);
        const engine = new UploadEngine(options);
        const uploading = engine.upload(makeFile(6 * PART));
        while (s3.inFlight < 3) {
            await new Promise(resolve => setImmediate(resolve));
        }
        assert.equal(await engine.cancel(), true);
        const error = await uploading.catch(thrown => thrown);

        assert.equal(error.code, 'cancelled');
        assert.equal(error.message, 'The upload was cancelled.');
        assert.equal(s3.aborted, 3);
        assert.equal(s3.inFlight, 0);
        assert.equal(s3.partRequests().length, 3, 'no part starts after the cancel');
        assert.equal(api.callsOf('abortMultipart').length, 1);
        assert.equal(s3.uploads.size, 0);
        assert.equal(storage.items.size, 0);
        assert.deepEqual(events.errors.map(e => e.code), ['cancelled']);
        assert.equal(events.states.at(-1), 'cancelled');
        assert.equal(await engine.cancel(), false, 'nothing left to cancel');
    });

    it('aborts the upload even when cancelled while the sidecar creates it', async() => {
        const {s3, api, options} = multipart();
        let release;
        const start = api.startMultipart;
        api.startMultipart = async args => {
            await new Promise(resolve => {
                release = resolve;
            });
            return start(args);
        };
        const engine = new UploadEngine(options);
        const uploading = engine.upload(makeFile(2 * PART));
        while (!release) {
            await new Promise(resolve => setImmediate(resolve));
        }
        const cancelled = engine.cancel();
        release();
        await cancelled;
        assert.equal((await uploading.catch(thrown => thrown)).code, 'cancelled');
        assert.equal(s3.partRequests().length, 0);
        assert.deepEqual(api.callsOf('abortMultipart').map(call => call.args.upload_id), [...api.byFingerprint.values()]);
    });

    it('wakes a part waiting to retry', async() => {
        const {s3, api, options} = multipart({partsInFlight: 1});
        const engine = new UploadEngine({...options, sleep: (ms, signal) => new Promise((resolve, reject) => {
            signal.addEventListener('abort', () => reject(new Error('aborted')));
        })});
        s3.intercept(partIs(1), () => {
            engine.cancel();
            return S3_ANSWERS.network();
        });
        const error = await engine.upload(makeFile(2 * PART)).catch(thrown => thrown);
        assert.equal(error.code, 'cancelled');
        assert.equal(api.callsOf('abortMultipart').length, 1);
    });
});

describe('part checksums', () => {
    const checkHeaders = async(s3, file) => {
        const bytes = await bytesOf(file);
        for (const request of s3.partRequests()) {
            const start = (request.partNumber - 1) * PART;
            assert.equal(request.headers['x-amz-checksum-sha256'], sha256Base64Of(bytes.slice(start, start + PART)));
        }
    };

    it('signs each part\'s SHA-256 and sends it when the sidecar declares checksums', async() => {
        const file = makeFile(3 * PART + 5);
        const {s3, api, options} = multipart({}, {checksum: 'declared'});
        const result = await new UploadEngine(options).upload(file);
        const calls = api.callsOf('signParts');
        assert.ok(calls.every(call => Object.keys(call.args.checksums).length === call.args.part_numbers.length));
        assert.deepEqual(calls.flatMap(call => call.args.part_numbers).sort(), [1, 2, 3, 4]);
        await checkHeaders(s3, file);
        assert.deepEqual(s3.objects.get(result.s3_key), await bytesOf(file));
    });

    it('signs again with checksums when only signParts reveals that they are required', async() => {
        const file = makeFile(2 * PART);
        const {s3, api, options} = multipart({signBatchSize: 2}, {checksum: 'discovered'});
        await new UploadEngine(options).upload(file);
        const calls = api.callsOf('signParts').map(call => call.args);
        assert.equal(calls[0].checksums, undefined);
        assert.deepEqual(calls[1].part_numbers, calls[0].part_numbers);
        assert.deepEqual(Object.keys(calls[1].checksums), ['1', '2']);
        assert.equal(s3.partRequests().length, 2, 'no part was sent on a URL signed without its checksum');
        await checkHeaders(s3, file);
    });

    it('sends no checksum header when the sidecar does not ask for one', async() => {
        const {s3, api, options} = multipart();
        await new UploadEngine(options).upload(makeFile(2 * PART));
        assert.ok(s3.partRequests().every(request => !('x-amz-checksum-sha256' in request.headers)));
        assert.ok(api.callsOf('signParts').every(call => call.args.checksums === undefined));
    });
});
