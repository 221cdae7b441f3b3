// The engine's pure helpers: part planning, backoff, progress, fingerprints, messages.

import assert from 'node:assert/strict';
import {describe, it} from 'node:test';

import {
    ERROR_CODES,
    MAX_PARTS,
    ProgressMeter,
    UploadEngine,
    backoffDelay,
    errorMessage,
    fingerprintFile,
    parseExpiry,
    planParts,
    resolveMimeType,
} from '../../moodle_plugin/amd/src/upload_engine.js';
import {makeFile, manualClock} from './fakes.mjs';

describe('planParts', () => {
    it('cuts a file into contiguous parts of partSize with a shorter last part', () => {
        const parts = planParts(2500, 1000);
        assert.deepEqual(parts, [
            {partNumber: 1, start: 0, end: 1000, size: 1000},
            {partNumber: 2, start: 1000, end: 2000, size: 1000},
            {partNumber: 3, start: 2000, end: 2500, size: 500},
        ]);
    });

    it('makes no empty last part when the size divides exactly', () => {
        const parts = planParts(3000, 1000);
        assert.equal(parts.length, 3);
        assert.equal(parts[2].size, 1000);
    });

    it('covers every byte once for sizes around the boundaries', () => {
        for (const size of [1, 999, 1000, 1001, 5 * 1024 * 1024 + 1]) {
            const parts = planParts(size, 1000);
            assert.equal(parts.reduce((sum, part) => sum + part.size, 0), size);
            parts.forEach((part, index) => {
                assert.equal(part.start, index === 0 ? 0 : parts[index - 1].end);
                assert.ok(part.size > 0);
            });
        }
    });

    it('plans a 5 TiB file in at most 10,000 parts of 525 MiB (S3 limits)', () => {
        const size = 5 * 1024 ** 4;
        const parts = planParts(size, 525 * 1024 * 1024);
        assert.ok(parts.length <= MAX_PARTS);
        assert.equal(parts[parts.length - 1].end, size);
    });

    it('refuses a plan of more than 10,000 parts and nonsense sizes', () => {
        assert.throws(() => planParts(MAX_PARTS * 1000 + 1, 1000), RangeError);
        assert.throws(() => planParts(100, 0), RangeError);
        assert.throws(() => planParts(-1, 10), RangeError);
        assert.throws(() => planParts(10.5, 10), RangeError);
        assert.deepEqual(planParts(0, 10), []);
    });
});

describe('backoffDelay', () => {
    it('doubles from 1 s with half fixed and half jitter', () => {
        assert.equal(backoffDelay(0, () => 0), 500);
        assert.equal(backoffDelay(0, () => 0.999999), 1000);
        assert.equal(backoffDelay(1, () => 0), 1000);
        assert.equal(backoffDelay(3, () => 0.5), 6000);
    });

    it('caps the delay at 30 s', () => {
        for (const attempt of [5, 10, 50]) {
            const delay = backoffDelay(attempt, () => 0.999999);
            assert.ok(delay <= 30000, `attempt ${attempt}: ${delay}`);
            assert.ok(delay >= 15000);
        }
    });

    it('spreads retries that fail together', () => {
        const delays = new Set([0.1, 0.4, 0.7].map(r => backoffDelay(2, () => r)));
        assert.equal(delays.size, 3);
    });
});

describe('ProgressMeter', () => {
    it('never reports fewer bytes than before, even when a retried part restarts', () => {
        const clock = manualClock();
        const meter = new ProgressMeter({total: 1000, now: clock});
        clock.advance(1000);
        assert.equal(meter.update(600).bytesSent, 600);
        clock.advance(1000);
        assert.equal(meter.update(200).bytesSent, 600);
        clock.advance(1000);
        assert.equal(meter.update(700).bytesSent, 700);
    });

    it('measures speed over a moving window and derives the time left', () => {
        const clock = manualClock();
        const meter = new ProgressMeter({total: 100000, now: clock, windowMs: 5000});
        // 1,000 bytes/s for 10 s, then 4,000 bytes/s.
        let sent = 0;
        for (let second = 0; second < 10; second++) {
            clock.advance(1000);
            sent += 1000;
            meter.update(sent);
        }
        assert.equal(meter.snapshot().bytesPerSecond, 1000);
        for (let second = 0; second < 5; second++) {
            clock.advance(1000);
            sent += 4000;
            meter.update(sent);
        }
        const progress = meter.snapshot();
        // Only the last five seconds count: the old, slow rate is gone.
        assert.equal(progress.bytesPerSecond, 4000);
        assert.equal(progress.bytesSent, 30000);
        assert.equal(progress.secondsLeft, Math.ceil(70000 / 4000));
        assert.equal(progress.percent, 30);
    });

    it('does not guess a speed from the first instant', () => {
        const clock = manualClock();
        const meter = new ProgressMeter({total: 1000, now: clock});
        clock.advance(10);
        const progress = meter.update(500);
        assert.equal(progress.bytesPerSecond, null);
        assert.equal(progress.secondsLeft, null);
    });

    it('counts resumed bytes in the percentage but not in the speed', () => {
        const clock = manualClock();
        const meter = new ProgressMeter({total: 10000, initialBytes: 6000, now: clock});
        assert.equal(meter.snapshot().percent, 60);
        clock.advance(2000);
        assert.equal(meter.update(7000).bytesPerSecond, 500);
    });

    it('reaches 100 only with every byte', () => {
        const meter = new ProgressMeter({total: 1000, now: manualClock()});
        assert.equal(meter.update(999).percent, 99);
        const done = meter.update(1000);
        assert.equal(done.percent, 100);
        assert.equal(done.secondsLeft, 0);
    });
});

