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
 * Plays submission videos (templates/player.mustache) from short-lived signed URLs.
 *
 * Rules of this module:
 * - a signed URL is fetched only when a video is about to play (get_playback_url), never for a
 *   whole grading table at once;
 * - Video.js is Moodle's own (media_videojs/video-lazy), loaded on first use; when an administrator
 *   has disabled it, or it fails to load, a plain video element plays instead;
 * - the MIME type is always passed explicitly: a signed URL ends in a query string, so the type can
 *   not be guessed from its extension;
 * - when a URL is about to expire, or the video fails (an expired URL answers 403), a fresh URL is
 *   fetched and the position and play state are restored; repeated failures stop with a message
 *   and a retry button instead of looping.
 *
 * @module     assignsubmission_s3video/player
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

import Ajax from 'core/ajax';
import {get_strings as getStrings} from 'core/str';
import Notification from 'core/notification';

const COMPONENT = 'assignsubmission_s3video';
const SELECTOR = '[data-region="assignsubmission_s3video-player"]';

/** A URL this close to its expiry is renewed before it is used. */
const EXPIRY_MARGIN_MS = 30 * 1000;

/** More failures than this within RECOVERY_WINDOW_MS stop the automatic recovery. */
const MAX_RECOVERIES = 2;
const RECOVERY_WINDOW_MS = 20 * 1000;

/** MediaError codes. */
const MEDIA_ERR_DECODE = 3;
const MEDIA_ERR_SRC_NOT_SUPPORTED = 4;

let settings = {refreshseconds: 0, usevideojs: true};
let stringsPromise = null;
let listening = false;
const players = new WeakMap();

/**
 * The strings this module shows, fetched once per page.
 *
 * @return {Promise<object>} identifier => text
 */
const loadStrings = () => {
    if (!stringsPromise) {
        const requests = [
            {key: 'player:loading', component: COMPONENT},
            {key: 'player:error:unavailable', component: COMPONENT},
            {key: 'player:error:expired', component: COMPONENT},
            {key: 'player:error:accessdenied', component: COMPONENT},
            {key: 'player:error:cdn', component: COMPONENT},
            {key: 'player:error:unsupported', component: COMPONENT},
        ];
        stringsPromise = Promise.resolve(getStrings(requests)).then(texts => {
            const strings = {};
            requests.forEach((request, index) => {
                strings[request.key] = texts[index];
            });
            return strings;
        });
    }
    return stringsPromise;
};

/**
 * Moodle's Video.js, or null when it is disabled or can not be loaded.
 *
 * Loaded through RequireJS itself (not a dynamic import(), which a build without Moodle's dynamic
 * import transform would leave as a native import of a bare module name).
 *
 * @return {Promise<?function>}
 */
const loadVideoJs = () => {
    if (!settings.usevideojs || typeof window.require !== 'function') {
        return Promise.resolve(null);
    }
    return new Promise(resolve => {
        window.require(['media_videojs/video-lazy'], videojs => resolve(videojs || null), () => resolve(null));
    });
};

/**
 * The same few operations on a Video.js player and on a plain video element.
 *
 * @param {HTMLVideoElement} video
 * @param {?function} videojs
 * @return {object}
 */
const createMedia = (video, videojs) => {
    if (videojs) {
        const player = videojs(video, {controls: true, fluid: true, preload: 'metadata',
            playbackRates: [0.75, 1, 1.25, 1.5, 2]});
        return {
            setSource: (url, type) => player.src({src: url, type}),
            time: () => player.currentTime() || 0,
            seek: seconds => player.currentTime(seconds),
            paused: () => player.paused(),
            play: () => Promise.resolve(player.play()).catch(() => undefined),
            on: (name, handler) => player.on(name, handler),
            once: (name, handler) => player.one(name, handler),
            errorCode: () => (player.error() ? player.error().code : 0),
        };
    }
    return {
        setSource: (url, type) => {
            video.replaceChildren();
            const source = document.createElement('source');
            source.src = url;
            source.type = type;
            video.appendChild(source);
            video.load();
        },
        time: () => video.currentTime || 0,
        seek: seconds => {
            video.currentTime = seconds;
        },
        paused: () => video.paused,
        play: () => Promise.resolve(video.play()).catch(() => undefined),
        // A <source> that fails reports its error on itself, not on the video: listen to both.
        on: (name, handler) => video.addEventListener(name, handler, name === 'error'),
        once: (name, handler) => video.addEventListener(name, handler, {once: true}),
        errorCode: () => (video.error ? video.error.code : MEDIA_ERR_SRC_NOT_SUPPORTED),
    };
};

