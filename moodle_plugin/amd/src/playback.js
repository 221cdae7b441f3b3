// This file is part of Moodle - https://moodle.org/
//
// Moodle is free software: you can redistribute it and/or modify
// it under the terms of the GNU General Public License as published by
// the Free Software Foundation, either version 3 of the License, or
// (at your option) any later version.
//
// Moodle is distributed in the hope that it will be useful,
// but WITHOUT ANY WARRANTY; without even the implied warranty of
// MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
// GNU General Public License for more details.
//
// You should have received a copy of the GNU General Public License
// along with Moodle.  If not, see <https://www.gnu.org/licenses/>.

/**
 * What a player does when its video fails: the rules shared by the Moodle player
 * (assignsubmission_s3video/player) and the sidecar's development page, which imports this file
 * as it is (it imports nothing).
 *
 * Rules of this module:
 * - a failure is named by asking the edge for the video's first byte with the same URL: 403 is a
 *   refused (expired, revoked) URL, 404 a video whose bytes are gone, 200/206 with a media error a
 *   format the browser cannot decode; when the edge does not let the page read its answer (no
 *   CORS on CloudFront), the media error code and canPlayType() decide;
 * - only a refused URL or a network failure is worth a fresh URL; a fresh URL that is refused
 *   again is final ("access denied"), and so are a missing video and an undecodable format;
 * - fresh URLs are capped (RENEWALS_PER_WINDOW in RENEWAL_WINDOW_MS, with a growing delay
 *   between them): every playback-url call counts as a view on the sidecar, and a dead video
 *   must never turn into a loop of them; after the cap the player says the video is unavailable
 *   and offers Retry, which starts a fresh budget;
 * - a fresh URL keeps the position, and keeps playing if the video was playing.
 *
 * @module     assignsubmission_s3video/playback
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

/** At most this many fresh URLs in RENEWAL_WINDOW_MS. */
export const RENEWALS_PER_WINDOW = 3;
export const RENEWAL_WINDOW_MS = 60 * 1000;

/** The delay before the n-th fresh URL in a window (n from 0): none, then 2 s, 4 s... */
const BACKOFF_BASE_MS = 2000;
const BACKOFF_MAX_MS = 16000;

/** How long the edge has to answer the one-byte probe. */
const PROBE_TIMEOUT_MS = 10000;

/** MediaError codes (HTMLMediaElement.error.code). */
export const MEDIA_ERR_NETWORK = 2;
export const MEDIA_ERR_DECODE = 3;
export const MEDIA_ERR_SRC_NOT_SUPPORTED = 4;

/** What a failure is; each player has one message for each. */
export const FAILURES = Object.freeze({
    // The edge refused the URL (403): expired or revoked; a fresh URL may help once.
    REFUSED: 'refused',
    // The edge has no such object (404): the bytes are gone.
    MISSING: 'missing',
    // The URL answers, but the browser cannot decode what it gets.
    UNSUPPORTED: 'unsupported',
    // The edge did not answer, or the media stopped on a network error.
    NETWORK: 'network',
});

/** What a player finally shows, once no fresh URL will be fetched. */
export const OUTCOMES = Object.freeze({
    ACCESS_DENIED: 'accessdenied',
    UNAVAILABLE: 'unavailable',
    UNSUPPORTED: 'unsupported',
});

/**
 * The HTTP status the edge gives a URL, read with a one-byte ranged GET; 0 when the page may not
 * read the answer (CORS) or none came.
 *
 * @param {string} url
 * @param {object} [options]
 * @param {function} [options.fetch]
 * @param {number} [options.timeoutMs]
 * @return {Promise<number>}
 */
export async function probeStatus(url, {fetch = globalThis.fetch, timeoutMs = PROBE_TIMEOUT_MS} = {}) {
    if (typeof fetch !== 'function') {
        return 0;
    }
    const controller = typeof AbortController === 'function' ? new AbortController() : null;
    const timer = controller ? setTimeout(() => controller.abort(), timeoutMs) : null;
    try {
        const response = await fetch(url, {
            headers: {Range: 'bytes=0-0'},
            cache: 'no-store',
            credentials: 'omit',
            signal: controller ? controller.signal : undefined,
        });
        if (response.body && typeof response.body.cancel === 'function') {
            response.body.cancel().catch(() => undefined);
        }
        return response.status;
    } catch (error) {
        return 0;
    } finally {
        if (timer !== null) {
            clearTimeout(timer);
        }
    }
}

/**
 * Names a media failure.
 *
 * @param {object} facts
 * @param {number} facts.status what probeStatus() found (0: unknown)
 * @param {number} facts.mediaErrorCode the media element's error code (0: none)
 * @param {boolean} facts.typePlayable whether canPlayType() accepts the video's MIME type
 * @return {string} one of FAILURES
 */
export function classifyFailure({status, mediaErrorCode, typePlayable = true}) {
    if (status === 401 || status === 403) {
        return FAILURES.REFUSED;
    }
    if (status === 404 || status === 410) {
        return FAILURES.MISSING;
    }
    if (status >= 200 && status < 300) {
        // The bytes are there and ours to read: the browser cannot decode them.
        return mediaErrorCode === MEDIA_ERR_NETWORK ? FAILURES.NETWORK : FAILURES.UNSUPPORTED;
    }
    if (status >= 500) {
        return FAILURES.NETWORK;
    }
    // The answer could not be read (CloudFront sends no CORS headers) or none came.
    if (mediaErrorCode === MEDIA_ERR_NETWORK) {
        return FAILURES.NETWORK;
    }
    if (!typePlayable) {
        return FAILURES.UNSUPPORTED;
    }
    // A source that fails without a readable answer: most often an expired URL.
    return FAILURES.REFUSED;
}

