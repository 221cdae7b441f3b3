/**
 * The development page: the shared upload engine plus a Video.js player that renews
 * its signed URL (on expiry or on a playback error) without losing the position.
 * Everything goes through the real API with real S3V1 headers, signed by /demo/sign.
 */
import {UploadEngine, formatBytes} from '/demo/static/js/upload_engine.mjs';

const $ = (id) => document.getElementById(id);
const state = {engine: null, file: null, player: null, lastTime: 0, refreshing: null, refreshTimer: null,
               urlRefreshes: 0, lastUrl: null, config: null, switching: false};
window.demo = state; // for the browser tests and for curious developers

function actor() {
    return {user: Number($('user').value), roles: [$('role').value], course: Number($('course').value)};
}

function submissionPath(suffix = '') {
    return `/assignments/${encodeURIComponent($('assignment').value)}/submissions/` +
        `${encodeURIComponent($('submission').value)}${suffix}`;
}

/** One signed API call, as Moodle would make it; throws an Error carrying status/code/fields. */
async function call(method, path, body) {
    const bodyText = body === undefined ? '' : JSON.stringify(body);
    const signing = await fetch('/demo/sign', {
        method: 'POST', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({actor: actor(), method, path, body: bodyText}),
    });
    const signed = await signing.json();
    if (!signing.ok) {
        throw Object.assign(new Error(signed.error || 'signing failed'), {status: signing.status});
    }
    const headers = {...signed.headers, Accept: 'application/json'};
    if (bodyText) {
        headers['Content-Type'] = 'application/json';
    }
    const response = await fetch(path, {method, headers, body: bodyText || undefined});
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

async function upload() {
    const file = $('file').files[0];
    if (!file) {
        $('message').textContent = 'Choose a video first.';
        return;
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
            $('retry').hidden = error.code === 'cancelled' || error.code === 'toolarge' || error.code === 'typenotallowed';
        },
    });
    try {
        const confirmed = await state.engine.upload(file);
        $('state').textContent = `ready: ${confirmed.s3_key}`;
        $('state').dataset.done = 'true';
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
        $('status').textContent = JSON.stringify(await call('GET', submissionPath()), null, 2);
    } catch (error) {
        $('status').textContent = `${error.status}: ${error.message}`;
    }
}

// -- the player -------------------------------------------------------------------------

function ensurePlayer() {
    if (state.player) {
        return state.player;
    }
    const box = $('player-box');
    const video = document.createElement('video');
    video.id = 'player';
    video.controls = true;
    video.preload = 'auto';
    box.appendChild(video);
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
    state.player.on('error', () => renewUrl('error'));
    return state.player;
}

/** The few Video.js calls we use, over a plain <video> element. */
function plainPlayer(video) {
    return {
        plain: true,
        src: ({src}) => { video.src = src; },
        currentTime: (t) => (t === undefined ? video.currentTime : (video.currentTime = t)),
        duration: () => video.duration,
        play: () => video.play(),
        pause: () => video.pause(),
        paused: () => video.paused,
        error: () => video.error,
        on: (name, handler) => video.addEventListener(name, handler),
        one: (name, handler) => video.addEventListener(name, handler, {once: true}),
    };
}

function setSource(url, mimeType, resumeAt, wasPlaying) {
    const player = ensurePlayer();
    state.lastUrl = url;
    state.switching = true;
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
            player.play();
        }
    });
}

async function loadPlayback(resumeAt = 0, wasPlaying = false) {
    const play = await call('GET', submissionPath('/playback-url'));
    setSource(play.url, play.mime_type, resumeAt, wasPlaying);
    clearTimeout(state.refreshTimer);
    // Renew a minute before expiry (or half-way for short lifetimes), keeping the position.
    const lifetimeMs = play.expires_at * 1000 - Date.now();
    state.refreshTimer = setTimeout(() => renewUrl('expiry'), Math.max(1000, Math.min(lifetimeMs - 60000, lifetimeMs / 2)));
    return play;
}

async function renewUrl(reason) {
    if (state.refreshing) {
        return state.refreshing;
    }
    const player = ensurePlayer();
    const position = state.lastTime;
    const wasPlaying = !player.paused();
    state.urlRefreshes += 1;
    $('player-message').textContent = reason === 'error' ? 'The video link stopped working; fetching a fresh one…' : '';
    state.refreshing = loadPlayback(position, wasPlaying)
        .then(() => { $('player-message').textContent = ''; })
        .catch((error) => {
            $('player-message').textContent = error.status === 403 ? 'Access denied.' :
                error.status === 404 ? 'Video unavailable.' : `Playback failed: ${error.message}. Try again.`;
        })
        .finally(() => { state.refreshing = null; });
    return state.refreshing;
}

async function startPlayer() {
    $('player-message').textContent = '';
    try {
        await loadPlayback(0, false);
    } catch (error) {
        $('player-message').textContent = error.status === 404 ? 'Video unavailable.' :
            error.status === 403 ? 'Access denied.' : `Playback failed: ${error.message}`;
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
    player.src({src: state.lastUrl.replace('Signature=', 'Signature=expired'), type: 'video/mp4'});
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
    $('play').addEventListener('click', startPlayer);
    $('expire').addEventListener('click', simulateExpiredUrl);
    document.body.dataset.ready = 'true';
}

init();
