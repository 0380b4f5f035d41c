// Keyset pagination shared by every list endpoint: rows ordered by
// (created_at, id), the cursor is the last row's pair, opaque to clients.
import { ValidationProblem } from '../domain/problems.ts';

export interface CursorPosition {
  createdAt: Date;
  id: string;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (Number.isNaN(date.getTime()) || typeof id !== 'string' || !uuid.test(id)) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw new ValidationProblem([{ field: 'cursor', message: 'is not a cursor this API returned' }]);
  }
}

/** The page of `limit` rows out of `limit + 1` fetched, and the cursor to the next page if there is one. */
export function pageOf<Row, Item>(rows: Row[], limit: number, position: (row: Row) => CursorPosition, toItem: (row: Row) => Item): { items: Item[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { items: page.map(toItem), nextCursor: rows.length > limit && last ? encodeCursor(position(last)) : null };
}
