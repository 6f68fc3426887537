/** Process exit codes of `mco`, one per kind of outcome. */
export const ExitCode = Object.freeze({
  /** Ran; every expectation held. */
  ok: 0,
  /** Ran; an expectation or regression check failed. */
  failed: 1,
  /** Bad input: a scenario file or flag. Nothing ran. */
  badInput: 2,
  /** A run hit its event budget (livelock or a too-large scenario). */
  limit: 3,
  /** Interrupted (Ctrl-C, SIGINT); the partial report of the finished seeds was still printed and written. */
  interrupted: 130,
  /** Terminated (SIGTERM), handled like Ctrl-C: the partial report was still printed and written. */
  terminated: 143,
  /** A bug in mco itself (an INVARIANT failed). */
  internal: 70,
});
