/** A result row of a raw query. */
export type Row = Record<string, unknown>;

/**
 * The rows of a raw TypeORM query on Postgres. TypeORM returns `[rows, rowCount]` for UPDATE and
 * DELETE (also with RETURNING) and plain `rows` otherwise; rows are objects, never arrays.
 */
export function rowsOf(result: unknown): Row[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as Row[];
  return result as Row[];
}

/** The Postgres error code (SQLSTATE) of a failed query, if any. */
export function pgErrorCode(e: unknown): string | undefined {
  const driver = (e as { driverError?: { code?: unknown } } | null)?.driverError;
  return typeof driver?.code === 'string' ? driver.code : undefined;
}
