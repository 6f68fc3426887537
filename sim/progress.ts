/**
 * Progress for long runs, on stderr only: a redrawn bar when stderr is a TTY,
 * plain lines every few seconds otherwise. Uses the real clock, which never
 * affects results.
 */
import type { Progress } from './runner.js';

export interface ProgressSink {
  update(p: Progress): void;
  done(): void;
}

export function progressReporter(label: string, stream: NodeJS.WriteStream = process.stderr, intervalMs = 5000): ProgressSink {
  const t0 = performance.now();
  let last = 0;
  const tty = stream.isTTY === true;
  const line = (p: Progress): string => {
    const s = (performance.now() - t0) / 1000;
    const rate = p.done / Math.max(s, 1e-9);
    const eta = rate > 0 ? (p.total - p.done) / rate : Infinity;
    return `${label}: ${p.done}/${p.total} seeds, ${rate.toFixed(1)} runs/s, ETA ${Number.isFinite(eta) ? `${eta.toFixed(0)}s` : '?'}, violations so far ${p.violations} in ${p.runsWithViolation} runs`;
  };
  return {
    update(p) {
      const now = performance.now();
      if (tty) {
        if (now - last < 100 && p.done < p.total) return;
        const width = 24;
        const filled = Math.round((p.done / p.total) * width);
        stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${line(p)}\u001b[K`);
      } else if (now - last >= intervalMs) {
        stream.write(`${line(p)}\n`);
      } else {
        return;
      }
      last = now;
    },
    done() {
      if (tty) stream.write('\r\u001b[K');
    },
  };
}