/**
 * One video on the page.
 */
class Player {
    /**
     * @param {HTMLElement} root the template's root element
     */
    constructor(root) {
        this.root = root;
        this.mimetype = root.dataset.mimetype;
        this.stage = root.querySelector('[data-region="stage"]');
        this.messageRegion = root.querySelector('[data-region="message"]');
        this.media = null;
        this.source = null; // {url, expiresAt (ms), fetchedAt (ms)}
        this.renewing = null;
        this.recoveries = [];
    }

    /**
     * Show a message (or clear it) and the retry button with it.
     *
     * @param {string} text
     * @param {string} tone info, warning or danger
     * @param {boolean} retry whether to offer the retry button
     */
    say(text, tone = 'info', retry = false) {
        this.messageRegion.textContent = text || '';
        this.messageRegion.className = text ? `small alert alert-${tone} mt-1` : 'small';
        this.root.querySelector('[data-action="retry"]').classList.toggle('d-none', !retry);
    }

    /**
     * A fresh signed URL from Moodle.
     *
     * @return {Promise<object>} {url, expiresAt, fetchedAt}
     */
    async fetchSource() {
        const answer = await Ajax.call([{
            methodname: `${COMPONENT}_get_playback_url`,
            args: {assignmentid: Number(this.root.dataset.assignmentid), submissionid: Number(this.root.dataset.submissionid)},
        }])[0];
        if (answer.mime_type) {
            this.mimetype = answer.mime_type;
        }
        return {url: answer.url, expiresAt: answer.expires_at * 1000, fetchedAt: Date.now()};
    }

    /**
     * Whether the current URL should be renewed before it is used again.
     *
     * @return {boolean}
     */
    stale() {
        if (!this.source) {
            return true;
        }
        const now = Date.now();
        const refreshMs = settings.refreshseconds > 0 ? settings.refreshseconds * 1000 : Infinity;
        return now >= this.source.expiresAt - EXPIRY_MARGIN_MS || now - this.source.fetchedAt >= refreshMs;
    }

    /**
     * Show a failure to fetch a URL as the seed's playback error table says.
     *
     * @param {object} exception what core/ajax rejected with
     */
    async reportFetchFailure(exception) {
        const strings = await loadStrings();
        if (exception && exception.errorcode === 'error:notfound') {
            this.say(strings['player:error:unavailable'], 'warning', true);
        } else if (exception && exception.errorcode === 'error:accessdenied') {
            this.say(strings['player:error:accessdenied'], 'danger', false);
        } else if (exception && exception.message) {
            this.say(exception.message, 'danger', true);
        } else {
            this.say(strings['player:error:cdn'], 'danger', true);
        }
    }

    /**
     * Fetch the first URL and build the player.
     *
     * @return {Promise<void>}
     */
    async start() {
        const strings = await loadStrings();
        this.root.querySelector('[data-action="play"]').classList.add('d-none');
        this.say(strings['player:loading']);
        try {
            const [source, videojs] = await Promise.all([this.fetchSource(), loadVideoJs()]);
            this.source = source;
            if (!this.media) {
                const video = document.createElement('video');
                video.className = 'video-js vjs-big-play-centered';
                video.controls = true;
                video.preload = 'metadata';
                video.setAttribute('playsinline', '');
                this.stage.appendChild(video);
                if (!videojs && !video.canPlayType(this.mimetype)) {
                    this.say(strings['player:error:unsupported'].replace('{$a}', this.mimetype), 'warning');
                }
                this.media = createMedia(video, videojs);
                this.media.on('error', () => this.recover(true));
                ['play', 'seeking', 'timeupdate'].forEach(name => this.media.on(name, () => {
                    if (this.stale() && !this.renewing) {
                        this.recover(false);
                    }
                }));
            }
            this.media.setSource(this.source.url, this.mimetype);
            this.media.once('loadedmetadata', () => this.say(''));
        } catch (exception) {
            await this.reportFetchFailure(exception);
        }
    }

