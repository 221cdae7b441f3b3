// This file is part of the s3video assignment submission plugin for Moodle.
//
// It is free software: you can redistribute it and/or modify it under the
// terms of the GNU General Public License as published by the Free Software
// Foundation, either version 3 of the License, or (at your option) any later
// version. It is distributed WITHOUT ANY WARRANTY; see the GNU General Public
// License for details: <http://www.gnu.org/licenses/>.

/**
 * Progress as a student sees it: percent, speed over a moving window, time left.
 *
 * @module     assignsubmission_s3video/local/upload/progress
 * @copyright  2026 s3video contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

/**
 * Turns raw byte counts into what a progress bar shows: percent, speed and
 * time left. The speed is measured over a moving window so that it follows
 * changes within seconds without jumping at every event, and the byte count
 * never goes backwards (a retried part restarts from zero underneath).
 */
export class ProgressMeter {
    /**
     * @param {object} options
     * @param {number} options.total The file's size.
     * @param {number} [options.initialBytes] Bytes already uploaded before this session (resume).
     * @param {function(): number} [options.now] Milliseconds clock.
     * @param {number} [options.windowMs] The span the speed is measured over.
     * @param {number} [options.minSpanMs] Below this span the speed is not yet known.
     */
    constructor({total, initialBytes = 0, now = Date.now, windowMs = 5000, minSpanMs = 500}) {
        this.total = total;
        this.now = now;
        this.windowMs = windowMs;
        this.minSpanMs = minSpanMs;
        this.bytesSent = Math.min(total, Math.max(0, initialBytes));
        this.bytesPerSecond = null;
        this.samples = [{time: now(), bytes: this.bytesSent}];
    }

    /**
     * Records how many bytes are sent in all.
     *
     * @param {number} bytes
     * @return {{percent: number, bytesSent: number, bytesTotal: number, bytesPerSecond: ?number, secondsLeft: ?number}}
     */
    update(bytes) {
        const time = this.now();
        this.bytesSent = Math.min(this.total, Math.max(this.bytesSent, bytes));
        this.samples.push({time, bytes: this.bytesSent});
        // Keep one sample at or before the window's start as the baseline.
        while (this.samples.length > 2 && this.samples[1].time <= time - this.windowMs) {
            this.samples.shift();
        }
        const first = this.samples[0];
        const span = time - first.time;
        if (span >= this.minSpanMs) {
            this.bytesPerSecond = (this.bytesSent - first.bytes) * 1000 / span;
        }
        return this.snapshot();
    }

    /**
     * @return {{percent: number, bytesSent: number, bytesTotal: number, bytesPerSecond: ?number, secondsLeft: ?number}}
     */
    snapshot() {
        const remaining = this.total - this.bytesSent;
        let secondsLeft = null;
        if (remaining === 0) {
            secondsLeft = 0;
        } else if (this.bytesPerSecond > 0) {
            secondsLeft = Math.ceil(remaining / this.bytesPerSecond);
        }
        return {
            // Floor, so that 100 means "every byte is there", never "almost".
            percent: this.total > 0 ? Math.floor(this.bytesSent * 100 / this.total) : 100,
            bytesSent: this.bytesSent,
            bytesTotal: this.total,
            bytesPerSecond: this.bytesPerSecond === null ? null : Math.round(this.bytesPerSecond),
            secondsLeft,
        };
    }
}
