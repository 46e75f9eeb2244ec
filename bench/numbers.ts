// Arithmetic and formatting of the bench's figures.
export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
};
export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
export const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);
export const thousands = (n: number) => Math.round(n).toLocaleString('en-US');
/** Peak RSS of each process, as "name MiB MiB, ...". */
export const rssList = (mb: Record<string, number>) => Object.entries(mb).map(([name, n]) => `${name} ${n} MiB`).join(', ');
/** Cores used by each part, as "name cores, ...". */
export const coreList = (used: Record<string, number>) => Object.entries(used).map(([name, n]) => `${name} ${n}`).join(', ');
