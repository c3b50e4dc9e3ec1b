/** A Kubernetes resource quantity ("500m", "2", "384Mi", "1Gi", "1e3") as a number of base units. */
export function quantity(q: string | number | undefined): number {
  if (q === undefined) throw new Error('no quantity');
  if (typeof q === 'number') return q;
  const m = /^([0-9.]+(?:e[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q);
  if (!m) throw new Error(`not a quantity: ${q}`);
  const factor: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(m[1]) * (m[2] ? factor[m[2]] : 1);
}
