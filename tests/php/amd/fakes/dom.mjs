// A very small DOM for the AMD modules' tests: elements with attributes, data-*, classes, children,
// listeners, and the attribute selectors the modules use ([data-x], [data-x="y"], "A B", ".class").

/**
 * Does one simple selector (no spaces) match the element?
 *
 * @param {FakeElement} element
 * @param {string} selector e.g. video, .poster, [data-action], [data-action="play"][data-x="1"]
 * @return {boolean}
 */
function matchesSimple(element, selector) {
    const tag = /^[a-z]+/i.exec(selector);
    if (tag && element.tagName !== tag[0].toUpperCase()) {
        return false;
    }
    for (const [, name, value] of selector.matchAll(/\[([\w-]+)(?:="([^"]*)")?\]/g)) {
        const actual = element.getAttribute(name);
        if (actual === null || (value !== undefined && actual !== value)) {
            return false;
        }
    }
    for (const [, name] of selector.matchAll(/\.([\w-]+)/g)) {
        if (!element.classList.contains(name)) {
            return false;
        }
    }
    return true;
}

/**
 * Does a selector with descendant parts ("A B") match the element?
 *
 * @param {FakeElement} element
 * @param {string} selector
 * @return {boolean}
 */
function matches(element, selector) {
    const parts = selector.trim().split(/\s+/);
    if (!matchesSimple(element, parts.pop())) {
        return false;
    }
    let ancestor = element.parentNode;
    while (parts.length && ancestor) {
        if (matchesSimple(ancestor, parts[parts.length - 1])) {
            parts.pop();
        }
        ancestor = ancestor.parentNode;
    }
    return parts.length === 0;
}

const toDataName = key => `data-${key.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)}`;

export class FakeElement {
    constructor(tagName, attributes = {}) {
        this.tagName = tagName.toUpperCase();
        this.attributes = new Map();
        this.children = [];
        this.parentNode = null;
        this.listeners = [];
        this.textContent = '';
        this.style = {};
        const element = this;
        this.classList = {
            add: (...names) => names.forEach(name => element.classes.add(name)),
            remove: (...names) => names.forEach(name => element.classes.delete(name)),
            contains: name => element.classes.has(name),
            toggle: (name, force) => {
                const on = force === undefined ? !element.classes.has(name) : Boolean(force);
                element.classList[on ? 'add' : 'remove'](name);
                return on;
            },
        };
        this.classes = new Set();
        this.dataset = new Proxy({}, {
            get: (target, key) => (typeof key === 'string' ? element.getAttribute(toDataName(key)) ?? undefined : undefined),
            set: (target, key, value) => {
                element.setAttribute(toDataName(key), String(value));
                return true;
            },
            deleteProperty: (target, key) => {
                element.attributes.delete(toDataName(key));
                return true;
            },
        });
        for (const [name, value] of Object.entries(attributes)) {
            this.setAttribute(name, value);
        }
    }

    get className() {
        return [...this.classes].join(' ');
    }

    set className(value) {
        this.classes = new Set(String(value).split(/\s+/).filter(Boolean));
    }

    setAttribute(name, value) {
        if (name === 'class') {
            this.className = value;
        } else {
            this.attributes.set(name, String(value));
        }
    }

    getAttribute(name) {
        if (name === 'class') {
            return this.className;
        }
        return this.attributes.has(name) ? this.attributes.get(name) : null;
    }

    appendChild(child) {
        child.parentNode = this;
        this.children.push(child);
        return child;
    }

    replaceChildren(...children) {
        this.children.forEach(child => {
            child.parentNode = null;
        });
        this.children = [];
        children.forEach(child => this.appendChild(child));
    }

    append(...children) {
        children.forEach(child => this.appendChild(child));
    }

    after(node) {
        const siblings = this.parentNode.children;
        node.parentNode = this.parentNode;
        siblings.splice(siblings.indexOf(this) + 1, 0, node);
    }

    before(node) {
        const siblings = this.parentNode.children;
        node.parentNode = this.parentNode;
        siblings.splice(siblings.indexOf(this), 0, node);
    }

    * descendants() {
        for (const child of this.children) {
            yield child;
            yield* child.descendants();
        }
    }

    querySelectorAll(selector) {
        return [...this.descendants()].filter(element => matches(element, selector));
    }

    querySelector(selector) {
        return this.querySelectorAll(selector)[0] || null;
    }

    closest(selector) {
        for (let element = this; element; element = element.parentNode) {
            if (element instanceof FakeElement && matches(element, selector)) {
                return element;
            }
        }
        return null;
    }

    addEventListener(name, handler, options) {
        this.listeners.push({name, handler, once: Boolean(options && options.once)});
    }

    removeEventListener(name, handler) {
        this.listeners = this.listeners.filter(listener => listener.name !== name || listener.handler !== handler);
    }

    /**
     * Calls the listeners of this element, then its ancestors' (events bubble here).
     *
     * @param {string} name
     * @return {object} the event
     */
    dispatch(name) {
        const event = {type: name, target: this, preventDefault: () => undefined};
        for (let element = this; element; element = element.parentNode) {
            const listeners = element.listeners.filter(listener => listener.name === name);
            element.listeners = element.listeners.filter(listener => !(listener.name === name && listener.once));
            listeners.forEach(listener => listener.handler(event));
        }
        return event;
    }
}

/** A video element that plays nothing: the test says when it loads or fails. */
export class FakeVideo extends FakeElement {
    constructor() {
        super('video');
        this.currentTime = 0;
        this.paused = true;
        this.error = null;
        this.loads = 0;
        this.playable = 'maybe';
    }

    canPlayType() {
        return this.playable;
    }

    load() {
        this.loads++;
        this.error = null;
    }

    play() {
        this.paused = false;
        this.dispatch('play');
        return Promise.resolve();
    }

    pause() {
        this.paused = true;
        this.dispatch('pause');
    }

    /** The URL of its <source>. */
    get sourceUrl() {
        return this.children.length ? this.children[0].src : null;
    }
}

/**
 * Installs a document (and window) whose body holds `children`.
 *
 * @param {FakeElement[]} children
 * @return {{document: FakeElement, videos: FakeVideo[]}}
 */
export function installDocument(children = []) {
    const document = new FakeElement('html');
    const videos = [];
    children.forEach(child => document.appendChild(child));
    document.createElement = tag => {
        if (tag === 'video') {
            const video = new FakeVideo();
            videos.push(video);
            return video;
        }
        return new FakeElement(tag);
    };
    globalThis.document = document;
    globalThis.window = {addEventListener: () => undefined, open: () => undefined};
    return {document, videos};
}

/**
 * Lets pending promise callbacks run.
 *
 * @param {number} [turns]
 */
export async function settle(turns = 20) {
    for (let i = 0; i < turns; i++) {
        await new Promise(resolve => setImmediate(resolve));
    }
}
