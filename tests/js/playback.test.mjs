// The player's recovery rules (moodle_plugin/amd/src/playback.js): naming a failure, the cap on
// fresh URLs, and what the player is told to show.

import assert from 'node:assert/strict';
import {describe, it} from 'node:test';

import {
    FAILURES, MEDIA_ERR_NETWORK, MEDIA_ERR_SRC_NOT_SUPPORTED, OUTCOMES, PlaybackRecovery, RENEWALS_PER_WINDOW,
    RenewalBudget, classifyFailure, probeStatus,
} from '../../moodle_plugin/amd/src/playback.js';

describe('classifyFailure', () => {
    const notSupported = {mediaErrorCode: MEDIA_ERR_SRC_NOT_SUPPORTED, typePlayable: true};

    it('tells a refused URL from a missing video from an undecodable format by the edge\'s answer', () => {
        assert.equal(classifyFailure({...notSupported, status: 403}), FAILURES.REFUSED);
        assert.equal(classifyFailure({...notSupported, status: 404}), FAILURES.MISSING);
        assert.equal(classifyFailure({...notSupported, status: 206}), FAILURES.UNSUPPORTED);
        assert.equal(classifyFailure({...notSupported, status: 200}), FAILURES.UNSUPPORTED);
        assert.equal(classifyFailure({status: 206, mediaErrorCode: MEDIA_ERR_NETWORK}), FAILURES.NETWORK);
        assert.equal(classifyFailure({...notSupported, status: 503}), FAILURES.NETWORK);
    });

    it('without a readable answer: the error code and canPlayType() decide, else an expired URL', () => {
        assert.equal(classifyFailure({status: 0, mediaErrorCode: MEDIA_ERR_NETWORK}), FAILURES.NETWORK);
        assert.equal(classifyFailure({status: 0, mediaErrorCode: MEDIA_ERR_SRC_NOT_SUPPORTED, typePlayable: false}),
            FAILURES.UNSUPPORTED);
        assert.equal(classifyFailure({...notSupported, status: 0}), FAILURES.REFUSED);
    });
});

describe('RenewalBudget', () => {
    it('allows RENEWALS_PER_WINDOW fresh URLs a minute, with a growing delay, then none until the window moves', () => {
        let now = 0;
        const budget = new RenewalBudget({now: () => now});
        const delays = [];
        for (let i = 0; i < RENEWALS_PER_WINDOW; i++) {
            delays.push(budget.take());
            now += 1000;
        }
        assert.deepEqual(delays, [0, 2000, 4000]);
        assert.equal(budget.take(), null);
        now = 60 * 1000 + 1;
        assert.equal(budget.take(), 4000); // the first one left the window: this is the third in it
        budget.reset();
        assert.equal(budget.take(), 0);
    });
});

describe('probeStatus', () => {
    it('asks for one byte and reports the status; 0 when the answer cannot be read', async() => {
        const asked = [];
        const status = await probeStatus('https://edge/v.mp4?Signature=x', {
            fetch: async(url, init) => {
                asked.push({url, range: init.headers.Range, credentials: init.credentials});
                return {status: 403};
            },
        });
        assert.equal(status, 403);
        assert.deepEqual(asked, [{url: 'https://edge/v.mp4?Signature=x', range: 'bytes=0-0', credentials: 'omit'}]);
        assert.equal(await probeStatus('https://edge/v', {fetch: async() => {
            throw new TypeError('Failed to fetch (CORS)');
        }}), 0);
    });
});

/**
 * A recovery over a scripted edge: `statuses` is what the probe answers, in turn.
 *
 * @param {number[]} statuses
 * @return {object}
 */
