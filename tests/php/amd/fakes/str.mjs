// core/str: strings come back as [identifier], once globalThis.moodleStringsGate (if a test set
// one) has resolved: a test can hold the strings back to see what happens meanwhile.
export const get_strings = async requests => {
    await globalThis.moodleStringsGate;
    return requests.map(request => `[${request.key}]`);
};
export const get_string = async key => {
    await globalThis.moodleStringsGate;
    return `[${key}]`;
};
