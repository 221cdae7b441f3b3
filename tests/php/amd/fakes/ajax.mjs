// core/ajax: each call goes to globalThis.moodleAjax(methodname, args), which a test sets.
export default {
    call: requests => requests.map(({methodname, args}) => Promise.resolve().then(() => globalThis.moodleAjax(methodname, args))),
};
