import type { ChildProcess } from 'node:child_process';

/** Sends SIGTERM and resolves when the process has exited (at once if it already has). */
function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      done();
      return;
    }
    child.once('exit', () => {
      done();
    });
    child.kill('SIGTERM');
  });
}

export { stopChild };
