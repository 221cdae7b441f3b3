/**
 * The development page: the shared upload engine plus a Video.js player that renews
 * its signed URL (on expiry or on a playback error) without losing the position.
 * Everything goes through the real API with real S3V1 headers, signed by /demo/sign.
 */
import {UploadEngine, formatBytes} from '/demo/static/js/upload_engine.mjs';
import {OUTCOMES, PlaybackRecovery} from '/demo/static/js/playback.mjs';
import {EXPORT_ADVICE, inspectVideo, riskFacts} from '/demo/static/js/media_check.mjs';

const $ = (id) => document.getElementById(id);
const state = {engine: null, file: null, player: null, video: null, lastTime: 0, playing: false, refreshTimer: null,
               urlRefreshes: 0, playbackCalls: 0, lastUrl: null, mimeType: null, config: null, switching: false,
               recovery: null};
window.demo = state; // for the browser tests and for curious developers

function actor() {
    return {user: Number($('user').value), roles: [$('role').value], course: Number($('course').value)};
}

function submissionPath(suffix = '') {
    return `/assignments/${encodeURIComponent($('assignment').value)}/submissions/` +
        `${encodeURIComponent($('submission').value)}${suffix}`;
}

/** One signed API call, as Moodle would make it; throws an Error carrying status/code/fields. */
async function call(method, path, body, query = '') {
    const bodyText = body === undefined ? '' : JSON.stringify(body);
    const signing = await fetch('/demo/sign', {
        method: 'POST', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({actor: actor(), method, path, query, body: bodyText}),
    });
    const signed = await signing.json();
    if (!signing.ok) {
        throw Object.assign(new Error(signed.error || 'signing failed'), {status: signing.status});
    }
    const headers = {...signed.headers, Accept: 'application/json'};
    if (bodyText) {
        headers['Content-Type'] = 'application/json';
    }
    const response = await fetch(query ? `${path}?${query}` : path, {method, headers, body: bodyText || undefined});
    const payload = response.status === 204 ? null : await response.json().catch(() => ({}));
    if (!response.ok) {
        throw Object.assign(new Error((payload && payload.error) || response.statusText), {
            status: response.status, code: payload && payload.code, fields: payload && payload.fields,
            retryAfter: response.headers.get('Retry-After'),
        });
    }
    return payload;
}

const multipart = (uploadId, suffix = '') => submissionPath(`/multipart/${encodeURIComponent(uploadId)}${suffix}`);
const api = {
    requestUpload: (body) => call('POST', submissionPath('/upload-url'), body),
    confirm: (body) => call('POST', submissionPath('/confirm'), body),
    startMultipart: (body) => call('POST', submissionPath('/multipart'), body),
    signParts: ({upload_id: id, part_numbers: numbers, checksums}) =>
        call('POST', multipart(id, '/parts'), checksums ? {part_numbers: numbers, checksums} : {part_numbers: numbers}),
    listParts: ({upload_id: id}) => call('GET', multipart(id)),
    completeMultipart: ({upload_id: id, parts}) => call('POST', multipart(id, '/complete'), {parts}),
    abortMultipart: ({upload_id: id}) => call('DELETE', multipart(id)),
};

function showProgress({percent, bytesSent, bytesTotal, bytesPerSecond, secondsLeft}) {
    $('progress').value = percent;
    $('percent').textContent = `${Math.floor(percent)} % (${formatBytes(bytesSent)} of ${formatBytes(bytesTotal)})`;
    $('speed').textContent = bytesPerSecond ? `${formatBytes(bytesPerSecond)}/s` : '–';
    $('eta').textContent = Number.isFinite(secondsLeft) ? `${Math.ceil(secondsLeft)} s left` : '–';
}

/** True if the file plays everywhere, or the student chose to upload it anyway; else shows why not. */
async function playableOrAccepted(file) {
    if (state.acceptedFile === file) {
        return true;
    }
    const report = await inspectVideo(file);
    state.mediaCheck = report; // for the browser tests
    if (!report || report.everywhere) {
        return true;
    }
    const {codec, browsers} = riskFacts(report);
    $('media-warning-text').textContent = `This video is ${codec}: not every browser can play it ` +
        `(it plays in: ${browsers}). Your teacher may see a black screen. ${EXPORT_ADVICE}`;
    $('media-warning').hidden = false;
    return false;
}

