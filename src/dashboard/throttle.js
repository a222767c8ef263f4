// A throttled task: no DOM, so Node tests import this file (test/unit/dashboard/throttle.test.ts).
//
// The chart refetches its history when items arrive, and they may arrive by the hundred per
// second: every request folds into one run per interval, and runs never overlap, so a slow answer
// does not pile up requests behind it.

/**
 * Runs `task` on request, at most once per `intervalMs` and never twice at once: requests made
 * while it waits or runs fold into one more run, started `intervalMs` after the last start (or as
 * soon as the running one ends, if that is later). `now()` starts a run at once, whatever the
 * interval or a run under way (a changed selection must not wait; its caller drops stale answers).
 * A task that throws or rejects counts as done.
 * @param {() => Promise<void> | void} task
 * @param {number} intervalMs
 */
function createThrottle(task, intervalMs) {
  let lastStart = -Infinity;
  let running = 0;
  let pending = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  function start() {
    clearTimeout(timer);
    timer = undefined;
    pending = false;
    lastStart = Date.now();
    running += 1;
    void Promise.resolve()
      .then(task)
      .catch(() => undefined)
      .finally(() => {
        running -= 1;
        if (pending) schedule();
      });
  }

  function schedule() {
    if (timer !== undefined || running > 0) return;
    timer = setTimeout(start, Math.max(0, lastStart + intervalMs - Date.now()));
  }

  return {
    /** Asks for a run: at once if the interval has passed and none is under way, else later, once. */
    request() {
      pending = true;
      schedule();
    },
    /** Starts a run now. */
    now: start,
    /** Drops a run that was asked for and not started yet. */
    cancel() {
      clearTimeout(timer);
      timer = undefined;
      pending = false;
    },
  };
}

export { createThrottle };
