/**
 * Which paths are the API's: one rule for the headers a response carries (the API's policy, not
 * the dashboard's), for where the dashboard's files are looked up, and, with case-sensitive
 * routing, for what is routed. `/api/` in any letter case is the API's; the API itself is spelled
 * in lower case only, so `/API/v2/items` is a 404 problem with the API's headers, never a page.
 */
const API_PREFIX = /^\/api(?:\/|$)/i;

const isApiPath = (path: string): boolean => API_PREFIX.test(path);

export { isApiPath };
