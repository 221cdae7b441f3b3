// The multipart pipeline: the next parts hashed and signed while parts are in flight, and the
// hashing bounded to a few reused buffers.

import assert from 'node:assert/strict';
import {describe, it} from 'node:test';

import {PartHasher, readInto} from '../../moodle_plugin/amd/src/local/upload/checksums.js';
import {UploadEngine} from '../../moodle_plugin/amd/src/upload_engine.js';
import {bytesOf, harness, makeFile, sha256Base64Of} from './fakes.mjs';

const PART = 1024;
const settle = () => new Promise(resolve => setImmediate(resolve));

describe('the part pipeline', () => {
    it('hashes and signs the next parts while the parts in flight are sent', async() => {
        const file = makeFile(8 * PART);
        const {s3, api, options} = harness({
            apiOptions: {threshold: 0, partSize: PART, checksum: 'declared'},
            engineOptions: {partsInFlight: 2, signBatchSize: 2},
        });
        // Parts 1 and 2 stay in flight until the test lets them finish.
        let release;
        const gate = new Promise(resolve => {
            release = resolve;
        });
        const held = request => request.method === 'PUT' && request.partNumber <= 2;
        s3.intercept(held, async request => {
            await gate;
            return s3.putPart(request, new URL(request.url));
        }, 2);
        const uploading = new UploadEngine(options).upload(file);
        const signedParts = () => api.callsOf('signParts').flatMap(call => call.args.part_numbers);
        for (let tries = 0; tries < 1000 && !(s3.inFlight === 2 && signedParts().includes(4)); tries++) {
            await settle();
        }
        // While 1 and 2 are sent, the next batch (3, 4) is signed already, with its checksums.
        assert.equal(s3.inFlight, 2);
        assert.deepEqual(s3.partRequests().map(request => request.partNumber), [1, 2]);
        const ahead = api.callsOf('signParts').find(call => call.args.part_numbers.includes(3));
        assert.deepEqual(ahead.args.part_numbers, [3, 4]);
        const bytes = await bytesOf(file);
        assert.equal(ahead.args.checksums[4], sha256Base64Of(bytes.slice(3 * PART, 4 * PART)));
        // Bounded: nothing beyond the look-ahead (parts in flight + a batch) is signed yet.
        assert.ok(signedParts().every(number => number <= 6), signedParts().join(','));
        release();
        const result = await uploading;
        assert.deepEqual(s3.objects.get(result.s3_key), bytes);
        assert.deepEqual(signedParts().sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8], 'each part signed once');
    });
});

describe('PartHasher', () => {
    it('hashes at most `slots` parts at a time, reusing its buffers, in the order asked', async() => {
        let digesting = 0;
        let most = 0;
        const order = [];
        const buffers = new Set();
        const subtle = {
            digest: async(algorithm, bytes) => {
                digesting++;
                most = Math.max(most, digesting);
                buffers.add(bytes.buffer);
                order.push(bytes.length);
                await settle();
                digesting--;
                return globalThis.crypto.subtle.digest(algorithm, bytes);
            },
        };
        const hasher = new PartHasher({subtle, slots: 2});
        const file = makeFile(6 * PART + 7);
        const blobs = [0, 1, 2, 3, 4, 5, 6].map(index => file.slice(index * PART, (index + 1) * PART));
        const hashes = await Promise.all(blobs.map(blob => hasher.sha256Base64(blob)));
        const bytes = await bytesOf(file);
        assert.deepEqual(hashes, blobs.map((blob, index) => sha256Base64Of(bytes.slice(index * PART, (index + 1) * PART))));
        assert.equal(most, 2);
        assert.deepEqual(order, [PART, PART, PART, PART, PART, PART, 7]);
        // Two buffers for seven parts (a byte stream's reader hands each back as a new ArrayBuffer
        // object over the same memory, so count the buffers kept by the hasher instead).
        assert.equal(hasher.free.length, 2);
        assert.ok(hasher.free.every(buffer => buffer.byteLength === PART));
    });

    it('reads a blob whose stream is not a byte stream, and refuses one longer than the buffer', async() => {
        const file = makeFile(3000);
        const chunky = {
            size: file.size,
            stream: () => file.stream().pipeThrough(new TransformStream()),
        };
        const bytes = await readInto(chunky, new ArrayBuffer(4096));
        assert.deepEqual(bytes, await bytesOf(file));
        const liar = {size: 10, stream: () => file.stream().pipeThrough(new TransformStream())};
        await assert.rejects(readInto(liar, new ArrayBuffer(4096)), RangeError);
    });
});