async function upload() {
    const file = $('file').files[0];
    if (!file) {
        $('message').textContent = 'Choose a video first.';
        return;
    }
    $('media-warning').hidden = true;
    if (!await playableOrAccepted(file)) {
        return; // nothing sent: the warning asks first
    }
    $('message').textContent = '';
    delete $('message').dataset.code;
    delete $('state').dataset.done;
    $('retry').hidden = true;
    $('cancel').disabled = false;
    $('start').disabled = true;
    state.engine = new UploadEngine({
        api,
        maxBytes: state.config.max_upload_bytes,
        allowedMimeTypes: state.config.allowed_mime_types,
        storagePrefix: `s3video-demo:${$('assignment').value}:${$('submission').value}:`,
        partsInFlight: Number(new URLSearchParams(location.search).get('parts') || 4),
        onProgress: showProgress,
        onStateChange: (name) => {
            $('state').textContent = name;
        },
        onError: (error) => {
            $('message').textContent = error.message;
            $('message').dataset.code = error.code;
            // Trying the same file again cannot help these.
            $('retry').hidden = ['cancelled', 'toolarge', 'typenotallowed', 'notallowed'].includes(error.code);
        },
    });
    try {
        const confirmed = await state.engine.upload(file);
        $('state').textContent = `ready: ${confirmed.s3_key}`;
        $('state').dataset.done = 'true';
        showReceipt(confirmed);
        await refreshStatus();
    } catch (error) {
        // onError has shown it.
    } finally {
        $('cancel').disabled = true;
        $('start').disabled = false;
    }
}

async function refreshStatus() {
    try {
        const submission = await call('GET', submissionPath());
        $('status').textContent = JSON.stringify(submission, null, 2);
        showReceipt(submission && submission.video);
    } catch (error) {
        $('status').textContent = `${error.status}: ${error.message}`;
        showReceipt(null);
    }
}

/**
 * The submission receipt of a confirmed video (contract C1): its SHA-256 as S3 reports it
 * ("full_object" for a POST upload, "composite" over the parts for a multipart one) and its size.
 * Shown only when the sidecar gives the checksum.
 */
function showReceipt(video) {
    const known = Boolean(video && video.checksum_sha256);
    $('receipt').hidden = !known;
    if (!known) {
        return;
    }
    $('receipt-file').textContent = video.filename || video.s3_key.split('/').pop();
    $('receipt-size').textContent = `${formatBytes(video.file_size)} (${video.file_size} bytes)`;
    $('receipt-checksum').textContent = video.checksum_sha256;
    $('receipt-type').textContent = video.checksum_type || 'unknown type';
}

// -- the player -------------------------------------------------------------------------
// Nothing is fetched before Play is pressed; a failing video is handled by the same rules as
// Moodle's player (playback.mjs): a refused URL renewed once, a missing video or an undecodable
// format said as such, fresh URLs capped (each playback-url call counts as a view).

const OUTCOME_TEXT = {
    [OUTCOMES.ACCESS_DENIED]: 'Access denied: the video network refuses this video.',
    [OUTCOMES.UNAVAILABLE]: 'This video is unavailable.',
    [OUTCOMES.UNSUPPORTED]: 'Your browser cannot play this video format. Download it instead.',
};

function ensurePlayer() {
    if (state.player) {
        return state.player;
    }
    const box = $('player-box');
    box.replaceChildren();
    const video = document.createElement('video');
    video.id = 'player';
    video.controls = true;
    video.preload = 'metadata';
    box.appendChild(video);
    state.video = video;
    if (window.videojs && state.config.videojs_available) {
        video.className = 'video-js vjs-default-skin';
        state.player = window.videojs(video, {controls: true, fluid: true});
    } else {
        state.player = plainPlayer(video); // Video.js disabled or missing: the browser's own player
    }
    state.player.on('timeupdate', () => {
        // While a source is being replaced the player reports 0: keep the real position.
        if (!state.switching) {
            state.lastTime = state.player.currentTime();
        }
    });
    state.player.on('play', () => {
        state.playing = true;
    });
    state.player.on('pause', () => {
        if (!state.switching) {
            state.playing = false;
        }
    });
    state.player.on('loadedmetadata', () => {
        state.recovery.loaded();
        if (!$('player-message').dataset.outcome) {
            $('player-message').textContent = '';
        }
    });
    state.player.on('error', () => {
        const error = state.player.error();
        state.recovery.failed({
            url: state.lastUrl,
            mediaErrorCode: error ? error.code : 0,
            typePlayable: video.canPlayType(state.mimeType || 'video/mp4') !== '',
            position: state.lastTime,
            playing: state.playing,
        }).catch(showPlaybackFailure);
    });
    return state.player;
}

/** The few Video.js calls we use, over a plain <video> element. */
function plainPlayer(video) {
    return {
        plain: true,
        src: ({src}) => { video.src = src; },
        currentTime: (t) => (t === undefined ? video.currentTime : (video.currentTime = t)),
        currentSrc: () => video.currentSrc,
        duration: () => video.duration,
        readyState: () => video.readyState,
        play: () => video.play(),
        pause: () => video.pause(),
        paused: () => video.paused,
        muted: (m) => (m === undefined ? video.muted : (video.muted = m)),
        error: () => video.error,
        on: (name, handler) => video.addEventListener(name, handler),
        one: (name, handler) => video.addEventListener(name, handler, {once: true}),
    };
}