/**
 * Counts fresh URLs: at most `limit` in `windowMs`, with a growing delay between them.
 */
export class RenewalBudget {
    /**
     * @param {object} [options]
     * @param {number} [options.limit]
     * @param {number} [options.windowMs]
     * @param {function(): number} [options.now]
     */
    constructor({limit = RENEWALS_PER_WINDOW, windowMs = RENEWAL_WINDOW_MS, now = Date.now} = {}) {
        this.limit = limit;
        this.windowMs = windowMs;
        this.now = now;
        this.times = [];
    }

    /**
     * Takes one renewal if the budget allows it.
     *
     * @return {?number} the delay to wait before it, in ms; null when the budget is spent
     */
    take() {
        const now = this.now();
        this.times = this.times.filter(time => now - time < this.windowMs);
        if (this.times.length >= this.limit) {
            return null;
        }
        const delayMs = this.times.length === 0 ? 0 :
            Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (this.times.length - 1));
        this.times.push(now);
        return delayMs;
    }

    /** Forgets the renewals taken (the user pressed Retry). */
    reset() {
        this.times = [];
    }
}

/**
 * One player's recovery: what to do when its video fails.
 *
 * The player hands in small functions over its own media element or Video.js:
 * - renew(): a fresh signed URL (a playback-url call); it may throw, the player reports that;
 * - load(url, {position, playing}): play that URL from that position;
 * - report(outcome, failure): show one of OUTCOMES, with Retry;
 * - announce(failure): show that a fresh URL is on its way (optional).
 */
export class PlaybackRecovery {
    /**
     * @param {object} options
     * @param {function(): Promise<string>} options.renew
     * @param {function(string, object): void} options.load
     * @param {function(string, string): void} options.report
     * @param {function(string): void} [options.announce]
     * @param {RenewalBudget} [options.budget]
     * @param {function(string): Promise<number>} [options.probe]
     * @param {function(number): Promise<void>} [options.sleep]
     */
    constructor({renew, load, report, announce = () => undefined, budget = new RenewalBudget(), probe = probeStatus,
            sleep = ms => new Promise(resolve => setTimeout(resolve, ms))}) {
        this.renew = renew;
        this.load = load;
        this.report = report;
        this.announce = announce;
        this.budget = budget;
        this.probe = probe;
        this.sleep = sleep;
        // Whether the URL now loaded replaced a refused one and has not loaded since.
        this.renewedAfterRefusal = false;
        this.busy = null;
        this.stopped = false;
    }

    /** The current URL loaded its metadata: it works. */
    loaded() {
        this.renewedAfterRefusal = false;
    }

    /** Retry pressed: a fresh budget. */
    reset() {
        this.budget.reset();
        this.renewedAfterRefusal = false;
        this.stopped = false;
    }

    /**
     * The media failed.
     *
     * @param {object} facts
     * @param {string} facts.url the URL that failed
     * @param {number} facts.mediaErrorCode
     * @param {boolean} facts.typePlayable
     * @param {number} facts.position where the viewer was, in seconds
     * @param {boolean} facts.playing whether the video was playing
     * @return {Promise<?string>} the outcome reported, or null when a fresh URL was loaded (or the
     *     failure was already being handled)
     */
    failed(facts) {
        if (this.busy || this.stopped) {
            return Promise.resolve(null);
        }
        this.busy = this.handle(facts).finally(() => {
            this.busy = null;
        });
        return this.busy;
    }

    /**
     * Renew ahead of an expiry (no failure yet), within the same budget.
     *
     * @param {object} facts {position, playing}
     * @return {Promise<boolean>} whether a fresh URL was loaded
     */
    async refresh({position, playing}) {
        if (this.busy || this.stopped) {
            return false;
        }
        const delayMs = this.budget.take();
        if (delayMs === null) {
            return false; // The URL stays until it fails; failed() then reports.
        }
        this.busy = (async() => {
            this.load(await this.renew(), {position, playing});
            return true;
        })().finally(() => {
            this.busy = null;
        });
        return this.busy;
    }

    /**
     * @param {object} facts
     * @return {Promise<?string>}
     */
    async handle({url, mediaErrorCode, typePlayable, position, playing}) {
        const status = url ? await this.probe(url) : 0;
        const failure = classifyFailure({status, mediaErrorCode, typePlayable});
        if (failure === FAILURES.UNSUPPORTED) {
            return this.stop(OUTCOMES.UNSUPPORTED, failure);
        }
        if (failure === FAILURES.MISSING) {
            return this.stop(OUTCOMES.UNAVAILABLE, failure);
        }
        if (failure === FAILURES.REFUSED && this.renewedAfterRefusal) {
            // A URL signed a moment ago fails too: not an expiry. The edge said 403: access denied;
            // it said nothing readable: the video cannot be played, whatever the reason.
            return this.stop(status === 401 || status === 403 ? OUTCOMES.ACCESS_DENIED : OUTCOMES.UNAVAILABLE, failure);
        }
        const delayMs = this.budget.take();
        if (delayMs === null) {
            return this.stop(OUTCOMES.UNAVAILABLE, failure);
        }
        this.announce(failure);
        if (delayMs > 0) {
            await this.sleep(delayMs);
        }
        const fresh = await this.renew();
        this.renewedAfterRefusal = failure === FAILURES.REFUSED;
        this.load(fresh, {position, playing});
        return null;
    }

    /**
     * @param {string} outcome
     * @param {string} failure
     * @return {string} outcome
     */
    stop(outcome, failure) {
        this.stopped = true;
        this.report(outcome, failure);
        return outcome;
    }
}
