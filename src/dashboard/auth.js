// The credentials of the configuration calls: a pasted Bearer token (a JWT, as the Lambda profile
// requires: AUTH_TRUST_USER_ID_HEADER=false refuses X-User-ID), else the development `X-User-ID`.
// The token lives in sessionStorage: a reload keeps it, closing the tab forgets it, and it is
// never written anywhere that outlives the session (no localStorage, no cookie, no URL).

const STORAGE_KEY = 'tickerpulse.bearerToken';
// A JWT (or any token68): no spaces or control characters, which a header could not carry anyway.
const TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The token as pasted, without a leading `Bearer ` and surrounding blanks; '' if it is not a token.
 * @param {string} text
 * @returns {string}
 */
function cleanToken(text) {
  const token = text.trim().replace(/^Bearer\s+/i, '');
  return TOKEN.test(token) ? token : '';
}

/** The token of this tab's session, '' when there is none (or storage is blocked). @returns {string} */
function storedToken() {
  try {
    return cleanToken(sessionStorage.getItem(STORAGE_KEY) ?? '');
  } catch {
    return '';
  }
}

/**
 * Keeps `text` as the session's token (cleaned); an empty or invalid one forgets it.
 * @param {string} text
 * @returns {string} the token kept, '' if none
 */
function storeToken(text) {
  const token = cleanToken(text);
  try {
    if (token === '') sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Storage blocked (a privacy setting): the token is then simply not kept.
  }
  return token;
}

/**
 * The headers that authenticate a configuration call: the session's Bearer token when there is
 * one (only it, so a server that trusts X-User-ID cannot pick another identity), else `X-User-ID`.
 * @param {string} userId
 * @returns {Record<string, string>}
 */
function authHeaders(userId) {
  const token = storedToken();
  return token === '' ? { 'x-user-id': userId } : { authorization: `Bearer ${token}` };
}

export { authHeaders, cleanToken, storedToken, storeToken };
