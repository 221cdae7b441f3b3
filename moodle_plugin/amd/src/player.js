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
 * - nothing is requested before the viewer presses play: the page shows a poster with a play
 *   button, and the first press fetches a signed URL (get_playback_url, which the sidecar counts
 *   as a view) and starts the video; data-autoload only marks the full-size player of the view page;
 * - Video.js is Moodle's own (media_videojs/video-lazy), loaded on first use; when an administrator
 *   has disabled it, or it fails to load, a plain video element plays instead;
 * - the MIME type is always passed explicitly: a signed URL ends in a query string, so the type can
 *   not be guessed from its extension;
 * - a failing video is handled by assignsubmission_s3video/playback: a refused (expired) URL is
 *   renewed once, a missing video or a format the browser cannot decode is said as such, fresh
 *   URLs are capped; a fresh URL keeps the position and keeps playing if the video was playing.
 *
 * @module     assignsubmission_s3video/player
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

import Ajax from 'core/ajax';
import {get_strings as getStrings} from 'core/str';
import Notification from 'core/notification';
import {OUTCOMES, PlaybackRecovery} from 'assignsubmission_s3video/playback';
import {CODEC_NAMES} from 'assignsubmission_s3video/media_check';

const COMPONENT = 'assignsubmission_s3video';
const SELECTOR = '[data-region="assignsubmission_s3video-player"]';