function setSource(url, mimeType, resumeAt, wasPlaying) {
    const player = ensurePlayer();
    state.lastUrl = url;
    state.switching = true;
    state.playing = wasPlaying;
    if (!player.plain) {
        player.error(null);
    }
    // The signed URL ends in a query string: give the type, players pick by extension otherwise.
    player.src({src: url, type: mimeType});
    player.one('loadedmetadata', () => {
        if (resumeAt > 0) {
            player.currentTime(resumeAt);
        }
        state.switching = false;
        if (wasPlaying) {
            Promise.resolve(player.play()).catch(() => undefined);
        }
    });
}

/** A signed URL: the first of this player counts as a view; a renewal (``renew``) does not. */
async function fetchPlayback(renew = false) {
    state.playbackCalls += 1;
    const play = await call('GET', submissionPath('/playback-url'), undefined, renew ? 'renew=true' : '');
    state.mimeType = play.mime_type;
    clearTimeout(state.refreshTimer);
    // Renew a minute before expiry (or half-way for short lifetimes), keeping the position.
    const lifetimeMs = play.expires_at * 1000 - Date.now();
    state.refreshTimer = setTimeout(() => {
        state.recovery.refresh({position: state.lastTime, playing: state.playing}).catch(showPlaybackFailure);
    }, Math.max(1000, Math.min(lifetimeMs - 60000, lifetimeMs / 2)));
    return play.url;
}

function showOutcome(outcome) {
    $('player-message').textContent = OUTCOME_TEXT[outcome];
    $('player-message').dataset.outcome = outcome;
    $('player-retry').hidden = false;
}

function showPlaybackFailure(error) {
    $('player-message').textContent = error.status === 404 ? 'Video unavailable.' :
        error.status === 403 ? 'Access denied.' : `Playback failed: ${error.message}. Try again.`;
    $('player-message').dataset.outcome = error.status === 404 ? OUTCOMES.UNAVAILABLE : 'failed';
    $('player-retry').hidden = false;
}

function makeRecovery() {
    return new PlaybackRecovery({
        renew: async () => {
            state.urlRefreshes += 1;
            return fetchPlayback(true);
        },
        load: (url, {position, playing}) => setSource(url, state.mimeType, position, playing),
        report: showOutcome,
        announce: () => {
            $('player-message').textContent = 'The video link stopped working; fetching a fresh one…';
        },
    });
}

/** Play pressed (or Retry): the first URL of this player, or a fresh one from where it was. */
async function startPlayer() {
    $('player-message').textContent = '';
    delete $('player-message').dataset.outcome;
    $('player-retry').hidden = true;
    state.recovery.reset();
    try {
        const url = await fetchPlayback();
        setSource(url, state.mimeType, state.player ? state.lastTime : 0, true);
    } catch (error) {
        showPlaybackFailure(error);
    }
}

function simulateExpiredUrl() {
    if (!state.lastUrl) {
        return;
    }
    const player = ensurePlayer();
    state.lastTime = player.currentTime();
    state.switching = true;
    // A tampered signature is refused by the edge (403) exactly as an expired one is.
    state.lastUrl = state.lastUrl.replace('Signature=', 'Signature=expired');
    player.src({src: state.lastUrl, type: state.mimeType || 'video/mp4'});
}

async function init() {
    state.config = await (await fetch('/demo/config')).json();
    $('limits').textContent = `Up to ${formatBytes(state.config.max_upload_bytes)}; ` +
        `${state.config.allowed_mime_types.join(', ')}. Multipart above ${formatBytes(state.config.multipart_threshold_bytes)}.`;
    if (state.config.videojs_available) {
        await new Promise((resolve, reject) => {
            const script = document.createElement('script');
            script.src = '/demo/vendor/video.js/video.min.js';
            script.onload = resolve;
            script.onerror = reject;
            document.head.appendChild(script);
        }).catch(() => undefined);
    }
    $('start').addEventListener('click', upload);
    $('retry').addEventListener('click', upload);
    $('upload-anyway').addEventListener('click', () => {
        state.acceptedFile = $('file').files[0];
        upload();
    });
    $('cancel').addEventListener('click', () => state.engine && state.engine.cancel());
    $('refresh').addEventListener('click', refreshStatus);
    $('delete').addEventListener('click', async () => {
        try {
            await call('DELETE', submissionPath());
        } catch (error) {
            $('message').textContent = error.message;
        }
        await refreshStatus();
    });
    state.recovery = makeRecovery();
    $('play').addEventListener('click', startPlayer);
    $('player-retry').addEventListener('click', startPlayer);
    $('expire').addEventListener('click', simulateExpiredUrl);
    document.body.dataset.ready = 'true';
}

init();
