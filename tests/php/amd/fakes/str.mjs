// core/str: strings come back as [identifier].
export const get_strings = async requests => requests.map(request => `[${request.key}]`);
export const get_string = async key => `[${key}]`;