/** A URL this close to its expiry is renewed before it is used. */
const EXPIRY_MARGIN_MS = 30 * 1000;

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
            {key: 'player:play', component: COMPONENT},
            {key: 'player:fullscreen', component: COMPONENT},
            {key: 'player:codecwarning', component: COMPONENT},
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
            setSource: (url, type) => {
                player.error(null);
                player.src({src: url, type});
            },
            time: () => player.currentTime() || 0,
            seek: seconds => player.currentTime(seconds),
            paused: () => player.paused(),
            play: () => Promise.resolve(player.play()).catch(() => undefined),
            on: (name, handler) => player.on(name, handler),
            once: (name, handler) => player.one(name, handler),
            errorCode: () => (player.error() ? player.error().code : 0),
            fullscreen: () => player.requestFullscreen(),
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
        errorCode: () => (video.error ? video.error.code : 0),
        fullscreen: () => (video.requestFullscreen ? video.requestFullscreen() : undefined),
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
        this.video = null;
        this.media = null;
        this.source = null; // {url, expiresAt (ms), fetchedAt (ms)}
        this.starting = null;
        // Where the viewer is and whether the video plays, kept while a source is being swapped.
        this.position = 0;
        this.playing = false;
        this.switching = false;
        this.recovery = new PlaybackRecovery({
            renew: async() => {
                this.source = await this.fetchSource(true);
                return this.source.url;
            },
            load: (url, {position, playing}) => this.load(url, position, playing),
            report: outcome => this.reportOutcome(outcome),
            announce: () => loadStrings().then(strings => this.say(strings['player:error:expired'], 'info')),
        });
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
        this.messageRegion.dataset.outcome = '';
        this.root.querySelector('[data-action="retry"]').classList.toggle('d-none', !retry);
    }

    /**
     * Why the video may stay black here: its codec is one not every browser plays (the sidecar's probe).
     *
     * @param {object} strings
     */
    showCodecWarning(strings) {
        let region = this.root.querySelector('[data-region="codecwarning"]');
        if (!this.codec) {
            if (region) {
                region.classList.add('d-none');
            }
            return;
        }
        if (!region) {
            region = document.createElement('div');
            region.dataset.region = 'codecwarning';
            this.messageRegion.after(region);
        }
        region.className = 'small alert alert-warning mt-1';
        region.textContent = strings['player:codecwarning']
            .replace('{$a->codec}', CODEC_NAMES[this.codec.codec] || this.codec.codec)
            .replace('{$a->browsers}', this.codec.browsers || '-');
    }

    /**
     * The poster shown until the first play: nothing is fetched before it is pressed.
     *
     * @param {object} strings
     */
    showPoster(strings) {
        if (this.media || !this.stage || this.stage.querySelector('[data-region="poster"]')) {
            return;
        }
        const poster = document.createElement('button');
        poster.type = 'button';
        poster.className = 'assignsubmission_s3video-poster';
        poster.dataset.region = 'poster';
        poster.dataset.action = 'play';
        poster.setAttribute('aria-label', strings['player:play']);
        poster.title = strings['player:play'];
        this.stage.appendChild(poster);
        // In a grading table cell the player is small: offer it full screen.
        const download = this.root.querySelector('[data-action="download"]');
        if (download && !this.root.querySelector('[data-action="fullsize"]')) {
            const fullsize = document.createElement('button');
            fullsize.type = 'button';
            fullsize.className = 'btn btn-link btn-sm';
            fullsize.dataset.action = 'fullsize';
            fullsize.textContent = strings['player:fullscreen'];
            download.before(fullsize);
        }
        // The template hides its own Play button on the view page: the poster is the play button now.
        this.root.querySelectorAll('[data-action="play"]').forEach(button => button.classList.remove('d-none'));
    }

    /**
     * A fresh signed URL from Moodle.
     *
     * @return {Promise<object>} {url, expiresAt, fetchedAt}
     */
    async fetchSource(renew = false) {
        const args = {assignmentid: Number(this.root.dataset.assignmentid), submissionid: Number(this.root.dataset.submissionid)};
        if (renew) {
            args.renew = true; // the sidecar logs it as a renewal, not a view
        }
        const answer = await Ajax.call([{methodname: `${COMPONENT}_get_playback_url`, args}])[0];
        if (answer.mime_type) {
            this.mimetype = answer.mime_type;
        }
        this.posterUrl = answer.poster_url || '';
        this.codec = answer.playseverywhere === false && answer.codec ? {codec: answer.codec, browsers: answer.browsers} : null;
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
     * Show what the recovery concluded (it fetches no more URLs until Retry).
     *
     * @param {string} outcome one of OUTCOMES
     */
    async reportOutcome(outcome) {
        const strings = await loadStrings();
        if (outcome === OUTCOMES.UNSUPPORTED) {
            this.say(strings['player:error:unsupported'].replace('{$a}', this.mimetype), 'warning', false);
        } else if (outcome === OUTCOMES.ACCESS_DENIED) {
            this.say(strings['player:error:accessdenied'], 'danger', true);
        } else {
            this.say(strings['player:error:unavailable'], 'warning', true);
        }
        this.messageRegion.dataset.outcome = outcome;
    }

    /**
     * The first play: fetch a URL, build the player, play.
     *
     * @return {Promise<void>}
     */
    start() {
        if (!this.starting) {
            this.starting = this.build().finally(() => {
                this.starting = null;
            });
        }
        return this.starting;
    }

    /**
     * @return {Promise<void>}
     */
    async build() {
        const strings = await loadStrings();
        this.root.querySelectorAll('[data-action="play"]').forEach(button => button.classList.add('d-none'));
        this.say(strings['player:loading']);
        this.recovery.reset();
        try {
            const [source, videojs] = await Promise.all([this.fetchSource(), loadVideoJs()]);
            this.source = source;
            if (!this.media) {
                this.stage.replaceChildren();
                const video = document.createElement('video');
                video.className = 'video-js vjs-big-play-centered';
                video.controls = true;
                video.preload = 'metadata';
                video.setAttribute('playsinline', '');
                if (this.posterUrl) {
                    video.poster = this.posterUrl;
                }
                this.stage.appendChild(video);
                this.video = video;
                this.media = createMedia(video, videojs);
                this.media.on('error', () => this.failed());
                this.media.on('loadedmetadata', () => {
                    this.recovery.loaded();
                    if (!this.messageRegion.dataset.outcome) {
                        this.say('');
                    }
                });
                this.media.on('play', () => {
                    this.playing = true;
                });
                this.media.on('pause', () => {
                    if (!this.switching) {
                        this.playing = false;
                    }
                });
                this.media.on('timeupdate', () => {
                    if (!this.switching) {
                        this.position = this.media.time();
                    }
                });
                ['play', 'seeking', 'timeupdate'].forEach(name => this.media.on(name, () => {
                    if (!this.switching && this.stale()) {
                        this.recovery.refresh({position: this.media.time(), playing: !this.media.paused()})
                            .catch(exception => this.reportFetchFailure(exception));
                    }
                }));
            }
            this.showCodecWarning(strings);
            // The viewer pressed play: play, from where the viewer was if this is a Retry.
            this.load(this.source.url, this.position, true);
        } catch (exception) {
            this.root.querySelectorAll('[data-action="play"]').forEach(button => button.classList.remove('d-none'));
            await this.reportFetchFailure(exception);
        }
    }

    /**
     * Play a URL from a position.
     *
     * @param {string} url
     * @param {number} position seconds
     * @param {boolean} playing whether to play once loaded
     */
    load(url, position, playing) {
        this.switching = true;
        this.position = position;
        this.playing = playing;
        this.media.once('loadedmetadata', () => {
            if (position > 0) {
                this.media.seek(position);
            }
            this.switching = false;
            if (playing) {
                this.media.play();
            }
        });
        this.media.setSource(url, this.mimetype);
    }

    /**
     * The media failed: let the recovery name it and act.
     */
    failed() {
        if (!this.source) {
            return;
        }
        const typePlayable = !this.video || this.video.canPlayType(this.mimetype) !== '';
        this.recovery.failed({
            url: this.source.url,
            mediaErrorCode: this.media.errorCode(),
            typePlayable,
            position: this.position,
            playing: this.playing,
        }).catch(exception => this.reportFetchFailure(exception));
    }

    /**
     * Retry pressed: a fresh budget and a fresh URL, from where the viewer was.
     *
     * @return {Promise<void>}
     */
    async retry() {
        if (!this.media) {
            await this.start();
            return;
        }
        const strings = await loadStrings();
        this.recovery.reset();
        this.say(strings['player:loading']);
        try {
            await this.recovery.refresh({position: this.position, playing: true});
        } catch (exception) {
            await this.reportFetchFailure(exception);
        }
    }

    /**
     * Full screen, starting the video first if needed.
     *
     * @return {Promise<void>}
     */
    async fullsize() {
        if (!this.media) {
            await this.start();
        }
        if (this.media) {
            Promise.resolve(this.media.fullscreen()).catch(() => undefined);
        }
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
    if (action === 'play') {
        player.start().catch(Notification.exception);
    } else if (action === 'retry') {
        player.retry().catch(Notification.exception);
    } else if (action === 'fullsize') {
        player.fullsize().catch(Notification.exception);
    } else if (action === 'download') {
        player.download().catch(Notification.exception);
    }
};

/**
 * Set up the players of the page: listen for clicks once and show each player's poster. No URL is
 * fetched here, whatever data-autoload says: only a press on play fetches one.
 *
 * @param {object} options
 * @param {number} options.refreshseconds renew a URL once it is this old (0: only near its expiry)
 * @param {boolean} options.usevideojs whether Moodle's Video.js player is enabled
 * @return {Promise<void>}
 */
export const init = async(options = {}) => {
    settings = {...settings, ...options};
    if (!listening) {
        document.addEventListener('click', onClick);
        listening = true;
        watchForPlayers();
    }
    await showPosters(document.querySelectorAll(SELECTOR));
};

/**
 * Show the posters of these players.
 *
 * @param {HTMLElement[]} roots
 * @return {Promise<void>}
 */
const showPosters = async roots => {
    if (!roots.length) {
        return;
    }
    const strings = await loadStrings();
    roots.forEach(root => playerFor(root).showPoster(strings));
};

/**
 * Players added to the page later (the grader's submission panel) get their poster too.
 */
const watchForPlayers = () => {
    if (typeof MutationObserver !== 'function' || !document.body) {
        return;
    }
    const observer = new MutationObserver(mutations => {
        const added = [];
        mutations.forEach(mutation => mutation.addedNodes.forEach(node => {
            if (node.nodeType !== 1) {
                return;
            }
            if (node.matches(SELECTOR)) {
                added.push(node);
            }
            added.push(...node.querySelectorAll(SELECTOR));
        }));
        showPosters(added).catch(Notification.exception);
    });
    observer.observe(document.body, {childList: true, subtree: true});
};