    /**
     * Swap in a fresh URL, keeping the position and whether it was playing.
     *
     * @param {boolean} failed whether the media failed (as opposed to a URL renewed ahead of expiry)
     * @return {Promise<void>}
     */
    recover(failed) {
        if (this.renewing) {
            return this.renewing;
        }
        this.renewing = (async() => {
            const strings = await loadStrings();
            const now = Date.now();
            if (failed) {
                this.recoveries = this.recoveries.filter(time => now - time < RECOVERY_WINDOW_MS);
                if (this.recoveries.length >= MAX_RECOVERIES) {
                    // A fresh URL did not help: the video itself or the network is the problem.
                    const code = this.media.errorCode();
                    const unsupported = code === MEDIA_ERR_DECODE || code === MEDIA_ERR_SRC_NOT_SUPPORTED;
                    this.say(unsupported ? strings['player:error:unsupported'].replace('{$a}', this.mimetype)
                        : strings['player:error:cdn'], 'danger', true);
                    return;
                }
                this.recoveries.push(now);
                this.say(strings['player:error:expired'], 'info');
            }
            const position = this.media.time();
            const wasPlaying = !this.media.paused();
            try {
                this.source = await this.fetchSource();
            } catch (exception) {
                await this.reportFetchFailure(exception);
                return;
            }
            this.media.once('loadedmetadata', () => {
                if (position > 0) {
                    this.media.seek(position);
                }
                if (wasPlaying) {
                    this.media.play();
                }
                this.say('');
            });
            this.media.setSource(this.source.url, this.mimetype);
        })().finally(() => {
            this.renewing = null;
        });
        return this.renewing;
    }

    /**
     * Open the video in a new tab from a fresh URL (the browser offers to save it there).
     *
     * @return {Promise<void>}
     */
    async download() {
        try {
            const source = await this.fetchSource();
            window.open(source.url, '_blank', 'noopener');
        } catch (exception) {
            await this.reportFetchFailure(exception);
        }
    }
}

/**
 * The Player of a root element, created on first use.
 *
 * @param {HTMLElement} root
 * @return {Player}
 */
const playerFor = root => {
    if (!players.has(root)) {
        players.set(root, new Player(root));
    }
    return players.get(root);
};

/**
 * Delegated clicks on every player of the page, including players loaded later (grading panel).
 *
 * @param {Event} event
 */
const onClick = event => {
    const button = event.target.closest(`${SELECTOR} [data-action]`);
    if (!button) {
        return;
    }
    const player = playerFor(button.closest(SELECTOR));
    const action = button.dataset.action;
    if (action === 'play' || (action === 'retry' && !player.media)) {
        player.start().catch(Notification.exception);
    } else if (action === 'retry') {
        player.recoveries = [];
        player.recover(false).catch(Notification.exception);
    } else if (action === 'download') {
        player.download().catch(Notification.exception);
    }
};

/**
 * Set up the players of the page: listen for clicks once, start those marked to load at once.
 *
 * @param {object} options
 * @param {number} options.refreshseconds renew a URL once it is this old (0: only near its expiry)
 * @param {boolean} options.usevideojs whether Moodle's Video.js player is enabled
 */
export const init = (options = {}) => {
    settings = {...settings, ...options};
    if (!listening) {
        document.addEventListener('click', onClick);
        listening = true;
    }
    document.querySelectorAll(`${SELECTOR}[data-autoload="1"]`).forEach(root => {
        const player = playerFor(root);
        if (!player.media && !root.dataset.started) {
            root.dataset.started = '1';
            player.start().catch(Notification.exception);
        }
    });
};
