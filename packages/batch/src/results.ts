/**
 * Results of a cohort as CSV (RFC 4180: comma-separated, fields with commas, quotes or
 * line breaks quoted): one row per job with its state, the wall time of its successful
 * attempt (seconds), total iterations, final energy, the quality-control figures every
 * processor reported (one column each, e.g. `ncc`), the worker, and the error of a failed
 * job. Figures a job lacks are empty cells.
 */
import type { CohortStatus } from './queue.js';

function cell(v: string | number | undefined): string {
  if (v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV text (with a header row and a final newline) of a cohort's status. */
export function resultsCsv(status: CohortStatus): string {
  const qcNames = [...new Set(status.jobs.flatMap((j) => Object.keys(j.result?.qc ?? {})))].sort();
  const header = ['id', 'status', 'attempts', 'seconds', 'iterations', 'energy', ...qcNames, 'worker', 'error'];
  const rows = status.jobs.map((j) => [
    j.id,
    j.state,
    j.attemptsStarted,
    j.result?.seconds,
    j.result?.iterations,
    j.result?.energy,
    ...qcNames.map((n) => j.result?.qc?.[n]),
    j.result?.worker ?? j.progress?.worker,
    j.error,
  ].map(cell).join(','));
  return `${[header.join(','), ...rows].join('\n')}\n`;
}