describe('fingerprintFile', () => {
    const subtle = globalThis.crypto.subtle;
    const size = 3 * 1024 * 1024;

    it('is 64 hex characters and the same for the same file chosen again', async() => {
        const first = await fingerprintFile(makeFile(size), subtle);
        const again = await fingerprintFile(makeFile(size), subtle);
        assert.match(first, /^[0-9a-f]{64}$/);
        assert.equal(first, again);
    });

    it('changes with the name, the modification time, the size, and the first or last MiB', async() => {
        const base = await fingerprintFile(makeFile(size), subtle);
        const bytes = new Uint8Array(await makeFile(size).arrayBuffer());
        const edited = index => {
            const copy = bytes.slice();
            copy[index] ^= 0xff;
            return new File([copy], 'lecture.mp4', {type: 'video/mp4', lastModified: 1700000000000});
        };
        const variants = [
            makeFile(size, {name: 'other.mp4'}),
            makeFile(size, {lastModified: 1700000000001}),
            makeFile(size - 1),
            edited(10),
            edited(size - 10),
        ];
        for (const variant of variants) {
            assert.notEqual(await fingerprintFile(variant, subtle), base, variant.name);
        }
    });

    it('works for files smaller than the 1 MiB samples', async() => {
        assert.match(await fingerprintFile(makeFile(10), subtle), /^[0-9a-f]{64}$/);
    });
});

describe('errorMessage', () => {
    it('has a distinct English message for each code', () => {
        const messages = Object.values(ERROR_CODES).map(code => errorMessage(code));
        assert.equal(new Set(messages).size, messages.length);
        messages.forEach(message => assert.match(message, /^[A-Z].*\.$/));
    });

    it('names the sizes and types that matter', () => {
        assert.equal(errorMessage('toolarge', {size: 3 * 1024 ** 3, maxBytes: 2 * 1024 **3}),
            'This file is too large (3 GB). The largest file you can upload is 2 GB.');
        assert.equal(errorMessage('typenotallowed', {size: 5, mimeType: 'image/png', allowedMimeTypes: ['video/mp4']}),
            'Files of type image/png cannot be uploaded here. Allowed types: video/mp4.');
        assert.match(errorMessage('typenotallowed', {size: 0}), /empty/);
    });
});

describe('parseExpiry and resolveMimeType', () => {
    it('reads ISO dates, Unix seconds and milliseconds', () => {
        assert.equal(parseExpiry('2030-01-01T00:00:00Z'), Date.UTC(2030, 0, 1));
        assert.equal(parseExpiry(1893456000), 1893456000000);
        assert.equal(parseExpiry('1893456000'), 1893456000000);
        assert.equal(parseExpiry(1893456000000), 1893456000000);
        assert.equal(parseExpiry(undefined), null);
        assert.equal(parseExpiry('soon'), null);
    });

    it('falls back to the extension when the browser gives no type', () => {
        assert.equal(resolveMimeType({name: 'a.MKV', type: ''}), 'video/x-matroska');
        assert.equal(resolveMimeType({name: 'a.mp4', type: 'Video/MP4'}), 'video/mp4');
        assert.equal(resolveMimeType({name: 'noextension', type: ''}), '');
    });
});

describe('progress reports', () => {
    it('tell the page when the percent changes, every 250 ms otherwise, and always at the end', () => {
        const clock = manualClock();
        const reported = [];
        const engine = new UploadEngine({api: {}, storage: null, now: clock, onProgress: p => reported.push(p.bytesSent)});
        const meter = new ProgressMeter({total: 1000, now: clock});
        engine.report(meter, 1); // the first
        clock.advance(10);
        engine.report(meter, 2); // same percent, 10 ms later: not told
        engine.report(meter, 3);
        clock.advance(240);
        engine.report(meter, 4); // 250 ms after the last report
        engine.report(meter, 10); // 1 %
        engine.report(meter, 11);
        engine.report(meter, 1000); // all sent
        assert.deepEqual(reported, [1, 4, 10, 1000]);
    });
});