function scripted(statuses) {
    let now = 0;
    const seen = {renewals: 0, loads: [], reports: [], sleeps: [], announced: []};
    const recovery = new PlaybackRecovery({
        renew: async() => `https://edge/v.mp4?n=${++seen.renewals}`,
        load: (url, state) => seen.loads.push({url, ...state}),
        report: (outcome, failure) => seen.reports.push([outcome, failure]),
        announce: failure => seen.announced.push(failure),
        budget: new RenewalBudget({now: () => now}),
        probe: async() => statuses.shift(),
        sleep: async ms => {
            seen.sleeps.push(ms);
            now += ms;
        },
    });
    const fail = (extra = {}) => recovery.failed({url: 'https://edge/v.mp4', mediaErrorCode: MEDIA_ERR_SRC_NOT_SUPPORTED,
        typePlayable: true, position: 12.5, playing: true, ...extra});
    return {recovery, seen, fail, tick: ms => {
        now += ms;
    }};
}

describe('PlaybackRecovery', () => {
    it('renews an expired URL once, resuming where it was and playing on', async() => {
        const {recovery, seen, fail} = scripted([403]);
        assert.equal(await fail(), null);
        assert.deepEqual(seen.loads, [{url: 'https://edge/v.mp4?n=1', position: 12.5, playing: true}]);
        assert.deepEqual(seen.announced, [FAILURES.REFUSED]);
        recovery.loaded();
        assert.deepEqual(seen.reports, []);
    });

    it('says "access denied" when the fresh URL is refused too, without another call', async() => {
        const {seen, fail} = scripted([403, 403, 403]);
        await fail();
        assert.equal(await fail(), OUTCOMES.ACCESS_DENIED);
        assert.equal(seen.renewals, 1);
        assert.equal(await fail(), null); // stopped: nothing more until Retry
        assert.equal(seen.renewals, 1);
    });

    it('a failure whose answer cannot be read, twice in a row, ends as "unavailable"', async() => {
        const {seen, fail} = scripted([0, 0]);
        await fail();
        assert.deepEqual(await fail(), OUTCOMES.UNAVAILABLE);
        assert.equal(seen.renewals, 1);
    });

    it('never renews for a missing video or an undecodable format', async() => {
        for (const [status, outcome] of [[404, OUTCOMES.UNAVAILABLE], [206, OUTCOMES.UNSUPPORTED]]) {
            const {seen, fail} = scripted([status]);
            assert.equal(await fail(), outcome);
            assert.equal(seen.renewals, 0);
            assert.equal(seen.loads.length, 0);
        }
    });

    it('caps network recoveries with backoff, then says the video is unavailable; Retry starts afresh', async() => {
        const {recovery, seen, fail} = scripted(Array(10).fill(0));
        for (let i = 0; i < RENEWALS_PER_WINDOW; i++) {
            assert.equal(await fail({mediaErrorCode: MEDIA_ERR_NETWORK}), null);
            recovery.loaded();
        }
        assert.equal(await fail({mediaErrorCode: MEDIA_ERR_NETWORK}), OUTCOMES.UNAVAILABLE);
        assert.equal(seen.renewals, RENEWALS_PER_WINDOW);
        assert.deepEqual(seen.sleeps, [2000, 4000]);
        recovery.reset();
        assert.equal(await fail({mediaErrorCode: MEDIA_ERR_NETWORK}), null);
        assert.equal(seen.renewals, RENEWALS_PER_WINDOW + 1);
    });

    it('handles one failure at a time (a video and its source both report the same error)', async() => {
        const {seen, fail} = scripted([403, 403]);
        const [first, second] = await Promise.all([fail(), fail()]);
        assert.equal(first, null);
        assert.equal(second, null);
        assert.equal(seen.renewals, 1);
    });

    it('renews ahead of expiry within the same budget', async() => {
        const {recovery, seen} = scripted([]);
        for (let i = 0; i < RENEWALS_PER_WINDOW; i++) {
            assert.equal(await recovery.refresh({position: 3, playing: false}), true);
        }
        assert.equal(await recovery.refresh({position: 3, playing: false}), false);
        assert.equal(seen.renewals, RENEWALS_PER_WINDOW);
        assert.deepEqual(seen.loads[0], {url: 'https://edge/v.mp4?n=1', position: 3, playing: false});
    });
});
