"""How the page reads and sends a file's parts, alone: CPU by Chromium process and wall time for
hashing 1 GiB (SHA-256 per 16 MiB part) read in different ways, and for PUTting it (4 in flight)
with different request bodies, to a local server that discards what it receives.

    python -m bench.browser_reads --pipe MiB VARIANT,VARIANT,...   (byob2, arrayBuffer2, worker2, copy2,
                                                                   fileReader2, putBlobXhr, hashPutBlob, ...)

``--pipe`` drives Chromium over a DevTools pipe without the Network domain (use it: under Playwright,
which enables that domain, Chromium copies every in-memory request body into its events, base64, and a
Uint8Array body costs some 150 CPU seconds per GiB); without it, Playwright drives it. Not part of
``python -m bench``: the measurements behind the engine's choice of reads (issue 17).
"""

from __future__ import annotations

import http.server
import sys
import threading
import time

from . import processes
from .uploads import CHROMIUM, MIB, ProcessSampler, chromium, make_file

PAGE = """<!doctype html><meta charset="utf-8"><input id="file" type="file"><script>
const PART = 16 * 1024 * 1024;
const b64 = buffer => btoa(String.fromCharCode(...new Uint8Array(buffer)));
const parts = file => Array.from({length: Math.ceil(file.size / PART)},
    (_, i) => file.slice(i * PART, Math.min(file.size, (i + 1) * PART)));
async function pool(items, width, work) {
    let next = 0;
    await Promise.all(Array.from({length: width}, async() => {
        while (next < items.length) { const item = items[next++]; await work(item); }
    }));
}
async function byob(blob, buffer) {
    const reader = blob.stream().getReader({mode: 'byob'});
    let offset = 0;
    while (offset < blob.size) {
        const {value, done} = await reader.read(new Uint8Array(buffer, offset, blob.size - offset));
        if (done) { break; }
        buffer = value.buffer; offset += value.byteLength;
    }
    reader.releaseLock();
    return new Uint8Array(buffer, 0, blob.size);
}
const WORKER = `
self.onmessage = async event => {
    const {id, blob} = event.data;
    const bytes = new FileReaderSync().readAsArrayBuffer(blob);
    const digest = await crypto.subtle.digest('SHA-256', bytes);
    self.postMessage({id, digest});
};`;
window.variants = {
    async byob2(file) {
        const buffers = [new ArrayBuffer(PART), new ArrayBuffer(PART)];
        await pool(parts(file), 2, async blob => {
            const buffer = buffers.pop();
            const bytes = await byob(blob, buffer);
            await crypto.subtle.digest('SHA-256', bytes);
            buffers.push(bytes.buffer);
        });
    },
    async arrayBuffer2(file) {
        await pool(parts(file), 2, async blob => { await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()); });
    },
    async arrayBuffer1(file) {
        await pool(parts(file), 1, async blob => { await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()); });
    },
    async worker2(file) {
        const url = URL.createObjectURL(new Blob([WORKER], {type: 'text/javascript'}));
        const workers = [new Worker(url), new Worker(url)];
        let id = 0;
        await pool(parts(file), 2, blob => new Promise(resolve => {
            const worker = workers.pop(); const mine = id++;
            worker.onmessage = () => { workers.push(worker); resolve(); };
            worker.postMessage({id: mine, blob});
        }));
        workers.forEach(w => w.terminate());
    },
    async worker1(file) {
        const url = URL.createObjectURL(new Blob([WORKER], {type: 'text/javascript'}));
        const worker = new Worker(url);
        await pool(parts(file), 1, blob => new Promise(resolve => {
            worker.onmessage = () => resolve();
            worker.postMessage({id: 0, blob});
        }));
        worker.terminate();
    },
    async hashPutBlob(file) {
        const buffers = [new ArrayBuffer(PART), new ArrayBuffer(PART)];
        await pool(parts(file), 4, async blob => {
            const buffer = buffers.pop() || new ArrayBuffer(PART);
            const bytes = await byob(blob, buffer);
            await crypto.subtle.digest('SHA-256', bytes);
            buffers.push(bytes.buffer);
            await xhr(blob);
        });
    },
    async hashPutBytes(file) {
        const buffers = [];
        await pool(parts(file), 4, async blob => {
            const bytes = await byob(blob, buffers.pop() || new ArrayBuffer(PART));
            await crypto.subtle.digest('SHA-256', bytes);
            await xhr(bytes);
            buffers.push(bytes.buffer);
        });
    },
    async hashPutBytesFreshByob(file) {
        await pool(parts(file), 4, async blob => {
            const bytes = await byob(blob, new ArrayBuffer(PART));
            await crypto.subtle.digest('SHA-256', bytes);
            await xhr(bytes);
        });
    },
    async copy2(file) {
        const buffers = [new ArrayBuffer(PART), new ArrayBuffer(PART)];
        await pool(parts(file), 2, async blob => {
            const buffer = buffers.pop();
            const target = new Uint8Array(buffer);
            const reader = blob.stream().getReader();
            let offset = 0;
            for (;;) {
                const {value, done} = await reader.read();
                if (done) { break; }
                target.set(value, offset); offset += value.byteLength;
            }
            await crypto.subtle.digest('SHA-256', target.subarray(0, offset));
            buffers.push(buffer);
        });
    },
    async fileReader2(file) {
        await pool(parts(file), 2, blob => new Promise((resolve, reject) => {
            const reader = new FileReader();
            reader.onload = () => crypto.subtle.digest('SHA-256', reader.result).then(resolve, reject);
            reader.onerror = reject;
            reader.readAsArrayBuffer(blob);
        }));
    },
    async byob1(file) {
        let buffer = new ArrayBuffer(PART);
        for (const blob of parts(file)) {
            const bytes = await byob(blob, buffer);
            await crypto.subtle.digest('SHA-256', bytes);
            buffer = bytes.buffer;
        }
    },
    async byob4(file) {
        const buffers = [];
        await pool(parts(file), 4, async blob => {
            const bytes = await byob(blob, buffers.pop() || new ArrayBuffer(PART));
            await crypto.subtle.digest('SHA-256', bytes);
            buffers.push(bytes.buffer);
        });
    },
    async hashPutFresh(file) {
        await pool(parts(file), 4, async blob => {
            const bytes = new Uint8Array(await blob.arrayBuffer());
            await crypto.subtle.digest('SHA-256', bytes);
            await xhr(bytes);
        });
    },
    async putBlobXhr(file) {
        await pool(parts(file), 4, blob => xhr(blob));
    },
    async putBytesXhr(file) {
        await pool(parts(file), 4, async blob => xhr(new Uint8Array(await blob.arrayBuffer())));
    },
    async putBytesFetch(file) {
        await pool(parts(file), 4, async blob => {
            const r = await fetch('/sink', {method: 'PUT', body: new Uint8Array(await blob.arrayBuffer())});
            await r.text();
        });
    },
    async putBlobFetch(file) {
        await pool(parts(file), 4, async blob => { await (await fetch('/sink', {method: 'PUT', body: blob})).text(); });
    },
};
function xhr(body) {
    return new Promise((resolve, reject) => {
        const x = new XMLHttpRequest();
        x.open('PUT', '/sink');
        x.upload.onprogress = () => undefined;
        x.onload = resolve; x.onerror = reject;
        x.send(body);
    });
}
</script>"""


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        remaining = int(self.headers["Content-Length"])
        buffer = bytearray(MIB)
        view = memoryview(buffer)
        while remaining:
            got = self.rfile.readinto(view[: min(MIB, remaining)])
            if not got:
                break
            remaining -= got
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def print_variant(name: str, seconds: float, sampler, size: int) -> None:
    """One variant's line: its time, its CPU per GiB (in all and by kind of process), the renderer's peak."""
    gib = size / 1024 / MIB
    used = sorted(sampler.used_by_kind.items())
    kinds = ", ".join(f"{kind} {value / gib:.2f}" for kind, value in used if value > 0.01)
    print(
        f"{name:14s} {seconds:6.2f} s  CPU {sampler.used_cpu / gib:5.2f} s/GiB "
        f"({kinds}); renderer peak {sampler.peak_renderer / MIB:.0f} MiB",
        flush=True,
    )


