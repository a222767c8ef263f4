/**
 * The connection sharing behind useStream() (src/react/shared-streams.ts), with a recording
 * stand-in for subscribe(): how many connections open and close as users join and leave, the
 * linger that lets StrictMode's mount, unmount, mount reuse one connection, reopening a stream
 * that ended by itself, and which targets count as the same stream.
 */
import { describe, expect, it } from 'vitest';
import { createSharedStreams, type StreamUser, streamKey } from '../../../src/react/shared-streams.ts';
import { nextMacrotask, recordingOpen, state } from './recording-open.ts';

const STREAM_URL = 'http://127.0.0.1:3000/api/v2/stream';

/** A user that counts how often it was told of a change. */
function user(): StreamUser & { changes: number } {
  const made = {
    changes: 0,
    callbacks: () => ({}),
    changed: () => {
      made.changes += 1;
    },
  };
  return made;
}

describe('joining and leaving', () => {
  it('opens one connection for any number of users of one stream, and closes it after the last leaves', async () => {
    const { open, opened } = recordingOpen();
    const streams = createSharedStreams(open);
    const leaveA = streams.join({ url: STREAM_URL }, user());
    const leaveB = streams.join({ url: STREAM_URL }, user());
    const leaveC = streams.join({ url: STREAM_URL }, user());
    expect(opened).toHaveLength(1);
    expect(opened[0]?.url).toBe(STREAM_URL);

    leaveA();
    leaveB();
    await nextMacrotask();
    expect(opened[0]?.closes).toBe(0);
    expect(streams.size).toBe(1);

    leaveC();
    // Not at once: the linger of one macrotask.
    expect(opened[0]?.closes).toBe(0);
    await nextMacrotask();
    expect(opened[0]?.closes).toBe(1);
    expect(streams.size).toBe(0);
    expect(streams.view(streamKey({ url: STREAM_URL }))).toBeUndefined();
  });

  it('reuses the connection for the StrictMode pattern join, leave, join in one task', async () => {
    const { open, opened } = recordingOpen();
    const streams = createSharedStreams(open);
    const strict = user();
    streams.join({ url: STREAM_URL }, strict)();
    const leave = streams.join({ url: STREAM_URL }, strict);
    await nextMacrotask();
    await nextMacrotask();
    expect(opened).toHaveLength(1);
    expect(opened[0]?.closes).toBe(0);
    expect(streams.size).toBe(1);

    leave();
    await nextMacrotask();
    expect(opened[0]?.closes).toBe(1);
  });

  it('opens a new connection for a user who joins after the linger', async () => {
    const { open, opened } = recordingOpen();
    const streams = createSharedStreams(open);
    streams.join({ url: STREAM_URL }, user())();
    await nextMacrotask();
    const leave = streams.join({ url: STREAM_URL }, user());
    expect(opened).toHaveLength(2);
    expect(opened.map((entry) => entry.closes)).toEqual([1, 0]);
    leave();
    await nextMacrotask();
    expect(opened.map((entry) => entry.closes)).toEqual([1, 1]);
  });

  it('takes a second leave of the same user as a no-op', async () => {
    const { open, opened } = recordingOpen();
    const streams = createSharedStreams(open);
    const leaveA = streams.join({ url: STREAM_URL }, user());
    const leaveB = streams.join({ url: STREAM_URL }, user());
    leaveA();
    leaveA();
    await nextMacrotask();
    expect(opened[0]?.closes).toBe(0);
    leaveB();
    await nextMacrotask();
    expect(opened[0]?.closes).toBe(1);
  });

  it('tells users when the connection state changes, and stops telling one that left', () => {
    const { open, opened } = recordingOpen();
    const streams = createSharedStreams(open);
    const [stays, goes] = [user(), user()];
    streams.join({ url: STREAM_URL }, stays);
    streams.join({ url: STREAM_URL }, goes)();
    const [subscription] = opened;
    if (subscription === undefined) throw new Error('nothing opened');
    state(subscription, { state: 'open', outcome: 'fresh' });
    expect(streams.view(streamKey({ url: STREAM_URL }))?.state).toEqual({ state: 'open', outcome: 'fresh' });
    expect(stays.changes).toBe(1);
    expect(goes.changes).toBe(0);
  });

  it('keeps a connection that ended by itself for its users, and reopens it for the next to join', () => {
    const { open, opened } = recordingOpen();
    const streams = createSharedStreams(open);
    const first = user();
    streams.join({ url: STREAM_URL }, first);
    const [ended] = opened;
    if (ended === undefined) throw new Error('nothing opened');
    state(ended, { state: 'closed', reason: 'refused', status: 404 });
    expect(streams.view(streamKey({ url: STREAM_URL }))?.state).toEqual({
      state: 'closed',
      reason: 'refused',
      status: 404,
    });

    streams.join({ url: STREAM_URL }, user());
    expect(opened).toHaveLength(2);
    expect(streams.view(streamKey({ url: STREAM_URL }))?.state.state).toBe('connecting');
    // The first user sees the new connection too.
    expect(first.changes).toBeGreaterThanOrEqual(2);
  });
});

describe('what makes two targets one stream', () => {
  it('ignores the case and the order of header names', () => {
    const a = streamKey({ url: STREAM_URL, headers: { 'X-User-ID': 'u1', Authorization: 'Bearer t' } });
    const b = streamKey({ url: STREAM_URL, headers: { authorization: 'Bearer t', 'x-user-id': 'u1' } });
    expect(a).toBe(b);
  });

  it.each([
    ['another STREAM_URL', { url: `${STREAM_URL}?x=1` }],
    ['another header value', { url: STREAM_URL, headers: { 'x-user-id': 'u2' } }],
    ['an extra header', { url: STREAM_URL, headers: { 'x-user-id': 'u1', prefer: 'code=503' } }],
    ['a token', { url: STREAM_URL, headers: { 'x-user-id': 'u1' }, tokenAuth: true }],
  ])('gives %s a connection of its own', (_name, other) => {
    const { open, opened } = recordingOpen();
    const streams = createSharedStreams(open);
    streams.join({ url: STREAM_URL, headers: { 'x-user-id': 'u1' } }, user());
    streams.join(other, user());
    expect(opened).toHaveLength(2);
    expect(streamKey(other)).not.toBe(streamKey({ url: STREAM_URL, headers: { 'x-user-id': 'u1' } }));
  });

  it('shares one connection between spellings of the same headers, and sends them', () => {
    const { open, opened } = recordingOpen();
    const streams = createSharedStreams(open);
    streams.join({ url: STREAM_URL, headers: { 'X-User-ID': 'u1', Accept: 'text/event-stream' } }, user());
    streams.join({ url: STREAM_URL, headers: { accept: 'text/event-stream', 'x-user-id': 'u1' } }, user());
    expect(opened).toHaveLength(1);
    expect(opened[0]?.options.headers).toEqual({ 'X-User-ID': 'u1', Accept: 'text/event-stream' });
  });

  it('counts no headers and empty headers as the same stream', () => {
    expect(streamKey({ url: STREAM_URL })).toBe(streamKey({ url: STREAM_URL, headers: {} }));
    expect(streamKey({ url: STREAM_URL })).toBe(streamKey({ url: STREAM_URL, tokenAuth: false }));
  });
});