def main(argv: list[str]) -> None:
    size = int(argv[0]) * MIB if argv else 1024 * MIB
    names = argv[1].split(",") if len(argv) > 1 else None
    if CHROMIUM is None:
        raise SystemExit("Debian's chromium is missing")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with processes.work_directory("s3video-bench-reads-") as directory:
        path = make_file(directory, size)
        with chromium(directory) as (browser, pid):
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
            page.set_input_files("#file", str(path))
            variants = names or page.evaluate("Object.keys(window.variants)")
            for name in variants:
                with ProcessSampler(pid) as sampler:
                    started = time.perf_counter()
                    page.evaluate(f"window.variants.{name}(document.getElementById('file').files[0])")
                    seconds = time.perf_counter() - started
                print_variant(name, seconds, sampler, size)
    server.shutdown()


class PipeChromium:
    """Chromium driven over ``--remote-debugging-pipe`` with raw DevTools commands, with no
    Network domain enabled: Playwright enables it on every page, and then Chromium copies every
    request body held in memory (an ArrayBuffer, not a Blob) into the DevTools event, base64."""

    def __init__(self, directory):
        import os
        import subprocess

        from .uploads import CHROMIUM_ARGS

        read_commands, self._commands = os.pipe()
        self._events, write_events = os.pipe()
        os.set_inheritable(read_commands, True)
        os.set_inheritable(write_events, True)
        self.process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--remote-debugging-pipe",
                f"--user-data-dir={directory}/chromium-profile",
                *CHROMIUM_ARGS,
                "about:blank",
            ],
            pass_fds=(3, 4, read_commands, write_events),
            preexec_fn=lambda: (os.dup2(read_commands, 3), os.dup2(write_events, 4)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(read_commands)
        os.close(write_events)
        self._next, self._buffer = 0, b""

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        import json
        import os

        self._next += 1
        message = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._buffer:
                self._buffer += os.read(self._events, 1 << 20)
            raw, self._buffer = self._buffer.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == self._next:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def main_pipe(argv: list[str]) -> None:
    size = int(argv[0]) * MIB if argv else 1024 * MIB
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with processes.work_directory("s3video-bench-reads-") as directory:
        path = make_file(directory, size)
        browser = PipeChromium(directory)
        try:
            target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            browser.send("Page.enable", session=session)
            browser.send("Page.navigate", {"url": f"http://127.0.0.1:{server.server_address[1]}/"}, session)
            time.sleep(2)
            root = browser.send("DOM.getDocument", session=session)["root"]["nodeId"]
            node = browser.send("DOM.querySelector", {"nodeId": root, "selector": "#file"}, session)["nodeId"]
            browser.send("DOM.setFileInputFiles", {"files": [str(path)], "nodeId": node}, session)
            import psutil

            for name in argv[1].split(","):
                with ProcessSampler(browser.process.pid) as sampler:
                    started = time.perf_counter()
                    browser.send(
                        "Runtime.evaluate",
                        {
                            "expression": f"window.variants.{name}(document.getElementById('file').files[0])",
                            "awaitPromise": True,
                        },
                        session,
                    )
                    seconds = time.perf_counter() - started
                print_variant(name, seconds, sampler, size)
            del psutil
        finally:
            browser.close()
    server.shutdown()


if __name__ == "__main__":
    (main_pipe if "--pipe" in sys.argv else main)([a for a in sys.argv[1:] if a != "--pipe"])
